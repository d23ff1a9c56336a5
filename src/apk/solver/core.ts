/**
 * The solver proper: apk-tools 2.14 `solver.c` ported function by function (discover_name,
 * apply_constraint, reconsider_name, compare_providers, assign_name, select_package and the
 * name queues) over the graph of graph.ts. solve.ts drives it.
 */
import {
  isProvided,
  NO_PROVIDER,
  pinningMaskRepos,
  type Provider,
  type SolverDep,
  type SolverGraph,
  type SolverName,
  type SolverPackage
} from './graph.js'
import { compareVersions } from '../formats/version.js'

const DEFAULT_PINNING = 1

function isProviderAutoSelectable(p: Provider): boolean {
  // Unversioned provides are only picked when something names the real package, or with k > 0.
  if (p.version !== undefined) return true
  if (p.pkg === null) return false
  return p.pkg.providerPriority > 0 || p.pkg.name.ss.requirers > 0
}

function bit(flag: boolean): number {
  return flag ? 1 : 0
}

/** apk's `compare_providers` without the upgrade/installed criteria: > 0 when A is better. */
function compareProviders(pA: Provider, pB: Provider): number {
  const a = pA.pkg
  const b = pB.pkg
  if (a === null || b === null) return bit(a !== null) - bit(b !== null)
  const criteria = [
    bit(a.ss.selectable) - bit(b.ss.selectable),
    bit(a.ss.dependenciesUsed) - bit(b.ss.dependenciesUsed),
    b.ss.conflicts - a.ss.conflicts,
    bit(a.ss.tagOk) - bit(b.ss.tagOk),
    bit(a.ss.tagPreferred) - bit(b.ss.tagPreferred)
  ]
  for (const r of criteria) if (r !== 0) return r
  const byRequested = versionOrder(pA.version, pB.version)
  if (byRequested !== 0) return byRequested
  if (a.name === b.name) {
    const byPrincipal = versionOrder(a.version, b.version)
    if (byPrincipal !== 0) return byPrincipal
  }
  const byPriority = a.providerPriority - b.providerPriority
  if (byPriority !== 0) return byPriority
  // Lowest repository wins: compare the first set bit.
  return lowestBit(b.repos) - lowestBit(a.repos)
}

/** An unversioned side ties with everything, like apk's comparison with a null version. */
function versionOrder(a: string | undefined, b: string | undefined): number {
  if (a === undefined || b === undefined) return 0
  return compareVersions(a, b)
}

function lowestBit(mask: number): number {
  return mask === 0 ? 0 : 32 - Math.clz32(mask & -mask)
}

export class Solver {
  errors = 0
  private orderId = 0
  private readonly dirty: SolverName[] = []
  private dirtyHead = 0
  /** Unresolved names; apk adds at the head, so the newest come first. */
  private unresolved: SolverName[] = []
  private pinningInherit = 0
  private readonly defaultRepos: number

  constructor(readonly graph: SolverGraph) {
    this.defaultRepos = pinningMaskRepos(graph, DEFAULT_PINNING)
  }

  markError(pkg: SolverPackage | null): void {
    if (pkg === null || pkg.ss.error) return
    pkg.ss.error = true
    this.errors++
  }

  private queueDirty(name: SolverName): void {
    const ss = name.ss
    if (ss.inDirty || ss.locked || (ss.requirers === 0 && !ss.reevaluateIif)) return
    ss.inDirty = true
    this.dirty.push(name)
  }

  private queueUnresolved(name: SolverName): void {
    const ss = name.ss
    if (ss.locked) return
    const want = ss.requirers > 0 || ss.hasIif || ss.iifNeeded
    if (want && !ss.inUnresolved) {
      ss.inUnresolved = true
      this.unresolved.unshift(name)
    } else if (!want && ss.inUnresolved) {
      this.dropUnresolved(name)
    }
  }

  private dropUnresolved(name: SolverName): void {
    name.ss.inUnresolved = false
    this.unresolved = this.unresolved.filter((n) => n !== name)
  }

  private reevaluateReverseDeps(name: SolverName): void {
    for (const name0 of name.rdepends) {
      if (!name0.ss.seen) continue
      name0.ss.reevaluateDeps = true
      this.queueDirty(name0)
    }
  }

  private reevaluateReverseInstallIf(name: SolverName): void {
    for (const name0 of name.rinstallIf) {
      if (!name0.ss.seen || name0.ss.noIif) continue
      name0.ss.reevaluateIif = true
      this.queueDirty(name0)
    }
  }

  private reevaluateReverseInstallIfPkg(pkg: SolverPackage): void {
    this.reevaluateReverseInstallIf(pkg.name)
    for (const p of pkg.provides) this.reevaluateReverseInstallIf(p.name)
  }

  private disqualifyPackage(pkg: SolverPackage): void {
    pkg.ss.selectable = false
    this.reevaluateReverseDeps(pkg.name)
    for (const p of pkg.provides) this.reevaluateReverseDeps(p.name)
    this.reevaluateReverseInstallIfPkg(pkg)
  }

  private dependencySatisfiable(dependent: SolverPackage, d: SolverDep): boolean {
    const name = d.name
    if (name.ss.locked) return isProvided(d.dep, name.ss.chosen, dependent)
    if (name.ss.requirers === 0 && isProvided(d.dep, NO_PROVIDER, dependent)) return true
    return name.providers.some(
      (p) => p.pkg !== null && p.pkg.ss.selectable && isProvided(d.dep, p, dependent)
    )
  }

  private discoverPackage(pkg: SolverPackage): void {
    const ss = pkg.ss
    ss.seen = true
    ss.pinningAllowed = DEFAULT_PINNING
    ss.pinningPreferred = DEFAULT_PINNING
    ss.selectable = pkg.installable
    ss.iifFailed = pkg.installIf.length === 0
    ss.tagPreferred = pkg.installedSize === 0 || (pkg.repos & this.defaultRepos) !== 0
    ss.tagOk = ss.tagPreferred
    for (const d of pkg.depends) this.discoverName(d.name)
  }

  /**
   * apk's `discover_name`: depth-first over dependencies, reverse install_if, provides and
   * install_if conditions; a name gets its id after its dependencies, so world names get the
   * largest.
   */
  discoverName(name: SolverName): void {
    const ss = name.ss
    if (ss.seen) return
    ss.seen = true
    let noIif = true
    for (const p of name.providers) {
      const pkg = p.pkg as SolverPackage
      const pss = pkg.ss
      if (!pss.seen) this.discoverPackage(pkg)
      noIif &&= pss.iifFailed
    }
    ss.noIif = noIif
    for (const name0 of name.rinstallIf) this.discoverName(name0)
    for (const p of name.providers) {
      const pkg = p.pkg as SolverPackage
      for (const name0 of pkg.name.rinstallIf) this.discoverName(name0)
      this.discoverProvides(pkg)
    }
    ss.orderId = ++this.orderId
    for (const p of name.providers) {
      for (const d of (p.pkg as SolverPackage).installIf) this.discoverName(d.name)
    }
  }

  /**
   * Discovers every name a package provides, in order. Visiting one of them visits the package's
   * provides again, which is quadratic for busybox's hundreds of cmd: names; a per-package cursor
   * past the names already seen skips only calls that would return at once, so the order holds.
   */
  private discoverProvides(pkg: SolverPackage): void {
    const provides = pkg.provides
    let i = this.providesSeen(pkg)
    while (i < provides.length) {
      this.discoverName(provides[i].name)
      i = Math.max(i + 1, this.providesSeen(pkg))
    }
  }

  private providesSeen(pkg: SolverPackage): number {
    const ss = pkg.ss
    const provides = pkg.provides
    while (ss.providesSeen < provides.length && provides[ss.providesSeen].name.ss.seen) {
      ss.providesSeen++
    }
    return ss.providesSeen
  }

  private nameRequirersChanged(name: SolverName): void {
    this.queueUnresolved(name)
    this.reevaluateReverseInstallIf(name)
    this.queueDirty(name)
  }

  private inheritPinning(pkg: SolverPackage, parent: SolverPackage | null): void {
    const ss = pkg.ss
    if (parent !== null) {
      ss.pinningAllowed |= parent.ss.pinningAllowed
    } else {
      // A world dependency: its tag is allowed and also preferred.
      ss.pinningAllowed |= this.pinningInherit
      ss.pinningPreferred = this.pinningInherit
      ss.tagPreferred = (pkg.repos & pinningMaskRepos(this.graph, ss.pinningPreferred)) !== 0
    }
    if ((pkg.repos & pinningMaskRepos(this.graph, ss.pinningAllowed)) !== 0) ss.tagOk = true
  }

  applyConstraint(parent: SolverPackage | null, d: SolverDep): void {
    const name = d.name
    if (!d.dep.conflict) {
      name.ss.requirers++
      if (name.ss.requirers === 1) this.nameRequirersChanged(name)
    }
    for (const p0 of name.providers) {
      const pkg0 = p0.pkg as SolverPackage
      const provided = isProvided(d.dep, p0, parent)
      if (!provided) pkg0.ss.conflicts++
      if (pkg0.ss.selectable && pkg0.ss.conflicts > 0) this.disqualifyPackage(pkg0)
      if (provided) this.inheritPinning(pkg0, parent)
    }
  }

  /** Provides transitivity: every remaining provider of `name` must also provide `mustProvide`. */
  private excludeNonProviders(
    name: SolverName,
    mustProvide: SolverName,
    skipVirtuals: boolean
  ): void {
    if (name === mustProvide) return
    for (const p of name.providers) {
      const pkg = p.pkg as SolverPackage
      if (pkg.name === mustProvide || !pkg.ss.selectable) continue
      if (skipVirtuals && p.version === undefined) continue
      const keeps = pkg.provides.some(
        (d) => d.name === mustProvide || (skipVirtuals && d.dep.version === undefined)
      )
      if (!keeps) this.disqualifyPackage(pkg)
    }
  }

  /** Re-runs the install_if test of a package once every name it mentions is decided. */
  private evaluateInstallIf(pkg: SolverPackage): void {
    pkg.ss.iifTriggered = true
    pkg.ss.iifFailed = false
    for (const d of pkg.installIf) {
      if (!d.name.ss.locked) {
        if (d.dep.conflict) {
          // A conflict can only be settled once that name is resolved, so resolve it.
          d.name.ss.iifNeeded = true
          this.queueUnresolved(d.name)
        }
        pkg.ss.iifTriggered = false
        return
      }
      if (!isProvided(d.dep, d.name.ss.chosen, pkg)) {
        pkg.ss.iifTriggered = false
        pkg.ss.iifFailed = true
        return
      }
    }
  }

  reconsiderName(name: SolverName): void {
    const ss = name.ss
    const reevaluateDeps = ss.reevaluateDeps
    const reevaluateIif = ss.reevaluateIif
    ss.reevaluateDeps = false
    ss.reevaluateIif = false

    let firstCandidate: SolverPackage | null = null
    let numOptions = 0
    let numTagNotOk = 0
    let hasIif = false
    let noIif = true
    let hasAutoSelectable = false
    for (const p of name.providers) {
      const pkg = p.pkg as SolverPackage
      pkg.ss.dependenciesMerged = false
      if (reevaluateDeps) {
        if (!pkg.ss.selectable) continue
        if (pkg.depends.some((d) => !this.dependencySatisfiable(pkg, d)))
          this.disqualifyPackage(pkg)
      }
      if (!pkg.ss.selectable) continue

      if (reevaluateIif && !pkg.ss.iifTriggered && !pkg.ss.iifFailed) this.evaluateInstallIf(pkg)
      if (reevaluateIif && pkg.ss.iifTriggered) {
        for (const d of pkg.installIf) this.inheritPinning(pkg, d.name.ss.chosen.pkg)
      }
      hasIif ||= pkg.ss.iifTriggered
      noIif &&= pkg.ss.iifFailed
      hasAutoSelectable ||= pkg.ss.iifTriggered

      if (ss.requirers === 0) continue

      pkg.ss.dependenciesMerged = true
      firstCandidate ??= pkg
      this.mergeCandidate(pkg, p, numOptions)
      if (!pkg.ss.tagOk) numTagNotOk++
      numOptions++
      hasAutoSelectable ||= isProviderAutoSelectable(p)
    }
    ss.hasOptions = numOptions > 1 || numTagNotOk > 0
    ss.hasIif = hasIif
    ss.noIif = noIif
    ss.hasAutoSelectable = hasAutoSelectable

    if (firstCandidate !== null) this.propagateCommon(name, firstCandidate, numOptions)

    ss.reverseDepsDone = !name.rdepends.some((n) => n.ss.seen && !n.ss.locked)
    this.queueUnresolved(name)
  }

  /** Counts, per dependency and provided name, how many candidates share it (apk's merge_index). */
  private mergeCandidate(pkg: SolverPackage, p: Provider, numOptions: number): void {
    for (const d of pkg.depends) {
      if (!d.dep.conflict && d.name.ss.mergeDepends === numOptions) d.name.ss.mergeDepends++
    }
    if (pkg.name.ss.mergeProvides === numOptions) {
      pkg.name.ss.mergeProvides++
      if (p.version === undefined) pkg.name.ss.hasVirtualProvides = true
    }
    for (const d of pkg.provides) {
      if (d.name.ss.mergeProvides === numOptions) {
        d.name.ss.mergeProvides++
        if (d.dep.version === undefined) d.name.ss.hasVirtualProvides = true
      }
    }
  }

  /** Applies what every remaining candidate of `name` has in common. */
  private propagateCommon(name: SolverName, pkg: SolverPackage, numOptions: number): void {
    for (const p of name.providers) {
      const pkg0 = p.pkg as SolverPackage
      pkg0.ss.dependenciesUsed = pkg0.ss.dependenciesMerged
    }
    for (const d of pkg.depends) {
      const complete = takeMerge(d.name, 'mergeDepends', numOptions)
      if (!complete) continue
      if (numOptions === 1) {
        this.applyConstraint(pkg, d)
      } else if (d.name.ss.requirers === 0) {
        // A name every candidate depends on is required whichever candidate wins.
        d.name.ss.requirers++
        this.nameRequirersChanged(d.name)
        for (const p of d.name.providers) this.inheritPinning(p.pkg as SolverPackage, pkg)
      }
    }
    if (takeMerge(pkg.name, 'mergeProvides', numOptions)) {
      this.excludeNonProviders(pkg.name, name, pkg.name.ss.hasVirtualProvides)
    }
    for (const d of pkg.provides) {
      if (takeMerge(d.name, 'mergeProvides', numOptions)) {
        this.excludeNonProviders(d.name, name, d.name.ss.hasVirtualProvides)
      }
    }
    pkg.name.ss.hasVirtualProvides = false
    for (const d of pkg.provides) d.name.ss.hasVirtualProvides = false
  }

  private assignName(name: SolverName, p: Provider): void {
    const ss = name.ss
    if (ss.locked) {
      // Two packages may both provide a name without a version; anything else is a conflict.
      if (p.version === undefined && ss.chosen.version === undefined) return
      this.markError(p.pkg)
      this.markError(ss.chosen.pkg)
      return
    }
    ss.locked = true
    ss.chosen = p
    if (ss.inUnresolved) this.dropUnresolved(name)
    ss.inDirty = false

    const pkg = p.pkg
    if (pkg !== null && ss.requirers === 0 && pkg.ss.iifTriggered) {
      for (const d of pkg.installIf) if (!d.name.ss.locked) this.applyConstraint(pkg, d)
    }
    for (const p0 of name.providers) {
      if (p0.pkg === pkg) continue
      if (p.version === undefined && p0.version === undefined) continue
      this.disqualifyPackage(p0.pkg as SolverPackage)
    }
    this.reevaluateReverseDeps(name)
    if (pkg !== null) this.reevaluateReverseInstallIfPkg(pkg)
    else this.reevaluateReverseInstallIf(name)
  }

  private bestProvider(name: SolverName): Provider {
    let chosen = NO_PROVIDER
    if (name.ss.requirers === 0 && !name.ss.hasIif) return chosen
    for (const p of name.providers) {
      const pkg = p.pkg as SolverPackage
      if (
        name.ss.requirers === 0 &&
        (!pkg.ss.iifTriggered || !pkg.ss.tagOk || !pkg.ss.selectable)
      ) {
        continue
      }
      if (!isProviderAutoSelectable(p)) continue
      if (compareProviders(p, chosen) > 0) chosen = p
    }
    return chosen
  }

  selectPackage(name: SolverName): void {
    const pkg = this.bestProvider(name).pkg
    if (pkg === null) {
      this.assignName(name, NO_PROVIDER)
      if (name.ss.requirers > 0) this.errors++
      return
    }
    // Selecting a broken or disallowed package records the error and goes on, like apk.
    if (!pkg.ss.selectable || !pkg.ss.tagOk) this.markError(pkg)
    this.assignName(pkg.name, { pkg, version: pkg.version })
    for (const d of pkg.provides) this.assignName(d.name, { pkg, version: d.dep.version })
    for (const d of pkg.depends) this.applyConstraint(pkg, d)
  }

  /** Drains the dirty queue: every name whose inputs changed is reconsidered. */
  drainDirty(): void {
    while (this.dirtyHead < this.dirty.length) {
      const name = this.dirty[this.dirtyHead++]
      if (!name.ss.inDirty) continue
      name.ss.inDirty = false
      this.reconsiderName(name)
    }
    this.dirty.length = 0
    this.dirtyHead = 0
  }

  /**
   * The next name to decide: one whose choice is forced (all reverse dependencies resolved,
   * required, a single auto-selectable option); otherwise one with an auto-selectable provider,
   * then the highest discovery id.
   */
  nextName(): SolverName | undefined {
    let best: SolverName | undefined
    for (const name of this.unresolved) {
      const ss = name.ss
      if (ss.reverseDepsDone && ss.requirers > 0 && ss.hasAutoSelectable && !ss.hasOptions) {
        return name
      }
      if (best === undefined || dequeueBefore(name, best)) best = name
    }
    return best
  }

  applyWorld(world: SolverDep[], tagIds: number[]): void {
    world.forEach((d, i) => {
      this.pinningInherit = 1 << tagIds[i]
      this.applyConstraint(null, d)
    })
    this.pinningInherit = 0
  }
}

function dequeueBefore(a: SolverName, b: SolverName): boolean {
  if (a.ss.hasAutoSelectable !== b.ss.hasAutoSelectable) return a.ss.hasAutoSelectable
  return a.ss.orderId > b.ss.orderId
}

/** Reads and resets a merge counter: true when all `numOptions` candidates shared the name. */
function takeMerge(
  name: SolverName,
  key: 'mergeDepends' | 'mergeProvides',
  numOptions: number
): boolean {
  const complete = name.ss[key] === numOptions
  name.ss[key] = 0
  return complete
}
