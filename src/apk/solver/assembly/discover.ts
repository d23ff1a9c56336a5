/**
 * The solver's discovery, compiled to WebAssembly (AssemblyScript; `npm run build:wasm` writes
 * `../discover-wasm.ts`): apk-tools' `discover_name`, depth first from the world over each name's
 * providers, their dependencies, the install_if rules that mention them and the names they
 * provide, marking every name and package it reaches and numbering the names in post-order. It
 * visits most of an index (python3 reaches 3,700 of v3.22 main's 5,700 packages), and in
 * JavaScript that ran in V8's interpreter in a cold process: 7-10 ms of a resolve.
 *
 * The caller (discover.ts) reserves the columns (init), copies the graph's into them, calls
 * `discover` with the world's names, and copies the state columns back. The steps and their
 * order are core.ts's before this module, one function for one function.
 */

import { alloc, i32At, setI32, setLimit } from '../../assembly/memory'
export { failureKind } from '../../assembly/memory'

// The lists of a package (package-table.ts) and the state bits (graph.ts) discovery sets.
const DEPENDS = 0
const PROVIDES = 1
const INSTALL_IF = 2
const N_SEEN = 1
const N_NO_IIF = 64
const P_SEEN = 1
const P_SELECTABLE = 2
const P_IIF_FAILED = 8
const P_TAG_OK = 16
const P_TAG_PREFERRED = 32
const DEFAULT_PINNING = 1

function column(count: i32): usize {
  return alloc((<usize>max<i32>(count, 1)) << 2)
}

// The graph's columns (read) ...
let provStart: usize = 0
let provPkg: usize = 0
let riifStart: usize = 0
let riifs: usize = 0
let pkgName: usize = 0
let pkgRepos: usize = 0
let pkgInstallable: usize = 0
let pkgEmpty: usize = 0
let pkgListStart: usize = 0
let pkgLists: usize = 0
let depName: usize = 0
let world: usize = 0
// ... and its state (read and written).
let nflags: usize = 0
let orderId: usize = 0
let pflags: usize = 0
let pinningAllowed: usize = 0
let pinningPreferred: usize = 0
/** How many leading provides of each package are known to be discovered (discoverProvides). */
let providesSeen: usize = 0

let defaultRepos: i32 = 0
let orderCount: i32 = 0

/**
 * Reserves every column: `names` names (the graph's capacity), `packages` packages, provider,
 * install_if-edge and list entries, `deps` dependency tokens and `worldNames` world names.
 */
export function init(
  names: i32,
  packages: i32,
  providers: i32,
  riifEntries: i32,
  listEntries: i32,
  deps: i32,
  worldNames: i32,
  limitPages: i32
): void {
  setLimit(limitPages)
  provStart = column(names + 1)
  riifStart = column(names + 1)
  nflags = column(names)
  orderId = column(names)
  provPkg = column(providers)
  riifs = column(riifEntries)
  pkgName = column(packages)
  pkgRepos = column(packages)
  pkgInstallable = column(packages)
  pkgEmpty = column(packages)
  pflags = column(packages)
  pinningAllowed = column(packages)
  pinningPreferred = column(packages)
  providesSeen = column(packages)
  pkgListStart = column(packages * 3 + 1)
  pkgLists = column(listEntries)
  depName = column(deps)
  world = column(worldNames)
}

export function provStartAt(): usize {
  return provStart
}
export function provPkgAt(): usize {
  return provPkg
}
export function riifStartAt(): usize {
  return riifStart
}
export function riifsAt(): usize {
  return riifs
}
export function pkgNameAt(): usize {
  return pkgName
}
export function pkgReposAt(): usize {
  return pkgRepos
}
export function pkgInstallableAt(): usize {
  return pkgInstallable
}
export function pkgEmptyAt(): usize {
  return pkgEmpty
}
export function pkgListStartAt(): usize {
  return pkgListStart
}
export function pkgListsAt(): usize {
  return pkgLists
}
export function depNameAt(): usize {
  return depName
}
export function worldAt(): usize {
  return world
}
export function nflagsAt(): usize {
  return nflags
}
export function orderIdAt(): usize {
  return orderId
}
export function pflagsAt(): usize {
  return pflags
}
export function pinningAllowedAt(): usize {
  return pinningAllowed
}
export function pinningPreferredAt(): usize {
  return pinningPreferred
}

/**
 * Discovers the first `worldNames` names of the world column in order, as the solver does before
 * applying the world; `repos` is the default pinning's repositories, `count` the names numbered
 * so far. Returns the names numbered after.
 */
export function discover(worldNames: i32, repos: i32, count: i32): i32 {
  defaultRepos = repos
  orderCount = count
  for (let i = 0; i < worldNames; i++) discoverName(i32At(world, i))
  return orderCount
}

function discoverPackage(pkg: i32): void {
  setI32(pinningAllowed, pkg, DEFAULT_PINNING)
  setI32(pinningPreferred, pkg, DEFAULT_PINNING)
  const tagPreferred = i32At(pkgEmpty, pkg) != 0 || (i32At(pkgRepos, pkg) & defaultRepos) != 0
  let f = i32At(pflags, pkg) | P_SEEN
  if (i32At(pkgInstallable, pkg) != 0) f |= P_SELECTABLE
  else f &= ~P_SELECTABLE
  const lists = pkg * 3
  if (i32At(pkgListStart, lists + INSTALL_IF) == i32At(pkgListStart, lists + INSTALL_IF + 1)) {
    f |= P_IIF_FAILED
  } else {
    f &= ~P_IIF_FAILED
  }
  if (tagPreferred) f |= P_TAG_PREFERRED | P_TAG_OK
  else f &= ~(P_TAG_PREFERRED | P_TAG_OK)
  setI32(pflags, pkg, f)
  const end = i32At(pkgListStart, lists + DEPENDS + 1)
  for (let i = i32At(pkgListStart, lists + DEPENDS); i < end; i++) {
    const name = i32At(depName, i32At(pkgLists, i))
    if ((i32At(nflags, name) & N_SEEN) == 0) discoverName(name)
  }
}

function discoverName(name: i32): void {
  if ((i32At(nflags, name) & N_SEEN) != 0) return
  setI32(nflags, name, i32At(nflags, name) | N_SEEN)
  const first = i32At(provStart, name)
  const end = i32At(provStart, name + 1)
  let noIif = true
  for (let e = first; e < end; e++) {
    const pkg = i32At(provPkg, e)
    if ((i32At(pflags, pkg) & P_SEEN) == 0) discoverPackage(pkg)
    if ((i32At(pflags, pkg) & P_IIF_FAILED) == 0) noIif = false
  }
  if (noIif) setI32(nflags, name, i32At(nflags, name) | N_NO_IIF)
  else setI32(nflags, name, i32At(nflags, name) & ~N_NO_IIF)
  discoverReverseInstallIf(name)
  for (let e = first; e < end; e++) {
    const pkg = i32At(provPkg, e)
    discoverReverseInstallIf(i32At(pkgName, pkg))
    discoverProvides(pkg)
  }
  setI32(orderId, name, ++orderCount)
  for (let e = first; e < end; e++) {
    const lists = i32At(provPkg, e) * 3
    const stop = i32At(pkgListStart, lists + INSTALL_IF + 1)
    for (let i = i32At(pkgListStart, lists + INSTALL_IF); i < stop; i++) {
      const condition = i32At(depName, i32At(pkgLists, i))
      if ((i32At(nflags, condition) & N_SEEN) == 0) discoverName(condition)
    }
  }
}

function discoverReverseInstallIf(name: i32): void {
  const end = i32At(riifStart, name + 1)
  for (let i = i32At(riifStart, name); i < end; i++) {
    const dependent = i32At(riifs, i)
    if ((i32At(nflags, dependent) & N_SEEN) == 0) discoverName(dependent)
  }
}

/**
 * Discovers every name a package provides, in order. Visiting one of them visits the package's
 * provides again, which is quadratic for busybox's hundreds of cmd: names; the cursor past the
 * names already seen skips only visits that would return at once, so the order holds.
 */
function discoverProvides(pkg: i32): void {
  const start = i32At(pkgListStart, pkg * 3 + PROVIDES)
  const count = i32At(pkgListStart, pkg * 3 + PROVIDES + 1) - start
  let i = i32At(providesSeen, pkg)
  while (i < count) {
    const name = i32At(depName, i32At(pkgLists, start + i))
    if ((i32At(nflags, name) & N_SEEN) == 0) discoverName(name)
    i++
    let past = i32At(providesSeen, pkg)
    while (
      past < count &&
      (i32At(nflags, i32At(depName, i32At(pkgLists, start + past))) & N_SEEN) != 0
    ) {
      past++
    }
    setI32(providesSeen, pkg, past)
    if (past > i) i = past
  }
}
