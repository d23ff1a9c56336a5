/**
 * Explains a failed solve the way apk-tools 2.14 does (`apk_solver_print_errors`): names the world
 * or a chosen package needs but nothing provides, then each package of the attempted changeset
 * with what masks it, what it conflicts with, which dependencies it breaks and which it satisfies.
 * Each problem is one block: a label line and indented `key: item item…` lines.
 */
import { formatDependency } from '../formats/dependency.js'
import {
  isProvided,
  packageTag,
  pinningMaskRepos,
  type Provider,
  type SolverDep,
  type SolverGraph,
  type SolverName,
  type SolverPackage
} from './graph.js'
import type { Dependency } from '../types.js'

const PRESENT = 1
const MISSING = 2
const VIRTUAL_ONLY = 4
const INSTALLIF = 8

const SATISFIES = 1
const CONFLICTS = 2

/** One problem block under construction. */
class Problem {
  private readonly lines: [string, string[]][] = []

  constructor(readonly label: string) {}

  add(key: string, item: string): void {
    const last = this.lines[this.lines.length - 1]
    if (last !== undefined && last[0] === key) last[1].push(item)
    else this.lines.push([key, [item]])
  }

  get empty(): boolean {
    return this.lines.length === 0
  }

  toString(): string {
    const body = this.lines.map(([key, items]) => `\n    ${key} ${items.join(' ')}`)
    return `${this.label}:${body.join('')}`
  }
}

function pkgVer(pkg: SolverPackage): string {
  return `${pkg.pkg.name}-${pkg.pkg.version}`
}

function depText(owner: SolverPackage | null, dep: Dependency): string {
  return `${owner === null ? 'world' : pkgVer(owner)}[${formatDependency(dep)}]`
}

/** apk_dep_analyze: how `dep` (of `dependent`) relates to installing `pkg`. */
function analyzeDep(dependent: SolverPackage | null, dep: Dependency, pkg: SolverPackage): number {
  if (dep.name === pkg.name.name) {
    return isProvided(dep, { pkg, version: pkg.pkg.version }, dependent) ? SATISFIES : CONFLICTS
  }
  const provide = pkg.provides.find((p) => p.name.name === dep.name)
  if (provide === undefined) return 0
  const provider: Provider = { pkg, version: provide.dep.version }
  return isProvided(dep, provider, dependent) ? SATISFIES : CONFLICTS
}

function isNameConcrete(pkg: SolverPackage, name: SolverName): boolean {
  if (pkg.name === name) return true
  return pkg.provides.some((d) => d.name === name && d.dep.version !== undefined)
}

class FailureReport {
  private readonly nameFlags = new Map<SolverName, number>()
  private readonly pkgFlags = new Map<SolverPackage, number>()
  private readonly marked: Set<SolverPackage>
  readonly problems: string[] = []

  constructor(
    private readonly graph: SolverGraph,
    private readonly world: SolverDep[],
    private readonly changeset: SolverPackage[]
  ) {
    this.marked = new Set(changeset)
  }

  private flags(name: SolverName): number {
    return this.nameFlags.get(name) ?? 0
  }

  private flag(name: SolverName, state: number): void {
    this.nameFlags.set(name, this.flags(name) | state)
  }

  /** Marks which names the attempted changeset makes present, as apk's error printer does. */
  private discoverDeps(deps: SolverDep[]): void {
    for (const d of deps) if (!d.dep.conflict) this.discoverName(d.name, PRESENT)
  }

  private discoverName(name: SolverName, pkgState: number): void {
    for (const p of name.providers) {
      const pkg = p.pkg as SolverPackage
      if (!this.marked.has(pkg)) continue
      let state = pkgState
      if (pkg.pkg.providerPriority === 0 && !isNameConcrete(pkg, name)) state = VIRTUAL_ONLY
      const seen = this.pkgFlags.get(pkg) ?? 0
      if (seen & state) continue
      this.pkgFlags.set(pkg, seen | state)
      this.flag(pkg.name, state)
      for (const d of pkg.provides) {
        const unversionedIif = state === INSTALLIF && d.dep.version === undefined
        this.flag(d.name, unversionedIif ? VIRTUAL_ONLY : state)
      }
      this.discoverDeps(pkg.depends)
      if (state === PRESENT || state === INSTALLIF) {
        this.discoverReverseIif(pkg.name)
        for (const d of pkg.provides) this.discoverReverseIif(d.name)
      }
    }
  }

  private discoverReverseIif(name: SolverName): void {
    for (const name0 of name.rinstallIf) {
      for (const p of name0.providers) {
        const pkg = p.pkg as SolverPackage
        if (!this.marked.has(pkg) || pkg.installIf.length === 0) continue
        const ok = pkg.installIf.every(
          (d) => d.dep.conflict !== ((this.flags(d.name) & (PRESENT | INSTALLIF)) !== 0)
        )
        if (!ok) continue
        this.discoverName(pkg.name, INSTALLIF)
        for (const d of pkg.provides) this.discoverName(d.name, INSTALLIF)
      }
    }
  }

  private analyzeDeps(deps: SolverDep[]): void {
    for (const d of deps) {
      if (d.dep.conflict) continue
      if (this.flags(d.name) & (INSTALLIF | PRESENT | MISSING)) continue
      this.flag(d.name, MISSING)
      this.analyzeMissingName(d.name)
    }
  }

  private analyzeMissingName(name: SolverName): void {
    let problem: Problem
    if (name.providers.length > 0) {
      problem = new Problem(`${name.name} (virtual)`)
      problem.add('note:', "please select one of the 'provided by' packages explicitly")
      for (const item of providedBy(name)) problem.add('provided by:', item)
    } else {
      problem = new Problem(`${name.name} (no such package)`)
    }
    for (const item of this.requiredBy(name)) problem.add('required by:', item)
    if (name.providers.length === 0) {
      const close = suggestNames(this.graph, name.name)
      if (close.length > 0) problem.add('did you mean:', `${close.join(', ')}?`)
    }
    this.problems.push(problem.toString())
  }

  private requiredBy(name: SolverName): string[] {
    const items: string[] = []
    for (const d of this.world) {
      if (d.name === name && !d.dep.conflict) items.push(depText(null, d.dep))
    }
    const visited = new Set<SolverPackage>()
    for (const name0 of name.rdepends) {
      // apk looks at the first marked provider of each reverse dependency only.
      const pkg0 = name0.providers
        .map((p) => p.pkg as SolverPackage)
        .find((pkg) => this.marked.has(pkg) && !visited.has(pkg))
      if (pkg0 === undefined) continue
      visited.add(pkg0)
      const dep = pkg0.depends.find((d) => d.name === name && !d.dep.conflict)
      if (dep !== undefined) items.push(depText(pkg0, dep.dep))
    }
    return items
  }

  private analyzePackage(pkg: SolverPackage): void {
    const problem = new Problem(pkgVer(pkg))
    this.pinningErrors(problem, pkg)
    this.conflicts(problem, pkg)
    this.deps(problem, pkg, CONFLICTS)
    if (!problem.empty) this.deps(problem, pkg, SATISFIES)
    if (!problem.empty) this.problems.push(problem.toString())
  }

  private pinningErrors(problem: Problem, pkg: SolverPackage): void {
    if (!pkg.installable) problem.add('masked in:', `arch ${pkg.pkg.arch ?? ''}`)
    const tag = packageTag(this.graph, pkg)
    if (pkg.repos & pinningMaskRepos(this.graph, 1 | (1 << tag))) return
    this.graph.tags.forEach((name, id) => {
      if (pkg.repos & this.graph.tagRepos[id]) problem.add('masked in:', `@${name}`)
    })
  }

  private conflicts(problem: Problem, pkg: SolverPackage): void {
    for (const p of pkg.name.providers) {
      if (p.pkg === pkg || !this.marked.has(p.pkg as SolverPackage)) continue
      problem.add('conflicts:', pkgVer(p.pkg as SolverPackage))
    }
    for (const d of pkg.provides) {
      let once = true
      for (const p of d.name.providers) {
        const other = p.pkg as SolverPackage
        if (!this.marked.has(other)) continue
        if (d.dep.version === undefined && p.version === undefined) continue
        if (once && other === pkg && p.version === d.dep.version) {
          once = false
          continue
        }
        problem.add('conflicts:', `${pkgVer(other)}[${formatDependency(d.dep)}]`)
      }
    }
  }

  /** The world and changeset dependencies that `pkg` breaks (or satisfies). */
  private deps(problem: Problem, pkg: SolverPackage, match: number): void {
    const key = match === SATISFIES ? 'satisfies:' : 'breaks:'
    for (const d of this.world) {
      if (analyzeDep(null, d.dep, pkg) & match) problem.add(key, depText(null, d.dep))
    }
    const visited = new Set<SolverPackage>()
    const names = [pkg.name, ...pkg.provides.map((d) => d.name)]
    for (const name of names) {
      for (const name0 of name.rdepends) {
        for (const p0 of name0.providers) {
          const pkg0 = p0.pkg as SolverPackage
          if (!this.marked.has(pkg0) || visited.has(pkg0)) continue
          visited.add(pkg0)
          for (const d0 of pkg0.depends) {
            if (analyzeDep(pkg0, d0.dep, pkg) & match) problem.add(key, depText(pkg0, d0.dep))
          }
        }
      }
    }
  }

  run(): string[] {
    this.discoverDeps(this.world)
    this.analyzeDeps(this.world)
    for (const pkg of this.changeset) {
      this.analyzePackage(pkg)
      this.analyzeDeps(pkg.depends)
    }
    if (this.problems.length === 0) {
      this.problems.push('the solver found no consistent set of packages but no single cause')
    }
    return this.problems
  }
}

/** apk's "provided by" list: a package name when all its versions provide the name, else name-version. */
function providedBy(name: SolverName): string[] {
  const refs = new Map<SolverName, number>()
  for (const p of name.providers) {
    const real = (p.pkg as SolverPackage).name
    refs.set(real, (refs.get(real) ?? 0) + 1)
  }
  const items: string[] = []
  for (const p of name.providers) {
    const pkg = p.pkg as SolverPackage
    const count = refs.get(pkg.name) ?? 0
    if (count === pkg.name.providers.length) {
      items.push(pkg.name.name)
      refs.set(pkg.name, 0)
    } else if (count > 0) {
      items.push(pkgVer(pkg))
      refs.set(pkg.name, count - 1)
    }
  }
  return items
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

/**
 * Names from the index close to a name nothing provides: a few typos away, or one extending the
 * other. Closest first, then alphabetical.
 */
export function suggestNames(graph: SolverGraph, wanted: string): string[] {
  const limit = wanted.length <= 4 ? 1 : wanted.length <= 8 ? 2 : 3
  const scored: [number, string][] = []
  for (const name of graph.providedNames()) {
    if (name === wanted) continue
    if (Math.abs(name.length - wanted.length) > limit && !isPrefixPair(name, wanted)) continue
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
  world: SolverDep[],
  changeset: SolverPackage[]
): string[] {
  return new FailureReport(graph, world, changeset).run()
}
