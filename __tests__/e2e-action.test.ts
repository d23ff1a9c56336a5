/**
 * The action end to end, as the runner runs it: `node dist/index.js` with INPUT_* variables,
 * GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, against a real signed repository served on
 * 127.0.0.1. The tarball is checked by skopeo and umoci, pushed to a real registry and pulled
 * back, and its app is run in a chroot.
 */
import { execFileSync, spawnSync } from 'node:child_process'
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

function skopeoInspect(tarball: string): { Digest: string; Architecture: string; Os: string } {
  return JSON.parse(
    execFileSync('skopeo', ['inspect', `oci-archive:${tarball}`], { encoding: 'utf8' })
  )
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
    const packages = JSON.parse(result.outputs.packages) as { name: string; version: string }[]
    // musl comes with every image: the app links against it.
    expect(packages.map((p) => `${p.name}-${p.version}`).sort()).toEqual([
      'ca-certificates-bundle-20240226-r0',
      'musl-1.2.3-r0'
    ])
  })

  it('writes a job summary with the digest, packages and the push command', () => {
    expect(result.summary).toContain(result.outputs.digest)
    expect(result.summary).toContain('ca-certificates-bundle')
    expect(result.summary).toContain(`skopeo copy oci-archive:${output}`)
  })

  it('is an OCI archive skopeo reads, with our digest', () => {
    const inspect = skopeoInspect(output)
    expect(inspect.Digest).toBe(result.outputs.digest)
    expect(inspect.Architecture).toBe('amd64')
    expect(inspect.Os).toBe('linux')
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
      execFileSync('skopeo', ['copy', '--dest-tls-verify=false', `oci-archive:${output}`, ref], {
        stdio: 'pipe'
      })
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

  ;(haveTool('podman') && isRoot ? it : it.skip)('loads into podman', () => {
    const load = spawnSync('podman', ['load', '-i', output], { encoding: 'utf8' })
    if (load.status !== 0 && /storage|overlay|cgroup|namespace/i.test(load.stderr)) {
      console.warn(`skipping podman load: podman cannot run here: ${load.stderr.split('\n')[0]}`)
      return
    }
    expect(load.status).toBe(0)
    expect(load.stdout + load.stderr).toMatch(/witchery-e2e/)
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
