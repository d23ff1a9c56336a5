/**
 * The action's story in run(): inputs → cache restore → build → cache save → outputs → summary,
 * and failures as one titled annotation. The build pipeline is stood in for here (it has its own
 * tests, and the end-to-end tests run the real one from dist/); everything else is real: the
 * inputs, @actions/core writing to real GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, and
 * @actions/cache talking to the loopback cache service.
 */
import { jest } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { PackageCache } from '../src/apk/fetch/cache.js'
import { FetchError, UnsatisfiableError } from '../src/apk/errors.js'
import type { Logger, RepoPackage } from '../src/apk/types.js'
import { AppError, BuildError } from '../src/assemble/errors.js'
import type { BuildResult, BuildSpec } from '../src/assemble/spec.js'
import { startCacheService, type CacheService } from './support/cache-service.js'
import { parseCommandFile } from './support/run-action.js'
import { captureStdout, type StdoutCapture } from './support/stdout.js'

type BuildOptions = {
  logger: Logger
  onResolved?: (resolved: { arch: string; packages: RepoPackage[] }[]) => Promise<void>
}
const build = jest.fn<(spec: BuildSpec, options: BuildOptions) => Promise<BuildResult>>()
jest.unstable_mockModule('../src/assemble/build.js', () => ({ build }))
const { run, errorTitle } = await import('../src/action/main.js')
const { InputError } = await import('../src/assemble/errors.js')

const MUSL = { checksum: 'Q1bXVzbA==', name: 'musl', version: '1.2.5-r10' } as RepoPackage

let work: string
let service: CacheService
let lines: string[]
let stdout: StdoutCapture
let savedEnv: NodeJS.ProcessEnv

function fakeResult(spec: BuildSpec): BuildResult {
  return {
    tarball: spec.output,
    digest: `sha256:${'d'.repeat(64)}`,
    imageId: `sha256:${'c'.repeat(64)}`,
    size: 1234,
    tags: spec.tags,
    arches: [
      {
        arch: 'x86_64',
        packages: [{ name: 'musl', version: '1.2.5-r10', arch: 'x86_64', license: 'MIT', size: 9 }],
        manifestDigest: `sha256:${'d'.repeat(64)}`,
        configDigest: `sha256:${'c'.repeat(64)}`,
        layers: [
          {
            digest: `sha256:${'1'.repeat(64)}`,
            diffId: `sha256:${'2'.repeat(64)}`,
            size: 99,
            createdBy: 'witchery: apk add musl'
          }
        ],
        scriptsSkipped: [{ package: 'busybox-1.36.1-r15', script: 'post-install' }],
        appNeeds: [],
        linkProblems: []
      }
    ],
    fetch: {
      downloadedBytes: 10,
      packagesFromCache: 0,
      packagesDownloaded: 1,
      indexesRevalidated: 0,
      indexesDownloaded: 1,
      indexesOffline: 0
    },
    warnings: ['x86_64: install scripts not run for busybox'],
    sbom: spec.sbom.map((format) => ({
      arch: 'x86_64',
      format,
      path: spec.output.replace(/\.tar$/, `.x86_64.${format === 'spdx' ? 'spdx' : 'cdx'}.json`),
      digest: `sha256:${'5'.repeat(64)}`,
      referrer: `sha256:${'6'.repeat(64)}`
    }))
  }
}

/** What build does with the caller's hooks: resolve, let the cache restore, fetch, log. */
async function fakeBuild(spec: BuildSpec, options: BuildOptions): Promise<BuildResult> {
  options.logger.info('resolving')
  options.logger.debug('detail')
  options.logger.warning('an engine warning')
  await options.onResolved?.([{ arch: 'x86_64', packages: [MUSL] }])
  if (spec.cacheDir) {
    const file = new PackageCache(spec.cacheDir).packagePath(MUSL.checksum)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, 'musl bytes')
  }
  return fakeResult(spec)
}

function setInputs(inputs: Record<string, string>): void {
  for (const [name, value] of Object.entries({
    packages: 'musl',
    arch: 'x86_64',
    cache: 'false',
    ...inputs
  })) {
    process.env[`INPUT_${name.toUpperCase()}`] = value
  }
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-main-'))
  service = await startCacheService()
})

afterAll(async () => {
  await service.close()
  fs.rmSync(work, { recursive: true, force: true })
})

beforeEach(() => {
  savedEnv = { ...process.env }
  for (const name of Object.keys(process.env)) {
    if (/^(INPUT_|ACTIONS_|GITHUB_|RUNNER_)/.test(name) || name === 'SOURCE_DATE_EPOCH')
      delete process.env[name]
  }
  for (const name of ['output', 'summary']) fs.writeFileSync(path.join(work, name), '')
  fs.mkdirSync(path.join(work, 'workspace'), { recursive: true })
  Object.assign(process.env, {
    GITHUB_OUTPUT: path.join(work, 'output'),
    GITHUB_STEP_SUMMARY: path.join(work, 'summary'),
    GITHUB_WORKSPACE: path.join(work, 'workspace'),
    RUNNER_TEMP: path.join(work, 'temp'),
    GITHUB_REPOSITORY: 'octo/app',
    'INPUT_SOURCE-DATE-EPOCH': '1700000000'
  })
  build.mockReset()
  stdout = captureStdout()
  lines = stdout.lines
})

afterEach(() => {
  stdout.restore()
  process.exitCode = undefined
  for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name]
  Object.assign(process.env, savedEnv)
  service.entries.length = 0
})

function outputs(): Record<string, string> {
  return parseCommandFile(fs.readFileSync(path.join(work, 'output'), 'utf8'))
}

describe('run()', () => {
  it('builds, sets every output, logs in groups and writes the summary', async () => {
    build.mockImplementation(fakeBuild)
    setInputs({ tags: 'ghcr.io/octo/app:1.0' })
    await run()
    expect(process.exitCode).toBeUndefined()
    expect(build).toHaveBeenCalledTimes(1)
    const spec = build.mock.calls[0][0]
    expect(spec).toMatchObject({
      packages: ['musl'],
      arches: ['x86_64'],
      sourceDateEpoch: 1700000000,
      cacheDir: undefined,
      sbom: ['spdx', 'cyclonedx']
    })

    const out = outputs()
    expect(Object.keys(out).sort()).toEqual(
      [
        'tarball',
        'digest',
        'image-id',
        'packages',
        'size',
        'cache-hit',
        'tags',
        'metadata',
        'lock-changes',
        'sbom',
        'subject-name'
      ].sort()
    )
    expect(out['subject-name']).toBe('ghcr.io/octo/app')
    const image = path.join(work, 'workspace', 'image')
    expect(out.sbom).toBe(`${image}.x86_64.spdx.json\n${image}.x86_64.cdx.json`)
    expect(JSON.parse(out.metadata).sbom).toEqual([
      {
        arch: 'x86_64',
        format: 'spdx',
        path: `${image}.x86_64.spdx.json`,
        digest: `sha256:${'5'.repeat(64)}`,
        referrer: `sha256:${'6'.repeat(64)}`
      },
      {
        arch: 'x86_64',
        format: 'cyclonedx',
        path: `${image}.x86_64.cdx.json`,
        digest: `sha256:${'5'.repeat(64)}`,
        referrer: `sha256:${'6'.repeat(64)}`
      }
    ])
    expect(out.tarball).toBe(path.join(work, 'workspace', 'image.tar'))
    expect(out['cache-hit']).toBe('false')
    expect(out.tags).toBe('ghcr.io/octo/app:1.0')
    expect(JSON.parse(out.packages)).toEqual([
      { name: 'musl', version: '1.2.5-r10', arch: 'x86_64', license: 'MIT' }
    ])

    expect(lines.filter((l) => l.startsWith('::group::'))).toEqual([
      '::group::Inputs',
      '::group::Build',
      '::group::Outputs'
    ])
    expect(lines).toContain('resolving')
    expect(lines).toContain('::debug::detail')
    expect(lines).toContain('::warning title=witchery::an engine warning')
    expect(lines).toContain('::warning title=witchery::x86_64: install scripts not run for busybox')
    expect(lines.some((l) => l.startsWith('::error'))).toBe(false)

    const summary = fs.readFileSync(path.join(work, 'summary'), 'utf8')
    expect(summary).toContain('<h2>witchery: ghcr.io/octo/app:1.0</h2>')
    // index.json holds the SBOM referrers too, so skopeo is told the tag.
    expect(summary).toContain(
      `skopeo copy oci-archive:${out.tarball}:1.0 docker://ghcr.io/octo/app:1.0`
    )
    expect(summary).toContain('<h3>SBOM</h3>')
    expect(summary).toContain(`${image}.x86_64.cdx.json`)
  })

  it('restores before and saves after the build through the cache service', async () => {
    Object.assign(process.env, service.env())
    build.mockImplementation(fakeBuild)
    setInputs({ cache: 'true' })
    await run()
    expect(process.exitCode).toBeUndefined()
    expect(lines.filter((l) => l.startsWith('::group::'))).toEqual([
      '::group::Inputs',
      '::group::Restore index cache',
      '::group::Build',
      '::group::Save cache',
      '::group::Outputs'
    ])
    // The fake build fetched only packages, so only the package entry has anything to save.
    expect(service.entries.map((e) => e.key)).toEqual([
      expect.stringMatching(/^witchery-pkgs-v1-x86_64-[0-9a-f]{64}$/)
    ])
    expect(outputs()['cache-hit']).toBe('false')

    // The next run, in a fresh runner temp, is served from that entry.
    fs.writeFileSync(path.join(work, 'output'), '')
    process.env.RUNNER_TEMP = path.join(work, 'temp2')
    build.mockImplementation(async (spec, options) => {
      await options.onResolved?.([{ arch: 'x86_64', packages: [MUSL] }])
      const cached = new PackageCache(spec.cacheDir ?? '').packagePath(MUSL.checksum)
      expect(fs.readFileSync(cached, 'utf8')).toBe('musl bytes')
      const result = fakeResult(spec)
      result.fetch = { ...result.fetch, packagesDownloaded: 0, packagesFromCache: 1 }
      return result
    })
    await run()
    expect(process.exitCode).toBeUndefined()
    expect(outputs()['cache-hit']).toBe('true')
  })

  it('fails on a bad input with one titled annotation, before building', async () => {
    setInputs({ arch: 'mips' })
    await run()
    expect(process.exitCode).toBe(1)
    expect(build).not.toHaveBeenCalled()
    const errors = lines.filter((l) => l.startsWith('::error'))
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(
      /^::error title=witchery%3A invalid input `arch`::input `arch`: unknown architecture 'mips'; use one of x86_64/
    )
    expect(outputs()).toEqual({})
  })

  it.each([
    [
      new UnsatisfiableError(['musl-dev (no such package):', '  required by: world[musl-dev]']),
      'witchery: packages cannot be installed together'
    ],
    [
      new FetchError('http://127.0.0.1:9/x', 'could not download http://127.0.0.1:9/x'),
      'witchery: download failed'
    ],
    [new AppError("app 'x' is linked against glibc"), 'witchery: the app cannot run in the image']
  ])('fails on a build error with its class as the title: %s', async (error, title) => {
    build.mockRejectedValue(error)
    setInputs({})
    await run()
    expect(process.exitCode).toBe(1)
    const errors = lines.filter((l) => l.startsWith('::error'))
    expect(errors).toHaveLength(1)
    // Commas and colons in properties, newlines in the message are escaped the runner's way.
    expect(errors[0].startsWith(`::error title=${title.replace(/:/g, '%3A')}::`)).toBe(true)
    expect(errors[0]).toContain(error.message.replace(/\n/g, '%0A'))
    expect(lines.some((l) => l.startsWith('::debug::') && l.includes('at '))).toBe(true)
  })
})

describe('errorTitle', () => {
  it('names the kind of problem', () => {
    expect(errorTitle(new InputError('tags', 'bad'))).toBe('witchery: invalid input `tags`')
    expect(errorTitle(new BuildError('unknown architecture', 'arch'))).toBe(
      'witchery: invalid input `arch`'
    )
    expect(errorTitle(new BuildError('could not write'))).toBe('witchery: build failed')
    expect(errorTitle(new Error('boom'))).toBe('witchery failed')
    expect(errorTitle('a string')).toBe('witchery failed')
  })
})

describe('run(): the build epoch from the commit', () => {
  it('warns when HEAD cannot be read, and builds with epoch 0', async () => {
    build.mockImplementation(fakeBuild)
    setInputs({})
    delete process.env['INPUT_SOURCE-DATE-EPOCH']
    await run()
    expect(process.exitCode).toBeUndefined()
    expect(build.mock.calls[0][0].sourceDateEpoch).toBe(0)
    const warning = lines.find((l) => l.includes('the build epoch is 0'))
    expect(warning).toMatch(/^::warning title=witchery::the build epoch is 0 \(1970-01-01\)/)
    expect(warning).toMatch(/not a git repository/)
    expect(warning).toMatch(/Set `source-date-epoch` or SOURCE_DATE_EPOCH/)
  })

  ;(process.getuid?.() === 0 ? it : it.skip)(
    'reads it in a workspace another user owns (a job in a container), without a warning',
    async () => {
      const workspace = fs.mkdtempSync(path.join(work, 'foreign-'))
      const git = (...args: string[]) =>
        execFileSync('git', args, {
          cwd: workspace,
          stdio: 'pipe',
          env: {
            ...process.env,
            GIT_AUTHOR_NAME: 't',
            GIT_AUTHOR_EMAIL: 't@example.com',
            GIT_COMMITTER_NAME: 't',
            GIT_COMMITTER_EMAIL: 't@example.com',
            GIT_COMMITTER_DATE: '@1650000000 +0000'
          }
        })
      git('init', '-q')
      git('commit', '-q', '--allow-empty', '-m', 'c')
      execFileSync('chown', ['-R', '12345', workspace])
      build.mockImplementation(fakeBuild)
      setInputs({})
      delete process.env['INPUT_SOURCE-DATE-EPOCH']
      process.env.GITHUB_WORKSPACE = workspace
      await run()
      expect(build.mock.calls[0][0].sourceDateEpoch).toBe(1650000000)
      expect(lines.filter((l) => l.includes('build epoch'))).toEqual([])
    }
  )
})
