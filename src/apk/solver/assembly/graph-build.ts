/**
 * The solver graph's build, compiled to WebAssembly (AssemblyScript; `npm run build:wasm` writes
 * `../graph-build-wasm.ts`). It does the part of SolverGraph.build that visits every list entry
 * of every package: numbering names in the order they are met, laying out each package's
 * dependency lists, each name's providers, and the reverse edges (who depends on a name, whose
 * install_if mentions it). In JavaScript that ran in V8's interpreter in a cold process: 20 ms of
 * a resolve on Alpine's v3.22 main, for 5,700 packages.
 *
 * The caller (graph-build.ts) reserves every array up front (it knows the totals), hands the
 * tables over one at a time (their rows' name keys, lists, tokens' words), and reads the
 * results out of memory at the end. Names are the tables' keys: each table's distinct names,
 * numbered from 0; `preset` says which of a later table's keys name a name met before.
 */

import { alloc, i32At, setI32, setLimit } from '../../assembly/memory'
export { failureKind } from '../../assembly/memory'

function filled(count: i32, value: i32): usize {
  const at = alloc((<usize>count) << 2)
  if (value != 0) for (let i = 0; i < count; i++) setI32(at, i, value)
  return at
}

// ---------------------------------------------------------------------------------------------
// Lists per owner built by appending: chains in arrays (head, tail, next, value), laid out as
// ranges of one array at the end.

const C_HEAD = 0
const C_TAIL = 4
const C_NEXT = 8
const C_VALUE = 12
const C_COUNT = 16
const C_SIZE = 20

// Heads and tails are entry + 1 (0: an empty list), so fresh memory needs no filling, and the
// pages of owners with no list are never touched.
function newChains(owners: i32, entries: i32): usize {
  const c = alloc(C_SIZE)
  store<u32>(c + C_HEAD, <u32>alloc((<usize>max<i32>(owners, 1)) << 2))
  store<u32>(c + C_TAIL, <u32>alloc((<usize>max<i32>(owners, 1)) << 2))
  store<u32>(c + C_NEXT, <u32>alloc((<usize>max<i32>(entries, 1)) << 2))
  store<u32>(c + C_VALUE, <u32>alloc((<usize>max<i32>(entries, 1)) << 2))
  store<i32>(c + C_COUNT, 0)
  return c
}

function ptr(c: usize, field: usize): usize {
  return <usize>load<u32>(c + field)
}

/** Appends `value` to `owner`'s list unless it is the last one, or (`maybeListed`) anywhere. */
function appendOnce(c: usize, owner: i32, value: i32, maybeListed: bool): void {
  const head = ptr(c, C_HEAD)
  const tail = ptr(c, C_TAIL)
  const next = ptr(c, C_NEXT)
  const values = ptr(c, C_VALUE)
  const last = i32At(tail, owner) - 1
  if (last >= 0 && i32At(values, last) == value) return
  if (maybeListed) {
    for (let at = i32At(head, owner) - 1; at >= 0; at = i32At(next, at)) {
      if (i32At(values, at) == value) return
    }
  }
  const at = load<i32>(c + C_COUNT)
  store<i32>(c + C_COUNT, at + 1)
  setI32(next, at, -1)
  setI32(values, at, value)
  if (last < 0) setI32(head, owner, at + 1)
  else setI32(next, last, at)
  setI32(tail, owner, at + 1)
}

/** The lists as ranges: `start` (capacity + 1 entries) and the values, into fresh memory. */
function layOut(c: usize, owners: i32, capacity: i32): void {
  const head = ptr(c, C_HEAD)
  const next = ptr(c, C_NEXT)
  const values = ptr(c, C_VALUE)
  const start = alloc((<usize>capacity + 1) << 2)
  const out = alloc((<usize>max<i32>(load<i32>(c + C_COUNT), 1)) << 2)
  let k = 0
  for (let owner = 0; owner < owners; owner++) {
    setI32(start, owner, k)
    for (let at = i32At(head, owner) - 1; at >= 0; at = i32At(next, at)) {
      setI32(out, k++, i32At(values, at))
    }
  }
  for (let owner = owners; owner <= capacity; owner++) setI32(start, owner, k)
  rangeStart = start
  rangeValues = out
  rangeCount = k
}

let rangeStart: usize = 0
let rangeValues: usize = 0
let rangeCount: i32 = 0

// ---------------------------------------------------------------------------------------------
// The graph

/** Numbers per row in a table's keys (PackageTable.rowKeys); the name's key is the first. */
const ROW_KEYS = 3
/** Numbers per token in a table's words (PackageTable.tokenWords); the name's key is the second. */
const TOKEN_WORDS = 3
const DEPENDS = 0
const PROVIDES = 1
const INSTALL_IF = 2
const OWN = -1

let nameCount: i32 = 0
let packageCount: i32 = 0
let pkgName: usize = 0
let pkgListStart: usize = 0
let pkgLists: usize = 0
let depName: usize = 0
let named: usize = 0
let rdepends: usize = 0
let rinstallIf: usize = 0

// The table being added: inputs the caller writes, and its keys' names.
let rowKeys: usize = 0
let listStarts: usize = 0
let lists: usize = 0
let tokenWords: usize = 0
let keep: usize = 0
let preset: usize = 0
let keyName: usize = 0

/**
 * Reserves the graph for `rows` packages, `tokens` dependency tokens, `names` names and `entries`
 * list entries at most; each kind of reverse edge gets room for every entry (what is not used
 * is never touched, so it takes no memory). The memory stops at `limitPages` pages of 64 KiB.
 */
export function init(rows: i32, tokens: i32, names: i32, entries: i32, limitPages: i32): void {
  setLimit(limitPages)
  pkgName = alloc((<usize>max<i32>(rows, 1)) << 2)
  pkgListStart = filled(rows * 3 + 1, 0)
  pkgLists = alloc((<usize>max<i32>(entries, 1)) << 2)
  depName = filled(tokens, -1)
  named = alloc(<usize>max<i32>(names, 1))
  rdepends = newChains(names, entries)
  rinstallIf = newChains(names, entries)
}

/**
 * Room for the tables' inputs, used by each in turn: the largest has `rows` rows, `entries` list
 * entries, `tokens` tokens and `keys` keys.
 */
export function reserveTables(rows: i32, entries: i32, tokens: i32, keys: i32): void {
  rowKeys = alloc((<usize>max<i32>(rows, 1) * ROW_KEYS) << 2)
  listStarts = alloc((<usize>rows * 3 + 1) << 2)
  lists = alloc((<usize>max<i32>(entries, 1)) << 2)
  tokenWords = alloc((<usize>max<i32>(tokens, 1) * TOKEN_WORDS) << 2)
  keep = alloc(<usize>max<i32>(rows, 1))
  preset = alloc((<usize>max<i32>(keys, 1)) << 2)
  keyName = alloc((<usize>max<i32>(keys, 1)) << 2)
}

/** Readies the inputs for a table of `keys` keys: none has a name yet. */
export function startTable(keys: i32): void {
  memory.fill(keyName, 0, (<usize>keys) << 2)
}

export function rowKeysAt(): usize {
  return rowKeys
}
export function listStartsAt(): usize {
  return listStarts
}
export function listsAt(): usize {
  return lists
}
export function tokenWordsAt(): usize {
  return tokenWords
}
export function keepAt(): usize {
  return keep
}
export function presetAt(): usize {
  return preset
}
export function keyNameAt(): usize {
  return keyName
}

/**
 * The name of `key` in the table being added: a name met before (`preset`), or a new one.
 * (`keyName` holds name + 1: 0 for a key not met yet.)
 */
function nameOf(key: i32, usePreset: bool): i32 {
  let n = i32At(keyName, key) - 1
  if (n >= 0) return n
  if (usePreset) n = i32At(preset, key)
  if (n < 0) n = nameCount++
  setI32(keyName, key, n + 1)
  return n
}

/**
 * Adds the reserved table's rows as packages, in order (those with `keep` 0, identities met
 * before, are left out when `useKeep`); its tokens are the graph's from `base` on. Returns how
 * many packages there are now.
 */
export function addTable(rows: i32, base: i32, useKeep: bool, usePreset: bool): i32 {
  for (let row = 0; row < rows; row++) {
    if (useKeep && load<u8>(keep + <usize>row) == 0) continue
    const p = packageCount++
    setI32(pkgName, p, nameOf(i32At(rowKeys, row * ROW_KEYS), usePreset))
    for (let which = 0; which < 3; which++) {
      const at = i32At(pkgListStart, p * 3 + which)
      const start = i32At(listStarts, row * 3 + which)
      const end = i32At(listStarts, row * 3 + which + 1)
      for (let i = start; i < end; i++) {
        const token = i32At(lists, i)
        const d = base + token
        if (i32At(depName, d) < 0) {
          setI32(depName, d, nameOf(i32At(tokenWords, token * TOKEN_WORDS + 1), usePreset))
        }
        setI32(pkgLists, at + i - start, d)
      }
      setI32(pkgListStart, p * 3 + which + 1, at + end - start)
    }
    link(p)
  }
  return packageCount
}

/** Adds a package to its dependencies' reverse edges. */
function link(p: i32): void {
  const own = i32At(pkgName, p)
  // Only a name with an earlier package can already be on a reverse list: look only then.
  const maybeListed = load<u8>(named + <usize>own) != 0
  store<u8>(named + <usize>own, 1)
  for (
    let i = i32At(pkgListStart, p * 3 + DEPENDS);
    i < i32At(pkgListStart, p * 3 + DEPENDS + 1);
    i++
  ) {
    appendOnce(rdepends, i32At(depName, i32At(pkgLists, i)), own, maybeListed)
  }
  for (
    let i = i32At(pkgListStart, p * 3 + INSTALL_IF);
    i < i32At(pkgListStart, p * 3 + INSTALL_IF + 1);
    i++
  ) {
    appendOnce(rinstallIf, i32At(depName, i32At(pkgLists, i)), own, maybeListed)
  }
}

export function nameCountNow(): i32 {
  return nameCount
}

// Results of finish().
let provStart: usize = 0
let provPkg: usize = 0
let provDep: usize = 0
let provCount: i32 = 0
let rdepStart: usize = 0
let rdeps: usize = 0
let rdepCount: i32 = 0
let riifStart: usize = 0
let riifs: usize = 0
let riifCount: i32 = 0

/**
 * Lays out each name's providers in database order (a package under its own name, then its
 * provides in order) and the reverse edges, with room for `capacity` names.
 */
export function finish(capacity: i32): void {
  const start = filled(capacity + 1, 0)
  for (let p = 0; p < packageCount; p++) {
    const own = i32At(pkgName, p) + 1
    setI32(start, own, i32At(start, own) + 1)
    for (
      let i = i32At(pkgListStart, p * 3 + PROVIDES);
      i < i32At(pkgListStart, p * 3 + PROVIDES + 1);
      i++
    ) {
      const n = i32At(depName, i32At(pkgLists, i)) + 1
      setI32(start, n, i32At(start, n) + 1)
    }
  }
  for (let n = 0; n < capacity; n++) setI32(start, n + 1, i32At(start, n + 1) + i32At(start, n))
  const total = i32At(start, capacity)
  const nextAt = alloc((<usize>max<i32>(nameCount, 1)) << 2)
  memory.copy(nextAt, start, (<usize>nameCount) << 2)
  const pkgs = alloc((<usize>max<i32>(total, 1)) << 2)
  const sources = alloc((<usize>max<i32>(total, 1)) << 2)
  for (let p = 0; p < packageCount; p++) {
    const own = i32At(pkgName, p)
    const at = i32At(nextAt, own)
    setI32(nextAt, own, at + 1)
    setI32(pkgs, at, p)
    setI32(sources, at, OWN)
    for (
      let i = i32At(pkgListStart, p * 3 + PROVIDES);
      i < i32At(pkgListStart, p * 3 + PROVIDES + 1);
      i++
    ) {
      const d = i32At(pkgLists, i)
      const n = i32At(depName, d)
      const e = i32At(nextAt, n)
      setI32(nextAt, n, e + 1)
      setI32(pkgs, e, p)
      setI32(sources, e, d)
    }
  }
  provStart = start
  provPkg = pkgs
  provDep = sources
  provCount = total
  layOut(rdepends, nameCount, capacity)
  rdepStart = rangeStart
  rdeps = rangeValues
  rdepCount = rangeCount
  layOut(rinstallIf, nameCount, capacity)
  riifStart = rangeStart
  riifs = rangeValues
  riifCount = rangeCount
}

export function pkgNameAt(): usize {
  return pkgName
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
export function provStartAt(): usize {
  return provStart
}
export function provPkgAt(): usize {
  return provPkg
}
export function provDepAt(): usize {
  return provDep
}
export function provLength(): i32 {
  return provCount
}
export function rdepStartAt(): usize {
  return rdepStart
}
export function rdepsAt(): usize {
  return rdeps
}
export function rdepLength(): i32 {
  return rdepCount
}
export function riifStartAt(): usize {
  return riifStart
}
export function riifsAt(): usize {
  return riifs
}
export function riifLength(): i32 {
  return riifCount
}
