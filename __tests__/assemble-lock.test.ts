/**
 * The lock file and the offline fallback, on real signed repositories served on 127.0.0.1: a
 * mirror that moves from one repository to another (the locked hello 1.0 gone, 1.1 in its
 * place), then goes down. The lock pins the image through both; lock-update moves on; digests
 * stay equal where the lock says they must.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { FetchError } from '../src/apk/errors.js'
import { HttpTransport } from '../src/apk/fetch/transport.js'
import type { Logger } from '../src/apk/types.js'
import { build } from '../src/assemble/build.js'
import { BuildError, InputError, LockError } from '../src/assemble/errors.js'
import {
  diffLocks,
  formatLock,
  lockRepository,
  parseLock,
  readLock,
  type Lock
} from '../src/assemble/lock.js'
import type { BuildResult, BuildSpec } from '../src/assemble/spec.js'
import { buildApk } from './support/apk-builder.js'
import { generateSigningKey, writeKeysDir } from './support/keys.js'
import { baselayoutDataPackage, helloPackage, muslPackage, synthetic } from './support/packages.js'
import { buildRepository } from './support/repo-builder.js'
import { startServer, type TestServer } from './support/http-server.js'

const EPOCH = 1750000000

let work: string
let keysDir: string
let server: TestServer
let mirrorUrl: string
let repoA: string
let repoB: string

function tmp(name: string): string {
  return path.join(work, name)
}

/** What the mirror serves now: repository A (hello 1.0) or B (hello 1.1 only). */
function serve(repo: string): void {
  const dest = tmp('mirror/x86_64')
  fs.rmSync(dest, { recursive: true, force: true })
  fs.cpSync(path.join(repo, 'x86_64'), dest, { recursive: true })
}

interface Run {
  result: BuildResult
  warnings: string[]
}

async function run(extra: Partial<BuildSpec> = {}, cache = 'cache'): Promise<Run> {
  const warnings: string[] = []
  const logger: Logger = { info: () => {}, warning: (m) => warnings.push(m), debug: () => {} }
  const spec: BuildSpec = {
    packages: ['hello'],
    arches: ['x86_64'],
    repositories: [mirrorUrl],
    keyFiles: [],
    keyDirs: [keysDir],
    fetchAlpineKeys: false,
    allowUntrusted: false,
    image: { env: [], user: 'nonroot', labels: {}, annotations: {} },
    tags: ['witchery-test:lock'],
    output: tmp(`out/${Math.random().toString(36).slice(2)}.tar`),
    sourceDateEpoch: EPOCH,
    cacheDir: tmp(cache),
    lock: { path: tmp('ws/witchery.lock.json'), update: false },
    layers: 4,
    sbom: ['spdx', 'cyclonedx'],
    ...extra
  }
  // Few, short retries: a mirror that is down is down.
  const transport = new HttpTransport({ retries: 1, backoffMs: 5 })
  try {
    const result = await build(spec, { logger, engine: { transport } })
    return { result, warnings }
  } finally {
    transport.close()
  }
}

function lockText(): string {
  return fs.readFileSync(tmp('ws/witchery.lock.json'), 'utf8')
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-lock-'))
  const key = generateSigningKey()
  keysDir = tmp('keys')
  writeKeysDir(keysDir, [key])
  const common = [muslPackage(), baselayoutDataPackage(), synthetic('extra')].map((s) =>
    buildApk(s, key)
  )
  const hello10 = buildApk(helloPackage('1.0-r0'), key)
  const hello11 = buildApk(helloPackage('1.1-r0'), key)
  repoA = buildRepository(tmp('repo-a'), 'x86_64', [...common, hello10], key, {
    description: 'v3.22.1-0-ga'
  }).url
  repoB = buildRepository(tmp('repo-b'), 'x86_64', [...common, hello11], key, {
    description: 'v3.22.2-0-gb'
  }).url
  fs.mkdirSync(tmp('mirror'))
  serve(repoA)
  server = await startServer({ root: tmp('mirror') })
  mirrorUrl = `${server.url}/`
}, 120000)

afterAll(async () => {
  await server?.close()
  if (work) fs.rmSync(work, { recursive: true, force: true })
})

describe('a lock through a mirror that moves on, then goes down', () => {
  let first: Run
  let firstLock: string

  beforeAll(async () => {
    serve(repoA)
    first = await run()
    firstLock = lockText()
  }, 60000)

  it('writes the lock after the first build: sorted, one package per line, no surprises', () => {
    expect(first.result.lock?.status).toBe('written')
    const lines = firstLock.split('\n')
    const packageLines = lines.filter((l) => l.includes('"checksum"'))
    expect(packageLines.map((l) => JSON.parse(l.trim().replace(/,$/, '')).name)).toEqual([
      'alpine-baselayout-data',
      'hello',
      'musl'
    ])
    expect(firstLock).toContain('"alpine": "3.22.1"')
    expect(firstLock).toMatch(/"name":"hello","version":"1\.0-r0","checksum":"Q1[^"]+"/)
    expect(firstLock).toContain(`"repository":"${mirrorUrl}"`)
    expect(first.result.lock?.changes.map((c) => `${c.name} ${c.change} ${c.to}`)).toEqual([
      'alpine-baselayout-data added 3.6.8-r1',
      'hello added 1.0-r0',
      'musl added 1.2.3-r0'
    ])
  })

  it('gives the same digest again from the lock, and leaves the lock as it was', async () => {
    const again = await run()
    expect(again.result.lock?.status).toBe('used')
    expect(again.result.digest).toBe(first.result.digest)
    expect(lockText()).toBe(firstLock)
  })

  it('pins the locked hello 1.0 from the cache after the mirror dropped it', async () => {
    serve(repoB)
    const unlocked = await run({ lock: undefined })
    expect(unlocked.result.arches[0].packages.find((p) => p.name === 'hello')?.version).toBe(
      '1.1-r0'
    )
    const locked = await run()
    expect(locked.result.digest).toBe(first.result.digest)
    expect(locked.result.arches[0].packages.find((p) => p.name === 'hello')?.version).toBe('1.0-r0')
    expect(locked.warnings.join('\n')).toMatch(/hello-1\.0-r0 is no longer in .*cached copy/)
    expect(lockText()).toBe(firstLock)
  }, 60000)

  it('fails naming the package and lock-update when the cache does not hold it', async () => {
    serve(repoB)
    const error = await run({}, 'empty-cache').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(LockError)
    expect((error as LockError).packages).toEqual(['hello-1.0-r0'])
    expect((error as Error).message).toMatch(/hello-1\.0-r0 is no longer in the repositories/)
    expect((error as Error).message).toContain('lock-update: true')
  })

  it('fails when `packages` asks for what the lock does not hold, and when it holds more', async () => {
    serve(repoB)
    const more = await run({ packages: ['hello', 'extra'] }).catch((e: unknown) => e)
    expect(more).toBeInstanceOf(LockError)
    expect((more as Error).message).toMatch(/not satisfied by the locked packages/)
    expect((more as Error).message).toMatch(/extra/)
    expect((more as Error).message).toContain('lock-update')
    const fewer = await run({ packages: ['musl'] }).catch((e: unknown) => e)
    expect(fewer).toBeInstanceOf(LockError)
    expect((fewer as Error).message).toMatch(/holds .*hello-1\.0-r0.*no longer need/)
  })

  // Such a lock was once found unwritable after the tarball and SBOMs were written, failing a
  // finished build and leaving them behind.
  it('checks that a lock it will write can be written before anything is fetched', async () => {
    serve(repoB)
    const output = tmp('out/unwritable-lock.tar')
    for (const update of [true, false]) {
      const lock = { path: '/proc/witchery-test/witchery.lock.json', update }
      const error = await run({ lock, output }, 'unwritable-lock-cache').catch((e: unknown) => e)
      expect(error).toBeInstanceOf(BuildError)
      expect((error as BuildError).input).toBe('lock')
      expect((error as Error).message).toMatch(
        /cannot write the lock file '\/proc\/witchery-test\/witchery\.lock\.json': .+ Give a path in a writable folder/
      )
      expect(fs.existsSync(output)).toBe(false)
      expect(fs.existsSync(tmp('unwritable-lock-cache'))).toBe(false)
    }
  })

  describe('lock-update', () => {
    let updated: Run

    beforeAll(async () => {
      serve(repoB)
      updated = await run({ lock: { path: tmp('ws/witchery.lock.json'), update: true } })
    }, 60000)

    it('resolves afresh, rewrites the lock and lists what changed', () => {
      expect(updated.result.lock?.status).toBe('updated')
      expect(updated.result.lock?.changes).toEqual([
        { arch: 'x86_64', name: 'hello', change: 'upgraded', from: '1.0-r0', to: '1.1-r0' }
      ])
      expect(lockText()).toMatch(/"name":"hello","version":"1\.1-r0"/)
      expect(lockText()).toContain('"alpine": "3.22.2"')
      expect(updated.result.digest).not.toBe(first.result.digest)
    })

    it('builds from the cache with a warning when the mirror is down, to the same digest', async () => {
      await server.close()
      const offline = await run()
      expect(offline.result.digest).toBe(updated.result.digest)
      expect(offline.result.fetch.indexesOffline).toBe(1)
      expect(offline.result.fetch.packagesDownloaded).toBe(0)
      expect(offline.warnings.join('\n')).toMatch(/cannot be reached; using its cached index/)
      // Without the index in the cache, the download error stands.
      const cold = await run({}, 'cold-cache').catch((e: unknown) => e)
      expect(cold).toBeInstanceOf(FetchError)
    }, 60000)
  })
})

describe('the lock file format', () => {
  const Q1M = `Q1${'m'.repeat(27)}=`
  const Q1H = `Q1${'h'.repeat(27)}=`
  const lock: Lock = {
    world: ['hello'],
    arches: {
      x86_64: {
        alpine: '3.22.2',
        packages: [
          { name: 'musl', version: '1.2.5-r10', checksum: Q1M, repository: 'https://a/main' },
          { name: 'hello', version: '1.1-r0', checksum: Q1H, repository: 'https://a/main' }
        ]
      },
      aarch64: { packages: [] }
    }
  }

  it('is sorted JSON with one package per line that reads back to the same lock', () => {
    const text = formatLock(lock)
    expect(text.split('\n').filter((l) => l.includes('"checksum"'))).toEqual([
      `        {"name":"hello","version":"1.1-r0","checksum":"${Q1H}","repository":"https://a/main"},`,
      `        {"name":"musl","version":"1.2.5-r10","checksum":"${Q1M}","repository":"https://a/main"}`
    ])
    expect(text.indexOf('"aarch64"')).toBeLessThan(text.indexOf('"x86_64"'))
    const back = parseLock(text, 'lock.json')
    expect(formatLock(back)).toBe(text)
    expect(back.arches.x86_64.packages.map((p) => p.name)).toEqual(['hello', 'musl'])
  })

  it('never holds credentials: URLs lose their userinfo, local paths are relative', () => {
    expect(lockRepository('https://ci:s3cret@apk.example.com/main', '/ws/w.lock')).toBe(
      'https://apk.example.com/main'
    )
    expect(lockRepository('@testing https://apk.example.com/testing', '/ws/w.lock')).toBe(
      'https://apk.example.com/testing'
    )
    expect(lockRepository('/ws/packages/local', '/ws/w.lock')).toBe('packages/local')
  })

  it('lists added, removed, upgraded, downgraded and rebuilt packages', () => {
    const entry = (name: string, version: string, checksum = `Q1${name}${version}=`) => ({
      name,
      version,
      checksum,
      repository: 'r'
    })
    const before: Lock = {
      world: [],
      arches: {
        x86_64: {
          packages: [
            entry('a', '1.0'),
            entry('b', '2.0'),
            entry('c', '1.0'),
            entry('d', '1', 'Q1x')
          ]
        }
      }
    }
    const after: Lock = {
      world: [],
      arches: {
        x86_64: {
          packages: [entry('b', '1.9'), entry('c', '1.1'), entry('d', '1', 'Q1y'), entry('e', '1')]
        }
      }
    }
    expect(diffLocks(before, after).map((c) => `${c.name}:${c.change}`)).toEqual([
      'a:removed',
      'b:downgraded',
      'c:upgraded',
      'd:rebuilt',
      'e:added'
    ])
  })

  it('refuses a file that is not a lock, naming it and the fix', async () => {
    const file = path.join(work, 'bad.lock.json')
    fs.writeFileSync(file, '{"lockVersion": 1, "packages": "hello"}')
    const error = await readLock(file).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InputError)
    expect((error as Error).message).toContain(file)
    expect((error as Error).message).toMatch(/lock-update: true/)
    await expect(readLock(path.join(work, 'absent.json'))).resolves.toBeUndefined()
  })

  // Found by review: a name with ../ made a local repository's package path reach outside it,
  // and an `alpine` with a line break wrote its own line into /etc/os-release.
  it.each([
    [{ name: '../../../outside/secret' }, /package #1: `name` is not a package name/],
    [{ version: '1/../2' }, /package #1: `version` is not a package version/],
    [{ checksum: 'Q1short=' }, /package #1: `checksum` is not an apk identity/],
    [{ alpine: '3.22.2\nID=debian' }, /`alpine` is not an Alpine release such as 3\.22\.2/]
  ])('refuses a lock whose fields could reach further than a package (%j)', (edit, message) => {
    const text = formatLock(lock)
    const json = JSON.parse(text) as { arches: { x86_64: { alpine?: string; packages: object[] } } }
    const x86 = json.arches.x86_64
    if ('alpine' in edit) x86.alpine = edit.alpine
    else x86.packages[0] = { ...x86.packages[0], ...edit }
    expect(() => parseLock(JSON.stringify(json), 'lock.json')).toThrow(message)
  })
})
