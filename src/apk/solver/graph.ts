/**
 * The solver's view of a package database: every name with its providers and reverse edges, every
 * package with its resolved dependency names, and the repository tags. It mirrors apk-tools'
 * `apk_name` / `apk_package` / `repo_tags`, including their per-solve state, so core.ts can
 * follow apk's algorithm step by step.
 *
 * It is built from PackageTables in two parts. The numbering is made for every package at once,
 * in flat arrays: names, packages (one per identity), and each name's providers, reverse
 * dependencies and reverse install_if. The objects the solver walks (SolverName, SolverPackage
 * and their lists) are made when a solve first reaches them: a solve that touches part of a
 * large index pays for that part, in time and in memory.
 */
import { satisfiedByProvider } from '../formats/dependency.js'
import {
  DEPENDS,
  INSTALL_IF,
  PROVIDES,
  tableOfPackages,
  type PackageTable
} from '../formats/package-table.js'
import { InvalidArgumentError } from '../errors.js'
import type { Dependency, RepoPackage, Repository } from '../types.js'

const NO_NAMES = Object.freeze([]) as unknown as SolverName[]
const NO_DEPS = Object.freeze([]) as unknown as SolverDep[]
const NO_PROVIDERS = Object.freeze([]) as unknown as Provider[]

/**
 * Per-name solver state (apk's `apk_solver_name_state`). The yes/no fields are bits of one
 * number: a graph has tens of thousands of names, and a field per flag would cost each of them
 * eight bytes.
 */
export class NameState {
  private flags = 0
  chosen: Provider = NO_PROVIDER
  requirers = 0
  mergeDepends = 0
  mergeProvides = 0
  orderId = 0

  reset(): void {
    this.flags = 0
    this.chosen = NO_PROVIDER
    this.requirers = 0
    this.mergeDepends = 0
    this.mergeProvides = 0
    this.orderId = 0
  }

  get seen(): boolean {
    return (this.flags & 1) !== 0
  }
  set seen(on: boolean) {
    this.flags = on ? this.flags | 1 : this.flags & ~1
  }

  get locked(): boolean {
    return (this.flags & 2) !== 0
  }
  set locked(on: boolean) {
    this.flags = on ? this.flags | 2 : this.flags & ~2
  }

  get hasVirtualProvides(): boolean {
    return (this.flags & 4) !== 0
  }
  set hasVirtualProvides(on: boolean) {
    this.flags = on ? this.flags | 4 : this.flags & ~4
  }

  get reevaluateDeps(): boolean {
    return (this.flags & 8) !== 0
  }
  set reevaluateDeps(on: boolean) {
    this.flags = on ? this.flags | 8 : this.flags & ~8
  }

  get reevaluateIif(): boolean {
    return (this.flags & 16) !== 0
  }
  set reevaluateIif(on: boolean) {
    this.flags = on ? this.flags | 16 : this.flags & ~16
  }

  get hasIif(): boolean {
    return (this.flags & 32) !== 0
  }
  set hasIif(on: boolean) {
    this.flags = on ? this.flags | 32 : this.flags & ~32
  }

  get noIif(): boolean {
    return (this.flags & 64) !== 0
  }
  set noIif(on: boolean) {
    this.flags = on ? this.flags | 64 : this.flags & ~64
  }

  get iifNeeded(): boolean {
    return (this.flags & 128) !== 0
  }
  set iifNeeded(on: boolean) {
    this.flags = on ? this.flags | 128 : this.flags & ~128
  }

  get hasOptions(): boolean {
    return (this.flags & 256) !== 0
  }
  set hasOptions(on: boolean) {
    this.flags = on ? this.flags | 256 : this.flags & ~256
  }

  get reverseDepsDone(): boolean {
    return (this.flags & 512) !== 0
  }
  set reverseDepsDone(on: boolean) {
    this.flags = on ? this.flags | 512 : this.flags & ~512
  }

  get hasAutoSelectable(): boolean {
    return (this.flags & 1024) !== 0
  }
  set hasAutoSelectable(on: boolean) {
    this.flags = on ? this.flags | 1024 : this.flags & ~1024
  }

  get inDirty(): boolean {
    return (this.flags & 2048) !== 0
  }
  set inDirty(on: boolean) {
    this.flags = on ? this.flags | 2048 : this.flags & ~2048
  }

  get inUnresolved(): boolean {
    return (this.flags & 4096) !== 0
  }
  set inUnresolved(on: boolean) {
    this.flags = on ? this.flags | 4096 : this.flags & ~4096
  }

  get changesetProcessed(): boolean {
    return (this.flags & 8192) !== 0
  }
  set changesetProcessed(on: boolean) {
    this.flags = on ? this.flags | 8192 : this.flags & ~8192
  }
}

/** Per-package solver state (apk's `apk_solver_package_state`), its flags packed the same way. */
export class PackageState {
  private flags = 0
  conflicts = 0
  pinningAllowed = 0
  pinningPreferred = 0
  /** How many leading provides are known to be discovered (a discovery shortcut). */
  providesSeen = 0

  reset(): void {
    this.flags = 0
    this.conflicts = 0
    this.pinningAllowed = 0
    this.pinningPreferred = 0
    this.providesSeen = 0
  }

  get seen(): boolean {
    return (this.flags & 1) !== 0
  }
  set seen(on: boolean) {
    this.flags = on ? this.flags | 1 : this.flags & ~1
  }

  get selectable(): boolean {
    return (this.flags & 2) !== 0
  }
  set selectable(on: boolean) {
    this.flags = on ? this.flags | 2 : this.flags & ~2
  }

  get iifTriggered(): boolean {
    return (this.flags & 4) !== 0
  }
  set iifTriggered(on: boolean) {
    this.flags = on ? this.flags | 4 : this.flags & ~4
  }

  get iifFailed(): boolean {
    return (this.flags & 8) !== 0
  }
  set iifFailed(on: boolean) {
    this.flags = on ? this.flags | 8 : this.flags & ~8
  }

  get tagOk(): boolean {
    return (this.flags & 16) !== 0
  }
  set tagOk(on: boolean) {
    this.flags = on ? this.flags | 16 : this.flags & ~16
  }

  get tagPreferred(): boolean {
    return (this.flags & 32) !== 0
  }
  set tagPreferred(on: boolean) {
    this.flags = on ? this.flags | 32 : this.flags & ~32
  }

  get dependenciesMerged(): boolean {
    return (this.flags & 64) !== 0
  }
  set dependenciesMerged(on: boolean) {
    this.flags = on ? this.flags | 64 : this.flags & ~64
  }

  get dependenciesUsed(): boolean {
    return (this.flags & 128) !== 0
  }
  set dependenciesUsed(on: boolean) {
    this.flags = on ? this.flags | 128 : this.flags & ~128
  }

  get error(): boolean {
    return (this.flags & 256) !== 0
  }
  set error(on: boolean) {
    this.flags = on ? this.flags | 256 : this.flags & ~256
  }

  get inChangeset(): boolean {
    return (this.flags & 512) !== 0
  }
  set inChangeset(on: boolean) {
    this.flags = on ? this.flags | 512 : this.flags & ~512
  }
}

/** A name, with its solver state (apk's `apk_name` and its `ss`). */
export class SolverName extends NameState {
  private providerList: Provider[] | undefined = undefined
  private rdependList: SolverName[] | undefined = undefined
  private rinstallIfList: SolverName[] | undefined = undefined

  constructor(
    private readonly graph: Graph,
    readonly id: number,
    readonly name: string
  ) {
    super()
  }

  /** The solver state: the name itself, one object instead of two. */
  get ss(): NameState {
    return this
  }

  /** Packages that provide this name, in database order. */
  get providers(): Provider[] {
    return (this.providerList ??= this.graph.providersOf(this.id))
  }

  /** Names of packages that depend on this name (conflicts included), in database order. */
  get rdepends(): SolverName[] {
    return (this.rdependList ??= this.graph.reverseDepends(this.id))
  }

  /** Names of packages whose install_if mentions this name. */
  get rinstallIf(): SolverName[] {
    return (this.rinstallIfList ??= this.graph.reverseInstallIf(this.id))
  }
}

export interface SolverDep {
  dep: Dependency
  name: SolverName
}

/** A package, with its solver state (apk's `apk_package` and its `ss`). */
export class SolverPackage extends PackageState {
  constructor(
    private readonly table: PackageTable,
    private readonly row: number,
    readonly name: SolverName,
    readonly depends: SolverDep[],
    readonly provides: SolverDep[],
    readonly installIf: SolverDep[],
    /** Bit i set: the package is in the i-th configured repository. */
    readonly repos: number,
    /** False when the package cannot be installed at all (wrong arch). */
    readonly installable: boolean
  ) {
    super()
  }

  /** The solver state: the package itself, one object instead of two. */
  get ss(): PackageState {
    return this
  }

  /** The whole package (made on first use). */
  get pkg(): RepoPackage {
    return this.table.package(this.row)
  }

  get version(): string {
    return this.table.versions[this.row]
  }

  get checksum(): string {
    return this.table.checksums[this.row]
  }

  get providerPriority(): number {
    return this.table.priorities[this.row]
  }

  get installedSize(): number {
    return this.table.installedSizes[this.row]
  }
}

/** A package providing a name: under its own version, a provided version, or unversioned. */
export interface Provider {
  pkg: SolverPackage | null
  /** undefined: an unversioned provide (or no provider at all). */
  version: string | undefined
}

export const NO_PROVIDER: Provider = { pkg: null, version: undefined }

export interface SolverGraph {
  /** Tag names by id; id 0 is the untagged default. */
  tags: string[]
  /** For each tag id, the bitmask of repositories carrying that tag. */
  tagRepos: number[]
  /** The id of a configured tag, or -1. */
  tagId(tag: string): number
  /** The name node, created when nothing mentioned the name yet. */
  name(name: string): SolverName
  /** Every name some package provides. */
  providedNames(): string[]
  /** The packages providing `name`, each once, in database order. */
  packagesProviding(name: string): RepoPackage[]
  /** Forgets the state of the previous solve. */
  resetState(): void
}

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
 * Lists by name in flat arrays: name `id`'s entries are `items[starts[id] .. starts[id + 1])`,
 * and `extra` holds one more number with each entry when the pairs carried one.
 */
interface NameLists {
  starts: Int32Array
  items: Int32Array
  extra: Int32Array | undefined
}

/**
 * An array of `length` entries to fill by index: pushing would leave spare room in each of tens
 * of thousands of short lists.
 */
function exactArray<T>(length: number): T[] {
  return new Array<T>(length)
}

/** `(name, item)` pairs, and optionally a number more with each, in flat arrays of known size. */
class Pairs {
  readonly names: Int32Array
  readonly items: Int32Array
  readonly extra: Int32Array | undefined
  private n = 0

  constructor(size: number, withExtra: boolean) {
    this.names = new Int32Array(size)
    this.items = new Int32Array(size)
    this.extra = withExtra ? new Int32Array(size) : undefined
  }

  add(name: number, item: number, extra: number): void {
    this.names[this.n] = name
    this.items[this.n] = item
    if (this.extra !== undefined) this.extra[this.n] = extra
    this.n++
  }

  /** The pairs grouped by name, in their order within each name. */
  group(nameCount: number): NameLists {
    const { names, items, extra } = this
    const starts = new Int32Array(nameCount + 1)
    for (let i = 0; i < names.length; i++) starts[names[i] + 1]++
    for (let id = 0; id < nameCount; id++) starts[id + 1] += starts[id]
    const fill = starts.slice(0, nameCount)
    const grouped = new Int32Array(names.length)
    const groupedExtra = extra && new Int32Array(names.length)
    for (let i = 0; i < names.length; i++) {
      const at = fill[names[i]]++
      grouped[at] = items[i]
      if (groupedExtra !== undefined) groupedExtra[at] = (extra as Int32Array)[i]
    }
    return { starts, items: grouped, extra: groupedExtra }
  }
}

class Graph implements SolverGraph {
  readonly tags: string[] = ['']
  readonly tagRepos: number[] = [0]
  private readonly repoBits = new Map<number, number>()
  private readonly nameIds = new Map<string, number>()
  private readonly nameStrings: string[] = []
  /** Names the packages know; later ones (from the world) have no providers or reverse edges. */
  private readonly knownNames: number
  /** For each table, the name id of each of its tokens. */
  private readonly tokenNames: Int32Array[]
  // Packages, one per identity, in database order.
  private readonly pkgTable: Int32Array
  private readonly pkgRow: Int32Array
  private readonly pkgRepos: Int32Array
  private readonly providerLists: NameLists
  /** For each provider entry: -1 when it is the package's own name, else the provide's token. */
  /** For the reverse list being made: which making of a list last took each name, and those taken. */
  private readonly listed: Int32Array
  private readonly distinct: Int32Array
  private generation = 0
  private readonly rdependLists: NameLists
  private readonly rinstallIfLists: NameLists
  // The objects, made on first use.
  private readonly nameObjects: (SolverName | undefined)[]
  private readonly packageObjects: (SolverPackage | undefined)[]
  private readonly depObjects: (SolverDep | undefined)[][]

  constructor(
    private readonly tables: PackageTable[],
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

    this.tokenNames = tables.map((table) => {
      const ids = new Int32Array(table.tokens.length)
      table.tokens.forEach((dep, i) => (ids[i] = this.nameId(dep.name)))
      return ids
    })

    // One package per identity: apk merges one seen in several repositories.
    let total = 0
    for (const table of tables) total += table.count
    this.pkgTable = new Int32Array(total)
    this.pkgRow = new Int32Array(total)
    this.pkgRepos = new Int32Array(total)
    const pkgName = new Int32Array(total)
    const byChecksum = new Map<string, number>()
    let count = 0
    tables.forEach((table, t) => {
      for (let row = 0; row < table.count; row++) {
        const bit = this.repoBit(table.repositories[row])
        const checksum = table.checksums[row]
        const same = checksum !== '' ? byChecksum.get(checksum) : undefined
        if (same !== undefined) {
          this.pkgRepos[same] |= bit
          continue
        }
        if (checksum !== '') byChecksum.set(checksum, count)
        this.pkgTable[count] = t
        this.pkgRow[count] = row
        this.pkgRepos[count] = bit
        pkgName[count] = this.nameId(table.names[row])
        count++
      }
    })
    this.knownNames = this.nameStrings.length
    // Filled up front: arrays written a few entries far apart would turn sparse and slow.
    this.nameObjects = new Array<SolverName | undefined>(this.knownNames).fill(undefined)
    this.packageObjects = new Array<SolverPackage | undefined>(count).fill(undefined)
    this.depObjects = tables.map((table) =>
      new Array<SolverDep | undefined>(table.tokens.length).fill(undefined)
    )

    // Providers: each package under its own name, then under each name it provides. Reverse
    // edges: a package's name under each name it depends on, or has in its install_if.
    let provides = 0
    let depends = 0
    let installIfs = 0
    for (let pkg = 0; pkg < count; pkg++) {
      const starts = tables[this.pkgTable[pkg]].listStarts
      const base = this.pkgRow[pkg] * 3
      depends += starts[base + DEPENDS + 1] - starts[base + DEPENDS]
      provides += starts[base + PROVIDES + 1] - starts[base + PROVIDES]
      installIfs += starts[base + INSTALL_IF + 1] - starts[base + INSTALL_IF]
    }
    const prov = new Pairs(count + provides, true)
    const dep = new Pairs(depends, false)
    const iif = new Pairs(installIfs, false)
    for (let pkg = 0; pkg < count; pkg++) {
      const t = this.pkgTable[pkg]
      const { lists, listStarts: starts } = tables[t]
      const base = this.pkgRow[pkg] * 3
      const tokenNames = this.tokenNames[t]
      const own = pkgName[pkg]
      prov.add(own, pkg, -1)
      for (let i = starts[base + PROVIDES]; i < starts[base + PROVIDES + 1]; i++) {
        prov.add(tokenNames[lists[i]], pkg, lists[i])
      }
      for (let i = starts[base + DEPENDS]; i < starts[base + DEPENDS + 1]; i++) {
        dep.add(tokenNames[lists[i]], own, 0)
      }
      for (let i = starts[base + INSTALL_IF]; i < starts[base + INSTALL_IF + 1]; i++) {
        iif.add(tokenNames[lists[i]], own, 0)
      }
    }
    const known = this.knownNames
    // A provider's extra number: -1 for its own name, else the provide's token.
    this.providerLists = prov.group(known)
    this.rdependLists = dep.group(known)
    this.rinstallIfLists = iif.group(known)
    this.listed = new Int32Array(known)
    this.distinct = new Int32Array(known)
  }

  private nameId(name: string): number {
    let id = this.nameIds.get(name)
    if (id === undefined) {
      id = this.nameStrings.length
      this.nameStrings.push(name)
      this.nameIds.set(name, id)
    }
    return id
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

  tagId(tag: string): number {
    return this.tags.indexOf(tag)
  }

  name(name: string): SolverName {
    return this.nameAt(this.nameId(name))
  }

  nameAt(id: number): SolverName {
    let name = this.nameObjects[id]
    if (name === undefined) {
      name = new SolverName(this, id, this.nameStrings[id])
      this.nameObjects[id] = name
    }
    return name
  }

  providedNames(): string[] {
    const starts = this.providerLists.starts
    const names: string[] = []
    for (let id = 0; id < this.knownNames; id++) {
      if (starts[id + 1] > starts[id]) names.push(this.nameStrings[id])
    }
    return names
  }

  packagesProviding(name: string): RepoPackage[] {
    const id = this.nameIds.get(name)
    if (id === undefined || id >= this.knownNames) return []
    const { starts, items } = this.providerLists
    const out: RepoPackage[] = []
    for (let i = starts[id]; i < starts[id + 1]; i++) {
      const made = this.tables[this.pkgTable[items[i]]].package(this.pkgRow[items[i]])
      if (!out.includes(made)) out.push(made)
    }
    return out
  }

  resetState(): void {
    // Reset in place: fresh objects per solve get pretenured by V8 and make solving 4x slower.
    for (const name of this.nameObjects) name?.ss.reset()
    for (const pkg of this.packageObjects) pkg?.ss.reset()
  }

  private packageAt(pkg: number): SolverPackage {
    let sp = this.packageObjects[pkg]
    if (sp === undefined) {
      const t = this.pkgTable[pkg]
      const table = this.tables[t]
      const row = this.pkgRow[pkg]
      sp = new SolverPackage(
        table,
        row,
        this.name(table.names[row]),
        this.deps(t, row, DEPENDS),
        this.deps(t, row, PROVIDES),
        this.deps(t, row, INSTALL_IF),
        this.pkgRepos[pkg],
        this.arch === undefined || archFits(table.arches[row], this.arch)
      )
      this.packageObjects[pkg] = sp
    }
    return sp
  }

  /** One of a row's lists; the index parser shares tokens, the graph one SolverDep per token. */
  private deps(t: number, row: number, which: number): SolverDep[] {
    const table = this.tables[t]
    const start = table.listStarts[row * 3 + which]
    const end = table.listStarts[row * 3 + which + 1]
    if (start === end) return NO_DEPS
    const objects = this.depObjects[t]
    const out = exactArray<SolverDep>(end - start)
    for (let i = start; i < end; i++) {
      const token = table.lists[i]
      let sd = objects[token]
      if (sd === undefined) {
        sd = { dep: table.tokens[token], name: this.nameAt(this.tokenNames[t][token]) }
        objects[token] = sd
      }
      out[i - start] = sd
    }
    return out
  }

  providersOf(id: number): Provider[] {
    if (id >= this.knownNames) return NO_PROVIDERS
    const { starts, items, extra } = this.providerLists
    if (starts[id] === starts[id + 1]) return NO_PROVIDERS
    const out = exactArray<Provider>(starts[id + 1] - starts[id])
    for (let i = starts[id]; i < starts[id + 1]; i++) {
      const pkg = this.packageAt(items[i])
      const token = (extra as Int32Array)[i]
      const version =
        token < 0 ? pkg.version : this.tables[this.pkgTable[items[i]]].tokens[token].version
      out[i - starts[id]] = { pkg, version }
    }
    return out
  }

  reverseDepends(id: number): SolverName[] {
    return this.namesIn(this.rdependLists, id)
  }

  reverseInstallIf(id: number): SolverName[] {
    return this.namesIn(this.rinstallIfLists, id)
  }

  /** Name `id`'s reverse list, each name once (its first time), as apk keeps them. */
  private namesIn(lists: NameLists, id: number): SolverName[] {
    if (id >= this.knownNames) return NO_NAMES
    const { starts, items } = lists
    const generation = ++this.generation
    let n = 0
    for (let i = starts[id]; i < starts[id + 1]; i++) {
      const item = items[i]
      if (this.listed[item] === generation) continue
      this.listed[item] = generation
      this.distinct[n++] = item
    }
    if (n === 0) return NO_NAMES
    const out = exactArray<SolverName>(n)
    for (let i = 0; i < n; i++) out[i] = this.nameAt(this.distinct[i])
    return out
  }
}

/** What a graph is built from: the opened indexes' tables, or packages already made. */
export type PackageSource = PackageTable[] | RepoPackage[]

function tablesOf(source: PackageSource): PackageTable[] {
  if (source.length === 0) return []
  if ('lists' in source[0]) return source as PackageTable[]
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
  return new Graph(tablesOf(source), repositories, arch)
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

/** apk's test of a dependency against the provider chosen (or offered) for its name. */
export function isProvided(
  dep: Dependency,
  p: Provider,
  dependent?: SolverPackage | null
): boolean {
  if (p.pkg === null) return dep.conflict
  // A package that provides a name it also conflicts with does not conflict with itself.
  if (dep.conflict && dependent === p.pkg) return true
  return satisfiedByProvider(dep, p.pkg.checksum, p.version)
}

/** The tag a chosen package installs under (apk's `get_tag`): the first allowed tag carrying it. */
export function packageTag(graph: SolverGraph, pkg: SolverPackage): number {
  for (let id = 0; id < graph.tags.length; id++) {
    if (pkg.ss.pinningAllowed & (1 << id) && pkg.repos & graph.tagRepos[id]) return id
  }
  return 0
}
