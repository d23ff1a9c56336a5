/**
 * The WebAssembly side of the solver graph's build (assembly/graph-build.ts), as JavaScript sees
 * it: one instance per graph, told the totals first, then each table in order, its results
 * copied out at the end (so the graph keeps plain typed arrays and the module's memory goes).
 */
import { FormatError } from '../errors.js'
import { ROW_KEYS, TOKEN_WORDS } from '../formats/package-table.js'
import { instantiateWasm, wasmTrapped } from '../../wasm.js'
import { GRAPH_BUILD_WASM } from './graph-build-wasm.js'

/** The module's exports (see assembly/graph-build.ts). */
interface Exports {
  memory: { buffer: ArrayBuffer }
  init(rows: number, tokens: number, names: number, entries: number, limitPages: number): void
  reserveTables(rows: number, entries: number, tokens: number, keys: number): void
  startTable(keys: number): void
  rowKeysAt(): number
  listStartsAt(): number
  listsAt(): number
  tokenWordsAt(): number
  keepAt(): number
  presetAt(): number
  keyNameAt(): number
  addTable(rows: number, base: number, useKeep: number, usePreset: number): number
  nameCountNow(): number
  finish(capacity: number): void
  pkgNameAt(): number
  pkgListStartAt(): number
  pkgListsAt(): number
  depNameAt(): number
  provStartAt(): number
  provPkgAt(): number
  provDepAt(): number
  provLength(): number
  rdepStartAt(): number
  rdepsAt(): number
  rdepLength(): number
  riifStartAt(): number
  riifsAt(): number
  riifLength(): number
  failureKind(): number
}

const instantiate = instantiateWasm<Exports>(GRAPH_BUILD_WASM)

/** The totals a build reserves room for. */
export interface GraphSizes {
  rows: number
  tokens: number
  /** At most this many names: one per row and token. */
  names: number
  /** List entries of every kind, together. */
  entries: number
  /** The largest table's rows, list entries, tokens and keys. */
  largest: { rows: number; entries: number; tokens: number; keys: number }
}

/** One table's part, as the module takes it. */
export interface GraphTableInput {
  rows: number
  /** Each row's keys (PackageTable.rowKeys), and its depends, provides and install_if ranges. */
  rowKeys: Int32Array
  listStarts: Int32Array
  /** Token numbers (in the table's tokens), and the tokens' words (PackageTable.tokenWords). */
  lists: Int32Array
  tokenWords: Int32Array
  /** How many keys the table's names are numbered by. */
  keys: number
  /** The graph's tokens start at `base` for this table. */
  base: number
  /** When given, the rows to add (1) or leave out (0: an identity met before). */
  keep?: Uint8Array
  /** When given, for each key the name it is already (a name of an earlier table), or -1. */
  preset?: Int32Array
}

/** The built graph's lists and names as columns (copies: the module's memory goes after). */
export interface GraphColumns {
  pkgName: Int32Array<ArrayBuffer>
  pkgListStart: Int32Array<ArrayBuffer>
  pkgLists: Int32Array<ArrayBuffer>
  depName: Int32Array<ArrayBuffer>
  provStart: Int32Array<ArrayBuffer>
  provPkg: Int32Array<ArrayBuffer>
  provDep: Int32Array<ArrayBuffer>
  rdepStart: Int32Array<ArrayBuffer>
  rdeps: Int32Array<ArrayBuffer>
  riifStart: Int32Array<ArrayBuffer>
  riifs: Int32Array<ArrayBuffer>
}

export class GraphBuildMemory {
  private readonly x: Exports
  private packages = 0

  /**
   * @param limitPages the most memory the module may take, in pages of 64 KiB (a wasm32
   *   module's whole range by default: the tables it is built from are bounded already)
   */
  constructor(
    private readonly sizes: GraphSizes,
    limitPages = 65536
  ) {
    this.x = instantiate()
    this.bounded(() =>
      this.x.init(sizes.rows, sizes.tokens, sizes.names, sizes.entries, limitPages)
    )
    const { rows, entries, tokens, keys } = sizes.largest
    this.bounded(() => this.x.reserveTables(rows, entries, tokens, keys))
  }

  private bounded<T>(call: () => T): T {
    try {
      return call()
    } catch (error) {
      if (!wasmTrapped(error) || this.x.failureKind() === 0) throw error
      throw new FormatError(
        `the solver's graph of ${this.sizes.rows} packages and ${this.sizes.tokens} dependency ` +
          `tokens needs more memory than ${this.x.failureKind() === 1 ? 'its limit' : 'the system gave'}; ` +
          'the repositories are too large together: use fewer of them',
        { cause: error }
      )
    }
  }

  private i32(at: number, length: number): Int32Array {
    return new Int32Array(this.x.memory.buffer, at, length)
  }

  /**
   * Adds a table's rows as packages; returns the names each of its keys became, plus one (0: a
   * key that names nothing; a view, valid until the next call).
   */
  addTable(input: GraphTableInput): Int32Array {
    const { rows } = input
    const entries = input.listStarts[rows * 3]
    const tokens = input.tokenWords.length / TOKEN_WORDS
    this.x.startTable(input.keys)
    this.i32(this.x.rowKeysAt(), rows * ROW_KEYS).set(input.rowKeys)
    this.i32(this.x.listStartsAt(), rows * 3 + 1).set(input.listStarts.subarray(0, rows * 3 + 1))
    this.i32(this.x.listsAt(), entries).set(input.lists.subarray(0, entries))
    this.i32(this.x.tokenWordsAt(), tokens * TOKEN_WORDS).set(input.tokenWords)
    if (input.keep !== undefined) {
      new Uint8Array(this.x.memory.buffer, this.x.keepAt(), rows).set(input.keep)
    }
    if (input.preset !== undefined) this.i32(this.x.presetAt(), input.keys).set(input.preset)
    this.packages = this.x.addTable(
      rows,
      input.base,
      input.keep !== undefined ? 1 : 0,
      input.preset !== undefined ? 1 : 0
    )
    return this.i32(this.x.keyNameAt(), input.keys)
  }

  /** The module's memory, in bytes. */
  get memoryBytes(): number {
    return this.x.memory.buffer.byteLength
  }

  /** How many names the tables added so far hold. */
  get nameCount(): number {
    return this.x.nameCountNow()
  }

  /** Lays out providers and reverse edges with room for `capacity` names; copies it all out. */
  finish(capacity: number): GraphColumns {
    this.bounded(() => this.x.finish(capacity))
    const x = this.x
    const copy = (at: number, length: number) => this.i32(at, length).slice()
    const p = this.packages
    return {
      pkgName: copy(x.pkgNameAt(), p),
      pkgListStart: copy(x.pkgListStartAt(), p * 3 + 1),
      pkgLists: copy(x.pkgListsAt(), this.i32(x.pkgListStartAt(), p * 3 + 1)[p * 3]),
      depName: copy(x.depNameAt(), this.sizes.tokens),
      provStart: copy(x.provStartAt(), capacity + 1),
      provPkg: copy(x.provPkgAt(), x.provLength()),
      provDep: copy(x.provDepAt(), x.provLength()),
      rdepStart: copy(x.rdepStartAt(), capacity + 1),
      rdeps: copy(x.rdepsAt(), x.rdepLength()),
      riifStart: copy(x.riifStartAt(), capacity + 1),
      riifs: copy(x.riifsAt(), x.riifLength())
    }
  }
}
