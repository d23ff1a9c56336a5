/**
 * The solver's view of a package database: every name with its providers and reverse edges, every
 * package with its resolved dependency names, and the repository tags. It mirrors apk-tools'
 * `apk_name` / `apk_package` / `repo_tags`, including their per-solve state, so core.ts can
 * follow apk's algorithm step by step.
 *
 * Names and packages are numbers, and everything about them sits in columns (typed arrays, and
 * plain arrays for strings): main + community has 52,000 names and 23,000 packages, and one object
 * per name, package, provider and dependency, each with lists of its own, took 21 MiB; columns
 * take a fraction of that, and there is nothing for the collector to trace. The lists (a name's
 * providers and reverse edges, a package's depends, provides and install_if) are ranges of one
 * array each, `start[i]` to `start[i + 1]`.
 */
import { satisfiedByProvider } from '../formats/dependency.js'
import {
  DEPENDS,
  INSTALL_IF,
  PROVIDES,
  PackageTable,
  ROW_KEYS,
  tableOfPackages,
  TOKEN_WORDS
} from '../formats/package-table.js'
import { InvalidArgumentError } from '../errors.js'
import { GraphBuildMemory } from './graph-build.js'
import { collectNow } from '../../released-memory.js'
import type { Dependency, RepoPackage, Repository } from '../types.js'

export { DEPENDS, INSTALL_IF, PROVIDES }

/** No package: a name nothing was chosen for, or the world as a dependent. */
export const NO_PKG = -1
/** Where a provider's version comes from: the package's own (else a provides token's number). */
export const OWN = -1

// Name state bits (apk's `apk_solver_name_state`).
export const N_SEEN = 1
export const N_LOCKED = 2
export const N_HAS_VIRTUAL_PROVIDES = 4
export const N_REEVALUATE_DEPS = 8
export const N_REEVALUATE_IIF = 16
export const N_HAS_IIF = 32
export const N_NO_IIF = 64
export const N_IIF_NEEDED = 128
export const N_HAS_OPTIONS = 256
export const N_REVERSE_DEPS_DONE = 512
export const N_HAS_AUTO_SELECTABLE = 1024
export const N_IN_DIRTY = 2048
export const N_IN_UNRESOLVED = 4096
export const N_CHANGESET_PROCESSED = 8192

// Package state bits (apk's `apk_solver_package_state`).
export const P_SEEN = 1
export const P_SELECTABLE = 2
export const P_IIF_TRIGGERED = 4
export const P_IIF_FAILED = 8
export const P_TAG_OK = 16
export const P_TAG_PREFERRED = 32
export const P_DEPENDENCIES_MERGED = 64
export const P_DEPENDENCIES_USED = 128
export const P_ERROR = 256
export const P_IN_CHANGESET = 512

/** How many names are looked up one by one after the build before a map of them is made. */
const LOOKUPS_WITHOUT_MAP = 8

/** At most 31 repositories (apk allows 32), so a repository bitmask fits a 32-bit integer. */
const MAX_REPOSITORIES = 31

/** A tag as written in a repositories line or a world dependency, without the `@`. */
export function normalizeTag(tag: string | undefined): string {
  if (tag === undefined) return ''
  return tag.startsWith('@') ? tag.slice(1) : tag
}

function archFits(pkgArch: string | undefined, arch: string): boolean {
  return pkgArch === undefined || pkgArch === '' || pkgArch === arch || pkgArch === 'noarch'
}

/**
 * The graph. Names and packages are numbered from 0 in the order they are met; their state is
 * reset in place between solves (fresh state per solve was slower: V8 pretenures it).
 */
export class SolverGraph {
  /** Tag names by id; id 0 is the untagged default. */
  readonly tags: string[] = ['']
  /** For each tag id, the bitmask of repositories carrying that tag. */
  readonly tagRepos: number[] = [0]

  // --- names ---
  nameCount = 0
  names: string[] = []
  /** Names looked up after the build, and how many lookups there were (see find). */
  private readonly found = new Map<string, number>()
  private lookups = 0
  /** Every name by its string, once more than a few were looked up. */
  private ids: Map<string, number> | undefined
  /** Each name's providers: entries `provStart[n]` to `provStart[n + 1]`. */
  provStart = new Int32Array(1)
  /** The providing package of each provider entry. */
  provPkg = new Int32Array(0)
  /** Where its version comes from: OWN (the package's), or the provides token (see versionOf). */
  provDep = new Int32Array(0)
  /** Names of packages that depend on a name (conflicts too), in database order. */
  rdepStart = new Int32Array(1)
  rdeps = new Int32Array(0)
  /** Names of packages whose install_if mentions a name. */
  riifStart = new Int32Array(1)
  riifs = new Int32Array(0)

  // --- name state ---
  nflags = new Int32Array(0)
  chosenPkg = new Int32Array(0)
  /** Where the chosen provider's version comes from, as provDep. */
  chosenDep = new Int32Array(0)
  requirers = new Int32Array(0)
  mergeDepends = new Int32Array(0)
  mergeProvides = new Int32Array(0)
  orderId = new Int32Array(0)

  // --- dependencies: every table's tokens, one after the other ---
  /** The tokens made so far (see dep()). */
  private deps: Dependency[] = []
  /** Where each table's tokens start. */
  private readonly tokenBases: number[] = []
  /** The name of each dependency, or -1 until a package's list uses it. */
  depName = new Int32Array(0)

  // --- packages ---
  packageCount = 0
  pkgName = new Int32Array(0)
  /** Bit i set: the package is in the i-th configured repository. */
  pkgRepos = new Int32Array(0)
  pkgVersion: string[] = []
  pkgPriority = new Float64Array(0)
  /** False when the package cannot be installed at all (wrong arch). */
  pkgInstallable = new Int32Array(0)
  pkgEmpty = new Int32Array(0)
  /** Each package's depends, provides and install_if, as dependency numbers: 3 per package. */
  pkgListStart = new Int32Array(1)
  pkgLists = new Int32Array(0)
  private pkgTable = new Int32Array(0)
  private pkgRow = new Int32Array(0)
  private readonly tables: PackageTable[] = []

  // --- package state ---
  pflags = new Int32Array(0)
  conflicts = new Int32Array(0)
  pinningAllowed = new Int32Array(0)
  pinningPreferred = new Int32Array(0)

  // --- building ---
  private readonly repoBits = new Map<number, number>()

  constructor(
    repositories: Repository[],
    private readonly arch: string | undefined
  ) {
    if (repositories.length > MAX_REPOSITORIES) {
      throw new InvalidArgumentError(
        `${repositories.length} repositories configured; at most ${MAX_REPOSITORIES} are supported`
      )
    }
    const ordered = [...repositories].sort((a, b) => a.index - b.index)
    ordered.forEach((repo, position) => {
      const bit = 1 << position
      this.repoBits.set(repo.index, bit)
      const tag = normalizeTag(repo.tag)
      let id = this.tags.indexOf(tag)
      if (id < 0) {
        id = this.tags.length
        this.tags.push(tag)
        this.tagRepos.push(0)
      }
      this.tagRepos[id] |= bit
    })
  }

  /** The id of a configured tag, or -1. */
  tagId(tag: string): number {
    return this.tags.indexOf(tag)
  }

  /** The name's number, a new name (with no providers) when nothing mentioned it yet. */
  name(name: string): number {
    const id = this.find(name)
    if (id >= 0) return id
    const n = this.newName(name)
    if (this.ids !== undefined) this.ids.set(name, n)
    else this.found.set(name, n)
    this.nameAdded(n)
    return n
  }

  /**
   * The number of an existing name, or -1. The build numbers names by their tables' keys and
   * makes no map of them all (on main + community, 52,000 names took 1.8 MiB as a map, held
   * through the solve): the first few names asked for afterwards (a resolve's world) are looked
   * for one by one (0.1-0.4 ms each), and the map is made only once more are.
   */
  private find(name: string): number {
    if (this.ids !== undefined) return this.ids.get(name) ?? -1
    const id = this.found.get(name)
    if (id !== undefined) return id
    if (++this.lookups > LOOKUPS_WITHOUT_MAP) {
      this.ids = new Map()
      for (let n = this.nameCount - 1; n >= 0; n--) this.ids.set(this.names[n], n)
      return this.ids.get(name) ?? -1
    }
    const n = this.names.indexOf(name)
    if (n >= 0) this.found.set(name, n)
    return n
  }

  private newName(name: string): number {
    const n = this.nameCount++
    if (n < this.names.length) this.names[n] = name
    else this.names.push(name)
    return n
  }

  /** Every name some package provides. */
  providedNames(): string[] {
    const out: string[] = []
    for (let n = 0; n < this.nameCount; n++) {
      if (this.provStart[n + 1] > this.provStart[n]) out.push(this.names[n])
    }
    return out
  }

  /** The packages providing `name`, each once, in database order. */
  packagesProviding(name: string): RepoPackage[] {
    const n = this.find(name)
    if (n < 0) return []
    // A set: `so:libc.musl-x86_64.so.1` has thousands of providers in main + community.
    const out = new Set<RepoPackage>()
    for (let e = this.provStart[n]; e < this.provStart[n + 1]; e++) {
      out.add(this.pkg(this.provPkg[e]))
    }
    return [...out]
  }

  /**
   * The version `pkg` provides a name under: its own (`source` OWN) or a provides token's;
   * undefined for an unversioned provide, or no package.
   */
  versionOf(pkg: number, source: number): string | undefined {
    if (pkg === NO_PKG) return undefined
    return source === OWN ? this.pkgVersion[pkg] : this.dep(source).version
  }

  /** Dependency `d` (a token of one of the tables), made on first use. */
  dep(d: number): Dependency {
    let dep = this.deps[d]
    if (dep === undefined) {
      let t = this.tokenBases.length - 1
      while (this.tokenBases[t] > d) t--
      dep = this.tables[t].token(d - this.tokenBases[t])
      this.deps[d] = dep
    }
    return dep
  }

  /** The version of provider entry `e`. */
  provVersion(e: number): string | undefined {
    return this.versionOf(this.provPkg[e], this.provDep[e])
  }

  /** The version of the provider chosen for `name` (undefined: none, or unversioned). */
  chosenVersion(name: number): string | undefined {
    return this.versionOf(this.chosenPkg[name], this.chosenDep[name])
  }

  /** The whole package (made on first use). */
  pkg(p: number): RepoPackage {
    return this.tables[this.pkgTable[p]].package(this.pkgRow[p])
  }

  /** Package `p`'s identity (`C:`), read from its table's row. */
  checksumOf(p: number): string {
    return this.tables[this.pkgTable[p]].checksum(this.pkgRow[p])
  }

  /** Forgets the state of the previous solve. */
  resetState(): void {
    this.nflags.fill(0)
    this.chosenPkg.fill(NO_PKG)
    this.chosenDep.fill(OWN)
    this.requirers.fill(0)
    this.mergeDepends.fill(0)
    this.mergeProvides.fill(0)
    this.orderId.fill(0)
    this.pflags.fill(0)
    this.conflicts.fill(0)
    this.pinningAllowed.fill(0)
    this.pinningPreferred.fill(0)
  }

  /** A package from a repository the options did not list counts as an untagged repository. */
  private repoBit(index: number): number {
    let bit = this.repoBits.get(index)
    if (bit === undefined) {
      bit = 1 << Math.min(this.repoBits.size, MAX_REPOSITORIES)
      this.repoBits.set(index, bit)
      this.tagRepos[0] |= bit
    }
    return bit
  }

  /**
   * Builds the graph from the tables' rows, in order. The part that visits every list entry
   * (names, lists, providers, reverse edges) runs in WebAssembly (graph-build.ts); here, each
   * row's own fields, and which identities merge. Returns how much memory the module took, which
   * goes once it is collected.
   */
  build(tables: PackageTable[]): number {
    // Every column is made at its full size up front, so the build leaves no grown copies behind.
    let rows = 0
    let tokens = 0
    let entries = 0
    const largest = { rows: 0, entries: 0, tokens: 0, keys: 0 }
    for (const table of tables) {
      const tableEntries = table.listStarts[table.count * 3]
      rows += table.count
      tokens += table.tokenCount
      entries += tableEntries
      largest.rows = Math.max(largest.rows, table.count)
      largest.entries = Math.max(largest.entries, tableEntries)
      largest.tokens = Math.max(largest.tokens, table.tokenCount)
      largest.keys = Math.max(largest.keys, table.strings.length)
    }
    // Names are packages' own names and dependencies' names: at most one per row and token.
    const w = new GraphBuildMemory({ rows, tokens, names: rows + tokens, entries, largest })
    this.names = new Array<string>(rows + tokens)
    this.pkgRepos = new Int32Array(rows)
    this.pkgVersion = new Array<string>(rows)
    this.pkgPriority = new Float64Array(rows)
    this.pkgInstallable = new Int32Array(rows)
    this.pkgEmpty = new Int32Array(rows)
    this.pkgTable = new Int32Array(rows)
    this.pkgRow = new Int32Array(rows)
    this.deps = new Array<Dependency>(tokens)
    const byChecksum = new Map<string, number>()
    /** The names of the tables so far by string, from the second table on. */
    let earlier: Map<string, number> | undefined
    let base = 0
    tables.forEach((table, t) => {
      this.tables.push(table)
      const last = t === tables.length - 1
      this.tokenBases.push(base)
      const keep = this.addRows(table, t, byChecksum, last)
      // A table's keys are distinct names, so only a name of an earlier table can be met again.
      let preset: Int32Array | undefined
      if (t > 0) {
        if (earlier === undefined) {
          earlier = new Map()
          for (let n = this.nameCount - 1; n >= 0; n--) earlier.set(this.names[n], n)
        }
        preset = new Int32Array(table.strings.length)
        for (let key = 0; key < table.strings.length; key++) {
          preset[key] = earlier.get(table.strings[key]) ?? -1
        }
      }
      const before = w.nameCount
      const keyNames = w.addTable({
        rows: table.count,
        rowKeys: table.rowKeys.subarray(0, table.count * ROW_KEYS),
        listStarts: table.listStarts,
        lists: table.lists,
        tokenWords: table.tokenWords.subarray(0, table.tokenCount * TOKEN_WORDS),
        keys: table.strings.length,
        base,
        keep,
        preset
      })
      for (let key = 0; key < keyNames.length; key++) {
        const n = keyNames[key] - 1
        if (n < before) continue
        this.names[n] = table.strings[key]
        if (!last) earlier?.set(table.strings[key], n)
      }
      this.nameCount = w.nameCount
      base += table.tokenCount
    })
    this.finish(w)
    return w.memoryBytes
  }

  /**
   * Each row's own fields, as a package, in order: a row whose identity an earlier one has
   * (another repository's copy) only adds its repository to that package, as apk merges them.
   * Returns which rows became packages, unless all did.
   */
  private addRows(
    table: PackageTable,
    t: number,
    byChecksum: Map<string, number>,
    last: boolean
  ): Uint8Array | undefined {
    // An index's table has each identity once: only earlier tables' are looked up, and only
    // for a later table need they be kept.
    const lookUp = t > 0 || !table.unique
    const record = !last || !table.unique
    const keep = lookUp ? new Uint8Array(table.count) : undefined
    let repository = -1
    let bit = 0
    for (let row = 0, rows = table.count; row < rows; row++) {
      if (table.repositories[row] !== repository) {
        repository = table.repositories[row]
        bit = this.repoBit(repository)
      }
      // Read only where identities are compared (a table's own are distinct; checksumOf()).
      const checksum = lookUp || record ? table.checksum(row) : ''
      if (checksum !== '') {
        const same = lookUp ? byChecksum.get(checksum) : undefined
        if (same !== undefined) {
          this.pkgRepos[same] |= bit
          continue
        }
      }
      if (keep !== undefined) keep[row] = 1
      const p = this.packageCount++
      if (record && checksum !== '') byChecksum.set(checksum, p)
      this.pkgRepos[p] = bit
      this.pkgVersion[p] = table.version(row)
      this.pkgPriority[p] = table.priorities[row]
      this.pkgInstallable[p] =
        this.arch === undefined || archFits(table.arch(row), this.arch) ? 1 : 0
      this.pkgEmpty[p] = table.installedSizes[row] === 0 ? 1 : 0
      this.pkgTable[p] = t
      this.pkgRow[p] = row
    }
    return keep
  }

  /** Takes the module's columns, and sizes every column to what it holds. */
  private finish(w: GraphBuildMemory): void {
    const names = this.nameCount
    this.names.length = names
    const capacity = names + 16
    const c = w.finish(capacity)
    this.pkgName = c.pkgName
    this.pkgListStart = c.pkgListStart
    this.pkgLists = c.pkgLists
    this.depName = c.depName
    this.provStart = c.provStart
    this.provPkg = c.provPkg
    this.provDep = c.provDep
    this.rdepStart = c.rdepStart
    this.rdeps = c.rdeps
    this.riifStart = c.riifStart
    this.riifs = c.riifs

    const count = this.packageCount
    if (count < this.pkgRepos.length) {
      // Identities met in several repositories: fewer packages than rows.
      this.pkgRepos = this.pkgRepos.slice(0, count)
      this.pkgVersion.length = count
      this.pkgPriority = this.pkgPriority.slice(0, count)
      this.pkgInstallable = this.pkgInstallable.slice(0, count)
      this.pkgEmpty = this.pkgEmpty.slice(0, count)
      this.pkgTable = this.pkgTable.slice(0, count)
      this.pkgRow = this.pkgRow.slice(0, count)
    }
    this.pflags = new Int32Array(count)
    this.conflicts = new Int32Array(count)
    this.pinningAllowed = new Int32Array(count)
    this.pinningPreferred = new Int32Array(count)

    this.nflags = new Int32Array(capacity)
    this.chosenPkg = new Int32Array(capacity).fill(NO_PKG)
    this.chosenDep = new Int32Array(capacity).fill(OWN)
    this.requirers = new Int32Array(capacity)
    this.mergeDepends = new Int32Array(capacity)
    this.mergeProvides = new Int32Array(capacity)
    this.orderId = new Int32Array(capacity)
  }

  /** Room for a name added after the build (a world name nothing mentions): no edges. */
  private nameAdded(n: number): void {
    if (n + 1 < this.provStart.length) return
    const size = (n + 1) * 2
    const ends = (a: Int32Array) => {
      const larger = new Int32Array(size + 1)
      larger.set(a)
      larger.fill(a[a.length - 1], a.length)
      return larger
    }
    this.provStart = ends(this.provStart)
    this.rdepStart = ends(this.rdepStart)
    this.riifStart = ends(this.riifStart)
    const state = (a: Int32Array, fill: number) => {
      const larger = new Int32Array(size).fill(fill)
      larger.set(a)
      return larger
    }
    this.nflags = state(this.nflags, 0)
    this.chosenPkg = state(this.chosenPkg, NO_PKG)
    this.requirers = state(this.requirers, 0)
    this.mergeDepends = state(this.mergeDepends, 0)
    this.mergeProvides = state(this.mergeProvides, 0)
    this.orderId = state(this.orderId, 0)
    this.chosenDep = state(this.chosenDep, OWN)
  }
}

/**
 * The build's memory worth a collection of its own, once the graph is built: main + community's
 * takes 7 MiB (a collection, 8 ms on Node 24), v3.22 main's 1.8 MiB.
 */
const COLLECT_GRAPH_BUILD = 4 * 1024 * 1024

/** What a graph is built from: the opened indexes' tables, or packages already made. */
export type PackageSource = PackageTable[] | RepoPackage[]

function tablesOf(source: PackageSource): PackageTable[] {
  if (source.length === 0) return []
  if (source[0] instanceof PackageTable) return source as PackageTable[]
  return [tableOfPackages(source as RepoPackage[])]
}

/**
 * Builds the graph from packages in database order (repositories in configured order, index
 * stanzas in order). `arch`, when given, makes packages of another arch uninstallable.
 */
export function buildGraph(
  source: PackageSource,
  repositories: Repository[],
  arch: string | undefined
): SolverGraph {
  const graph = new SolverGraph(repositories, arch)
  const moduleMemory = graph.build(tablesOf(source))
  // The module's memory goes back to the system only when V8 collects it, and the solve that
  // follows would peak above it: 5 MiB on main + community.
  if (moduleMemory >= COLLECT_GRAPH_BUILD) collectNow()
  return graph
}

interface CachedGraph {
  key: string
  graph: SolverGraph
}

const cache = new WeakMap<PackageSource, CachedGraph>()

function cacheKey(source: PackageSource, repositories: Repository[], arch: string | undefined) {
  const repos = repositories.map((r) => `${r.index}@${normalizeTag(r.tag)}`).join(',')
  return `${arch ?? ''}|${repos}|${source.length}`
}

/**
 * The graph for this package source, built once per source (and repositories/arch) and kept:
 * building it is the larger part of a solve on a full index. The source must not change between
 * calls; a different length rebuilds it. Its solver state is what the last solve left: see
 * graphFor.
 */
export function graphOf(
  source: PackageSource,
  repositories: Repository[],
  arch: string | undefined
): SolverGraph {
  const key = cacheKey(source, repositories, arch)
  const hit = cache.get(source)
  if (hit !== undefined && hit.key === key) return hit.graph
  const graph = buildGraph(source, repositories, arch)
  cache.set(source, { key, graph })
  return graph
}

/** graphOf, with fresh solver state for a new solve. */
export function graphFor(
  source: PackageSource,
  repositories: Repository[],
  arch: string | undefined
): SolverGraph {
  const hit = cache.get(source)
  const graph = graphOf(source, repositories, arch)
  if (hit?.graph === graph) graph.resetState()
  return graph
}

/** The repositories (bitmask) that the tags in `mask` allow. */
export function pinningMaskRepos(graph: SolverGraph, mask: number): number {
  let repos = 0
  for (let id = 0; id < graph.tags.length; id++) {
    if (mask & (1 << id)) repos |= graph.tagRepos[id]
  }
  return repos
}

/**
 * apk's test of a dependency against a provider of its name, chosen or offered: package `pkg`
 * (NO_PKG: none) providing it under `version`. `dependent` is the package that has the dependency
 * (NO_PKG: the world).
 */
export function isProvided(
  graph: SolverGraph,
  dep: Dependency,
  pkg: number,
  version: string | undefined,
  dependent: number
): boolean {
  if (pkg === NO_PKG) return dep.conflict
  // A package that provides a name it also conflicts with does not conflict with itself.
  if (dep.conflict && dependent === pkg) return true
  return satisfiedByProvider(dep, graph.checksumOf(pkg), version)
}

/** isProvided against the provider chosen for the dependency's name. */
export function isProvidedByChosen(
  graph: SolverGraph,
  dep: Dependency,
  name: number,
  dependent: number
): boolean {
  return isProvided(graph, dep, graph.chosenPkg[name], graph.chosenVersion(name), dependent)
}

/** The tag a chosen package installs under (apk's `get_tag`): the first allowed tag carrying it. */
export function packageTag(graph: SolverGraph, pkg: number): number {
  for (let id = 0; id < graph.tags.length; id++) {
    if (graph.pinningAllowed[pkg] & (1 << id) && graph.pkgRepos[pkg] & graph.tagRepos[id]) return id
  }
  return 0
}
