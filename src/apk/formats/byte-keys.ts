/**
 * Distinct byte ranges of one buffer, numbered by content: the index scan's way to see that a
 * dependency token or a name was met before without making a string of it first. A string per
 * range and a Map lookup cost an allocation and a hash each, for tens of thousands of tokens
 * that are mostly repeats; hashing the bytes in place costs neither.
 */
export class ByteKeys {
  /** Open addressing: key number + 1, or 0 for an empty slot. */
  private slots: Int32Array
  private mask: number
  private starts: Int32Array
  private ends: Int32Array
  private hashes: Int32Array
  private count = 0
  /** Whether the last `key` call met its range for the first time. */
  added = false

  constructor(
    private readonly bytes: Uint8Array,
    expected = 1024
  ) {
    let capacity = 1024
    while (capacity < expected * 2) capacity *= 2
    this.slots = new Int32Array(capacity)
    this.mask = capacity - 1
    this.starts = new Int32Array(capacity / 2)
    this.ends = new Int32Array(capacity / 2)
    this.hashes = new Int32Array(capacity / 2)
  }

  /** How many distinct ranges were met. */
  get size(): number {
    return this.count
  }

  /**
   * The number of the content of bytes [start, end): the same for equal contents, counting up
   * from 0 in order of first appearance. Sets `added` when this content is new.
   */
  key(start: number, end: number): number {
    const bytes = this.bytes
    // FNV-1a over the bytes.
    let hash = 0x811c9dc5 | 0
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193)
    const length = end - start
    const slots = this.slots
    let slot = hash & this.mask
    for (;;) {
      const entry = slots[slot]
      if (entry === 0) break
      const k = entry - 1
      if (this.hashes[k] === hash && this.ends[k] - this.starts[k] === length) {
        const other = this.starts[k] - start
        let i = start
        while (i < end && bytes[i] === bytes[i + other]) i++
        if (i === end) {
          this.added = false
          return k
        }
      }
      slot = (slot + 1) & this.mask
    }
    const k = this.count++
    if (k === this.starts.length) this.grow()
    this.starts[k] = start
    this.ends[k] = end
    this.hashes[k] = hash
    if (k * 2 >= this.slots.length) this.rehash()
    else slots[slot] = k + 1
    this.added = true
    return k
  }

  private grow(): void {
    const size = this.starts.length * 2
    const copy = (from: Int32Array) => {
      const to = new Int32Array(size)
      to.set(from)
      return to
    }
    this.starts = copy(this.starts)
    this.ends = copy(this.ends)
    this.hashes = copy(this.hashes)
  }

  /** Twice the slots, every key placed again (the newest one included). */
  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2)
    const mask = slots.length - 1
    for (let k = 0; k < this.count; k++) {
      let slot = this.hashes[k] & mask
      while (slots[slot] !== 0) slot = (slot + 1) & mask
      slots[slot] = k + 1
    }
    this.slots = slots
    this.mask = mask
  }
}
