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
  readonly checksums: string[] = []
  readonly names: string[] = []
  readonly versions: string[] = []
  readonly arches: (string | undefined)[] = []
  // The numbers are in typed arrays, 4 or 8 bytes each and no more: main + community's indexes
  // have 23,000 rows and over 100,000 list entries. Each has spare room past its rows until seal.
  installedSizes = new Float64Array(0)
  priorities = new Float64Array(0)
  repositories = new Int32Array(0)
  /** Where each row's depends, provides and install_if start in `lists`: 3 per row, then the end. */
  listStarts = new Int32Array(16)
  /** Token positions (in `tokens`) of every row's lists, one after the other. */
  lists = new Int32Array(0)
  private listsUsed = 0
  /**
   * Each row's name and each token's name as a key into `strings`, where one string stands for
   * every use of one name (an index's names as the scan met them: equal bytes, one key), so the
   * solver's graph numbers names by key rather than looking each string up.
   */
  rowNameKeys: Int32Array | number[] = []
  tokenNameKeys: Int32Array | number[]
  /** Each identity (`C:`) is on one row at most, as in an index. */
  unique = false
  private readonly objects: (RepoPackage | undefined)[] = []
  private made = 0
  private byChecksum: Map<string, number> | undefined

  /**
   * @param tokens the distinct dependency tokens the rows' lists point into
   * @param materialize makes row `row`'s whole package (called once per row)
   */
  constructor(
    readonly tokens: Dependency[],
    private readonly materialize: (table: PackageTable, row: number) => RepoPackage,
    readonly strings: string[],
    tokenNameKeys: number[]
  ) {
    this.tokenNameKeys = tokenNameKeys
  }

  get count(): number {
    return this.names.length
  }

  /**
   * Adds rows in two steps, their numbers and lists as columns: each row's strings (addNamed),
   * then the columns of all those rows (addColumns), whose list ends count from listCount().
   */
  addNamed(
    checksum: string,
    name: string,
    nameKey: number,
    version: string,
    arch: string | undefined
  ): void {
    this.checksums.push(checksum)
    this.names.push(name)
    ;(this.rowNameKeys as number[]).push(nameKey)
    this.versions.push(version)
    this.arches.push(arch)
  }

  /** How many list entries the table holds so far. */
  listCount(): number {
    return this.listsUsed
  }

  /**
   * The columns of the rows addNamed added last, `columns.rows` of them, of one repository or
   * each of its own.
   */
  addColumns(columns: KeptColumns, repository: number | Int32Array): void {
    const rows = columns.rows
    const at = this.count - rows
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

  /** Gives back the spare room of the number columns, once every row is added. */
  seal(): void {
    const rows = this.count
    this.installedSizes = this.installedSizes.slice(0, rows)
    this.priorities = this.priorities.slice(0, rows)
    this.repositories = this.repositories.slice(0, rows)
    this.listStarts = this.listStarts.slice(0, rows * 3 + 1)
    this.lists = this.lists.slice(0, this.listsUsed)
    this.rowNameKeys = Int32Array.from(this.rowNameKeys)
    this.tokenNameKeys = Int32Array.from(this.tokenNameKeys)
  }

  /** The tokens of one of a row's lists (DEPENDS, PROVIDES or INSTALL_IF), as a new array. */
  dependencies(row: number, which: number): Dependency[] {
    const start = this.listStarts[row * 3 + which]
    const end = this.listStarts[row * 3 + which + 1]
    if (start === end) return NO_DEPENDENCIES
    // Filled by index: pushing would leave spare room.
    const out = new Array<Dependency>(end - start)
    for (let i = start; i < end; i++) out[i - start] = this.tokens[this.lists[i]]
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
      this.checksums.forEach((c, row) => rows.has(c) || rows.set(c, row))
      this.byChecksum = rows
    }
    return this.byChecksum.get(checksum) ?? -1
  }

  /** The first row named `name`, or -1. */
  rowOfName(name: string): number {
    return this.names.indexOf(name)
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
  const tokens: Dependency[] = []
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
  const tokenNameKeys: number[] = []
  const table = new PackageTable(tokens, (_, row) => packages[row], strings, tokenNameKeys)
  const rows = packages.length
  const columns = {
    rows,
    installedSizes: new Float64Array(rows),
    priorities: new Float64Array(rows),
    listEnds: new Int32Array(rows * 3),
    lists: new Int32Array(0)
  }
  const repositories = new Int32Array(rows)
  packages.forEach((pkg, row) => {
    table.addNamed(pkg.checksum, pkg.name, keyOf(pkg.name), pkg.version, pkg.arch)
    columns.installedSizes[row] = pkg.installedSize
    columns.priorities[row] = pkg.providerPriority
    repositories[row] = pkg.repository
    ;[pkg.depends, pkg.provides, pkg.installIf].forEach((deps, which) => {
      for (const dep of deps) {
        let at = positions.get(dep)
        if (at === undefined) {
          at = tokens.length
          tokens.push(dep)
          tokenNameKeys.push(keyOf(dep.name))
          positions.set(dep, at)
        }
        lists.push(at)
      }
      columns.listEnds[row * 3 + which] = lists.length
    })
  })
  columns.lists = Int32Array.from(lists)
  table.addColumns(columns, repositories)
  table.seal()
  return table
}
