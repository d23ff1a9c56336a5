/**
 * The packages of an index in the compact form the solver reads: one row per package, its
 * fields in parallel arrays, its dependency lists as positions in one table of distinct tokens.
 * A whole RepoPackage is made only when asked for. Tens of thousands of packages then cost a
 * few megabytes instead of an object graph each, and what only an installed package needs
 * (description, URL, licence…) is read for the few that get installed.
 */
import type { Dependency, RepoPackage } from '../types.js'
import type { KeptColumns } from './index-scan.js'

/** Which of a row's three dependency lists. */
export const DEPENDS = 0
export const PROVIDES = 1
export const INSTALL_IF = 2

/** Numbers per row in `rowKeys`. */
export const ROW_KEYS = 3

/** Numbers per token in `tokenWords`, and the first one of a token made already. */
export const TOKEN_WORDS = 3
export const TOKEN_MADE = 255

/** The empty list most packages have for most dependency fields: shared, frozen. */
export const NO_DEPENDENCIES = Object.freeze([]) as unknown as Dependency[]
export const NO_TRIGGERS = Object.freeze([]) as unknown as string[]

/** A typed array twice as long, its first `used` numbers copied. */
function grown<T extends Int32Array | Float64Array>(
  array: T,
  used: number,
  make: (n: number) => T
) {
  const larger = make(Math.max(16, array.length * 2))
  larger.set(array.subarray(0, used))
  return larger
}

export class PackageTable {
  /**
   * The rows' identities (`C:`) as blocks of text, each row's a slice of one (checksum()): the
   * scan gives them so, a line each, and a resolve from one index reads few of them. Made one
   * string each, v3.22 main's 5,600 took 0.4 MB of a cold resolve's young allocations; kept as
   * text, it took 0.987x [0.956, 1.003] the time on Node 20 and 0.949x [0.944, 0.956] on Node 24
   * (31 rounds, the code cache off); main + community, which compares them, 1.007x / 1.035x
   * [0.997, 1.046] (15 rounds), its peak the same.
   */
  private readonly idTexts: string[] = []
  /** Per row: which block its identity is in, and where it starts and ends there. */
  private idBlock = new Int32Array(0)
  private idStart = new Int32Array(0)
  private idEnd = new Int32Array(0)
  /**
   * Each row's name, version and arch, ROW_KEYS numbers per row: keys into `strings` (see below;
   * -1: no arch). A row's strings are the index's own, one per distinct value, not one per row.
   */
  rowKeys = new Int32Array(0)
  private rowsUsed = 0
  // The numbers are in typed arrays, 4 or 8 bytes each and no more: main + community's indexes
  // have 23,000 rows and over 100,000 list entries. Each has spare room past its rows until seal.
  installedSizes = new Float64Array(0)
  priorities = new Float64Array(0)
  repositories = new Int32Array(0)
  /** Where each row's depends, provides and install_if start in `lists`: 3 per row, then the end. */
  listStarts = new Int32Array(16)
  /** Token numbers (see token()) of every row's lists, one after the other. */
  lists = new Int32Array(0)
  private listsUsed = 0
  /**
   * The distinct dependency tokens, TOKEN_WORDS numbers each: how it reads (as the index scan
   * left it: its PLAIN | op << 8 | conflict << 16; or TOKEN_MADE), its name's key into
   * `strings`, its version's (-1: none).
   * A plain token becomes a Dependency only when asked for (token()): of an index's tens of
   * thousands, a resolve reads a few hundred. Names are keys into `strings`, where one string
   * stands for every use of one name (an index's, as its scan met them: equal bytes, one key), so
   * the solver's graph numbers names by key rather than looking each string up.
   */
  tokenWords = new Int32Array(0)
  private tokenWordsUsed = 0
  /** The tokens made so far, and those made when read (TOKEN_MADE), by number. */
  private readonly tokens = new Map<number, Dependency>()
  /** Each identity (`C:`) is on one row at most, as in an index. */
  unique = false
  private readonly objects: (RepoPackage | undefined)[] = []
  private made = 0
  private byChecksum: Map<string, number> | undefined

  /**
   * @param materialize makes row `row`'s whole package (called once per row)
   * @param strings the names and versions the tokens' and rows' keys stand for
   */
  constructor(
    private readonly materialize: (table: PackageTable, row: number) => RepoPackage,
    readonly strings: string[]
  ) {}

  /** How many tokens there are (some numbers may be malformed tokens no list points to). */
  get tokenCount(): number {
    return this.tokenWordsUsed / TOKEN_WORDS
  }

  /** Appends `count` tokens' words from `words` at `at`. */
  addTokenWords(words: Int32Array, at: number, count: number): void {
    const used = this.tokenWordsUsed
    const length = count * TOKEN_WORDS
    while (used + length > this.tokenWords.length) {
      this.tokenWords = grown(this.tokenWords, used, (n) => new Int32Array(n))
    }
    this.tokenWords.set(words.subarray(at, at + length), used)
    this.tokenWordsUsed = used + length
  }

  /** Sets token `i` to `dep`, made already, whose name is `nameKey`. */
  setToken(i: number, dep: Dependency, nameKey: number): void {
    this.tokenWords[i * TOKEN_WORDS] = TOKEN_MADE
    this.tokenWords[i * TOKEN_WORDS + 1] = nameKey
    this.tokenWords[i * TOKEN_WORDS + 2] = -1
    this.tokens.set(i, dep)
  }

  /** How many tokens have been made Dependency objects so far. */
  get madeTokenCount(): number {
    return this.tokens.size
  }

  /** Token `i`, made on first use and the same (frozen) object after. */
  token(i: number): Dependency {
    let dep = this.tokens.get(i)
    if (dep !== undefined) return dep
    const at = i * TOKEN_WORDS
    const word = this.tokenWords[at]
    const name = this.strings[this.tokenWords[at + 1]]
    const version = this.tokenWords[at + 2]
    const op = (word >>> 8) & 0xff
    const conflict = word >>> 16 === 1
    // The two shapes parseDependency makes. Shared by every package that lists the token, so
    // frozen: nobody may change it.
    dep = Object.freeze(
      version < 0 ? { name, op, conflict } : { name, op, conflict, version: this.strings[version] }
    )
    this.tokens.set(i, dep)
    return dep
  }

  get count(): number {
    return this.rowsUsed
  }

  /** Row `row`'s name. */
  name(row: number): string {
    return this.strings[this.rowKeys[row * ROW_KEYS]]
  }

  /** Row `row`'s version. */
  version(row: number): string {
    return this.strings[this.rowKeys[row * ROW_KEYS + 1]]
  }

  /** Row `row`'s arch, or undefined (no A: line). */
  arch(row: number): string | undefined {
    const key = this.rowKeys[row * ROW_KEYS + 2]
    return key < 0 ? undefined : this.strings[key]
  }

  /** How many list entries the table holds so far. */
  listCount(): number {
    return this.listsUsed
  }

  /**
   * Adds `columns.rows` rows, of one repository or each of its own: their keys, identities
   * (`checksums`, else the columns' `identities` text), numbers and lists, whose ends count from
   * listCount().
   */
  addColumns(
    columns: KeptColumns,
    repository: number | Int32Array,
    checksums?: readonly string[]
  ): void {
    const rows = columns.rows
    const at = this.rowsUsed
    this.addIdentities(at, rows, checksums ?? (columns.identities as string))
    while ((at + rows) * ROW_KEYS > this.rowKeys.length) {
      this.rowKeys = grown(this.rowKeys, at * ROW_KEYS, (n) => new Int32Array(n))
    }
    this.rowKeys.set(columns.keys, at * ROW_KEYS)
    this.rowsUsed = at + rows
    while (at + rows > this.repositories.length) {
      const f64 = (n: number) => new Float64Array(n)
      this.installedSizes = grown(this.installedSizes, at, f64)
      this.priorities = grown(this.priorities, at, f64)
      this.repositories = grown(this.repositories, at, (n) => new Int32Array(n))
    }
    this.installedSizes.set(columns.installedSizes, at)
    this.priorities.set(columns.priorities, at)
    if (typeof repository === 'number') this.repositories.fill(repository, at, at + rows)
    else this.repositories.set(repository, at)
    while ((at + rows) * 3 + 1 > this.listStarts.length) {
      this.listStarts = grown(this.listStarts, at * 3 + 1, (n) => new Int32Array(n))
    }
    this.listStarts.set(columns.listEnds, at * 3 + 1)
    const used = this.listsUsed
    while (used + columns.lists.length > this.lists.length) {
      this.lists = grown(this.lists, used, (n) => new Int32Array(n))
    }
    this.lists.set(columns.lists, used)
    this.listsUsed = used + columns.lists.length
  }

  /**
   * Rows `at` to `at + rows`'s identities: `ids` one each, or a text of them, each followed by a
   * line feed (the columns' own, kept as it is).
   */
  private addIdentities(at: number, rows: number, ids: string | readonly string[]): void {
    while (at + rows > this.idBlock.length) {
      const i32 = (n: number) => new Int32Array(n)
      this.idBlock = grown(this.idBlock, at, i32)
      this.idStart = grown(this.idStart, at, i32)
      this.idEnd = grown(this.idEnd, at, i32)
    }
    const block = this.idTexts.length
    let text = ''
    if (typeof ids === 'string') {
      text = ids
      let start = 0
      for (let row = at; row < at + rows; row++) {
        let end = text.indexOf('\n', start)
        if (end < 0) end = text.length
        this.idStart[row] = start
        this.idEnd[row] = end
        start = end + 1
      }
    } else {
      for (let i = 0; i < rows; i++) {
        this.idStart[at + i] = text.length
        text += ids[i]
        this.idEnd[at + i] = text.length
      }
    }
    this.idBlock.fill(block, at, at + rows)
    this.idTexts.push(text)
  }

  /** Row `row`'s identity (`C:`), or '' when it has none. */
  checksum(row: number): string {
    return this.idTexts[this.idBlock[row]].slice(this.idStart[row], this.idEnd[row])
  }

  /** Gives back the spare room of the number columns, once every row is added. */
  seal(): void {
    const rows = this.count
    this.installedSizes = this.installedSizes.slice(0, rows)
    this.priorities = this.priorities.slice(0, rows)
    this.repositories = this.repositories.slice(0, rows)
    this.listStarts = this.listStarts.slice(0, rows * 3 + 1)
    this.lists = this.lists.slice(0, this.listsUsed)
    this.rowKeys = this.rowKeys.slice(0, rows * ROW_KEYS)
    this.tokenWords = this.tokenWords.slice(0, this.tokenWordsUsed)
    this.idBlock = this.idBlock.slice(0, rows)
    this.idStart = this.idStart.slice(0, rows)
    this.idEnd = this.idEnd.slice(0, rows)
  }

  /** The tokens of one of a row's lists (DEPENDS, PROVIDES or INSTALL_IF), as a new array. */
  dependencies(row: number, which: number): Dependency[] {
    const start = this.listStarts[row * 3 + which]
    const end = this.listStarts[row * 3 + which + 1]
    if (start === end) return NO_DEPENDENCIES
    // Filled by index: pushing would leave spare room.
    const out = new Array<Dependency>(end - start)
    for (let i = start; i < end; i++) out[i - start] = this.token(this.lists[i])
    return out
  }

  /** Row `row` as a whole package, made on first use and the same object after. */
  package(row: number): RepoPackage {
    // Filled up front: writing a few rows far apart into an empty array would make it sparse.
    if (this.objects.length < this.count) {
      for (let i = this.objects.length; i < this.count; i++) this.objects.push(undefined)
    }
    let pkg = this.objects[row]
    if (pkg === undefined) {
      pkg = this.materialize(this, row)
      this.objects[row] = pkg
      this.made++
    }
    return pkg
  }

  /** How many rows have been made whole packages so far. */
  get madeCount(): number {
    return this.made
  }

  /** Every row as a package, in order (makes them all: for tests and small tables). */
  all(): RepoPackage[] {
    const out: RepoPackage[] = []
    for (let row = 0; row < this.count; row++) out.push(this.package(row))
    return out
  }

  /** The row with this identity (`C:`), or -1. */
  rowOfChecksum(checksum: string): number {
    if (this.byChecksum === undefined) {
      const rows = new Map<string, number>()
      for (let row = 0; row < this.count; row++) {
        const c = this.checksum(row)
        if (!rows.has(c)) rows.set(c, row)
      }
      this.byChecksum = rows
    }
    return this.byChecksum.get(checksum) ?? -1
  }

  /** The first row named `name`, or -1. */
  rowOfName(name: string): number {
    for (let row = 0; row < this.rowsUsed; row++) if (this.name(row) === name) return row
    return -1
  }

  /** Moves a row to another repository (the first that carries its identity). */
  setRepository(row: number, repository: number): void {
    this.repositories[row] = repository
    const pkg = this.objects[row]
    if (pkg !== undefined) pkg.repository = repository
  }
}

/**
 * A table over packages already made (a lock's candidates, a test's list): rows point at the
 * same objects, and their Dependency objects become the tokens.
 */
export function tableOfPackages(packages: RepoPackage[]): PackageTable {
  const positions = new Map<Dependency, number>()
  const lists: number[] = []
  const strings: string[] = []
  const keys = new Map<string, number>()
  const keyOf = (name: string): number => {
    let key = keys.get(name)
    if (key === undefined) {
      key = strings.length
      strings.push(name)
      keys.set(name, key)
    }
    return key
  }
  const table = new PackageTable((_, row) => packages[row], strings)
  const rows = packages.length
  const columns = {
    rows,
    installedSizes: new Float64Array(rows),
    priorities: new Float64Array(rows),
    listEnds: new Int32Array(rows * 3),
    lists: new Int32Array(0)
  }
  const repositories = new Int32Array(rows)
  const made: Dependency[] = []
  const rowKeys = new Int32Array(rows * ROW_KEYS)
  packages.forEach((pkg, row) => {
    rowKeys[row * ROW_KEYS] = keyOf(pkg.name)
    rowKeys[row * ROW_KEYS + 1] = keyOf(pkg.version)
    rowKeys[row * ROW_KEYS + 2] = pkg.arch === undefined ? -1 : keyOf(pkg.arch)
    columns.installedSizes[row] = pkg.installedSize
    columns.priorities[row] = pkg.providerPriority
    repositories[row] = pkg.repository
    ;[pkg.depends, pkg.provides, pkg.installIf].forEach((deps, which) => {
      for (const dep of deps) {
        let at = positions.get(dep)
        if (at === undefined) {
          at = made.length
          made.push(dep)
          positions.set(dep, at)
        }
        lists.push(at)
      }
      columns.listEnds[row * 3 + which] = lists.length
    })
  })
  table.addTokenWords(new Int32Array(made.length * TOKEN_WORDS), 0, made.length)
  made.forEach((dep, i) => table.setToken(i, dep, keyOf(dep.name)))
  columns.lists = Int32Array.from(lists)
  table.addColumns(
    { ...columns, keys: rowKeys },
    repositories,
    packages.map((pkg) => pkg.checksum)
  )
  table.seal()
  return table
}
