import { execFileSync, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import ts from 'typescript'
import { PackageCache } from '../src/apk/fetch/cache.js'
import { walkTree } from './support/walk.js'

const URL_A = 'https://dl-cdn.alpinelinux.org/alpine/v3.22/main/x86_64/APKINDEX.tar.gz'
const IDENTITY = 'Q1Wd+vPPs4n/pGwDdOOvKSdpuRjd0='

let dir: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-cache-'))
})
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/** Every file under `root`, relative. */
function listFiles(root: string): string[] {
  return walkTree(root)
    .filter((f) => fs.lstatSync(path.join(root, f)).isFile())
    .sort()
}

describe('PackageCache: indexes', () => {
  test('stores bytes and metadata under sha256(url) and reads them back', async () => {
    const cache = new PackageCache(dir)
    const bytes = Buffer.from('index bytes')
    await cache.writeIndex(URL_A, bytes, {
      etag: '"5f1"',
      lastModified: 'Wed, 21 Oct 2015 07:28:00 GMT',
      fetchedAt: 1234
    })
    const key = sha256(URL_A)
    expect(listFiles(dir)).toEqual([`indexes/${key}.json`, `indexes/${key}.tar.gz`])
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'indexes', `${key}.json`), 'utf8'))
    expect(meta).toMatchObject({ url: URL_A, etag: '"5f1"', fetchedAt: 1234, size: bytes.length })
    expect(await cache.readIndex(URL_A)).toEqual({
      url: URL_A,
      bytes,
      etag: '"5f1"',
      lastModified: 'Wed, 21 Oct 2015 07:28:00 GMT',
      fetchedAt: 1234
    })
  })

  test('a miss is undefined; fetchedAt defaults to now', async () => {
    const cache = new PackageCache(dir)
    expect(await cache.readIndex(URL_A)).toBeUndefined()
    const before = Date.now()
    await cache.writeIndex(URL_A, Buffer.from('x'))
    const entry = await cache.readIndex(URL_A)
    expect(entry?.fetchedAt).toBeGreaterThanOrEqual(before)
    expect(entry?.etag).toBeUndefined()
    expect(await cache.readIndex(URL_A.replace('main', 'community'))).toBeUndefined()
  })

  test('corrupt metadata JSON is a miss', async () => {
    const cache = new PackageCache(dir)
    await cache.writeIndex(URL_A, Buffer.from('index'))
    const metaFile = path.join(dir, 'indexes', `${sha256(URL_A)}.json`)
    fs.writeFileSync(metaFile, '{"url": "https://dl-cdn.alpinelinux.org/alp')
    expect(await cache.readIndex(URL_A)).toBeUndefined()
    fs.writeFileSync(metaFile, '[1, 2, 3]')
    expect(await cache.readIndex(URL_A)).toBeUndefined()
    fs.writeFileSync(metaFile, 'null')
    expect(await cache.readIndex(URL_A)).toBeUndefined()
  })

  test('bytes that do not match their metadata are a miss (a writer raced, or someone edited)', async () => {
    const cache = new PackageCache(dir)
    await cache.writeIndex(URL_A, Buffer.from('index v1'), { etag: '"v1"' })
    const bytesFile = path.join(dir, 'indexes', `${sha256(URL_A)}.tar.gz`)
    fs.writeFileSync(bytesFile, 'index v2') // same length, other content
    expect(await cache.readIndex(URL_A)).toBeUndefined()
    fs.rmSync(bytesFile)
    expect(await cache.readIndex(URL_A)).toBeUndefined()
  })

  // A file grown in a shared cache folder was read whole before it was compared: a 3 GiB one
  // (sparse here) now is a miss without being read (reading it would fail: larger than a Buffer).
  test('bytes larger than their metadata says are a miss, not read', async () => {
    const cache = new PackageCache(dir)
    await cache.writeIndex(URL_A, Buffer.from('index'), { etag: '"v1"' })
    fs.truncateSync(path.join(dir, 'indexes', `${sha256(URL_A)}.tar.gz`), 3 * 1024 ** 3)
    expect(await cache.readIndex(URL_A)).toBeUndefined()
    await cache.writePackage(IDENTITY, Buffer.from('apk'))
    fs.truncateSync(cache.packagePath(IDENTITY), 3 * 1024 ** 3)
    expect(await cache.readPackage(IDENTITY)).toBeUndefined()
  })

  // Node refuses to send such a validator: every revalidation failed before it was sent, taken
  // for an outage, and the stale copy was used while the mirror was up.
  test('a validator that cannot go in a header is dropped; the bytes stay usable', async () => {
    const cache = new PackageCache(dir)
    await cache.writeIndex(URL_A, Buffer.from('index'), {
      etag: '"abc"\n',
      lastModified: 'Wed, 21 Oct 2015\r07:28:00 GMT'
    })
    const entry = await cache.readIndex(URL_A)
    expect(entry?.bytes.toString()).toBe('index')
    expect([entry?.etag, entry?.lastModified]).toEqual([undefined, undefined])
    await cache.writeIndex(URL_A, Buffer.from('index'), { etag: 'W/"ok\tfine"' })
    expect((await cache.readIndex(URL_A))?.etag).toBe('W/"ok\tfine"')
  })

  // A restored cache entry may hold anything: a FIFO once blocked the read for ever, and a
  // link to /dev/zero filled 2 GiB of memory before failing.
  test('anything but a regular file where a file belongs is a miss, read at once', async () => {
    const cache = new PackageCache(dir)
    await cache.writeIndex(URL_A, Buffer.from('index'))
    const meta = path.join(dir, 'indexes', `${sha256(URL_A)}.json`)
    fs.rmSync(meta)
    execFileSync('mkfifo', [meta])
    expect(await cache.readIndex(URL_A)).toBeUndefined()
    fs.mkdirSync(path.join(dir, 'packages'), { recursive: true })
    fs.symlinkSync('/dev/zero', cache.packagePath(IDENTITY))
    expect(await cache.readPackage(IDENTITY)).toBeUndefined()
    fs.rmSync(cache.packagePath(IDENTITY))
    execFileSync('mkfifo', [cache.packagePath(IDENTITY)])
    expect(await cache.readPackage(IDENTITY)).toBeUndefined()
  })

  test('removeIndex drops the entry', async () => {
    const cache = new PackageCache(dir)
    await cache.writeIndex(URL_A, Buffer.from('index'))
    await cache.removeIndex(URL_A)
    await cache.removeIndex(URL_A) // twice is fine
    expect(await cache.readIndex(URL_A)).toBeUndefined()
  })
})

describe('PackageCache: packages', () => {
  test('stored by identity under packages/, with a file-name-safe encoding', async () => {
    const cache = new PackageCache(dir)
    const bytes = Buffer.from('apk bytes')
    await cache.writePackage(IDENTITY, bytes)
    const name = `${Buffer.from(IDENTITY).toString('base64url')}.apk`
    expect(listFiles(dir)).toEqual([`packages/${name}`])
    expect((await cache.readPackage(IDENTITY))?.equals(bytes)).toBe(true)
    expect(await cache.readPackage('Q1AAAAAAAAAAAAAAAAAAAAAAAAAAAA=')).toBeUndefined()
    await cache.removePackage(IDENTITY)
    await cache.removePackage(IDENTITY)
    expect(await cache.readPackage(IDENTITY)).toBeUndefined()
  })

  test('a hostile identity cannot name a path outside the cache', async () => {
    const cache = new PackageCache(dir)
    await cache.writePackage('../../../../tmp/evil', Buffer.from('x'))
    expect(path.dirname(cache.packagePath('../../../../tmp/evil'))).toBe(path.join(dir, 'packages'))
    expect(listFiles(dir)).toHaveLength(1)
  })

  test('many concurrent writers of one entry leave one whole version and no temp files', async () => {
    const cache = new PackageCache(dir)
    const versions = Array.from({ length: 40 }, (_, i) => Buffer.alloc(64 * 1024 + i, i))
    const reads: (Buffer | undefined)[] = []
    await Promise.all([
      ...versions.map((v) => cache.writePackage(IDENTITY, v)),
      ...versions.map((v) => cache.writeIndex(URL_A, v, { etag: `"${v.length}"` })),
      ...versions.map(async () => reads.push(await cache.readPackage(IDENTITY)))
    ])
    const isWhole = (b: Buffer | undefined): boolean =>
      b === undefined || versions.some((v) => v.equals(b))
    expect(reads.every(isWhole)).toBe(true)
    const finalPackage = await cache.readPackage(IDENTITY)
    expect(versions.some((v) => v.equals(finalPackage ?? Buffer.alloc(0)))).toBe(true)
    const index = await cache.readIndex(URL_A)
    if (index) expect(index.etag).toBe(`"${index.bytes.length}"`)
    expect(listFiles(dir).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })
})

/**
 * Two real processes hammer the same entries while this one reads: every read must be a whole
 * version some writer wrote (or a miss), and index metadata must always describe its bytes.
 * The children run cache.ts itself, transpiled to JavaScript.
 */
describe('PackageCache: two processes sharing one folder', () => {
  test('concurrent writers never expose a partial or mismatched entry', async () => {
    const transpile = (file: string) =>
      ts
        .transpileModule(fs.readFileSync(path.resolve(file), 'utf8'), {
          compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 }
        })
        // Every module is put beside the others: `'../../files.js'` becomes `'./files.mjs'`.
        .outputText.replace(/'(?:\.\.?\/)+([\w-]+)\.js'/g, "'./$1.mjs'")
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-cache-proc-'))
    fs.writeFileSync(path.join(work, 'cache.mjs'), transpile('src/apk/fetch/cache.ts'))
    for (const name of ['files', 'errors', 'temp', 'lazy-builtins']) {
      fs.writeFileSync(path.join(work, `${name}.mjs`), transpile(`src/${name}.ts`))
    }
    fs.writeFileSync(
      path.join(work, 'writer.mjs'),
      `import { PackageCache } from './cache.mjs'
const [dir, id] = process.argv.slice(2)
const cache = new PackageCache(dir)
for (let i = 0; i < 150; i++) {
  const bytes = Buffer.alloc(32 * 1024 + Number(id) * 7 + (i % 5), Number(id) * 16 + (i % 5))
  await cache.writePackage('${IDENTITY}', bytes)
  await cache.writeIndex('${URL_A}', bytes, { etag: '"' + bytes.length + '-' + bytes[0] + '"' })
}
`
    )
    const run = (id: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [path.join(work, 'writer.mjs'), dir, id], {
          stdio: ['ignore', 'ignore', 'inherit']
        })
        child.on('error', reject)
        child.on('exit', (code) => resolve(code ?? -1))
      })
    const cache = new PackageCache(dir)
    let running = true
    let reads = 0
    const bad: string[] = []
    const reader = (async () => {
      while (running) {
        const pkg = await cache.readPackage(IDENTITY)
        if (pkg && !pkg.every((b) => b === pkg[0]))
          bad.push(`package of ${pkg.length} bytes is mixed`)
        if (pkg && pkg.length - 32 * 1024 !== Math.floor(pkg[0] / 16) * 7 + (pkg[0] % 16)) {
          bad.push(`package of ${pkg.length} bytes is cut`)
        }
        const index = await cache.readIndex(URL_A)
        if (index && index.etag !== `"${index.bytes.length}-${index.bytes[0]}"`) {
          bad.push(`index metadata ${index.etag} does not describe its bytes`)
        }
        reads++
      }
    })()
    try {
      const codes = await Promise.all([run('1'), run('2')])
      running = false
      await reader
      expect(codes).toEqual([0, 0])
      expect(bad).toEqual([])
      expect(reads).toBeGreaterThan(5)
      expect(listFiles(dir).filter((f) => f.endsWith('.tmp'))).toEqual([])
    } finally {
      running = false
      fs.rmSync(work, { recursive: true, force: true })
    }
  })
})
