import { execFileSync } from 'node:child_process'
import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import * as zlib from 'node:zlib'
import { formatIndexHeader, readApkindex } from '../src/apk/formats/apkindex.js'
import { FormatError, PackageIntegrityError } from '../src/apk/errors.js'
import { splitGzipMembers } from '../src/apk/formats/gzip.js'
import { Keyring } from '../src/apk/keys/keyring.js'
import {
  apkIdentity,
  readApkPackage,
  readApkPackageAsync
} from '../src/apk/formats/package-file.js'
import { parsePkginfo } from '../src/apk/formats/pkginfo.js'
import type { RepoPackage } from '../src/apk/types.js'
import { buildApk, type ApkSpec } from './support/apk-builder.js'
import { generateSigningKey, writeKeysDir } from './support/keys.js'
import { haveShared, SHARED } from './support/shared.js'

const sharedHere = haveShared()

const REFERENCE = path.join(SHARED, 'fixtures', 'apk-tools-reference')
const REPO_DIR = path.join(REFERENCE, 'repo-x86_64')
const FIXTURE_KEY = 'test@example-65a1b2c3.rsa.pub'

function integrityError(fn: () => unknown): PackageIntegrityError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(PackageIntegrityError)
    return error as PackageIntegrityError
  }
  throw new Error('expected a PackageIntegrityError')
}

/** The file with member `which` (0-based) replaced by `edit` of its inflated tar, gzipped again. */
function regzipMember(bytes: Buffer, which: number, edit: (tar: Buffer) => void): Buffer {
  const members = splitGzipMembers(bytes)
  const parts = members.map((m) => bytes.subarray(m.start, m.end))
  const tar = Buffer.from(members[which].data)
  edit(tar)
  parts[which] = zlib.gzipSync(tar, { level: 9 })
  return Buffer.concat(parts)
}

function flipAt(tar: Buffer, marker: string, offset = 0): void {
  const at = tar.indexOf(marker) + offset
  expect(at).toBeGreaterThanOrEqual(offset)
  tar[at] ^= 0x01
}

;(sharedHere ? describe : describe.skip)('the apk-tools reference packages', () => {
  let keyring: Keyring
  let entries: Map<string, RepoPackage>
  const file = (name: string) => fs.readFileSync(path.join(REPO_DIR, name))

  beforeAll(async () => {
    keyring = await Keyring.load({ keysDir: path.join(REFERENCE, 'keys') })
    const index = await readApkindex(
      file('APKINDEX.tar.gz'),
      { url: 'repo', index: 0 },
      { keyring }
    )
    entries = new Map(index.packages.map((p) => [`${p.name}-${p.version}.apk`, p]))
  })

  it('reads every .apk of the repository against its index entry', () => {
    const apks = fs.readdirSync(REPO_DIR).filter((f) => f.endsWith('.apk'))
    expect(apks).toHaveLength(5)
    for (const name of apks) {
      const bytes = file(name)
      const expected = entries.get(name) as RepoPackage
      const pkg = readApkPackage(bytes, { expected })
      expect(formatIndexHeader(pkg.info)).toBe(formatIndexHeader(expected))
      expect(pkg.info.size).toBe(bytes.length)
      const members = splitGzipMembers(bytes)
      const data = members[members.length - 1]
      const control = members[members.length - 2]
      expect(pkg.info.checksum).toBe(apkIdentity(bytes.subarray(control.start, control.end)))
      const datahash = crypto.createHash('sha256').update(bytes.subarray(data.start)).digest('hex')
      expect(pkg.info.datahash).toBe(datahash)
      // The data entries are what GNU tar lists, minus the control section.
      const listed = execFileSync('tar', [
        '--warning=no-unknown-keyword',
        '-tzf',
        path.join(REPO_DIR, name)
      ])
        .toString()
        .trim()
        .split('\n')
        .filter((n) => !n.startsWith('.'))
        .map((n) => n.replace(/\/$/, ''))
      expect(pkg.entries.map((e) => e.name)).toEqual(listed)
      for (const entry of pkg.entries.filter((e) => e.type === 'file')) {
        expect(entry.sha1).toBe(crypto.createHash('sha1').update(entry.data).digest('hex'))
      }
    }
  })

  it('keeps the owners and modes of the data entries', () => {
    const name = 'alpine-baselayout-data-3.6.8-r1.apk'
    const pkg = readApkPackage(file(name), { expected: entries.get(name) })
    const shadow = pkg.entries.find((e) => e.name === 'etc/shadow')
    expect(shadow).toMatchObject({ type: 'file', mode: 0o640, uid: 0, gid: 42 })
    expect(pkg.entries.find((e) => e.name === 'tmp')).toMatchObject({
      type: 'directory',
      mode: 0o1777
    })
  })

  it('refuses a file that is not the one the index lists (identity mismatch)', () => {
    const error = integrityError(() =>
      readApkPackage(file('hello-1.0-r0.apk'), { expected: entries.get('hello-1.1-r0.apk') })
    )
    expect(error.message).toMatch(/^hello-1\.1-r0: identity mismatch/)
    expect(error.message).toContain('the file holds hello-1.0-r0')
  })

  it('refuses tampered data: a changed file in a data member gzipped again (datahash)', () => {
    const name = 'hello-1.1-r0.apk'
    const tampered = regzipMember(file(name), 2, (tar) => flipAt(tar, 'ELF', 1024))
    const error = integrityError(() => readApkPackage(tampered, { expected: entries.get(name) }))
    expect(error.message).toMatch(/^hello-1\.1-r0: data integrity error/)
    const local = integrityError(() => readApkPackage(tampered, { keyring, label: name }))
    expect(local.message).toMatch(/^hello-1\.1-r0: data integrity error/)
  })

  it('refuses a flipped compressed byte in the data member', () => {
    const name = 'musl-1.2.3-r0.apk'
    const bytes = Buffer.from(file(name))
    bytes[bytes.length - 5000] ^= 0x20
    const error = integrityError(() => readApkPackage(bytes, { expected: entries.get(name) }))
    expect(error.message).toMatch(/^musl-1\.2\.3-r0: /)
  })

  it('refuses a tampered control section (identity; signature for a local file)', () => {
    const name = 'hello-1.1-r0.apk'
    const tampered = regzipMember(file(name), 1, (tar) => flipAt(tar, 'tiny hello'))
    const error = integrityError(() => readApkPackage(tampered, { expected: entries.get(name) }))
    expect(error.message).toMatch(/^hello-1\.1-r0: identity mismatch/)
    const local = integrityError(() => readApkPackage(tampered, { keyring }))
    expect(local.message).toMatch(/BAD signature/)
    expect(local.message).toContain(FIXTURE_KEY)
  })

  it('checks a local file by its signature: trusted key, no key, allowUntrusted', async () => {
    const bytes = file('hello-1.1-r0.apk')
    expect(readApkPackage(bytes, { keyring }).info.name).toBe('hello')
    const empty = await Keyring.load({})
    const error = integrityError(() => readApkPackage(bytes, { keyring: empty, label: '/x.apk' }))
    expect(error.message).toMatch(/^hello-1\.1-r0: UNTRUSTED signature/)
    expect(error.message).toContain(FIXTURE_KEY)
    expect(error.message).toContain('/x.apk')
    integrityError(() => readApkPackage(bytes, {}))
    expect(readApkPackage(bytes, { allowUntrusted: true }).info.version).toBe('1.1-r0')
  })

  it('refuses a local file whose key name is held with other material (BAD signature)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-pf-'))
    try {
      const impostor = generateSigningKey(FIXTURE_KEY, { fresh: true })
      const wrong = await Keyring.load({ keysDir: writeKeysDir(dir, [impostor]) })
      const error = integrityError(() =>
        readApkPackage(file('musl-1.2.3-r0.apk'), { keyring: wrong })
      )
      expect(error.message).toMatch(/^musl-1\.2\.3-r0: BAD signature/)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('readApkPackage on built packages', () => {
  const key = generateSigningKey()
  let dir: string
  let keyring: Keyring

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-pf-'))
    keyring = await Keyring.load({ keysDir: writeKeysDir(dir, [key]) })
  })

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  const spec = (extra: Partial<ApkSpec> = {}): ApkSpec => ({
    name: 'spell',
    version: '1.0-r0',
    files: [
      { path: 'usr/bin/spell', content: '#!/bin/sh\necho spell\n', mode: 0o755 },
      { path: 'usr/share/spell/long-link', type: 'symlink', target: `/${'t'.repeat(150)}` },
      { path: 'usr/lib/libspell.so', type: 'symlink', target: 'libspell.so.1' },
      { path: 'usr/lib/libspell.so.1', content: 'lib' }
    ],
    ...extra
  })

  it.each(['RSA', 'RSA256', 'RSA512'] as const)(
    'verifies a %s-signed local package',
    (signature) => {
      const apk = buildApk(spec(), key, { signature })
      const pkg = readApkPackage(apk.bytes, { keyring })
      expect(pkg.info.checksum).toBe(apk.info.checksum)
      expect(formatIndexHeader(pkg.info)).toBe(formatIndexHeader(apk.info))
      expect(pkg.entries.find((e) => e.name === 'usr/share/spell/long-link')?.linkname).toBe(
        `/${'t'.repeat(150)}`
      )
    }
  )

  it('refuses an RSA256 signature from another key under the trusted name', () => {
    const impostor = generateSigningKey(key.name, { fresh: true })
    const apk = buildApk(spec(), impostor, { signature: 'RSA256' })
    const error = integrityError(() => readApkPackage(apk.bytes, { keyring }))
    expect(error.message).toMatch(/^spell-1\.0-r0: BAD signature/)
  })

  it('refuses an unsigned local package unless untrusted is allowed', () => {
    const apk = buildApk(spec(), undefined, { signature: 'none' })
    const error = integrityError(() => readApkPackage(apk.bytes, { keyring }))
    expect(error.message).toMatch(/not signed/)
    expect(readApkPackage(apk.bytes, { allowUntrusted: true }).info.name).toBe('spell')
    // From a repository the package's own signature does not matter: the index vouches for it.
    expect(readApkPackage(apk.bytes, { expected: { ...apk.info, repository: 0 } }).info.name).toBe(
      'spell'
    )
  })

  it('refuses a file whose content does not match its APK-TOOLS.checksum.SHA1', () => {
    const files = spec().files.map((f) =>
      f.path === 'usr/lib/libspell.so.1' ? { ...f, checksum: 'ab'.repeat(20) } : f
    )
    const apk = buildApk(spec({ files }), key)
    const expected = { ...apk.info, repository: 0 }
    const error = integrityError(() => readApkPackage(apk.bytes, { expected }))
    expect(error.message).toMatch(
      /^spell-1\.0-r0: checksum mismatch for \/usr\/lib\/libspell\.so\.1/
    )
    integrityError(() => readApkPackage(apk.bytes, { allowUntrusted: true }))
  })

  it('refuses a symlink whose target does not match its checksum', () => {
    const files = spec().files.map((f) =>
      f.path === 'usr/lib/libspell.so'
        ? { ...f, checksum: crypto.createHash('sha1').update('x').digest('hex') }
        : f
    )
    const apk = buildApk(spec({ files }), key)
    const error = integrityError(() =>
      readApkPackage(apk.bytes, { expected: { ...apk.info, repository: 0 } })
    )
    expect(error.message).toContain('/usr/lib/libspell.so:')
  })

  it('refuses a datahash that does not match the data, even when untrusted is allowed', () => {
    const apk = buildApk(spec({ datahash: '00'.repeat(32) }), key)
    const error = integrityError(() => readApkPackage(apk.bytes, { allowUntrusted: true }))
    expect(error.message).toMatch(/data integrity error/)
  })

  it('returns the scripts of the control section by type', () => {
    const apk = buildApk(
      spec({ scripts: { 'pre-install': '#!/bin/sh\necho pre\n', trigger: '#!/bin/sh\n' } }),
      key
    )
    const pkg = readApkPackage(apk.bytes, { expected: { ...apk.info, repository: 0 } })
    expect([...pkg.scripts.keys()]).toEqual(['pre-install', 'trigger'])
    expect(pkg.scripts.get('pre-install')?.toString()).toBe('#!/bin/sh\necho pre\n')
    expect(pkg.entries.some((e) => e.name.startsWith('.'))).toBe(false)
  })

  it('names the package by its label when the bytes are not an .apk', () => {
    const error = integrityError(() =>
      readApkPackage(Buffer.from('not gzip'), { allowUntrusted: true, label: 'local/x.apk' })
    )
    expect(error.message).toMatch(/^local\/x\.apk: not a valid \.apk file/)
  })
})

describe('parsePkginfo', () => {
  it('reads key = value lines as apk does', () => {
    const info = parsePkginfo(
      [
        '# comment = ignored',
        'pkgname = spell',
        'pkgver = 1.2-r3',
        'pkgdesc = a = b',
        'no separator here',
        'size = 42kB',
        'builddate = 1700000000',
        'packager = ignored',
        'unknownkey = ignored',
        'depend = so:libc.musl-x86_64.so.1 a>1',
        'depend = b',
        'provides = cmd:spell=1.2-r3',
        'install_if = spell-base b',
        'replaces = old-spell',
        'replaces_priority = 5',
        'provider_priority = 100',
        'triggers = /usr/share/a/*',
        'triggers = /usr/lib/b/* /usr/lib/c/*',
        'datahash = ABCDEF',
        ''
      ].join('\n')
    )
    expect(info).toMatchObject({
      checksum: '',
      size: 0,
      name: 'spell',
      version: '1.2-r3',
      description: 'a = b',
      installedSize: 42,
      buildTime: 1700000000,
      replacesPriority: 5,
      providerPriority: 100,
      triggers: ['/usr/lib/b/*', '/usr/lib/c/*'],
      datahash: 'abcdef'
    })
    expect(info.depends.map((d) => d.name)).toEqual(['so:libc.musl-x86_64.so.1', 'a', 'b'])
    expect(info.provides.map((d) => [d.name, d.version])).toEqual([['cmd:spell', '1.2-r3']])
    expect(info.installIf.map((d) => d.name)).toEqual(['spell-base', 'b'])
    expect(info.replaces.map((d) => d.name)).toEqual(['old-spell'])
  })

  it('refuses a .PKGINFO without pkgname or pkgver', () => {
    expect(() => parsePkginfo('pkgver = 1\n')).toThrow(FormatError)
    expect(() => parsePkginfo('pkgname = a\n')).toThrow(/pkgver/)
  })
})

describe('readApkPackageAsync gives what readApkPackage gives', () => {
  const key = generateSigningKey()
  const big = (seed: number) =>
    crypto.createHash('sha512').update(String(seed)).digest().toString('hex').repeat(2100)
  const spec: ApkSpec = {
    name: 'parity',
    version: '2.0-r3',
    scripts: { 'post-install': '#!/bin/sh\n' },
    files: [
      { path: 'usr/lib/big1.so', content: big(1), mode: 0o755 },
      // Over a megabyte of files: one data section inflated on the thread pool.
      { path: 'usr/lib/big2.so', content: crypto.randomBytes(1200 * 1024) },
      { path: 'usr/lib/small', content: 'small' },
      { path: 'usr/lib/link.so', type: 'symlink', target: 'big1.so' }
    ]
  }
  const good = buildApk(spec, key)
  const expected = { ...good.info, repository: 0 }
  const wrongBig = buildApk(
    {
      ...spec,
      files: [
        { path: 'usr/lib/big1.so', content: big(1), checksum: '00'.repeat(20) },
        { path: 'usr/lib/big2.so', content: crypto.randomBytes(1200 * 1024) }
      ]
    },
    key
  )
  const dataStart = splitGzipMembers(good.bytes).at(-1)?.start ?? 0

  async function outcomes(bytes: Buffer, options: Parameters<typeof readApkPackage>[1]) {
    const summary = (file: ReturnType<typeof readApkPackage>) => ({
      info: file.info,
      scripts: [...file.scripts.keys()],
      entries: file.entries.map((e) => [e.name, e.type, e.mode, e.sha1, e.data.length])
    })
    const sync = (() => {
      try {
        return { ok: summary(readApkPackage(bytes, options)) }
      } catch (error) {
        return { error: `${(error as Error).name}: ${(error as Error).message}` }
      }
    })()
    const async = await readApkPackageAsync(bytes, options).then(
      (file) => ({ ok: summary(file) }),
      (error: Error) => ({ error: `${error.name}: ${error.message}` })
    )
    return { sync, async }
  }

  const cases: [string, () => Buffer, Parameters<typeof readApkPackage>[1], RegExp | null][] = [
    ['a good package from a repository', () => good.bytes, { expected }, null],
    ['a good local package, untrusted allowed', () => good.bytes, { allowUntrusted: true }, null],
    [
      'a flipped byte in the data section',
      () => {
        const bytes = Buffer.from(good.bytes)
        bytes[dataStart + 200] ^= 0x40
        return bytes
      },
      { expected },
      /parity-2\.0-r3/
    ],
    [
      'a data section gzipped again with one file changed (datahash)',
      () => regzipMember(good.bytes, 2, (tar) => flipAt(tar, 'small', 0)),
      { expected },
      /datahash|checksum/
    ],
    [
      'a big file whose content does not match its checksum (hashed off thread)',
      () => wrongBig.bytes,
      { allowUntrusted: true },
      /checksum mismatch for \/usr\/lib\/big1\.so/
    ],
    [
      'a truncated file',
      () => good.bytes.subarray(0, good.bytes.length - 100),
      { expected },
      /parity/
    ],
    [
      'not gzip at all',
      () => Buffer.from('hello'),
      { allowUntrusted: true, label: 'x.apk' },
      /x\.apk/
    ]
  ]

  it.each(cases)('%s', async (_name, bytes, options, error) => {
    const { sync, async } = await outcomes(bytes(), options)
    expect(async).toEqual(sync)
    const outcome = async as { ok?: { entries: unknown[] }; error?: string }
    if (error) expect(outcome.error).toMatch(error)
    else expect(outcome.ok?.entries.length).toBeGreaterThan(3)
  })
})
