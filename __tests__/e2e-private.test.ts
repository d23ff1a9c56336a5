/**
 * A private repository end to end: a server on 127.0.0.1 that answers 401 without the right
 * basic credentials, built from by the bundled action (dist/index.js, as the runner runs it,
 * with the Actions cache on) and the bundled CLI (dist/cli/index.js). The secret must be masked
 * before anything else mentions it, and appear in no log line, output, summary, cache file,
 * cache entry or blob of the tarball.
 */
import { execFileSync, spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import * as zlib from 'node:zlib'
import { buildApk } from './support/apk-builder.js'
import { startCacheService, type CacheService } from './support/cache-service.js'
import { startServer, type TestServer } from './support/http-server.js'
import { generateSigningKey, writeKeysDir } from './support/keys.js'
import { baselayoutDataPackage, caBundlePackage, muslPackage } from './support/packages.js'
import { buildRepository } from './support/repo-builder.js'
import { runAction, type RunActionResult } from './support/run-action.js'
import { walkTree } from './support/walk.js'

const DIST = path.resolve('dist/index.js')
const CLI = path.resolve('dist/cli/index.js')
const USER = 'deploy'
// Characters a URL must percent-encode, so both spellings are searched for.
const SECRET = 'tok@en:Zq8-4711'
const NEEDLES = [
  SECRET,
  encodeURIComponent(SECRET),
  Buffer.from(`${USER}:${SECRET}`).toString('base64')
]

let work: string
let keysDir: string
let server: TestServer
let cache: CacheService

function tmp(name: string): string {
  return path.join(work, name)
}

function repoUrl(credentials?: string): string {
  const url = `${server.url}/private`
  return credentials ? url.replace('://', `://${credentials}@`) : url
}

function inputs(extra: Record<string, string>): Record<string, string> {
  return {
    packages: 'ca-certificates-bundle',
    keys: keysDir,
    'fetch-alpine-keys': 'false',
    arch: 'x86_64',
    'source-date-epoch': '1700000000',
    tags: 'localhost/private:1.0',
    ...extra
  }
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-private-'))
  const key = generateSigningKey()
  keysDir = writeKeysDir(tmp('keys'), [key])
  const apks = [muslPackage(), caBundlePackage(), baselayoutDataPackage()].map((s) =>
    buildApk(s, key)
  )
  buildRepository(tmp('site/private'), 'x86_64', apks, key)
  server = await startServer({ root: tmp('site'), auth: { username: USER, password: SECRET } })
  cache = await startCacheService()
}, 120000)

afterAll(async () => {
  await server?.close()
  await cache?.close()
  if (work) fs.rmSync(work, { recursive: true, force: true })
})

/** Where a needle occurs in `bytes`, for the failure message. */
function found(bytes: Buffer | string): string[] {
  return NEEDLES.filter((n) => bytes.includes(n))
}

/** Every file under `dir` (names and bytes), gzip members inflated, tarballs unpacked. */
function searchTree(dir: string): { where: string; needles: string[] }[] {
  const hits: { where: string; needles: string[] }[] = []
  for (const name of walkTree(dir)) {
    const file = path.join(dir, name)
    if (found(name).length > 0) hits.push({ where: `name ${file}`, needles: found(name) })
    if (!fs.lstatSync(file).isFile()) continue
    for (const [where, bytes] of contentsOf(file)) {
      if (found(bytes).length > 0) hits.push({ where, needles: found(bytes) })
    }
  }
  return hits
}

/** A file's bytes, and its decompressed bytes when it is gzip (layers, cached indexes). */
function contentsOf(file: string): [string, Buffer][] {
  const bytes = fs.readFileSync(file)
  const out: [string, Buffer][] = [[file, bytes]]
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    out.push([`${file} (gunzipped)`, zlib.gunzipSync(bytes)])
  }
  return out
}

/** Unpacks a tar (the image, a cache entry) into a new folder and searches it. */
function searchTar(file: string, label: string): { where: string; needles: string[] }[] {
  const dir = fs.mkdtempSync(path.join(work, `${label}-`))
  execFileSync('tar', ['-xf', file, '-C', dir])
  expect(fs.readdirSync(dir).length).toBeGreaterThan(0)
  return searchTree(dir)
}

/** Unpacks every layer of the image and returns its etc/apk/repositories. */
function imageRepositories(tarball: string): string {
  const dir = fs.mkdtempSync(path.join(work, 'image-'))
  execFileSync('tar', ['-xf', tarball, '-C', dir])
  const rootfs = fs.mkdtempSync(path.join(work, 'rootfs-'))
  for (const blob of fs.readdirSync(path.join(dir, 'blobs/sha256'))) {
    const bytes = fs.readFileSync(path.join(dir, 'blobs/sha256', blob))
    if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) continue
    execFileSync('tar', ['-xzf', path.join(dir, 'blobs/sha256', blob), '-C', rootfs])
  }
  return fs.readFileSync(path.join(rootfs, 'etc/apk/repositories'), 'utf8')
}

/** The cache service's entries: keys and unpacked archives. */
function searchCacheService(): { where: string; needles: string[] }[] {
  const hits: { where: string; needles: string[] }[] = []
  for (const call of cache.calls) {
    if (found(JSON.stringify(call)).length > 0) hits.push({ where: 'cache call', needles: [] })
  }
  for (const entry of cache.entries) {
    if (found(entry.key).length > 0) hits.push({ where: `cache key ${entry.key}`, needles: [] })
    if (!entry.finalized) continue
    const file = path.join(work, `entry-${entry.id}.tar`)
    fs.writeFileSync(file, entry.data)
    hits.push(...searchTar(file, `entry-${entry.id}`))
  }
  return hits
}

/** The masks come first, and no other line of the log holds the secret in any spelling. */
function expectMaskedLog(run: RunActionResult): void {
  const lines = run.stdout.split('\n')
  // Command data is escaped (% → %25, CR → %0D, LF → %0A); the runner unescapes it.
  const masked = (line: string) =>
    line.startsWith('::add-mask::')
      ? line.slice(12).replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
      : undefined
  // Our masks open the log; later ones are @actions/cache's, for its signed URLs.
  const firstOther = lines.findIndex((l) => masked(l) === undefined)
  const opening = lines.slice(0, firstOther).map(masked)
  for (const needle of NEEDLES) expect(opening).toContain(needle)
  const leaks = lines.filter((l) => !l.startsWith('::add-mask::') && found(l).length > 0)
  expect(leaks).toEqual([])
  expect(found(run.stderr)).toEqual([])
}

function expectNoSecretAnywhere(run: RunActionResult): void {
  expectMaskedLog(run)
  for (const value of Object.values(run.outputs)) expect(found(value)).toEqual([])
  expect(found(run.summary)).toEqual([])
  // Workspace (with the tarball), RUNNER_TEMP (with the cache folder) and every command file.
  expect(searchTree(run.dir)).toEqual([])
  if (run.outputs.tarball) expect(searchTar(run.outputs.tarball, 'tarball')).toEqual([])
  expect(searchCacheService()).toEqual([])
}

describe('the action with a private repository', () => {
  it.each([
    [
      'credentials in the repository URL',
      () => ({ repositories: repoUrl(`${USER}:${encodeURIComponent(SECRET)}`) })
    ],
    [
      'the `repository-auth` input',
      () => ({
        repositories: repoUrl(),
        'repository-auth': `${server.url} ${USER}:${SECRET}`
      })
    ]
  ])(
    'builds with %s and leaks the secret nowhere',
    async (_name, given) => {
      const run = await runAction(DIST, {
        // With a lock file too: it lists repositories, and must list them without credentials.
        inputs: inputs({
          ...given(),
          cache: 'true',
          output: 'image.tar',
          lock: 'witchery.lock.json'
        }),
        env: cache.env()
      })
      expect(run.stdout).not.toMatch(/::error/)
      expect(run.code).toBe(0)
      expect(JSON.parse(run.outputs.packages).length).toBe(2)
      expect(cache.entries.filter((e) => e.finalized).length).toBeGreaterThan(0)
      expect(imageRepositories(run.outputs.tarball)).toBe(`${repoUrl()}\n`)
      expect(run.stdout).toContain(`repositories: ${repoUrl()}`)
      const lock = fs.readFileSync(path.join(run.dir, 'workspace/witchery.lock.json'), 'utf8')
      expect(lock).toContain(repoUrl())
      expectNoSecretAnywhere(run)
    },
    120000
  )

  it('builds with WITCHERY_REPOSITORY_AUTH from the step env', async () => {
    const run = await runAction(DIST, {
      inputs: inputs({ repositories: repoUrl(), cache: 'false', output: 'image.tar' }),
      env: { WITCHERY_REPOSITORY_AUTH: `${server.url}/private ${USER}:${SECRET}` }
    })
    expect(run.code).toBe(0)
    expectNoSecretAnywhere(run)
  }, 120000)

  it('fails on a refused token with a message that names the host, not the token', async () => {
    const wrong = `${SECRET}-revoked`
    const run = await runAction(DIST, {
      inputs: inputs({
        repositories: repoUrl(),
        'repository-auth': `${server.url} ${USER}:${wrong}`,
        cache: 'false',
        output: 'image.tar'
      })
    })
    expect(run.code).not.toBe(0)
    expect(run.stdout).toMatch(/::error title=witchery%3A download failed::.*were refused/)
    expect(
      run.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::') && l.includes(wrong))
    ).toEqual([])
    expect(run.stdout).toContain(`::add-mask::${wrong}`)
    expect(fs.existsSync(path.join(run.dir, 'workspace/image.tar'))).toBe(false)
  }, 120000)

  it('fails without credentials, saying how to give them', async () => {
    const run = await runAction(DIST, {
      inputs: inputs({ repositories: repoUrl(), cache: 'false', output: 'image.tar' })
    })
    expect(run.code).not.toBe(0)
    expect(run.stdout).toMatch(
      /none are given for 127\.0\.0\.1:\d+; give them as `repository-auth`/
    )
  }, 120000)
})

function runCli(args: string[], env: Record<string, string>, cwd: string) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: work, ...env },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (c: Buffer) => out.push(c))
    child.stderr.on('data', (c: Buffer) => err.push(c))
    child.on('error', reject)
    child.on('close', (code) =>
      resolve({
        code: code ?? 128,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8')
      })
    )
  })
}

describe('the CLI with a private repository', () => {
  it.each([
    [
      'a repository URL with credentials',
      () => [repoUrl(`${USER}:${encodeURIComponent(SECRET)}`)],
      {}
    ],
    ['WITCHERY_REPOSITORY_AUTH', () => [repoUrl()], { auth: true }]
  ])(
    'builds from %s and leaks the secret nowhere',
    async (name, repositories, how) => {
      const dir = fs.mkdtempSync(path.join(work, 'cli-'))
      const env: Record<string, string> = { WITCHERY_DEBUG: '1' }
      if ('auth' in how) env.WITCHERY_REPOSITORY_AUTH = `${server.url} ${USER}:${SECRET}`
      const args = ['build', '--repositories', repositories()[0], '--keys', keysDir]
      args.push('--fetch-alpine-keys', 'false', '--arch', 'x86_64', '--source-date-epoch', '1')
      args.push('--cache-dir', path.join(dir, 'cache'), '--output', path.join(dir, 'image.tar'))
      args.push('ca-certificates-bundle')
      const run = await runCli(args, env, dir)
      expect({ name, code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({
        name,
        code: 0,
        stderr: ''
      })
      expect(found(run.stdout)).toEqual([])
      expect(found(run.stderr)).toEqual([])
      expect(fs.readdirSync(path.join(dir, 'cache/packages')).length).toBe(2)
      expect(imageRepositories(path.join(dir, 'image.tar'))).toBe(`${repoUrl()}\n`)
      expect(searchTree(dir)).toEqual([])
      expect(searchTar(path.join(dir, 'image.tar'), 'cli-tarball')).toEqual([])
    },
    120000
  )

  it('installs with `install` and WITCHERY_REPOSITORY_AUTH, and says so when it is malformed', async () => {
    const dir = fs.mkdtempSync(path.join(work, 'cli-install-'))
    const args = ['install', '--root', path.join(dir, 'root'), '--arch', 'x86_64']
    args.push('--repository', repoUrl(), '--keys-dir', keysDir, '--no-alpine-keys', 'musl')
    const host = new URL(server.url).host
    // Written as an http URL: a bare host's credentials go over https only.
    const auth = `http://${host} ${USER}:${SECRET}`
    const ok = await runCli(args, { WITCHERY_REPOSITORY_AUTH: auth }, dir)
    expect(ok.stderr).not.toMatch(/ERROR/)
    expect(ok.code).toBe(0)
    expect(fs.readFileSync(path.join(dir, 'root/etc/apk/repositories'), 'utf8')).toBe(
      `${repoUrl()}\n`
    )
    expect(searchTree(dir)).toEqual([])
    const bare = 'Zq8-4711-without-a-user'
    const bad = await runCli(args, { WITCHERY_REPOSITORY_AUTH: `${host} ${bare}` }, dir)
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/line 1 of WITCHERY_REPOSITORY_AUTH \(for 127\.0\.0\.1:\d+\)/)
    expect(bad.stderr + bad.stdout).not.toContain(bare)
  }, 120000)
})
