/**
 * The solver's view of a package database: every name with its providers and reverse edges, every
 * package with its resolved dependency names, and the repository tags. It mirrors apk-tools'
 * `apk_name` / `apk_package` / `repo_tags`, including their per-solve state, so solve.ts can
 * follow apk's algorithm step by step.
 */
import { providerSatisfies } from '../formats/dependency.js'
import { InvalidArgumentError } from '../errors.js'
import type { Dependency, RepoPackage, Repository } from '../types.js'

/** Per-name solver state (apk's `apk_solver_name_state`). */
export interface NameState {
  seen: boolean
  locked: boolean
  chosen: Provider
  requirers: number
  mergeDepends: number
  mergeProvides: number
  hasVirtualProvides: boolean
  reevaluateDeps: boolean
  reevaluateIif: boolean
  hasIif: boolean
  noIif: boolean
  iifNeeded: boolean
  hasOptions: boolean
  reverseDepsDone: boolean
  hasAutoSelectable: boolean
  orderId: number
  inDirty: boolean
  inUnresolved: boolean
  changesetProcessed: boolean
}

/** Per-package solver state (apk's `apk_solver_package_state`). */
export interface PackageState {
  seen: boolean
  selectable: boolean
  iifTriggered: boolean
  iifFailed: boolean
  tagOk: boolean
  tagPreferred: boolean
  conflicts: number
  dependenciesMerged: boolean
  dependenciesUsed: boolean
  pinningAllowed: number
  pinningPreferred: number
  error: boolean
  inChangeset: boolean
  /** How many leading provides are known to be discovered (a discovery shortcut). */
  providesSeen: number
}

/** Most names have no reverse edges: they share this empty list until they get one. */
const NONE: SolverName[] = []
const NO_DEPS: SolverDep[] = []

export class SolverName {
  /** Packages that provide this name, in database order. */
  readonly providers: Provider[] = []
  /** Names of packages that depend on this name (conflicts included), in database order. */
  rdepends: SolverName[] = NONE
  /** Names of packages whose install_if mentions this name. */
  rinstallIf: SolverName[] = NONE
  readonly ss: NameState = newNameState()

  constructor(readonly name: string) {}
}

export interface SolverDep {
  dep: Dependency
  name: SolverName
}

export class SolverPackage {
  readonly ss: PackageState = newPackageState()

  constructor(
    readonly pkg: RepoPackage,
    readonly name: SolverName,
    readonly depends: SolverDep[],
    readonly provides: SolverDep[],
    readonly installIf: SolverDep[],
    /** Bit i set: the package is in the i-th configured repository. */
    public repos: number,
    /** False when the package cannot be installed at all (wrong arch). */
    readonly installable: boolean
  ) {}
}

/** A package providing a name: under its own version, a provided version, or unversioned. */
export interface Provider {
  pkg: SolverPackage | null
  /** undefined: an unversioned provide (or no provider at all). */
  version: string | undefined
}

export const NO_PROVIDER: Provider = { pkg: null, version: undefined }

export interface SolverGraph {
  names: Map<string, SolverName>
  packages: SolverPackage[]
  /** Tag names by id; id 0 is the untagged default. */
  tags: string[]
  /** For each tag id, the bitmask of repositories carrying that tag. */
  tagRepos: number[]
  /** The id of a configured tag, or -1. */
  tagId(tag: string): number
  /** The name node, created when nothing mentioned the name yet. */
  name(name: string): SolverName
  /** Forgets the state of the previous solve. */
  resetState(): void
}

/** At most 31 repositories (apk allows 32), so a repository bitmask fits a 32-bit integer. */
const MAX_REPOSITORIES = 31

/** Resets in place: fresh objects per solve get pretenured by V8 and make solving 4x slower. */
function resetNameState(state: NameState): void {
  state.seen = false
  state.locked = false
  state.chosen = NO_PROVIDER
  state.requirers = 0
  state.mergeDepends = 0
  state.mergeProvides = 0
  state.hasVirtualProvides = false
  state.reevaluateDeps = false
  state.reevaluateIif = false
  state.hasIif = false
  state.noIif = false
  state.iifNeeded = false
  state.hasOptions = false
  state.reverseDepsDone = false
  state.hasAutoSelectable = false
  state.orderId = 0
  state.inDirty = false
  state.inUnresolved = false
  state.changesetProcessed = false
}

function resetPackageState(state: PackageState): void {
  state.seen = false
  state.selectable = false
  state.iifTriggered = false
  state.iifFailed = false
  state.tagOk = false
  state.tagPreferred = false
  state.conflicts = 0
  state.dependenciesMerged = false
  state.dependenciesUsed = false
  state.pinningAllowed = 0
  state.pinningPreferred = 0
  state.error = false
  state.inChangeset = false
  state.providesSeen = 0
}

function newNameState(): NameState {
  return {
    seen: false,
    locked: false,
    chosen: NO_PROVIDER,
    requirers: 0,
    mergeDepends: 0,
    mergeProvides: 0,
    hasVirtualProvides: false,
    reevaluateDeps: false,
    reevaluateIif: false,
    hasIif: false,
    noIif: false,
    iifNeeded: false,
    hasOptions: false,
    reverseDepsDone: false,
    hasAutoSelectable: false,
    orderId: 0,
    inDirty: false,
    inUnresolved: false,
    changesetProcessed: false
  }
}

function newPackageState(): PackageState {
  return {
    seen: false,
    selectable: false,
    iifTriggered: false,
    iifFailed: false,
    tagOk: false,
    tagPreferred: false,
    conflicts: 0,
    dependenciesMerged: false,
    dependenciesUsed: false,
    pinningAllowed: 0,
    pinningPreferred: 0,
    error: false,
    inChangeset: false,
    providesSeen: 0
  }
}

/** A tag as written in a repositories line or a world dependency, without the `@`. */
export function normalizeTag(tag: string | undefined): string {
  if (tag === undefined) return ''
  return tag.startsWith('@') ? tag.slice(1) : tag
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
    for (const name of this.names.values()) resetNameState(name.ss)
    for (const pkg of this.packages) resetPackageState(pkg.ss)
  }

  name(name: string): SolverName {
    let n = this.names.get(name)
    if (n === undefined) {
      n = new SolverName(name)
      this.names.set(name, n)
    }
    return n
  }

  private deps(deps: Dependency[]): SolverDep[] {
    if (deps.length === 0) return NO_DEPS
    return deps.map((dep) => ({ dep, name: this.name(dep.name) }))
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

  add(pkg: RepoPackage): void {
    const bit = this.repoBit(pkg.repository)
    // apk merges one identity seen in several repositories into one package.
    const same = pkg.checksum !== '' ? this.byChecksum.get(pkg.checksum) : undefined
    if (same !== undefined) {
      same.repos |= bit
      return
    }
    const sp = new SolverPackage(
      pkg,
      this.name(pkg.name),
      this.deps(pkg.depends),
      this.deps(pkg.provides),
      this.deps(pkg.installIf),
      bit,
      this.arch === undefined || archFits(pkg.arch, this.arch)
    )
    if (pkg.checksum !== '') this.byChecksum.set(pkg.checksum, sp)
    this.packages.push(sp)
    sp.name.providers.push({ pkg: sp, version: pkg.version })
    for (const p of sp.provides) p.name.providers.push({ pkg: sp, version: p.dep.version })
    // Only a name with an earlier package can already be on a reverse list: scan only then.
    const maybeListed = sp.name.providers.some((p) => p.pkg !== sp && p.pkg?.name === sp.name)
    for (const d of sp.depends) {
      if (d.name.rdepends === NONE) d.name.rdepends = []
      addOnce(d.name.rdepends, sp.name, maybeListed)
    }
    for (const d of sp.installIf) {
      if (d.name.rinstallIf === NONE) d.name.rinstallIf = []
      addOnce(d.name.rinstallIf, sp.name, maybeListed)
    }
  }
}

/** Appends `name` unless it is the last entry or, when it may be listed, anywhere in the list. */
function addOnce(list: SolverName[], name: SolverName, maybeListed: boolean): void {
  if (list[list.length - 1] === name) return
  if (maybeListed && list.includes(name)) return
  list.push(name)
}

function archFits(pkgArch: string | undefined, arch: string): boolean {
  return pkgArch === undefined || pkgArch === '' || pkgArch === arch || pkgArch === 'noarch'
}

/**
 * Builds the graph from packages in database order (repositories in configured order, index
 * stanzas in order). `arch`, when given, makes packages of another arch uninstallable.
 */
export function buildGraph(
  packages: RepoPackage[],
  repositories: Repository[],
  arch: string | undefined
): SolverGraph {
  const builder = new GraphBuilder(repositories, arch)
  for (const pkg of packages) builder.add(pkg)
  return builder
}

interface CachedGraph {
  key: string
  length: number
  graph: SolverGraph
}

const cache = new WeakMap<RepoPackage[], CachedGraph>()

function cacheKey(repositories: Repository[], arch: string | undefined): string {
  const repos = repositories.map((r) => `${r.index}@${normalizeTag(r.tag)}`).join(',')
  return `${arch ?? ''}|${repos}`
}

/**
 * The graph for this package list, built once per list (and repositories/arch) and reused with
 * fresh solver state: building it dominates the cost of a solve on a full index. The list must
 * not change between calls; a different length rebuilds it.
 */
export function graphFor(
  packages: RepoPackage[],
  repositories: Repository[],
  arch: string | undefined
): SolverGraph {
  const key = cacheKey(repositories, arch)
  const hit = cache.get(packages)
  if (hit !== undefined && hit.key === key && hit.length === packages.length) {
    hit.graph.resetState()
    return hit.graph
  }
  const graph = buildGraph(packages, repositories, arch)
  cache.set(packages, { key, length: packages.length, graph })
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
  return providerSatisfies(dep, { pkg: p.pkg.pkg, version: p.version })
}

/** The tag a chosen package installs under (apk's `get_tag`): the first allowed tag carrying it. */
export function packageTag(graph: SolverGraph, pkg: SolverPackage): number {
  for (let id = 0; id < graph.tags.length; id++) {
    if (pkg.ss.pinningAllowed & (1 << id) && pkg.repos & graph.tagRepos[id]) return id
  }
  return 0
}
