/**
 * Fetching indexes and packages from real signed repositories: built on disk by the test
 * support builders, served over HTTP on 127.0.0.1 by a server that can inject faults.
 */
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as http from 'node:http'
import * as net from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import { PackageCache } from '../src/apk/fetch/cache.js'
import {
  FetchError,
  IndexSignatureError,
  InvalidArgumentError,
  PackageIntegrityError
} from '../src/apk/errors.js'
import {
  fetchIndexes,
  MAX_INDEX_BYTES,
  newFetchStats,
  type FetchStats
} from '../src/apk/fetch/fetch.js'
import { fetchPackages } from '../src/apk/fetch/fetch-packages.js'
import { Keyring } from '../src/apk/keys/keyring.js'
import { indexUrl, packageUrl, parseRepository } from '../src/apk/fetch/repository.js'
import { HttpTransport } from '../src/apk/fetch/transport.js'
import type { Logger, RepoPackage, Repository, RepositoryIndex } from '../src/apk/types.js'
import { buildApk, type BuiltApk } from './support/apk-builder.js'
import { startProxy, startServer, type TestServer } from './support/http-server.js'
import { generateSigningKey, writeKeysDir } from './support/keys.js'
import { buildRepository } from './support/repo-builder.js'
import { rejection } from './support/failures.js'

const ARCH = 'x86_64'

let work: string
let keyring: Keyring
let server: TestServer
let apks: BuiltApk[]
let otherApks: BuiltApk[]
let remote: Repository
let local: Repository
const transports: HttpTransport[] = []

function transport(options: ConstructorParameters<typeof HttpTransport>[0] = {}): HttpTransport {
  const t = new HttpTransport({ backoffMs: 5, timeoutMs: 2000, retries: 3, env: {}, ...options })
  transports.push(t)
  return t
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-fetch-'))
  const key = generateSigningKey()
  const keysDir = path.join(work, 'keys')
  writeKeysDir(keysDir, [key])
  keyring = await Keyring.load({ keysDir })
  apks = [
    buildApk(
      {
        name: 'hello',
        version: '1.0-r0',
        arch: ARCH,
        depends: ['libgreet'],
        files: [{ path: 'usr/bin/hello', content: '#!/bin/sh\necho hello\n', mode: 0o755 }]
      },
      key
    ),
    buildApk(
      {
        name: 'libgreet',
        version: '2.1-r3',
        arch: ARCH,
        files: [{ path: 'usr/lib/libgreet.so.2', content: Buffer.alloc(20000, 7) }]
      },
      key
    ),
    buildApk(
      { name: 'greet-meta', version: '1-r0', arch: ARCH, depends: ['hello'], files: [] },
      key
    ),
    ...Array.from({ length: 6 }, (_, i) =>
      buildApk(
        {
          name: `extra${i}`,
          version: '0.1-r0',
          arch: ARCH,
          files: [{ path: `usr/share/extra${i}/data`, content: `extra ${i}\n`.repeat(100) }]
        },
        key
      )
    )
  ]
  // A second repository sharing `libgreet` (same identity) and adding one package of its own.
  otherApks = [
    apks[1],
    buildApk(
      {
        name: 'only-in-other',
        version: '3-r0',
        arch: ARCH,
        files: [{ path: 'etc/other', content: 'x' }]
      },
      key
    )
  ]
  buildRepository(path.join(work, 'www', 'main'), ARCH, apks, key, { description: 'main test' })
  buildRepository(path.join(work, 'www', 'other'), ARCH, otherApks, key)
  server = await startServer({ root: path.join(work, 'www') })
  remote = parseRepository(`${server.url}/main`, 0)
  local = parseRepository(path.join(work, 'www', 'other'), 1)
})

afterAll(async () => {
  await server?.close()
  fs.rmSync(work, { recursive: true, force: true })
})

afterEach(() => {
  server.clearFaults()
  for (const t of transports.splice(0)) t.close()
})

function freshCache(): PackageCache {
  return new PackageCache(fs.mkdtempSync(path.join(work, 'cache-')))
}

function requestsSince(mark: number): typeof server.requests {
  return server.requests.slice(mark)
}

function findPackage(indexes: RepositoryIndex[], name: string): RepoPackage {
  const pkg = indexes.flatMap((i) => i.packages).find((p) => p.name === name)
  if (!pkg) throw new Error(`no ${name} in the indexes`)
  return pkg
}

const recordingLogger = (): Logger & { lines: string[] } => {
  const lines: string[] = []
  return {
    lines,
    info: (m) => lines.push(`info ${m}`),
    warning: (m) => lines.push(`warning ${m}`),
    debug: (m) => lines.push(`debug ${m}`)
  }
}

describe('fetchIndexes', () => {
  test('remote and local repositories, verified, in configured order', async () => {
    const stats = newFetchStats()
    const indexes = await fetchIndexes([remote, local], ARCH, {
      transport: transport(),
      keyring,
      stats
    })
    expect(indexes.map((i) => i.repository)).toEqual([remote, local])
    expect(indexes[0].description).toBe('main test')
    expect(indexes[0].packages.map((p) => p.name).sort()).toEqual(
      apks.map((a) => a.info.name).sort()
    )
    expect(indexes[0].signer).toBeDefined()
    expect(findPackage(indexes, 'only-in-other').repository).toBe(1)
    expect(stats.indexesDownloaded).toBe(1) // the local index is read, not downloaded
    expect(stats.downloadedBytes).toBe(
      fs.statSync(path.join(work, 'www/main', ARCH, 'APKINDEX.tar.gz')).size
    )
  })

  test('an identity offered by two repositories belongs to the first one', async () => {
    const indexes = await fetchIndexes([remote, local], ARCH, { transport: transport(), keyring })
    const libgreet = indexes[1].packages.find((p) => p.name === 'libgreet')
    expect(libgreet?.checksum).toBe(apks[1].info.checksum)
    expect(libgreet?.repository).toBe(0)
    const swapped = await fetchIndexes(
      [parseRepository(local.url, 0), parseRepository(remote.url, 1)],
      ARCH,
      { transport: transport(), keyring }
    )
    expect(swapped[1].packages.find((p) => p.name === 'libgreet')?.repository).toBe(0)
    expect(swapped[1].packages.find((p) => p.name === 'hello')?.repository).toBe(1)
  })

  test('a missing index names the repository and arch (remote 404, and local)', async () => {
    const mark = server.requests.length
    const error = await rejection(
      fetchIndexes([remote], 'aarch64', { transport: transport(), keyring })
    )
    expect(error).toBeInstanceOf(FetchError)
    expect(error.message).toContain(`no index at ${server.url}/main/aarch64/APKINDEX.tar.gz`)
    expect(error.message).toContain('is aarch64 built in this repository')
    expect(requestsSince(mark)).toHaveLength(1) // a 404 is not retried
    const localError = await rejection(fetchIndexes([local], 'aarch64', { keyring }))
    expect(localError).toBeInstanceOf(FetchError)
    expect(localError.message).toContain(`no index at ${local.url}/aarch64/APKINDEX.tar.gz`)
  })

  test('a local index that is a FIFO, a device, a folder or too large is refused, never read', async () => {
    const cases: [string, (file: string) => void, RegExp][] = [
      ['fifo', (file) => execFileSync('mkfifo', [file]), /is not a regular file/],
      ['device', (file) => fs.symlinkSync('/dev/zero', file), /is not a regular file/],
      ['folder', (file) => fs.mkdirSync(file), /is not a regular file/],
      [
        'large',
        (file) => {
          fs.writeFileSync(file, '')
          fs.truncateSync(file, MAX_INDEX_BYTES + 1)
        },
        new RegExp(`is ${MAX_INDEX_BYTES + 1} bytes, more than the ${MAX_INDEX_BYTES}`)
      ]
    ]
    for (const [name, make, message] of cases) {
      const dir = path.join(work, `odd-index-${name}`, ARCH)
      fs.mkdirSync(dir, { recursive: true })
      make(path.join(dir, 'APKINDEX.tar.gz'))
      const repository = parseRepository(path.dirname(dir), 0)
      const error = await rejection(fetchIndexes([repository], ARCH, { keyring }))
      expect(error).toBeInstanceOf(FetchError)
      expect(error.message).toMatch(message)
      expect(error.message).toContain(path.join(dir, 'APKINDEX.tar.gz'))
    }
  })

  test('an index signed by an unknown key is refused and not cached', async () => {
    // Same key material under another name: apk trusts keys by file name, so this must fail.
    const strangerDir = path.join(work, 'stranger-keys')
    writeKeysDir(strangerDir, [generateSigningKey()])
    const stranger = await Keyring.load({ keysDir: strangerDir })
    const cache = freshCache()
    await expect(
      fetchIndexes([remote], ARCH, { transport: transport(), keyring: stranger, cache })
    ).rejects.toThrow(IndexSignatureError)
    expect(await cache.readIndex(indexUrl(remote, ARCH))).toBeUndefined()
  })

  test('warm cache: revalidated with If-None-Match, answered 304, no body downloaded', async () => {
    const cache = freshCache()
    const first = newFetchStats()
    await fetchIndexes([remote], ARCH, { transport: transport(), keyring, cache, stats: first })
    expect(first.indexesDownloaded).toBe(1)
    const cached = await cache.readIndex(indexUrl(remote, ARCH))
    expect(cached?.etag).toBeDefined()

    const mark = server.requests.length
    const second = newFetchStats()
    const indexes = await fetchIndexes([remote], ARCH, {
      transport: transport(),
      keyring,
      cache,
      stats: second
    })
    expect(indexes[0].packages).toHaveLength(apks.length)
    const [request] = requestsSince(mark)
    expect(request.headers['if-none-match']).toBe(cached?.etag)
    expect(request.status).toBe(304)
    expect(second).toEqual({ ...newFetchStats(), indexesRevalidated: 1 })
    // Revalidation refreshed the entry's age.
    const after = await cache.readIndex(indexUrl(remote, ARCH))
    expect(after?.fetchedAt).toBeGreaterThanOrEqual(cached?.fetchedAt ?? Infinity)
  })

  test('within maxAgeSeconds the cached index is used without a request', async () => {
    const cache = freshCache()
    await fetchIndexes([remote], ARCH, { transport: transport(), keyring, cache })
    const mark = server.requests.length
    const indexes = await fetchIndexes([remote], ARCH, {
      transport: transport(),
      keyring,
      cache,
      maxAgeSeconds: 3600
    })
    expect(indexes[0].packages).toHaveLength(apks.length)
    expect(requestsSince(mark)).toHaveLength(0)
  })

  // A restored entry that says it was fetched in years to come kept an old index in use on
  // every run, never revalidated.
  test('a fetch time to come is no reason to skip asking the server', async () => {
    const cache = freshCache()
    const url = indexUrl(remote, ARCH)
    await fetchIndexes([remote], ARCH, { transport: transport(), keyring, cache })
    const good = await cache.readIndex(url)
    await cache.writeIndex(url, good!.bytes, { etag: good!.etag, fetchedAt: Date.now() + 1e12 })
    for (const maxAgeSeconds of [undefined, 3600]) {
      const mark = server.requests.length
      await fetchIndexes([remote], ARCH, { transport: transport(), keyring, cache, maxAgeSeconds })
      expect(requestsSince(mark)).toHaveLength(1)
      await cache.writeIndex(url, good!.bytes, { etag: good!.etag, fetchedAt: Date.now() + 1e12 })
    }
  })

  test('a corrupt cached index is refetched, never trusted', async () => {
    const cache = freshCache()
    const url = indexUrl(remote, ARCH)
    await fetchIndexes([remote], ARCH, { transport: transport(), keyring, cache })
    const good = await cache.readIndex(url)
    // Same ETag, so the server answers 304; the bytes, though, no longer verify.
    const tampered = Buffer.from(good!.bytes)
    tampered[tampered.length - 20] ^= 0xff
    await cache.writeIndex(url, tampered, { etag: good!.etag, lastModified: good!.lastModified })

    const mark = server.requests.length
    const logger = recordingLogger()
    const stats = newFetchStats()
    const indexes = await fetchIndexes([remote], ARCH, {
      transport: transport(),
      keyring,
      cache,
      logger,
      stats
    })
    expect(indexes[0].packages).toHaveLength(apks.length)
    const requests = requestsSince(mark)
    expect(requests.map((r) => r.status)).toEqual([304, 200])
    expect(requests[1].headers['if-none-match']).toBeUndefined()
    expect(stats.indexesDownloaded).toBe(1)
    expect(logger.lines.some((l) => /cached index failed verification/.test(l))).toBe(true)
    expect((await cache.readIndex(url))?.bytes.equals(good!.bytes)).toBe(true)
  })

  test('a corrupt cached index within maxAge is also refetched', async () => {
    const cache = freshCache()
    const url = indexUrl(remote, ARCH)
    await cache.writeIndex(url, Buffer.from('not an index at all'), { etag: '"junk"' })
    const mark = server.requests.length
    const indexes = await fetchIndexes([remote], ARCH, {
      transport: transport(),
      keyring,
      cache,
      maxAgeSeconds: 3600
    })
    expect(indexes[0].packages).toHaveLength(apks.length)
    expect(requestsSince(mark).map((r) => [r.status, r.headers['if-none-match']])).toEqual([
      [200, undefined]
    ])
  })

  test('5xx on the index: retried, then succeeds', async () => {
    server.fault(/APKINDEX/, { status: 503 }, 2)
    const mark = server.requests.length
    const indexes = await fetchIndexes([remote], ARCH, { transport: transport(), keyring })
    expect(indexes[0].packages).toHaveLength(apks.length)
    expect(requestsSince(mark).map((r) => r.status)).toEqual([503, 503, 200])
  })

  test('5xx forever: a FetchError naming the index URL after the retries', async () => {
    server.fault(/APKINDEX/, { status: 500 }, Infinity)
    const error = await rejection(
      fetchIndexes([remote], ARCH, { transport: transport({ retries: 2 }), keyring })
    )
    expect(error).toBeInstanceOf(FetchError)
    expect(error.message).toContain(indexUrl(remote, ARCH))
    expect(error.message).toMatch(/after 3 attempts/)
  })
})

describe('fetchPackages', () => {
  let indexes: RepositoryIndex[]
  let wanted: RepoPackage[]

  beforeAll(async () => {
    indexes = await fetchIndexes([remote], ARCH, { transport: transport(), keyring })
    wanted = ['hello', 'libgreet', 'greet-meta'].map((n) => findPackage(indexes, n))
  })

  test('downloads and verifies; skips meta packages; a warm cache serves the second run', async () => {
    const cache = freshCache()
    const progress: [number, number, number][] = []
    const stats = newFetchStats()
    const mark = server.requests.length
    const files = await fetchPackages(wanted, [remote], ARCH, {
      transport: transport(),
      cache,
      stats,
      onProgress: (done, total, bytes) => progress.push([done, total, bytes])
    })
    const meta = findPackage(indexes, 'greet-meta')
    expect(meta.installedSize).toBe(0)
    expect([...files.keys()].sort()).toEqual([wanted[0].checksum, wanted[1].checksum].sort())
    const hello = files.get(wanted[0].checksum)
    expect(hello?.info.name).toBe('hello')
    expect(hello?.entries.map((e) => e.name)).toContain('usr/bin/hello')
    expect(
      requestsSince(mark)
        .map((r) => r.path)
        .sort()
    ).toEqual([`/main/${ARCH}/hello-1.0-r0.apk`, `/main/${ARCH}/libgreet-2.1-r3.apk`].sort())
    const sizes = wanted[0].size + wanted[1].size
    expect(stats).toEqual({ ...newFetchStats(), packagesDownloaded: 2, downloadedBytes: sizes })
    expect(progress.map(([d, t]) => [d, t])).toEqual([
      [1, 2],
      [2, 2]
    ])
    expect(progress[1][2]).toBe(sizes)

    const again = newFetchStats()
    const mark2 = server.requests.length
    const cachedFiles = await fetchPackages(wanted, [remote], ARCH, {
      transport: transport(),
      cache,
      stats: again
    })
    expect(cachedFiles.size).toBe(2)
    expect(requestsSince(mark2)).toHaveLength(0)
    expect(again).toEqual({ ...newFetchStats(), packagesFromCache: 2 })
  })

  test('local repositories are read from disk and verified', async () => {
    const localIndexes = await fetchIndexes([local], ARCH, { keyring })
    const pkgs = localIndexes[0].packages
    const mark = server.requests.length
    const files = await fetchPackages(pkgs, [local], ARCH, {})
    expect(files.size).toBe(2)
    expect(requestsSince(mark)).toHaveLength(0)
  })

  test('a package file missing from a local repository names the package and path', async () => {
    const missing = { ...findPackage(indexes, 'hello'), repository: local.index }
    const error = await rejection(fetchPackages([missing], [local], ARCH, {}))
    expect(error).toBeInstanceOf(FetchError)
    expect(error.message).toContain('hello-1.0-r0')
    expect(error.message).toContain(path.join(local.url, ARCH, 'hello-1.0-r0.apk'))
  })

  test('wrong bytes served: integrity error naming package and URL; nothing returned or cached', async () => {
    server.fault(/libgreet-.*\.apk$/, { corrupt: true }, Infinity)
    const cache = freshCache()
    const libgreet = findPackage(indexes, 'libgreet')
    const error = await rejection(
      fetchPackages(wanted, [remote], ARCH, { transport: transport(), cache })
    )
    expect(error).toBeInstanceOf(PackageIntegrityError)
    expect(error.message).toContain('libgreet-2.1-r3')
    expect(error.message).toContain(packageUrl(remote, libgreet, ARCH))
    expect(await cache.readPackage(libgreet.checksum)).toBeUndefined()
  })

  test('a corrupt cached package is removed and fetched again, never trusted', async () => {
    const cache = freshCache()
    const hello = findPackage(indexes, 'hello')
    const libgreet = findPackage(indexes, 'libgreet')
    // Another package's (valid!) bytes under hello's identity: only the identity check can tell.
    await cache.writePackage(hello.checksum, apks[1].bytes)
    const mark = server.requests.length
    const logger = recordingLogger()
    const stats = newFetchStats()
    const files = await fetchPackages([hello, libgreet], [remote], ARCH, {
      transport: transport(),
      cache,
      logger,
      stats
    })
    expect(files.get(hello.checksum)?.info.name).toBe('hello')
    expect(
      requestsSince(mark)
        .map((r) => r.path)
        .sort()
    ).toEqual([`/main/${ARCH}/hello-1.0-r0.apk`, `/main/${ARCH}/libgreet-2.1-r3.apk`])
    expect(stats.packagesFromCache).toBe(0)
    expect((await cache.readPackage(hello.checksum))?.equals(apks[0].bytes)).toBe(true)
    // Its size is not the index's: not even read (a file grown in a shared cache folder was).
    expect(logger.lines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `hello-1.0-r0: the cached file is ${apks[1].bytes.length} bytes, the index says ${hello.size}`
        )
      )
    )
    // Of the right size but altered: the verification tells.
    const altered = Buffer.from(apks[0].bytes)
    altered[altered.length - 30] ^= 0xff
    await cache.writePackage(hello.checksum, altered)
    const again = recordingLogger()
    await fetchPackages([hello], [remote], ARCH, { transport: transport(), cache, logger: again })
    expect(again.lines.some((l) => /hello-1.0-r0: cached file failed verification/.test(l))).toBe(
      true
    )
    expect((await cache.readPackage(hello.checksum))?.equals(apks[0].bytes)).toBe(true)
  })

  test.each([
    ['5xx then success', { status: 502 }, 2],
    ['connection dropped', { drop: true }, 1],
    ['truncated body', { truncate: 100 }, 1],
    ['slow response beyond the timeout', { delayMs: 800 }, 1]
  ] as const)('%s: retried, then the verified package', async (_name, fault, times) => {
    server.fault(/hello-1\.0-r0\.apk$/, fault, times)
    const hello = findPackage(indexes, 'hello')
    const mark = server.requests.length
    const files = await fetchPackages([hello], [remote], ARCH, {
      transport: transport({ timeoutMs: 300 })
    })
    expect(files.get(hello.checksum)?.info.name).toBe('hello')
    expect(requestsSince(mark).length).toBe(times + 1)
  })

  test('a package that answers 404 fails at once, naming package and URL', async () => {
    server.fault(/hello-1\.0-r0\.apk$/, { status: 404 }, Infinity)
    const hello = findPackage(indexes, 'hello')
    const mark = server.requests.length
    const error = await rejection(
      fetchPackages([hello], [remote], ARCH, { transport: transport() })
    )
    expect(error).toBeInstanceOf(FetchError)
    expect(error.message).toContain('hello-1.0-r0')
    expect(error.message).toContain(`not found: ${packageUrl(remote, hello, ARCH)}`)
    expect(requestsSince(mark)).toHaveLength(1)
  })

  test('5xx forever on one package: FetchError after the retries; the others are not returned', async () => {
    server.fault(/libgreet-.*\.apk$/, { status: 500 }, Infinity)
    const error = await rejection(
      fetchPackages(wanted, [remote], ARCH, { transport: transport({ retries: 2 }) })
    )
    expect(error).toBeInstanceOf(FetchError)
    expect(error.message).toMatch(/cannot fetch package libgreet-2.1-r3: .*after 3 attempts/)
  })

  describe('downloaded into a staging folder (as a build does)', () => {
    let staging: string

    beforeEach(() => {
      staging = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-fetch-staging-'))
    })

    afterEach(() => {
      fs.rmSync(staging, { recursive: true, force: true })
    })

    test('written to a file as it arrives, verified from it, cached, and the file removed', async () => {
      server.fault(/hello-1\.0-r0\.apk$/, { truncate: 100 }, 1)
      const cache = freshCache()
      const stats = newFetchStats()
      const files = await fetchPackages(wanted, [remote], ARCH, {
        transport: transport(),
        cache,
        stats,
        staging
      })
      expect(files.get(wanted[0].checksum)?.entries.map((e) => e.name)).toContain('usr/bin/hello')
      expect(stats.downloadedBytes).toBe(wanted[0].size + wanted[1].size)
      expect((await cache.readPackage(wanted[0].checksum))?.equals(apks[0].bytes)).toBe(true)
      expect(fs.readdirSync(staging)).toEqual([])
    })

    test('wrong bytes: the same integrity error, nothing cached, no file left', async () => {
      server.fault(/libgreet-.*\.apk$/, { corrupt: true }, Infinity)
      const cache = freshCache()
      const libgreet = findPackage(indexes, 'libgreet')
      const error = await rejection(
        fetchPackages(wanted, [remote], ARCH, { transport: transport(), cache, staging })
      )
      expect(error).toBeInstanceOf(PackageIntegrityError)
      expect(error.message).toContain(`libgreet-2.1-r3 from ${packageUrl(remote, libgreet, ARCH)}`)
      expect(await cache.readPackage(libgreet.checksum)).toBeUndefined()
      expect(fs.readdirSync(staging)).toEqual([])
    })
  })

  test('a package from a repository that was not passed in is an InvalidArgumentError', async () => {
    const hello = { ...findPackage(indexes, 'hello'), repository: 7 }
    await expect(
      fetchPackages([hello], [remote], ARCH, { transport: transport() })
    ).rejects.toThrow(InvalidArgumentError)
  })
})

/** A static file server over the repository folder that counts requests in flight. */
async function countingServer(root: string, delayMs: number) {
  let inFlight = 0
  let maxInFlight = 0
  const srv = http.createServer((req, res) => {
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    setTimeout(() => {
      const file = path.join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname))
      fs.readFile(file, (err, data) => {
        inFlight--
        if (err) {
          res.writeHead(404)
          res.end()
        } else {
          res.writeHead(200, { 'Content-Length': data.length })
          res.end(data)
        }
      })
    }, delayMs)
  })
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(srv.address() as net.AddressInfo).port}`,
    get maxInFlight() {
      return maxInFlight
    },
    close: () =>
      new Promise<void>((resolve) => {
        srv.closeAllConnections()
        srv.close(() => resolve())
      })
  }
}

describe('fetchPackages: concurrency, proxies, redirects', () => {
  test('at least four downloads are in flight at once, never more than asked', async () => {
    const counting = await countingServer(path.join(work, 'www'), 60)
    try {
      const repo = parseRepository(`${counting.url}/main`, 0)
      const indexes = await fetchIndexes([repo], ARCH, { transport: transport(), keyring })
      const files = await fetchPackages(indexes[0].packages, [repo], ARCH, {
        transport: transport(),
        concurrency: 5
      })
      expect(files.size).toBe(apks.length - 1) // all but the meta package
      expect(counting.maxInFlight).toBeGreaterThanOrEqual(4)
      expect(counting.maxInFlight).toBeLessThanOrEqual(5)
    } finally {
      await counting.close()
    }
  })

  test('HTTP_PROXY carries http downloads; NO_PROXY bypasses it', async () => {
    const proxy = await startProxy()
    try {
      const viaProxy = transport({ env: { HTTP_PROXY: proxy.url } })
      const indexes = await fetchIndexes([remote], ARCH, { transport: viaProxy, keyring })
      const hello = findPackage(indexes, 'hello')
      await fetchPackages([hello], [remote], ARCH, { transport: viaProxy })
      expect(proxy.requests).toEqual([indexUrl(remote, ARCH), packageUrl(remote, hello, ARCH)])
      const count = proxy.requests.length
      const bypass = transport({ env: { HTTP_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1' } })
      await fetchIndexes([remote], ARCH, { transport: bypass, keyring })
      expect(proxy.requests).toHaveLength(count)
    } finally {
      await proxy.close()
    }
  })

  test('redirects are followed to the real repository', async () => {
    const redirector = http.createServer((req, res) => {
      res.writeHead(302, { Location: `${server.url}${(req.url ?? '').replace('/moved', '/main')}` })
      res.end()
    })
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve))
    try {
      const port = (redirector.address() as net.AddressInfo).port
      const repo = parseRepository(`http://127.0.0.1:${port}/moved`, 0)
      const indexes = await fetchIndexes([repo], ARCH, { transport: transport(), keyring })
      const hello = findPackage(indexes, 'hello')
      const files = await fetchPackages([hello], [repo], ARCH, { transport: transport() })
      expect(files.get(hello.checksum)?.info.name).toBe('hello')
    } finally {
      redirector.closeAllConnections()
      await new Promise((resolve) => redirector.close(resolve))
    }
  })
})

describe('FetchStats', () => {
  test('one object adds up indexes and packages across calls', async () => {
    const stats: FetchStats = newFetchStats()
    const t = transport()
    const indexes = await fetchIndexes([remote], ARCH, { transport: t, keyring, stats })
    await fetchPackages([findPackage(indexes, 'hello')], [remote], ARCH, { transport: t, stats })
    expect(stats.indexesDownloaded).toBe(1)
    expect(stats.packagesDownloaded).toBe(1)
    expect(stats.downloadedBytes).toBe(
      fs.statSync(path.join(work, 'www/main', ARCH, 'APKINDEX.tar.gz')).size +
        findPackage(indexes, 'hello').size
    )
  })
})
