/**
 * Explains a failed solve the way apk-tools 2.14 does (`apk_solver_print_errors`): names the world
 * or a chosen package needs but nothing provides, then each package of the attempted changeset
 * with what masks it, what it conflicts with, which dependencies it breaks and which it satisfies.
 * Each problem is one block: a label line and indented `key: item item…` lines.
 */
import { formatDependency } from '../formats/dependency.js'
import {
  DEPENDS,
  INSTALL_IF,
  isProvided,
  NO_PKG,
  packageTag,
  pinningMaskRepos,
  PROVIDES,
  type SolverGraph
} from './graph.js'
import type { WorldDep } from './core.js'
import type { Dependency } from '../types.js'

const PRESENT = 1
const MISSING = 2
const VIRTUAL_ONLY = 4
const INSTALLIF = 8

const SATISFIES = 1
const CONFLICTS = 2

/**
 * The most items one line of a problem lists, and the most problems listed: a hostile index can
 * make thousands (a package providing one name 2,000 times made 4 million conflicts, 144 MB).
 */
const MAX_ITEMS = 32
const MAX_PROBLEMS = 64
/**
 * Steps (dependencies and providers looked at) the whole explanation may take; past them it
 * stops and says so. A real failure takes a few thousand; a hub of 16,000 dependencies with one
 * missing name took 28 s before this bound.
 */
const WORK_BUDGET = 5_000_000

/** One problem block under construction. */
class Problem {
  private readonly lines: [string, string[], number][] = []

  constructor(readonly label: string) {}

  add(key: string, item: string): void {
    const last = this.lines[this.lines.length - 1]
    if (last !== undefined && last[0] === key) {
      if (last[1].length < MAX_ITEMS) last[1].push(item)
      else last[2]++
    } else this.lines.push([key, [item], 0])
  }

  get empty(): boolean {
    return this.lines.length === 0
  }

  toString(): string {
    const body = this.lines.map(([key, items, more]) => {
      const rest = more > 0 ? ` … and ${more} more` : ''
      return `\n    ${key} ${items.join(' ')}${rest}`
    })
    return `${this.label}:${body.join('')}`
  }
}

/** A package's dependencies of one kind (DEPENDS, PROVIDES, INSTALL_IF), as world deps are. */
function listOf(graph: SolverGraph, pkg: number, which: number): WorldDep[] {
  const out: WorldDep[] = []
  const ls = graph.pkgListStart
  for (let i = ls[pkg * 3 + which]; i < ls[pkg * 3 + which + 1]; i++) {
    const d = graph.pkgLists[i]
    out.push({ dep: graph.dep(d), name: graph.depName[d] })
  }
  return out
}

/** The package numbers providing `name`, one per provider entry, with the versions. */
function providersOf(graph: SolverGraph, name: number): { pkg: number; version?: string }[] {
  const out: { pkg: number; version?: string }[] = []
  for (let e = graph.provStart[name]; e < graph.provStart[name + 1]; e++) {
    out.push({ pkg: graph.provPkg[e], version: graph.provVersion(e) })
  }
  return out
}

function reverseDepends(graph: SolverGraph, name: number): number[] {
  return Array.from(graph.rdeps.subarray(graph.rdepStart[name], graph.rdepStart[name + 1]))
}

function reverseInstallIf(graph: SolverGraph, name: number): number[] {
  return Array.from(graph.riifs.subarray(graph.riifStart[name], graph.riifStart[name + 1]))
}

class FailureReport {
  private readonly nameFlags = new Map<number, number>()
  private readonly pkgFlags = new Map<number, number>()
  private readonly marked: Set<number>
  readonly problems: string[] = []
  private left = WORK_BUDGET
  private provided: string[] | undefined
  private suggested = 0

  constructor(
    private readonly graph: SolverGraph,
    private readonly world: WorldDep[],
    private readonly changeset: number[]
  ) {
    this.marked = new Set(changeset)
  }

  private pkgVer(pkg: number): string {
    const whole = this.graph.pkg(pkg)
    return `${whole.name}-${whole.version}`
  }

  private depText(owner: number, dep: Dependency): string {
    return `${owner === NO_PKG ? 'world' : this.pkgVer(owner)}[${formatDependency(dep)}]`
  }

  /** apk_dep_analyze: how `dep` (of `dependent`) relates to installing `pkg`. */
  private analyzeDep(dependent: number, dep: Dependency, pkg: number): number {
    const g = this.graph
    if (dep.name === g.names[g.pkgName[pkg]]) {
      const provided = isProvided(g, dep, pkg, g.pkg(pkg).version, dependent)
      return provided ? SATISFIES : CONFLICTS
    }
    const provide = listOf(g, pkg, PROVIDES).find((p) => g.names[p.name] === dep.name)
    if (provide === undefined) return 0
    return isProvided(g, dep, pkg, provide.dep.version, dependent) ? SATISFIES : CONFLICTS
  }

  private isNameConcrete(pkg: number, name: number): boolean {
    if (this.graph.pkgName[pkg] === name) return true
    return listOf(this.graph, pkg, PROVIDES).some(
      (d) => d.name === name && d.dep.version !== undefined
    )
  }

  private flags(name: number): number {
    return this.nameFlags.get(name) ?? 0
  }

  private flag(name: number, state: number): void {
    this.nameFlags.set(name, this.flags(name) | state)
  }

  /** Marks which names the attempted changeset makes present, as apk's error printer does. */
  private discoverDeps(deps: WorldDep[]): void {
    for (const d of deps) if (!d.dep.conflict) this.discoverName(d.name, PRESENT)
  }

  private discoverName(name: number, pkgState: number): void {
    const g = this.graph
    for (const { pkg } of providersOf(g, name)) {
      if (!this.marked.has(pkg)) continue
      let state = pkgState
      if (g.pkg(pkg).providerPriority === 0 && !this.isNameConcrete(pkg, name)) {
        state = VIRTUAL_ONLY
      }
      const seen = this.pkgFlags.get(pkg) ?? 0
      if (seen & state) continue
      this.pkgFlags.set(pkg, seen | state)
      this.flag(g.pkgName[pkg], state)
      const provides = listOf(g, pkg, PROVIDES)
      for (const d of provides) {
        const unversionedIif = state === INSTALLIF && d.dep.version === undefined
        this.flag(d.name, unversionedIif ? VIRTUAL_ONLY : state)
      }
      this.discoverDeps(listOf(g, pkg, DEPENDS))
      if (state === PRESENT || state === INSTALLIF) {
        this.discoverReverseIif(g.pkgName[pkg])
        for (const d of provides) this.discoverReverseIif(d.name)
      }
    }
  }

  private discoverReverseIif(name: number): void {
    const g = this.graph
    for (const name0 of reverseInstallIf(g, name)) {
      for (const { pkg } of providersOf(g, name0)) {
        const installIf = listOf(g, pkg, INSTALL_IF)
        if (!this.marked.has(pkg) || installIf.length === 0) continue
        const ok = installIf.every(
          (d) => d.dep.conflict !== ((this.flags(d.name) & (PRESENT | INSTALLIF)) !== 0)
        )
        if (!ok) continue
        this.discoverName(g.pkgName[pkg], INSTALLIF)
        for (const d of listOf(g, pkg, PROVIDES)) this.discoverName(d.name, INSTALLIF)
      }
    }
  }

  private analyzeDeps(deps: WorldDep[]): void {
    for (const d of deps) {
      if (d.dep.conflict) continue
      if (this.flags(d.name) & (INSTALLIF | PRESENT | MISSING)) continue
      this.flag(d.name, MISSING)
      this.analyzeMissingName(d.name)
    }
  }

  private analyzeMissingName(name: number): void {
    const g = this.graph
    const text = g.names[name]
    const provided = g.provStart[name + 1] > g.provStart[name]
    let problem: Problem
    if (provided) {
      problem = new Problem(`${text} (virtual)`)
      problem.add('note:', "please select one of the 'provided by' packages explicitly")
      for (const item of this.providedBy(name)) problem.add('provided by:', item)
    } else {
      problem = new Problem(`${text} (no such package)`)
    }
    for (const item of this.requiredBy(name)) problem.add('required by:', item)
    // Suggestions for the first few names only: each looks at every name of the index.
    if (!provided && this.suggested++ < MAX_SUGGESTED) {
      this.provided ??= g.providedNames()
      const close = suggestNames(g, text, this.provided)
      if (close.length > 0) problem.add('did you mean:', `${close.join(', ')}?`)
    }
    this.problems.push(problem.toString())
  }

  private requiredBy(name: number): string[] {
    const g = this.graph
    const items: string[] = []
    for (const d of this.world) {
      if (d.name === name && !d.dep.conflict) items.push(this.depText(NO_PKG, d.dep))
    }
    const visited = new Set<number>()
    for (const name0 of reverseDepends(g, name)) {
      // apk looks at the first marked provider of each reverse dependency only.
      const pkg0 = providersOf(g, name0)
        .map((p) => p.pkg)
        .find((pkg) => this.marked.has(pkg) && !visited.has(pkg))
      if (pkg0 === undefined) continue
      visited.add(pkg0)
      const dep = listOf(g, pkg0, DEPENDS).find((d) => d.name === name && !d.dep.conflict)
      if (dep !== undefined) items.push(this.depText(pkg0, dep.dep))
    }
    return items
  }

  /** Takes `steps` of the work budget; false once it is spent. */
  private spend(steps: number): boolean {
    this.left -= steps
    return this.left > 0
  }

  private analyzePackage(pkg: number): void {
    const problem = new Problem(this.pkgVer(pkg))
    this.pinningErrors(problem, pkg)
    this.conflicts(problem, pkg)
    this.deps(problem, pkg, CONFLICTS)
    if (!problem.empty) this.deps(problem, pkg, SATISFIES)
    if (!problem.empty) this.problems.push(problem.toString())
  }

  private pinningErrors(problem: Problem, pkg: number): void {
    const g = this.graph
    if (g.pkgInstallable[pkg] === 0) problem.add('masked in:', `arch ${g.pkg(pkg).arch ?? ''}`)
    const tag = packageTag(g, pkg)
    if (g.pkgRepos[pkg] & pinningMaskRepos(g, 1 | (1 << tag))) return
    g.tags.forEach((name, id) => {
      if (g.pkgRepos[pkg] & g.tagRepos[id]) problem.add('masked in:', `@${name}`)
    })
  }

  private conflicts(problem: Problem, pkg: number): void {
    const g = this.graph
    for (const p of providersOf(g, g.pkgName[pkg])) {
      if (p.pkg === pkg || !this.marked.has(p.pkg)) continue
      problem.add('conflicts:', this.pkgVer(p.pkg))
    }
    // Each provided name and version once: one listed thousands of times says no more.
    const seen = new Set<string>()
    for (const d of listOf(g, pkg, PROVIDES)) {
      const key = `${d.name} ${d.dep.version ?? ''}`
      if (seen.has(key)) continue
      seen.add(key)
      let once = true
      const providers = providersOf(g, d.name)
      if (!this.spend(providers.length)) return
      for (const p of providers) {
        const other = p.pkg
        if (!this.marked.has(other)) continue
        if (d.dep.version === undefined && p.version === undefined) continue
        if (once && other === pkg && p.version === d.dep.version) {
          once = false
          continue
        }
        problem.add('conflicts:', `${this.pkgVer(other)}[${formatDependency(d.dep)}]`)
      }
    }
  }

  /** The world and changeset dependencies that `pkg` breaks (or satisfies). */
  private deps(problem: Problem, pkg: number, match: number): void {
    const g = this.graph
    const key = match === SATISFIES ? 'satisfies:' : 'breaks:'
    for (const d of this.world) {
      if (this.analyzeDep(NO_PKG, d.dep, pkg) & match) {
        problem.add(key, this.depText(NO_PKG, d.dep))
      }
    }
    const visited = new Set<number>()
    const names = [g.pkgName[pkg], ...listOf(g, pkg, PROVIDES).map((d) => d.name)]
    for (const name of names) {
      for (const name0 of reverseDepends(g, name)) {
        for (const p0 of providersOf(g, name0)) {
          const pkg0 = p0.pkg
          if (!this.marked.has(pkg0) || visited.has(pkg0)) continue
          visited.add(pkg0)
          const depends = listOf(g, pkg0, DEPENDS)
          if (!this.spend(depends.length)) return
          for (const d0 of depends) {
            if (this.analyzeDep(pkg0, d0.dep, pkg) & match) {
              problem.add(key, this.depText(pkg0, d0.dep))
            }
          }
        }
      }
    }
  }

  run(): string[] {
    this.discoverDeps(this.world)
    this.analyzeDeps(this.world)
    for (const pkg of this.changeset) {
      if (this.left <= 0 || this.problems.length >= MAX_PROBLEMS) break
      this.analyzePackage(pkg)
      this.analyzeDeps(listOf(this.graph, pkg, DEPENDS))
    }
    if (this.problems.length === 0) {
      this.problems.push('the solver found no consistent set of packages but no single cause')
    }
    if (this.left <= 0 || this.problems.length > MAX_PROBLEMS) {
      const shown = this.problems.slice(0, MAX_PROBLEMS)
      shown.push(
        'and more: the explanation stops here (the repositories make it too large to list)'
      )
      return shown
    }
    return this.problems
  }

  /** apk's "provided by" list: a package name when all its versions provide the name, else name-version. */
  private providedBy(name: number): string[] {
    const g = this.graph
    const refs = new Map<number, number>()
    const providers = providersOf(g, name)
    for (const p of providers) {
      const real = g.pkgName[p.pkg]
      refs.set(real, (refs.get(real) ?? 0) + 1)
    }
    const items: string[] = []
    for (const p of providers) {
      const own = g.pkgName[p.pkg]
      const count = refs.get(own) ?? 0
      if (count === g.provStart[own + 1] - g.provStart[own]) {
        items.push(g.names[own])
        refs.set(own, 0)
      } else if (count > 0) {
        items.push(this.pkgVer(p.pkg))
        refs.set(own, count - 1)
      }
    }
    return items
  }
}

/** Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`. */
function editDistance(a: string, b: string): number {
  let before: number[] = []
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        cur[j] = Math.min(cur[j], before[j - 2] + 1)
      }
    }
    before = prev
    prev = cur
  }
  return prev[b.length]
}

const MAX_SUGGESTIONS = 5
/** Missing names that get suggestions. */
const MAX_SUGGESTED = 8

/**
 * Names from the index close to a name nothing provides: a few typos away, or one extending the
 * other. Closest first, then alphabetical.
 */
export function suggestNames(
  graph: SolverGraph,
  wanted: string,
  provided = graph.providedNames()
): string[] {
  const limit = wanted.length <= 4 ? 1 : wanted.length <= 8 ? 2 : 3
  const scored: [number, string][] = []
  for (const name of provided) {
    if (name === wanted) continue
    if (Math.abs(name.length - wanted.length) > limit) {
      // Too far apart to be a typo (no edit distance to work out): only a prefix pair counts.
      if (isPrefixPair(name, wanted)) scored.push([limit + 1, name])
      continue
    }
    const distance = editDistance(wanted, name)
    if (distance <= limit) scored.push([distance, name])
    else if (isPrefixPair(name, wanted)) scored.push([limit + 1, name])
  }
  scored.sort((x, y) => x[0] - y[0] || (x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0))
  return scored.slice(0, MAX_SUGGESTIONS).map(([, name]) => name)
}

function isPrefixPair(name: string, wanted: string): boolean {
  const min = 3
  if (wanted.length < min) return false
  return name.startsWith(wanted) || (name.length >= min && wanted.startsWith(name))
}

/** apk-style problem blocks for a solve that ended with errors. */
export function explainFailure(
  graph: SolverGraph,
  world: WorldDep[],
  changeset: number[]
): string[] {
  return new FailureReport(graph, world, changeset).run()
}
