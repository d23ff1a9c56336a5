/**
 * The solver proper: apk-tools 2.14 `solver.c` ported function by function (apply_constraint,
 * reconsider_name, compare_providers, assign_name, select_package and the name queues; its
 * discover_name runs in WebAssembly, discover.ts) over the graph of graph.ts. solve.ts drives it.
 *
 * Names and packages are numbers into the graph's columns. A provider is a package and the
 * version it provides a name under (undefined: unversioned); a dependency is its token and the
 * number of its name.
 */
import {
  DEPENDS,
  INSTALL_IF,
  isProvided,
  isProvidedByChosen,
  N_HAS_AUTO_SELECTABLE,
  N_HAS_IIF,
  N_HAS_OPTIONS,
  N_HAS_VIRTUAL_PROVIDES,
  N_IIF_NEEDED,
  N_IN_DIRTY,
  N_IN_UNRESOLVED,
  N_LOCKED,
  N_NO_IIF,
  N_REEVALUATE_DEPS,
  N_REEVALUATE_IIF,
  N_REVERSE_DEPS_DONE,
  N_SEEN,
  NO_PKG,
  OWN,
  P_DEPENDENCIES_MERGED,
  P_DEPENDENCIES_USED,
  P_ERROR,
  P_IIF_FAILED,
  P_IIF_TRIGGERED,
  P_SELECTABLE,
  P_TAG_OK,
  P_TAG_PREFERRED,
  pinningMaskRepos,
  PROVIDES,
  type SolverGraph
} from './graph.js'
import { compareVersions } from '../formats/version.js'
import { discoverWorld } from './discover.js'
import { NameHeap } from './name-heap.js'
import type { Dependency } from '../types.js'

const DEFAULT_PINNING = 1

/** A world dependency: its token and its name's number. */
export interface WorldDep {
  dep: Dependency
  name: number
}

/** An unversioned side ties with everything, like apk's comparison with a null version. */
function versionOrder(a: string | undefined, b: string | undefined): number {
  if (a === undefined || b === undefined) return 0
  return compareVersions(a, b)
}

/** 1 when only A has the flag, -1 when only B has it, else 0. */
function flagOrder(a: number, b: number, flag: number): number {
  return (a & flag ? 1 : 0) - (b & flag ? 1 : 0)
}

function lowestBit(mask: number): number {
  return mask === 0 ? 0 : 32 - Math.clz32(mask & -mask)
}

export class Solver {
  errors = 0
  private orderCount = 0
  private readonly dirty: number[] = []
  private dirtyHead = 0
  /**
   * Unresolved names, as apk's list: added at the head (the newest come first), each taken out
   * where it stands. A name's place is when it was added (`unresolvedAt`, larger: nearer the
   * head). apk picks the next name by a scan of the whole list (nextName), which made a package
   * of 40,000 dependencies take 5 s, four times as long for each doubling; here two heaps give
   * the same name: the forced names by place, and every name by apk's order. A name is pushed
   * whenever what they order it by may have changed (queueUnresolved), and an entry that no
   * longer holds is dropped when it reaches the top.
   */
  private added = 0
  private readonly unresolvedAt: Int32Array
  private readonly forcedNames = new NameHeap()
  private readonly orderedNames = new NameHeap()
  private pinningInherit = 0
  /** Per package: 0 not yet known, 1 no unversioned provides, 2 some (hasUnversionedProvides). */
  private readonly unversionedProvides: Uint8Array
  private readonly defaultRepos: number
  private readonly nflags: Int32Array
  private readonly pflags: Int32Array

  constructor(readonly graph: SolverGraph) {
    this.defaultRepos = pinningMaskRepos(graph, DEFAULT_PINNING)
    this.nflags = graph.nflags
    this.pflags = graph.pflags
    this.unresolvedAt = new Int32Array(graph.nflags.length)
    this.unversionedProvides = new Uint8Array(graph.pflags.length)
  }

  private nameIs(name: number, flag: number): boolean {
    return (this.nflags[name] & flag) !== 0
  }

  private setName(name: number, flag: number, on: boolean): void {
    this.nflags[name] = on ? this.nflags[name] | flag : this.nflags[name] & ~flag
  }

  private pkgIs(pkg: number, flag: number): boolean {
    return (this.pflags[pkg] & flag) !== 0
  }

  private setPkg(pkg: number, flag: number, on: boolean): void {
    this.pflags[pkg] = on ? this.pflags[pkg] | flag : this.pflags[pkg] & ~flag
  }

  private isProviderAutoSelectable(pkg: number, version: string | undefined): boolean {
    // Unversioned provides are only picked when something names the real package, or with k > 0.
    if (version !== undefined) return true
    if (pkg === NO_PKG) return false
    const g = this.graph
    return g.pkgPriority[pkg] > 0 || g.requirers[g.pkgName[pkg]] > 0
  }

  /** apk's `compare_providers` without the upgrade/installed criteria: > 0 when A is better. */
  private compareProviders(
    a: number,
    versionA: string | undefined,
    b: number,
    versionB: string | undefined
  ): number {
    if (a === NO_PKG || b === NO_PKG) return (a !== NO_PKG ? 1 : 0) - (b !== NO_PKG ? 1 : 0)
    const g = this.graph
    const fa = this.pflags[a]
    const fb = this.pflags[b]
    const bySelectable = flagOrder(fa, fb, P_SELECTABLE)
    if (bySelectable !== 0) return bySelectable
    const byUsed = flagOrder(fa, fb, P_DEPENDENCIES_USED)
    if (byUsed !== 0) return byUsed
    const byConflicts = g.conflicts[b] - g.conflicts[a]
    if (byConflicts !== 0) return byConflicts
    const byTagOk = flagOrder(fa, fb, P_TAG_OK)
    if (byTagOk !== 0) return byTagOk
    const byTagPreferred = flagOrder(fa, fb, P_TAG_PREFERRED)
    if (byTagPreferred !== 0) return byTagPreferred
    const byRequested = versionOrder(versionA, versionB)
    if (byRequested !== 0) return byRequested
    if (g.pkgName[a] === g.pkgName[b]) {
      const byPrincipal = versionOrder(g.pkgVersion[a], g.pkgVersion[b])
      if (byPrincipal !== 0) return byPrincipal
    }
    const byPriority = g.pkgPriority[a] - g.pkgPriority[b]
    if (byPriority !== 0) return byPriority
    // Lowest repository wins: compare the first set bit.
    return lowestBit(g.pkgRepos[b]) - lowestBit(g.pkgRepos[a])
  }

  markError(pkg: number): void {
    if (pkg === NO_PKG || this.pkgIs(pkg, P_ERROR)) return
    this.setPkg(pkg, P_ERROR, true)
    this.errors++
  }

  private queueDirty(name: number): void {
    const f = this.nflags[name]
    if (f & (N_IN_DIRTY | N_LOCKED)) return
    if (this.graph.requirers[name] === 0 && !(f & N_REEVALUATE_IIF)) return
    this.nflags[name] = f | N_IN_DIRTY
    this.dirty.push(name)
  }

  /**
   * apk's `queue_unresolved`, called after everything that may change whether a name is forced
   * or how it is ordered (reconsiderName, a name's first requirer): so it also offers the name to
   * the heaps as it now stands.
   */
  private queueUnresolved(name: number): void {
    const f = this.nflags[name]
    if (f & N_LOCKED) return
    const want = this.graph.requirers[name] > 0 || (f & (N_HAS_IIF | N_IIF_NEEDED)) !== 0
    if (!want) {
      if (f & N_IN_UNRESOLVED) this.dropUnresolved(name)
      return
    }
    if (!(f & N_IN_UNRESOLVED)) {
      this.nflags[name] = f | N_IN_UNRESOLVED
      this.unresolvedAt[name] = ++this.added
    }
    const at = this.unresolvedAt[name]
    if (this.isForced(name)) this.forcedNames.push(name, at, 0, 0)
    const auto = (f & N_HAS_AUTO_SELECTABLE) !== 0 ? 1 : 0
    this.orderedNames.push(name, auto, this.graph.orderId[name], at)
  }

  private dropUnresolved(name: number): void {
    this.setName(name, N_IN_UNRESOLVED, false)
  }

  /**
   * Whether the name's choice is forced: all its reverse dependencies resolved, required, and a
   * single auto-selectable option.
   */
  private isForced(name: number): boolean {
    const f = this.nflags[name]
    const forced = N_REVERSE_DEPS_DONE | N_HAS_AUTO_SELECTABLE
    return (f & forced) === forced && this.graph.requirers[name] > 0 && !(f & N_HAS_OPTIONS)
  }

  /** Whether a heap's top entry, pushed for a name at place `at`, is still that name's. */
  private stillUnresolved(name: number, at: number): boolean {
    return this.nameIs(name, N_IN_UNRESOLVED) && this.unresolvedAt[name] === at
  }

  private reevaluateReverseDeps(name: number): void {
    const g = this.graph
    for (let i = g.rdepStart[name]; i < g.rdepStart[name + 1]; i++) {
      const name0 = g.rdeps[i]
      if (!this.nameIs(name0, N_SEEN)) continue
      this.setName(name0, N_REEVALUATE_DEPS, true)
      this.queueDirty(name0)
    }
  }

  private reevaluateReverseInstallIf(name: number): void {
    const g = this.graph
    for (let i = g.riifStart[name]; i < g.riifStart[name + 1]; i++) {
      const name0 = g.riifs[i]
      if ((this.nflags[name0] & (N_SEEN | N_NO_IIF)) !== N_SEEN) continue
      this.setName(name0, N_REEVALUATE_IIF, true)
      this.queueDirty(name0)
    }
  }

  private reevaluateReverseInstallIfPkg(pkg: number): void {
    const g = this.graph
    this.reevaluateReverseInstallIf(g.pkgName[pkg])
    const ls = g.pkgListStart
    for (let i = ls[pkg * 3 + PROVIDES]; i < ls[pkg * 3 + PROVIDES + 1]; i++) {
      this.reevaluateReverseInstallIf(g.depName[g.pkgLists[i]])
    }
  }

  private disqualifyPackage(pkg: number): void {
    const g = this.graph
    this.setPkg(pkg, P_SELECTABLE, false)
    this.reevaluateReverseDeps(g.pkgName[pkg])
    const ls = g.pkgListStart
    for (let i = ls[pkg * 3 + PROVIDES]; i < ls[pkg * 3 + PROVIDES + 1]; i++) {
      this.reevaluateReverseDeps(g.depName[g.pkgLists[i]])
    }
    this.reevaluateReverseInstallIfPkg(pkg)
  }

  private dependencySatisfiable(dependent: number, d: number): boolean {
    const g = this.graph
    const name = g.depName[d]
    const dep = g.dep(d)
    if (this.nameIs(name, N_LOCKED)) return isProvidedByChosen(g, dep, name, dependent)
    if (g.requirers[name] === 0 && isProvided(g, dep, NO_PKG, undefined, dependent)) return true
    for (let e = g.provStart[name]; e < g.provStart[name + 1]; e++) {
      const pkg = g.provPkg[e]
      if (this.pkgIs(pkg, P_SELECTABLE) && isProvided(g, dep, pkg, g.provVersion(e), dependent)) {
        return true
      }
    }
    return false
  }

  /**
   * apk's `discover_name` for each world name in order: depth first over dependencies, reverse
   * install_if, provides and install_if conditions, marking what it reaches; a name gets its id
   * after its dependencies, so world names get the largest. It visits most of an index, so it
   * runs in WebAssembly (discover.ts).
   */
  discoverWorld(names: readonly number[]): void {
    this.orderCount = discoverWorld(this.graph, names, this.defaultRepos, this.orderCount)
  }

  private nameRequirersChanged(name: number): void {
    this.queueUnresolved(name)
    this.reevaluateReverseInstallIf(name)
    this.queueDirty(name)
  }

  private inheritPinning(pkg: number, parent: number): void {
    const g = this.graph
    if (parent !== NO_PKG) {
      g.pinningAllowed[pkg] |= g.pinningAllowed[parent]
    } else {
      // A world dependency: its tag is allowed and also preferred.
      g.pinningAllowed[pkg] |= this.pinningInherit
      g.pinningPreferred[pkg] = this.pinningInherit
      const preferred = (g.pkgRepos[pkg] & pinningMaskRepos(g, g.pinningPreferred[pkg])) !== 0
      this.setPkg(pkg, P_TAG_PREFERRED, preferred)
    }
    if ((g.pkgRepos[pkg] & pinningMaskRepos(g, g.pinningAllowed[pkg])) !== 0) {
      this.setPkg(pkg, P_TAG_OK, true)
    }
  }

  /** apk's `apply_constraint`: dependency `dep` on `name`, of `parent` (NO_PKG: the world). */
  applyConstraint(parent: number, dep: Dependency, name: number): void {
    const g = this.graph
    if (!dep.conflict) {
      g.requirers[name]++
      if (g.requirers[name] === 1) this.nameRequirersChanged(name)
    }
    for (let e = g.provStart[name]; e < g.provStart[name + 1]; e++) {
      const pkg0 = g.provPkg[e]
      const provided = isProvided(g, dep, pkg0, g.provVersion(e), parent)
      if (!provided) g.conflicts[pkg0]++
      if (this.pkgIs(pkg0, P_SELECTABLE) && g.conflicts[pkg0] > 0) this.disqualifyPackage(pkg0)
      if (provided) this.inheritPinning(pkg0, parent)
    }
  }

  private applyDependency(parent: number, d: number): void {
    this.applyConstraint(parent, this.graph.dep(d), this.graph.depName[d])
  }

  /**
   * Provides transitivity: every remaining provider of `name` must also provide `mustProvide`
   * (or, with `skipVirtuals`, provide some name without a version). Asked for each name a chosen
   * package provides, of each other provider: scanning that provider's provides each time made a
   * package of 2,000 provides take 13 s (the work grew with the cube), so the shorter of the two
   * lists is searched, and whether a package has an unversioned provides is found once.
   */
  private excludeNonProviders(name: number, mustProvide: number, skipVirtuals: boolean): void {
    if (name === mustProvide) return
    const g = this.graph
    for (let e = g.provStart[name]; e < g.provStart[name + 1]; e++) {
      const pkg = g.provPkg[e]
      if (g.pkgName[pkg] === mustProvide || !this.pkgIs(pkg, P_SELECTABLE)) continue
      if (skipVirtuals && g.provVersion(e) === undefined) continue
      const keeps =
        (skipVirtuals && this.hasUnversionedProvides(pkg)) || this.provides(pkg, mustProvide)
      if (!keeps) this.disqualifyPackage(pkg)
    }
  }

  /** Whether `pkg` lists `name` among its provides (its own name aside). */
  private provides(pkg: number, name: number): boolean {
    const g = this.graph
    const first = g.pkgListStart[pkg * 3 + PROVIDES]
    const end = g.pkgListStart[pkg * 3 + PROVIDES + 1]
    if (end - first <= g.provStart[name + 1] - g.provStart[name]) {
      for (let i = first; i < end; i++) if (g.depName[g.pkgLists[i]] === name) return true
      return false
    }
    // The name's providers list each package once per provides entry naming it (OWN: its own).
    for (let e = g.provStart[name]; e < g.provStart[name + 1]; e++) {
      if (g.provPkg[e] === pkg && g.provDep[e] !== OWN) return true
    }
    return false
  }

  /** Whether `pkg` provides a name without a version (worked out once a solve per package). */
  private hasUnversionedProvides(pkg: number): boolean {
    let known = this.unversionedProvides[pkg]
    if (known === 0) {
      const g = this.graph
      known = 1
      for (
        let i = g.pkgListStart[pkg * 3 + PROVIDES];
        i < g.pkgListStart[pkg * 3 + PROVIDES + 1];
        i++
      ) {
        if (g.dep(g.pkgLists[i]).version === undefined) {
          known = 2
          break
        }
      }
      this.unversionedProvides[pkg] = known
    }
    return known === 2
  }

  /** Re-runs the install_if test of a package once every name it mentions is decided. */
  private evaluateInstallIf(pkg: number): void {
    const g = this.graph
    this.setPkg(pkg, P_IIF_TRIGGERED, true)
    this.setPkg(pkg, P_IIF_FAILED, false)
    const ls = g.pkgListStart
    for (let i = ls[pkg * 3 + INSTALL_IF]; i < ls[pkg * 3 + INSTALL_IF + 1]; i++) {
      const d = g.pkgLists[i]
      const name = g.depName[d]
      const dep = g.dep(d)
      if (!this.nameIs(name, N_LOCKED)) {
        if (dep.conflict) {
          // A conflict can only be settled once that name is resolved, so resolve it.
          this.setName(name, N_IIF_NEEDED, true)
          this.queueUnresolved(name)
        }
        this.setPkg(pkg, P_IIF_TRIGGERED, false)
        return
      }
      if (!isProvidedByChosen(g, dep, name, pkg)) {
        this.setPkg(pkg, P_IIF_TRIGGERED, false)
        this.setPkg(pkg, P_IIF_FAILED, true)
        return
      }
    }
  }

  private dependsSatisfiable(pkg: number): boolean {
    const g = this.graph
    const ls = g.pkgListStart
    for (let i = ls[pkg * 3 + DEPENDS]; i < ls[pkg * 3 + DEPENDS + 1]; i++) {
      if (!this.dependencySatisfiable(pkg, g.pkgLists[i])) return false
    }
    return true
  }

  reconsiderName(name: number): void {
    const g = this.graph
    const reevaluateDeps = this.nameIs(name, N_REEVALUATE_DEPS)
    const reevaluateIif = this.nameIs(name, N_REEVALUATE_IIF)
    this.nflags[name] &= ~(N_REEVALUATE_DEPS | N_REEVALUATE_IIF)

    let firstCandidate = NO_PKG
    let numOptions = 0
    let numTagNotOk = 0
    let hasIif = false
    let noIif = true
    let hasAutoSelectable = false
    const ls = g.pkgListStart
    for (let e = g.provStart[name]; e < g.provStart[name + 1]; e++) {
      const pkg = g.provPkg[e]
      this.setPkg(pkg, P_DEPENDENCIES_MERGED, false)
      if (reevaluateDeps) {
        if (!this.pkgIs(pkg, P_SELECTABLE)) continue
        if (!this.dependsSatisfiable(pkg)) this.disqualifyPackage(pkg)
      }
      if (!this.pkgIs(pkg, P_SELECTABLE)) continue

      if (reevaluateIif && !this.pkgIs(pkg, P_IIF_TRIGGERED | P_IIF_FAILED)) {
        this.evaluateInstallIf(pkg)
      }
      const triggered = this.pkgIs(pkg, P_IIF_TRIGGERED)
      if (reevaluateIif && triggered) {
        for (let i = ls[pkg * 3 + INSTALL_IF]; i < ls[pkg * 3 + INSTALL_IF + 1]; i++) {
          this.inheritPinning(pkg, g.chosenPkg[g.depName[g.pkgLists[i]]])
        }
      }
      hasIif ||= triggered
      noIif &&= this.pkgIs(pkg, P_IIF_FAILED)
      hasAutoSelectable ||= triggered

      if (g.requirers[name] === 0) continue

      this.setPkg(pkg, P_DEPENDENCIES_MERGED, true)
      if (firstCandidate === NO_PKG) firstCandidate = pkg
      this.mergeCandidate(pkg, g.provVersion(e), numOptions)
      if (!this.pkgIs(pkg, P_TAG_OK)) numTagNotOk++
      numOptions++
      hasAutoSelectable ||= this.isProviderAutoSelectable(pkg, g.provVersion(e))
    }
    this.setName(name, N_HAS_OPTIONS, numOptions > 1 || numTagNotOk > 0)
    this.setName(name, N_HAS_IIF, hasIif)
    this.setName(name, N_NO_IIF, noIif)
    this.setName(name, N_HAS_AUTO_SELECTABLE, hasAutoSelectable)

    if (firstCandidate !== NO_PKG) this.propagateCommon(name, firstCandidate, numOptions)

    let reverseDepsDone = true
    for (let i = g.rdepStart[name]; i < g.rdepStart[name + 1] && reverseDepsDone; i++) {
      reverseDepsDone = (this.nflags[g.rdeps[i]] & (N_SEEN | N_LOCKED)) !== N_SEEN
    }
    this.setName(name, N_REVERSE_DEPS_DONE, reverseDepsDone)
    this.queueUnresolved(name)
  }

  /** Counts, per dependency and provided name, how many candidates share it (apk's merge_index). */
  private mergeCandidate(pkg: number, version: string | undefined, numOptions: number): void {
    const g = this.graph
    const ls = g.pkgListStart
    for (let i = ls[pkg * 3 + DEPENDS]; i < ls[pkg * 3 + DEPENDS + 1]; i++) {
      const d = g.pkgLists[i]
      const n = g.depName[d]
      if (!g.dep(d).conflict && g.mergeDepends[n] === numOptions) g.mergeDepends[n]++
    }
    const own = g.pkgName[pkg]
    if (g.mergeProvides[own] === numOptions) {
      g.mergeProvides[own]++
      if (version === undefined) this.setName(own, N_HAS_VIRTUAL_PROVIDES, true)
    }
    for (let i = ls[pkg * 3 + PROVIDES]; i < ls[pkg * 3 + PROVIDES + 1]; i++) {
      const d = g.pkgLists[i]
      const n = g.depName[d]
      if (g.mergeProvides[n] === numOptions) {
        g.mergeProvides[n]++
        if (g.dep(d).version === undefined) this.setName(n, N_HAS_VIRTUAL_PROVIDES, true)
      }
    }
  }

  /** Applies what every remaining candidate of `name` has in common. */
  private propagateCommon(name: number, pkg: number, numOptions: number): void {
    const g = this.graph
    for (let e = g.provStart[name]; e < g.provStart[name + 1]; e++) {
      const pkg0 = g.provPkg[e]
      this.setPkg(pkg0, P_DEPENDENCIES_USED, this.pkgIs(pkg0, P_DEPENDENCIES_MERGED))
    }
    const ls = g.pkgListStart
    for (let i = ls[pkg * 3 + DEPENDS]; i < ls[pkg * 3 + DEPENDS + 1]; i++) {
      const d = g.pkgLists[i]
      const n = g.depName[d]
      const complete = takeMerge(g.mergeDepends, n, numOptions)
      if (!complete) continue
      if (numOptions === 1) {
        this.applyDependency(pkg, d)
      } else if (g.requirers[n] === 0) {
        // A name every candidate depends on is required whichever candidate wins.
        g.requirers[n]++
        this.nameRequirersChanged(n)
        for (let e = g.provStart[n]; e < g.provStart[n + 1]; e++) {
          this.inheritPinning(g.provPkg[e], pkg)
        }
      }
    }
    const own = g.pkgName[pkg]
    if (takeMerge(g.mergeProvides, own, numOptions)) {
      this.excludeNonProviders(own, name, this.nameIs(own, N_HAS_VIRTUAL_PROVIDES))
    }
    for (let i = ls[pkg * 3 + PROVIDES]; i < ls[pkg * 3 + PROVIDES + 1]; i++) {
      const n = g.depName[g.pkgLists[i]]
      if (takeMerge(g.mergeProvides, n, numOptions)) {
        this.excludeNonProviders(n, name, this.nameIs(n, N_HAS_VIRTUAL_PROVIDES))
      }
    }
    this.setName(own, N_HAS_VIRTUAL_PROVIDES, false)
    for (let i = ls[pkg * 3 + PROVIDES]; i < ls[pkg * 3 + PROVIDES + 1]; i++) {
      this.setName(g.depName[g.pkgLists[i]], N_HAS_VIRTUAL_PROVIDES, false)
    }
  }

  /** apk's `assign_name`: `pkg` (NO_PKG: none) provides `name` under the version of `source`. */
  private assignName(name: number, pkg: number, source: number): void {
    const g = this.graph
    const version = g.versionOf(pkg, source)
    if (this.nameIs(name, N_LOCKED)) {
      // Two packages may both provide a name without a version; anything else is a conflict.
      if (version === undefined && g.chosenVersion(name) === undefined) return
      this.markError(pkg)
      this.markError(g.chosenPkg[name])
      return
    }
    this.setName(name, N_LOCKED, true)
    g.chosenPkg[name] = pkg
    g.chosenDep[name] = source
    if (this.nameIs(name, N_IN_UNRESOLVED)) this.dropUnresolved(name)
    this.setName(name, N_IN_DIRTY, false)

    const ls = g.pkgListStart
    if (pkg !== NO_PKG && g.requirers[name] === 0 && this.pkgIs(pkg, P_IIF_TRIGGERED)) {
      for (let i = ls[pkg * 3 + INSTALL_IF]; i < ls[pkg * 3 + INSTALL_IF + 1]; i++) {
        const d = g.pkgLists[i]
        if (!this.nameIs(g.depName[d], N_LOCKED)) this.applyDependency(pkg, d)
      }
    }
    for (let e = g.provStart[name]; e < g.provStart[name + 1]; e++) {
      const pkg0 = g.provPkg[e]
      if (pkg0 === pkg) continue
      if (version === undefined && g.provVersion(e) === undefined) continue
      this.disqualifyPackage(pkg0)
    }
    this.reevaluateReverseDeps(name)
    if (pkg !== NO_PKG) this.reevaluateReverseInstallIfPkg(pkg)
    else this.reevaluateReverseInstallIf(name)
  }

  /** The provider entry to pick for `name`, or -1 for none. */
  private bestProvider(name: number): number {
    const g = this.graph
    let chosen = -1
    const required = g.requirers[name] > 0
    if (!required && !this.nameIs(name, N_HAS_IIF)) return chosen
    for (let e = g.provStart[name]; e < g.provStart[name + 1]; e++) {
      const pkg = g.provPkg[e]
      if (!required) {
        const wanted = P_IIF_TRIGGERED | P_TAG_OK | P_SELECTABLE
        if ((this.pflags[pkg] & wanted) !== wanted) continue
      }
      const version = g.provVersion(e)
      if (!this.isProviderAutoSelectable(pkg, version)) continue
      const best = chosen < 0 ? NO_PKG : g.provPkg[chosen]
      const bestVersion = chosen < 0 ? undefined : g.provVersion(chosen)
      if (this.compareProviders(pkg, version, best, bestVersion) > 0) chosen = e
    }
    return chosen
  }

  selectPackage(name: number): void {
    const g = this.graph
    const best = this.bestProvider(name)
    if (best < 0) {
      this.assignName(name, NO_PKG, OWN)
      if (g.requirers[name] > 0) this.errors++
      return
    }
    const pkg = g.provPkg[best]
    // Selecting a broken or disallowed package records the error and goes on, like apk.
    if (!this.pkgIs(pkg, P_SELECTABLE) || !this.pkgIs(pkg, P_TAG_OK)) this.markError(pkg)
    this.assignName(g.pkgName[pkg], pkg, OWN)
    const ls = g.pkgListStart
    for (let i = ls[pkg * 3 + PROVIDES]; i < ls[pkg * 3 + PROVIDES + 1]; i++) {
      const d = g.pkgLists[i]
      this.assignName(g.depName[d], pkg, d)
    }
    for (let i = ls[pkg * 3 + DEPENDS]; i < ls[pkg * 3 + DEPENDS + 1]; i++) {
      this.applyDependency(pkg, g.pkgLists[i])
    }
  }

  /** Drains the dirty queue: every name whose inputs changed is reconsidered. */
  drainDirty(): void {
    while (this.dirtyHead < this.dirty.length) {
      const name = this.dirty[this.dirtyHead++]
      if (!this.nameIs(name, N_IN_DIRTY)) continue
      this.setName(name, N_IN_DIRTY, false)
      this.reconsiderName(name)
    }
    this.dirty.length = 0
    this.dirtyHead = 0
  }

  /**
   * The next name to decide, as apk's scan of its unresolved list finds it: the first (newest)
   * whose choice is forced; otherwise the first of those with an auto-selectable provider, else
   * of all, with the highest discovery id. -1: none left.
   */
  nextName(): number {
    const forced = this.forcedNames
    for (; forced.size > 0; forced.pop()) {
      const name = forced.name
      if (this.stillUnresolved(name, forced.first) && this.isForced(name)) return name
    }
    const ordered = this.orderedNames
    for (; ordered.size > 0; ordered.pop()) {
      const name = ordered.name
      const auto = this.nameIs(name, N_HAS_AUTO_SELECTABLE) ? 1 : 0
      if (this.stillUnresolved(name, ordered.third) && ordered.first === auto) return name
    }
    return -1
  }

  applyWorld(world: WorldDep[], tagIds: number[]): void {
    world.forEach((d, i) => {
      this.pinningInherit = 1 << tagIds[i]
      this.applyConstraint(NO_PKG, d.dep, d.name)
    })
    this.pinningInherit = 0
  }
}

/** Reads and resets a merge counter: true when all `numOptions` candidates shared the name. */
function takeMerge(counters: Int32Array, name: number, numOptions: number): boolean {
  const complete = counters[name] === numOptions
  counters[name] = 0
  return complete
}
