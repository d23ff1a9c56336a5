/**
 * Dependency resolution for a fresh install, ported structurally from apk-tools 2.14 `solver.c`
 * so the same world picks the same packages: names are discovered depth-first from the world and
 * numbered in post-order, world constraints disqualify providers, a dirty queue propagates what
 * is known, and when nothing more can be deduced the solver commits to one name (a forced one if
 * any, else the highest-numbered, i.e. closest to the world) and picks its best provider.
 * The result is apk's changeset: dependencies first, in `D:` order, then the package, then the
 * install_if packages that became complete.
 */
import { FormatError, UnsatisfiableError } from '../errors.js'
import { generateChangeset } from './changeset.js'
import { Solver, type WorldDep } from './core.js'
import { explainFailure } from './explain.js'
import {
  graphFor,
  normalizeTag,
  packageTag,
  type PackageSource,
  type SolverGraph
} from './graph.js'
import type { Dependency, RepoPackage, Repository } from '../types.js'

export interface Solution {
  /** The packages to install, in apk's changeset (install) order. */
  packages: RepoPackage[]
  /**
   * The repository tag (without `@`) each package installs under, for those pulled from a tagged
   * repository through `name@tag`: apk records it as the package's `s:` line in the database.
   */
  tags: Map<RepoPackage, string>
}

export interface SolveOptions {
  /** The configured repositories; their order breaks ties and their tags gate `name@tag`. */
  repositories: Repository[]
  /** When set, packages built for another arch (and not noarch) are never selected. */
  arch?: string
}

/** World order: by name, case-insensitive first (apk sorts world in place before solving). */
export function compareNames(a: string, b: string): number {
  const la = a.toLowerCase()
  const lb = b.toLowerCase()
  if (la !== lb) return la < lb ? -1 : 1
  return a < b ? -1 : a > b ? 1 : 0
}

/** `apk add` semantics: a later dependency on the same name replaces the earlier one. */
function mergeWorld(world: Dependency[]): Dependency[] {
  const byName = new Map<string, Dependency>()
  for (const dep of world) byName.set(dep.name, dep)
  return [...byName.values()].sort((a, b) => compareNames(a.name, b.name))
}

/** The world's tags must name configured repositories, as apk checks before solving. */
function worldTagIds(
  graph: SolverGraph,
  world: Dependency[]
): { ids: number[]; problems: string[] } {
  const problems: string[] = []
  const ids = world.map((dep) => {
    const tag = normalizeTag(dep.tag)
    const id = graph.tagId(tag)
    if (tag !== '' && (id < 0 || graph.tagRepos[id] === 0)) {
      problems.push(
        `world[${dep.name}@${tag}]: no repository is tagged @${tag}; tag a repository @${tag} or drop the tag`
      )
    }
    return Math.max(id, 0)
  })
  return { ids, problems }
}

/**
 * Resolves `world` against `packages` (the opened indexes' tables, or packages already made; in
 * database order: repositories in configured order, index stanzas in order) exactly as apk-tools 2.14 would for an empty root, and returns the packages to
 * install in apk's changeset order. Throws UnsatisfiableError with apk-style problems when the
 * world cannot be satisfied or leaves a choice apk refuses to make.
 */
export function solve(
  world: Dependency[],
  packages: PackageSource,
  options: SolveOptions
): Solution {
  try {
    return solveWorld(world, packages, options)
  } catch (error) {
    // Discovery, the changeset and the explanation follow dependencies depth first, as apk does;
    // a chain thousands of packages deep (no real repository has one) runs out of stack.
    if (error instanceof RangeError && /call stack/i.test(error.message)) {
      throw new FormatError(
        'the repositories list dependencies that nest thousands of packages deep, deeper than ' +
          'the solver follows; an index is damaged or hostile: check the repositories',
        { cause: error }
      )
    }
    throw error
  }
}

function solveWorld(world: Dependency[], packages: PackageSource, options: SolveOptions): Solution {
  const graph = graphFor(packages, options.repositories, options.arch)
  const sortedWorld = mergeWorld(world)
  const { ids, problems } = worldTagIds(graph, sortedWorld)
  if (problems.length > 0) throw new UnsatisfiableError(problems)

  const worldDeps: WorldDep[] = sortedWorld.map((dep) => ({ dep, name: graph.name(dep.name) }))
  const solver = new Solver(graph)
  solver.discoverWorld(worldDeps.map((d) => d.name))
  solver.applyWorld(worldDeps, ids)
  for (;;) {
    solver.drainDirty()
    const name = solver.nextName()
    if (name < 0) break
    solver.selectPackage(name)
  }

  const changeset = generateChangeset(graph, worldDeps, (pkg) => solver.markError(pkg))
  if (solver.errors > 0) {
    throw new UnsatisfiableError(explainFailure(graph, worldDeps, changeset))
  }
  const tags = new Map<RepoPackage, string>()
  const chosen = changeset.map((pkg) => graph.pkg(pkg))
  changeset.forEach((pkg, i) => {
    const tag = packageTag(graph, pkg)
    if (tag !== 0) tags.set(chosen[i], graph.tags[tag])
  })
  return { packages: chosen, tags }
}
