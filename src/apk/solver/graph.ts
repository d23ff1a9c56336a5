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
  tableOfPackages
} from '../formats/package-table.js'
import { InvalidArgumentError } from '../errors.js'
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
 * Lists per owner built by appending, as chains in typed arrays (a list per owner would be an
 * object and spare room each), then laid out as ranges of one array by `ranges`. Made with room
 * for all the owners and entries the build can add: it knows them before it starts.
 */
class Chains {
  private readonly head: Int32Array
  private readonly tail: Int32Array
  private readonly next: Int32Array
  private readonly value: Int32Array
  private count = 0

  /** Room for owners 0 to `owners` - 1 and for `entries` entries. */
  constructor(owners: number, entries: number) {
    this.head = new Int32Array(Math.max(owners, 1)).fill(-1)
    this.tail = new Int32Array(Math.max(owners, 1)).fill(-1)
    this.next = new Int32Array(Math.max(entries, 1))
    this.value = new Int32Array(Math.max(entries, 1))
  }

  append(owner: number, value: number): void {
    const at = this.count++
    this.next[at] = -1
    this.value[at] = value
    const last = this.tail[owner]
    if (last < 0) this.head[owner] = at
    else this.next[last] = at
    this.tail[owner] = at
  }

  /** The last value appended for `owner`, or -1. */
  last(owner: number): number {
    const at = this.tail[owner]
    return at < 0 ? -1 : this.value[at]
  }

  includes(owner: number, value: number): boolean {
    for (let at = this.head[owner]; at >= 0; at = this.next[at]) {
      if (this.value[at] === value) return true
    }
    return false
  }

  /**
   * The lists as ranges: `start` (owners + 1 entries, room for `capacity` owners) and `values`.
   */
  ranges(
    owners: number,
    capacity: number
  ): { start: Int32Array<ArrayBuffer>; values: Int32Array<ArrayBuffer> } {
    const start = new Int32Array(capacity + 1)
    const values = new Int32Array(this.count)
    let k = 0
    for (let owner = 0; owner < owners; owner++) {
      start[owner] = k
      for (let at = this.head[owner]; at >= 0; at = this.next[at]) values[k++] = this.value[at]
    }
    start.fill(k, owners)
    return { start, values }
  }
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
  private readonly ids = new Map<string, number>()
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
  depObj: Dependency[] = []
  /** The name of each dependency, or -1 until a package's list uses it. */
  depName = new Int32Array(0)

  // --- packages ---
  packageCount = 0
  pkgName = new Int32Array(0)
  /** Bit i set: the package is in the i-th configured repository. */
  pkgRepos = new Int32Array(0)
  pkgVersion: string[] = []
  pkgChecksum: string[] = []
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
  /** How many leading provides are known to be discovered (a discovery shortcut). */
  providesSeen = new Int32Array(0)

  // --- building ---
  private readonly repoBits = new Map<number, number>()
  private building: Builder | undefined

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
    const id = this.ids.get(name)
    if (id !== undefined) return id
    const n = this.nameCount++
    if (n < this.names.length) this.names[n] = name
    else this.names.push(name)
    this.ids.set(name, n)
    if (this.building === undefined) this.nameAdded(n)
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
    const n = this.ids.get(name)
    if (n === undefined) return []
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
    return source === OWN ? this.pkgVersion[pkg] : this.depObj[source].version
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
    this.providesSeen.fill(0)
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

  /** Builds the graph from the tables' rows, in order. */
  build(tables: PackageTable[]): void {
    // Every column is made at its full size up front, so the build leaves no grown copies behind.
    let rows = 0
    let tokens = 0
    const entries = [0, 0, 0]
    for (const table of tables) {
      rows += table.count
      tokens += table.tokens.length
      for (let row = 0, rows = table.count; row < rows; row++) {
        for (let which = 0; which < 3; which++) {
          entries[which] +=
            table.listStarts[row * 3 + which + 1] - table.listStarts[row * 3 + which]
        }
      }
    }
    // Names are packages' own names and dependencies' names: at most one per row and token.
    const b = new Builder(rows + tokens, entries[DEPENDS], entries[INSTALL_IF])
    this.building = b
    this.names = new Array<string>(rows + tokens)
    this.pkgName = new Int32Array(rows)
    this.pkgRepos = new Int32Array(rows)
    this.pkgVersion = new Array<string>(rows)
    this.pkgChecksum = new Array<string>(rows)
    this.pkgPriority = new Float64Array(rows)
    this.pkgInstallable = new Int32Array(rows)
    this.pkgEmpty = new Int32Array(rows)
    this.pkgTable = new Int32Array(rows)
    this.pkgRow = new Int32Array(rows)
    this.pkgListStart = new Int32Array(rows * 3 + 1)
    this.pkgLists = new Int32Array(entries[0] + entries[1] + entries[2])
    this.depObj = new Array<Dependency>(tokens)
    this.depName = new Int32Array(tokens).fill(-1)
    let base = 0
    tables.forEach((table, t) => {
      this.tables.push(table)
      // An index's table has each identity once, so only earlier tables' rows are looked up.
      const last = tables.length > 1 && t === tables.length - 1
      this.addTable(table, t, base, b, last)
      base += table.tokens.length
    })
    this.building = undefined
    this.finish(b)
  }

  private addTable(table: PackageTable, t: number, base: number, b: Builder, last: boolean): void {
    for (let i = 0; i < table.tokens.length; i++) this.depObj[base + i] = table.tokens[i]
    for (let row = 0, rows = table.count; row < rows; row++) {
      const bit = this.repoBit(table.repositories[row])
      // apk merges one identity seen in several repositories into one package.
      const checksum = table.checksums[row]
      const same = checksum !== '' ? b.byChecksum.get(checksum) : undefined
      if (same !== undefined) {
        this.pkgRepos[same] |= bit
        continue
      }
      const p = this.packageCount++
      if (checksum !== '' && !last) b.byChecksum.set(checksum, p)
      this.pkgName[p] = this.name(table.names[row])
      this.pkgRepos[p] = bit
      this.pkgVersion[p] = table.versions[row]
      this.pkgChecksum[p] = checksum
      this.pkgPriority[p] = table.priorities[row]
      this.pkgInstallable[p] =
        this.arch === undefined || archFits(table.arches[row], this.arch) ? 1 : 0
      this.pkgEmpty[p] = table.installedSizes[row] === 0 ? 1 : 0
      this.pkgTable[p] = t
      this.pkgRow[p] = row
      for (let which = 0; which < 3; which++) {
        const at = this.pkgListStart[p * 3 + which]
        const start = table.listStarts[row * 3 + which]
        const end = table.listStarts[row * 3 + which + 1]
        for (let i = start; i < end; i++) {
          const d = base + table.lists[i]
          if (this.depName[d] < 0) this.depName[d] = this.name(this.depObj[d].name)
          this.pkgLists[at + i - start] = d
        }
        this.pkgListStart[p * 3 + which + 1] = at + end - start
      }
      this.link(p, b)
    }
  }

  /** Adds a package to its dependencies' reverse edges. */
  private link(p: number, b: Builder): void {
    const own = this.pkgName[p]
    // Only a name with an earlier package can already be on a reverse list: scan only then.
    const maybeListed = b.named[own] !== 0
    b.named[own] = 1
    const ls = this.pkgListStart
    for (let i = ls[p * 3 + DEPENDS]; i < ls[p * 3 + DEPENDS + 1]; i++) {
      appendOnce(b.rdepends, this.depName[this.pkgLists[i]], own, maybeListed)
    }
    for (let i = ls[p * 3 + INSTALL_IF]; i < ls[p * 3 + INSTALL_IF + 1]; i++) {
      appendOnce(b.rinstallIf, this.depName[this.pkgLists[i]], own, maybeListed)
    }
  }

  /** Lays the lists out as ranges and sizes every column to what it holds. */
  private finish(b: Builder): void {
    const names = this.nameCount
    this.names.length = names
    const capacity = names + 16
    this.layOutProviders(capacity)
    const rdepends = b.rdepends.ranges(names, capacity)
    this.rdepStart = rdepends.start
    this.rdeps = rdepends.values
    const rinstallIf = b.rinstallIf.ranges(names, capacity)
    this.riifStart = rinstallIf.start
    this.riifs = rinstallIf.values

    const count = this.packageCount
    if (count < this.pkgName.length) {
      // Identities met in several repositories: fewer packages than rows.
      this.pkgName = this.pkgName.slice(0, count)
      this.pkgRepos = this.pkgRepos.slice(0, count)
      this.pkgVersion.length = count
      this.pkgChecksum.length = count
      this.pkgPriority = this.pkgPriority.slice(0, count)
      this.pkgInstallable = this.pkgInstallable.slice(0, count)
      this.pkgEmpty = this.pkgEmpty.slice(0, count)
      this.pkgTable = this.pkgTable.slice(0, count)
      this.pkgRow = this.pkgRow.slice(0, count)
      this.pkgListStart = this.pkgListStart.slice(0, count * 3 + 1)
      this.pkgLists = this.pkgLists.slice(0, this.pkgListStart[count * 3])
    }
    this.pflags = new Int32Array(count)
    this.conflicts = new Int32Array(count)
    this.pinningAllowed = new Int32Array(count)
    this.pinningPreferred = new Int32Array(count)
    this.providesSeen = new Int32Array(count)

    this.nflags = new Int32Array(capacity)
    this.chosenPkg = new Int32Array(capacity).fill(NO_PKG)
    this.chosenDep = new Int32Array(capacity).fill(OWN)
    this.requirers = new Int32Array(capacity)
    this.mergeDepends = new Int32Array(capacity)
    this.mergeProvides = new Int32Array(capacity)
    this.orderId = new Int32Array(capacity)
  }

  /**
   * Each name's providers in database order (a package under its own name, then its provides in
   * order): counted per name first, then placed, so nothing but the result is made.
   */
  private layOutProviders(capacity: number): void {
    const count = this.packageCount
    const ls = this.pkgListStart
    const start = new Int32Array(capacity + 1)
    for (let p = 0; p < count; p++) {
      start[this.pkgName[p] + 1]++
      for (let i = ls[p * 3 + PROVIDES]; i < ls[p * 3 + PROVIDES + 1]; i++) {
        start[this.depName[this.pkgLists[i]] + 1]++
      }
    }
    for (let n = 0; n < capacity; n++) start[n + 1] += start[n]
    const next = start.slice(0, this.nameCount)
    const pkgs = new Int32Array(start[capacity])
    const sources = new Int32Array(start[capacity])
    for (let p = 0; p < count; p++) {
      const at = next[this.pkgName[p]]++
      pkgs[at] = p
      sources[at] = OWN
      for (let i = ls[p * 3 + PROVIDES]; i < ls[p * 3 + PROVIDES + 1]; i++) {
        const d = this.pkgLists[i]
        const e = next[this.depName[d]]++
        pkgs[e] = p
        sources[e] = d
      }
    }
    this.provStart = start
    this.provPkg = pkgs
    this.provDep = sources
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

/** What only the build needs; let go of once it is done. */
class Builder {
  readonly byChecksum = new Map<string, number>()
  /** 1 for each name some package has as its own name so far. */
  readonly named: Uint8Array
  readonly rdepends: Chains
  readonly rinstallIf: Chains

  constructor(names: number, depends: number, installIf: number) {
    this.named = new Uint8Array(names)
    this.rdepends = new Chains(names, depends)
    this.rinstallIf = new Chains(names, installIf)
  }
}

/** Appends `name` unless it is the last entry or, when it may be listed, anywhere in the list. */
function appendOnce(chains: Chains, owner: number, name: number, maybeListed: boolean): void {
  if (chains.last(owner) === name) return
  if (maybeListed && chains.includes(owner, name)) return
  chains.append(owner, name)
}

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
  graph.build(tablesOf(source))
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
  return satisfiedByProvider(dep, graph.pkgChecksum[pkg], version)
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
