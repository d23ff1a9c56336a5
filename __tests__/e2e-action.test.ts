/**
 * The action end to end, as the runner runs it: `node dist/index.js` with INPUT_* variables,
 * GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, against a real signed repository served on
 * 127.0.0.1. The tarball is checked by skopeo and umoci, pushed to a real registry and pulled
 * back, and its app is run in a chroot.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { buildApk } from './support/apk-builder.js'
import { startCacheService, type CacheService } from './support/cache-service.js'
import { startServer, type TestServer } from './support/http-server.js'
import { generateSigningKey, writeKeysDir } from './support/keys.js'
import {
  baselayoutDataPackage,
  caBundlePackage,
  compileMusl,
  helloPackage,
  muslPackage
} from './support/packages.js'
import { haveTool, startRegistry } from './support/registry.js'
import { buildRepository } from './support/repo-builder.js'
import { runAction } from './support/run-action.js'
import { cyclonedxErrors, spdxErrors } from './support/sbom-schemas.js'
import { haveShared } from './support/shared.js'

const DIST = path.resolve('dist/index.js')
const APP_SOURCE = `#include <stdio.h>
int main(void) { puts("hello from the e2e image"); return 0; }
`
const GLIBC_SOURCE = 'int main(void) { return 0; }\n'
const isRoot = process.getuid?.() === 0

let work: string
let server: TestServer
let keysDir: string
let app: string

function tmp(name: string): string {
  return path.join(work, name)
}

function baseInputs(extra: Record<string, string> = {}): Record<string, string> {
  return {
    packages: 'ca-certificates-bundle',
    app,
    repositories: server.url,
    keys: keysDir,
    'fetch-alpine-keys': 'false',
    arch: 'x86_64',
    cache: 'false',
    'source-date-epoch': '1700000000',
    tags: 'localhost/witchery-e2e:1.0',
    ...extra
  }
}

/** skopeo's view of `source`: a tarball with its tag (`FILE:1.0`), or a tarball of one image. */
function skopeoInspect(source: string): { Digest: string; Architecture: string; Os: string } {
  return JSON.parse(
    execFileSync('skopeo', ['inspect', `oci-archive:${source}`], { encoding: 'utf8' })
  )
}

/** Fails under CI, where every tool is installed; elsewhere warns that the check is skipped. */
function cannotCheck(what: string, why: string): void {
  if (process.env.CI === 'true') throw new Error(`cannot check ${what} under CI: ${why}`)
  console.warn(`skipping ${what}: ${why}`)
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-e2e-'))
  const key = generateSigningKey()
  keysDir = tmp('keys')
  writeKeysDir(keysDir, [key])
  const apks = [muslPackage(), helloPackage(), caBundlePackage(), baselayoutDataPackage()].map(
    (s) => buildApk(s, key)
  )
  const repo = buildRepository(tmp('repo'), 'x86_64', apks, key, { description: 'v3.22.2-0-e2e' })
  server = await startServer({ root: repo.url })
  app = compileMusl(APP_SOURCE, tmp('greet'))
}, 120000)

afterAll(async () => {
  await server?.close()
  if (work) fs.rmSync(work, { recursive: true, force: true })
})

describe('the action, run from dist/ as the runner runs it', () => {
  let output: string
  let result: Awaited<ReturnType<typeof runAction>>

  beforeAll(async () => {
    output = tmp('out/image.tar')
    result = await runAction(DIST, { inputs: baseInputs({ output }) })
  }, 120000)

  it('succeeds and sets every output', () => {
    expect(result.stderr + result.stdout).not.toMatch(/::error/)
    expect(result.code).toBe(0)
    expect(result.outputs.tarball).toBe(output)
    expect(result.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(result.outputs['image-id']).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(Number(result.outputs.size)).toBe(fs.statSync(output).size)
    expect(result.outputs['cache-hit']).toBe('false')
    expect(result.outputs['subject-name']).toBe('localhost/witchery-e2e')
    const packages = JSON.parse(result.outputs.packages) as { name: string; version: string }[]
    // musl comes with every image: the app links against it.
    expect(packages.map((p) => `${p.name}-${p.version}`).sort()).toEqual([
      'ca-certificates-bundle-20240226-r0',
      'musl-1.2.3-r0'
    ])
  })

  it('writes a job summary with the digest, packages, SBOMs and the push command', () => {
    expect(result.summary).toContain(result.outputs.digest)
    expect(result.summary).toContain('ca-certificates-bundle')
    expect(result.summary).toContain(`skopeo copy oci-archive:${output}:1.0 docker://`)
    expect(result.summary).toContain(tmp('out/image.x86_64.cdx.json'))
  })

  it('is an OCI archive skopeo reads through its tag, with our digest', () => {
    const inspect = skopeoInspect(`${output}:1.0`)
    expect(inspect.Digest).toBe(result.outputs.digest)
    expect(inspect.Architecture).toBe('amd64')
    expect(inspect.Os).toBe('linux')
  })

  it('writes the SBOMs beside the tarball and attaches them to the image inside it', () => {
    const paths = result.outputs.sbom.split('\n')
    expect(paths).toEqual([tmp('out/image.x86_64.spdx.json'), tmp('out/image.x86_64.cdx.json')])
    const metadata = JSON.parse(result.outputs.metadata) as {
      platforms: { manifestDigest: string }[]
      sbom: { arch: string; format: string; path: string; digest: string; referrer: string }[]
    }
    expect(metadata.sbom.map((s) => [s.arch, s.format, s.path])).toEqual([
      ['x86_64', 'spdx', paths[0]],
      ['x86_64', 'cyclonedx', paths[1]]
    ])
    const layout = tmp('sbom-layout')
    fs.mkdirSync(layout)
    execFileSync('tar', ['-xf', output, '-C', layout])
    const blob = (digest: string) =>
      fs.readFileSync(path.join(layout, 'blobs/sha256', digest.replace('sha256:', '')))
    const index = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8')) as {
      manifests: { digest: string; artifactType?: string; annotations?: object }[]
    }
    expect(index.manifests.map((m) => [m.digest, m.artifactType])).toEqual([
      [result.outputs.digest, undefined],
      [metadata.sbom[0].referrer, 'application/spdx+json'],
      [metadata.sbom[1].referrer, 'application/vnd.cyclonedx+json']
    ])
    for (const record of metadata.sbom) {
      const manifest = JSON.parse(blob(record.referrer).toString()) as {
        subject: { digest: string }
        layers: { digest: string }[]
      }
      expect(manifest.subject.digest).toBe(result.outputs.digest)
      expect(manifest.layers[0].digest).toBe(record.digest)
      expect(blob(record.digest)).toEqual(fs.readFileSync(record.path))
    }
    // docker load reads manifest.json: the image alone, with its tag.
    const dockerManifest = JSON.parse(
      fs.readFileSync(path.join(layout, 'manifest.json'), 'utf8')
    ) as { Config: string; RepoTags: string[] }[]
    expect(dockerManifest).toHaveLength(1)
    expect(dockerManifest[0].Config).toBe(
      `blobs/sha256/${result.outputs['image-id'].replace('sha256:', '')}`
    )
    expect(dockerManifest[0].RepoTags).toEqual(['localhost/witchery-e2e:1.0'])
  })

  it('gives SBOMs valid against their schemas, listing the packages of the image', () => {
    if (!haveShared('schemas')) return
    const [spdx, cdx] = result.outputs.sbom
      .split('\n')
      .map((file) => JSON.parse(fs.readFileSync(file, 'utf8')))
    expect(spdxErrors(spdx)).toEqual([])
    expect(cyclonedxErrors(cdx)).toEqual([])
    const packages = (JSON.parse(result.outputs.packages) as { name: string; version: string }[])
      .map((p) => `pkg:apk/alpine/${p.name}@${p.version}?arch=x86_64&distro=alpine-3.22.2`)
      .sort()
    const purls = (cdx.components as { type: string; purl: string }[])
      .filter((c) => c.type === 'library')
      .map((c) => c.purl)
      .sort()
    expect(purls).toEqual(packages)
    const greet = crypto.createHash('sha256').update(fs.readFileSync(app)).digest('hex')
    const files = (spdx.files as { fileName: string; checksums: object[] }[]).map((f) => [
      f.fileName,
      f.checksums
    ])
    expect(files).toEqual([
      ['./usr/bin/greet', expect.arrayContaining([{ algorithm: 'SHA256', checksumValue: greet }])]
    ])
  })

  it('unpacks with umoci to the files, modes and owners the package db records', () => {
    const layout = tmp('layout')
    fs.mkdirSync(layout)
    execFileSync('tar', ['-xf', output, '-C', layout])
    const bundle = tmp('bundle')
    const args = ['unpack', '--image', `${layout}:1.0`, bundle]
    if (!isRoot) args.splice(1, 0, '--rootless')
    execFileSync('umoci', args, { stdio: 'pipe' })
    const rootfs = path.join(bundle, 'rootfs')
    const installed = fs.readFileSync(path.join(rootfs, 'lib/apk/db/installed'), 'utf8')
    // Every file the db lists is there, with the db's mode and (as root) owner: `a:uid:gid:mode`
    // after its R: line, 0:0:644 when absent; folders likewise with M: (0:0:755 by default).
    const records: { file: string; acl: string }[] = []
    let dir = ''
    for (const line of installed.split('\n')) {
      if (line.startsWith('F:')) {
        dir = line.slice(2)
        if (dir) records.push({ file: dir, acl: '0:0:755' })
      } else if (line.startsWith('M:')) records[records.length - 1].acl = line.slice(2)
      else if (line.startsWith('R:'))
        records.push({ file: path.join(dir, line.slice(2)), acl: '0:0:644' })
      else if (line.startsWith('a:')) records[records.length - 1].acl = line.slice(2)
    }
    for (const { file, acl } of records) {
      const [uid, gid, mode] = acl.split(':')
      const stat = fs.lstatSync(path.join(rootfs, file))
      const initdb = ['etc', 'lib', 'tmp', 'var'].includes(file)
      if (!stat.isSymbolicLink() && !initdb) {
        expect({ file, mode: (stat.mode & 0o7777).toString(8) }).toEqual({ file, mode })
      }
      if (isRoot)
        expect({ file, owner: `${stat.uid}:${stat.gid}` }).toEqual({ file, owner: `${uid}:${gid}` })
    }
    expect(records.length).toBeGreaterThan(5)
    const bundleCrt = fs.lstatSync(path.join(rootfs, 'etc/ssl/certs/ca-certificates.crt'))
    expect(bundleCrt.mode & 0o7777).toBe(0o644)
    expect(fs.readlinkSync(path.join(rootfs, 'etc/ssl/cert.pem'))).toBe('certs/ca-certificates.crt')
    expect(fs.lstatSync(path.join(rootfs, 'tmp')).mode & 0o7777).toBe(0o1777)
    expect(fs.readFileSync(path.join(rootfs, 'etc/passwd'), 'utf8')).toMatch(
      /^nonroot:x:65532:65532:/m
    )
    const world = fs.readFileSync(path.join(rootfs, 'etc/apk/world'), 'utf8')
    expect(world).toBe('ca-certificates-bundle\nmusl\n')
    expect(fs.existsSync(path.join(rootfs, 'bin/sh'))).toBe(false)
    if (isRoot) {
      const home = fs.statSync(path.join(rootfs, 'home/nonroot'))
      expect([home.uid, home.gid]).toEqual([65532, 65532])
      const shadowLike = fs.statSync(path.join(rootfs, 'usr/bin/greet'))
      expect(shadowLike.uid).toBe(0)
    }
  })

  ;(isRoot ? it : it.skip)('runs the app in a chroot of the unpacked image', () => {
    const rootfs = path.join(tmp('bundle'), 'rootfs')
    const run = spawnSync('chroot', [rootfs, '/usr/bin/greet'], { encoding: 'utf8' })
    expect(run.stderr).toBe('')
    expect(run.stdout).toBe('hello from the e2e image\n')
  })

  it('pushes to a registry on 127.0.0.1 and pulls back the same digest', async () => {
    const registry = await startRegistry()
    if (!registry) {
      console.warn('skipping registry round trip: docker-registry is not installed')
      return
    }
    try {
      const ref = `docker://${registry.host}/witchery/e2e:1.0`
      const source = `oci-archive:${output}:1.0`
      execFileSync('skopeo', ['copy', '--dest-tls-verify=false', source, ref], { stdio: 'pipe' })
      const remote = JSON.parse(
        execFileSync('skopeo', ['inspect', '--tls-verify=false', ref], { encoding: 'utf8' })
      ) as { Digest: string }
      expect(remote.Digest).toBe(result.outputs.digest)
      const pulled = tmp('pulled.tar')
      execFileSync('skopeo', ['copy', '--src-tls-verify=false', ref, `oci-archive:${pulled}`], {
        stdio: 'pipe'
      })
      expect(skopeoInspect(pulled).Digest).toBe(result.outputs.digest)
    } finally {
      await registry.close()
    }
  }, 60000)

  it('loads into podman, as the image with its tag and config', () => {
    if (!haveTool('podman')) {
      return cannotCheck('podman load', 'podman is not installed (scripts/setup installs it)')
    }
    if (!isRoot) return cannotCheck('podman load', 'it needs root here')
    const load = spawnSync('podman', ['load', '-i', output], { encoding: 'utf8' })
    if (load.status !== 0 && /storage|overlay|cgroup|namespace/i.test(load.stderr)) {
      return cannotCheck('podman load', `podman cannot run here: ${load.stderr.split('\n')[0]}`)
    }
    expect(load.status).toBe(0)
    expect(load.stdout + load.stderr).toMatch(/^Loaded image: localhost\/witchery-e2e:1\.0$/m)
    const id = execFileSync(
      'podman',
      ['image', 'inspect', '--format', '{{.Id}}', 'localhost/witchery-e2e:1.0'],
      { encoding: 'utf8' }
    )
    expect(`sha256:${id.trim()}`).toBe(result.outputs['image-id'])
  })
})

describe('reproducible builds and the cache', () => {
  let cache: CacheService

  beforeAll(async () => {
    cache = await startCacheService()
  })
  afterAll(async () => {
    await cache?.close()
  })

  it('gives the same digest twice, and again with the cache warm', async () => {
    const env = cache.env()
    const runs = []
    for (const name of ['cold', 'warm', 'again']) {
      const output = tmp(`repro/${name}.tar`)
      const run = await runAction(DIST, {
        inputs: baseInputs({ output, cache: 'true' }),
        env: { ...env, RUNNER_TEMP: tmp(`runner-${name}`) }
      })
      expect(run.stderr).not.toMatch(/::error/)
      expect(run.code).toBe(0)
      runs.push(run)
    }
    expect(runs[1].outputs.digest).toBe(runs[0].outputs.digest)
    expect(runs[2].outputs.digest).toBe(runs[0].outputs.digest)
    expect(runs[0].outputs['cache-hit']).toBe('false')
    expect(runs[1].outputs['cache-hit']).toBe('true')
    expect(fs.readFileSync(tmp('repro/cold.tar'))).toEqual(fs.readFileSync(tmp('repro/warm.tar')))
    // The SBOMs too: same bytes, hence the same referrers.
    expect(runs[1].outputs.sbom).not.toBe(runs[0].outputs.sbom)
    const files = (run: { outputs: Record<string, string> }) =>
      run.outputs.sbom.split('\n').map((file) => fs.readFileSync(file, 'utf8'))
    expect(files(runs[1])).toEqual(files(runs[0]))
    expect(files(runs[2])).toEqual(files(runs[0]))
    // The warm run downloaded no package, but still revalidated the index.
    const warmRequests = server.requests.slice(-10)
    expect(warmRequests.some((r) => r.path.endsWith('APKINDEX.tar.gz'))).toBe(true)
  }, 180000)
})

describe('bad inputs: a clear error and no tarball', () => {
  const cases: [string, () => Record<string, string>, RegExp][] = [
    ['a missing app', () => ({ app: tmp('no-such-app') }), /app '.*no-such-app' does not exist/],
    [
      'an unknown package',
      () => ({ packages: 'ca-certificates-bundel' }),
      /ca-certificates-bundel.*no such package[\s\S]*did you mean/
    ],
    ['an unknown arch', () => ({ arch: 'mips' }), /input `?arch`?.*mips/i],
    [
      'an unreachable repository',
      () => ({ repositories: 'http://127.0.0.1:9/alpine' }),
      /127\.0\.0\.1:9/
    ],
    [
      'an unwritable output',
      () => ({ output: '/proc/witchery/image.tar' }),
      /\/proc\/witchery\/image\.tar/
    ]
  ]

  it.each(cases)(
    '%s',
    async (_name, inputs, message) => {
      const output = inputs().output ?? tmp(`bad/${_name.replace(/\W+/g, '-')}.tar`)
      const run = await runAction(DIST, { inputs: baseInputs({ output, ...inputs() }) })
      expect(run.code).not.toBe(0)
      expect(run.stdout).toMatch(/::error/)
      expect(run.stdout).toMatch(message)
      expect(fs.existsSync(output)).toBe(false)
      const dir = path.dirname(output)
      if (fs.existsSync(dir))
        expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([])
    },
    60000
  )

  it('a glibc-linked app, with a message that says how to build for musl', async () => {
    if (!haveTool('gcc')) return console.warn('skipping: gcc not installed')
    const glibcApp = tmp('glibc-app')
    fs.writeFileSync(`${glibcApp}.c`, GLIBC_SOURCE)
    execFileSync('gcc', ['-o', glibcApp, `${glibcApp}.c`])
    const output = tmp('bad/glibc.tar')
    const run = await runAction(DIST, { inputs: baseInputs({ output, app: glibcApp }) })
    expect(run.code).not.toBe(0)
    expect(run.stdout).toMatch(/linked against glibc/)
    expect(run.stdout).toMatch(/musl-gcc|statically/)
    expect(fs.existsSync(output)).toBe(false)
  }, 60000)
})
