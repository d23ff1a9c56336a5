/**
 * The solver's discovery (assembly/discover.ts) as JavaScript sees it: one instance per solve,
 * the graph's columns copied in, the world's names discovered in order, and the state discovery
 * sets (the names' and packages' flags, the names' order, the packages' pinning) copied back, so
 * the module's memory goes with the call.
 */
import { FormatError } from '../errors.js'
import { instantiateWasm, wasmTrapped } from '../../wasm.js'
import { DISCOVER_WASM } from './discover-wasm.js'
import type { SolverGraph } from './graph.js'

/** The module's exports (see assembly/discover.ts). */
interface Exports {
  memory: { buffer: ArrayBuffer }
  init(
    names: number,
    packages: number,
    providers: number,
    riifEntries: number,
    listEntries: number,
    deps: number,
    worldNames: number,
    limitPages: number
  ): void
  provStartAt(): number
  provPkgAt(): number
  riifStartAt(): number
  riifsAt(): number
  pkgNameAt(): number
  pkgReposAt(): number
  pkgInstallableAt(): number
  pkgEmptyAt(): number
  pkgListStartAt(): number
  pkgListsAt(): number
  depNameAt(): number
  worldAt(): number
  nflagsAt(): number
  orderIdAt(): number
  pflagsAt(): number
  pinningAllowedAt(): number
  pinningPreferredAt(): number
  discover(worldNames: number, repos: number, count: number): number
  failureKind(): number
}

const instantiate = instantiateWasm<Exports>(DISCOVER_WASM)

/**
 * apk's `discover_name` for each of `world` (name numbers, in order) over `graph`, whose state
 * it updates; `defaultRepos` are the default pinning's repositories and `orderCount` the names
 * numbered so far. Returns the names numbered after. A chain of dependencies deeper than the
 * stack throws V8's RangeError, as the JavaScript discovery did (solve.ts names it).
 */
export function discoverWorld(
  graph: SolverGraph,
  world: readonly number[],
  defaultRepos: number,
  orderCount: number,
  limitPages = 65536
): number {
  const x = instantiate()
  const names = graph.nflags.length
  const packages = graph.pflags.length
  try {
    x.init(
      names,
      packages,
      graph.provPkg.length,
      graph.riifs.length,
      graph.pkgLists.length,
      graph.depName.length,
      world.length,
      limitPages
    )
  } catch (error) {
    if (!wasmTrapped(error) || x.failureKind() === 0) throw error
    throw new FormatError(
      `the solver's discovery over ${names} names and ${packages} packages needs more memory ` +
        `than ${x.failureKind() === 1 ? 'its limit' : 'the system gave'}; the repositories are ` +
        'too large together: use fewer of them',
      { cause: error }
    )
  }
  const view = (at: number, length: number) => new Int32Array(x.memory.buffer, at, length)
  view(x.provStartAt(), names + 1).set(graph.provStart.subarray(0, names + 1))
  view(x.riifStartAt(), names + 1).set(graph.riifStart.subarray(0, names + 1))
  view(x.nflagsAt(), names).set(graph.nflags)
  view(x.orderIdAt(), names).set(graph.orderId)
  view(x.provPkgAt(), graph.provPkg.length).set(graph.provPkg)
  view(x.riifsAt(), graph.riifs.length).set(graph.riifs)
  view(x.pkgNameAt(), packages).set(graph.pkgName.subarray(0, packages))
  view(x.pkgReposAt(), packages).set(graph.pkgRepos.subarray(0, packages))
  view(x.pkgInstallableAt(), packages).set(graph.pkgInstallable.subarray(0, packages))
  view(x.pkgEmptyAt(), packages).set(graph.pkgEmpty.subarray(0, packages))
  view(x.pflagsAt(), packages).set(graph.pflags)
  view(x.pinningAllowedAt(), packages).set(graph.pinningAllowed)
  view(x.pinningPreferredAt(), packages).set(graph.pinningPreferred)
  view(x.pkgListStartAt(), packages * 3 + 1).set(graph.pkgListStart.subarray(0, packages * 3 + 1))
  view(x.pkgListsAt(), graph.pkgLists.length).set(graph.pkgLists)
  view(x.depNameAt(), graph.depName.length).set(graph.depName)
  view(x.worldAt(), world.length).set(world)

  const count = x.discover(world.length, defaultRepos, orderCount)

  graph.nflags.set(view(x.nflagsAt(), names))
  graph.orderId.set(view(x.orderIdAt(), names))
  graph.pflags.set(view(x.pflagsAt(), packages))
  graph.pinningAllowed.set(view(x.pinningAllowedAt(), packages))
  graph.pinningPreferred.set(view(x.pinningPreferredAt(), packages))
  return count
}
