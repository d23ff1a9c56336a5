/**
 * The WebAssembly side of the index scan (assembly/index-scan.ts), as JavaScript sees it: one
 * instance per index read, its memory read through views made again whenever it grew. What the
 * scan emits (rows, list entries, new keys) is read here and turned into strings and numbers by
 * the caller (apkindex.ts), which decides everything about validity.
 */
import { FormatError } from '../errors.js'
import { INDEX_SCAN_WASM } from './index-scan-wasm.js'
import { instantiateWasm, wasmTrapped } from '../../wasm.js'

/**
 * The most memory one index's scan may take: its tables of distinct values and tokens, and a
 * chunk of the index. Alpine's largest index takes 6 MiB. A backstop: MAX_DISTINCT bounds the
 * tables first (8 million tiny tokens took the module about 1 GiB), and an index of only a few
 * long stanzas holds its longest in memory with its kept lines (2.5 times its size).
 */
export const SCAN_MEMORY_LIMIT = 1024 * 1024 * 1024

/**
 * The most distinct values, and distinct dependency tokens, one index may hold. Alpine's
 * largest (v3.19 community) holds 46,000 values and 36,000 tokens; each one costs the scan's
 * tables and a string or a Dependency object, so this bounds the memory an index of tiny
 * distinct tokens takes (a 40 MB one held 8 million, and took 1.6 GB in the JavaScript scan).
 */
export const MAX_DISTINCT = 2_000_000

/** The scan's memory or tables would pass their limit: the index is no real repository's. */
export class ScanLimitError extends FormatError {}

/** The module's exports (see assembly/index-scan.ts). */
interface Exports {
  memory: { buffer: ArrayBuffer }
  init(seed: number, valueHint: number, tokenHint: number, limitPages: number): void
  reserveInput(length: number): number
  scan(length: number): number
  rowsAt(): number
  infosAt(): number
  valueTable(): number
  tokenTable(): number
  reserveScratch(length: number): number
  keyScratch(table: number, length: number): number
  wasAdded(): number
  growCount(): number
  failureKind(): number
  probeCount(table: number): number
  positionsAt(): number
  columns(base: number): number
  damagedRow(): number
  joinValues(first: number): number
  joinedAt(): number
  outKeysAt(): number
  outDetailsAt(): number
  outIdsAt(): number
  outIdsLengthNow(): number
  outSizesAt(): number
  outPrioritiesAt(): number
  outEndsAt(): number
  outListsAt(): number
  outListLength(): number
}

/** Compiled once a process, instantiated per index. */
const instantiate = instantiateWasm<Exports>(INDEX_SCAN_WASM)

/**
 * This process's random point for the tables' hash (assembly/index-scan.ts, key()), so which
 * contents share a slot cannot be worked out beforehand (with a fixed hash, tokens that collide
 * are cheap to make, and a hostile index of them made the scan quadratic). The numbering of keys
 * does not depend on it. From Math.random, which V8 seeds from the system's entropy in each
 * process: an index's author never sees its output, and `node:crypto` (4-9 ms to load) stays out
 * of a resolve.
 */
const SEED = Math.floor(Math.random() * 0x1_0000_0000) >>> 0

// Fields of a table (assembly/index-scan.ts, T_*), in 32-bit words.
const T_STARTS = 2
const T_COUNT = 6
const T_OWN = 7

/**
 * The fields of a row this side reads, in 32-bit words (assembly/index-scan.ts, ROW and R_*; the
 * rest, the kept lines' place and the list entries, reach it as columns).
 */
export const ROW = 9
export const R_FLAGS = 0
export const R_LINE = 1
export const R_NAME = 2
export const R_VERSION = 3
/**
 * A row flag (assembly/index-scan.ts): no name or version. A damaged row without it has no
 * identity of a form apk writes; the other flags (uninstallable, an identity met before) the
 * module acts on itself.
 */
export const NO_NAME_OR_VERSION = 4
/** The status of a token parsed by the scan (its infos: PackageTable's TOKEN_WORDS each). */
export const PLAIN = 0

/** Kept rows as columns (IndexScanMemory.columns), for PackageTable.addColumns. */
export interface KeptColumns {
  rows: number
  installedSizes: Float64Array
  priorities: Float64Array
  /** Per row, where its depends, provides and install_if end in the table's lists. */
  listEnds: Int32Array
  /** Token positions, the rows' lists one after another. */
  lists: Int32Array
  /** Per row, its name's, version's and arch's value keys (-1: no arch). */
  keys: Int32Array
  /** Per row, where its kept lines start and end in the scan's memory (-1: none). */
  details?: Int32Array
  /** The rows' identities (`Q1…=`, or MD5 hex), each followed by a line feed. */
  identities?: string
}

export class IndexScanMemory {
  private readonly x: Exports
  private buffer: ArrayBuffer | undefined
  /** Views over the whole memory, as it is now. */
  u8: Buffer = Buffer.alloc(0)
  i32: Int32Array = new Int32Array(0)
  u32: Uint32Array = new Uint32Array(0)
  f64: Float64Array = new Float64Array(0)
  readonly values: number
  readonly tokens: number

  /**
   * @param valueHint how many distinct values to make room for
   * @param tokenHint how many distinct tokens
   * @param limit the most bytes of memory it may take
   * @param seed whence the tables' hash's random point (for tests: the process's own otherwise)
   */
  constructor(
    valueHint: number,
    tokenHint: number,
    private readonly limit = SCAN_MEMORY_LIMIT,
    seed = SEED
  ) {
    this.x = instantiate()
    const pages = Math.floor(limit / 65536)
    this.bounded(() =>
      this.x.init(seed, Math.max(0, Math.ceil(valueHint)), Math.max(0, Math.ceil(tokenHint)), pages)
    )
    this.values = this.x.valueTable()
    this.tokens = this.x.tokenTable()
    this.views()
  }

  /** Runs `call` into the module, a trap (memory past the limit) made a ScanLimitError. */
  private bounded<T>(call: () => T): T {
    try {
      return call()
    } catch (error) {
      // Only the module's allocator traps on purpose; anything else is a fault of this code.
      const kind = this.x.failureKind()
      if (!wasmTrapped(error) || kind === 0) throw error
      // (The tables are there unless init itself ran out; the memory may have grown first.)
      this.views()
      const met =
        this.tokens === undefined
          ? ''
          : ` (${this.count(this.values)} values, ${this.count(this.tokens)} tokens so far)`
      const mib = (bytes: number) => `${Math.round(bytes / 1048576)} MiB`
      throw new ScanLimitError(
        kind === 1
          ? `reading it took more than ${mib(this.limit)} for its tables of distinct names, ` +
              `versions and dependencies${met}, which no real repository's index needs`
          : `the system gave no more memory to read it, at ${mib(this.u8.length)}${met}`,
        { cause: error }
      )
    }
  }

  /** How many times the memory grew so far. */
  get growCount(): number {
    return this.x.growCount()
  }

  /**
   * Refuses an index past MAX_DISTINCT (`max`) distinct values or tokens; called after each
   * chunk, so the tables pass it by one chunk's worth at most.
   */
  checkDistinct(max = MAX_DISTINCT): void {
    const values = this.count(this.values)
    const tokens = this.count(this.tokens)
    if (values <= max && tokens <= max) return
    throw new ScanLimitError(
      `it holds more than ${max} distinct ${values > max ? 'names and versions' : 'dependency tokens'} ` +
        `(${values} and ${tokens} so far; Alpine's community index holds 46,000 and 36,000), ` +
        "which no real repository's index does"
    )
  }

  private views(): void {
    const buffer = this.x.memory.buffer
    if (buffer === this.buffer) return
    this.buffer = buffer
    this.u8 = Buffer.from(buffer)
    this.i32 = new Int32Array(buffer)
    this.u32 = new Uint32Array(buffer)
    this.f64 = new Float64Array(buffer)
  }

  /**
   * Scans `bytes`, or pieces of them one after another (whole lines from a line's start); returns
   * how many rows it emitted.
   */
  scan(bytes: Buffer | readonly Buffer[]): number {
    // Pieces are copied in one after another: the same as their concatenation, one copy fewer.
    const parts = Buffer.isBuffer(bytes) ? [bytes] : bytes
    let length = 0
    for (const part of parts) length += part.length
    let at = this.bounded(() => this.x.reserveInput(length))
    this.views()
    for (const part of parts) at += part.copy(this.u8, at)
    const rows = this.bounded(() => this.x.scan(length))
    this.views()
    return rows
  }

  /** Where the last scan's rows and identities are (byte offsets). */
  get rowsAt(): number {
    return this.x.rowsAt()
  }
  /** Where the parse results of the tokens the last scan met first are: TOKEN_WORDS each. */
  get infosAt(): number {
    return this.x.infosAt()
  }

  /**
   * Where the positions of token keys are (an Int32Array index): a plain token's is its key, and
   * the caller writes each one it parses there before columns().
   */
  get positions(): number {
    return this.x.positionsAt() >>> 2
  }

  /**
   * The values of table `values` from key `first` on as strings, made by one call: their bytes
   * joined by newlines (which no value holds) read as UTF-8, which reads each value as it would
   * alone (a malformed sequence's replacement stops at the newline after it). Nearly always
   * ASCII, so one-byte strings; a value of a byte above 0x7f once cost each of them a test here.
   */
  valuesFrom(first: number): string[] {
    const length = this.bounded(() => this.x.joinValues(first))
    this.views()
    const at = this.x.joinedAt()
    const parts = this.u8.toString('utf8', at, at + length).split('\n')
    parts.length = this.count(this.values) - first
    return parts
  }

  /** The first row of the last scan that makes the index damaged (its flags say why), or -1. */
  get damagedRow(): number {
    return this.x.damagedRow()
  }

  /**
   * The kept rows of the last scan as columns, `base` added to their lists' ends: views of the
   * memory, valid until the next call; the identities as one string.
   */
  columns(base: number): KeptColumns {
    const rows = this.bounded(() => this.x.columns(base))
    this.views()
    const sizes = this.x.outSizesAt() >>> 3
    const priorities = this.x.outPrioritiesAt() >>> 3
    const ends = this.x.outEndsAt() >>> 2
    const lists = this.x.outListsAt() >>> 2
    const keys = this.x.outKeysAt() >>> 2
    const details = this.x.outDetailsAt() >>> 2
    const ids = this.x.outIdsAt()
    return {
      rows,
      installedSizes: this.f64.subarray(sizes, sizes + rows),
      priorities: this.f64.subarray(priorities, priorities + rows),
      listEnds: this.i32.subarray(ends, ends + rows * 3),
      lists: this.i32.subarray(lists, lists + this.x.outListLength()),
      keys: this.i32.subarray(keys, keys + rows * 3),
      details: this.i32.subarray(details, details + rows * 2),
      identities: this.u8.toString('latin1', ids, ids + this.x.outIdsLengthNow())
    }
  }

  /** How many keys table `t` holds. */
  count(t: number): number {
    return this.u32[(t >>> 2) + T_COUNT]
  }

  /** Where the copy of key `k` of table `t` starts in memory; it ends where key k + 1's starts. */
  keyStart(t: number, k: number): number {
    return this.u32[(t >>> 2) + T_OWN] + this.u32[(this.u32[(t >>> 2) + T_STARTS] >>> 2) + k]
  }

  /** The key of `bytes` in table `t`; `added` tells whether it was new. */
  key(t: number, bytes: Uint8Array): number {
    const at = this.bounded(() => this.x.reserveScratch(bytes.length))
    this.views()
    this.u8.set(bytes, at)
    const k = this.bounded(() => this.x.keyScratch(t, bytes.length))
    this.views()
    return k
  }

  /** Whether the last key() met its content for the first time. */
  get added(): boolean {
    return this.x.wasAdded() !== 0
  }

  /** Slots a lookup of every key of table `t` looks at, all together (for tests). */
  probeCount(t: number): number {
    return this.x.probeCount(t)
  }
}
