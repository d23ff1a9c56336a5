/**
 * ELF reading (src/assemble/elf.ts) against readelf, on real files (musl-gcc programs and
 * libraries, an i386 library linked by ld, every ELF of Alpine's real packages) and on files of
 * both classes and byte orders written here and read back by readelf too; `#!` lines; and
 * musl's search rules over an image view (src/assemble/loader.ts).
 */
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { findArch, type ArchInfo } from '../src/arch.js'
import { parseElfBuffer, parseShebang, readElfFile } from '../src/assemble/elf.js'
import { envTarget } from '../src/assemble/needs.js'
import {
  expandRunpath,
  ImageView,
  isMuslReserved,
  locateLibrary,
  systemLibraryPath
} from '../src/assemble/loader.js'
import type { LayerEntry } from '../src/oci/types.js'
import { checkLinks, describeProblems } from '../src/assemble/link-check.js'
import { muslBuild, muslLibrary, readelf } from './support/native.js'
import { FIXTURES, haveShared } from './support/shared.js'
import { walkTree } from './support/walk.js'

const x86_64 = findArch('x86_64') as ArchInfo
let work: string

function tmp(name: string): string {
  return path.join(work, name)
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-elf-'))
})

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true })
})

/** What readElfFile says, in readelf's terms. */
function ours(file: string) {
  const elf = readElfFile(file)
  if (!elf) return undefined
  return {
    interpreter: elf.interpreter,
    needed: elf.needed,
    runpath: elf.runpath,
    rpath: elf.rpath,
    soname: elf.soname
  }
}

interface Layout {
  elfClass: 1 | 2
  little: boolean
  machine: number
  interpreter?: string
  needed: string[]
  runpath?: string
  rpath?: string
  soname?: string
}

/**
 * A minimal ELF file: header, program headers (PT_LOAD over the whole file at 0x10000,
 * PT_INTERP, PT_DYNAMIC), the interpreter, the dynamic strings and the dynamic array.
 */
function writeElf(l: Layout): Buffer {
  const wide = l.elfClass === 2
  const ehsize = wide ? 64 : 52
  const phentsize = wide ? 56 : 32
  const base = 0x10000
  const segments = l.interpreter === undefined ? 2 : 3
  const interpAt = ehsize + segments * phentsize
  const interp = l.interpreter === undefined ? Buffer.alloc(0) : Buffer.from(`${l.interpreter}\0`)
  const strAt = interpAt + interp.length
  const strings: string[] = ['']
  const offsetOf = (s: string) => {
    const at = Buffer.byteLength(strings.join('\0')) + 1
    strings.push(s)
    return at
  }
  const dyn: [number, number][] = []
  for (const n of l.needed) dyn.push([1, offsetOf(n)])
  if (l.soname) dyn.push([14, offsetOf(l.soname)])
  if (l.rpath) dyn.push([15, offsetOf(l.rpath)])
  if (l.runpath) dyn.push([29, offsetOf(l.runpath)])
  const strtab = Buffer.from(`${strings.join('\0')}\0`)
  const dynAt = Math.ceil((strAt + strtab.length) / 8) * 8
  dyn.push([5, base + strAt], [10, strtab.length], [0, 0])
  const dynEntry = wide ? 16 : 8
  const size = dynAt + dyn.length * dynEntry
  const buf = Buffer.alloc(size)
  const u16 = (at: number, v: number) =>
    l.little ? buf.writeUInt16LE(v, at) : buf.writeUInt16BE(v, at)
  const u32 = (at: number, v: number) =>
    l.little ? buf.writeUInt32LE(v, at) : buf.writeUInt32BE(v, at)
  const word = (at: number, v: number) => {
    if (!wide) return u32(at, v)
    return l.little ? buf.writeBigUInt64LE(BigInt(v), at) : buf.writeBigUInt64BE(BigInt(v), at)
  }
  buf.write('\x7fELF', 0, 'latin1')
  buf[4] = l.elfClass
  buf[5] = l.little ? 1 : 2
  buf[6] = 1
  u16(16, 3) // ET_DYN
  u16(18, l.machine)
  u32(20, 1)
  word(wide ? 32 : 28, ehsize) // e_phoff
  u16(wide ? 52 : 40, ehsize)
  u16(wide ? 54 : 42, phentsize)
  u16(wide ? 56 : 44, segments)
  const phdr = (i: number, type: number, offset: number, filesz: number) => {
    const at = ehsize + i * phentsize
    u32(at, type)
    if (wide) {
      u32(at + 4, 4)
      word(at + 8, offset)
      word(at + 16, base + offset)
      word(at + 24, base + offset)
      word(at + 32, filesz)
      word(at + 40, filesz)
      word(at + 48, 8)
    } else {
      word(at + 4, offset)
      word(at + 8, base + offset)
      word(at + 12, base + offset)
      word(at + 16, filesz)
      word(at + 20, filesz)
      u32(at + 24, 4)
      u32(at + 28, 4)
    }
  }
  phdr(0, 1, 0, size)
  if (l.interpreter !== undefined) phdr(1, 3, interpAt, interp.length)
  phdr(segments - 1, 2, dynAt, dyn.length * dynEntry)
  interp.copy(buf, interpAt)
  strtab.copy(buf, strAt)
  dyn.forEach(([tag, value], i) => {
    word(dynAt + i * dynEntry, tag)
    word(dynAt + i * dynEntry + dynEntry / 2, value)
  })
  return buf
}

describe('reading ELF files', () => {
  it('reads a musl-gcc program as readelf does: interpreter, NEEDED, RUNPATH', () => {
    const lib = muslLibrary(
      'int one(void) { return 1; }\n',
      tmp('p/lib/libone.so.1'),
      'libone.so.1'
    )
    const app = muslBuild('int one(void);\nint main(void) { return one(); }\n', tmp('p/bin/app'), [
      lib,
      '-Wl,-rpath,$ORIGIN/../lib:/opt/lib',
      '-Wl,--enable-new-dtags'
    ])
    expect(ours(app)).toEqual(readelf(app))
    expect(ours(app)).toMatchObject({
      interpreter: '/lib/ld-musl-x86_64.so.1',
      needed: ['libone.so.1', 'libc.musl-x86_64.so.1'],
      runpath: '$ORIGIN/../lib:/opt/lib'
    })
    expect(ours(lib)).toEqual(readelf(lib))
    expect(ours(lib)).toMatchObject({ soname: 'libone.so.1', needed: ['libc.musl-x86_64.so.1'] })
    expect(ours(lib)?.interpreter).toBeUndefined()
  })

  it('reads DT_RPATH set by patchelf --force-rpath', () => {
    const app = muslBuild('int main(void) { return 0; }\n', tmp('rpath/app'))
    execFileSync('patchelf', ['--force-rpath', '--set-rpath', '/usr/lib/private', app])
    expect(ours(app)).toEqual(readelf(app))
    expect(ours(app)).toMatchObject({ rpath: '/usr/lib/private', runpath: undefined })
  })

  it('reads a 32-bit i386 library linked by ld as readelf does', () => {
    const asm = tmp('i386/one.s')
    fs.mkdirSync(path.dirname(asm), { recursive: true })
    fs.writeFileSync(asm, '.globl one\n.text\none:\n  movl $1, %eax\n  ret\n')
    execFileSync('as', ['--32', '-o', tmp('i386/one.o'), asm])
    const lib = tmp('i386/libone.so.1')
    // prettier-ignore
    execFileSync('ld', [
      '-m', 'elf_i386', '-shared', '-soname', 'libone.so.1', '-rpath', '$ORIGIN',
      '--enable-new-dtags', '-o', lib, tmp('i386/one.o')
    ])
    execFileSync('patchelf', ['--add-needed', 'libc.musl-x86.so.1', lib])
    const elf = readElfFile(lib)
    expect(elf).toMatchObject({ elfClass: 1, littleEndian: true, machine: 3 })
    expect(ours(lib)).toEqual(readelf(lib))
    expect(ours(lib)).toMatchObject({ soname: 'libone.so.1', runpath: '$ORIGIN' })
    expect(ours(lib)?.needed).toEqual(['libc.musl-x86.so.1'])
  })

  const layouts = [
    { label: '64-bit little-endian (x86_64)', elfClass: 2, little: true, machine: 62 },
    { label: '64-bit big-endian (s390x)', elfClass: 2, little: false, machine: 22 },
    { label: '32-bit little-endian (i386)', elfClass: 1, little: true, machine: 3 },
    { label: '32-bit big-endian (ppc)', elfClass: 1, little: false, machine: 20 }
  ] as const

  it.each(layouts)('reads a $label file as readelf does', ({ elfClass, little, machine }) => {
    const layout: Layout = { elfClass, little, machine, needed: [] }
    const full: Layout = {
      ...layout,
      interpreter: '/lib/ld-musl-test.so.1',
      needed: ['libz.so.1', 'libssl.so.3', 'libc.musl-test.so.1'],
      runpath: '$ORIGIN/../lib',
      rpath: '/opt/old',
      soname: 'libtest.so.1'
    }
    const file = tmp(`layout-${layout.elfClass}-${layout.little ? 'le' : 'be'}`)
    fs.writeFileSync(file, writeElf(full))
    const theirs = readelf(file)
    expect(theirs.needed).toEqual(full.needed)
    expect(ours(file)).toEqual(theirs)
    const elf = readElfFile(file)
    expect(elf).toMatchObject({
      elfClass: layout.elfClass,
      littleEndian: layout.little,
      machine: layout.machine,
      type: 3
    })
    // The same bytes in memory read the same.
    expect(parseElfBuffer(fs.readFileSync(file))).toEqual(elf)
    // A static one: no interpreter, no needs.
    const plain = writeElf({ ...layout, needed: [] })
    expect(parseElfBuffer(plain)?.interpreter).toBeUndefined()
    expect(parseElfBuffer(plain)?.needed).toEqual([])
  })

  it('says undefined for what is not ELF or is cut short, and survives damaged tables', () => {
    expect(parseElfBuffer(Buffer.from('#!/bin/sh\necho hi\n'))).toBeUndefined()
    expect(parseElfBuffer(Buffer.alloc(0))).toBeUndefined()
    const whole = writeElf({ elfClass: 2, little: true, machine: 62, needed: ['libz.so.1'] })
    expect(parseElfBuffer(whole.subarray(0, 40))).toBeUndefined()
    // Header whole, tables cut off: what can be read, no throw.
    expect(parseElfBuffer(whole.subarray(0, 64))).toMatchObject({ machine: 62, needed: [] })
    // Program headers pointing far past the end.
    const wild = Buffer.from(whole)
    wild.writeBigUInt64LE(BigInt(2) ** BigInt(62), 32)
    expect(parseElfBuffer(wild)).toMatchObject({ machine: 62, needed: [] })
    fs.writeFileSync(tmp('cut'), whole.subarray(0, 100))
    expect(readElfFile(tmp('cut'))).toMatchObject({ machine: 62, needed: [] })
  })
})

describe('#! lines', () => {
  it.each([
    ['#!/bin/sh\necho', { interpreter: '/bin/sh' }],
    ['#! /bin/sh -e\n', { interpreter: '/bin/sh', argument: '-e' }],
    ['#!/usr/bin/env python3\n', { interpreter: '/usr/bin/env', argument: 'python3' }],
    // Linux keeps the CR: such a line cannot run (it once passed the link check).
    [
      '#!/usr/bin/env -S python3 -u\r\n',
      { interpreter: '/usr/bin/env', argument: '-S python3 -u', crlf: true }
    ],
    ['#!/bin/sh\r\n', { interpreter: '/bin/sh', crlf: true }],
    // Only spaces and tabs separate and trim; a NUL ends the line, as in binfmt_script.
    ['#!/bin/sh\v-x\n', { interpreter: '/bin/sh\v-x' }],
    ['#!/bin/sh -e\0junk\n', { interpreter: '/bin/sh', argument: '-e' }],
    ['#!/usr/bin/python3', { interpreter: '/usr/bin/python3' }]
  ])('%j', (text, expected) => {
    expect(parseShebang(Buffer.from(text))).toEqual(expected)
  })

  // Linux passes the rest of the line as one argument: env looked for `python3 -u`.
  it('knows what env runs, and when it runs nothing', () => {
    expect(envTarget('python3')).toEqual({ command: 'python3' })
    expect(envTarget('-S python3 -u')).toEqual({ command: 'python3' })
    expect(envTarget('python3 -u').problem).toMatch(
      /env is given 'python3 -u' as one argument .* name the interpreter's path/
    )
    expect(envTarget('-i python3').problem).toBeDefined()
  })

  it('is undefined without #! at the very start', () => {
    expect(parseShebang(Buffer.from(' #!/bin/sh\n'))).toBeUndefined()
    expect(parseShebang(Buffer.from('#!\n'))).toBeUndefined()
  })
})

describe("musl's search rules over an image", () => {
  const file = (p: string, source?: string): LayerEntry => ({
    path: p,
    type: 'file',
    mode: 0o755,
    uid: 0,
    gid: 0,
    source
  })
  const link = (p: string, target: string): LayerEntry => ({
    path: p,
    type: 'symlink',
    mode: 0o777,
    uid: 0,
    gid: 0,
    linkname: target
  })
  const elf = (interpreter?: string, runpath?: string) => ({
    elfClass: 2,
    littleEndian: true,
    type: 3,
    machine: 62,
    interpreter,
    needed: [],
    runpath
  })
  const view = new ImageView([
    [
      file('lib/ld-musl-x86_64.so.1'),
      link('lib/libc.musl-x86_64.so.1', 'ld-musl-x86_64.so.1'),
      file('lib/libz.so.1.3.1'),
      link('lib/libz.so.1', 'libz.so.1.3.1'),
      link('usr/lib64', '/usr/lib'),
      file('usr/lib/libssl.so.3'),
      file('opt/app/lib/libown.so.1'),
      file('opt/app/bin/server'),
      link('loop/a', 'b'),
      link('loop/b', 'a'),
      link('bin/sh', '/bin/busybox'),
      file('bin/busybox')
    ]
  ])
  const opts = { systemPath: ['/lib', '/usr/local/lib', '/usr/lib'], muslLoader: true }

  it('follows symlinks inside the image, and stops at loops', () => {
    expect(view.resolve('/lib/libz.so.1')?.path).toBe('/lib/libz.so.1.3.1')
    expect(view.resolve('/usr/lib64/libssl.so.3')?.path).toBe('/usr/lib/libssl.so.3')
    expect(view.resolve('/usr/lib64/../lib/libssl.so.3')?.path).toBe('/usr/lib/libssl.so.3')
    expect(view.isFile('/bin/sh')).toBe(true)
    expect(view.resolve('/loop/a')).toBeUndefined()
    expect(view.isFile('/lib/libz.so.1/x')).toBe(false)
    expect(view.isFile('/usr/lib')).toBe(false)
  })

  it('finds a library in the default path, through a RUNPATH with $ORIGIN, or not at all', () => {
    const server = { path: '/opt/app/bin/server', elf: elf('/lib/ld-musl-x86_64.so.1') }
    expect(locateLibrary(view, server, 'libz.so.1', opts).found).toBe('/lib/libz.so.1')
    expect(locateLibrary(view, server, 'libown.so.1', opts).found).toBeUndefined()
    const withRunpath = { ...server, elf: elf('/lib/ld-musl-x86_64.so.1', '$ORIGIN/../lib') }
    expect(locateLibrary(view, withRunpath, 'libown.so.1', opts)).toEqual({
      found: '/opt/app/lib/libown.so.1',
      searched: ['/opt/app/bin/../lib', '/lib', '/usr/local/lib', '/usr/lib']
    })
    // musl ignores a path with a $ token other than ORIGIN.
    const lib = { ...server, elf: elf('/lib/ld-musl-x86_64.so.1', '$LIB/../lib') }
    expect(locateLibrary(view, lib, 'libown.so.1', opts).found).toBeUndefined()
    expect(expandRunpath('${ORIGIN}/a:/b', '/x')).toEqual(['/x/a', '/b'])
    expect(expandRunpath('$PLATFORM/a', '/x')).toEqual([])
  })

  it("answers musl's own names with the loader, only when the image has it", () => {
    const server = { path: '/opt/app/bin/server', elf: elf('/lib/ld-musl-x86_64.so.1') }
    for (const name of ['libc.so', 'libc.musl-x86_64.so.1', 'libm.so.6', 'libpthread.so.0']) {
      expect(isMuslReserved(name)).toBe(true)
      expect(locateLibrary(view, server, name, opts).found).toBe('loader')
    }
    for (const name of ['libcrypto.so.3', 'libmagic.so.1', 'libz.so.1', 'libcap.so.2']) {
      expect(isMuslReserved(name)).toBe(false)
    }
    const empty = new ImageView([[]])
    expect(
      locateLibrary(empty, server, 'libc.so', { ...opts, muslLoader: false }).found
    ).toBeUndefined()
  })

  it('lets a library find the libraries beside it', () => {
    const lib = { path: '/opt/app/lib/libtop.so.1', elf: elf() }
    expect(locateLibrary(view, lib, 'libown.so.1', opts).found).toBe('/opt/app/lib/libown.so.1')
  })

  it('reads /etc/ld-musl-ARCH.path instead of the default path when the image has it', () => {
    fs.writeFileSync(tmp('ld-path'), '/opt/app/lib\n/usr/lib:\n')
    const withPath = new ImageView([[file('etc/ld-musl-x86_64.path', tmp('ld-path'))]])
    expect(systemLibraryPath(withPath, x86_64, (f) => fs.readFileSync(f, 'latin1'))).toEqual([
      '/opt/app/lib',
      '/usr/lib'
    ])
    expect(systemLibraryPath(view, x86_64, () => '')).toEqual([
      '/lib',
      '/usr/local/lib',
      '/usr/lib'
    ])
  })
})

const realHere = haveShared('fixtures/real-alpine/v3.19.1')

;(realHere ? describe : describe.skip)("every ELF of Alpine's real packages", () => {
  it('reads as readelf reads it', () => {
    const dir = path.join(FIXTURES, 'real-alpine/v3.19.1/x86_64')
    const out = tmp('real')
    let elfFiles = 0
    for (const apk of fs.readdirSync(dir).filter((f) => f.endsWith('.apk'))) {
      const into = path.join(out, apk)
      fs.mkdirSync(into, { recursive: true })
      execFileSync('tar', ['-xzf', path.join(dir, apk), '-C', into], { stdio: 'ignore' })
      const files = walkTree(into)
        .map((f) => path.join(into, f))
        .filter((f) => fs.lstatSync(f).isFile())
      for (const f of files) {
        const head = Buffer.alloc(4)
        const fd = fs.openSync(f, 'r')
        const n = fs.readSync(fd, head, 0, 4, 0)
        fs.closeSync(fd)
        const isElf = n === 4 && head.toString('latin1') === '\x7fELF'
        if (!isElf) {
          expect(readElfFile(f)).toBeUndefined()
          continue
        }
        elfFiles++
        expect({ file: f, ...ours(f) }).toEqual({ file: f, ...readelf(f) })
      }
    }
    expect(elfFiles).toBeGreaterThan(150)
  }, 120000)
})

/** A 64-bit little-endian x86_64 ELF: one PT_LOAD over all, PT_INTERP (raw bytes), PT_DYNAMIC. */
function hostileElf(options: {
  interp?: Buffer
  strings: string
  dyn: [number, number][]
}): Buffer {
  const base = 0x10000
  const segments = options.interp ? 3 : 2
  const interpAt = 64 + segments * 56
  const interp = options.interp ?? Buffer.alloc(0)
  const strAt = interpAt + interp.length
  const strtab = Buffer.from(options.strings, 'latin1')
  const dynAt = Math.ceil((strAt + strtab.length) / 8) * 8
  const dyn: [number, number][] = [...options.dyn, [5, base + strAt], [0, 0]]
  const size = dynAt + dyn.length * 16
  const b = Buffer.alloc(size)
  b.write('\x7fELF', 0, 'latin1')
  b[4] = 2
  b[5] = 1
  b[6] = 1
  b.writeUInt16LE(3, 16)
  b.writeUInt16LE(62, 18)
  b.writeUInt32LE(1, 20)
  b.writeBigUInt64LE(64n, 32)
  b.writeUInt16LE(64, 52)
  b.writeUInt16LE(56, 54)
  b.writeUInt16LE(segments, 56)
  const header = (i: number, type: number, offset: number, length: number) => {
    const at = 64 + i * 56
    b.writeUInt32LE(type, at)
    b.writeBigUInt64LE(BigInt(offset), at + 8)
    b.writeBigUInt64LE(BigInt(base + offset), at + 16)
    b.writeBigUInt64LE(BigInt(length), at + 32)
  }
  header(0, 1, 0, size)
  if (options.interp) header(1, 3, interpAt, interp.length)
  header(segments - 1, 2, dynAt, dyn.length * 16)
  interp.copy(b, interpAt)
  strtab.copy(b, strAt)
  dyn.forEach(([tag, value], i) => {
    b.writeBigUInt64LE(BigInt(tag), dynAt + i * 16)
    b.writeBigUInt64LE(BigInt(value), dynAt + i * 16 + 8)
  })
  return b
}

describe('the link check on hostile files', () => {
  const loader = Buffer.from('/lib/ld-musl-x86_64.so.1\0')
  const entry = (p: string, source?: string, mode = 0o755): LayerEntry => ({
    path: p,
    type: 'file',
    mode,
    uid: 0,
    gid: 0,
    source
  })
  const check = (entries: LayerEntry[], app = false) =>
    checkLinks([{ entries, owner: () => 'evil', app }], x86_64)
  const write = (name: string, bytes: Buffer | string) => {
    fs.writeFileSync(tmp(name), bytes)
    return tmp(name)
  }

  // 65,000 of one missing name with a RUNPATH of 2,040 folders once took 153 s and 1.6 GB.
  it('looks for a name needed many times once, through each folder once', () => {
    const runpath = Array.from({ length: 2000 }, () => '/').join(':')
    const dyn: [number, number][] = [
      [29, 14],
      ...Array.from({ length: 20000 }, () => [1, 1] as [number, number])
    ]
    const bomb = write(
      'bomb',
      hostileElf({ interp: loader, strings: `\0libnope.so.1\0${runpath}\0`, dyn })
    )
    const started = Date.now()
    const { problems } = check([entry('lib/ld-musl-x86_64.so.1'), entry('usr/bin/bomb', bomb)])
    expect(problems).toEqual([
      expect.objectContaining({
        kind: 'library',
        name: 'libnope.so.1',
        searched: ['/', '/lib', '/usr/local/lib', '/usr/lib']
      })
    ])
    expect(Date.now() - started).toBeLessThan(2000)
  })

  // 150,000 folders in /etc/ld-musl-x86_64.path once overflowed the stack (a spread).
  it('reads a bounded, de-duplicated /etc/ld-musl-ARCH.path', () => {
    const paths = write(
      'ldpath',
      Array.from({ length: 150000 }, (_, i) => `/d${i % 300}`).join(':')
    )
    const needs = write(
      'needs',
      hostileElf({ interp: loader, strings: '\0libz.so.1\0', dyn: [[1, 1]] })
    )
    const { problems } = check([
      entry('lib/ld-musl-x86_64.so.1'),
      entry('etc/ld-musl-x86_64.path', paths, 0o644),
      entry('usr/bin/needs', needs)
    ])
    expect(problems).toHaveLength(1)
    expect(problems[0].searched).toHaveLength(256)
    expect(problems[0].searched.slice(0, 2)).toEqual(['/d0', '/d1'])
  })

  // Linux refuses such a file (ENOEXEC); it once passed.
  it('reports a PT_INTERP Linux refuses', () => {
    const noNul = write(
      'nonul',
      hostileElf({ interp: Buffer.from('/lib/ld-musl-x86_64.so.1'), strings: '\0', dyn: [] })
    )
    const { problems } = check([entry('lib/ld-musl-x86_64.so.1'), entry('usr/bin/nonul', noNul)])
    expect(problems).toEqual([
      expect.objectContaining({
        kind: 'unrunnable',
        detail: 'its PT_INTERP does not end in a NUL byte, which Linux requires'
      })
    ])
    expect(describeProblems(problems, x86_64, undefined)).toEqual([
      '/usr/bin/nonul (evil) cannot start: its PT_INTERP does not end in a NUL byte, which Linux requires'
    ])
  })

  it('reports an app script with CRLF line endings, or env given a command with arguments', () => {
    const crlf = write('crlf.sh', '#!/bin/sh\r\necho hi\r\n')
    const envArgs = write('env.py', '#!/usr/bin/env python3 -u\nprint(1)\n')
    const fine = write('fine.sh', '#!/bin/sh\necho hi\n')
    const { problems } = check(
      [
        entry('bin/sh'),
        entry('usr/bin/env'),
        entry('app/crlf', crlf),
        entry('app/env', envArgs),
        entry('app/fine', fine)
      ],
      true
    )
    expect(problems.map((p) => [p.file, p.kind])).toEqual([
      ['/app/crlf', 'unrunnable'],
      ['/app/env', 'unrunnable']
    ])
    expect(problems[0].detail).toMatch(/ends in a carriage return \(CRLF line endings\)/)
    expect(problems[1].detail).toMatch(/env is given 'python3 -u' as one argument/)
  })
})
