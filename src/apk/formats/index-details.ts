/**
 * The lines of an index that only a whole package needs (S T U L o m t c: size, description,
 * URL, licence, origin, maintainer, build time, commit), kept apart from the index so that its
 * bytes can go once it is read. They are half an index's bytes, and they sit together in a
 * stanza (apk writes S I T U L o m t c in a row): each stanza's run of them, from the first to
 * the last, is copied once, as it is, into blocks of a megabyte.
 */

/** The letters kept. */
const KEPT = new Uint8Array(128)
for (const c of 'STULomtc') KEPT[c.charCodeAt(0)] = 1

export function isDetailLetter(letter: number): boolean {
  return letter < 128 && KEPT[letter] === 1
}

/** A block's size: runs are copied into blocks this large (a longer run gets its own). */
const BLOCK = 1024 * 1024

/** The kept lines of every package of one index, in table row order. */
export class IndexDetails {
  constructor(
    private readonly blocks: Buffer[],
    /** Per row: the block of its run (-1: none), where the run starts, where it ends. */
    private readonly rows: Int32Array
  ) {}

  /**
   * Calls `each` with the letter and the value's bytes [start, end) of each line of row `row`'s
   * run, in the stanza's order (lines of other letters inside the run are passed too).
   */
  lines(row: number, each: (letter: number, bytes: Buffer, start: number, end: number) => void) {
    const block = this.rows[row * 3]
    if (block < 0) return
    const bytes = this.blocks[block]
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

/** Gathers the kept lines while an index is scanned, stanza by stanza. */
export class IndexDetailsBuilder {
  private readonly blocks: Buffer[] = []
  private block: Buffer | undefined
  private used = 0
  private readonly rows: number[] = []
  private first = -1
  private last = -1

  /** Forgets the lines of the stanza read before. */
  startStanza(): void {
    this.first = -1
    this.last = -1
  }

  /** The stanza has a kept line, its letter at `lineStart`, its newline at `lineEnd`. */
  line(lineStart: number, lineEnd: number): void {
    if (this.first < 0) this.first = lineStart
    this.last = lineEnd
  }

  /** The stanza read becomes the next row; `bytes` hold it (the buffer its lines were in). */
  addRow(bytes: Buffer): void {
    if (this.first < 0) {
      this.rows.push(-1, 0, 0)
      return
    }
    const length = this.last - this.first
    if (this.block === undefined || this.used + length > this.block.length) {
      this.block = Buffer.allocUnsafeSlow(Math.max(BLOCK, length))
      this.blocks.push(this.block)
      this.used = 0
    }
    bytes.copy(this.block, this.used, this.first, this.last)
    this.rows.push(this.blocks.length - 1, this.used, this.used + length)
    this.used += length
  }

  /** What was gathered; the last block cut to what it holds. Nothing points into the index. */
  finish(): IndexDetails {
    const blocks = this.blocks
    if (blocks.length > 0) {
      const exact = Buffer.allocUnsafeSlow(this.used)
      ;(this.block as Buffer).copy(exact, 0, 0, this.used)
      blocks[blocks.length - 1] = exact
    }
    return new IndexDetails(blocks, Int32Array.from(this.rows))
  }
}
