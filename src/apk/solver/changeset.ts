/**
 * apk's changeset for a fresh install (`generate_changeset` in solver.c): walk the world in sorted
 * order; for each chosen package first its dependencies (in `D:` order), then the package, then
 * any install_if package all of whose conditions are now in the changeset. Each package once.
 */
import {
  DEPENDS,
  INSTALL_IF,
  isProvidedByChosen,
  N_CHANGESET_PROCESSED,
  N_SEEN,
  NO_PKG,
  P_ERROR,
  P_IN_CHANGESET,
  PROVIDES,
  type SolverGraph
} from './graph.js'
import type { WorldDep } from './core.js'
import type { Dependency } from '../types.js'

/** Records an error against a package (the dependent of an unmet dependency); NO_PKG is the world. */
export type MarkError = (pkg: number) => void

class ChangesetBuilder {
  readonly changes: number[] = []

  constructor(
    private readonly graph: SolverGraph,
    private readonly markError: MarkError
  ) {}

  genDep(parent: number, dep: Dependency, name: number): void {
    const g = this.graph
    const chosen = g.chosenPkg[name]
    if (!isProvidedByChosen(g, dep, name, parent)) this.markError(parent)
    this.genNameChange(name)
    if (chosen !== NO_PKG && g.pflags[chosen] & P_ERROR) this.markError(parent)
  }

  private processed(name: number): void {
    this.graph.nflags[name] |= N_CHANGESET_PROCESSED
  }

  private genNameChange(name: number): void {
    const g = this.graph
    if (g.nflags[name] & N_CHANGESET_PROCESSED) return
    this.processed(name)
    const pkg = g.chosenPkg[name]
    if (pkg === NO_PKG || g.pflags[pkg] & P_IN_CHANGESET) return
    g.pflags[pkg] |= P_IN_CHANGESET
    this.processed(g.pkgName[pkg])
    const ls = g.pkgListStart
    for (let i = ls[pkg * 3 + PROVIDES]; i < ls[pkg * 3 + PROVIDES + 1]; i++) {
      this.processed(g.depName[g.pkgLists[i]])
    }
    for (let i = ls[pkg * 3 + DEPENDS]; i < ls[pkg * 3 + DEPENDS + 1]; i++) {
      const d = g.pkgLists[i]
      this.genDep(pkg, g.dep(d), g.depName[d])
    }
    this.changes.push(pkg)
    this.checkReverseInstallIf(pkg)
  }

  private checkReverseInstallIf(pkg: number): void {
    const g = this.graph
    this.checkNameInstallIf(g.pkgName[pkg])
    const ls = g.pkgListStart
    for (let i = ls[pkg * 3 + PROVIDES]; i < ls[pkg * 3 + PROVIDES + 1]; i++) {
      this.checkNameInstallIf(g.depName[g.pkgLists[i]])
    }
  }

  private checkNameInstallIf(name: number): void {
    const g = this.graph
    for (let i = g.riifStart[name]; i < g.riifStart[name + 1]; i++) {
      this.checkInstallByIif(g.riifs[i])
    }
  }

  /** An install_if package joins right after the last package that completes its condition. */
  private checkInstallByIif(name: number): void {
    const g = this.graph
    const pkg = g.chosenPkg[name]
    if (pkg === NO_PKG) return
    if ((g.nflags[name] & (N_SEEN | N_CHANGESET_PROCESSED)) !== N_SEEN) return
    const ls = g.pkgListStart
    for (let i = ls[pkg * 3 + INSTALL_IF]; i < ls[pkg * 3 + INSTALL_IF + 1]; i++) {
      const d = g.pkgLists[i]
      const dep = g.dep(d)
      const n = g.depName[d]
      if (!dep.conflict && !(g.nflags[n] & N_CHANGESET_PROCESSED)) return
      if (!isProvidedByChosen(g, dep, n, pkg)) return
    }
    this.genNameChange(name)
  }
}

/** The packages to install in apk's order; marks errors on the solver for unmet dependencies. */
export function generateChangeset(
  graph: SolverGraph,
  world: WorldDep[],
  markError: MarkError
): number[] {
  const builder = new ChangesetBuilder(graph, markError)
  for (const d of world) builder.genDep(NO_PKG, d.dep, d.name)
  return builder.changes
}
