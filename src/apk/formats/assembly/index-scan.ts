/**
 * The APKINDEX scan, compiled to WebAssembly (AssemblyScript; `npm run build:wasm` writes
 * `../index-scan-wasm.ts`). It reads what the solver needs of each stanza as apk-tools 2.14 reads
 * it, in machine code from the first byte: written in JavaScript, most of a cold process's scan
 * ran in V8's interpreter before its compilers caught up (90-100 ms for Alpine's v3.22 main).
 *
 * It keeps tables of distinct byte ranges (values: the P V A values and the names and versions
 * of tokens; tokens: dependency tokens; the identities of installable rows), numbered in order
 * of first appearance, and for each stanza emits a row: its identity in the form apk compares,
 * where its kept lines are, its value keys and numbers, its dependency tokens (as token keys,
 * each line's list started by a marker), and flags: uninstallable, damaged (no name or version,
 * no identity of a form apk writes), or an identity met before; the rows kept become columns.
 * A token met for the first time is parsed here when it is plain (ASCII, no tag, a version of
 * the common form); any other is marked for the JavaScript side, which parses it as apk does,
 * and which refuses the index at its first damaged row.
 *
 * Memory is laid out by a bump allocator (../../assembly/memory.ts); a region that must grow is
 * copied to a new place, so every pointer the caller reads is read again after each call.
 */

import { alloc, grown, setLimit } from '../../assembly/memory'
export { failureKind, growCount } from '../../assembly/memory'

// ---------------------------------------------------------------------------------------------
// Tables of distinct byte ranges (open addressing, keys numbered from 0)

// A table is a block of fields in memory.
const T_SLOTS = 0 // u32 per slot: key + 1, or 0
const T_MASK = 4
const T_STARTS = 8 // u32 per key + 1: where each key's copy starts in OWN
const T_HASHES = 12 // u32 per key
const T_FLAGS = 16 // u8 per key (values: 1 when a byte is above 0x7f)
const T_KEYCAP = 20
const T_COUNT = 24
const T_OWN = 28
const T_OWNCAP = 32
const T_USED = 36
const T_SIZE = 40

let seed: u32 = 0
/** Whether the last key() met its range for the first time. */
let added: u32 = 0

function newTable(expected: u32, length: u32): usize {
  const t = alloc(T_SIZE)
  const keys = max<u32>(64, expected)
  let capacity: u32 = 128
  while (<f64>capacity * 0.75 < <f64>keys) capacity <<= 1
  // Memory is never handed out twice, and fresh memory is zeros: empty slots.
  store<u32>(t + T_SLOTS, <u32>alloc((<usize>capacity) << 2))
  store<u32>(t + T_MASK, capacity - 1)
  const starts = alloc((<usize>keys + 1) << 2)
  store<u32>(starts, 0)
  store<u32>(t + T_STARTS, <u32>starts)
  store<u32>(t + T_HASHES, <u32>alloc((<usize>keys) << 2))
  store<u32>(t + T_FLAGS, <u32>alloc(<usize>keys))
  store<u32>(t + T_KEYCAP, keys)
  store<u32>(t + T_COUNT, 0)
  const own = max<u32>(1024, keys * length)
  store<u32>(t + T_OWN, <u32>alloc(own))
  store<u32>(t + T_OWNCAP, own)
  store<u32>(t + T_USED, 0)
  return t
}

function field(t: usize, at: usize): usize {
  return <usize>load<u32>(t + at)
}

/** How many bytes key `k` of table `t` holds. */
function keyLength(t: usize, k: i32): u32 {
  const starts = field(t, T_STARTS)
  return load<u32>(starts + ((<usize>(k + 1)) << 2)) - load<u32>(starts + ((<usize>k) << 2))
}

/** The prime 2^31 - 1: the field the tables' hash is a polynomial over. */
const P31: u64 = 0x7fffffff

/** x mod 2^31 - 1, nearly (congruent, and below 2^31 + 4) for any x below 2^63. */
function fold(x: u64): u64 {
  x = (x & P31) + (x >>> 31)
  return (x & P31) + (x >>> 31)
}

/**
 * The key of bytes [start, end): the same for equal contents. Sets `added` for a new one.
 *
 * The hash is a polynomial over the field of 2^31 - 1, evaluated at the process's random point
 * `seed` (init): the length, then the bytes three at a time, are its coefficients. Two different
 * contents of at most m coefficients each have the same value at m of the field's points at most,
 * so whatever an index holds, which of its contents collide cannot be known without the point.
 * (FNV-1a from a random start, as it was, is not so: its low bits follow the start's low bits
 * alone, and contents made to collide under FNV's own start collided again, all of them, under
 * one start in 128.) murmur3's finaliser then spreads the value over the slot's low bits.
 */
function key(t: usize, start: usize, end: usize): u32 {
  const point = <u64>seed
  let value: u64 = <u64>(end - start)
  let high: u32 = 0
  let i = start
  for (; i + 3 <= end; i += 3) {
    const d = (<u32>load<u8>(i)) | ((<u32>load<u8>(i + 1)) << 8) | ((<u32>load<u8>(i + 2)) << 16)
    high |= d
    value = fold(value * point + <u64>d)
  }
  if (i < end) {
    let d = <u32>load<u8>(i)
    if (i + 1 < end) d |= (<u32>load<u8>(i + 1)) << 8
    high |= d
    value = fold(value * point + <u64>d)
  }
  if (value >= P31) value -= P31
  let hash = <u32>value
  hash ^= hash >>> 16
  hash *= 0x85ebca6b
  hash ^= hash >>> 13
  hash *= 0xc2b2ae35
  hash ^= hash >>> 16
  const length = <u32>(end - start)
  const slots = field(t, T_SLOTS)
  const mask = load<u32>(t + T_MASK)
  const starts = field(t, T_STARTS)
  const hashes = field(t, T_HASHES)
  const own = field(t, T_OWN)
  let slot = hash & mask
  while (true) {
    const entry = load<u32>(slots + ((<usize>slot) << 2))
    if (entry == 0) break
    const k = entry - 1
    if (load<u32>(hashes + ((<usize>k) << 2)) == hash) {
      const a = load<u32>(starts + ((<usize>k) << 2))
      const b = load<u32>(starts + ((<usize>(k + 1)) << 2))
      if (b - a == length && memory.compare(own + a, start, length) == 0) {
        added = 0
        return k
      }
    }
    slot = (slot + 1) & mask
  }
  return insert(t, start, length, hash, slot, (high & 0x808080) != 0 ? 1 : 0)
}

function insert(t: usize, start: usize, length: u32, hash: u32, slot: u32, flags: u8): u32 {
  const k = load<u32>(t + T_COUNT)
  let keyCap = load<u32>(t + T_KEYCAP)
  if (k == keyCap) {
    const more = keyCap + (keyCap >>> 1)
    store<u32>(
      t + T_STARTS,
      <u32>grown(field(t, T_STARTS), (<usize>k + 1) << 2, (<usize>more + 1) << 2)
    )
    store<u32>(t + T_HASHES, <u32>grown(field(t, T_HASHES), (<usize>k) << 2, (<usize>more) << 2))
    store<u32>(t + T_FLAGS, <u32>grown(field(t, T_FLAGS), <usize>k, <usize>more))
    store<u32>(t + T_KEYCAP, more)
    keyCap = more
  }
  const used = load<u32>(t + T_USED)
  const ownCap = load<u32>(t + T_OWNCAP)
  if (<u64>used + <u64>length > <u64>ownCap) {
    const size = max<u32>(ownCap + (ownCap >>> 1), used + length)
    store<u32>(t + T_OWN, <u32>grown(field(t, T_OWN), used, size))
    store<u32>(t + T_OWNCAP, size)
  }
  memory.copy(field(t, T_OWN) + used, start, length)
  store<u32>(t + T_USED, used + length)
  store<u32>(field(t, T_STARTS) + ((<usize>k + 1) << 2), used + length)
  store<u32>(field(t, T_HASHES) + ((<usize>k) << 2), hash)
  store<u8>(field(t, T_FLAGS) + <usize>k, flags)
  store<u32>(t + T_COUNT, k + 1)
  const mask = load<u32>(t + T_MASK)
  if (<f64>(k + 1) > <f64>(mask + 1) * 0.75) rehash(t)
  else store<u32>(field(t, T_SLOTS) + ((<usize>slot) << 2), k + 1)
  added = 1
  return k
}

/** Twice the slots, every key placed again (the newest one included). */
function rehash(t: usize): void {
  const capacity = (load<u32>(t + T_MASK) + 1) << 1
  const mask = capacity - 1
  const slots = alloc((<usize>capacity) << 2)
  const hashes = field(t, T_HASHES)
  const count = load<u32>(t + T_COUNT)
  for (let k: u32 = 0; k < count; k++) {
    let slot = load<u32>(hashes + ((<usize>k) << 2)) & mask
    while (load<u32>(slots + ((<usize>slot) << 2)) != 0) slot = (slot + 1) & mask
    store<u32>(slots + ((<usize>slot) << 2), k + 1)
  }
  store<u32>(t + T_SLOTS, <u32>slots)
  store<u32>(t + T_MASK, mask)
}

// ---------------------------------------------------------------------------------------------
// Growing arrays of u32: a block of fields in memory, as a table is

const A_DATA = 0
const A_CAP = 4
const A_COUNT = 8
const A_SIZE = 12

/** Appends `value` to array `a`, twice the room when it is full. */
function append(a: usize, value: u32): void {
  const count = load<u32>(a + A_COUNT)
  if (count == load<u32>(a + A_CAP)) {
    const more = max<u32>(4096, count << 1)
    store<u32>(a + A_DATA, <u32>grown(field(a, A_DATA), (<usize>count) << 2, (<usize>more) << 2))
    store<u32>(a + A_CAP, more)
  }
  store<u32>(field(a, A_DATA) + ((<usize>count) << 2), value)
  store<u32>(a + A_COUNT, count + 1)
}

function length(a: usize): u32 {
  return load<u32>(a + A_COUNT)
}

// ---------------------------------------------------------------------------------------------
// Dependency tokens

/**
 * Per token met first in the last scan (from key `infoBase` on): status | op << 8 | conflict <<
 * 16, the name's value key, the version's (-1). The caller keeps them as they are, as its
 * table's token words (PackageTable's TOKEN_WORDS, the same 3).
 */
const INFO = 3
let infos: usize = 0
let infoCap: u32 = 0
let infoBase: u32 = 0

/** A token parsed here. */
const PLAIN: i32 = 0
/** A token the caller parses (non-ASCII, a tag, an unusual version, or malformed). */
const BY_CALLER: i32 = 1

function opBit(c: u32): u32 {
  if (c == 0x3c) return 1 // <
  if (c == 0x3d) return 2 // =
  if (c == 0x3e) return 4 // >
  if (c == 0x7e) return 8 | 2 // ~
  return 0
}

function isDigit(c: u32): bool {
  return c - 0x30 < 10
}

function digits(p: usize, end: usize): usize {
  while (p < end && isDigit(load<u8>(p))) p++
  return p
}

/** Whether `word` is at p (before end). */
function at(p: usize, end: usize, word: string): bool {
  const n = <usize>word.length
  if (p + n > end) return false
  for (let i: usize = 0; i < n; i++) {
    if (<u32>load<u8>(p + i) != <u32>word.charCodeAt(<i32>i)) return false
  }
  return true
}

const SUFFIXES: string[] = ['alpha', 'beta', 'pre', 'rc', 'cvs', 'svn', 'git', 'hg', 'p']

/**
 * Whether [start, end) is a version of the common form, `digits{.digits}[letter]{_suffix[digits]}
 * [-rdigits]`, every one of which apk accepts. One it does not cover may still be valid: the
 * caller decides those.
 */
function commonVersion(start: usize, end: usize): bool {
  let p = start
  if (p >= end || !isDigit(load<u8>(p))) return false
  p = digits(p, end)
  while (p < end && load<u8>(p) == 0x2e) {
    p++
    if (p >= end || !isDigit(load<u8>(p))) return false
    p = digits(p, end)
  }
  if (p < end && load<u8>(p) - 0x61 < 26) {
    if (p + 1 < end && load<u8>(p + 1) != 0x5f && load<u8>(p + 1) != 0x2d) return false
    p++
  }
  while (p < end && load<u8>(p) == 0x5f) {
    p++
    let matched = false
    for (let i = 0; i < SUFFIXES.length; i++) {
      const suffix = unchecked(SUFFIXES[i])
      if (at(p, end, suffix)) {
        p += <usize>suffix.length
        matched = true
        break
      }
    }
    if (!matched) return false
    p = digits(p, end)
  }
  if (p < end) {
    if (p + 2 >= end || load<u8>(p) != 0x2d || load<u8>(p + 1) != 0x72) return false
    if (!isDigit(load<u8>(p + 2))) return false
    p = digits(p + 2, end)
  }
  return p == end
}

/** Per token key: its position among the caller's tokens (its key), or -1 (malformed). */
let positions: usize = 0
let positionCap: u32 = 0

/**
 * Records new token `k`'s parse: a plain token's position is its key; another's is -1 until the
 * caller, which parses it, says it is well formed.
 */
function setInfo(k: u32, word: i32, name: i32, version: i32): void {
  reservePositions(k + 1)
  store<i32>(positions + ((<usize>k) << 2), (word & 0xff) == PLAIN ? <i32>k : -1)
  const i = k - infoBase
  if (i >= infoCap) {
    const more = max<u32>(1024, infoCap << 1)
    infos = grown(infos, <usize>infoCap * INFO * 4, <usize>more * INFO * 4)
    infoCap = more
  }
  const p = infos + <usize>i * INFO * 4
  store<i32>(p, word)
  store<i32>(p + 4, name)
  store<i32>(p + 8, version)
}

/** Parses new token `k` at [start, end): `[!]name[OP version]`, or marks it for the caller. */
function parseToken(k: u32, start: usize, end: usize): void {
  for (let i = start; i < end; i++) {
    if (load<u8>(i) >= 0x80) return setInfo(k, BY_CALLER, -1, -1)
  }
  const conflict: u32 = load<u8>(start) == 0x21 ? 1 : 0
  const nameStart = start + conflict
  let opStart = nameStart
  while (opStart < end && opBit(load<u8>(opStart)) == 0) opStart++
  if (opStart == nameStart) return setInfo(k, BY_CALLER, -1, -1)
  for (let i = nameStart; i < opStart; i++) {
    if (load<u8>(i) == 0x40) return setInfo(k, BY_CALLER, -1, -1) // @tag
  }
  let op: u32 = 7
  let version: i32 = -1
  if (opStart < end) {
    op = 0
    let opEnd = opStart
    while (opEnd < end) {
      const bit = opBit(load<u8>(opEnd))
      if (bit == 0) break
      op |= bit
      opEnd++
    }
    // No version, the identity form (`><`), or a version the caller must judge.
    if ((op & 5) == 5 || !commonVersion(opEnd, end)) return setInfo(k, BY_CALLER, -1, -1)
    version = <i32>key(values, opEnd, end)
  }
  const name = <i32>key(values, nameStart, opStart)
  setInfo(k, PLAIN | ((<i32>op) << 8) | ((<i32>conflict) << 16), name, version)
}

// ---------------------------------------------------------------------------------------------
// Stanzas

let values: usize = 0
let tokens: usize = 0

let input: usize = 0
let inputCap: u32 = 0

/**
 * Per row: ROW i32 fields, 2 f64 (installed size, priority), its identity (ID_SLOT bytes); the
 * kept lines are copied out (`details`).
 */
const ROW = 9
const R_FLAGS = 0
const R_LINE = 1
const R_NAME = 2
const R_VERSION = 3
const R_ARCH = 4
const R_DETAILS_START = 5
const R_DETAILS_END = 6
const R_LIST_START = 7
const R_LIST_END = 8
/**
 * Flags: a letter this reader does not know (apk: uninstallable); no name or no version (an
 * empty one included); an identity (C:) missing or of no form apk writes; an identity an
 * earlier installable row of this index has.
 */
const UNINSTALLABLE: i32 = 1
const NO_NAME_OR_VERSION: i32 = 4
const BAD_IDENTITY: i32 = 8
const DUPLICATE: i32 = 16
/**
 * Each row's identity as the caller keeps it, in a slot of ID_SLOT bytes: `Q1` and 28 base64
 * characters (an `X1` and 40 hex digits made so, as apk reads it), or 32 hex digits (MD5).
 */
const ID_SLOT = 32

let rows: usize = 0
let numbers: usize = 0
/** Per row: its identity (ID_SLOT bytes), and its length (a byte). */
let identities: usize = 0
let identityLengths: usize = 0
/** The identities of the index's installable rows so far (a table of distinct byte ranges). */
let seenIdentities: usize = 0
let rowCap: u32 = 0
let rowCount: u32 = 0

/** The kept lines of the last scan's rows, one run after another (R_DETAILS_*: where in it). */
let details: usize = 0
let detailsUsed: u32 = 0

/**
 * An array (append) of list entries: which list (0 D, 1 p, 2 i) | (token key + 1) << 2; key + 1 =
 * 0 starts a line.
 */
let lists: usize = 0

// The stanza being read.
let inStanza = false
let lineNo: i32 = 0
let firstLine: i32 = 0
let cStart: i32 = -1
let cEnd: i32 = -1
let name: i32 = -1
let version: i32 = -1
let arch: i32 = -1
let installedSize: f64 = 0
let priority: f64 = 0
let flags: i32 = 0
let detailsStart: i32 = -1
let detailsEnd: i32 = -1
let listStart: u32 = 0

export function init(hashSeed: u32, valueHint: u32, tokenHint: u32, limitPages: i32): void {
  // The hash's point: any of the field's elements but the smallest 2^20, from the caller's
  // random 32 bits (a point of 0 or 1 would make the polynomial little more than a sum).
  seed = 0x100000 + (hashSeed % (0x7fffffff - 0x100000))
  setLimit(limitPages)
  values = newTable(valueHint, 16)
  tokens = newTable(tokenHint, 24)
  seenIdentities = newTable(valueHint >>> 2, 30)
  lists = alloc(A_SIZE)
  outLists = alloc(A_SIZE)
  infoCap = 1024
  infos = alloc(<usize>infoCap * INFO * 4)
}

/**
 * Room for `length` bytes of input; returns where the caller puts them. The kept lines copied out
 * of them are fewer bytes, so their region grows with it, and no scan grows it. A quarter more
 * than asked for: pieces of an index vary by a few KB, and each new region leaves the old unused.
 */
export function reserveInput(length: u32): usize {
  if (length > inputCap) {
    inputCap = max<u32>(length + (length >>> 2), 96 * 1024)
    input = alloc(inputCap)
    details = alloc(inputCap)
  }
  return input
}

/** Like apk: space-separated tokens; the caller ends a line's list at a malformed one. */
function dependencies(which: u32, start: usize, end: usize): void {
  append(lists, which)
  let p = start
  while (p < end) {
    let stop = p
    while (stop < end && load<u8>(stop) != 0x20) stop++
    if (stop > p) {
      const k = key(tokens, p, stop)
      if (added) parseToken(k, p, stop)
      append(lists, which | ((k + 1) << 2))
    }
    p = stop + 1
  }
}

function number(start: usize, end: usize): f64 {
  let value: f64 = 0
  for (let i = start; i < end; i++) {
    const digit = <u32>load<u8>(i) - 0x30
    if (digit > 9) break
    value = value * 10 + <f64>digit
  }
  return value
}

function isBase64(c: u32): bool {
  return c - 0x41 < 26 || c - 0x61 < 26 || c - 0x30 < 10 || c == 0x2b || c == 0x2f
}

function hexDigit(c: u32): i32 {
  if (c - 0x30 < 10) return <i32>(c - 0x30)
  if ((c | 0x20) - 0x61 < 6) return <i32>((c | 0x20) - 0x61 + 10)
  return -1
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

function base64Digit(n: u32): u8 {
  return <u8>BASE64.charCodeAt(<i32>n)
}

/**
 * The identity [start, end) as the caller keeps it, written at `to`; returns its length, 0 when
 * it is of no form apk writes: `Q1` and 27 base64 characters and `=` as it is; `X1` and 40 hex
 * digits as `Q1` and their 20 bytes in base64; 32 hex digits (MD5) as they are.
 */
function identity(start: usize, end: usize, to: usize): u32 {
  const length = end - start
  const c0 = <u32>load<u8>(start)
  const c1 = length > 1 ? <u32>load<u8>(start + 1) : 0
  if (length == 30 && c0 == 0x51 && c1 == 0x31) {
    for (let i = start + 2; i < end - 1; i++) if (!isBase64(load<u8>(i))) return 0
    if (load<u8>(end - 1) != 0x3d) return 0
    memory.copy(to, start, 30)
    return 30
  }
  if (length == 42 && c0 == 0x58 && c1 == 0x31) {
    for (let i = start + 2; i < end; i++) if (hexDigit(load<u8>(i)) < 0) return 0
    store<u8>(to, 0x51)
    store<u8>(to + 1, 0x31)
    // 20 bytes: six groups of three, then two and one `=`.
    let out = to + 2
    for (let g = 0; g < 7; g++) {
      const b0 = byteAt(start + 2, g * 3)
      const b1 = byteAt(start + 2, g * 3 + 1)
      const b2 = g < 6 ? byteAt(start + 2, g * 3 + 2) : 0
      const n = (b0 << 16) | (b1 << 8) | b2
      store<u8>(out, base64Digit(n >>> 18))
      store<u8>(out + 1, base64Digit((n >>> 12) & 63))
      store<u8>(out + 2, base64Digit((n >>> 6) & 63))
      store<u8>(out + 3, g < 6 ? base64Digit(n & 63) : 0x3d)
      out += 4
    }
    return 30
  }
  if (length == 32) {
    for (let i = start; i < end; i++) if (hexDigit(load<u8>(i)) < 0) return 0
    memory.copy(to, start, 32)
    return 32
  }
  return 0
}

/** Byte `n` of the hex digits at `hex`. */
function byteAt(hex: usize, n: i32): u32 {
  const at = hex + <usize>(n * 2)
  return <u32>((hexDigit(load<u8>(at)) << 4) | hexDigit(load<u8>(at + 1)))
}

function startStanza(): void {
  firstLine = lineNo
  cStart = -1
  cEnd = -1
  name = -1
  version = -1
  arch = -1
  installedSize = 0
  priority = 0
  flags = 0
  detailsStart = -1
  detailsEnd = -1
  listStart = length(lists)
}

function finishStanza(): void {
  if (rowCount == rowCap) {
    const more = max<u32>(256, rowCap << 1)
    rows = grown(rows, <usize>rowCount * ROW * 4, <usize>more * ROW * 4)
    numbers = grown(numbers, <usize>rowCount * 16, <usize>more * 16)
    identities = grown(identities, <usize>rowCount * ID_SLOT, <usize>more * ID_SLOT)
    identityLengths = grown(identityLengths, <usize>rowCount, <usize>more)
    // Which rows the caller keeps, read by columns(); as many as rows, those so far kept too.
    keep = grown(keep, <usize>rowCount, <usize>more)
    rowCap = more
  }
  const r = rows + <usize>rowCount * ROW * 4
  let f = flags
  if (name < 0 || keyLength(values, name) == 0 || version < 0 || keyLength(values, version) == 0) {
    f |= NO_NAME_OR_VERSION
  }
  const slot = identities + <usize>rowCount * ID_SLOT
  const idLength = cStart < 0 ? 0 : identity(input + cStart, input + cEnd, slot)
  store<u8>(identityLengths + <usize>rowCount, <u8>idLength)
  if (idLength == 0) f |= BAD_IDENTITY
  else if ((f & UNINSTALLABLE) == 0) {
    key(seenIdentities, slot, slot + idLength)
    if (!added) f |= DUPLICATE
  }
  store<u8>(keep + <usize>rowCount, (f & (UNINSTALLABLE | DUPLICATE)) == 0 ? 1 : 0)
  store<i32>(r + R_FLAGS * 4, f)
  store<i32>(r + R_LINE * 4, firstLine)
  store<i32>(r + R_NAME * 4, name)
  store<i32>(r + R_VERSION * 4, version)
  store<i32>(r + R_ARCH * 4, arch)
  if (detailsStart < 0) {
    store<i32>(r + R_DETAILS_START * 4, -1)
    store<i32>(r + R_DETAILS_END * 4, -1)
  } else {
    const length = <u32>(detailsEnd - detailsStart)
    memory.copy(details + detailsUsed, input + detailsStart, length)
    store<u32>(r + R_DETAILS_START * 4, detailsUsed)
    detailsUsed += length
    store<u32>(r + R_DETAILS_END * 4, detailsUsed)
  }
  store<u32>(r + R_LIST_START * 4, listStart)
  store<u32>(r + R_LIST_END * 4, length(lists))
  store<f64>(numbers + <usize>rowCount * 16, installedSize)
  store<f64>(numbers + <usize>rowCount * 16 + 8, priority)
  rowCount++
}

function line(start: usize, end: usize): void {
  const letter = <u32>load<u8>(start)
  const s = start + 2
  const offset = <i32>(s - input)
  switch (letter) {
    case 0x43: // C
      cStart = offset
      cEnd = <i32>(end - input)
      return
    case 0x50: // P
      name = <i32>key(values, s, end)
      return
    case 0x56: // V
      version = <i32>key(values, s, end)
      return
    case 0x41: // A
      arch = <i32>key(values, s, end)
      return
    case 0x49: // I
      installedSize = number(s, end)
      return
    case 0x6b: // k
      priority = number(s, end)
      return
    case 0x44: // D
      dependencies(0, s, end)
      return
    case 0x70: // p
      dependencies(1, s, end)
      return
    case 0x69: // i
      dependencies(2, s, end)
      return
    // The lines only a whole package reads: the stanza's run of them, from the first one's
    // letter to the last one's end.
    case 0x53: // S
    case 0x54: // T
    case 0x55: // U
    case 0x4c: // L
    case 0x6f: // o
    case 0x6d: // m
    case 0x74: // t
    case 0x63: // c
      if (detailsStart < 0) detailsStart = offset - 2
      detailsEnd = <i32>(end - input)
      return
  }
  // Other lowercase letters are ignored, as are F M R Z (the installed database's); apk takes
  // anything else for a feature it lacks.
  if (letter - 0x61 < 26 || letter == 0x46 || letter == 0x4d || letter == 0x52 || letter == 0x5a) {
    return
  }
  flags |= UNINSTALLABLE
}

/**
 * Scans `length` bytes of input, which start at a stanza's start; a final line without its `\n`
 * is not read, and a stanza not ended by a blank line is dropped (as apk drops one at the end
 * of an index). Returns how many rows (finished stanzas) it emitted.
 */
export function scan(length: u32): u32 {
  inStanza = false
  rowCount = 0
  infoBase = load<u32>(tokens + T_COUNT)
  detailsUsed = 0
  store<u32>(lists + A_COUNT, 0)
  listStart = 0
  const end = input + length
  let pos = input
  while (pos < end) {
    let stop = pos
    while (stop < end && load<u8>(stop) != 0x0a) stop++
    if (stop == end) break
    lineNo++
    const start = pos
    pos = stop + 1
    if (stop - start < 2) {
      if (inStanza) finishStanza()
      inStanza = false
      continue
    }
    if (!inStanza) {
      inStanza = true
      startStanza()
    }
    line(start, stop)
  }
  return rowCount
}

// ---------------------------------------------------------------------------------------------
// The kept rows' numbers and lists, as columns the caller appends to its table at once

/** Per row of the last scan: 1 when it is kept (installable, its identity met first). */
let keep: usize = 0
let outSizes: usize = 0 // f64 per kept row
let outPriorities: usize = 0 // f64 per kept row
let outEnds: usize = 0 // i32 x 3 per kept row: where its D, p, i lists end in `lists`, from `base`
let outKeys: usize = 0 // i32 x 3 per kept row: its name's, version's and arch's value keys
let outDetails: usize = 0 // i32 x 2 per kept row: where its kept lines are in memory (-1: none)
let outIds: usize = 0 // the kept rows' identities, each followed by a line feed
let outIdsLength: u32 = 0
let outCap: u32 = 0
let outLists: usize = 0 // an array (append) of the list entries

/** Room for the positions of the first `count` token keys. */
function reservePositions(count: u32): usize {
  if (count > positionCap) {
    const more = max<u32>(max<u32>(1024, positionCap << 1), count)
    positions = grown(positions, (<usize>positionCap) << 2, (<usize>more) << 2)
    positionCap = more
  }
  return positions
}

/**
 * The kept rows of the last scan as columns: installed size, priority, and each list made of the
 * token positions, a line's list ending at its first malformed token (as apk reads it). `base`
 * is added to every list end (where the caller's table has its lists so far). Returns how many
 * rows were kept.
 */
export function columns(base: u32): u32 {
  if (rowCount > outCap) {
    outCap = rowCap
    outSizes = alloc((<usize>outCap) << 3)
    outPriorities = alloc((<usize>outCap) << 3)
    outEnds = alloc(<usize>outCap * 12)
    outKeys = alloc(<usize>outCap * 12)
    outDetails = alloc(<usize>outCap * 8)
    outIds = alloc(<usize>outCap * (ID_SLOT + 1))
  }
  store<u32>(outLists + A_COUNT, 0)
  outIdsLength = 0
  const entries = field(lists, A_DATA)
  let kept: u32 = 0
  for (let row: u32 = 0; row < rowCount; row++) {
    if (load<u8>(keep + <usize>row) == 0) continue
    const r = rows + <usize>row * ROW * 4
    store<f64>(outSizes + ((<usize>kept) << 3), load<f64>(numbers + <usize>row * 16))
    store<f64>(outPriorities + ((<usize>kept) << 3), load<f64>(numbers + <usize>row * 16 + 8))
    const k = outKeys + <usize>kept * 12
    store<i32>(k, load<i32>(r + R_NAME * 4))
    store<i32>(k + 4, load<i32>(r + R_VERSION * 4))
    store<i32>(k + 8, load<i32>(r + R_ARCH * 4))
    const d = outDetails + <usize>kept * 8
    const detailsFrom = load<i32>(r + R_DETAILS_START * 4)
    store<i32>(d, detailsFrom < 0 ? -1 : <i32>details + detailsFrom)
    store<i32>(d + 4, <i32>details + load<i32>(r + R_DETAILS_END * 4))
    const idLength = <u32>load<u8>(identityLengths + <usize>row)
    memory.copy(outIds + outIdsLength, identities + <usize>row * ID_SLOT, idLength)
    store<u8>(outIds + outIdsLength + idLength, 0x0a)
    outIdsLength += idLength + 1
    const first = load<u32>(r + R_LIST_START * 4)
    const last = load<u32>(r + R_LIST_END * 4)
    for (let which: u32 = 0; which < 3; which++) {
      let stopped = false
      for (let i = first; i < last; i++) {
        const entry = load<u32>(entries + ((<usize>i) << 2))
        if ((entry & 3) != which) continue
        const k = entry >>> 2
        if (k == 0) stopped = false
        else if (!stopped) {
          const position = load<i32>(positions + ((<usize>(k - 1)) << 2))
          if (position < 0) stopped = true
          else append(outLists, <u32>position)
        }
      }
      store<u32>(outEnds + <usize>kept * 12 + ((<usize>which) << 2), base + length(outLists))
    }
    kept++
  }
  return kept
}

/** The values from key `first` on, one after another, each followed by a line feed. */
let joined: usize = 0
let joinedCap: u32 = 0

/**
 * Writes the values from key `first` on, each followed by a line feed (no value holds one), so
 * the caller makes them all strings with one call; returns how many bytes that is.
 */
export function joinValues(first: u32): u32 {
  const count = load<u32>(values + T_COUNT)
  const starts = field(values, T_STARTS)
  const from = load<u32>(starts + ((<usize>first) << 2))
  const to = load<u32>(starts + ((<usize>count) << 2))
  const length = to - from + (count - first)
  if (length > joinedCap) {
    joinedCap = max<u32>(length + (length >>> 1), 16384)
    joined = alloc(joinedCap)
  }
  const own = field(values, T_OWN)
  let out = joined
  for (let k = first; k < count; k++) {
    const a = load<u32>(starts + ((<usize>k) << 2))
    const b = load<u32>(starts + ((<usize>(k + 1)) << 2))
    memory.copy(out, own + a, b - a)
    out += b - a
    store<u8>(out, 0x0a)
    out++
  }
  return length
}

export function joinedAt(): usize {
  return joined
}

/** The first row of the last scan that makes the index damaged (see the flags), or -1. */
export function damagedRow(): i32 {
  for (let row: u32 = 0; row < rowCount; row++) {
    const f = load<i32>(rows + <usize>row * ROW * 4 + R_FLAGS * 4)
    if ((f & (NO_NAME_OR_VERSION | BAD_IDENTITY)) != 0) return <i32>row
  }
  return -1
}

export function outKeysAt(): usize {
  return outKeys
}
export function outDetailsAt(): usize {
  return outDetails
}
export function outIdsAt(): usize {
  return outIds
}
export function outIdsLengthNow(): u32 {
  return outIdsLength
}
export function outSizesAt(): usize {
  return outSizes
}
export function outPrioritiesAt(): usize {
  return outPriorities
}
export function outEndsAt(): usize {
  return outEnds
}
export function outListsAt(): usize {
  return field(outLists, A_DATA)
}
export function outListLength(): u32 {
  return length(outLists)
}

// ---------------------------------------------------------------------------------------------
// What the caller reads (pointers move when a region grows: read them after each call)

export function rowsAt(): usize {
  return rows
}
/** Per token key, its position (its key), or -1 until the caller parses it (setInfo). */
export function positionsAt(): usize {
  return positions
}
export function infosAt(): usize {
  return infos
}
export function valueTable(): usize {
  return values
}
export function tokenTable(): usize {
  return tokens
}

/** Room for `length` bytes the caller keys itself (a value of a token it parsed). */
let scratch: usize = 0
let scratchCap: u32 = 0
export function reserveScratch(length: u32): usize {
  if (length > scratchCap) {
    // At least twice: each new region leaves the old one unused, so values growing a byte at a
    // time would otherwise leave the sum of their lengths behind.
    scratchCap = max<u32>(max<u32>(length, scratchCap << 1), 1024)
    scratch = alloc(scratchCap)
  }
  return scratch
}

/** The key of `length` bytes at the scratch area in table `t`; wasAdded() tells if it is new. */
export function keyScratch(t: usize, length: u32): u32 {
  return key(t, scratch, scratch + length)
}
export function wasAdded(): u32 {
  return added
}

/** Slots a lookup of every key of table `t` looks at, all keys together (for tests). */
export function probeCount(t: usize): u32 {
  const slots = field(t, T_SLOTS)
  const mask = load<u32>(t + T_MASK)
  const hashes = field(t, T_HASHES)
  let total: u32 = 0
  for (let slot: u32 = 0; slot <= mask; slot++) {
    const entry = load<u32>(slots + ((<usize>slot) << 2))
    if (entry != 0)
      total += ((slot - (load<u32>(hashes + ((<usize>(entry - 1)) << 2)) & mask)) & mask) + 1
  }
  return total
}
