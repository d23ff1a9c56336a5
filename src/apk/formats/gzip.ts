/**
 * Multi-member gzip, as APK files use it: each member is hashed by its compressed bytes, so we
 * need the exact byte range of every member, which zlib's gunzip does not report. We parse each
 * member header ourselves (RFC 1952), inflate the raw deflate stream, and check the trailer.
 */
import * as buffer from 'node:buffer'
import * as zlib from 'node:zlib'
import { crc32 } from '../../crc32.js'
import { FormatError } from '../errors.js'

export interface GzipMember {
  /** Compressed byte range [start, end) of the member in the input, header and trailer included. */
  start: number
  end: number
  /** Inflated contents. */
  data: Buffer
}

/** The members of one file: together their data is one tar stream. */
export interface GzipStream {
  members: GzipMember[]
  /** Each member's data, in order: the stream in pieces, never copied into one buffer. */
  chunks: Buffer[]
  /** Offset in the stream where each member's data starts. */
  offsets: number[]
}

const FHCRC = 0x02
const FEXTRA = 0x04
const FNAME = 0x08
const FCOMMENT = 0x10
const FRESERVED = 0xe0
const TRAILER = 8
// Larger than zlib's 16 KiB default: fewer pieces to join for big members, and still one
// piece for the small signature and control members.
const CHUNK = 128 * 1024

/**
 * zlib's maxOutputLength for a bound: at least 1 (0 is refused), at most a Buffer's largest
 * length (a package that says it installs more, or an Infinity, failed with ERR_OUT_OF_RANGE).
 */
export function outputLimit(limit: number): number {
  return Math.max(1, Math.min(limit, buffer.constants.MAX_LENGTH))
}

function skipZeroTerminated(buf: Buffer, pos: number, what: string, start: number): number {
  const nul = buf.indexOf(0, pos)
  if (nul < 0) throw new FormatError(`gzip member at byte ${start}: unterminated ${what}`)
  return nul + 1
}

/** Returns the offset of the deflate data after the member header at `start`. */
function parseHeader(buf: Buffer, start: number): number {
  if (buf[start] !== 0x1f || (start + 1 < buf.length && buf[start + 1] !== 0x8b)) {
    throw new FormatError(`gzip member at byte ${start}: not gzip data (bad magic)`)
  }
  if (buf.length - start < 10) {
    throw new FormatError(`gzip member at byte ${start}: truncated header`)
  }
  if (buf[start + 2] !== 8) {
    throw new FormatError(`gzip member at byte ${start}: unknown compression method`)
  }
  const flags = buf[start + 3]
  if (flags & FRESERVED) throw new FormatError(`gzip member at byte ${start}: reserved flags set`)
  let pos = start + 10
  if (flags & FEXTRA) {
    if (pos + 2 > buf.length)
      throw new FormatError(`gzip member at byte ${start}: truncated header`)
    pos += 2 + buf.readUInt16LE(pos)
  }
  if (flags & FNAME) pos = skipZeroTerminated(buf, pos, 'file name', start)
  if (flags & FCOMMENT) pos = skipZeroTerminated(buf, pos, 'comment', start)
  if (flags & FHCRC) {
    if (pos + 2 > buf.length)
      throw new FormatError(`gzip member at byte ${start}: truncated header`)
    const expected = buf.readUInt16LE(pos)
    if ((crc32(buf.subarray(start, pos)) & 0xffff) !== expected) {
      throw new FormatError(`gzip member at byte ${start}: header CRC mismatch`)
    }
    pos += 2
  }
  if (pos > buf.length) throw new FormatError(`gzip member at byte ${start}: truncated header`)
  return pos
}

/** Default bound on what one inflate may produce, when the caller names none. */
export const DEFAULT_INFLATE_LIMIT = 64 * 1024 * 1024

/**
 * A member that inflates to more than the caller allows: a damaged file or a decompression
 * bomb. Nothing beyond the limit is ever held in memory.
 */
export class GzipLimitError extends FormatError {
  constructor(
    start: number,
    readonly limit: number
  ) {
    super(
      `gzip member at byte ${start}: inflates to more than ${limit} bytes, more than it may ` +
        'hold (a damaged file or a decompression bomb)'
    )
  }
}

/** zlib's complaint about a member's deflate data, as a FormatError naming the member. */
function deflateError(start: number, error: unknown): FormatError {
  return new FormatError(
    `gzip member at byte ${start}: ${(error as Error).message || 'corrupt deflate data'}`,
    { cause: error }
  )
}

/**
 * Checks the trailer of the member at `start`, whose deflate data ends at `trailer`, against
 * what it inflated to (`size` bytes, and their CRC-32 as `crc` gives it); returns where the
 * member ends.
 */
function checkTrailer(
  buf: Buffer,
  start: number,
  trailer: number,
  size: number,
  crc: () => number
): number {
  if (trailer + TRAILER > buf.length) {
    throw new FormatError(`gzip member at byte ${start}: truncated (no trailer)`)
  }
  if (buf.readUInt32LE(trailer + 4) !== size % 0x100000000) {
    throw new FormatError(`gzip member at byte ${start}: length mismatch (ISIZE)`)
  }
  if (buf.readUInt32LE(trailer) !== crc()) {
    throw new FormatError(`gzip member at byte ${start}: CRC mismatch, the data is corrupt`)
  }
  return trailer + TRAILER
}

interface InflateResult {
  buffer: Buffer
  engine: { bytesWritten: number }
}

/**
 * @param sizeHint what the member probably inflates to (a trailer's ISIZE). When it is large,
 *   the output goes into one buffer of that size plus one byte, so a big member is not made of
 *   pieces that are then copied into one buffer: that doubled its memory for a moment.
 */
function inflateMember(
  buf: Buffer,
  start: number,
  deflateStart: number,
  limit: number,
  sizeHint = 0
): GzipMember {
  let result: InflateResult
  try {
    // info: true exposes how much input the deflate stream consumed: that is where it ends.
    result = zlib.inflateRawSync(buf.subarray(deflateStart), {
      info: true,
      // zlib takes chunks of 64 bytes or more, and output of at most a Buffer's largest length.
      chunkSize: Math.max(
        64,
        sizeHint > CHUNK ? Math.min(sizeHint, limit) + 1 : Math.min(CHUNK, limit + 1)
      ),
      maxOutputLength: outputLimit(limit)
    }) as unknown as InflateResult
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new GzipLimitError(start, limit)
    }
    throw deflateError(start, error)
  }
  if (result.buffer.length > limit) throw new GzipLimitError(start, limit)
  const trailer = deflateStart + result.engine.bytesWritten
  let data = result.buffer
  const end = checkTrailer(buf, start, trailer, data.length, () => crc32(data))
  // A hint far above what came out would keep its whole allocation alive behind the data.
  if (data.buffer.byteLength > 2 * data.length + CHUNK) data = Buffer.from(data)
  return { start, end, data }
}

/** The size a file's last member says it inflates to (its trailer's ISIZE): a hint only. */
function lastMemberSize(buf: Buffer): number {
  return buf.length >= 4 ? buf.readUInt32LE(buf.length - 4) : 0
}

/**
 * Splits concatenated gzip members and inflates each. Any bytes after the last member that are
 * not another member are an error, as they are for apk.
 */
export function splitGzipMembers(buf: Buffer, limit = DEFAULT_INFLATE_LIMIT): GzipMember[] {
  if (buf.length === 0) throw new FormatError('empty file, expected gzip data')
  const members: GzipMember[] = []
  let start = 0
  let left = limit
  // The last member's size, from the file's last bytes: a signed index's member is its last. Not
  // for the first member (the signatures): room for a whole index would be made for a few
  // hundred bytes, and freeing that much makes glibc keep more of what is freed later.
  const lastSize = lastMemberSize(buf)
  while (start < buf.length) {
    const hint = members.length > 0 ? lastSize : 0
    const member = inflateMember(buf, start, parseHeader(buf, start), left, hint)
    left -= member.data.length
    members.push(member)
    start = member.end
  }
  return members
}

/**
 * Inflates the one member that starts at byte `start` (a file's first members can be read
 * alone), at most `limit` bytes of it.
 */
export function readGzipMember(
  buf: Buffer,
  start: number,
  limit = DEFAULT_INFLATE_LIMIT
): GzipMember {
  if (start >= buf.length) throw new FormatError(`no gzip member at byte ${start}: end of file`)
  return inflateMember(buf, start, parseHeader(buf, start), limit)
}

/** Where a member starts in the file, and where its data starts in the inflated stream. */
export interface MemberPlace {
  start: number
  offset: number
}

/** zlib's output piece for a member streamed: a few of them in memory at a time. */
const STREAM_CHUNK = 256 * 1024

/**
 * Inflates the member at `start` off the main thread, handing each piece to `push` as it comes
 * (in order; `push` may throw to stop), at most `limit` bytes; checks the trailer as
 * inflateMember does. Returns where the member ends and how much it held.
 */
async function streamMember(
  buf: Buffer,
  start: number,
  limit: number,
  push: (piece: Buffer) => void
): Promise<{ end: number; size: number }> {
  const deflateStart = parseHeader(buf, start)
  const inflate = zlib.createInflateRaw({ chunkSize: STREAM_CHUNK })
  let size = 0
  let crc = 0
  // The handlers get no hold on `buf`: what they share with this function lives as long as the
  // stream does.
  const done = new Promise<void>((resolve, reject) => {
    // A piece is handed on after zlib's callback returns, so that the next one inflates on the
    // thread pool meanwhile. The stream pauses while two wait: memory stays a few pieces.
    const waiting: Buffer[] = []
    let failed = false
    let ended = false
    const stop = (error: unknown) => {
      if (failed) return
      failed = true
      inflate.destroy()
      reject(error)
    }
    const drain = () => {
      while (waiting.length > 0 && !failed) {
        try {
          push(waiting.shift() as Buffer)
        } catch (error) {
          stop(error)
        }
      }
      if (failed) return
      if (ended) resolve()
      else inflate.resume()
    }
    inflate.on('data', (piece: Buffer) => {
      size += piece.length
      if (size > limit) return stop(new GzipLimitError(start, limit))
      crc = crc32(piece, crc)
      waiting.push(piece)
      if (waiting.length === 1) queueMicrotask(drain)
      else inflate.pause()
    })
    inflate.on('error', (error) => stop(deflateError(start, error)))
    inflate.on('end', () => {
      ended = true
      if (waiting.length === 0 && !failed) resolve()
    })
  })
  inflate.end(buf.subarray(deflateStart))
  try {
    await done
  } finally {
    // zlib keeps the input it did not use (the trailer, any member after) until it is closed.
    inflate.close()
  }
  const end = checkTrailer(buf, start, deflateStart + inflate.bytesWritten, size, () => crc)
  return { end, size }
}

/**
 * splitGzipMembers as a stream: every member of `buf` is inflated in turn, off the main thread,
 * and its pieces handed to `push` as they come, so the inflated data is never whole in memory.
 * `member` is told each member's place before its first piece. The same checks and errors, at
 * most `limit` bytes in all.
 */
export async function streamGzipMembers(
  buf: Buffer,
  limit: number,
  push: (piece: Buffer) => void,
  member: (place: MemberPlace) => void = () => {}
): Promise<void> {
  if (buf.length === 0) throw new FormatError('empty file, expected gzip data')
  let start = 0
  let offset = 0
  while (start < buf.length) {
    member({ start, offset })
    const { end, size } = await streamMember(buf, start, limit - offset, push)
    offset += size
    start = end
  }
}

/**
 * streamGzipMembers on this thread, for a small file: each member is inflated whole (with
 * readGzipMember's checks; the second, an index's after its signatures, into one buffer of the
 * size its file's last trailer gives) and its data handed to `push` in pieces. Its members' data
 * is at most `limit` bytes together, and in memory one member at a time. (The trailer's size for
 * every member after the first made a file of 50,000 empty members with a lying last trailer
 * allocate 16 MiB for each: 4 s.)
 */
export function inflateGzipMembers(
  buf: Buffer,
  limit: number,
  push: (piece: Buffer) => void,
  member: (place: MemberPlace) => void = () => {}
): void {
  if (buf.length === 0) throw new FormatError('empty file, expected gzip data')
  const lastSize = lastMemberSize(buf)
  let start = 0
  let offset = 0
  for (let index = 0; start < buf.length; index++) {
    member({ start, offset })
    const hint = index === 1 ? lastSize : 0
    const { data, end } = inflateMember(buf, start, parseHeader(buf, start), limit - offset, hint)
    for (let at = 0; at < data.length; at += STREAM_CHUNK) {
      push(data.subarray(at, at + STREAM_CHUNK))
    }
    offset += data.length
    start = end
  }
}

/** Inflated members as one stream, with where each member's data starts in it. */
export function streamOf(members: GzipMember[]): GzipStream {
  const offsets: number[] = []
  let total = 0
  for (const member of members) {
    offsets.push(total)
    total += member.data.length
  }
  return { members, chunks: members.map((m) => m.data), offsets }
}

/**
 * Index of the member whose data holds stream offset `offset`, given where each member's data
 * starts (a GzipStream's `offsets`, or the MemberPlaces' as members are streamed).
 */
export function memberAt(offsets: readonly number[], offset: number): number {
  let lo = 0
  let hi = offsets.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (offsets[mid] <= offset) lo = mid
    else hi = mid - 1
  }
  return lo
}
