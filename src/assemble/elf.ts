/**
 * Reads what a dynamic loader reads of an ELF file: the header (class, byte order, type,
 * machine), the program headers, PT_INTERP, and from PT_DYNAMIC the DT_NEEDED names, DT_RUNPATH,
 * DT_RPATH and DT_SONAME, whose strings live in DT_STRTAB (an address, mapped to a file offset
 * through the PT_LOAD segments). 32- and 64-bit, little- and big-endian.
 *
 * Only those few regions are read, never the whole file: the link check reads every file of an
 * image this way. A file that is not ELF, or whose header is cut short, is `undefined`; a damaged
 * program header or dynamic section yields what could be read (bounds are checked, never trusted).
 */
import * as fs from 'node:fs'

export interface ElfInfo {
  /** 1 = 32-bit, 2 = 64-bit. */
  elfClass: number
  /** e_ident[EI_DATA] is ELFDATA2LSB. */
  littleEndian: boolean
  /** e_type: 2 = ET_EXEC, 3 = ET_DYN (shared library or PIE). */
  type: number
  machine: number
  /** PT_INTERP, e.g. `/lib/ld-musl-x86_64.so.1`; undefined for a static binary or a library. */
  interpreter?: string
  /** DT_NEEDED names, in order. */
  needed: string[]
  /** DT_RUNPATH, as written (`$ORIGIN/../lib:/opt/lib`). */
  runpath?: string
  /** DT_RPATH, as written. */
  rpath?: string
  /** DT_SONAME. */
  soname?: string
  /** Why Linux would refuse PT_INTERP (not NUL-terminated, or its size out of range). */
  interpreterProblem?: string
}

/** Reads `length` bytes at `offset`; may return fewer at the end of the file. */
export type ReadAt = (offset: number, length: number) => Buffer

const ELF_MAGIC = 0x7f454c46
const PT_LOAD = 1
const PT_DYNAMIC = 2
const PT_INTERP = 3
const DT_NULL = 0
const DT_NEEDED = 1
const DT_STRTAB = 5
const DT_SONAME = 14
const DT_RPATH = 15
const DT_RUNPATH = 29
/** Bounds against damaged files: no loader-worthy binary comes near them. */
const MAX_PROGRAM_HEADERS = 4096
const MAX_DYNAMIC_BYTES = 1024 * 1024
const MAX_STRING = 4096
const MAX_INTERP = 4096
/**
 * The most distinct DT_NEEDED names read from one file (real programs name a few dozen). Repeats
 * are read once, as musl loads a name once: 65,000 of one missing name once made as many problems.
 */
const MAX_NEEDED = 1024

interface Segment {
  type: number
  offset: number
  vaddr: number
  filesz: number
}

/** Field readers for one class and byte order. */
class Fields {
  constructor(
    readonly elfClass: number,
    readonly little: boolean
  ) {}

  u16(buf: Buffer, at: number): number {
    return this.little ? buf.readUInt16LE(at) : buf.readUInt16BE(at)
  }

  u32(buf: Buffer, at: number): number {
    return this.little ? buf.readUInt32LE(at) : buf.readUInt32BE(at)
  }

  /** An address, offset or size: 4 bytes in ELFCLASS32, 8 in ELFCLASS64. */
  word(buf: Buffer, at: number): number {
    if (this.elfClass === 1) return this.u32(buf, at)
    const value = this.little ? buf.readBigUInt64LE(at) : buf.readBigUInt64BE(at)
    // Past 2^53 nothing in a real file can be meant; MAX_SAFE_INTEGER fails every bounds check.
    return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value)
  }

  get wordSize(): number {
    return this.elfClass === 1 ? 4 : 8
  }
}

/** Parses an ELF file through `read`; undefined when it is not ELF or its header is cut short. */
export function parseElf(read: ReadAt): ElfInfo | undefined {
  const head = read(0, 64)
  if (head.length < 52 || head.readUInt32BE(0) !== ELF_MAGIC) return undefined
  const elfClass = head[4]
  if (elfClass !== 1 && elfClass !== 2) return undefined
  if (elfClass === 2 && head.length < 64) return undefined
  const f = new Fields(elfClass, head[5] === 1)
  const info: ElfInfo = {
    elfClass,
    littleEndian: f.little,
    type: f.u16(head, 16),
    machine: f.u16(head, 18),
    needed: []
  }
  const segments = programHeaders(read, head, f)
  const interp = segments.find((s) => s.type === PT_INTERP)
  if (interp && interp.filesz > 0) {
    const bytes = read(interp.offset, Math.min(interp.filesz, MAX_INTERP))
    info.interpreter = cString(bytes, 0)
    // binfmt_elf: ENOEXEC unless 2 <= size <= PATH_MAX and the last byte is NUL.
    if (interp.filesz < 2 || interp.filesz > MAX_INTERP) {
      info.interpreterProblem = `its PT_INTERP is ${interp.filesz} bytes, where Linux takes 2 to ${MAX_INTERP}`
    } else if (bytes.length < interp.filesz || bytes[bytes.length - 1] !== 0) {
      info.interpreterProblem = 'its PT_INTERP does not end in a NUL byte, which Linux requires'
    }
  }
  const dynamic = segments.find((s) => s.type === PT_DYNAMIC)
  if (dynamic) readDynamic(read, f, dynamic, segments, info)
  return info
}

function programHeaders(read: ReadAt, head: Buffer, f: Fields): Segment[] {
  const phoff = f.word(head, f.elfClass === 2 ? 32 : 28)
  const phentsize = f.u16(head, f.elfClass === 2 ? 54 : 42)
  const phnum = Math.min(f.u16(head, f.elfClass === 2 ? 56 : 44), MAX_PROGRAM_HEADERS)
  const minEntry = f.elfClass === 2 ? 56 : 32
  if (phnum === 0 || phentsize < minEntry) return []
  const table = read(phoff, phnum * phentsize)
  const segments: Segment[] = []
  for (let at = 0; at + phentsize <= table.length; at += phentsize) {
    const type = f.u32(table, at)
    segments.push(
      f.elfClass === 2
        ? {
            type,
            offset: f.word(table, at + 8),
            vaddr: f.word(table, at + 16),
            filesz: f.word(table, at + 32)
          }
        : {
            type,
            offset: f.u32(table, at + 4),
            vaddr: f.u32(table, at + 8),
            filesz: f.u32(table, at + 16)
          }
    )
  }
  return segments
}

/** Fills needed, runpath, rpath and soname from PT_DYNAMIC. */
function readDynamic(
  read: ReadAt,
  f: Fields,
  dynamic: Segment,
  segments: Segment[],
  info: ElfInfo
): void {
  const table = read(dynamic.offset, Math.min(dynamic.filesz, MAX_DYNAMIC_BYTES))
  const entrySize = 2 * f.wordSize
  const names: { tag: number; offset: number }[] = []
  let strtab: number | undefined
  for (let at = 0; at + entrySize <= table.length; at += entrySize) {
    // d_tag is signed; every tag read here is small and positive, so the low word is enough.
    const tag = f.elfClass === 2 ? f.word(table, at) : f.u32(table, at)
    if (tag === DT_NULL) break
    const value = f.word(table, at + f.wordSize)
    if (tag === DT_STRTAB) strtab = value
    else if ([DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH].includes(tag)) {
      names.push({ tag, offset: value })
    }
  }
  if (strtab === undefined) return
  const strtabOffset = fileOffset(strtab, segments)
  if (strtabOffset === undefined) return
  for (const { tag, offset } of names) {
    const text = readString(read, strtabOffset + offset)
    if (text === undefined) continue
    if (tag === DT_NEEDED) {
      if (!info.needed.includes(text) && info.needed.length < MAX_NEEDED) info.needed.push(text)
    } else if (tag === DT_SONAME) info.soname = text
    else if (tag === DT_RPATH) info.rpath = text
    else info.runpath = text
  }
}

/** The file offset of a virtual address, through the PT_LOAD segment that maps it. */
function fileOffset(vaddr: number, segments: Segment[]): number | undefined {
  for (const s of segments) {
    if (s.type === PT_LOAD && vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz) {
      return s.offset + (vaddr - s.vaddr)
    }
  }
  return undefined
}

function readString(read: ReadAt, offset: number): string | undefined {
  for (let length = 256; length <= MAX_STRING; length *= 4) {
    const buf = read(offset, length)
    const end = buf.indexOf(0)
    if (end >= 0) return buf.toString('latin1', 0, end)
    if (buf.length < length) return undefined
  }
  return undefined
}

function cString(buf: Buffer, start: number): string {
  const end = buf.indexOf(0, start)
  return buf.toString('latin1', start, end < 0 ? buf.length : end)
}

/** parseElf over bytes in memory. */
export function parseElfBuffer(bytes: Buffer): ElfInfo | undefined {
  return parseElf((offset, length) =>
    offset >= bytes.length ? Buffer.alloc(0) : bytes.subarray(offset, offset + length)
  )
}

/**
 * Reads a file's ELF facts, touching only the regions parseElf asks for. Synchronous on
 * purpose: thousands of small reads in a row are several times faster without a promise each.
 * Undefined for a file that is not ELF; errors opening or reading the file are thrown.
 */
export function readElfFile(file: string): ElfInfo | undefined {
  const fd = fs.openSync(file, 'r')
  try {
    return parseElf((offset, length) => {
      if (!Number.isSafeInteger(offset) || offset < 0 || length <= 0) return Buffer.alloc(0)
      const buf = Buffer.alloc(length)
      const read = fs.readSync(fd, buf, 0, length, offset)
      return buf.subarray(0, read)
    })
  } finally {
    fs.closeSync(fd)
  }
}

/** The search path musl uses for this file's needs: DT_RUNPATH when present, else DT_RPATH. */
export function searchPath(elf: ElfInfo): string | undefined {
  return elf.runpath ?? elf.rpath
}

/** The interpreter line of a script: `#!/usr/bin/env python3` → `/usr/bin/env`, `python3`. */
export interface Shebang {
  interpreter: string
  /** The rest of the line after the interpreter, trimmed (Linux passes it as one argument). */
  argument?: string
  /** The line ends in a carriage return (CRLF): Linux takes it as part of the name or argument. */
  crlf?: boolean
}

/** Linux reads at most this much of a `#!` line (BINPRM_BUF_SIZE). */
export const SHEBANG_BYTES = 256

/** Parses a `#!` line from the start of a file; undefined when the file does not start with one. */
export function parseShebang(head: Buffer): Shebang | undefined {
  if (head.length < 3 || head[0] !== 0x23 || head[1] !== 0x21) return undefined
  // binfmt_script: the line ends at a newline or NUL; only spaces and tabs separate or trim.
  let end = 2
  while (end < head.length && head[end] !== 0x0a && head[end] !== 0) end++
  const line = head.toString('latin1', 2, end).replace(/^[ \t]+|[ \t]+$/g, '')
  const match = /^([^ \t]+)(?:[ \t]+(.*))?$/s.exec(line)
  if (!match) return undefined
  const argument = match[2]?.replace(/^[ \t]+|[ \t]+$/g, '')
  const shebang: Shebang = { interpreter: match[1].replace(/\r$/, '') }
  if (argument) shebang.argument = argument.replace(/\r$/, '')
  if (line.endsWith('\r')) shebang.crlf = true
  return shebang
}

/** The `#!` line of a file, reading only its first SHEBANG_BYTES. */
export function readShebang(file: string): Shebang | undefined {
  return parseShebang(readHead(file, SHEBANG_BYTES))
}

/** The first `max` bytes of `file` (all of it when shorter). */
export function readHead(file: string, max: number): Buffer {
  const fd = fs.openSync(file, 'r')
  try {
    const buf = Buffer.alloc(max)
    return buf.subarray(0, fs.readSync(fd, buf, 0, max, 0))
  } finally {
    fs.closeSync(fd)
  }
}
