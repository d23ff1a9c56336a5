/**
 * Distinct byte ranges, numbered by content: the index scan's way to see that a dependency token
 * or a name was met before without making a string of it first. A string per range and a Map
 * lookup cost an allocation and a hash each, for tens of thousands of tokens that are mostly
 * repeats; hashing the bytes in place costs neither. Each distinct content is copied into the
 * table's own bytes, so the ranges may come from one buffer after another (an index read as it
 * is inflated).
 */
import { randomBytes } from 'node:crypto'

/** At most this share of the slots is taken: probes stay short. */
const MAX_LOAD = 0.75

/**
 * This process's own start for the hash, so which contents share a slot cannot be worked out
 * beforehand: with the fixed FNV offset, tokens that collide in the low bits are cheap to make,
 * and a hostile index of them made the scan quadratic (500 KB took 5.5 s). The numbering of keys
 * does not depend on it (first appearance), so neither does anything read.
 */
const SEED = randomBytes(4).readInt32LE(0)

export class ByteKeys {
  /** Open addressing: key number + 1, or 0 for an empty slot. */
  private slots: Int32Array
  private mask: number
  /** Where each key's copy starts in `own`; it ends where the next one starts. */
  private starts: Int32Array
  private hashes: Int32Array
  private own: Uint8Array
  private used = 0
  private count = 0
  /** Whether the last `key` call met its range for the first time. */
  added = false

  /**
   * @param expected how many distinct contents to make room for
   * @param length how long they are on average
   */
  constructor(expected = 1024, length = 16) {
    const keys = Math.max(64, Math.ceil(expected))
    let capacity = 128
    while (capacity * MAX_LOAD < keys) capacity *= 2
    this.slots = new Int32Array(capacity)
    this.mask = capacity - 1
    this.starts = new Int32Array(keys + 1)
    this.hashes = new Int32Array(keys)
    this.own = new Uint8Array(Math.max(1024, Math.ceil(keys * length)))
  }

  /** How many distinct ranges were met. */
  get size(): number {
    return this.count
  }

  /**
   * The number of the content of bytes [start, end): the same for equal contents, counting up
   * from 0 in order of first appearance. Sets `added` when this content is new.
   */
  key(bytes: Uint8Array, start: number, end: number): number {
    // FNV-1a over the bytes from the seed, then mixed (murmur3's finaliser), so the slot, taken
    // from the low bits, depends on every bit of the state.
    let hash = SEED
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193)
    hash ^= hash >>> 16
    hash = Math.imul(hash, 0x85ebca6b)
    hash ^= hash >>> 13
    hash = Math.imul(hash, 0xc2b2ae35)
    hash ^= hash >>> 16
    const length = end - start
    const slots = this.slots
    const own = this.own
    let slot = hash & this.mask
    for (;;) {
      const entry = slots[slot]
      if (entry === 0) break
      const k = entry - 1
      if (this.hashes[k] === hash && this.starts[k + 1] - this.starts[k] === length) {
        const other = this.starts[k] - start
        let i = start
        while (i < end && bytes[i] === own[i + other]) i++
        if (i === end) {
          this.added = false
          return k
        }
      }
      slot = (slot + 1) & this.mask
    }
    const k = this.count++
    if (k + 1 === this.starts.length) this.grow()
    if (this.used + length > this.own.length) {
      const larger = new Uint8Array(Math.max(Math.ceil(this.own.length * 1.5), this.used + length))
      larger.set(this.own.subarray(0, this.used))
      this.own = larger
    }
    // Byte by byte: a key is a few dozen bytes, and making a Buffer's subarray to copy from cost
    // more (a cold scan of v3.22 main took 1.1× the time).
    const to = this.own
    for (let i = 0, at = this.used; i < length; i++) to[at + i] = bytes[start + i]
    this.used += length
    this.starts[k + 1] = this.used
    this.hashes[k] = hash
    if (k + 1 > this.slots.length * MAX_LOAD) this.rehash()
    else slots[slot] = k + 1
    this.added = true
    return k
  }

  /**
   * Slots a lookup of every key looks at, all keys together (one each when nothing collides),
   * worked out from where each key sits against where its hash puts it: for tests, with nothing
   * counted in `key`, which the scan calls for every value and token.
   */
  probeCount(): number {
    let total = 0
    for (let slot = 0; slot < this.slots.length; slot++) {
      const entry = this.slots[slot]
      if (entry !== 0) total += ((slot - (this.hashes[entry - 1] & this.mask)) & this.mask) + 1
    }
    return total
  }

  private grow(): void {
    const copy = (from: Int32Array, size: number) => {
      const to = new Int32Array(size)
      to.set(from)
      return to
    }
    const keys = Math.ceil(this.hashes.length * 1.5)
    this.starts = copy(this.starts, keys + 1)
    this.hashes = copy(this.hashes, keys)
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
