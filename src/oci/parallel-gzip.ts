/**
 * gzip on every core, with the same bytes on every run (the scheme of pigz): the input is cut
 * into blocks at fixed offsets, each block is deflated on its own in libuv's thread pool, primed
 * with the 32 KiB of input before it (so the ratio barely suffers) and ended with a sync flush
 * (so the blocks join into one deflate stream); the last block ends the stream. The output is
 * one ordinary gzip member. The bytes depend on the input, the level, BLOCK and the zlib that
 * Node bundles, never on timing or the number of cores.
 */
import * as os from 'node:os'
import { promisify } from 'node:util'
import * as zlib from 'node:zlib'
import { crc32 } from '../crc32.js'
import { letGo } from '../released-memory.js'

/** Input bytes per independently deflated block. Changing it changes every layer digest. */
export const BLOCK = 256 * 1024
/** Deflate's window: the history each block is primed with. */
const WINDOW = 32 * 1024

const deflateRaw = promisify(zlib.deflateRaw) as (
  data: Buffer,
  options: zlib.ZlibOptions
) => Promise<Buffer>

/** Blocks compressing at once: enough to keep every core busy, few enough to bound memory. */
function defaultInFlight(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : 2
  return Math.max(2, cores * 2)
}

/**
 * The gzip header zlib writes for a stream with no name, no mtime and the OS byte pinned to
 * Unix (zlib writes the build platform's: 3 on Linux, 19 on macOS, 10 on Windows).
 */
function gzipHeader(level: number): Buffer {
  // zlib's XFL: 2 for the slowest level, 4 for the fastest ones.
  const xfl = level === 9 ? 2 : level < 2 ? 4 : 0
  return Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 3])
}

export type GzipSink = (chunk: Buffer) => Promise<void> | void

export class ParallelGzip {
  private block: Buffer = Buffer.allocUnsafe(BLOCK)
  private filled = 0
  /** The last WINDOW bytes of the previous block: the next block's dictionary. */
  private history: Buffer | undefined
  /**
   * Where the history is kept, reused for every block: zlib copies a dictionary when the
   * deflate is set up, before deflateRaw returns, so it may be overwritten right after.
   */
  private readonly window = Buffer.allocUnsafe(WINDOW)
  private readonly pending: { deflated: Promise<Buffer>; block: Buffer }[] = []
  /** Blocks whose deflate is done, filled again instead of allocating new ones. */
  private readonly spare: Buffer[] = []
  private crc = 0
  private size = 0
  private started = false

  constructor(
    private readonly level: number,
    private readonly sink: GzipSink,
    private readonly inFlight = defaultInFlight()
  ) {}

  /** Takes `chunk` (copied: the caller may reuse it); resolves once it may send more. */
  async write(chunk: Buffer): Promise<void> {
    this.crc = crc32(chunk, this.crc)
    this.size += chunk.length
    let at = 0
    while (at < chunk.length) {
      const n = Math.min(BLOCK - this.filled, chunk.length - at)
      chunk.copy(this.block, this.filled, at, at + n)
      this.filled += n
      at += n
      if (this.filled === BLOCK) await this.dispatch(false)
    }
  }

  /** Deflates what is left, ends the stream and sends the trailer. */
  async end(): Promise<void> {
    await this.dispatch(true)
    while (this.pending.length > 0) await this.emitNext()
    const trailer = Buffer.alloc(8)
    trailer.writeUInt32LE(this.crc, 0)
    trailer.writeUInt32LE(this.size % 0x100000000, 4)
    await this.emit(trailer)
  }

  private async dispatch(last: boolean): Promise<void> {
    const input = this.block.subarray(0, this.filled)
    const options: zlib.ZlibOptions = {
      level: this.level,
      finishFlush: last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH
    }
    if (this.history !== undefined) options.dictionary = this.history
    const result = deflateRaw(input, options)
    // Kept from rejecting unobserved while earlier blocks are awaited; rethrown when its turn comes.
    result.catch(() => undefined)
    this.pending.push({ deflated: result, block: this.block })
    if (!last) {
      input.copy(this.window, 0, input.length - WINDOW)
      this.history = this.window
      this.block = this.spare.pop() ?? Buffer.allocUnsafe(BLOCK)
      this.filled = 0
    }
    while (this.pending.length >= this.inFlight) await this.emitNext()
  }

  /** Sends the oldest block's output once deflated; its input block is free again. */
  private async emitNext(): Promise<void> {
    const { deflated, block } = this.pending.shift() as { deflated: Promise<Buffer>; block: Buffer }
    const bytes = await deflated
    this.spare.push(block)
    await this.emit(bytes)
    // The deflate's output pieces and the buffer they were joined into.
    letGo(2 * bytes.length)
  }

  private async emit(bytes: Buffer): Promise<void> {
    if (!this.started) {
      this.started = true
      await this.sink(gzipHeader(this.level))
    }
    if (bytes.length > 0) await this.sink(bytes)
  }
}
