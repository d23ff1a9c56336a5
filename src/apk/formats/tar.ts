/**
 * The tar reader of apk-tools (io_archive.c), rule for rule: ustar magic required, octal fields
 * with NUL/space padding, prefix + name, PAX `path`/`linkpath`/`SCHILY.xattr.*`/
 * `APK-TOOLS.checksum.SHA1`, GNU `L` long names, and apk's end-of-archive rule: the second
 * header block whose first byte is NUL ends the archive, adjacent or not. APK members are cut
 * tars, so a stream that simply stops on a block boundary is fine.
 */
import { FormatError } from '../errors.js'
import type { TarEntry, TarEntryType } from '../types.js'

const BLOCK = 512
// apk refuses names and link targets of PATH_MAX - 10 bytes or more.
const MAX_PATH = 4096 - 10

const TYPES: Record<string, TarEntryType> = {
  '0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'chardev',
  '4': 'blockdev',
  '5': 'directory',
  '6': 'fifo'
}

export interface TarReadOptions {
  /** Fail when the stream ends without the two end-of-archive blocks. Default false. */
  requireEnd?: boolean
}

/** Entries plus the stream offset of each entry's own header block (after any PAX/L headers). */
export interface TarScan {
  entries: TarEntry[]
  offsets: number[]
  /** True when the end-of-archive blocks were seen. */
  ended: boolean
  /** Stream offsets of PAX global headers (`g`), which apk-tools skips but packages never hold. */
  globalHeaders: number[]
}

/** What the ustar linkname field held when PAX `linkpath` replaced it (abuild hashes the field). */
const linkFields = new WeakMap<TarEntry, string>()

/** The symlink target as the 100-byte ustar field stored it, which is what abuild-tar hashes. */
export function storedLinkname(entry: TarEntry): string {
  return linkFields.get(entry) ?? entry.linkname
}

interface Pending {
  path?: string
  linkpath?: string
  sha1?: string
  xattrs: Map<string, Buffer>
  longName?: string
}

function cString(buf: Buffer, start: number, length: number): string {
  let end = start
  const limit = start + length
  while (end < limit && buf[end] !== 0) end++
  return buf.toString('utf8', start, end)
}

/**
 * An octal field as apk 2.14 reads it: digits from the first byte, then only NUL or space to the
 * end of the field. A leading space or a base-256 value (high bit set) is a format error.
 */
function octal(buf: Buffer, start: number, length: number, field: string, at: number): number {
  const limit = start + length
  if (buf[start] & 0x80) {
    throw new FormatError(`tar header at byte ${at}: base-256 ${field} is not supported`)
  }
  let i = start
  let value = 0
  while (i < limit && buf[i] >= 0x30 && buf[i] <= 0x37) value = value * 8 + (buf[i++] - 0x30)
  for (; i < limit; i++) {
    if (buf[i] !== 0 && buf[i] !== 0x20) {
      throw new FormatError(`tar header at byte ${at}: ${field} is not an octal number`)
    }
  }
  return value
}

/** The numeric fields; apk parses them in every header, PAX and long-name headers included. */
interface Numbers {
  size: number
  mode: number
  uid: number
  gid: number
  mtime: number
  devmajor: number
  devminor: number
}

function numbersOf(header: Buffer, at: number): Numbers {
  return {
    size: octal(header, 124, 12, 'size', at),
    mode: octal(header, 100, 8, 'mode', at) & 0o7777,
    uid: octal(header, 108, 8, 'uid', at),
    gid: octal(header, 116, 8, 'gid', at),
    mtime: octal(header, 136, 12, 'mtime', at),
    devmajor: octal(header, 329, 8, 'devmajor', at),
    devminor: octal(header, 337, 8, 'devminor', at)
  }
}

function hasUstarMagic(header: Buffer): boolean {
  return (
    header[257] === 0x75 &&
    header[258] === 0x73 &&
    header[259] === 0x74 &&
    header[260] === 0x61 &&
    header[261] === 0x72
  )
}

/** PAX records `LEN KEY=VALUE\n`; like apk, a malformed record ends the list silently. */
function parsePax(data: Buffer, pending: Pending): void {
  let pos = 0
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos)
    if (space < 0) return
    const len = Number(data.toString('latin1', pos, space))
    if (!Number.isInteger(len) || len <= 0 || pos + len > data.length) return
    const end = pos + len - 1
    if (data[end] !== 0x0a) return
    const eq = data.indexOf(0x3d, space + 1)
    if (eq < 0 || eq > end) return
    applyPaxRecord(data.toString('utf8', space + 1, eq), data.subarray(eq + 1, end), pending)
    pos += len
  }
}

function applyPaxRecord(key: string, value: Buffer, pending: Pending): void {
  if (key === 'path') pending.path = value.toString('utf8')
  else if (key === 'linkpath') pending.linkpath = value.toString('utf8')
  else if (key.startsWith('SCHILY.xattr.')) {
    pending.xattrs.set(key.slice('SCHILY.xattr.'.length), Buffer.from(value))
  } else if (key === 'APK-TOOLS.checksum.SHA1') {
    const hex = value.toString('latin1')
    // A digest that is not 40 hex digits counts as none, as in apk.
    pending.sha1 = /^[0-9a-fA-F]{40}$/.test(hex) ? hex.toLowerCase() : undefined
  }
  // APK-TOOLS.checksum.MD5 (2.14 legacy) and every other key are ignored.
}

function freshPending(): Pending {
  return { xattrs: new Map() }
}

function stripTrailingSlashes(name: string): string {
  let end = name.length
  while (end > 1 && name.charCodeAt(end - 1) === 0x2f) end--
  return end === name.length ? name : name.slice(0, end)
}

function entryName(header: Buffer, pending: Pending): string {
  if (pending.path !== undefined) return pending.path
  const name = cString(header, 0, 100)
  if (header[345] !== 0) return `${cString(header, 345, 155)}/${name}`
  return pending.longName ?? name
}

function buildEntry(
  header: Buffer,
  at: number,
  type: TarEntryType,
  numbers: Numbers,
  data: Buffer,
  pending: Pending
): TarEntry {
  const name = stripTrailingSlashes(entryName(header, pending))
  const isLink = type === 'symlink' || type === 'hardlink'
  const field = isLink ? cString(header, 157, 100) : ''
  const linkname = isLink ? (pending.linkpath ?? field) : ''
  if (Buffer.byteLength(name) >= MAX_PATH || Buffer.byteLength(linkname) >= MAX_PATH) {
    throw new FormatError(`tar entry at byte ${at}: name or link target too long`)
  }
  const entry: TarEntry = {
    name,
    type,
    mode: numbers.mode,
    uid: numbers.uid,
    gid: numbers.gid,
    uname: cString(header, 265, 32),
    gname: cString(header, 297, 32),
    size: numbers.size,
    mtime: numbers.mtime,
    linkname,
    xattrs: pending.xattrs,
    devmajor: numbers.devmajor,
    devminor: numbers.devminor,
    data: type === 'file' ? data : Buffer.alloc(0)
  }
  if (pending.sha1 !== undefined) entry.sha1 = pending.sha1
  if (pending.linkpath !== undefined && isLink) linkFields.set(entry, field)
  return entry
}

/**
 * The tar stream as a list of buffers (one per gzip member), read front to back. A range inside
 * one buffer is returned without copying; one that crosses buffers is copied together.
 */
class Stream {
  readonly length: number
  private chunk = 0
  private chunkStart = 0

  constructor(private readonly chunks: Buffer[]) {
    this.length = chunks.reduce((sum, c) => sum + c.length, 0)
  }

  /** Bytes [pos, pos + length); pos never goes backwards between calls. */
  read(pos: number, length: number): Buffer {
    while (
      this.chunk < this.chunks.length - 1 &&
      pos >= this.chunkStart + this.chunks[this.chunk].length
    ) {
      this.chunkStart += this.chunks[this.chunk].length
      this.chunk++
    }
    const current = this.chunks[this.chunk]
    const offset = pos - this.chunkStart
    if (offset + length <= current.length) return current.subarray(offset, offset + length)
    const parts: Buffer[] = [current.subarray(offset)]
    let have = current.length - offset
    for (let i = this.chunk + 1; have < length && i < this.chunks.length; i++) {
      const piece = this.chunks[i].subarray(0, length - have)
      parts.push(piece)
      have += piece.length
    }
    return Buffer.concat(parts, length)
  }
}

/** After the end-of-archive blocks only zero-name blocks may follow, and no partial block. */
function checkAfterEnd(stream: Stream, pos: number): void {
  for (; pos + BLOCK <= stream.length; pos += BLOCK) {
    if (stream.read(pos, 1)[0] !== 0) {
      throw new FormatError(`tar data at byte ${pos} after end of archive`)
    }
  }
  if (pos < stream.length) throw new FormatError(`partial tar block at byte ${pos}`)
}

/**
 * Reads a tar stream given whole or in pieces (the data of consecutive gzip members), and
 * returns each entry with the stream offset of its own header block.
 */
export function scanTar(input: Buffer | Buffer[], options: TarReadOptions = {}): TarScan {
  const stream = new Stream(Array.isArray(input) ? input : [input])
  const entries: TarEntry[] = []
  const offsets: number[] = []
  const globalHeaders: number[] = []
  let pending = freshPending()
  let zeroBlocks = 0
  let pos = 0
  while (pos + BLOCK <= stream.length) {
    const header = stream.read(pos, BLOCK)
    if (header[0] === 0) {
      pos += BLOCK
      if (++zeroBlocks === 2) {
        checkAfterEnd(stream, pos)
        return { entries, offsets, ended: true, globalHeaders }
      }
      continue
    }
    if (!hasUstarMagic(header)) {
      throw new FormatError(`tar header at byte ${pos}: no ustar magic, not a tar archive`)
    }
    const numbers = numbersOf(header, pos)
    const size = numbers.size
    const dataStart = pos + BLOCK
    if (dataStart + size > stream.length) {
      throw new FormatError(`tar entry at byte ${pos}: truncated (${size} bytes of data expected)`)
    }
    const typeflag = String.fromCharCode(header[156])
    const type = TYPES[typeflag]
    if (type) {
      const data = type === 'file' ? stream.read(dataStart, size) : Buffer.alloc(0)
      entries.push(buildEntry(header, pos, type, numbers, data, pending))
      offsets.push(pos)
      pending = freshPending()
    } else if (typeflag === 'x') {
      pending.path = pending.linkpath = pending.sha1 = undefined
      pending.xattrs = new Map()
      parsePax(stream.read(dataStart, size), pending)
    } else if (typeflag === 'L') {
      const longName = stream.read(dataStart, size)
      pending.longName = cString(longName, 0, size)
    } else if (typeflag === 'g') {
      globalHeaders.push(pos)
    }
    // 'g', 'K' and unknown types are skipped; their PAX/long name state carries over, as in apk.
    pos = Math.min(stream.length, dataStart + Math.ceil(size / BLOCK) * BLOCK)
  }
  if (pos < stream.length) throw new FormatError(`partial tar block at byte ${pos}`)
  if (options.requireEnd) throw new FormatError('tar archive ends without end-of-archive blocks')
  return { entries, offsets, ended: false, globalHeaders }
}

/** apk's reading of a tar stream; a tar cut without end-of-archive blocks is accepted. */
export function readTarEntries(buf: Buffer, options: TarReadOptions = {}): TarEntry[] {
  return scanTar(buf, options).entries
}

/** Where a streamed file's contents go, chunk by chunk; `close` after the last one. */
export interface TarBodySink {
  write(chunk: Buffer): void
  close(): void
}

export interface TarStreamHandlers {
  /** A regular file's header, before its contents: where they go. `at`: its header's offset. */
  body(entry: TarEntry, at: number): TarBodySink
  /** Every entry, in order, once complete (a file after its sink was closed). */
  entry(entry: TarEntry, at: number): void
}

/** PAX and long-name records are small; a larger one is not a package's. */
const MAX_META = 1024 * 1024

/**
 * The same reading as scanTar, fed chunk by chunk: a file's contents go to a sink as they
 * arrive instead of into memory, so a tar of any size is read in bounded memory. Headers, PAX
 * and long names, apk's end-of-archive rule, and the errors are scanTar's.
 */
export class TarStreamReader {
  private state: 'header' | 'meta' | 'body' | 'skip' | 'ended' = 'header'
  private held: Buffer[] = []
  private heldBytes = 0
  /** Bytes still wanted by the current state. */
  private left = BLOCK
  /** Stream offset of the next byte pushed. */
  private pos = 0
  private zeroBlocks = 0
  private pending = freshPending()
  private meta?: { typeflag: string; size: number }
  private body?: { entry: TarEntry; sink: TarBodySink; at: number }
  /** The entry whose data is being skipped, and the padding after that data. */
  private skipped?: { at: number; padding: number }
  readonly globalHeaders: number[] = []

  constructor(private readonly handlers: TarStreamHandlers) {}

  push(chunk: Buffer): void {
    let at = 0
    while (at < chunk.length) {
      const take = Math.min(this.left, chunk.length - at)
      const piece = chunk.subarray(at, at + take)
      at += take
      this.pos += take
      this.left -= take
      if (this.state === 'body') {
        this.body?.sink.write(piece)
        if (this.left === 0) this.closeBody()
      } else if (this.state === 'skip') {
        if (this.left === 0) this.expectHeader()
      } else {
        this.held.push(piece)
        this.heldBytes += take
        if (this.left === 0) this.complete()
      }
    }
  }

  /** The stream ended: fails on a cut entry or a partial block. */
  end(): { ended: boolean } {
    // The data of an entry skipped (a directory's, a global header's) counts as scanTar counts
    // it; only the padding after it may be cut.
    if (this.state === 'skip' && this.skipped !== undefined && this.left > this.skipped.padding) {
      throw new FormatError(
        `tar entry at byte ${this.skipped.at}: truncated (its data is cut short)`
      )
    }
    // An extended header whose padding alone is cut: read, as scanTar reads it (it names an
    // entry that never comes); the two readers once disagreed on such a stream.
    if (this.state === 'meta' && this.meta !== undefined && this.heldBytes >= this.meta.size) {
      this.completeMeta(this.take())
    }
    if (this.state === 'body' || this.state === 'meta') {
      const at = this.body?.at ?? this.pos - this.heldBytes - BLOCK
      throw new FormatError(`tar entry at byte ${at}: truncated (its data is cut short)`)
    }
    if (this.heldBytes > 0) {
      throw new FormatError(`partial tar block at byte ${this.pos - this.heldBytes}`)
    }
    return { ended: this.state === 'ended' }
  }

  private take(): Buffer {
    const whole = this.held.length === 1 ? this.held[0] : Buffer.concat(this.held)
    this.held = []
    this.heldBytes = 0
    return whole
  }

  private expectHeader(): void {
    this.skipped = undefined
    this.state = this.zeroBlocks >= 2 ? 'ended' : 'header'
    this.left = BLOCK
  }

  /** Skips `size` bytes of data plus the padding to the next block; `at`: the entry's header. */
  private skip(size: number, at: number): void {
    const span = Math.ceil(size / BLOCK) * BLOCK
    if (span === 0) return this.expectHeader()
    this.state = 'skip'
    this.left = span
    this.skipped = { at, padding: span - size }
  }

  private complete(): void {
    const block = this.take()
    const at = this.pos - block.length
    if (this.state === 'ended') {
      if (block[0] !== 0) throw new FormatError(`tar data at byte ${at} after end of archive`)
      this.left = BLOCK
      return
    }
    if (this.state === 'meta') return this.completeMeta(block)
    this.header(block, at)
  }

  private header(header: Buffer, at: number): void {
    if (header[0] === 0) {
      this.zeroBlocks++
      return this.expectHeader()
    }
    if (!hasUstarMagic(header)) {
      throw new FormatError(`tar header at byte ${at}: no ustar magic, not a tar archive`)
    }
    const numbers = numbersOf(header, at)
    const typeflag = String.fromCharCode(header[156])
    const type = TYPES[typeflag]
    if (type) {
      const entry = buildEntry(header, at, type, numbers, Buffer.alloc(0), this.pending)
      this.pending = freshPending()
      if (type !== 'file') {
        this.handlers.entry(entry, at)
        return this.skip(numbers.size, at)
      }
      this.body = { entry, sink: this.handlers.body(entry, at), at }
      this.state = 'body'
      this.left = numbers.size
      if (numbers.size === 0) this.closeBody()
      return
    }
    if (typeflag === 'x' || typeflag === 'L') {
      if (numbers.size > MAX_META) {
        throw new FormatError(`tar header at byte ${at}: a ${numbers.size}-byte extended header`)
      }
      this.meta = { typeflag, size: numbers.size }
      this.state = 'meta'
      this.left = Math.ceil(numbers.size / BLOCK) * BLOCK
      if (this.left === 0) this.completeMeta(Buffer.alloc(0))
      return
    }
    if (typeflag === 'g') this.globalHeaders.push(at)
    this.skip(numbers.size, at)
  }

  private completeMeta(block: Buffer): void {
    const meta = this.meta as { typeflag: string; size: number }
    const data = block.subarray(0, meta.size)
    if (meta.typeflag === 'x') {
      this.pending.path = this.pending.linkpath = this.pending.sha1 = undefined
      this.pending.xattrs = new Map()
      parsePax(data, this.pending)
    } else {
      this.pending.longName = cString(data, 0, meta.size)
    }
    this.expectHeader()
  }

  private closeBody(): void {
    const body = this.body as { entry: TarEntry; sink: TarBodySink; at: number }
    this.body = undefined
    body.sink.close()
    this.handlers.entry(body.entry, body.at)
    const padding = (BLOCK - (body.entry.size % BLOCK)) % BLOCK
    if (padding === 0) return this.expectHeader()
    this.skipped = undefined
    this.state = 'skip'
    this.left = padding
  }
}
