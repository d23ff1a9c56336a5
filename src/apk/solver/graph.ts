/**
 * The solver's view of a package database: every name with its providers and reverse edges, every
 * package with its resolved dependency names, and the repository tags. It mirrors apk-tools'
 * `apk_name` / `apk_package` / `repo_tags`, including their per-solve state, so core.ts can
 * follow apk's algorithm step by step. It is built from PackageTables: the dependency tokens of
 * a table are resolved to names once each, and a package is made whole only when asked for.
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

/** Most names have no reverse edges: they share this empty list until they get one. */
const NONE: SolverName[] = []
const NO_DEPS = Object.freeze([]) as unknown as SolverDep[]
/** Names nobody provides share this list; frozen: the build gives a name its own list. */
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
  /** Packages that provide this name, in database order. */
  providers: Provider[] = NO_PROVIDERS
  /** Names of packages that depend on this name (conflicts included), in database order. */
  rdepends: SolverName[] = NONE
  /** Names of packages whose install_if mentions this name. */
  rinstallIf: SolverName[] = NONE

  constructor(readonly name: string) {
    super()
  }

  /** The solver state: the name itself, one object instead of two. */
  get ss(): NameState {
    return this
  }
}

export interface SolverDep {
  dep: Dependency
  name: SolverName
}

/** A package, with its solver state (apk's `apk_package` and its `ss`). */
export class SolverPackage extends PackageState {
  readonly version: string
  readonly providerPriority: number
  readonly installedSize: number

  constructor(
    private readonly table: PackageTable,
    private readonly row: number,
    readonly name: SolverName,
    readonly depends: SolverDep[],
    readonly provides: SolverDep[],
    readonly installIf: SolverDep[],
    /** Bit i set: the package is in the i-th configured repository. */
    public repos: number,
    /** False when the package cannot be installed at all (wrong arch). */
    readonly installable: boolean
  ) {
    super()
    this.version = table.versions[row]
    this.providerPriority = table.priorities[row]
    this.installedSize = table.installedSizes[row]
  }

  /** The solver state: the package itself, one object instead of two. */
  get ss(): PackageState {
    return this
  }

  /** The whole package (made on first use). */
  get pkg(): RepoPackage {
    return this.table.package(this.row)
  }

  get checksum(): string {
    return this.table.checksums[this.row]
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

class GraphBuilder implements SolverGraph {
  readonly names = new Map<string, SolverName>()
  readonly packages: SolverPackage[] = []
  readonly tags: string[] = ['']
  readonly tagRepos: number[] = [0]
  private readonly repoBits = new Map<number, number>()
  private readonly byChecksum = new Map<string, SolverPackage>()

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

  tagId(tag: string): number {
    return this.tags.indexOf(tag)
  }

  resetState(): void {
    // Reset in place: fresh objects per solve get pretenured by V8 and make solving 4x slower.
    for (const name of this.names.values()) name.reset()
    for (const pkg of this.packages) pkg.reset()
  }

  name(name: string): SolverName {
    let n = this.names.get(name)
    if (n === undefined) {
      n = new SolverName(name)
      this.names.set(name, n)
    }
    return n
  }

  providedNames(): string[] {
    return [...this.names.values()].filter((n) => n.providers.length > 0).map((n) => n.name)
  }

  packagesProviding(name: string): RepoPackage[] {
    // A set: `so:libc.musl-x86_64.so.1` has thousands of providers in main + community.
    const out = new Set<RepoPackage>()
    for (const p of this.names.get(name)?.providers ?? []) out.add((p.pkg as SolverPackage).pkg)
    return [...out]
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

  /** Adds every row of a table, in order. */
  addTable(table: PackageTable): void {
    // The index parser shares one token per distinct dependency; the graph one SolverDep.
    const deps = new Array<SolverDep | undefined>(table.tokens.length).fill(undefined)
    const listOf = (row: number, which: number): SolverDep[] => {
      const start = table.listStarts[row * 3 + which]
      const end = table.listStarts[row * 3 + which + 1]
      if (start === end) return NO_DEPS
      // Filled by index: pushing would leave spare room in tens of thousands of short lists.
      const list = new Array<SolverDep>(end - start)
      for (let i = start; i < end; i++) {
        const token = table.lists[i]
        let sd = deps[token]
        if (sd === undefined) {
          const dep = table.tokens[token]
          sd = { dep, name: this.name(dep.name) }
          deps[token] = sd
        }
        list[i - start] = sd
      }
      return list
    }
    for (let row = 0; row < table.count; row++) {
      const bit = this.repoBit(table.repositories[row])
      // apk merges one identity seen in several repositories into one package.
      const checksum = table.checksums[row]
      const same = checksum !== '' ? this.byChecksum.get(checksum) : undefined
      if (same !== undefined) {
        same.repos |= bit
        continue
      }
      const sp = new SolverPackage(
        table,
        row,
        this.name(table.names[row]),
        listOf(row, DEPENDS),
        listOf(row, PROVIDES),
        listOf(row, INSTALL_IF),
        bit,
        this.arch === undefined || archFits(table.arches[row], this.arch)
      )
      if (checksum !== '') this.byChecksum.set(checksum, sp)
      this.add(sp)
    }
  }

  private add(sp: SolverPackage): void {
    this.packages.push(sp)
    addProvider(sp.name, { pkg: sp, version: sp.version })
    for (const p of sp.provides) addProvider(p.name, { pkg: sp, version: p.dep.version })
    // Only a name with an earlier package can already be on a reverse list: scan only then.
    const maybeListed = sp.name.providers.some((p) => p.pkg !== sp && p.pkg?.name === sp.name)
    for (const d of sp.depends) {
      if (d.name.rdepends === NONE) d.name.rdepends = [sp.name]
      else addOnce(d.name.rdepends, sp.name, maybeListed)
    }
    for (const d of sp.installIf) {
      if (d.name.rinstallIf === NONE) d.name.rinstallIf = [sp.name]
      else addOnce(d.name.rinstallIf, sp.name, maybeListed)
    }
  }

  /**
   * A list starts as a one-entry literal, which takes one slot, but an array grown by push keeps
   * spare room (17 slots after the first push): exact copies of the lists that grew make a graph
   * of tens of thousands of names much smaller. Also lets the build's lookup tables go.
   */
  finish(): void {
    for (const n of this.names.values()) {
      if (n.providers.length > 1) n.providers = n.providers.slice()
      if (n.rdepends.length > 1) n.rdepends = n.rdepends.slice()
      if (n.rinstallIf.length > 1) n.rinstallIf = n.rinstallIf.slice()
    }
    this.byChecksum.clear()
  }
}

/** Adds a provider to a name: its own list, made on the first. */
function addProvider(name: SolverName, provider: Provider): void {
  if (name.providers === NO_PROVIDERS) name.providers = [provider]
  else name.providers.push(provider)
}

/** Appends `name` unless it is the last entry or, when it may be listed, anywhere in the list. */
function addOnce(list: SolverName[], name: SolverName, maybeListed: boolean): void {
  if (list[list.length - 1] === name) return
  if (maybeListed && list.includes(name)) return
  list.push(name)
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
  const builder = new GraphBuilder(repositories, arch)
  for (const table of tablesOf(source)) builder.addTable(table)
  builder.finish()
  return builder
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
