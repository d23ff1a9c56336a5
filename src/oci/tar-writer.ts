/**
 * Our own deterministic tar writer: ustar headers, with PAX extended headers only where ustar
 * cannot say it (long paths and link targets, big ids and sizes, xattrs). Numeric owners with
 * empty names, one mtime for every entry that does not carry its own, and no host metadata at
 * all, so the same entries give the same bytes on any machine.
 */
import * as fs from 'node:fs'
import { promisify } from 'node:util'
import { letGoOfEntries } from '../released-memory.js'
import { ImageSpecError } from './errors.js'
import type { LayerEntry } from './types.js'

const BLOCK = 512
/** Largest value of an 8-byte octal field (7 digits + NUL). */
const MAX_OCTAL_8 = 0o7777777
/** Largest value of a 12-byte octal field (11 digits + NUL). */
const MAX_OCTAL_12 = 0o77777777777
/** How much of the tar stream is assembled before it is passed on (the parallel gzip's block). */
const ASSEMBLY = 256 * 1024

export type TarType = LayerEntry['type'] | 'pax'

const TYPEFLAG: Record<TarType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  directory: '5',
  pax: 'x'
}

/** What one tar header says. `path` is without the directory's trailing `/`. */
export interface TarHeader {
  path: string
  type: TarType
  mode: number
  uid: number
  gid: number
  size: number
  mtime: number
  linkname?: string
  xattrs?: Map<string, Buffer>
}

/** The two zero blocks that end an archive. */
export const END_OF_ARCHIVE: Buffer = Buffer.alloc(2 * BLOCK)

/** Zero bytes that pad `size` bytes of content to a whole block. */
export function padding(size: number): Buffer {
  return Buffer.alloc(paddingSize(size))
}

function paddingSize(size: number): number {
  const rest = size % BLOCK
  return rest === 0 ? 0 : BLOCK - rest
}

/**
 * The header blocks of one entry: a PAX `x` header with its records when some field does not
 * fit ustar, then the ustar header itself.
 */
export function encodeHeader(header: TarHeader): Buffer {
  const name = header.type === 'directory' ? `${header.path}/` : header.path
  const nameBytes = Buffer.from(name, 'utf8')
  const linkBytes = Buffer.from(header.linkname ?? '', 'utf8')
  const split = splitUstarName(nameBytes)
  const records: Buffer[] = []
  if (!split) records.push(paxRecord('path', nameBytes))
  if (linkBytes.length > 100) records.push(paxRecord('linkpath', linkBytes))
  if (header.uid > MAX_OCTAL_8) records.push(paxRecord('uid', Buffer.from(String(header.uid))))
  if (header.gid > MAX_OCTAL_8) records.push(paxRecord('gid', Buffer.from(String(header.gid))))
  if (header.size > MAX_OCTAL_12) records.push(paxRecord('size', Buffer.from(String(header.size))))
  for (const key of sortedKeys(header.xattrs)) {
    records.push(paxRecord(`SCHILY.xattr.${key}`, header.xattrs?.get(key) ?? Buffer.alloc(0)))
  }

  const ustar = ustarHeader({
    name: split?.name ?? truncateUtf8(nameBytes, 100),
    prefix: split?.prefix ?? Buffer.alloc(0),
    link: linkBytes.length > 100 ? truncateUtf8(linkBytes, 100) : linkBytes,
    typeflag: TYPEFLAG[header.type],
    mode: header.mode & 0o7777,
    uid: header.uid > MAX_OCTAL_8 ? 0 : header.uid,
    gid: header.gid > MAX_OCTAL_8 ? 0 : header.gid,
    size: header.size > MAX_OCTAL_12 ? 0 : header.size,
    mtime: header.mtime
  })
  if (records.length === 0) return ustar
  const body = Buffer.concat(records)
  const pax = ustarHeader({
    name: paxHeaderName(header.path),
    prefix: Buffer.alloc(0),
    link: Buffer.alloc(0),
    typeflag: TYPEFLAG.pax,
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: body.length,
    mtime: header.mtime
  })
  return Buffer.concat([pax, body, padding(body.length), ustar])
}

interface UstarFields {
  name: Buffer
  prefix: Buffer
  link: Buffer
  typeflag: string
  mode: number
  uid: number
  gid: number
  size: number
  mtime: number
}

function ustarHeader(f: UstarFields): Buffer {
  const block = Buffer.alloc(BLOCK)
  f.name.copy(block, 0)
  writeOctal(block, 100, 8, f.mode)
  writeOctal(block, 108, 8, f.uid)
  writeOctal(block, 116, 8, f.gid)
  writeOctal(block, 124, 12, f.size)
  writeOctal(block, 136, 12, f.mtime)
  block.write(f.typeflag, 156, 'latin1')
  f.link.copy(block, 157)
  block.write('ustar\u000000', 257, 'latin1')
  // uname and gname (265, 297) stay empty: owners are numeric only.
  writeOctal(block, 329, 8, 0)
  writeOctal(block, 337, 8, 0)
  f.prefix.copy(block, 345)
  // The checksum is summed with its own field read as spaces.
  block.fill(0x20, 148, 156)
  let sum = 0
  for (const byte of block) sum += byte
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 'latin1')
  return block
}

function writeOctal(block: Buffer, offset: number, width: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ImageSpecError(`tar field value ${value} is not a non-negative integer`)
  }
  const digits = value.toString(8).padStart(width - 1, '0')
  if (digits.length > width - 1) {
    throw new ImageSpecError(`tar field value ${value} does not fit ${width - 1} octal digits`)
  }
  block.write(`${digits}\u0000`, offset, 'latin1')
}

/**
 * Splits a name into ustar's prefix (≤155 bytes) and name (≤100 bytes) at a `/`; undefined when
 * no split fits and the path needs a PAX record.
 */
function splitUstarName(bytes: Buffer): { name: Buffer; prefix: Buffer } | undefined {
  if (bytes.length <= 100) return { name: bytes, prefix: Buffer.alloc(0) }
  if (bytes.length > 256) return undefined
  // A directory's trailing slash must stay in the name part, so start before it.
  for (let i = bytes.length - 2; i >= 0; i--) {
    if (bytes[i] !== 0x2f) continue
    const prefix = bytes.subarray(0, i)
    const name = bytes.subarray(i + 1)
    if (name.length > 100) return undefined
    if (prefix.length <= 155 && prefix.length > 0) return { name, prefix }
  }
  return undefined
}

/** One `LEN key=value\n` record; LEN counts the whole record, its own digits included. */
function paxRecord(key: string, value: Buffer): Buffer {
  const rest = Buffer.byteLength(` ${key}=\n`, 'utf8') + value.length
  let length = rest + String(rest).length
  if (String(length).length !== String(rest).length) length = rest + String(length).length
  return Buffer.concat([
    Buffer.from(`${length} ${key}=`, 'utf8'),
    value,
    Buffer.from('\n', 'latin1')
  ])
}

/** The (ignored) name of a PAX header, as Go's archive/tar spells it: `PaxHeaders.0/<base>`. */
function paxHeaderName(entryPath: string): Buffer {
  const base = entryPath.slice(entryPath.lastIndexOf('/') + 1)
  return truncateUtf8(Buffer.from(`PaxHeaders.0/${base}`, 'utf8'), 100)
}

/** At most `max` bytes, cut at a character boundary. */
function truncateUtf8(bytes: Buffer, max: number): Buffer {
  if (bytes.length <= max) return bytes
  let end = max
  // Back up over UTF-8 continuation bytes (10xxxxxx) so no character is split.
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--
  return bytes.subarray(0, end)
}

function sortedKeys(map: Map<string, Buffer> | undefined): string[] {
  if (!map) return []
  return [...map.keys()].sort(compareBytes)
}

/** Bytewise order of the UTF-8 encodings (JS string order is UTF-16 order, which differs). */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

/**
 * The tar stream of `entries`, in the order given, ended by two zero blocks. File content is
 * read from `source` as the stream is consumed. Each chunk is a buffer of its own, which the
 * consumer may keep (a stream that queues its writes does).
 */
export async function* tarStream(
  entries: Iterable<LayerEntry>,
  mtime: number
): AsyncGenerator<Buffer> {
  for await (const chunk of tarChunks(entries, mtime)) yield Buffer.from(chunk)
}

/**
 * The tar stream of `entries` as views of one buffer that is filled again for every chunk: a
 * chunk is valid only until the next one is asked for, so the consumer must be done with it
 * (hashed, copied) by then. Headers and the content of files read from disk go straight into
 * that buffer, so writing a layer of any size allocates next to nothing per file.
 */
export async function* tarChunks(
  entries: Iterable<LayerEntry>,
  mtime: number
): AsyncGenerator<Buffer> {
  const out = new Assembly()
  for (const entry of entries) {
    letGoOfEntries(1)
    if (entry.type === 'file' && entry.source !== undefined) {
      yield* sourceFileInto(out, entry, mtime)
      continue
    }
    const content = entry.type === 'file' ? (entry.content ?? Buffer.alloc(0)) : Buffer.alloc(0)
    yield* out.put(encodeHeader(headerOf(entry, content.length, mtime)))
    yield* out.put(content)
    yield* out.zeros(paddingSize(content.length))
  }
  yield* out.put(END_OF_ARCHIVE)
  if (out.filled > 0) yield out.take()
}

function headerOf(entry: LayerEntry, size: number, mtime: number): TarHeader {
  return {
    path: entry.path,
    type: entry.type,
    mode: entry.mode,
    uid: entry.uid,
    gid: entry.gid,
    size,
    mtime: entry.mtime ?? mtime,
    linkname: entry.type === 'symlink' || entry.type === 'hardlink' ? entry.linkname : undefined,
    xattrs: entry.xattrs
  }
}

/**
 * Opening never blocks on a FIFO and never follows a symlink: the layer says this path is a
 * regular file, so anything else on disk is an error, not content from somewhere else.
 */
const OPEN_FLAGS =
  fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0) | (fs.constants.O_NOFOLLOW ?? 0)
/**
 * Files up to this size are read with synchronous calls. Node's async fs costs ~150 µs per
 * operation in the thread pool; a root of 20,000 small files took 5.5 s that way and 1.0 s
 * like this. Bigger files are read with async calls, where that cost does not matter.
 */
const SMALL_FILE = 1024 * 1024
const readAsync = promisify(fs.read)
/** One byte past a file's end: there must be none. */
const PAST_END = Buffer.alloc(1)

/**
 * Header, content and padding of a file read from disk, the content read straight into the
 * assembly buffer. The size in the header is the size when the file was opened; a file that
 * grows or shrinks while it is read is an error, not a corrupt layer.
 */
async function* sourceFileInto(
  out: Assembly,
  entry: LayerEntry,
  mtime: number
): AsyncGenerator<Buffer> {
  const source = entry.source as string
  const fd = openSource(entry, source)
  try {
    const stat = fs.fstatSync(fd)
    if (!stat.isFile()) {
      throw new ImageSpecError(
        `the content of '${entry.path}' comes from '${source}', which is not a regular file`
      )
    }
    yield* out.put(encodeHeader(headerOf(entry, stat.size, mtime)))
    let read = 0
    while (read < stat.size) {
      if (out.full) yield out.take()
      const room = Math.min(out.room, stat.size - read)
      const n =
        stat.size <= SMALL_FILE
          ? fs.readSync(fd, out.buffer, out.filled, room, null)
          : (await readAsync(fd, out.buffer, out.filled, room, null)).bytesRead
      if (n === 0) break
      out.filled += n
      read += n
    }
    if (read !== stat.size || fs.readSync(fd, PAST_END, 0, 1, null) !== 0) {
      throw new ImageSpecError(
        `'${source}' (for '${entry.path}') changed size while it was read; do not modify the ` +
          'files of an image while it is written'
      )
    }
    yield* out.zeros(paddingSize(stat.size))
  } finally {
    fs.closeSync(fd)
  }
}

function openSource(entry: LayerEntry, source: string): number {
  try {
    return fs.openSync(source, OPEN_FLAGS)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new ImageSpecError(
        `the content of '${entry.path}' comes from '${source}', which is a symlink on disk; ` +
          'give the path of the file itself'
      )
    }
    throw error
  }
}

/** The buffer the tar stream is assembled in, passed on a full buffer at a time. */
class Assembly {
  readonly buffer = Buffer.allocUnsafe(ASSEMBLY)
  filled = 0

  get room(): number {
    return this.buffer.length - this.filled
  }

  get full(): boolean {
    return this.filled === this.buffer.length
  }

  /** The bytes assembled so far; the buffer is filled again from its start. */
  take(): Buffer {
    const chunk = this.buffer.subarray(0, this.filled)
    this.filled = 0
    return chunk
  }

  /** Copies `bytes` in, passing on each buffer that fills. */
  *put(bytes: Buffer): Generator<Buffer> {
    for (let at = 0; at < bytes.length;) {
      if (this.full) yield this.take()
      const n = bytes.copy(this.buffer, this.filled, at)
      this.filled += n
      at += n
    }
  }

  *zeros(count: number): Generator<Buffer> {
    for (let left = count; left > 0;) {
      if (this.full) yield this.take()
      const n = Math.min(this.room, left)
      this.buffer.fill(0, this.filled, this.filled + n)
      this.filled += n
      left -= n
    }
  }
}
