/**
 * Proves the test-support builders make well-formed APK packages and repositories, by means
 * independent of both the builders and src/: GNU tar lists and extracts the members, openssl
 * verifies the signatures and recomputes digests, Python's tarfile reads the PAX records, and
 * the reference repository (../shared) fixes the exact layout. Also exercises the HTTP test
 * server's faults and the proxy, and runs the musl-built hello binary.
 */
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as http from 'node:http'
import * as net from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import * as zlib from 'node:zlib'
import { buildApk, type ApkSpec, type BuiltApk } from './support/apk-builder.js'
import { startProxy, startServer, type TestServer } from './support/http-server.js'
import { walkTree } from './support/walk.js'
import {
  generateSigningKey,
  keyFingerprint,
  writeKeysDir,
  type SigningKey
} from './support/keys.js'
import {
  baselayoutDataPackage,
  caBundlePackage,
  compileMusl,
  HELLO_MESSAGE,
  HELLO_SOURCE,
  helloPackage,
  metaPackage,
  muslPackage,
  synthetic
} from './support/packages.js'
import { compareVersionsLoose, toDependencies } from './support/deps.js'
import {
  buildIndex,
  buildRepository,
  buildUnsignedIndex,
  formatIndexStanza,
  formatIndexText
} from './support/repo-builder.js'
import type { PackageInfo } from '../src/apk/types.js'
import { haveShared, SHARED } from './support/shared.js'

const sharedHere = haveShared()
const REF = path.join(SHARED, 'fixtures', 'apk-tools-reference', 'repo-x86_64')

function have(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0
}
const havePython = have('python3')
if (!havePython) console.warn('skipping PAX record checks: python3 not found')

let work: string
let key: SigningKey
let keysDir: string

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-support-'))
  key = generateSigningKey()
  keysDir = writeKeysDir(path.join(work, 'keys'), [key])
})

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true })
})

// --- independent tools ------------------------------------------------------------------------

function run(
  cmd: string,
  args: string[],
  input?: Buffer,
  cwd?: string
): { out: string; err: string; status: number } {
  const r = spawnSync(cmd, args, { input, cwd, maxBuffer: 64 * 1024 * 1024 })
  if (r.error) throw r.error
  return { out: r.stdout.toString('utf8'), err: r.stderr.toString('utf8'), status: r.status ?? -1 }
}

function runBytes(cmd: string, args: string[], input?: Buffer): Buffer {
  const r = spawnSync(cmd, args, { input, maxBuffer: 64 * 1024 * 1024 })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}

/** Splits concatenated gzip members by inflating each raw deflate stream (plain 10-byte headers). */
function splitGzip(buf: Buffer): Buffer[] {
  const members: Buffer[] = []
  let pos = 0
  while (pos < buf.length) {
    expect(buf.subarray(pos, pos + 4).toString('hex')).toBe('1f8b0800') // gzip, deflate, no FLG bits
    const r = zlib.inflateRawSync(buf.subarray(pos + 10), { info: true }) as unknown as {
      engine: { bytesWritten: number }
    }
    const end = pos + 10 + r.engine.bytesWritten + 8
    members.push(buf.subarray(pos, end))
    pos = end
  }
  return members
}

/** GNU tar's verbose listing of one gzip member: [mode, owner, size, name] per entry. */
function gnuList(member: Buffer): string[][] {
  const r = run('tar', ['--numeric-owner', '-P', '-tvzf', '-'], member)
  expect(r.status).toBe(0)
  return r.out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const m = /^(\S+) (\S+)\s+(\S+) \S+ \S+ (.*)$/.exec(line)
      if (!m) throw new Error(`unexpected tar line: ${line}`)
      return [m[1], m[2], m[3], m[4]]
    })
}

interface PyEntry {
  name: string
  type: string
  mode: number
  uid: number
  gid: number
  uname: string
  gname: string
  size: number
  linkname: string
  pax: Record<string, string>
}

const PY_LIST = `
import sys, tarfile, json
out = []
with tarfile.open(fileobj=sys.stdin.buffer, mode='r|gz') as t:
    for m in t:
        out.append(dict(name=m.name, type=m.type.decode(), mode=m.mode, uid=m.uid, gid=m.gid,
            uname=m.uname, gname=m.gname, size=m.size, linkname=m.linkname,
            pax={k: v for k, v in m.pax_headers.items()}))
print(json.dumps(out))
`

/** Python's tarfile view of a gzip member (PAX records included). */
function pyList(member: Buffer): PyEntry[] {
  const r = run('python3', ['-c', PY_LIST], member)
  if (r.status !== 0) throw new Error(r.err)
  return JSON.parse(r.out) as PyEntry[]
}

function opensslVerify(alg: 'sha1' | 'sha256', pubPem: string, sig: Buffer, data: Buffer): string {
  const dir = fs.mkdtempSync(path.join(work, 'ossl-'))
  fs.writeFileSync(path.join(dir, 'pub.pem'), pubPem)
  fs.writeFileSync(path.join(dir, 'sig'), sig)
  fs.writeFileSync(path.join(dir, 'data'), data)
  const r = run(
    'openssl',
    ['dgst', `-${alg}`, '-verify', 'pub.pem', '-signature', 'sig', 'data'],
    undefined,
    dir
  )
  return r.out.trim() || r.err.trim()
}

function opensslDigest(alg: 'sha1' | 'sha256', data: Buffer): Buffer {
  return runBytes('openssl', ['dgst', `-${alg}`, '-binary'], data)
}

/** The file content of `name` inside a gzip member, via GNU tar. */
function tarCat(member: Buffer, name: string): Buffer {
  return runBytes('tar', ['-xzOf', '-', name], member)
}

function pkginfoKeys(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.slice(0, l.indexOf(' = ')))
}

function stanzas(text: string): Map<string, string[]> {
  const byName = new Map<string, string[]>()
  for (const stanza of text.split('\n\n').filter(Boolean)) {
    const lines = stanza.split('\n')
    const name = lines.find((l) => l.startsWith('P:'))?.slice(2) ?? ''
    byName.set(
      name,
      lines.map((l) => l[0])
    )
  }
  return byName
}

// --- keys -----------------------------------------------------------------------------------

describe('keys', () => {
  test('names look like Alpine key names; shared material unless fresh', () => {
    const a = generateSigningKey()
    const b = generateSigningKey()
    expect(a.name).toMatch(/^test@witchery-[0-9a-f]{8}\.rsa\.pub$/)
    expect(a.name).not.toBe(b.name)
    expect(a.publicKeyPem).toBe(b.publicKeyPem)
    const fresh = generateSigningKey(a.name, { fresh: true })
    expect(fresh.name).toBe(a.name)
    expect(keyFingerprint(fresh)).not.toBe(keyFingerprint(a))
    expect(keyFingerprint(a)).toMatch(/^[0-9a-f]{64}$/)
  })

  test('writeKeysDir writes SubjectPublicKeyInfo PEM files openssl reads as 2048-bit RSA', () => {
    const file = path.join(keysDir, key.name)
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----\n/)
    const r = run('openssl', ['pkey', '-pubin', '-in', file, '-noout', '-text'])
    expect(r.status).toBe(0)
    expect(r.out).toContain('Public-Key: (2048 bit)')
  })
})

// --- packages -------------------------------------------------------------------------------

const VARIED: ApkSpec = {
  name: 'varied',
  version: '2.0_rc1-r3',
  depends: ['so:libc.musl-x86_64.so.1', 'foo>=1.2 !bar'],
  provides: ['cmd:varied=2.0_rc1-r3', 'virt'],
  installIf: ['varied-base', 'docs'],
  replaces: ['old-varied<2'],
  replacesPriority: 5,
  providerPriority: 10,
  triggers: ['/usr/share/varied/*', '/etc/varied'],
  scripts: { 'post-install': '#!/bin/sh\necho post\n', 'pre-install': '#!/bin/sh\necho pre\n' },
  files: [
    { path: 'usr/bin/varied', content: '#!/bin/sh\necho varied\n', mode: 0o755 },
    { path: 'usr/bin/varied-link', type: 'hardlink', target: 'usr/bin/varied' },
    { path: 'etc/varied.conf', content: 'x=1\n' },
    { path: 'etc/varied.d/a.conf', content: 'a\n' },
    { path: 'usr/lib/libv.so', type: 'symlink', target: 'libv.so.1' },
    { path: 'usr/lib/libv.so.1', content: Buffer.alloc(3000, 1) },
    { path: 'usr/sbin/suid', content: 'bin', mode: 0o4755 },
    {
      path: 'var/lib/varied',
      type: 'dir',
      mode: 0o700,
      uid: 100,
      gid: 101,
      uname: 'varied',
      gname: 'varied'
    },
    { path: 'dev/null', type: 'chardev', devmajor: 1, devminor: 3 },
    { path: 'run/fifo', type: 'fifo' },
    { path: 'usr/share/cap', content: 'c', xattrs: { 'user.witchery': Buffer.from('v1') } },
    {
      path: `usr/share/${'long-directory-name/'.repeat(5)}file-with-a-long-name.txt`,
      content: 'long\n'
    }
  ]
}

describe('apk-builder', () => {
  let rsa: BuiltApk
  let rsa256: BuiltApk

  beforeAll(() => {
    rsa = buildApk(VARIED, key)
    rsa256 = buildApk(VARIED, key, { signature: 'RSA256' })
  })

  test('three gzip members: cut signature tar, cut control tar, data tar with its end', () => {
    const members = splitGzip(rsa.bytes)
    expect(members).toHaveLength(3)
    expect(members[0].equals(rsa.members.signature!)).toBe(true)
    expect(members[1].equals(rsa.members.control)).toBe(true)
    expect(members[2].equals(rsa.members.data)).toBe(true)
    const tars = members.map((m) => zlib.gunzipSync(m))
    for (const t of tars) expect(t.length % 512).toBe(0)
    // no end-of-archive in the first two: their last block is data, not zeros
    for (const t of tars.slice(0, 2)) expect(t.subarray(-512).equals(Buffer.alloc(512))).toBe(false)
    expect(tars[2].subarray(-1024).equals(Buffer.alloc(1024))).toBe(true)
    expect(rsa.info.size).toBe(rsa.bytes.length)
    expect(rsa.fileName).toBe('varied-2.0_rc1-r3.apk')
  })

  test('GNU tar lists the signature and control members', () => {
    const [sig, control] = splitGzip(rsa.bytes)
    expect(gnuList(sig)).toEqual([['-rw-r--r--', '0/0', '256', `.SIGN.RSA.${key.name}`]])
    expect(gnuList(splitGzip(rsa256.bytes)[0])[0][3]).toBe(`.SIGN.RSA256.${key.name}`)
    const listed = gnuList(control)
    expect(listed.map((e) => e[3])).toEqual(['.PKGINFO', '.pre-install', '.post-install'])
    expect(listed.map((e) => e[0])).toEqual(['-rw-r--r--', '-rwxr-xr-x', '-rwxr-xr-x'])
    expect(tarCat(control, '.PKGINFO').toString()).toBe(rsa.pkginfo)
  })

  test('GNU tar lists the data in tree order with modes, owners, links and devices', () => {
    const listed = gnuList(rsa.members.data)
    const long = `usr/share/${'long-directory-name/'.repeat(5)}file-with-a-long-name.txt`
    expect(listed.map((e) => e[3])).toEqual([
      'dev/',
      'dev/null',
      'etc/',
      'etc/varied.conf',
      'etc/varied.d/',
      'etc/varied.d/a.conf',
      'run/',
      'run/fifo',
      'usr/',
      'usr/bin/',
      'usr/bin/varied',
      'usr/bin/varied-link link to usr/bin/varied',
      'usr/lib/',
      'usr/lib/libv.so -> libv.so.1',
      'usr/lib/libv.so.1',
      'usr/sbin/',
      'usr/sbin/suid',
      'usr/share/',
      'usr/share/cap',
      ...[1, 2, 3, 4, 5].map((n) => `usr/share/${'long-directory-name/'.repeat(n)}`),
      long,
      'var/',
      'var/lib/',
      'var/lib/varied/'
    ])
    const byName = new Map(listed.map((e) => [e[3], e]))
    expect(byName.get('dev/null')?.slice(0, 3)).toEqual(['crw-rw-rw-', '0/0', '1,3'])
    expect(byName.get('run/fifo')?.[0]).toBe('prw-r--r--')
    expect(byName.get('usr/bin/varied-link link to usr/bin/varied')?.[0]).toBe('hrwxr-xr-x')
    expect(byName.get('usr/sbin/suid')?.[0]).toBe('-rwsr-xr-x')
    expect(byName.get('var/lib/varied/')?.slice(0, 2)).toEqual(['drwx------', '100/101'])
    expect(byName.get('usr/lib/libv.so.1')?.[2]).toBe('3000')
  })

  ;(havePython ? test : test.skip)(
    'PAX records: SHA-1 of file content and symlink target, xattrs, long path',
    () => {
      const entries = pyList(rsa.members.data)
      const byName = new Map(entries.map((e) => [e.name, e]))
      const sha1 = (s: string | Buffer) => opensslDigest('sha1', Buffer.from(s)).toString('hex')
      expect(byName.get('usr/bin/varied')?.pax['APK-TOOLS.checksum.SHA1']).toBe(
        sha1('#!/bin/sh\necho varied\n')
      )
      expect(byName.get('usr/lib/libv.so.1')?.pax['APK-TOOLS.checksum.SHA1']).toBe(
        sha1(Buffer.alloc(3000, 1))
      )
      expect(byName.get('usr/lib/libv.so')?.pax['APK-TOOLS.checksum.SHA1']).toBe(sha1('libv.so.1'))
      expect(byName.get('usr/bin/varied-link')?.pax['APK-TOOLS.checksum.SHA1']).toBeUndefined()
      expect(byName.get('usr/share/cap')?.pax['SCHILY.xattr.user.witchery']).toBe('v1')
      const long = entries.find((e) => e.name.endsWith('file-with-a-long-name.txt'))
      expect(long?.name.length).toBeGreaterThan(100)
      expect(byName.get('var/lib/varied')).toMatchObject({
        uname: 'varied',
        gname: 'varied',
        mode: 0o700
      })
      for (const e of entries)
        if (e.type === '0') expect(e.pax['APK-TOOLS.checksum.SHA1']).toMatch(/^[0-9a-f]{40}$/)
    }
  )

  test('openssl verifies the control signature (RSA = SHA-1, RSA256 = SHA-256)', () => {
    const sig = tarCat(rsa.members.signature!, `.SIGN.RSA.${key.name}`)
    expect(sig).toHaveLength(256)
    expect(opensslVerify('sha1', key.publicKeyPem, sig, rsa.members.control)).toBe('Verified OK')
    expect(opensslVerify('sha1', key.publicKeyPem, sig, rsa.members.data)).toBe(
      'Verification failure'
    )
    const sig256 = tarCat(rsa256.members.signature!, `.SIGN.RSA256.${key.name}`)
    expect(opensslVerify('sha256', key.publicKeyPem, sig256, rsa256.members.control)).toBe(
      'Verified OK'
    )
    expect(opensslVerify('sha1', key.publicKeyPem, sig256, rsa256.members.control)).not.toBe(
      'Verified OK'
    )
  })

  test('C: and datahash match digests recomputed by openssl', () => {
    const [, control, data] = splitGzip(rsa.bytes)
    expect(rsa.info.checksum).toBe(`Q1${opensslDigest('sha1', control).toString('base64')}`)
    expect(rsa.info.checksum).toHaveLength(30)
    const datahash = opensslDigest('sha256', data).toString('hex')
    expect(rsa.info.datahash).toBe(datahash)
    expect(rsa.pkginfo.trimEnd().split('\n').pop()).toBe(`datahash = ${datahash}`)
  })

  test('.PKGINFO holds every field in abuild order; info mirrors it', () => {
    expect(pkginfoKeys(rsa.pkginfo)).toEqual([
      'pkgname', 'pkgver', 'pkgdesc', 'url', 'builddate', 'packager', 'size', 'arch', 'origin',
      'replaces_priority', 'provider_priority', 'license', 'replaces', 'depend', 'depend',
      'provides', 'provides', 'triggers', 'install_if', 'datahash'
    ]) // prettier-ignore
    expect(rsa.pkginfo).toContain('\ndepend = foo>=1.2 !bar\n')
    expect(rsa.pkginfo).toContain('\ntriggers = /usr/share/varied/* /etc/varied\n')
    expect(rsa.pkginfo).toContain(`\nsize = ${22 + 4 + 2 + 3000 + 3 + 1 + 5}\n`)
    expect(rsa.info.depends.map((d) => [d.name, d.op, d.version, d.conflict])).toEqual([
      ['so:libc.musl-x86_64.so.1', 7, undefined, false],
      ['foo', 6, '1.2', false],
      ['bar', 7, undefined, true]
    ])
    expect(rsa.info).toMatchObject({
      providerPriority: 10,
      replacesPriority: 5,
      buildTime: 1700000000,
      arch: 'x86_64'
    })
  })

  test('deterministic, and a meta package has installed size 0; files or scripts only give 1', () => {
    expect(buildApk(VARIED, key).bytes.equals(rsa.bytes)).toBe(true)
    expect(buildApk(metaPackage('m', '1-r0', ['a']), key).info.installedSize).toBe(0)
    expect(
      buildApk(synthetic('d', '1', { files: [{ path: 'x', type: 'dir' }] }), key).info.installedSize
    ).toBe(1)
    expect(
      buildApk(synthetic('s', '1', { files: [], scripts: { 'post-install': '' } }), key).info
        .installedSize
    ).toBe(1)
  })

  test('unsigned: just control and data', () => {
    const apk = buildApk(synthetic('u'), undefined, { signature: 'none' })
    expect(splitGzip(apk.bytes)).toHaveLength(2)
    expect(gnuList(apk.members.control)[0][3]).toBe('.PKGINFO')
  })

  test('raw names for attack tests are written verbatim, after the sorted entries', () => {
    const apk = buildApk(
      synthetic('evil', '1', {
        files: [
          { path: 'lib', type: 'symlink', target: '/etc' },
          { path: 'lib/x', content: 'pwned', rawName: true },
          { path: '../evil', content: 'e', rawName: true },
          { path: '/etc/evil', content: 'e', rawName: true },
          { path: 'a/../../x', content: 'e', rawName: true },
          { path: 'usr/hl', type: 'hardlink', target: '../../etc/passwd' },
          { path: 'usr/bad-sum', content: 'data', checksum: '0'.repeat(40) }
        ]
      }),
      key
    )
    const names = gnuList(apk.members.data).map((e) => e[3])
    expect(names).toEqual([
      'lib -> /etc',
      'usr/',
      'usr/bad-sum',
      'usr/hl link to ../../etc/passwd',
      'lib/x',
      '../evil',
      '/etc/evil',
      'a/../../x'
    ])
    if (havePython) {
      const bad = pyList(apk.members.data).find((e) => e.name === 'usr/bad-sum')
      expect(bad?.pax['APK-TOOLS.checksum.SHA1']).toBe('0'.repeat(40))
    }
    expect(() => buildApk(synthetic('e2', '1', { files: [{ path: '../x' }] }), key)).toThrow(
      /rawName/
    )
  })

  test('keepOrder, datahash overrides and extra signers', () => {
    const ordered = buildApk(
      synthetic('o', '1', {
        keepOrder: true,
        files: [
          { path: 'b/file', content: 'b' },
          { path: 'a', type: 'dir' }
        ]
      }),
      key
    )
    expect(gnuList(ordered.members.data).map((e) => e[3])).toEqual(['b/file', 'a/'])
    const legacy = buildApk(synthetic('l', '1', { datahash: null }), key)
    expect(legacy.pkginfo).not.toContain('datahash')
    expect(legacy.info.datahash).toBeUndefined()
    const lying = buildApk(synthetic('l', '1', { datahash: 'ab'.repeat(32) }), key)
    expect(lying.info.datahash).toBe('ab'.repeat(32))
    const other = generateSigningKey(undefined, { fresh: true })
    const two = buildApk(synthetic('t', '1'), key, {
      extraSigners: [{ key: other, signature: 'RSA256' }]
    })
    const sig = two.members.signature!
    expect(gnuList(sig).map((e) => e[3])).toEqual([
      `.SIGN.RSA.${key.name}`,
      `.SIGN.RSA256.${other.name}`
    ])
    const second = tarCat(sig, `.SIGN.RSA256.${other.name}`)
    expect(opensslVerify('sha256', other.publicKeyPem, second, two.members.control)).toBe(
      'Verified OK'
    )
    expect(opensslVerify('sha256', key.publicKeyPem, second, two.members.control)).not.toBe(
      'Verified OK'
    )
  })
})

// --- repositories -----------------------------------------------------------------------------

describe('repo-builder', () => {
  let apks: BuiltApk[]

  beforeAll(() => {
    apks = [
      synthetic('Zed', '1.0-r0'),
      synthetic('abc', '1.10-r0', {
        depends: ['zed>1'],
        provides: ['so:libabc.so.1=1.10'],
        providerPriority: 3
      }),
      synthetic('abc', '1.9-r0'),
      synthetic('abc', '1.9_rc1-r0'),
      synthetic('dep', '2', { installIf: ['abc', 'zed'], depends: ['!conflict'] })
    ].map((s) => buildApk(s, key))
  })

  test('two members; openssl verifies the signature over the whole second one', () => {
    const index = buildIndex(
      apks.map((a) => a.info),
      key,
      { description: 'test v1' }
    )
    const [sig, body] = splitGzip(index)
    expect(gnuList(sig).map((e) => e[3])).toEqual([`.SIGN.RSA.${key.name}`])
    expect(gnuList(body).map((e) => [e[0], e[1], e[3]])).toEqual([
      ['-rw-r--r--', '0/0', 'DESCRIPTION'],
      ['-rw-r--r--', '0/0', 'APKINDEX']
    ])
    expect(tarCat(body, 'DESCRIPTION').toString()).toBe('test v1')
    const signature = tarCat(sig, `.SIGN.RSA.${key.name}`)
    expect(opensslVerify('sha1', key.publicKeyPem, signature, body)).toBe('Verified OK')
    expect(zlib.gunzipSync(body).subarray(-1024).equals(Buffer.alloc(1024))).toBe(true)

    const index256 = buildIndex(
      apks.map((a) => a.info),
      key,
      { signature: 'RSA256' }
    )
    const [sig256, body256] = splitGzip(index256)
    const signature256 = tarCat(sig256, `.SIGN.RSA256.${key.name}`)
    expect(opensslVerify('sha256', key.publicKeyPem, signature256, body256)).toBe('Verified OK')
  })

  test('stanzas sorted by name (case-insensitive) then version, canonical letters, blank-line ended', () => {
    const text = tarCat(
      splitGzip(
        buildIndex(
          apks.map((a) => a.info),
          key
        )
      )[1],
      'APKINDEX'
    ).toString()
    expect(text.endsWith('\n\n')).toBe(true)
    expect([...text.matchAll(/^P:(.*)\nV:(.*)$/gm)].map((m) => `${m[1]}-${m[2]}`)).toEqual([
      'abc-1.9_rc1-r0',
      'abc-1.9-r0',
      'abc-1.10-r0',
      'dep-2',
      'Zed-1.0-r0'
    ])
    const abc = text.split('\n\n').find((s) => s.includes('V:1.10-r0'))!
    expect(abc.split('\n').map((l) => l[0])).toEqual('C P V A S I T U L o t k D p'.split(' '))
    expect(abc).toContain('\nD:zed>1\np:so:libabc.so.1=1.10')
    expect(abc).toContain(`\nS:${apks[1].bytes.length}\n`)
    expect(abc.startsWith(`C:${apks[1].info.checksum}\n`)).toBe(true)
    expect(text).toContain('\nD:!conflict\ni:abc zed\n')
  })

  test('buildRepository writes DIR/ARCH/APKINDEX.tar.gz and the packages', () => {
    const dir = path.join(work, 'repo')
    const repo = buildRepository(dir, 'x86_64', apks, key)
    expect(repo.url).toBe(dir)
    expect(repo.indexPath).toBe(path.join(dir, 'x86_64', 'APKINDEX.tar.gz'))
    expect(fs.readFileSync(repo.indexPath).equals(repo.index)).toBe(true)
    for (const apk of apks)
      expect(fs.readFileSync(path.join(dir, 'x86_64', apk.fileName)).equals(apk.bytes)).toBe(true)
    // GNU tar reads the whole signed index as one stream, like apk
    expect(run('tar', ['-tzf', repo.indexPath]).out.split('\n').filter(Boolean)).toEqual([
      `.SIGN.RSA.${key.name}`,
      'DESCRIPTION',
      'APKINDEX'
    ])
  })
})

// --- the reference repository ------------------------------------------------------------------

;(sharedHere ? describe : describe.skip)(
  'same layout as the apk-tools reference repository',
  () => {
    const fixture = (name: string) => fs.readFileSync(path.join(REF, name))
    const realSpecs = () => [
      muslPackage(),
      helloPackage(),
      caBundlePackage(),
      baselayoutDataPackage()
    ]

    test('index stanzas use the same letters in the same order', () => {
      const text = tarCat(
        splitGzip(
          buildIndex(
            realSpecs().map((s) => buildApk(s, key).info),
            key
          )
        )[1],
        'APKINDEX'
      )
      const mine = stanzas(text.toString())
      const theirs = stanzas(
        runBytes('tar', ['-xzOf', path.join(REF, 'APKINDEX.tar.gz'), 'APKINDEX']).toString()
      )
      expect([...mine.keys()]).toEqual([...theirs.keys()].filter((n) => mine.has(n)))
      for (const [name, letters] of mine) expect([name, letters]).toEqual([name, theirs.get(name)])
    })

    test('.PKGINFO uses the same keys in the same order', () => {
      const files: Record<string, string> = {
        musl: 'musl-1.2.3-r0.apk',
        hello: 'hello-1.1-r0.apk',
        'ca-certificates-bundle': 'ca-certificates-bundle-20240226-r0.apk',
        'alpine-baselayout-data': 'alpine-baselayout-data-3.6.8-r1.apk'
      }
      for (const spec of realSpecs()) {
        const theirs = runBytes('tar', [
          '-xzOf',
          path.join(REF, files[spec.name]),
          '.PKGINFO'
        ]).toString()
        expect([spec.name, pkginfoKeys(buildApk(spec, key).pkginfo)]).toEqual([
          spec.name,
          pkginfoKeys(theirs)
        ])
      }
    })

    test('data tars are byte-identical when rebuilt from the reference packages’ own files', () => {
      const cases: Array<[string, (data: Buffer) => ApkSpec]> = [
        [
          'alpine-baselayout-data-3.6.8-r1.apk',
          (data) => ({
            ...baselayoutDataPackage(),
            files: baselayoutDataPackage().files.map((f) =>
              f.type === 'dir' ? f : { ...f, content: tarCat(data, f.path) }
            )
          })
        ],
        [
          'ca-certificates-bundle-20240226-r0.apk',
          (data) => ({
            ...caBundlePackage(),
            files: caBundlePackage().files.map((f) =>
              f.type ? f : { ...f, content: tarCat(data, f.path) }
            )
          })
        ],
        [
          'hello-1.1-r0.apk',
          (data) => ({
            ...helloPackage(),
            files: [{ path: 'usr/bin/hello', content: tarCat(data, 'usr/bin/hello'), mode: 0o755 }]
          })
        ]
      ]
      for (const [file, specOf] of cases) {
        const data = splitGzip(fixture(file))[2]
        const rebuilt = buildApk(specOf(data), key)
        expect([file, rebuilt.tars.data.equals(zlib.gunzipSync(data))]).toEqual([file, true])
      }
    })

    test('signature tar, control tar header shape and index tar match the reference bytes', () => {
      const [sig, control] = splitGzip(fixture('hello-1.1-r0.apk')).map((m) => zlib.gunzipSync(m))
      const ours = buildApk(helloPackage(), generateSigningKey('test@example-65a1b2c3.rsa.pub'))
      // the signature tar differs only in the signature bytes and the header checksum that covers none of them
      expect(ours.tars.signature!.length).toBe(sig.length)
      expect(ours.tars.signature!.subarray(0, 1536).equals(sig.subarray(0, 1536))).toBe(true)
      // control: PAX header blocks identical; the .PKGINFO header differs in size and checksum only
      expect(ours.tars.control.subarray(0, 1024).equals(control.subarray(0, 1024))).toBe(true)
      const blank = (h: Buffer) =>
        Buffer.concat([h.subarray(0, 124), h.subarray(136, 148), h.subarray(156, 512)])
      expect(
        blank(ours.tars.control.subarray(1024, 1536)).equals(blank(control.subarray(1024, 1536)))
      ).toBe(true)

      const [, index] = splitGzip(fixture('APKINDEX.tar.gz'))
      const text = tarCat(index, 'APKINDEX').toString()
      const rebuilt = buildUnsignedIndex(text, { description: 'apk-reference test repo' })
      expect(zlib.gunzipSync(rebuilt).equals(zlib.gunzipSync(index))).toBe(true)
    })
  }
)

/** A plain reading of one stanza, enough to feed formatIndexStanza back. */
function readStanza(stanza: string): PackageInfo {
  const f = new Map(stanza.split('\n').map((l) => [l[0], l.slice(2)]))
  const info: PackageInfo = {
    checksum: f.get('C') ?? '',
    name: f.get('P') ?? '',
    version: f.get('V') ?? '',
    size: Number(f.get('S')),
    installedSize: Number(f.get('I')),
    description: f.get('T') ?? '',
    url: f.get('U') ?? '',
    license: f.get('L') ?? '',
    buildTime: Number(f.get('t') ?? 0),
    providerPriority: Number(f.get('k') ?? 0),
    depends: toDependencies(f.has('D') ? [f.get('D')!] : []),
    provides: toDependencies(f.has('p') ? [f.get('p')!] : []),
    installIf: toDependencies(f.has('i') ? [f.get('i')!] : []),
    replaces: [],
    replacesPriority: 0,
    triggers: []
  }
  if (f.has('A')) info.arch = f.get('A')
  if (f.has('o')) info.origin = f.get('o')
  if (f.has('m')) info.maintainer = f.get('m')
  if (f.has('c')) info.commit = f.get('c')
  return info
}

;(sharedHere ? describe : describe.skip)("formatter against Alpine's own v3.22 index", () => {
  test('every stanza of the 5,646 packages is reproduced byte for byte, in the same order', () => {
    const file = path.join(SHARED, 'fixtures/real-indexes/v3.22-main/x86_64/APKINDEX.tar.gz')
    const text = runBytes('tar', ['-xzOf', file, 'APKINDEX']).toString()
    const raw = text.split('\n\n').filter(Boolean)
    const infos = raw.map(readStanza)
    expect(infos).toHaveLength(5646)
    const mismatched = infos.filter((info, i) => formatIndexStanza(info) !== `${raw[i]}\n\n`)
    expect(mismatched.map((m) => m.name)).toEqual([])
    expect(formatIndexText([...infos].reverse()) === text).toBe(true)
  })
})

describe('version order used to sort stanzas', () => {
  test.each([
    ['1.0', '1.0.0'],
    ['1.0', '1.0-r0'],
    ['1.0', '1.0a'],
    ['1.0_rc1', '1.0'],
    ['1.0', '1.0_p1'],
    ['1.9-r0', '1.10-r0'],
    ['1.0_alpha', '1.0_beta2'],
    ['2.0-r1', '2.0-r10']
  ])('%s < %s', (a, b) => {
    expect(compareVersionsLoose(a, b)).toBe(-1)
    expect(compareVersionsLoose(b, a)).toBe(1)
    expect(compareVersionsLoose(a, a)).toBe(0)
  })
})

// --- real packages --------------------------------------------------------------------------

describe('packages', () => {
  test('the musl-gcc hello prints its message, directly and through the musl loader', () => {
    const bin = compileMusl(HELLO_SOURCE, path.join(work, 'hello'))
    expect(run(bin, []).out).toBe(`${HELLO_MESSAGE}\n`)
    expect(run('/lib/ld-musl-x86_64.so.1', [bin]).out).toBe(`${HELLO_MESSAGE}\n`)
    expect(helloPackage().depends).toEqual([
      'so:libc.musl-x86_64.so.1',
      'alpine-baselayout-data>=3.0'
    ])
    expect(helloPackage('1.0-r0', { baselayout: false }).depends).toEqual([
      'so:libc.musl-x86_64.so.1'
    ])
  })

  test('musl + hello extracted by GNU tar: the package loader runs the package binary', () => {
    const root = path.join(work, 'root')
    fs.mkdirSync(root)
    for (const spec of [muslPackage(), helloPackage()]) {
      const r = run('tar', ['-xzf', '-', '-C', root], buildApk(spec, key).members.data)
      expect(r.status).toBe(0)
    }
    expect(fs.readlinkSync(path.join(root, 'lib/libc.musl-x86_64.so.1'))).toBe(
      'ld-musl-x86_64.so.1'
    )
    const out = run(path.join(root, 'lib/ld-musl-x86_64.so.1'), [
      path.join(root, 'usr/bin/hello')
    ]).out
    expect(out).toBe(`${HELLO_MESSAGE}\n`)
    expect(buildApk(muslPackage(), key).pkginfo).toContain(
      '\nprovides = so:libc.musl-x86_64.so.1=1\n'
    )
  })

  test('ca bundle and baselayout-data carry the expected files, owners and modes', () => {
    const ca = gnuList(buildApk(caBundlePackage(), key).members.data)
    expect(ca.map((e) => e[3])).toEqual([
      'etc/',
      'etc/ssl/',
      'etc/ssl/cert.pem -> certs/ca-certificates.crt',
      'etc/ssl/certs/',
      'etc/ssl/certs/ca-certificates.crt'
    ])
    const base = gnuList(buildApk(baselayoutDataPackage(), key).members.data)
    const shadow = base.find((e) => e[3] === 'etc/shadow')
    expect(shadow?.slice(0, 2)).toEqual(['-rw-r-----', '0/42'])
    expect(base.find((e) => e[3] === 'tmp/')?.[0]).toBe('drwxrwxrwt')
    const osRelease = tarCat(buildApk(baselayoutDataPackage(), key).members.data, 'etc/os-release')
    expect(osRelease.toString()).toMatch(/^ID=alpine$/m)
  })
})

// --- HTTP ------------------------------------------------------------------------------------

interface Got {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
  error?: string
}

function get(url: string, headers: Record<string, string> = {}, agent?: http.Agent): Promise<Got> {
  return new Promise((resolve) => {
    const req = http.get(url, { headers, agent: agent ?? false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })
      )
      res.on('error', (e) =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          error: e.message
        })
      )
    })
    req.on('error', (e) =>
      resolve({ status: 0, headers: {}, body: Buffer.alloc(0), error: e.message })
    )
  })
}

describe('http-server', () => {
  let server: TestServer
  let body: Buffer

  beforeAll(async () => {
    const root = path.join(work, 'www')
    fs.mkdirSync(path.join(root, 'x86_64'), { recursive: true })
    body = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251))
    fs.writeFileSync(path.join(root, 'x86_64', 'pkg.apk'), body)
    fs.writeFileSync(path.join(work, 'secret'), 'outside root')
    server = await startServer({ root })
  })

  afterAll(async () => {
    await server.close()
  })

  afterEach(() => server.clearFaults())

  test('serves files with ETag and Last-Modified; 304 on revalidation; 404 otherwise', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const first = await get(`${server.url}/x86_64/pkg.apk`)
    expect(first.status).toBe(200)
    expect(first.body.equals(body)).toBe(true)
    expect(first.headers.etag).toMatch(/^"[0-9a-f]{32}"$/)
    expect(first.headers['last-modified']).toBeDefined()
    expect(
      (await get(`${server.url}/x86_64/pkg.apk`, { 'If-None-Match': first.headers.etag! })).status
    ).toBe(304)
    expect((await get(`${server.url}/x86_64/pkg.apk`, { 'If-None-Match': '"other"' })).status).toBe(
      200
    )
    const since = { 'If-Modified-Since': first.headers['last-modified']! }
    expect((await get(`${server.url}/x86_64/pkg.apk`, since)).status).toBe(304)
    const older = { 'If-Modified-Since': new Date(0).toUTCString() }
    expect((await get(`${server.url}/x86_64/pkg.apk`, older)).status).toBe(200)
    expect((await get(`${server.url}/x86_64/missing.apk`)).status).toBe(404)
    expect((await get(`${server.url}/x86_64`)).status).toBe(404)
    const u = new URL(server.url)
    const traversal = await new Promise<number>((resolve) =>
      http.get({ host: u.hostname, port: u.port, path: '/%2e%2e/secret', agent: false }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
    )
    expect(traversal).toBe(404)
    const recorded = server.requests.slice(-3).map((r) => [r.method, r.path, r.status])
    expect(recorded).toEqual([
      ['GET', '/x86_64/missing.apk', 404],
      ['GET', '/x86_64', 404],
      ['GET', '/%2e%2e/secret', 404]
    ])
    expect(server.requests[1].headers['if-none-match']).toBe(first.headers.etag)
  })

  test('a status fault for N requests, then normal answers', async () => {
    server.fault(/pkg\.apk$/, { status: 503 }, 2)
    server.fault('nothing-matches', { status: 500 }, Infinity)
    const statuses = []
    for (let i = 0; i < 3; i++) statuses.push((await get(`${server.url}/x86_64/pkg.apk`)).status)
    expect(statuses).toEqual([503, 503, 200])
    expect(server.requests.slice(-3).map((r) => r.status)).toEqual([503, 503, 200])
  })

  test('drop, truncate, delay and corrupt', async () => {
    const url = `${server.url}/x86_64/pkg.apk`
    server.fault('pkg.apk', { drop: true })
    const dropped = await get(url)
    expect(dropped.status).toBe(0)
    expect(dropped.error).toBeDefined()
    expect(server.requests.at(-1)?.status).toBe(0)

    server.fault('pkg.apk', { truncate: 100 })
    const truncated = await get(url)
    expect(truncated.headers['content-length']).toBe(String(body.length))
    expect(truncated.body.length).toBeLessThanOrEqual(100)
    expect(truncated.error).toBeDefined()

    server.fault('pkg.apk', { delayMs: 300 })
    const started = Date.now()
    expect((await get(url)).body.equals(body)).toBe(true)
    expect(Date.now() - started).toBeGreaterThanOrEqual(280)

    server.fault('pkg.apk', { corrupt: true })
    const corrupt = await get(url)
    expect(corrupt.status).toBe(200)
    expect(corrupt.body.length).toBe(body.length)
    expect(corrupt.body.equals(body)).toBe(false)
    expect((await get(url)).body.equals(body)).toBe(true) // once only
  })

  test('the proxy forwards absolute-URI GETs and CONNECT tunnels to 127.0.0.1 only', async () => {
    const proxy = await startProxy()
    try {
      const target = `${server.url}/x86_64/pkg.apk`
      const viaProxy = await new Promise<Got>((resolve) => {
        const u = new URL(proxy.url)
        const req = http.get(
          { host: u.hostname, port: u.port, path: target, agent: false },
          (res) => {
            const chunks: Buffer[] = []
            res.on('data', (c: Buffer) => chunks.push(c))
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                headers: res.headers,
                body: Buffer.concat(chunks)
              })
            )
          }
        )
        req.on('error', (e) =>
          resolve({ status: 0, headers: {}, body: Buffer.alloc(0), error: e.message })
        )
      })
      expect(viaProxy.status).toBe(200)
      expect(viaProxy.body.equals(body)).toBe(true)
      expect(proxy.requests).toEqual([target])

      const refused = await get(proxy.url)
      expect(refused.status).toBe(400) // not an absolute URI

      const port = new URL(server.url).port
      const tunnelled = await new Promise<string>((resolve, reject) => {
        const u = new URL(proxy.url)
        const socket = net.connect(Number(u.port), '127.0.0.1', () => {
          socket.write(`CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`)
        })
        let data = ''
        let sent = false
        socket.on('data', (chunk) => {
          data += chunk.toString('latin1')
          if (!sent && data.includes('\r\n\r\n')) {
            sent = true
            socket.write(`HEAD /x86_64/pkg.apk HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
          }
        })
        socket.on('end', () => resolve(data))
        socket.on('error', reject)
      })
      expect(tunnelled).toMatch(
        /^HTTP\/1\.1 200 Connection Established\r\n\r\nHTTP\/1\.1 200 OK\r\n/
      )
      expect(proxy.connects).toEqual([`127.0.0.1:${port}`])

      const outside = await new Promise<string>((resolve) => {
        const u = new URL(proxy.url)
        const socket = net.connect(Number(u.port), '127.0.0.1', () =>
          socket.write('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n')
        )
        let data = ''
        socket.on('data', (c) => (data += c.toString('latin1')))
        socket.on('close', () => resolve(data))
      })
      expect(outside).toMatch(/^HTTP\/1\.1 403/)
      const denied = await new Promise<number>((resolve) => {
        const u = new URL(proxy.url)
        http
          .get(
            { host: u.hostname, port: u.port, path: 'http://example.com/x', agent: false },
            (res) => {
              res.resume()
              resolve(res.statusCode ?? 0)
            }
          )
          .on('error', () => resolve(0))
      })
      expect(denied).toBe(403)
    } finally {
      await proxy.close()
    }
  })
})

describe('walkTree', () => {
  it('lists a symlink to a folder and does not follow it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-walk-'))
    try {
      const outside = path.join(dir, 'outside')
      fs.mkdirSync(path.join(outside, 'deep'), { recursive: true })
      fs.writeFileSync(path.join(outside, 'deep', 'file'), 'x')
      const root = path.join(dir, 'root')
      fs.mkdirSync(path.join(root, 'var'), { recursive: true })
      fs.writeFileSync(path.join(root, 'var', 'kept'), 'y')
      // As an unpacked Alpine root has var/run -> /run.
      fs.symlinkSync(outside, path.join(root, 'var', 'run'))
      expect(walkTree(root).sort()).toEqual(['var', 'var/kept', 'var/run'])
      // What walkTree is for: Node's own recursive listing goes through the link.
      expect(fs.readdirSync(root, { recursive: true })).toContain('var/run/deep/file')
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
