/**
 * The lines of an index that only a whole package needs (S T U L o m t c: size, description,
 * URL, licence, origin, maintainer, build time, commit), kept apart from the index so that its
 * bytes can go once it is read. They are half an index's bytes, and they sit together in a
 * stanza (apk writes S I T U L o m t c in a row): each stanza's run of them, from the first to
 * the last, is copied once, as it is, into blocks of a megabyte (of 64 KiB, deflated, for a large
 * index).
 */
import * as zlib from 'node:zlib'

/** A block's size: runs are copied into blocks this large (a longer run gets its own). */
const BLOCK = 1024 * 1024
/** A packed block's size before it is deflated: small, so that making one package whole is quick. */
const PACKED_BLOCK = 64 * 1024

/** The kept lines of every package of one index, in table row order. */
export class IndexDetails {
  private lastBlock = -1
  private lastBytes: Buffer | undefined

  constructor(
    private readonly blocks: Buffer[],
    /** Per row: the block of its run (-1: none), where the run starts, where it ends. */
    private readonly rows: Int32Array,
    /** Whether the blocks are deflated (raw deflate), each on its own. */
    private readonly packed = false
  ) {}

  private bytesOf(block: number): Buffer {
    if (!this.packed) return this.blocks[block]
    if (this.lastBlock !== block) {
      this.lastBytes = zlib.inflateRawSync(this.blocks[block])
      this.lastBlock = block
    }
    return this.lastBytes as Buffer
  }

  /**
   * Calls `each` with the letter and the value's bytes [start, end) of each line of row `row`'s
   * run, in the stanza's order (lines of other letters inside the run are passed too).
   */
  lines(row: number, each: (letter: number, bytes: Buffer, start: number, end: number) => void) {
    if (row * 3 >= this.rows.length) return
    const block = this.rows[row * 3]
    if (block < 0) return
    const bytes = this.bytesOf(block)
    const last = this.rows[row * 3 + 2]
    let pos = this.rows[row * 3 + 1]
    while (pos < last) {
      let end = bytes.indexOf(0x0a, pos)
      if (end < 0 || end > last) end = last
      if (end - pos >= 2) each(bytes[pos], bytes, pos + 2, end)
      pos = end + 1
    }
  }
}

/** No lines for any row: an index read without its packages' details. */
export const NO_DETAILS = new IndexDetails([], new Int32Array(0))

/**
 * Gathers the kept lines while an index is scanned, stanza by stanza. With `pack` (a large
 * index), each block is deflated as soon as it is full (zlib level 1, on this thread: on the
 * thread pool, zlib's memory stays in arenas of its threads), into a fifth of its size or so,
 * and the block is filled again.
 */
export class IndexDetailsBuilder {
  private readonly blocks: Buffer[] = []
  private block: Buffer | undefined
  private used = 0
  private readonly rows: number[] = []

  constructor(private readonly pack = false) {}

  /**
   * The rows read, in order: row i's kept lines are bytes [runs[2i], runs[2i + 1]) of `bytes`
   * (-1: it has none). Runs that follow one another in `bytes` are copied together, as many as
   * the block being filled holds: one copy for most of a piece of the index, not one a row.
   */
  addRows(bytes: Buffer, runs: ArrayLike<number>): void {
    let i = 0
    while (i < runs.length) {
      const first = runs[i]
      if (first < 0) {
        this.rows.push(-1, 0, 0)
        i += 2
        continue
      }
      this.makeRoom(runs[i + 1] - first)
      const block = this.block as Buffer
      const room = block.length - this.used
      const number = this.blocks.length - (this.pack ? 0 : 1)
      let last = first
      do {
        const end = runs[i + 1]
        this.rows.push(number, this.used + runs[i] - first, this.used + end - first)
        last = end
        i += 2
      } while (i < runs.length && runs[i] === last && runs[i + 1] - first <= room)
      bytes.copy(block, this.used, first, last)
      this.used += last - first
    }
  }

  /** A block with room for `length` more bytes. */
  private makeRoom(length: number): void {
    if (this.block !== undefined && this.used + length <= this.block.length) return
    this.close()
    const size = this.pack ? PACKED_BLOCK : BLOCK
    if (this.block === undefined || !this.pack || length > size) {
      this.block = Buffer.allocUnsafeSlow(Math.max(size, length))
    }
    if (!this.pack) this.blocks.push(this.block)
    this.used = 0
  }

  /** Packs the block being filled, if there is one and blocks are packed. */
  private close(): void {
    if (!this.pack || this.block === undefined || this.used === 0) return
    this.blocks.push(
      Buffer.from(zlib.deflateRawSync(this.block.subarray(0, this.used), { level: 1 }))
    )
    this.used = 0
  }

  /** What was gathered; the last block cut to what it holds. Nothing points into the index. */
  finish(): IndexDetails {
    const blocks = this.blocks
    if (this.pack) {
      this.close()
      this.block = undefined
      return new IndexDetails(blocks, Int32Array.from(this.rows), true)
    }
    if (blocks.length > 0) {
      const exact = Buffer.allocUnsafeSlow(this.used)
      ;(this.block as Buffer).copy(exact, 0, 0, this.used)
      blocks[blocks.length - 1] = exact
    }
    return new IndexDetails(blocks, Int32Array.from(this.rows))
  }
}
