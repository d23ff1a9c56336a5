/**
 * The job summary, written through @actions/core into a real GITHUB_STEP_SUMMARY file, and the
 * step outputs computed from the same BuildResult.
 */
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import type { BuildResult, PackageRecord } from '../src/assemble/spec.js'
import { outputValues, OUTPUT_NAMES } from '../src/action/outputs.js'
import { writeImage } from '../src/oci/image.js'
import {
  formatBytes,
  packageRows,
  pushCommands,
  renderSummary,
  SUMMARY_LIMIT,
  writeSummary
} from '../src/action/summary.js'
import { captureStdout, type StdoutCapture } from './support/stdout.js'

const DIGEST = `sha256:${'d'.repeat(64)}`
const CONFIG = `sha256:${'c'.repeat(64)}`

function packages(arch: string, count = 2): PackageRecord[] {
  const base: PackageRecord[] = [
    { name: 'musl', version: '1.2.5-r10', arch, license: 'MIT', size: 700_000 },
    {
      name: 'ca-certificates-bundle',
      version: '20250619-r0',
      arch,
      license: 'MPL-2.0 AND MIT',
      size: 230_000
    }
  ]
  for (let i = base.length; i < count; i++) {
    base.push({
      name: `pkg-${String(i).padStart(5, '0')}`,
      version: '1.0-r0',
      arch,
      license: 'GPL-2.0-or-later',
      size: 10
    })
  }
  return base
}

function result(arches = ['x86_64'], count = 2): BuildResult {
  return {
    tarball: '/work/out/image.tar',
    digest: DIGEST,
    imageId: CONFIG,
    size: 3_500_000,
    tags: ['ghcr.io/o/app:1.0', 'ghcr.io/o/app:latest'],
    arches: arches.map((arch, i) => ({
      arch,
      packages: packages(arch, count),
      manifestDigest: `sha256:${String(i).repeat(64)}`,
      configDigest: CONFIG,
      layers: [
        {
          digest: `sha256:${'1'.repeat(64)}`,
          diffId: `sha256:${'2'.repeat(64)}`,
          size: 1_200_000,
          createdBy: 'witchery: apk add ca-certificates-bundle'
        },
        {
          digest: `sha256:${'3'.repeat(64)}`,
          diffId: `sha256:${'4'.repeat(64)}`,
          size: 2048,
          createdBy: 'witchery: COPY server /usr/bin/server'
        }
      ],
      scriptsSkipped: [],
      appNeeds: [],
      linkProblems: []
    })),
    fetch: {
      downloadedBytes: 1_572_864,
      packagesFromCache: 1,
      packagesDownloaded: 1,
      indexesRevalidated: 2,
      indexesDownloaded: 0,
      indexesOffline: 0
    },
    warnings: ['x86_64: install scripts not run for busybox'],
    sbom: []
  }
}

const SBOM_RECORDS = [
  {
    arch: 'x86_64',
    format: 'spdx' as const,
    path: '/work/out/image.x86_64.spdx.json',
    digest: `sha256:${'7'.repeat(64)}`,
    referrer: `sha256:${'8'.repeat(64)}`
  },
  {
    arch: 'x86_64',
    format: 'cyclonedx' as const,
    path: '/work/out/image.x86_64.cdx.json',
    digest: `sha256:${'9'.repeat(64)}`,
    referrer: `sha256:${'a'.repeat(64)}`
  }
]

let work: string
let summaryFile: string
let savedSummaryEnv: string | undefined
let lines: string[]
let stdout: StdoutCapture

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-summary-'))
  summaryFile = path.join(work, 'step-summary.md')
  savedSummaryEnv = process.env.GITHUB_STEP_SUMMARY
})

beforeEach(() => {
  fs.writeFileSync(summaryFile, '')
  process.env.GITHUB_STEP_SUMMARY = summaryFile
  stdout = captureStdout()
  lines = stdout.lines
})

afterEach(() => {
  stdout.restore()
})

afterAll(() => {
  if (savedSummaryEnv === undefined) delete process.env.GITHUB_STEP_SUMMARY
  else process.env.GITHUB_STEP_SUMMARY = savedSummaryEnv
  fs.rmSync(work, { recursive: true, force: true })
})

describe('job summary', () => {
  it('writes digest, tags, packages, layers, fetch stats, push commands and warnings', async () => {
    await writeSummary(result(), { cacheHit: 'partial' })
    const html = fs.readFileSync(summaryFile, 'utf8')
    expect(html).toContain('<h2>witchery: ghcr.io/o/app:1.0</h2>')
    expect(html).toContain(`<td>${DIGEST}</td>`)
    expect(html).toContain(`<th>Image ID</th><td>${CONFIG}</td>`)
    expect(html).toContain('<td>ghcr.io/o/app:1.0, ghcr.io/o/app:latest</td>')
    expect(html).toContain('<td>/work/out/image.tar (3.3 MiB)</td>')
    expect(html).toContain('<th>Cache hit</th><td>partial</td>')
    expect(html).toContain('<th>Packages</th><td>2</td>')
    expect(html).toContain('<h3>Packages (2)</h3>')
    expect(html).toContain('<tr><td>musl</td><td>1.2.5-r10</td><td>x86_64</td><td>MIT</td></tr>')
    expect(html).toContain(
      '<td>ca-certificates-bundle</td><td>20250619-r0</td><td>x86_64</td><td>MPL-2.0 AND MIT</td>'
    )
    // Sorted by name: ca-certificates-bundle before musl.
    expect(html.indexOf('<td>ca-certificates-bundle</td>')).toBeLessThan(
      html.indexOf('<td>musl</td>')
    )
    expect(html).toContain(
      `<td>x86_64</td><td>sha256:${'1'.repeat(64)}</td><td>1.1 MiB</td><td>witchery: apk add ca-certificates-bundle</td>`
    )
    expect(html).toContain('<li>Downloaded 1.5 MiB</li>')
    expect(html).toContain('<li>Packages: 1 from the cache, 1 downloaded</li>')
    expect(html).toContain('<li>Indexes: 2 revalidated, 0 downloaded</li>')
    expect(html).toContain(
      '<pre lang="sh"><code>skopeo copy oci-archive:/work/out/image.tar:1.0 docker://ghcr.io/o/app:1.0\n' +
        'skopeo copy oci-archive:/work/out/image.tar:latest docker://ghcr.io/o/app:latest\n' +
        'docker load -i /work/out/image.tar</code></pre>'
    )
    expect(html).toContain(
      '<h3>Warnings</h3>\n<ul><li>x86_64: install scripts not run for busybox</li></ul>'
    )
  })

  it('appends to what the step summary already holds', async () => {
    fs.writeFileSync(summaryFile, '# earlier\n')
    await writeSummary(result(), { cacheHit: 'true' })
    const html = fs.readFileSync(summaryFile, 'utf8')
    expect(html.startsWith('# earlier\n<h2>')).toBe(true)
  })

  it('merges a multi-arch package list and pushes with --all', () => {
    const r = result(['x86_64', 'aarch64'])
    expect(packageRows(r)).toEqual([
      ['ca-certificates-bundle', '20250619-r0', 'x86_64, aarch64', 'MPL-2.0 AND MIT'],
      ['musl', '1.2.5-r10', 'x86_64, aarch64', 'MIT']
    ])
    expect(pushCommands(r)).toEqual([
      'skopeo copy --all oci-archive:/work/out/image.tar:1.0 docker://ghcr.io/o/app:1.0',
      'skopeo copy --all oci-archive:/work/out/image.tar:latest docker://ghcr.io/o/app:latest'
    ])
    const html = renderSummary(r, { cacheHit: 'false' })
    expect(html).toContain('<td>x86_64, aarch64</td>')
    expect(html).toContain(`<td>aarch64</td><td>sha256:${'1'.repeat(64)}</td>`)
    // The overview counts what the table lists (a package of two arches is one row).
    expect(html).toContain('<th>Packages</th><td>2 (per platform: x86_64 2, aarch64 2)</td>')
    expect(html).toContain('<h3>Packages (2)</h3>')
    expect(html).not.toContain('<h3>Warnings</h3>\n<ul></ul>')
  })

  it('escapes what packages and inputs put in it', () => {
    const r = result()
    r.arches[0].packages[0].license = '<script>alert(1)</script> & "x"'
    r.arches[0].packages[1].license = ''
    r.tags = ['app:<b>']
    const html = renderSummary(r, { cacheHit: 'false' })
    expect(html).toContain('<td>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;</td>')
    expect(html).not.toContain('<script>')
    expect(html).not.toContain('<b>')
    // An empty cell is a dash, not an unclosed <td>.
    expect(html).toContain('<td>20250619-r0</td><td>x86_64</td><td>-</td>')
  })

  it('stays under GitHub’s 1 MiB limit by cutting the package table, and says where the rest is', async () => {
    const big = result(['x86_64'], 20_000)
    expect(
      Buffer.byteLength(renderSummary(big, { cacheHit: 'false', maxBytes: 10 * 1024 * 1024 }))
    ).toBeGreaterThan(SUMMARY_LIMIT)
    await writeSummary(big, { cacheHit: 'false' })
    const html = fs.readFileSync(summaryFile, 'utf8')
    expect(Buffer.byteLength(html)).toBeLessThanOrEqual(SUMMARY_LIMIT)
    expect(Buffer.byteLength(html)).toBeGreaterThan(SUMMARY_LIMIT * 0.9)
    expect(html).toContain('<h3>Packages (20000)</h3>')
    const shown = (html.match(/<td>pkg-\d{5}<\/td>/g) ?? []).length
    expect(shown).toBeGreaterThan(1000)
    expect(shown).toBeLessThan(19_998)
    expect(html).toContain(
      `… and ${20_000 - 2 - shown} more: the full list is the <code>packages</code> output.`
    )
    // Everything after the table is still there.
    expect(html).toContain('<h3>Layers</h3>')
    expect(html).toContain('<h3>Fetch</h3>')
  })

  it('counts what an earlier writer left in the file against the limit', async () => {
    fs.writeFileSync(summaryFile, 'x'.repeat(600 * 1024))
    await writeSummary(result(['x86_64'], 20_000), { cacheHit: 'false' })
    expect(fs.statSync(summaryFile).size).toBeLessThanOrEqual(SUMMARY_LIMIT)
  })

  it('outside a runner: one debug line, no throw', async () => {
    delete process.env.GITHUB_STEP_SUMMARY
    await writeSummary(result(), { cacheHit: 'false' })
    expect(lines).toEqual([
      '::debug::summary: GITHUB_STEP_SUMMARY is not set, no job summary written'
    ])
    expect(fs.readFileSync(summaryFile, 'utf8')).toBe('')
  })

  it('formats sizes', () => {
    expect([
      formatBytes(0),
      formatBytes(1023),
      formatBytes(1024),
      formatBytes(5 * 1024 ** 3)
    ]).toEqual(['0 B', '1023 B', '1.0 KiB', '5.0 GiB'])
  })
})

describe('push commands on a real tarball', () => {
  const tags = ['ghcr.io/o/app:1.0', 'ghcr.io/o/app:latest', 'registry.example/other:1.0']

  async function tarball(name: string, tagList: string[], arches = ['amd64']): Promise<string> {
    const output = path.join(work, name)
    await writeImage({
      images: arches.map((architecture) => ({
        platform: { architecture, os: 'linux' as const },
        layers: [
          {
            entries: [
              {
                path: 'hello.txt',
                type: 'file' as const,
                mode: 0o644,
                uid: 0,
                gid: 0,
                content: Buffer.from(`hello ${architecture}\n`)
              }
            ],
            createdBy: 'test'
          }
        ],
        config: {}
      })),
      output,
      tags: tagList,
      createdEpoch: 1700000000
    })
    return output
  }

  /** The `oci-archive:…` source of a push command, run through skopeo inspect. */
  function inspectSource(command: string, raw = false): { Digest?: string } {
    const source = command.split(' ').find((w) => w.startsWith('oci-archive:'))
    const args = raw ? ['inspect', '--raw', source!] : ['inspect', source!]
    return JSON.parse(
      execFileSync('skopeo', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    )
  }

  it('names the tag in each source when there are several, and skopeo finds each one', async () => {
    const file = await tarball('tags.tar', tags)
    const r = { ...result(), tarball: file, tags }
    const commands = pushCommands(r)
    expect(commands).toEqual([
      `skopeo copy oci-archive:${file}:1.0 docker://ghcr.io/o/app:1.0`,
      `skopeo copy oci-archive:${file}:latest docker://ghcr.io/o/app:latest`,
      `skopeo copy oci-archive:${file}:1.0 docker://registry.example/other:1.0`,
      `docker load -i ${file}`
    ])
    // Without the tag skopeo refuses: index.json holds one entry per tag.
    expect(() => inspectSource(`oci-archive:${file}`)).toThrow(/more than one image/)
    const digests = commands.slice(0, 3).map((c) => inspectSource(c).Digest)
    expect(digests[0]).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(new Set(digests).size).toBe(1)
    expect(renderSummary(r, { cacheHit: 'false' })).toContain(
      `<code>skopeo copy oci-archive:${file}:1.0 docker://ghcr.io/o/app:1.0\n`
    )
  })

  it('keeps the plain source for one tag, and tags a multi-arch source too', async () => {
    const one = await tarball('one.tar', ['ghcr.io/o/app:1.0'])
    const single = pushCommands({ ...result(), tarball: one, tags: ['ghcr.io/o/app:1.0'] })
    expect(single[0]).toBe(`skopeo copy oci-archive:${one} docker://ghcr.io/o/app:1.0`)
    expect(inspectSource(single[0]).Digest).toMatch(/^sha256:/)

    const multi = await tarball('multi.tar', tags.slice(0, 2), ['amd64', 'arm64'])
    const commands = pushCommands({ ...result(['x86_64', 'aarch64']), tarball: multi, tags })
    expect(commands[1]).toBe(
      `skopeo copy --all oci-archive:${multi}:latest docker://ghcr.io/o/app:latest`
    )
    const index = inspectSource(commands[1], true) as { manifests?: unknown[] }
    expect(index.manifests).toHaveLength(2)
  })
})

describe('push commands with SBOM referrers in the tarball', () => {
  it('names the tag even for one tag, since index.json lists the referrers too', async () => {
    const file = path.join(work, 'referrers.tar')
    await writeImage({
      images: [
        {
          platform: { architecture: 'amd64', os: 'linux' },
          layers: [{ entries: [], createdBy: 'test' }],
          config: {}
        }
      ],
      output: file,
      tags: ['ghcr.io/o/app:1.0'],
      createdEpoch: 1700000000,
      referrers: async () => [
        { subject: 0, artifactType: 'application/spdx+json', content: Buffer.from('{}') }
      ]
    })
    const r = { ...result(), tarball: file, tags: ['ghcr.io/o/app:1.0'], sbom: SBOM_RECORDS }
    const [command] = pushCommands(r)
    expect(command).toBe(`skopeo copy oci-archive:${file}:1.0 docker://ghcr.io/o/app:1.0`)
    const source = command.split(' ')[2]
    const inspect = JSON.parse(execFileSync('skopeo', ['inspect', source], { encoding: 'utf8' }))
    expect(inspect.Architecture).toBe('amd64')
    // The plain source is ambiguous now: what the tag in the command avoids.
    expect(() =>
      execFileSync('skopeo', ['inspect', `oci-archive:${file}`], { stdio: 'pipe' })
    ).toThrow(/more than one image/)
  })

  it('lists each document with its file, digest and referrer in the summary', () => {
    const html = renderSummary({ ...result(), sbom: SBOM_RECORDS }, { cacheHit: 'false' })
    expect(html).toContain('<h3>SBOM</h3>')
    expect(html).toContain(
      `<tr><td>x86_64</td><td>cyclonedx</td><td>/work/out/image.x86_64.cdx.json</td>` +
        `<td>sha256:${'9'.repeat(64)}</td><td>sha256:${'a'.repeat(64)}</td></tr>`
    )
    expect(renderSummary(result(), { cacheHit: 'false' })).not.toContain('<h3>SBOM</h3>')
  })
})

describe('outputs', () => {
  it('gives the SBOM paths one per line and the image name for attestations', () => {
    const values = outputValues({ ...result(), sbom: SBOM_RECORDS }, 'false')
    expect(values.sbom).toBe('/work/out/image.x86_64.spdx.json\n/work/out/image.x86_64.cdx.json')
    expect(values['subject-name']).toBe('ghcr.io/o/app')
    expect(JSON.parse(values.metadata).sbom).toEqual(SBOM_RECORDS)
    const none = outputValues(result(), 'false')
    expect(none.sbom).toBe('')
    expect(JSON.parse(none.metadata).sbom).toEqual([])
  })

  it('gives every output as the string the runner stores', () => {
    const values = outputValues(result(['x86_64', 'aarch64']), 'true')
    expect(Object.keys(values)).toEqual([...OUTPUT_NAMES])
    expect(values.tarball).toBe('/work/out/image.tar')
    expect(values.digest).toBe(DIGEST)
    expect(values['image-id']).toBe(CONFIG)
    expect(values.size).toBe('3500000')
    expect(values['cache-hit']).toBe('true')
    expect(values.tags).toBe('ghcr.io/o/app:1.0\nghcr.io/o/app:latest')
    expect(JSON.parse(values.packages)).toEqual([
      { name: 'musl', version: '1.2.5-r10', arch: 'x86_64', license: 'MIT' },
      {
        name: 'ca-certificates-bundle',
        version: '20250619-r0',
        arch: 'x86_64',
        license: 'MPL-2.0 AND MIT'
      },
      { name: 'musl', version: '1.2.5-r10', arch: 'aarch64', license: 'MIT' },
      {
        name: 'ca-certificates-bundle',
        version: '20250619-r0',
        arch: 'aarch64',
        license: 'MPL-2.0 AND MIT'
      }
    ])
    const metadata = JSON.parse(values.metadata)
    expect(metadata).toMatchObject({
      digest: DIGEST,
      imageId: CONFIG,
      size: 3_500_000,
      cacheHit: 'true',
      tags: ['ghcr.io/o/app:1.0', 'ghcr.io/o/app:latest'],
      warnings: ['x86_64: install scripts not run for busybox'],
      fetch: { downloadedBytes: 1_572_864, packagesDownloaded: 1 }
    })
    expect(
      metadata.platforms.map((p: { arch: string; packages: number }) => [p.arch, p.packages])
    ).toEqual([
      ['x86_64', 2],
      ['aarch64', 2]
    ])
    expect(metadata.platforms[0].layers[0].createdBy).toBe(
      'witchery: apk add ca-certificates-bundle'
    )
  })
})
