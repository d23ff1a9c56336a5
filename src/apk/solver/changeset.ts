/**
 * apk's changeset for a fresh install (`generate_changeset` in solver.c): walk the world in sorted
 * order; for each chosen package first its dependencies (in `D:` order), then the package, then
 * any install_if package all of whose conditions are now in the changeset. Each package once.
 */
import { isProvided, type SolverDep, type SolverName, type SolverPackage } from './graph.js'

/** Records an error against a package (the dependent of an unmet dependency); null is the world. */
export type MarkError = (pkg: SolverPackage | null) => void

class ChangesetBuilder {
  readonly changes: SolverPackage[] = []

  constructor(private readonly markError: MarkError) {}

  genDep(parent: SolverPackage | null, d: SolverDep): void {
    const chosen = d.name.ss.chosen
    if (!isProvided(d.dep, chosen, parent)) this.markError(parent)
    this.genNameChange(d.name)
    if (chosen.pkg !== null && chosen.pkg.ss.error) this.markError(parent)
  }

  private genNameChange(name: SolverName): void {
    if (name.ss.changesetProcessed) return
    name.ss.changesetProcessed = true
    const pkg = name.ss.chosen.pkg
    if (pkg === null || pkg.ss.inChangeset) return
    pkg.ss.inChangeset = true
    pkg.name.ss.changesetProcessed = true
    for (const d of pkg.provides) d.name.ss.changesetProcessed = true

    for (const d of pkg.depends) this.genDep(pkg, d)
    this.changes.push(pkg)
    this.checkReverseInstallIf(pkg)
  }

  private checkReverseInstallIf(pkg: SolverPackage): void {
    for (const name of pkg.name.rinstallIf) this.checkInstallByIif(name)
    for (const d of pkg.provides) {
      for (const name of d.name.rinstallIf) this.checkInstallByIif(name)
    }
  }

  /** An install_if package joins right after the last package that completes its condition. */
  private checkInstallByIif(name: SolverName): void {
    const pkg = name.ss.chosen.pkg
    if (pkg === null || !name.ss.seen || name.ss.changesetProcessed) return
    for (const d of pkg.installIf) {
      if (!d.dep.conflict && !d.name.ss.changesetProcessed) return
      if (!isProvided(d.dep, d.name.ss.chosen, pkg)) return
    }
    this.genNameChange(name)
  }
}

/** The packages to install in apk's order; marks errors on the solver for unmet dependencies. */
export function generateChangeset(world: SolverDep[], markError: MarkError): SolverPackage[] {
  const builder = new ChangesetBuilder(markError)
  for (const d of world) builder.genDep(null, d)
  return builder.changes
}
