import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import * as zlib from 'node:zlib'
import {
  formatIndexHeader,
  parseApkindexText,
  readApkindex,
  readIndexTable
} from '../src/apk/formats/apkindex.js'
import { FormatError, IndexSignatureError } from '../src/apk/errors.js'
import { splitGzipMembers } from '../src/apk/formats/gzip.js'
import { tableOfPackages } from '../src/apk/formats/package-table.js'
import { Keyring } from '../src/apk/keys/keyring.js'
import type { RepoPackage, Repository, RepositoryIndex } from '../src/apk/types.js'
import { buildApk } from './support/apk-builder.js'
import { generateSigningKey, writeKeysDir } from './support/keys.js'
import { buildIndex, buildIndexFromText, buildRepository } from './support/repo-builder.js'
import { END_OF_ARCHIVE, padding, tarHeader, type TarType } from './support/tar-writer.js'
import { rejection } from './support/failures.js'
import { haveShared, SHARED } from './support/shared.js'
import { collectionsRun } from '../src/released-memory.js'
import { collectUnreachable } from './support/collect.js'

const sharedHere = haveShared()

const FIXTURES = path.join(SHARED, 'fixtures')
const REAL = path.join(FIXTURES, 'real-indexes')
const REFERENCE = path.join(FIXTURES, 'apk-tools-reference')
const REPO: Repository = { url: 'https://example.invalid/alpine/main', index: 0 }

/** The APKINDEX entry of an index file, read by GNU tar rather than by our reader. */
function gnuApkindexText(file: string): string {
  return execFileSync('tar', ['-xzOf', file, 'APKINDEX'], { maxBuffer: 64 << 20 }).toString()
}

/** Each stanza's text (its lines and their `\n`, no blank line), by its C: identity. */
function stanzasByChecksum(text: string): Map<string, string> {
  const map = new Map<string, string>()
  for (const stanza of text.split('\n\n')) {
    if (!stanza.trim()) continue
    const checksum = /^C:(.*)$/m.exec(stanza)?.[1] as string
    map.set(checksum, `${stanza}\n`)
  }
  return map
}

/** The signed index with one byte of the APKINDEX text changed and the member gzipped again. */
function retamper(bytes: Buffer): Buffer {
  const [signature, index] = splitGzipMembers(bytes)
  const tar = Buffer.from(index.data)
  const at = tar.indexOf('\nP:') + 3
  tar[at] = tar[at] === 0x7a ? 0x79 : 0x7a
  return Buffer.concat([bytes.subarray(signature.start, signature.end), zlib.gzipSync(tar)])
}

;(sharedHere ? describe : describe.skip)("Alpine's real indexes", () => {
  let alpineKeys: Keyring
  const read = new Map<string, RepositoryIndex>()
  const v322 = path.join(REAL, 'v3.22-main/x86_64/APKINDEX.tar.gz')

  beforeAll(async () => {
    alpineKeys = await Keyring.load({ keysDir: path.join(SHARED, 'alpine-keys') })
  })

  /** Each real index is read once; the tests below share the result. */
  async function readReal(file: string): Promise<RepositoryIndex> {
    let index = read.get(file)
    if (!index) {
      index = await readApkindex(fs.readFileSync(file), REPO, { keyring: alpineKeys })
      read.set(file, index)
    }
    return index
  }

  it.each([
    ['v3.22-main/x86_64', 5646, 'alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub'],
    ['v3.12-main/x86', 4828, undefined],
    ['v3.23-subset/x86_64', 102, undefined]
  ])('%s: verifies with the Alpine keys and holds %d packages', async (dir, count, signer) => {
    const file = path.join(REAL, dir, 'APKINDEX.tar.gz')
    const index = await readReal(file)
    expect(index.packages).toHaveLength(count)
    expect(index.signer).toMatch(/^alpine-devel@lists\.alpinelinux\.org-[0-9a-f]{8}\.rsa\.pub$/)
    if (signer) expect(index.signer).toBe(signer)
    expect(index.description).toMatch(/^v?3\.\d+/)
    expect(index.repository).toBe(REPO)
    const arch = dir.split('/')[1]
    expect(index.packages.every((p) => p.arch === arch || p.arch === 'noarch')).toBe(true)
    // Our reader and GNU tar see the same APKINDEX text.
    expect(index.packages).toEqual(parseApkindexText(gnuApkindexText(file), REPO))
  })

  it('v3.22: every stanza formats back byte for byte (formatIndexHeader)', async () => {
    const index = await readReal(v322)
    const stanzas = stanzasByChecksum(gnuApkindexText(v322))
    expect(stanzas.size).toBe(5646)
    const differ = index.packages.filter((p) => formatIndexHeader(p) !== stanzas.get(p.checksum))
    expect(differ.map((p) => p.name)).toEqual([])
  })

  it('v3.22: a realistic package reads field by field', async () => {
    const index = await readReal(v322)
    const busybox = index.packages.find((p) => p.name === 'busybox') as RepoPackage
    expect(busybox.checksum).toMatch(/^Q1[A-Za-z0-9+/]{27}=$/)
    expect(busybox.depends.map((d) => d.name)).toContain('so:libc.musl-x86_64.so.1')
    expect(busybox.provides.map((d) => d.name)).toContain('cmd:busybox')
    expect(busybox.size).toBeGreaterThan(100000)
    expect(busybox.buildTime).toBeGreaterThan(1700000000)
    expect(busybox.repository).toBe(0)
  })

  it("v3.22 without its packages' details: the same packages, with only what the solver reads", async () => {
    const index = await readReal(v322)
    const bytes = fs.readFileSync(v322)
    const bare = await readApkindex(bytes, REPO, { keyring: alpineKeys, packageDetails: false })
    expect(bare.packages).toHaveLength(index.packages.length)
    const solverFields = (p: RepoPackage) => [
      p.checksum,
      p.name,
      p.version,
      p.arch,
      p.installedSize,
      p.providerPriority,
      p.depends,
      p.provides,
      p.installIf
    ]
    expect(bare.packages.map(solverFields)).toEqual(index.packages.map(solverFields))
    const busybox = bare.packages.find((p) => p.name === 'busybox') as RepoPackage
    expect([busybox.description, busybox.url, busybox.license, busybox.size]).toEqual([
      '',
      '',
      '',
      0
    ])
    expect([busybox.origin, busybox.maintainer, busybox.commit, busybox.buildTime]).toEqual([
      undefined,
      undefined,
      undefined,
      0
    ])
  })

  it('refuses a tampered index with IndexSignatureError (text changed, member gzipped again)', async () => {
    const bytes = fs.readFileSync(path.join(REAL, 'v3.22-main/x86_64/APKINDEX.tar.gz'))
    const error = await rejection(readApkindex(retamper(bytes), REPO, { keyring: alpineKeys }))
    expect(error).toBeInstanceOf(IndexSignatureError)
    expect(error.message).toMatch(/BAD signature/)
    expect(error.message).toContain(REPO.url)
  })

  it('refuses a flipped compressed byte in the APKINDEX member as a signature failure', async () => {
    const bytes = Buffer.from(fs.readFileSync(path.join(REAL, 'v3.12-main/x86/APKINDEX.tar.gz')))
    const [signature] = splitGzipMembers(bytes)
    bytes[signature.end + 5000] ^= 0x10
    const error = await rejection(readApkindex(bytes, REPO, { keyring: alpineKeys }))
    expect(error).toBeInstanceOf(IndexSignatureError)
  })

  // The signed bytes are hashed by the project's own SHA-1 (src/sha.ts) in pieces of 64 KiB: a
  // flipped byte anywhere in them, in every piece and at the very end, is a bad signature.
  it('refuses a byte flipped anywhere in the signed bytes of v3.22 main (each 64 KiB, the last)', async () => {
    const original = fs.readFileSync(v322)
    expect((await readApkindex(original, REPO, { keyring: alpineKeys })).signer).toBeDefined()
    const [signature] = splitGzipMembers(original)
    const places: number[] = []
    for (let at = signature.end + 777; at < original.length; at += 64 * 1024) places.push(at)
    places.push(original.length - 1)
    expect(places.length).toBeGreaterThan(7)
    for (const at of places) {
      const bytes = Buffer.from(original)
      bytes[at] ^= 0x01
      const error = await rejection(readApkindex(bytes, REPO, { keyring: alpineKeys }))
      expect([at, error.message]).toEqual([at, expect.stringMatching(/BAD signature/)])
    }
  })

  it('refuses an index signed by a key not in the keyring, naming the key', async () => {
    const other = await Keyring.load({ keysDir: path.join(REFERENCE, 'keys') })
    const bytes = fs.readFileSync(path.join(REAL, 'v3.23-subset/x86_64/APKINDEX.tar.gz'))
    const error = await rejection(readApkindex(bytes, REPO, { keyring: other }))
    expect(error).toBeInstanceOf(IndexSignatureError)
    expect(error.message).toMatch(/alpine-devel@lists\.alpinelinux\.org-[0-9a-f]{8}\.rsa\.pub/)
    expect(error.message).toMatch(/not in the trusted keys/)
    const index = await readApkindex(bytes, REPO, { keyring: other, allowUntrusted: true })
    expect(index.packages).toHaveLength(102)
    expect(index.signer).toBeUndefined()
  })

  it('fetches a pinned Alpine key on demand to verify an index', async () => {
    const fetched: string[] = []
    const keyring = await Keyring.load({
      fetchAlpineKey: async (name) => {
        fetched.push(name)
        return fs.readFileSync(path.join(SHARED, 'alpine-keys', name))
      }
    })
    const bytes = fs.readFileSync(path.join(REAL, 'v3.23-subset/x86_64/APKINDEX.tar.gz'))
    const index = await readApkindex(bytes, REPO, { keyring })
    expect(fetched).toEqual([index.signer])
  })
})

;(sharedHere ? describe : describe.skip)('the apk-tools reference repository index', () => {
  const file = path.join(REFERENCE, 'repo-x86_64/APKINDEX.tar.gz')

  it('verifies with the fixture key and formats back byte for byte', async () => {
    const keyring = await Keyring.load({ keysDir: path.join(REFERENCE, 'keys') })
    const index = await readApkindex(fs.readFileSync(file), { url: 'repo', index: 2 }, { keyring })
    expect(index.signer).toBe('test@example-65a1b2c3.rsa.pub')
    expect(index.packages.map((p) => `${p.name}-${p.version}`)).toEqual([
      'alpine-baselayout-data-3.6.8-r1',
      'ca-certificates-bundle-20240226-r0',
      'hello-1.0-r0',
      'hello-1.1-r0',
      'musl-1.2.3-r0'
    ])
    expect(index.packages.every((p) => p.repository === 2)).toBe(true)
    const stanzas = stanzasByChecksum(gnuApkindexText(file))
    expect(stanzas.size).toBe(5)
    for (const pkg of index.packages) expect(formatIndexHeader(pkg)).toBe(stanzas.get(pkg.checksum))
  })

  it('refuses it with the Alpine keys only', async () => {
    const keyring = await Keyring.load({ keysDir: path.join(SHARED, 'alpine-keys') })
    const error = await rejection(readApkindex(fs.readFileSync(file), REPO, { keyring }))
    expect(error).toBeInstanceOf(IndexSignatureError)
    expect(error.message).toContain('test@example-65a1b2c3.rsa.pub')
  })
})

/** A tar entry (GNU header), as an index's members hold them. */
function signatureEntry(name: string, data: Buffer): Buffer {
  const header = tarHeader(
    {
      name,
      type: 'file',
      mode: 0o644,
      uid: 0,
      gid: 0,
      uname: '',
      gname: '',
      size: data.length,
      mtime: 0
    },
    'gnu'
  )
  return Buffer.concat([header, data, padding(data.length)])
}

describe('readApkindex on built repositories', () => {
  let dir: string

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-index-'))
  })

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  const key = generateSigningKey()
  const apks = [
    buildApk({ name: 'zeta', version: '1.0-r0', depends: ['alpha>=2'], files: [] }, key),
    buildApk(
      {
        name: 'alpha',
        version: '2.1-r3',
        provides: ['cmd:alpha=2.1-r3', 'so:libalpha.so.2=2'],
        installIf: ['zeta base'],
        providerPriority: 10,
        maintainer: 'M <m@example.com>',
        commit: 'abc123',
        files: [{ path: 'usr/bin/alpha', content: 'x' }]
      },
      key
    )
  ]

  it.each(['RSA', 'RSA256', 'RSA512'] as const)('verifies a %s-signed index', async (signature) => {
    const repo = buildRepository(path.join(dir, signature), 'x86_64', apks, key, { signature })
    const keyring = await Keyring.load({
      keysDir: writeKeysDir(path.join(dir, `k-${signature}`), [key])
    })
    const index = await readApkindex(repo.index, REPO, { keyring })
    expect(index.signer).toBe(key.name)
    expect(index.description).toBe('witchery test repository')
    const alpha = index.packages.find((p) => p.name === 'alpha') as RepoPackage
    expect(formatIndexHeader(alpha)).toBe(formatIndexHeader(apks[1].info))
    expect(alpha.providerPriority).toBe(10)
  })

  it('refuses an unsigned index unless untrusted is allowed', async () => {
    const bytes = buildIndex(
      apks.map((a) => a.info),
      undefined,
      { signature: 'none' }
    )
    const keyring = await Keyring.load({})
    const error = await rejection(readApkindex(bytes, REPO, { keyring }))
    expect(error).toBeInstanceOf(IndexSignatureError)
    expect(error.message).toMatch(/not signed/)
    const index = await readApkindex(bytes, REPO, { keyring, allowUntrusted: true })
    expect(index.packages).toHaveLength(2)
  })

  it('tries the next signature when the first key is not held', async () => {
    const unknown = generateSigningKey(undefined, { fresh: true })
    const bytes = buildIndex(
      apks.map((a) => a.info),
      unknown,
      { extraSigners: [{ key }] }
    )
    const keyring = await Keyring.load({ keysDir: writeKeysDir(path.join(dir, 'k2'), [key]) })
    expect((await readApkindex(bytes, REPO, { keyring })).signer).toBe(key.name)
  })

  it('refuses a signature made by another key under the trusted name (BAD signature)', async () => {
    const impostor = generateSigningKey(key.name, { fresh: true })
    const bytes = buildIndex(
      apks.map((a) => a.info),
      impostor
    )
    const keyring = await Keyring.load({ keysDir: writeKeysDir(path.join(dir, 'k3'), [key]) })
    const error = await rejection(readApkindex(bytes, REPO, { keyring }))
    expect(error).toBeInstanceOf(IndexSignatureError)
    expect(error.message).toMatch(/BAD signature/)
  })

  // Each member moves the signed bytes and every signature so far was checked again, hashing the
  // rest of the file each time: 400 members of 120 bytes took 14 s.
  it('takes a few signature members in front of the index, and refuses more', async () => {
    const bogus = (n: number) =>
      zlib.gzipSync(
        Buffer.concat(
          Array.from({ length: n }, (_, i) =>
            signatureEntry(
              `.SIGN.RSA.${i === 0 ? key.name : `other-${i}.rsa.pub`}`,
              Buffer.alloc(512, 7)
            )
          )
        )
      )
    const index = buildIndex(
      apks.map((a) => a.info),
      key
    )
    const keyring = await Keyring.load({ keysDir: writeKeysDir(path.join(dir, 'k4'), [key]) })
    const three = Buffer.concat([bogus(1), bogus(1), bogus(1), index])
    expect((await readApkindex(three, REPO, { keyring })).signer).toBe(key.name)
    for (const refused of [
      Buffer.concat([...Array(50).fill(bogus(1)), index]),
      Buffer.concat([bogus(8), index])
    ]) {
      const started = Date.now()
      const error = await rejection(readApkindex(refused, REPO, { keyring }))
      expect(error).toBeInstanceOf(IndexSignatureError)
      expect(error.message).toMatch(
        /starts with more than 4 gzip members of signatures or more than 8 signatures, where apk-tools writes one/
      )
      expect(Date.now() - started).toBeLessThan(2000)
    }
  })

  it('refuses bytes that are not an index with FormatError', async () => {
    const keyring = await Keyring.load({})
    for (const bytes of [Buffer.from('<html>'), zlib.gzipSync(Buffer.from('not a tar'))]) {
      const error = await rejection(readApkindex(bytes, REPO, { keyring, allowUntrusted: true }))
      expect(error).toBeInstanceOf(FormatError)
      expect(error.message).toContain(REPO.url)
    }
    const noIndex = buildIndexFromText('', key, { description: 'only a description' })
    const stripped = zlib.gzipSync(
      Buffer.concat([splitGzipMembers(noIndex)[1].data.subarray(0, 1024), Buffer.alloc(1024)])
    )
    const error = await rejection(readApkindex(stripped, REPO, { keyring, allowUntrusted: true }))
    expect(error).toBeInstanceOf(FormatError)
    expect(error.message).toMatch(/no APKINDEX entry/)
  })
})

describe('readApkindex on hostile containers', () => {
  const C1 = 'Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA='
  const C2 = 'Q1BBBBBBBBBBBBBBBBBBBBBBBBBBB='

  function entry(name: string, data: Buffer, type: TarType = 'file', size = data.length): Buffer {
    const header = tarHeader(
      { name, type, mode: 0o644, uid: 0, gid: 0, uname: '', gname: '', size, mtime: 0 },
      'gnu'
    )
    return Buffer.concat([header, data, padding(data.length)])
  }

  async function read(file: Buffer): Promise<RepositoryIndex> {
    return readApkindex(file, REPO, { keyring: await Keyring.load({}), allowUntrusted: true })
  }

  it('takes a tar header that claims gigabytes for a hint only: a truncated entry, at once', async () => {
    const lying = zlib.gzipSync(
      entry('APKINDEX', Buffer.from(`C:${C1}\nP:a\nV:1-r0\n`), 'file', 0o77777777777)
    )
    const started = Date.now()
    const error = await rejection(read(lying))
    expect(error).toBeInstanceOf(FormatError)
    expect(error.message).toMatch(/truncated/)
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('reads the last APKINDEX entry, whatever is wrong with an earlier one', async () => {
    const damaged = Buffer.from(`C:${C1}\nV:1-r0\n\n`)
    const sound = Buffer.from(`C:${C2}\nP:b\nV:2-r0\n\n`)
    const file = zlib.gzipSync(
      Buffer.concat([entry('APKINDEX', damaged), entry('APKINDEX', sound), END_OF_ARCHIVE])
    )
    expect((await read(file)).packages.map((p) => p.name)).toEqual(['b'])
    // The other way round, the damage is the last entry's, and counts.
    const reversed = zlib.gzipSync(
      Buffer.concat([entry('APKINDEX', sound), entry('APKINDEX', damaged), END_OF_ARCHIVE])
    )
    expect((await rejection(read(reversed))).message).toMatch(/stanza at line 1: no P:/)
  })

  it('names a damaged container before a damaged stanza, as when the index was read whole', async () => {
    const file = Buffer.from(
      zlib.gzipSync(
        Buffer.concat([entry('APKINDEX', Buffer.from(`C:${C1}\nV:1\n\n`)), END_OF_ARCHIVE])
      )
    )
    file[file.length - 8] ^= 0xff
    const error = await rejection(read(file))
    expect(error).toBeInstanceOf(FormatError)
    expect(error.message).toMatch(/CRC mismatch/)
  })

  /** A gzip member of `entries`, then a file entry `name` of `size` zero bytes, then the end. */
  async function gzipWithZeros(entries: Buffer, name: string, size: number): Promise<Buffer> {
    const gzip = zlib.createGzip()
    const out: Buffer[] = []
    gzip.on('data', (piece: Buffer) => out.push(piece))
    const ended = new Promise((resolve) => gzip.on('end', resolve))
    gzip.write(entries)
    gzip.write(entry(name, Buffer.alloc(0), 'file', size).subarray(0, 512))
    const zeros = Buffer.alloc(1024 * 1024)
    for (let left = size; left > 0; left -= zeros.length) {
      gzip.write(zeros.subarray(0, Math.min(left, zeros.length)))
    }
    gzip.end(Buffer.concat([padding(size), END_OF_ARCHIVE]))
    await ended
    return Buffer.concat(out)
  }

  it('reads a small file that inflates past 16 MiB as a stream; refuses one past 128 MiB', async () => {
    // A small file (up to 1 MiB) is inflated whole on the main thread, up to 16 MiB; past that it
    // is read again as a stream, whose limit is the index's.
    const index = entry('APKINDEX', Buffer.from(`C:${C2}\nP:b\nV:2-r0\n\n`))
    const large = await gzipWithZeros(index, 'padding', 20 * 1024 * 1024)
    expect(large.length).toBeLessThan(1024 * 1024)
    expect((await read(large)).packages.map((p) => p.name)).toEqual(['b'])
    const bomb = await gzipWithZeros(index, 'padding', 130 * 1024 * 1024)
    expect(bomb.length).toBeLessThan(1024 * 1024)
    const error = await rejection(read(bomb))
    expect(error).toBeInstanceOf(FormatError)
    expect(error.message).toMatch(/inflates to more than 134217728 bytes/)
  })

  it('takes the last trailer as the size of one member only: 50,000 empty ones, refused', async () => {
    // A small file is inflated a member at a time, the index's into one buffer of the size the
    // file's last trailer gives; given for every member, that lie made each take 16 MiB (4 s,
    // eight times as long as the same members with an honest trailer).
    const honest = Buffer.concat(
      Array.from({ length: 50_000 }, () => zlib.gzipSync(Buffer.alloc(0)))
    )
    expect(honest.length).toBeLessThanOrEqual(1024 * 1024)
    const lying = Buffer.from(honest)
    lying.writeUInt32LE(0xfffffff0, lying.length - 4)
    const refusal = async (file: Buffer) => {
      const started = performance.now()
      const error = await rejection(read(file))
      expect(error).toBeInstanceOf(FormatError)
      return { error, ms: performance.now() - started }
    }
    expect((await refusal(lying)).error.message).toMatch(/length mismatch \(ISIZE\)/)
    expect((await refusal(honest)).error.message).toMatch(/no APKINDEX/)
    const ms = async (file: Buffer) => Math.min((await refusal(file)).ms, (await refusal(file)).ms)
    expect((await ms(lying)) / (await ms(honest))).toBeLessThan(3)
  })

  it('refuses an entry after the index whose data is cut short, as scanTar does', async () => {
    const index = entry('APKINDEX', Buffer.from(`C:${C2}\nP:b\nV:2-r0\n\n`))
    const cut = Buffer.concat([index, entry('later', Buffer.alloc(1000), 'dir', 5000)])
    const error = await rejection(read(zlib.gzipSync(cut)))
    expect(error).toBeInstanceOf(FormatError)
    expect(error.message).toMatch(/truncated/)
    // Cut in its padding only, it is accepted.
    const padded = Buffer.concat([index, entry('later', Buffer.alloc(100), 'dir').subarray(0, 612)])
    expect((await read(zlib.gzipSync(padded))).packages.map((p) => p.name)).toEqual(['b'])
  })
})

describe('parseApkindexText', () => {
  const C1 = 'Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA='
  const C2 = 'Q1BBBBBBBBBBBBBBBBBBBBBBBBBBB='

  it('reads stanzas, ignores lowercase unknown and db-only letters, drops the unterminated last', () => {
    const text =
      `C:${C1}\nP:a\nV:1-r0\nS:10\nI:20\nT:desc\nU:u\nL:MIT\nz:ignored\nF:usr\nR:file\n\n` +
      `C:${C2}\nP:b\nV:2-r0\n`
    const packages = parseApkindexText(text, REPO)
    expect(packages).toHaveLength(1)
    expect(packages[0]).toMatchObject({
      name: 'a',
      size: 10,
      installedSize: 20,
      description: 'desc'
    })
  })

  it('leaves out a stanza with an unknown uppercase letter, and keeps the first of a repeated C:', () => {
    const text =
      `C:${C1}\nP:a\nV:1-r0\nY:new\n\n` +
      `C:${C2}\nP:b\nV:1-r0\n\n` +
      `C:${C2}\nP:b-again\nV:1-r0\n\n`
    expect(parseApkindexText(text, REPO).map((p) => p.name)).toEqual(['b'])
  })

  it('keeps, leaves out and refuses stanzas as a plain reading of apk does, over random indexes', () => {
    // A seeded generator: the same 3,000 indexes every run.
    let state = 0x2545f491
    const random = (n: number) => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0
      return (state >>> 8) % n
    }
    const digests = Array.from({ length: 6 }, (_, i) => Buffer.alloc(20, 0x31 + i * 37))
    const identity = (): string | undefined => {
      const d = digests[random(digests.length)]
      switch (random(9)) {
        case 0:
          return `X1${d.toString('hex')}`
        case 1:
          return `X1${d.toString('hex').toUpperCase()}`
        case 2:
          return 'ab'.repeat(15) + ['cd', 'ef'][random(2)]
        case 3:
          return ['nope', `Q1${'A'.repeat(26)}=`, `X1${'g'.repeat(40)}`, ''][random(4)]
        case 4:
          return undefined
        default:
          return `Q1${d.toString('base64')}`
      }
    }
    /** The plain reading: the names kept with their identities, or the error's kind. */
    const plain = (
      stanzas: { c: (string | undefined)[]; p?: string; v?: string; y: boolean }[]
    ) => {
      const seen = new Set<string>()
      const kept: string[] = []
      for (const s of stanzas) {
        if (!s.p || !s.v) return 'no P: (name) or V: (version)'
        let c = s.c.filter((x) => x !== undefined).at(-1) ?? ''
        if (/^X1[0-9a-fA-F]{40}$/.test(c))
          c = `Q1${Buffer.from(c.slice(2), 'hex').toString('base64')}`
        if (!/^Q1[A-Za-z0-9+/]{27}=$/.test(c) && !/^[0-9a-fA-F]{32}$/.test(c)) {
          return 'malformed C: identity'
        }
        if (s.y || seen.has(c)) continue
        seen.add(c)
        kept.push(`${s.p} ${c}`)
      }
      return kept
    }
    for (let round = 0; round < 3000; round++) {
      const stanzas = Array.from({ length: 1 + random(6) }, () => ({
        c: Array.from({ length: 1 + random(2) }, identity),
        p: random(25) === 0 ? ['', undefined][random(2)] : `p${random(4)}`,
        v: random(25) === 0 ? '' : '1-r0',
        y: random(5) === 0
      }))
      const text = stanzas
        .map(
          (s) =>
            s.c.map((c) => (c === undefined ? '' : `C:${c}\n`)).join('') +
            (s.p === undefined ? '' : `P:${s.p}\n`) +
            `V:${s.v}\n` +
            (s.y ? 'Y:new\n' : '') +
            '\n'
        )
        .join('')
      const expected = plain(stanzas)
      let got: string[] | string
      try {
        got = parseApkindexText(text, REPO).map((p) => `${p.name} ${p.checksum}`)
      } catch (error) {
        expect(error).toBeInstanceOf(FormatError)
        got = /no P: \(name\) or V: \(version\)|malformed C: identity/.exec(
          (error as Error).message
        )?.[0] as string
      }
      if (JSON.stringify(got) !== JSON.stringify(expected)) {
        throw new Error(`round ${round}: ${JSON.stringify(got)} for ${JSON.stringify(text)}`)
      }
    }
  })

  it('compares identities in Q1 form, and only those of installable stanzas', () => {
    const bytes = Buffer.alloc(20, 0xcd)
    const q1 = `Q1${bytes.toString('base64')}`
    const x1 = `X1${bytes.toString('hex').toUpperCase()}`
    // The X1 form of an identity met as Q1 is the same package: the first stays.
    const text = `C:${q1}\nP:a\nV:1\n\nC:${x1}\nP:a-again\nV:1\n\nC:${C1}\nP:b\nV:1\n\n`
    expect(parseApkindexText(text, REPO).map((p) => `${p.name} ${p.checksum}`)).toEqual([
      `a ${q1}`,
      `b ${C1}`
    ])
    // An uninstallable stanza (an unknown letter) holds no identity: a later one of it is kept.
    const later = `C:${x1}\nP:old\nV:1\nY:new\n\nC:${q1}\nP:new\nV:1\n\n`
    expect(parseApkindexText(later, REPO).map((p) => p.name)).toEqual(['new'])
    // An empty P: or V: is none.
    expect(() => parseApkindexText(`C:${C1}\nP:\nV:1\n\n`, REPO)).toThrow(/no P: \(name\)/)
    expect(() => parseApkindexText(`C:${C1}\nP:a\nV:\n\n`, REPO)).toThrow(/no P: \(name\)/)
  })

  it('turns X1 hex identities into Q1 form and refuses a stanza without a valid C:', () => {
    const hex = Buffer.alloc(20, 0xab).toString('hex')
    const [pkg] = parseApkindexText(`C:X1${hex}\nP:a\nV:1\n\n`, REPO)
    expect(pkg.checksum).toBe(`Q1${Buffer.alloc(20, 0xab).toString('base64')}`)
    expect(() => parseApkindexText('C:nope\nP:a\nV:1\n\n', REPO)).toThrow(FormatError)
    expect(() => parseApkindexText(`C:${C1}\nV:1\n\n`, REPO)).toThrow(FormatError)
  })

  it('refuses a Q1 identity with a wrong character, length or end; the last C: line counts', () => {
    const body = 'A'.repeat(27)
    const stanza = (...ids: string[]) => `${ids.map((id) => `C:${id}\n`).join('')}P:a\nV:1\n\n`
    expect(parseApkindexText(stanza(`Q1${body}=`), REPO)[0].checksum).toBe(`Q1${body}=`)
    for (const bad of [
      `Q1${body.slice(1)}!=`,
      `Q1${body.slice(1)}=`,
      `Q1${body}A=`,
      `Q1${body}A`,
      `Q2${body}=`,
      `Q1${body.slice(1)}\u00e9=`
    ]) {
      expect(() => parseApkindexText(stanza(bad), REPO)).toThrow(/malformed C: identity/)
    }
    // apk's legacy MD5 identity: 32 hex digits.
    expect(parseApkindexText(stanza('ab'.repeat(16)), REPO)[0].checksum).toBe('ab'.repeat(16))
    expect(() => parseApkindexText(stanza(C1, 'nope'), REPO)).toThrow(/malformed C: identity/)
    expect(parseApkindexText(stanza('nope', C1), REPO)[0].checksum).toBe(C1)
  })

  it('stops a dependency list at a malformed token, as apk does', () => {
    const [pkg] = parseApkindexText(`C:${C1}\nP:a\nV:1\nD:x>=1 y =bad z\n\n`, REPO)
    expect(pkg.depends.map((d) => d.name)).toEqual(['x', 'y'])
  })

  it('decodes each non-ASCII value on its own, even where its bytes read as another as latin1', () => {
    // `é` in UTF-8 (C3 A9), then a lone E9 byte: latin1 reads that one as `é` too.
    const bytes = Buffer.concat([
      Buffer.from(`C:${C1}\nP:caf`),
      Buffer.from([0xc3, 0xa9]),
      Buffer.from(`\nV:1\nT:caf`),
      Buffer.from([0xc3, 0xa9]),
      Buffer.from(`\n\nC:${C2}\nP:caf`),
      Buffer.from([0xe9]),
      Buffer.from('\nV:1\nD:caf'),
      Buffer.from([0xc3, 0xa9]),
      Buffer.from('\n\n')
    ])
    const [first, second] = readIndexTable(bytes, REPO).all()
    expect(first.name).toBe('café')
    expect(first.description).toBe('café')
    expect(second.name).toBe('caf\ufffd')
    expect(second.depends.map((d) => d.name)).toEqual(['café'])
  })

  it('reads the last of a repeated detail line, and details among lines of other letters', () => {
    const text =
      `C:${C1}\nP:a\nV:1\nS:5\nI:9\nT:first\nD:x\nU:https://a.example\nT:second\nk:3\n\n` +
      `C:${C2}\nP:b\nV:1\nD:y\n\n`
    const [a, b] = parseApkindexText(text, REPO)
    expect(a).toMatchObject({
      size: 5,
      installedSize: 9,
      description: 'second',
      url: 'https://a.example',
      providerPriority: 3
    })
    expect(a.depends.map((d) => d.name)).toEqual(['x'])
    // A stanza with no detail lines at all.
    expect(b).toMatchObject({ size: 0, description: '', url: '', origin: undefined })
  })
})

/**
 * An index's table keeps its own copy of what it needs, so the index's bytes can go once it is
 * read: a table made from them must not point into them.
 */
describe('the table of an index keeps nothing of its bytes', () => {
  const C = (i: number) => `Q1${i.toString(36).padStart(27, 'A')}=`

  /** An index of `count` packages, one with a description longer than a megabyte. */
  function indexText(count: number): string {
    const stanzas: string[] = []
    for (let i = 0; i < count; i++) {
      const description = i === 7 ? 'long '.repeat(300_000) : `package ${i} (caf\u00e9)`
      stanzas.push(
        `C:${C(i)}\nP:pkg-${i}\nV:1.${i}-r0\nA:x86_64\nS:${1000 + i}\nI:${2000 + i}\n` +
          `T:${description}\nU:https://example.org/${i % 5}\nL:MIT\no:origin-${i % 5}\n` +
          `m:Maintainer <m@example.org>\nt:${1700000000 + i}\nc:${'c'.repeat(40)}\n` +
          `D:so:libc.musl-x86_64.so.1 dep-${i % 3}>=1.0\np:cmd:pkg-${i}=1.${i}-r0\n\n`
      )
    }
    return stanzas.join('')
  }

  it('makes the same packages after the bytes it was read from are overwritten', () => {
    const text = indexText(40)
    const bytes = Buffer.from(text, 'utf8')
    const table = readIndexTable(bytes, REPO)
    bytes.fill(0x21)
    const made = table.all()
    expect(made).toEqual(parseApkindexText(text, REPO))
    expect(made[7].description).toHaveLength(1_500_000)
    expect(made[3]).toMatchObject({ description: 'package 3 (café)', buildTime: 1700000003 })
  })

  it('holds its numbers in typed arrays of their exact size', () => {
    const table = readIndexTable(Buffer.from(indexText(300)), REPO)
    expect(table.count).toBe(300)
    for (const column of [table.installedSizes, table.priorities, table.repositories]) {
      expect(column).toHaveLength(300)
    }
    expect(table.installedSizes[299]).toBe(2299)
    // Per row: two depends, one provide, no install_if.
    expect(table.listStarts).toBeInstanceOf(Int32Array)
    expect(table.listStarts).toHaveLength(300 * 3 + 1)
    expect(table.lists).toBeInstanceOf(Int32Array)
    expect(table.lists).toHaveLength(300 * 3)
    expect(table.dependencies(299, 0).map((d) => d.name)).toEqual([
      'so:libc.musl-x86_64.so.1',
      'dep-2'
    ])
  })

  it('reads the same table from pieces cut anywhere, blank lines and stanzas split', () => {
    const text = Buffer.from(
      indexText(6).replace('long '.repeat(300_000), 'long') + `C:${C(90)}\nP:unfinished\nV:1-r0\n`,
      'utf8'
    )
    const whole = readIndexTable(text, REPO).all()
    expect(whole.map((p) => p.name)).toEqual(['pkg-0', 'pkg-1', 'pkg-2', 'pkg-3', 'pkg-4', 'pkg-5'])
    // Every cut in two, and in three around each blank line ("\n" then "\n", and between).
    for (let cut = 0; cut <= text.length; cut++) {
      const pieces = [text.subarray(0, cut), text.subarray(cut)]
      expect(readIndexTable(pieces, REPO).all()).toEqual(whole)
    }
    for (let blank = text.indexOf('\n\n'); blank >= 0; blank = text.indexOf('\n\n', blank + 1)) {
      for (const [a, b] of [
        [blank, blank + 1],
        [blank + 1, blank + 2],
        [blank - 3, blank + 1]
      ]) {
        const pieces = [text.subarray(0, a), text.subarray(a, b), text.subarray(b)]
        expect(readIndexTable(pieces, REPO).all()).toEqual(whole)
      }
    }
  })

  it("reads each row's identity from the text of its piece, and finds a row by it", () => {
    const text = Buffer.from(indexText(6).replace('long '.repeat(300_000), 'long'))
    // Two pieces, so two scans: two texts of identities.
    const cut = text.indexOf('\n\n', text.length / 2) + 2
    const table = readIndexTable([text.subarray(0, cut), text.subarray(cut)], REPO)
    const expected = Array.from({ length: 6 }, (_, i) => C(i))
    expect(Array.from({ length: 6 }, (_, row) => table.checksum(row))).toEqual(expected)
    expect(table.rowOfChecksum(C(4))).toBe(4)
    expect(table.rowOfChecksum(C(99))).toBe(-1)
    // A table made from packages, whose identities are given one by one.
    const copy = tableOfPackages(table.all())
    expect(Array.from({ length: 6 }, (_, row) => copy.checksum(row))).toEqual(expected)
    expect(copy.rowOfChecksum(C(5))).toBe(5)
  })

  it('reads an index without blank lines but for its last, in pieces, in linear time', () => {
    // One stanza whose lines never end it (a hostile index): every piece waits for the next,
    // and they are joined once, not again with each piece.
    const lines = `C:${C(1)}\nP:one\nV:1-r0\n` + 'z:filler line to be ignored\n'.repeat(400_000)
    const text = Buffer.from(lines + '\n', 'utf8')
    const pieces: Buffer[] = []
    for (let at = 0; at < text.length; at += 256) pieces.push(text.subarray(at, at + 256))
    const table = readIndexTable(pieces, REPO)
    expect(table.all().map((p) => p.name)).toEqual(['one'])
  })

  it("keeps a large index's details deflated, and makes its packages whole from them", () => {
    const text = indexText(20_000)
    expect(text.length).toBeGreaterThan(4 * 1024 * 1024)
    const table = readIndexTable(Buffer.from(text, 'utf8'), REPO)
    const stanzas = text.split('\n\n')
    // Rows far apart and next to each other, in blocks one after another and back again.
    for (const row of [0, 7, 19_999, 1, 8, 10_000, 10_001, 2, 19_998, 7]) {
      const [alone] = parseApkindexText(`${stanzas[row]}\n\n`, REPO)
      expect(table.package(row)).toEqual(alone)
    }
    expect(table.package(7).description).toHaveLength(1_500_000)
  })

  it('has what it scanned collected every 4 MiB of text while a large index inflates', async () => {
    const key = generateSigningKey()
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-index-scanned-'))
    try {
      const keyring = await Keyring.load({ keysDir: writeKeysDir(path.join(dir, 'keys'), [key]) })
      const text = indexText(32_000)
      expect(text.length).toBeGreaterThan(10 * 1024 * 1024)
      const file = buildIndexFromText(text, key)
      const before = collectionsRun()
      const index = await readApkindex(file, REPO, { keyring })
      expect(index.table.count).toBe(32_000)
      expect(collectionsRun() - before).toBeGreaterThanOrEqual(2)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)

  /** Reads an index from bytes nothing else refers to; a WeakRef to those bytes. */
  function readDropped(text: string) {
    const bytes = Buffer.from(text, 'utf8')
    return { table: readIndexTable(bytes, REPO), bytes: new WeakRef(bytes) }
  }

  it('lets the bytes be collected while the table lives', async () => {
    const { table, bytes } = readDropped(indexText(2000))
    // A WeakRef holds its target until the current job ends: the collection comes in the next.
    expect(await collectUnreachable()).toBe(true)
    expect(bytes.deref()).toBeUndefined()
    expect(table.package(1999).name).toBe('pkg-1999')
    expect(table.package(0).url).toBe('https://example.org/0')
  })

  it('keeps nothing of the downloaded file either (readApkindex)', async () => {
    const key = generateSigningKey()
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-index-held-'))
    try {
      const keysDir = path.join(dir, 'keys')
      writeKeysDir(keysDir, [key])
      const keyring = await Keyring.load({ keysDir })
      const file = buildIndexFromText(indexText(50), key)
      const read = async () => {
        const bytes = Buffer.from(file)
        return { index: await readApkindex(bytes, REPO, { keyring }), bytes: new WeakRef(bytes) }
      }
      const { index, bytes } = await read()
      expect(await collectUnreachable()).toBe(true)
      expect(bytes.deref()).toBeUndefined()
      expect(index.packages).toHaveLength(50)
      // What the caller may count as let go of: the file and what it inflated to.
      expect(index.bytesRead).toBe(file.length + Buffer.byteLength(indexText(50)))
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
