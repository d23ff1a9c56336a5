/**
 * The action's caches through the REAL @actions/cache, talking to a loopback fake of the cache
 * service v2: keys, miss → save → exact hit → prefix hit, entries valid across runner temp
 * folders, and cache trouble (500s, refusals, dropped connections, a bad token, no service)
 * turning into log lines, never into a thrown error.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { PackageCache } from '../src/apk/fetch/cache.js'
import { emptyPackageInfo, type RepoPackage } from '../src/apk/types.js'
import {
  BuildCache,
  cacheAvailable,
  indexCacheKeys,
  packageCacheKeys,
  type ResolvedArch
} from '../src/action/cache.js'
import { startCacheService, type CacheService } from './support/cache-service.js'
import { captureStdout, type StdoutCapture } from './support/stdout.js'

const REPOS = ['https://dl-cdn.alpinelinux.org/alpine/v3.22/main', '/srv/local-repo']
const DAY1 = new Date('2026-11-25T23:59:00Z')
const DAY2 = new Date('2026-11-26T00:01:00Z')

function pkg(name: string, checksum: string): RepoPackage {
  const info = { ...emptyPackageInfo(), size: 1, installedSize: 1, license: 'MIT' }
  return { ...info, checksum, name, version: '1.0-r0', repository: 0 }
}

/** Where the engine's PackageCache keeps a package: by identity. */
const fileOf = (checksum: string) =>
  path.relative('/c', new PackageCache('/c').packagePath(checksum))
const MUSL_FILE = fileOf('Q1aaa=')
const CURL_A_FILE = fileOf('Q1bbb=')
const CURL_B_FILE = fileOf('Q1ccc=')

const SET_A: ResolvedArch[] = [
  { arch: 'x86_64', packages: [pkg('musl', 'Q1aaa='), pkg('curl', 'Q1bbb=')] }
]
const SET_B: ResolvedArch[] = [
  { arch: 'x86_64', packages: [pkg('musl', 'Q1aaa='), pkg('curl', 'Q1ccc=')] }
]

let work: string
let service: CacheService
let savedEnv: NodeJS.ProcessEnv
let lines: string[]
let stdout: StdoutCapture

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-cache-'))
  service = await startCacheService()
})

afterAll(async () => {
  await service.close()
  fs.rmSync(work, { recursive: true, force: true })
})

beforeEach(() => {
  savedEnv = { ...process.env }
  for (const name of Object.keys(process.env)) {
    if (/^(ACTIONS_|GITHUB_|RUNNER_)/.test(name)) delete process.env[name]
  }
  Object.assign(process.env, service.env(), { RUNNER_TEMP: path.join(work, 'runner-temp') })
  stdout = captureStdout()
  lines = stdout.lines
})

afterEach(() => {
  stdout.restore()
  for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name]
  Object.assign(process.env, savedEnv)
  service.entries.length = 0
  service.calls.length = 0
})

/** A cache folder as the engine would leave it after fetching. */
function fillCacheDir(dir: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    fs.writeFileSync(path.join(dir, name), content)
  }
}

async function newCache(name: string, now = DAY1): Promise<{ cache: BuildCache; dir: string }> {
  const dir = path.join(work, name, 'witchery-cache')
  return {
    cache: await BuildCache.open(
      { arches: ['x86_64'], repositories: REPOS, cacheDir: dir },
      { now }
    ),
    dir
  }
}

describe('keys', () => {
  it('keys the indexes by arches, repositories and UTC day, restoring by the prefix before the day', () => {
    const keys = indexCacheKeys(['x86_64', 'aarch64'], REPOS, DAY1)
    expect(keys.primary).toMatch(/^witchery-index-v1-aarch64\+x86_64-[0-9a-f]{12}-20261125$/)
    expect(keys.restore).toEqual([keys.primary.slice(0, -'20261125'.length)])
    expect(indexCacheKeys(['aarch64', 'x86_64'], REPOS, DAY2).restore).toEqual(keys.restore)
    expect(indexCacheKeys(['x86_64', 'aarch64'], [REPOS[0]], DAY1).restore).not.toEqual(
      keys.restore
    )
  })

  it('keys the packages by the exact set of identities, in any order', () => {
    const keys = packageCacheKeys(['x86_64'], SET_A)
    expect(keys.primary).toMatch(/^witchery-pkgs-v1-x86_64-[0-9a-f]{64}$/)
    expect(keys.restore).toEqual(['witchery-pkgs-v1-x86_64-'])
    const reversed = [{ arch: 'x86_64', packages: [...SET_A[0].packages].reverse() }]
    expect(packageCacheKeys(['x86_64'], reversed).primary).toBe(keys.primary)
    expect(packageCacheKeys(['x86_64'], SET_B).primary).not.toBe(keys.primary)
  })
})

describe('restore and save against the cache service', () => {
  it('misses, saves, hits exactly in a fresh runner temp, then restores an older set by prefix', async () => {
    // Run 1: nothing cached yet.
    const first = await newCache('run1')
    expect(first.cache.enabled).toBe(true)
    await first.cache.restoreIndexes()
    await first.cache.restorePackages(SET_A)
    expect(first.cache.hit()).toBe('false')
    fillCacheDir(first.dir, {
      'indexes/x86_64/APKINDEX.abc.tar.gz': 'index bytes',
      [CURL_A_FILE]: 'curl bytes',
      [MUSL_FILE]: 'musl bytes'
    })
    await first.cache.save()
    expect(service.entries.map((e) => [e.key, e.finalized])).toEqual([
      [indexCacheKeys(['x86_64'], REPOS, DAY1).primary, true],
      [packageCacheKeys(['x86_64'], SET_A).primary, true]
    ])

    // Run 2, another runner temp folder: the same entries come back whole, nothing is saved again.
    service.calls.length = 0
    const second = await newCache('run2')
    await second.cache.restoreIndexes()
    await second.cache.restorePackages(SET_A)
    expect(
      fs.readFileSync(path.join(second.dir, 'indexes/x86_64/APKINDEX.abc.tar.gz'), 'utf8')
    ).toBe('index bytes')
    expect(fs.readFileSync(path.join(second.dir, CURL_A_FILE), 'utf8')).toBe('curl bytes')
    expect(second.cache.hit({ packagesDownloaded: 0 })).toBe('true')
    expect(second.cache.hit({ packagesDownloaded: 1 })).toBe('partial')
    await second.cache.save()
    expect(service.calls.filter((c) => c.operation === 'CreateCacheEntry')).toEqual([])
    expect(lines).toContain(
      `cache: packages unchanged (${packageCacheKeys(['x86_64'], SET_A).primary}), not saved again`
    )

    // Run 3, the next day with another package set: both restored by prefix, both saved anew.
    const third = await newCache('run3', DAY2)
    await third.cache.restoreIndexes()
    await third.cache.restorePackages(SET_B)
    expect(fs.existsSync(path.join(third.dir, MUSL_FILE))).toBe(true)
    expect(third.cache.hit({ packagesDownloaded: 1 })).toBe('partial')
    expect(lines.some((l) => l.startsWith('cache: packages restored from an older entry'))).toBe(
      true
    )
    fillCacheDir(third.dir, { [CURL_B_FILE]: 'new curl' })
    await third.cache.save()
    expect(service.entries.map((e) => e.key)).toEqual([
      indexCacheKeys(['x86_64'], REPOS, DAY1).primary,
      packageCacheKeys(['x86_64'], SET_A).primary,
      indexCacheKeys(['x86_64'], REPOS, DAY2).primary,
      packageCacheKeys(['x86_64'], SET_B).primary
    ])

    // Run 4: the new entry holds exactly the new set; run 1's curl was pruned before saving.
    const fourth = await newCache('run4', DAY2)
    await fourth.cache.restorePackages(SET_B)
    expect(fourth.cache.hit()).toBe('true')
    expect(fs.readdirSync(path.join(fourth.dir, 'packages')).sort()).toEqual(
      [path.basename(MUSL_FILE), path.basename(CURL_B_FILE)].sort()
    )
    expect(fs.readFileSync(path.join(fourth.dir, CURL_B_FILE), 'utf8')).toBe('new curl')
    expect(process.cwd()).toBe(path.resolve('.'))
    expect(process.env.GITHUB_WORKSPACE).toBeUndefined()
  }, 30000)

  // An entry any run of the repository can save made `packages` a link to the workspace: the
  // next run stored its downloads there, and its pruning deleted the workspace's own files.
  it('keeps of a restored entry only real folders and regular files', async () => {
    const victim = path.join(work, 'victim-workspace')
    fs.mkdirSync(victim)
    fs.writeFileSync(path.join(victim, 'important.txt'), 'keep me')
    // The hostile run saves its own entry, as any workflow of the repository can.
    const evilDir = path.join(work, 'evil', 'witchery-cache')
    fs.mkdirSync(evilDir, { recursive: true })
    fs.symlinkSync(victim, path.join(evilDir, 'packages'))
    const cwd = process.cwd()
    process.chdir(evilDir)
    process.env.GITHUB_WORKSPACE = evilDir
    try {
      const { saveCache } = await import('@actions/cache')
      await saveCache(['packages'], packageCacheKeys(['x86_64'], SET_A).primary)
    } finally {
      process.chdir(cwd)
      delete process.env.GITHUB_WORKSPACE
    }
    expect(service.entries.filter((e) => e.finalized)).toHaveLength(1)

    const honest = await newCache('honest')
    await honest.cache.restorePackages(SET_B)
    expect(fs.existsSync(path.join(honest.dir, 'packages'))).toBe(false)
    expect(
      lines.some((l) => /restored packages entry held 1 thing\(s\) witchery never/.test(l))
    ).toBe(true)
    await new PackageCache(honest.dir).writePackage('Q1ccc=', Buffer.from('curl'))
    await honest.cache.save()
    expect(fs.readdirSync(victim)).toEqual(['important.txt'])
    expect(fs.lstatSync(path.join(honest.dir, 'packages')).isDirectory()).toBe(true)
  })

  it('does not save an empty cache folder', async () => {
    const { cache } = await newCache('empty')
    await cache.restoreIndexes()
    await cache.restorePackages(SET_A)
    await cache.save()
    expect(service.entries).toEqual([])
  })
})

describe('cache trouble is never a failure', () => {
  async function seeded(name: string): Promise<void> {
    const { cache, dir } = await newCache(`${name}-seed`)
    await cache.restorePackages(SET_A)
    fillCacheDir(dir, { [MUSL_FILE]: 'musl bytes' })
    await cache.save()
    expect(service.entries).toHaveLength(1)
  }

  it('a 500 on download: a logged failure, a miss, no throw', async () => {
    await seeded('500')
    service.fault('download', { status: 500 })
    const { cache, dir } = await newCache('500')
    await cache.restorePackages(SET_A)
    expect(cache.hit()).toBe('false')
    expect(fs.existsSync(path.join(dir, MUSL_FILE))).toBe(false)
    expect(lines.some((l) => /^::(warning|error)::Failed to restore: .*500/.test(l))).toBe(true)
    expect(lines.some((l) => l.startsWith('::error::') && !/Failed to restore/.test(l))).toBe(false)
  })

  it('a refused reservation ({ok: false}): not saved, no throw', async () => {
    service.fault('CreateCacheEntry', { ok: false, message: 'quota exceeded' })
    const { cache, dir } = await newCache('refused')
    await cache.restorePackages(SET_A)
    fillCacheDir(dir, { [MUSL_FILE]: 'musl bytes' })
    await cache.save()
    expect(service.entries).toEqual([])
    expect(lines).toContain('::warning::Cache reservation failed: quota exceeded')
  })

  it('a dropped connection while finalising: a warning, no throw', async () => {
    service.fault('FinalizeCacheEntryUpload', { drop: true })
    const { cache, dir } = await newCache('dropped')
    await cache.restorePackages(SET_A)
    fillCacheDir(dir, { [MUSL_FILE]: 'musl bytes' })
    await cache.save()
    expect(service.entries.filter((e) => e.finalized)).toEqual([])
    expect(lines.some((l) => /^::warning::Failed to save: .*ECONNRESET/.test(l))).toBe(true)
  })

  it('a wrong token: the service says 401, restore and save only warn', async () => {
    process.env.ACTIONS_RUNTIME_TOKEN = 'not-the-token'
    const { cache, dir } = await newCache('token')
    await cache.restorePackages(SET_A)
    fillCacheDir(dir, { [MUSL_FILE]: 'musl bytes' })
    await cache.save()
    expect(service.calls.every((c) => c.status === 401)).toBe(true)
    expect(service.entries).toEqual([])
    expect(lines.some((l) => /^::warning::Failed to restore: .*401/.test(l))).toBe(true)
    // The library reports a refused reservation as "another job may be creating this cache".
    expect(lines.some((l) => /^Failed to save: Unable to reserve cache/.test(l))).toBe(true)
  })

  it('an exception from the library (an invalid key) becomes our warning', async () => {
    const cache = await BuildCache.open({
      arches: ['x86_64,aarch64'],
      repositories: REPOS,
      cacheDir: path.join(work, 'comma')
    })
    await cache.restoreIndexes()
    expect(
      lines.some((l) =>
        /^::warning::cache: could not restore indexes, building without them: .*comma/i.test(l)
      )
    ).toBe(true)
  })
})

describe('no cache service', () => {
  it('outside GitHub: one debug line, then nothing is restored or saved', async () => {
    delete process.env.ACTIONS_RESULTS_URL
    delete process.env.ACTIONS_CACHE_URL
    expect(await cacheAvailable()).toBe(false)
    expect(lines).toEqual([expect.stringMatching(/^::debug::cache: no Actions cache service here/)])
    const { cache, dir } = await newCache('offline')
    expect(cache.enabled).toBe(false)
    await cache.restoreIndexes()
    await cache.restorePackages(SET_A)
    fillCacheDir(dir, { [MUSL_FILE]: 'musl bytes' })
    await cache.save()
    expect(cache.hit()).toBe('false')
    expect(service.calls).toEqual([])
    expect(
      lines.filter((l) => l.startsWith('::debug::cache: no Actions cache service'))
    ).toHaveLength(2)
  })

  it('with the cache input off: no service call at all', async () => {
    const cache = await BuildCache.open({
      arches: ['x86_64'],
      repositories: REPOS,
      cacheDir: undefined
    })
    expect(cache.enabled).toBe(false)
    await cache.restoreIndexes()
    await cache.restorePackages(SET_A)
    await cache.save()
    expect(service.calls).toEqual([])
    expect(lines).toEqual([])
  })
})

describe('the fake service itself', () => {
  it('assembles a blob from staged blocks and a block list', async () => {
    const headers = { authorization: `Bearer ${service.token}`, 'content-type': 'application/json' }
    const twirp = async (op: string, body: object) =>
      (await (
        await fetch(`${service.url}/twirp/github.actions.results.api.v1.CacheService/${op}`, {
          method: 'POST',
          headers,
          body: JSON.stringify(body)
        })
      ).json()) as Record<string, string>
    const created = await twirp('CreateCacheEntry', { key: 'k', version: 'v' })
    const upload = created.signed_upload_url
    for (const [id, part] of [
      ['QQ==', 'hello '],
      ['Qg==', 'blocks']
    ]) {
      const res = await fetch(`${upload}&comp=block&blockid=${encodeURIComponent(id)}`, {
        method: 'PUT',
        body: part
      })
      expect(res.status).toBe(201)
    }
    const list =
      '<?xml version="1.0"?><BlockList><Latest>QQ==</Latest><Latest>Qg==</Latest></BlockList>'
    expect((await fetch(`${upload}&comp=blocklist`, { method: 'PUT', body: list })).status).toBe(
      201
    )
    expect(
      (await twirp('FinalizeCacheEntryUpload', { key: 'k', version: 'v', size_bytes: '12' })).ok
    ).toBe(true)
    const found = await twirp('GetCacheEntryDownloadURL', {
      key: 'x',
      restore_keys: ['k'],
      version: 'v'
    })
    expect(found.matched_key).toBe('k')
    expect(await (await fetch(found.signed_download_url)).text()).toBe('hello blocks')
  })
})
