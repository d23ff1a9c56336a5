/**
 * Our tar writer, read back by GNU tar: names, modes, owners, link targets and mtimes as
 * `tar -tv` lists them; long paths and link targets through ustar's prefix and PAX; xattrs as
 * SCHILY records GNU tar restores; byte-identical output for the same entries.
 */
import { createHash } from 'node:crypto'
import { execFileSync, spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { ImagePathError, ImageSpecError } from '../src/oci/errors.js'
import { normalizeEntries } from '../src/oci/entries.js'
import { encodeHeader, tarStream } from '../src/oci/tar-writer.js'
import { COLLECT_EVERY_ENTRIES, collectionsRun } from '../src/released-memory.js'
import type { LayerEntry } from '../src/oci/types.js'

const EPOCH = 1700000000
const EPOCH_TEXT = '2023-11-14 22:13:20'
let work: string

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-oci-tar-'))
})

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true })
})

async function writeTar(name: string, entries: LayerEntry[], mtime = EPOCH): Promise<string> {
  const file = path.join(work, name)
  await pipeline(tarStream(entries, mtime), fs.createWriteStream(file))
  return file
}

interface Listed {
  mode: string
  uid: number
  gid: number
  size: number
  mtime: string
  name: string
  link?: string
}

/** `tar -tv` with numeric owners and full UTC times, one object per member. */
function listTar(file: string): Listed[] {
  const out = execFileSync('tar', ['--numeric-owner', '--full-time', '-tvf', file], {
    encoding: 'utf8',
    env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' }
  })
  return out
    .trimEnd()
    .split('\n')
    .map((line) => {
      const m = /^(\S+) (\d+)\/(\d+)\s+(\d+) (\S+ \S+) (.*)$/.exec(line)
      if (!m) throw new Error(`unexpected tar -tv line: ${line}`)
      const [name, link] = m[6].includes(' -> ')
        ? m[6].split(' -> ')
        : m[6].includes(' link to ')
          ? m[6].split(' link to ')
          : [m[6], undefined]
      return {
        mode: m[1],
        uid: Number(m[2]),
        gid: Number(m[3]),
        size: Number(m[4]),
        mtime: m[5],
        name,
        link
      }
    })
}

function file(p: string, content: string | Buffer, extra: Partial<LayerEntry> = {}): LayerEntry {
  return {
    path: p,
    type: 'file',
    mode: 0o644,
    uid: 0,
    gid: 0,
    content: Buffer.from(content),
    ...extra
  }
}

function dir(p: string, extra: Partial<LayerEntry> = {}): LayerEntry {
  return { path: p, type: 'directory', mode: 0o755, uid: 0, gid: 0, ...extra }
}

describe('tar writer, read back by GNU tar', () => {
  it('lists names, modes, owners, link targets and mtimes as given', async () => {
    const entries = normalizeEntries([
      file('usr/bin/su', 'x', { mode: 0o4755 }),
      dir('data', { mode: 0o750, gid: 42 }),
      file('data/notes', 'hello\n', { mode: 0o640, uid: 1000, gid: 42 }),
      dir('tmp', { mode: 0o1777 }),
      { path: 'bin/sh', type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname: '/usr/bin/su' },
      {
        path: 'usr/bin/su2',
        type: 'hardlink',
        mode: 0o4755,
        uid: 0,
        gid: 0,
        linkname: 'usr/bin/su'
      }
    ])
    const listed = listTar(await writeTar('basic.tar', entries))
    expect(listed.map((l) => [l.mode, `${l.uid}/${l.gid}`, l.size, l.name, l.link])).toEqual([
      ['drwxr-xr-x', '0/0', 0, 'bin/', undefined],
      ['lrwxrwxrwx', '0/0', 0, 'bin/sh', '/usr/bin/su'],
      ['drwxr-x---', '0/42', 0, 'data/', undefined],
      ['-rw-r-----', '1000/42', 6, 'data/notes', undefined],
      ['drwxrwxrwt', '0/0', 0, 'tmp/', undefined],
      ['drwxr-xr-x', '0/0', 0, 'usr/', undefined],
      ['drwxr-xr-x', '0/0', 0, 'usr/bin/', undefined],
      ['-rwsr-xr-x', '0/0', 1, 'usr/bin/su', undefined],
      ['hrwsr-xr-x', '0/0', 0, 'usr/bin/su2', 'usr/bin/su']
    ])
    expect(new Set(listed.map((l) => l.mtime))).toEqual(new Set([EPOCH_TEXT]))
  })

  it('extracts to the same content, owners and modes', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17)
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251
    const source = path.join(work, 'big.bin')
    fs.writeFileSync(source, big)
    const tar = await writeTar(
      'extract.tar',
      normalizeEntries([
        { path: 'opt/big.bin', type: 'file', mode: 0o755, uid: 0, gid: 0, source },
        file('opt/empty', ''),
        file('opt/owned', 'o', { uid: 4242, gid: 4343, mode: 0o600 })
      ])
    )
    const out = path.join(work, 'extract')
    fs.mkdirSync(out)
    execFileSync('tar', ['--numeric-owner', '-xpf', tar, '-C', out])
    const extracted = fs.readFileSync(path.join(out, 'opt/big.bin'))
    expect(createHash('sha256').update(extracted).digest('hex')).toBe(
      createHash('sha256').update(big).digest('hex')
    )
    expect(fs.statSync(path.join(out, 'opt/big.bin')).mode & 0o7777).toBe(0o755)
    expect(fs.statSync(path.join(out, 'opt/empty')).size).toBe(0)
    const owned = fs.statSync(path.join(out, 'opt/owned'))
    expect(owned.mode & 0o7777).toBe(0o600)
    expect(owned.mtimeMs).toBe(EPOCH * 1000)
    if (process.getuid?.() === 0) expect([owned.uid, owned.gid]).toEqual([4242, 4343])
  })

  it('writes paths over 100 and over 255 bytes, long link targets and big ids', async () => {
    const mid = `${'a'.repeat(60)}/${'b'.repeat(60)}/${'c'.repeat(30)}` // 152 bytes: ustar prefix
    const long = Array.from({ length: 12 }, (_, i) => `${i}`.padEnd(30, 'x')).join('/') // 371: PAX
    const target = `/${'t'.repeat(80)}/${'u'.repeat(120)}`
    const entries = normalizeEntries([
      file(mid, 'mid'),
      file(long, 'long'),
      dir(`${long}-dir`),
      { path: 'link', type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname: target },
      file('ids', 'i', { uid: 3_000_000, gid: 70_000_000 }),
      { path: 'hard', type: 'hardlink', mode: 0o644, uid: 0, gid: 0, linkname: long }
    ])
    const listed = listTar(await writeTar('long.tar', entries))
    const byName = new Map(listed.map((l) => [l.name, l]))
    expect(byName.get(mid)?.size).toBe(3)
    expect(byName.get(long)?.size).toBe(4)
    expect(byName.has(`${long}-dir/`)).toBe(true)
    expect(byName.get('link')?.link).toBe(target)
    expect(byName.get('hard')?.link).toBe(long)
    expect(byName.get('ids')).toMatchObject({ uid: 3_000_000, gid: 70_000_000 })
    // PAX headers are not members: GNU tar lists exactly our entries.
    expect(listed).toHaveLength(entries.length)
  })

  it('uses the ustar prefix field, not PAX, for a path that fits it', () => {
    const mid = `${'p'.repeat(120)}/${'n'.repeat(50)}`
    const header = encodeHeader({
      path: mid,
      type: 'file',
      mode: 0o644,
      uid: 0,
      gid: 0,
      size: 0,
      mtime: 0
    })
    expect(header).toHaveLength(512)
    expect(header.subarray(345, 345 + 120).toString()).toBe('p'.repeat(120))
    expect(header.subarray(0, 50).toString()).toBe('n'.repeat(50))
  })

  it('leaves uname and gname empty and writes a valid ustar magic', () => {
    const header = encodeHeader({
      path: 'a',
      type: 'file',
      mode: 0o644,
      uid: 5,
      gid: 6,
      size: 1,
      mtime: 9
    })
    expect(header.subarray(257, 265).toString('latin1')).toBe('ustar\u000000')
    expect(header.subarray(265, 329).every((b) => b === 0)).toBe(true)
  })

  it('writes xattrs as SCHILY.xattr PAX records that GNU tar restores', async () => {
    const cap = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0x00, 0x0a, 0x00])
    const tar = await writeTar(
      'xattrs.tar',
      normalizeEntries([
        file('bin/ping', 'p', {
          mode: 0o755,
          xattrs: new Map([
            ['user.witchery', Buffer.from('yes')],
            ['security.capability', cap]
          ])
        })
      ])
    )
    const raw = fs.readFileSync(tar)
    // `LEN key=value\n`, LEN counting the whole record.
    expect(raw.includes(Buffer.from('34 SCHILY.xattr.user.witchery=yes\n'))).toBe(true)
    const capRecord = Buffer.concat([
      Buffer.from('48 SCHILY.xattr.security.capability='),
      cap,
      Buffer.from('\n')
    ])
    expect(capRecord).toHaveLength(48)
    expect(raw.includes(capRecord)).toBe(true)

    const listing = execFileSync('tar', ['--xattrs', '--xattrs-include=*', '-tvvf', tar], {
      encoding: 'utf8'
    })
    expect(listing).toMatch(/x: +3 user\.witchery/)
    const out = path.join(work, 'xattrs')
    fs.mkdirSync(out)
    execFileSync('tar', ['--xattrs', '--xattrs-include=user.*', '-xf', tar, '-C', out])
    const read = spawnSync(
      'python3',
      [
        '-c',
        'import os,sys; sys.stdout.write(os.getxattr(sys.argv[1], "user.witchery").decode())',
        path.join(out, 'bin/ping')
      ],
      { encoding: 'utf8' }
    )
    if (read.status === 0) expect(read.stdout).toBe('yes')
    else console.warn(`skipping xattr read-back: ${read.stderr.trim() || 'python3 missing'}`)
  })

  it('counts each PAX record length right across the digit boundaries', () => {
    for (let n = 80; n <= 1010; n++) {
      const value = Buffer.alloc(n, 0x76)
      const blocks = encodeHeader({
        path: 'f',
        type: 'file',
        mode: 0o644,
        uid: 0,
        gid: 0,
        size: 0,
        mtime: 0,
        xattrs: new Map([['user.v', value]])
      })
      const size = parseInt(blocks.subarray(124, 135).toString('latin1'), 8)
      const body = blocks.subarray(512, 512 + size)
      const length = Number(body.subarray(0, body.indexOf(0x20)).toString('latin1'))
      expect(length).toBe(body.length)
      expect(body[length - 1]).toBe(0x0a)
    }
  })

  it('gives the same bytes for the same entries in any order', async () => {
    const entries = [
      file('etc/b', 'b'),
      file('etc/a', 'a', {
        xattrs: new Map([
          ['user.z', Buffer.from('1')],
          ['user.a', Buffer.from('2')]
        ])
      }),
      dir('etc', { mode: 0o700 }),
      { path: 'x', type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname: 'etc/a' } as LayerEntry
    ]
    const one = fs.readFileSync(await writeTar('d1.tar', normalizeEntries(entries)))
    const two = fs.readFileSync(await writeTar('d2.tar', normalizeEntries([...entries].reverse())))
    expect(one.equals(two)).toBe(true)
    expect(one.length % 512).toBe(0)
    expect(one.subarray(-1024).every((b) => b === 0)).toBe(true)
  })

  it('refuses a source that is a symlink or a FIFO on disk, without blocking', async () => {
    const real = path.join(work, 'real.txt')
    fs.writeFileSync(real, 'real')
    const link = path.join(work, 'link.txt')
    fs.symlinkSync(real, link)
    const fifo = path.join(work, 'fifo')
    execFileSync('mkfifo', [fifo])
    const entry = (source: string) =>
      [{ path: 'a', type: 'file', mode: 0o644, uid: 0, gid: 0, source }] as LayerEntry[]
    await expect(writeTar('link.tar', entry(link))).rejects.toThrow(/is a symlink on disk/)
    await expect(writeTar('fifo.tar', entry(fifo))).rejects.toThrow(/not a regular file/)
  })

  it('refuses a source that is not a regular file', async () => {
    const entries = [
      { path: 'a', type: 'file', mode: 0o644, uid: 0, gid: 0, source: work } as LayerEntry
    ]
    await expect(writeTar('bad.tar', entries)).rejects.toThrow(/not a regular file/)
  })
})

describe('layer entry normalization', () => {
  it('adds missing parents as 0755 0:0 and sorts bytewise, parents first', () => {
    const entries = normalizeEntries([file('a/b-c', '1'), file('a/b/c', '2'), file('a.txt', '3')])
    expect(
      entries.map((e) => `${e.type[0]} ${e.path} ${e.mode.toString(8)} ${e.uid}:${e.gid}`)
    ).toEqual([
      'd a 755 0:0',
      'f a.txt 644 0:0',
      'd a/b 755 0:0',
      'f a/b-c 644 0:0',
      'f a/b/c 644 0:0'
    ])
  })

  it('sorts by UTF-8 bytes where the order of UTF-16 units differs', () => {
    // U+1F600 is a surrogate pair (D83D DE00), first in UTF-16 order; in UTF-8 (F0 9F 98 80) it
    // comes after U+FF21 (EF BC A1), and after U+E000 (EE 80 80).
    const paths = ['x/\u{1F600}', 'x/\uFF21', 'x/\uE000', 'x/z', 'x/\u00e9']
    const entries = normalizeEntries(paths.map((p) => file(p, p)))
    const bytewise = [...paths, 'x'].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    expect(entries.map((e) => e.path)).toEqual(bytewise)
    expect(bytewise.slice(-2)).toEqual(['x/\uFF21', 'x/\u{1F600}'])
  })

  it('takes a missing parent from the lower layers when it is there', () => {
    const entries = normalizeEntries([file('home/nonroot/app', 'x')], {
      parentDir: (p) =>
        p === 'home/nonroot' ? dir(p, { uid: 65532, gid: 65532, mode: 0o700 }) : undefined
    })
    expect(entries.map((e) => [e.path, e.uid, e.mode])).toEqual([
      ['home', 0, 0o755],
      ['home/nonroot', 65532, 0o700],
      ['home/nonroot/app', 0, 0o644]
    ])
  })

  it('moves the content to the first path of a hardlink group', () => {
    const entries = normalizeEntries([
      file('usr/bin/tool', 'content', { mode: 0o750, uid: 7 }),
      { path: 'bin/tool', type: 'hardlink', mode: 0, uid: 0, gid: 0, linkname: 'usr/bin/tool' },
      { path: 'sbin/tool', type: 'hardlink', mode: 0, uid: 0, gid: 0, linkname: 'bin/tool' }
    ])
    const byPath = new Map(entries.map((e) => [e.path, e]))
    expect(byPath.get('bin/tool')).toMatchObject({ type: 'file', mode: 0o750, uid: 7 })
    expect(byPath.get('bin/tool')?.content?.toString()).toBe('content')
    expect(byPath.get('sbin/tool')).toMatchObject({ type: 'hardlink', linkname: 'bin/tool' })
    expect(byPath.get('usr/bin/tool')).toMatchObject({ type: 'hardlink', linkname: 'bin/tool' })
  })

  it.each([
    [[file('/etc/x', '')], ImageSpecError, /clean relative path/],
    [[file('etc/', '')], ImageSpecError, /clean relative path/],
    [[file('etc//x', '')], ImageSpecError, /empty or '\.' part/],
    [[file('etc/../../x', '')], ImagePathError, /climbs out/],
    [[file('a', ''), file('a', '')], ImageSpecError, /lists 'a' twice/],
    [[file('a', '', { mode: 0o10644 })], ImageSpecError, /mode/],
    [[file('a', '', { uid: -1 })], ImageSpecError, /uid -1/],
    // Such a name once deleted what lower layers held; such an xattr made a layer Go refuses.
    [[file('srv/.wh.data', '')], ImageSpecError, /a part named \.wh\.…, which in a layer deletes/],
    [[file('srv/.wh..wh..opq', '')], ImageSpecError, /OCI whiteout/],
    [
      [file('a', '', { xattrs: new Map([['user.a\0b', Buffer.from('x')]]) })],
      ImageSpecError,
      /'a' has an extended attribute named "user\.a\\u0000b": a name must be non-empty/
    ],
    [[file('a', '', { xattrs: new Map([['', Buffer.from('x')]]) })], ImageSpecError, /named ""/],
    [
      [{ path: 'h', type: 'hardlink', mode: 0, uid: 0, gid: 0, linkname: 'nope' } as LayerEntry],
      ImageSpecError,
      /not a regular file in the same layer/
    ],
    [
      [
        { path: 'l', type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname: 'x' } as LayerEntry,
        file('l/f', '')
      ],
      ImageSpecError,
      /under 'l', which this layer makes a symlink/
    ],
    [
      [{ path: 'f', type: 'file', mode: 0o644, uid: 0, gid: 0 } as LayerEntry],
      ImageSpecError,
      /exactly one of source/
    ]
  ] as [LayerEntry[], typeof ImageSpecError, RegExp][])(
    'refuses bad entries (%#)',
    (entries, type, message) => {
      expect(() => normalizeEntries(entries)).toThrow(type)
      expect(() => normalizeEntries(entries)).toThrow(message)
    }
  )
})

// Each entry leaves garbage that V8 would let pile up in its old generation: a layer of many
// entries collects as it goes (a root of 40,000 files, build-memory.test.ts).
it('collects as a layer of many entries is written', async () => {
  const entries: LayerEntry[] = Array.from({ length: COLLECT_EVERY_ENTRIES * 2 }, (_, i) => ({
    path: `f${String(i).padStart(6, '0')}`,
    type: 'file',
    mode: 0o644,
    uid: 0,
    gid: 0,
    content: Buffer.from(`${i}\n`)
  }))
  const before = collectionsRun()
  let bytes = 0
  for await (const chunk of tarStream(entries, 0)) bytes += chunk.length
  expect(bytes).toBe(entries.length * 1024 + 1024)
  expect(collectionsRun() - before).toBeGreaterThanOrEqual(1)
})
