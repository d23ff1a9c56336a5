/**
 * SHA-1, SHA-256 and SHA-512 (FIPS 180-4), compiled to WebAssembly (AssemblyScript; `npm run
 * build:wasm` writes `../sha-wasm.ts`). A local resolve hashes an index's signed bytes and its
 * keys, and nothing else: with these it never loads `node:crypto`, whose first load took 4-9 ms of
 * a cold start (OpenSSL's set-up), against 1-2 ms here for Alpine's v3.22 main.
 *
 * One digest at a time: start(kind), update(length) for each piece the caller copies to the input
 * area (inputAt(), up to CHUNK bytes), finish() for where the digest is, big-endian. The memory is
 * fixed (no growth): the input area, a partial block, the message schedule and the digest.
 */

const CHUNK: i32 = 65536

const input = memory.data(CHUNK, 16)
/** A block not yet whole: `filled` bytes of it. */
const pending = memory.data(128, 16)
/**
 * The message schedule: a ring of 16 words for SHA-1, 64 for SHA-256, 80 (of 64 bits) for SHA-512.
 */
const w = memory.data(80 * 8, 16)
const out = memory.data(64, 16)

// prettier-ignore
const K256 = memory.data<u32>([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
])

// prettier-ignore
const K512 = memory.data<u64>([
  0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc,
  0x3956c25bf348b538, 0x59f111f1b605d019, 0x923f82a4af194f9b, 0xab1c5ed5da6d8118,
  0xd807aa98a3030242, 0x12835b0145706fbe, 0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2,
  0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235, 0xc19bf174cf692694,
  0xe49b69c19ef14ad2, 0xefbe4786384f25e3, 0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65,
  0x2de92c6f592b0275, 0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5,
  0x983e5152ee66dfab, 0xa831c66d2db43210, 0xb00327c898fb213f, 0xbf597fc7beef0ee4,
  0xc6e00bf33da88fc2, 0xd5a79147930aa725, 0x06ca6351e003826f, 0x142929670a0e6e70,
  0x27b70a8546d22ffc, 0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed, 0x53380d139d95b3df,
  0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6, 0x92722c851482353b,
  0xa2bfe8a14cf10364, 0xa81a664bbc423001, 0xc24b8b70d0f89791, 0xc76c51a30654be30,
  0xd192e819d6ef5218, 0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8,
  0x19a4c116b8d2d0c8, 0x1e376c085141ab53, 0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8,
  0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb, 0x5b9cca4f7763e373, 0x682e6ff3d6b2b8a3,
  0x748f82ee5defb2fc, 0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
  0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915, 0xc67178f2e372532b,
  0xca273eceea26619c, 0xd186b8c721c0c207, 0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178,
  0x06f067aa72176fba, 0x0a637dc5a2c898a6, 0x113f9804bef90dae, 0x1b710b35131c471b,
  0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc, 0x431d67c49c100d4c,
  0x4cc5d4becb3e42b6, 0x597f299cfc657e2a, 0x5fcb6fab3ad6faec, 0x6c44198c4a475817
])

/** 1, 256 or 512: the digest being made. */
let kind: i32 = 0
/** Bytes in `pending`. */
let filled: i32 = 0
/** Bytes hashed so far (a message of 2^64 bytes or more is not one a caller has). */
let total: u64 = 0

// The state: a..h of SHA-256 (a..e of SHA-1) and of SHA-512.
let s0: u32 = 0
let s1: u32 = 0
let s2: u32 = 0
let s3: u32 = 0
let s4: u32 = 0
let s5: u32 = 0
let s6: u32 = 0
let s7: u32 = 0
let l0: u64 = 0
let l1: u64 = 0
let l2: u64 = 0
let l3: u64 = 0
let l4: u64 = 0
let l5: u64 = 0
let l6: u64 = 0
let l7: u64 = 0

// Rotations and byte swaps written with shifts: V8's baseline compiler for WebAssembly (Liftoff,
// which runs a module's code until its optimizing compiler has caught up) makes each `rotl` and
// `rotr` a call out to C, which made the whole digest 5x slower on its first 200 KB. The halves
// are added, not or-ed: binaryen turns `(x << n) | (x >>> (32 - n))` back into a rotation.
function rol(x: u32, n: u32): u32 {
  return (x << n) + (x >>> (32 - n))
}
function ror(x: u32, n: u32): u32 {
  return (x >>> n) + (x << (32 - n))
}
function ror64(x: u64, n: u64): u64 {
  return (x >>> n) + (x << (64 - n))
}
function swap(x: u32): u32 {
  return (x << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)
}
function swap64(x: u64): u64 {
  return ((<u64>swap(<u32>x)) << 32) | (<u64>swap(<u32>(x >>> 32)))
}

/** Where the caller puts the bytes of the next update. */
export function inputAt(): usize {
  return input
}

/** The most bytes one update takes. */
export function chunkSize(): i32 {
  return CHUNK
}

/** Starts a digest: `which` is 1 (SHA-1), 256 (SHA-256) or 512 (SHA-512). */
export function start(which: i32): void {
  kind = which
  filled = 0
  total = 0
  if (which == 1) {
    s0 = 0x67452301
    s1 = 0xefcdab89
    s2 = 0x98badcfe
    s3 = 0x10325476
    s4 = 0xc3d2e1f0
  } else if (which == 256) {
    s0 = 0x6a09e667
    s1 = 0xbb67ae85
    s2 = 0x3c6ef372
    s3 = 0xa54ff53a
    s4 = 0x510e527f
    s5 = 0x9b05688c
    s6 = 0x1f83d9ab
    s7 = 0x5be0cd19
  } else {
    l0 = 0x6a09e667f3bcc908
    l1 = 0xbb67ae8584caa73b
    l2 = 0x3c6ef372fe94f82b
    l3 = 0xa54ff53a5f1d36f1
    l4 = 0x510e527fade682d1
    l5 = 0x9b05688c2b3e6c1f
    l6 = 0x1f83d9abfb41bd6b
    l7 = 0x5be0cd19137e2179
  }
}

function blockSize(): i32 {
  return kind == 512 ? 128 : 64
}

function compress(p: usize): void {
  if (kind == 1) sha1Block(p)
  else if (kind == 256) sha256Block(p)
  else sha512Block(p)
}

/** Hashes the first `length` bytes of the input area (at most CHUNK). */
export function update(length: i32): void {
  const size = blockSize()
  let p = input
  let n = min<i32>(max<i32>(length, 0), CHUNK)
  total += <u64>n
  if (filled > 0) {
    const take = min<i32>(size - filled, n)
    memory.copy(pending + <usize>filled, p, <usize>take)
    filled += take
    p += <usize>take
    n -= take
    if (filled < size) return
    compress(pending)
    filled = 0
  }
  while (n >= size) {
    compress(p)
    p += <usize>size
    n -= size
  }
  if (n > 0) {
    memory.copy(pending, p, <usize>n)
    filled = n
  }
}

/** Ends the digest; returns where it is (20, 32 or 64 bytes). */
export function finish(): usize {
  const size = blockSize()
  // The length field: 8 bytes, 16 for SHA-512 (whose top 8 bytes stay zero here).
  const field = kind == 512 ? 16 : 8
  store<u8>(pending + <usize>filled, 0x80)
  filled++
  if (filled > size - field) {
    memory.fill(pending + <usize>filled, 0, <usize>(size - filled))
    compress(pending)
    filled = 0
  }
  memory.fill(pending + <usize>filled, 0, <usize>(size - filled))
  if (kind == 512) store<u64>(pending + 112, swap64(total >>> 61))
  store<u64>(pending + <usize>(size - 8), swap64(total << 3))
  compress(pending)
  filled = 0
  if (kind == 512) {
    store<u64>(out, swap64(l0))
    store<u64>(out + 8, swap64(l1))
    store<u64>(out + 16, swap64(l2))
    store<u64>(out + 24, swap64(l3))
    store<u64>(out + 32, swap64(l4))
    store<u64>(out + 40, swap64(l5))
    store<u64>(out + 48, swap64(l6))
    store<u64>(out + 56, swap64(l7))
  } else {
    store<u32>(out, swap(s0))
    store<u32>(out + 4, swap(s1))
    store<u32>(out + 8, swap(s2))
    store<u32>(out + 12, swap(s3))
    store<u32>(out + 16, swap(s4))
    store<u32>(out + 20, swap(s5))
    store<u32>(out + 24, swap(s6))
    store<u32>(out + 28, swap(s7))
  }
  return out
}

// SHA-1's four round functions, with the constant of each (FIPS 180-4, 4.1.1 and 4.2.1).
function one(a: u32, b: u32, c: u32, d: u32, x: u32): u32 {
  return rol(a, 5) + (d ^ (b & (c ^ d))) + 0x5a827999 + x
}
function two(a: u32, b: u32, c: u32, d: u32, x: u32): u32 {
  return rol(a, 5) + (b ^ c ^ d) + 0x6ed9eba1 + x
}
function three(a: u32, b: u32, c: u32, d: u32, x: u32): u32 {
  return rol(a, 5) + ((b & c) | (d & (b | c))) + 0x8f1bbcdc + x
}
function four(a: u32, b: u32, c: u32, d: u32, x: u32): u32 {
  return rol(a, 5) + (b ^ c ^ d) + 0xca62c1d6 + x
}

/**
 * One block of SHA-1, its 80 rounds written out (the five words trade places instead of moving,
 * and the schedule is a ring of 16 words at fixed places): in V8's baseline compiler, this ran
 * 2x faster than the same rounds as loops, which is how most of an index is hashed.
 */
function sha1Block(p: usize): void {
  let a = s0
  let b = s1
  let c = s2
  let d = s3
  let e = s4
  let x: u32
  x = swap(load<u32>(p, 0))
  store<u32>(w, x, 0)
  e += one(a, b, c, d, x)
  b = rol(b, 30)
  x = swap(load<u32>(p, 4))
  store<u32>(w, x, 4)
  d += one(e, a, b, c, x)
  a = rol(a, 30)
  x = swap(load<u32>(p, 8))
  store<u32>(w, x, 8)
  c += one(d, e, a, b, x)
  e = rol(e, 30)
  x = swap(load<u32>(p, 12))
  store<u32>(w, x, 12)
  b += one(c, d, e, a, x)
  d = rol(d, 30)
  x = swap(load<u32>(p, 16))
  store<u32>(w, x, 16)
  a += one(b, c, d, e, x)
  c = rol(c, 30)
  x = swap(load<u32>(p, 20))
  store<u32>(w, x, 20)
  e += one(a, b, c, d, x)
  b = rol(b, 30)
  x = swap(load<u32>(p, 24))
  store<u32>(w, x, 24)
  d += one(e, a, b, c, x)
  a = rol(a, 30)
  x = swap(load<u32>(p, 28))
  store<u32>(w, x, 28)
  c += one(d, e, a, b, x)
  e = rol(e, 30)
  x = swap(load<u32>(p, 32))
  store<u32>(w, x, 32)
  b += one(c, d, e, a, x)
  d = rol(d, 30)
  x = swap(load<u32>(p, 36))
  store<u32>(w, x, 36)
  a += one(b, c, d, e, x)
  c = rol(c, 30)
  x = swap(load<u32>(p, 40))
  store<u32>(w, x, 40)
  e += one(a, b, c, d, x)
  b = rol(b, 30)
  x = swap(load<u32>(p, 44))
  store<u32>(w, x, 44)
  d += one(e, a, b, c, x)
  a = rol(a, 30)
  x = swap(load<u32>(p, 48))
  store<u32>(w, x, 48)
  c += one(d, e, a, b, x)
  e = rol(e, 30)
  x = swap(load<u32>(p, 52))
  store<u32>(w, x, 52)
  b += one(c, d, e, a, x)
  d = rol(d, 30)
  x = swap(load<u32>(p, 56))
  store<u32>(w, x, 56)
  a += one(b, c, d, e, x)
  c = rol(c, 30)
  x = swap(load<u32>(p, 60))
  store<u32>(w, x, 60)
  e += one(a, b, c, d, x)
  b = rol(b, 30)
  x = rol(load<u32>(w, 52) ^ load<u32>(w, 32) ^ load<u32>(w, 8) ^ load<u32>(w, 0), 1)
  store<u32>(w, x, 0)
  d += one(e, a, b, c, x)
  a = rol(a, 30)
  x = rol(load<u32>(w, 56) ^ load<u32>(w, 36) ^ load<u32>(w, 12) ^ load<u32>(w, 4), 1)
  store<u32>(w, x, 4)
  c += one(d, e, a, b, x)
  e = rol(e, 30)
  x = rol(load<u32>(w, 60) ^ load<u32>(w, 40) ^ load<u32>(w, 16) ^ load<u32>(w, 8), 1)
  store<u32>(w, x, 8)
  b += one(c, d, e, a, x)
  d = rol(d, 30)
  x = rol(load<u32>(w, 0) ^ load<u32>(w, 44) ^ load<u32>(w, 20) ^ load<u32>(w, 12), 1)
  store<u32>(w, x, 12)
  a += one(b, c, d, e, x)
  c = rol(c, 30)
  x = rol(load<u32>(w, 4) ^ load<u32>(w, 48) ^ load<u32>(w, 24) ^ load<u32>(w, 16), 1)
  store<u32>(w, x, 16)
  e += two(a, b, c, d, x)
  b = rol(b, 30)
  x = rol(load<u32>(w, 8) ^ load<u32>(w, 52) ^ load<u32>(w, 28) ^ load<u32>(w, 20), 1)
  store<u32>(w, x, 20)
  d += two(e, a, b, c, x)
  a = rol(a, 30)
  x = rol(load<u32>(w, 12) ^ load<u32>(w, 56) ^ load<u32>(w, 32) ^ load<u32>(w, 24), 1)
  store<u32>(w, x, 24)
  c += two(d, e, a, b, x)
  e = rol(e, 30)
  x = rol(load<u32>(w, 16) ^ load<u32>(w, 60) ^ load<u32>(w, 36) ^ load<u32>(w, 28), 1)
  store<u32>(w, x, 28)
  b += two(c, d, e, a, x)
  d = rol(d, 30)
  x = rol(load<u32>(w, 20) ^ load<u32>(w, 0) ^ load<u32>(w, 40) ^ load<u32>(w, 32), 1)
  store<u32>(w, x, 32)
  a += two(b, c, d, e, x)
  c = rol(c, 30)
  x = rol(load<u32>(w, 24) ^ load<u32>(w, 4) ^ load<u32>(w, 44) ^ load<u32>(w, 36), 1)
  store<u32>(w, x, 36)
  e += two(a, b, c, d, x)
  b = rol(b, 30)
  x = rol(load<u32>(w, 28) ^ load<u32>(w, 8) ^ load<u32>(w, 48) ^ load<u32>(w, 40), 1)
  store<u32>(w, x, 40)
  d += two(e, a, b, c, x)
  a = rol(a, 30)
  x = rol(load<u32>(w, 32) ^ load<u32>(w, 12) ^ load<u32>(w, 52) ^ load<u32>(w, 44), 1)
  store<u32>(w, x, 44)
  c += two(d, e, a, b, x)
  e = rol(e, 30)
  x = rol(load<u32>(w, 36) ^ load<u32>(w, 16) ^ load<u32>(w, 56) ^ load<u32>(w, 48), 1)
  store<u32>(w, x, 48)
  b += two(c, d, e, a, x)
  d = rol(d, 30)
  x = rol(load<u32>(w, 40) ^ load<u32>(w, 20) ^ load<u32>(w, 60) ^ load<u32>(w, 52), 1)
  store<u32>(w, x, 52)
  a += two(b, c, d, e, x)
  c = rol(c, 30)
  x = rol(load<u32>(w, 44) ^ load<u32>(w, 24) ^ load<u32>(w, 0) ^ load<u32>(w, 56), 1)
  store<u32>(w, x, 56)
  e += two(a, b, c, d, x)
  b = rol(b, 30)
  x = rol(load<u32>(w, 48) ^ load<u32>(w, 28) ^ load<u32>(w, 4) ^ load<u32>(w, 60), 1)
  store<u32>(w, x, 60)
  d += two(e, a, b, c, x)
  a = rol(a, 30)
  x = rol(load<u32>(w, 52) ^ load<u32>(w, 32) ^ load<u32>(w, 8) ^ load<u32>(w, 0), 1)
  store<u32>(w, x, 0)
  c += two(d, e, a, b, x)
  e = rol(e, 30)
  x = rol(load<u32>(w, 56) ^ load<u32>(w, 36) ^ load<u32>(w, 12) ^ load<u32>(w, 4), 1)
  store<u32>(w, x, 4)
  b += two(c, d, e, a, x)
  d = rol(d, 30)
  x = rol(load<u32>(w, 60) ^ load<u32>(w, 40) ^ load<u32>(w, 16) ^ load<u32>(w, 8), 1)
  store<u32>(w, x, 8)
  a += two(b, c, d, e, x)
  c = rol(c, 30)
  x = rol(load<u32>(w, 0) ^ load<u32>(w, 44) ^ load<u32>(w, 20) ^ load<u32>(w, 12), 1)
  store<u32>(w, x, 12)
  e += two(a, b, c, d, x)
  b = rol(b, 30)
  x = rol(load<u32>(w, 4) ^ load<u32>(w, 48) ^ load<u32>(w, 24) ^ load<u32>(w, 16), 1)
  store<u32>(w, x, 16)
  d += two(e, a, b, c, x)
  a = rol(a, 30)
  x = rol(load<u32>(w, 8) ^ load<u32>(w, 52) ^ load<u32>(w, 28) ^ load<u32>(w, 20), 1)
  store<u32>(w, x, 20)
  c += two(d, e, a, b, x)
  e = rol(e, 30)
  x = rol(load<u32>(w, 12) ^ load<u32>(w, 56) ^ load<u32>(w, 32) ^ load<u32>(w, 24), 1)
  store<u32>(w, x, 24)
  b += two(c, d, e, a, x)
  d = rol(d, 30)
  x = rol(load<u32>(w, 16) ^ load<u32>(w, 60) ^ load<u32>(w, 36) ^ load<u32>(w, 28), 1)
  store<u32>(w, x, 28)
  a += two(b, c, d, e, x)
  c = rol(c, 30)
  x = rol(load<u32>(w, 20) ^ load<u32>(w, 0) ^ load<u32>(w, 40) ^ load<u32>(w, 32), 1)
  store<u32>(w, x, 32)
  e += three(a, b, c, d, x)
  b = rol(b, 30)
  x = rol(load<u32>(w, 24) ^ load<u32>(w, 4) ^ load<u32>(w, 44) ^ load<u32>(w, 36), 1)
  store<u32>(w, x, 36)
  d += three(e, a, b, c, x)
  a = rol(a, 30)
  x = rol(load<u32>(w, 28) ^ load<u32>(w, 8) ^ load<u32>(w, 48) ^ load<u32>(w, 40), 1)
  store<u32>(w, x, 40)
  c += three(d, e, a, b, x)
  e = rol(e, 30)
  x = rol(load<u32>(w, 32) ^ load<u32>(w, 12) ^ load<u32>(w, 52) ^ load<u32>(w, 44), 1)
  store<u32>(w, x, 44)
  b += three(c, d, e, a, x)
  d = rol(d, 30)
  x = rol(load<u32>(w, 36) ^ load<u32>(w, 16) ^ load<u32>(w, 56) ^ load<u32>(w, 48), 1)
  store<u32>(w, x, 48)
  a += three(b, c, d, e, x)
  c = rol(c, 30)
  x = rol(load<u32>(w, 40) ^ load<u32>(w, 20) ^ load<u32>(w, 60) ^ load<u32>(w, 52), 1)
  store<u32>(w, x, 52)
  e += three(a, b, c, d, x)
  b = rol(b, 30)
  x = rol(load<u32>(w, 44) ^ load<u32>(w, 24) ^ load<u32>(w, 0) ^ load<u32>(w, 56), 1)
  store<u32>(w, x, 56)
  d += three(e, a, b, c, x)
  a = rol(a, 30)
  x = rol(load<u32>(w, 48) ^ load<u32>(w, 28) ^ load<u32>(w, 4) ^ load<u32>(w, 60), 1)
  store<u32>(w, x, 60)
  c += three(d, e, a, b, x)
  e = rol(e, 30)
  x = rol(load<u32>(w, 52) ^ load<u32>(w, 32) ^ load<u32>(w, 8) ^ load<u32>(w, 0), 1)
  store<u32>(w, x, 0)
  b += three(c, d, e, a, x)
  d = rol(d, 30)
  x = rol(load<u32>(w, 56) ^ load<u32>(w, 36) ^ load<u32>(w, 12) ^ load<u32>(w, 4), 1)
  store<u32>(w, x, 4)
  a += three(b, c, d, e, x)
  c = rol(c, 30)
  x = rol(load<u32>(w, 60) ^ load<u32>(w, 40) ^ load<u32>(w, 16) ^ load<u32>(w, 8), 1)
  store<u32>(w, x, 8)
  e += three(a, b, c, d, x)
  b = rol(b, 30)
  x = rol(load<u32>(w, 0) ^ load<u32>(w, 44) ^ load<u32>(w, 20) ^ load<u32>(w, 12), 1)
  store<u32>(w, x, 12)
  d += three(e, a, b, c, x)
  a = rol(a, 30)
  x = rol(load<u32>(w, 4) ^ load<u32>(w, 48) ^ load<u32>(w, 24) ^ load<u32>(w, 16), 1)
  store<u32>(w, x, 16)
  c += three(d, e, a, b, x)
  e = rol(e, 30)
  x = rol(load<u32>(w, 8) ^ load<u32>(w, 52) ^ load<u32>(w, 28) ^ load<u32>(w, 20), 1)
  store<u32>(w, x, 20)
  b += three(c, d, e, a, x)
  d = rol(d, 30)
  x = rol(load<u32>(w, 12) ^ load<u32>(w, 56) ^ load<u32>(w, 32) ^ load<u32>(w, 24), 1)
  store<u32>(w, x, 24)
  a += three(b, c, d, e, x)
  c = rol(c, 30)
  x = rol(load<u32>(w, 16) ^ load<u32>(w, 60) ^ load<u32>(w, 36) ^ load<u32>(w, 28), 1)
  store<u32>(w, x, 28)
  e += three(a, b, c, d, x)
  b = rol(b, 30)
  x = rol(load<u32>(w, 20) ^ load<u32>(w, 0) ^ load<u32>(w, 40) ^ load<u32>(w, 32), 1)
  store<u32>(w, x, 32)
  d += three(e, a, b, c, x)
  a = rol(a, 30)
  x = rol(load<u32>(w, 24) ^ load<u32>(w, 4) ^ load<u32>(w, 44) ^ load<u32>(w, 36), 1)
  store<u32>(w, x, 36)
  c += three(d, e, a, b, x)
  e = rol(e, 30)
  x = rol(load<u32>(w, 28) ^ load<u32>(w, 8) ^ load<u32>(w, 48) ^ load<u32>(w, 40), 1)
  store<u32>(w, x, 40)
  b += three(c, d, e, a, x)
  d = rol(d, 30)
  x = rol(load<u32>(w, 32) ^ load<u32>(w, 12) ^ load<u32>(w, 52) ^ load<u32>(w, 44), 1)
  store<u32>(w, x, 44)
  a += three(b, c, d, e, x)
  c = rol(c, 30)
  x = rol(load<u32>(w, 36) ^ load<u32>(w, 16) ^ load<u32>(w, 56) ^ load<u32>(w, 48), 1)
  store<u32>(w, x, 48)
  e += four(a, b, c, d, x)
  b = rol(b, 30)
  x = rol(load<u32>(w, 40) ^ load<u32>(w, 20) ^ load<u32>(w, 60) ^ load<u32>(w, 52), 1)
  store<u32>(w, x, 52)
  d += four(e, a, b, c, x)
  a = rol(a, 30)
  x = rol(load<u32>(w, 44) ^ load<u32>(w, 24) ^ load<u32>(w, 0) ^ load<u32>(w, 56), 1)
  store<u32>(w, x, 56)
  c += four(d, e, a, b, x)
  e = rol(e, 30)
  x = rol(load<u32>(w, 48) ^ load<u32>(w, 28) ^ load<u32>(w, 4) ^ load<u32>(w, 60), 1)
  store<u32>(w, x, 60)
  b += four(c, d, e, a, x)
  d = rol(d, 30)
  x = rol(load<u32>(w, 52) ^ load<u32>(w, 32) ^ load<u32>(w, 8) ^ load<u32>(w, 0), 1)
  store<u32>(w, x, 0)
  a += four(b, c, d, e, x)
  c = rol(c, 30)
  x = rol(load<u32>(w, 56) ^ load<u32>(w, 36) ^ load<u32>(w, 12) ^ load<u32>(w, 4), 1)
  store<u32>(w, x, 4)
  e += four(a, b, c, d, x)
  b = rol(b, 30)
  x = rol(load<u32>(w, 60) ^ load<u32>(w, 40) ^ load<u32>(w, 16) ^ load<u32>(w, 8), 1)
  store<u32>(w, x, 8)
  d += four(e, a, b, c, x)
  a = rol(a, 30)
  x = rol(load<u32>(w, 0) ^ load<u32>(w, 44) ^ load<u32>(w, 20) ^ load<u32>(w, 12), 1)
  store<u32>(w, x, 12)
  c += four(d, e, a, b, x)
  e = rol(e, 30)
  x = rol(load<u32>(w, 4) ^ load<u32>(w, 48) ^ load<u32>(w, 24) ^ load<u32>(w, 16), 1)
  store<u32>(w, x, 16)
  b += four(c, d, e, a, x)
  d = rol(d, 30)
  x = rol(load<u32>(w, 8) ^ load<u32>(w, 52) ^ load<u32>(w, 28) ^ load<u32>(w, 20), 1)
  store<u32>(w, x, 20)
  a += four(b, c, d, e, x)
  c = rol(c, 30)
  x = rol(load<u32>(w, 12) ^ load<u32>(w, 56) ^ load<u32>(w, 32) ^ load<u32>(w, 24), 1)
  store<u32>(w, x, 24)
  e += four(a, b, c, d, x)
  b = rol(b, 30)
  x = rol(load<u32>(w, 16) ^ load<u32>(w, 60) ^ load<u32>(w, 36) ^ load<u32>(w, 28), 1)
  store<u32>(w, x, 28)
  d += four(e, a, b, c, x)
  a = rol(a, 30)
  x = rol(load<u32>(w, 20) ^ load<u32>(w, 0) ^ load<u32>(w, 40) ^ load<u32>(w, 32), 1)
  store<u32>(w, x, 32)
  c += four(d, e, a, b, x)
  e = rol(e, 30)
  x = rol(load<u32>(w, 24) ^ load<u32>(w, 4) ^ load<u32>(w, 44) ^ load<u32>(w, 36), 1)
  store<u32>(w, x, 36)
  b += four(c, d, e, a, x)
  d = rol(d, 30)
  x = rol(load<u32>(w, 28) ^ load<u32>(w, 8) ^ load<u32>(w, 48) ^ load<u32>(w, 40), 1)
  store<u32>(w, x, 40)
  a += four(b, c, d, e, x)
  c = rol(c, 30)
  x = rol(load<u32>(w, 32) ^ load<u32>(w, 12) ^ load<u32>(w, 52) ^ load<u32>(w, 44), 1)
  store<u32>(w, x, 44)
  e += four(a, b, c, d, x)
  b = rol(b, 30)
  x = rol(load<u32>(w, 36) ^ load<u32>(w, 16) ^ load<u32>(w, 56) ^ load<u32>(w, 48), 1)
  store<u32>(w, x, 48)
  d += four(e, a, b, c, x)
  a = rol(a, 30)
  x = rol(load<u32>(w, 40) ^ load<u32>(w, 20) ^ load<u32>(w, 60) ^ load<u32>(w, 52), 1)
  c += four(d, e, a, b, x)
  e = rol(e, 30)
  x = rol(load<u32>(w, 44) ^ load<u32>(w, 24) ^ load<u32>(w, 0) ^ load<u32>(w, 56), 1)
  b += four(c, d, e, a, x)
  d = rol(d, 30)
  x = rol(load<u32>(w, 48) ^ load<u32>(w, 28) ^ load<u32>(w, 4) ^ load<u32>(w, 60), 1)
  a += four(b, c, d, e, x)
  c = rol(c, 30)
  s0 += a
  s1 += b
  s2 += c
  s3 += d
  s4 += e
}

function sha256Block(p: usize): void {
  for (let i: usize = 0; i < 16; i++) store<u32>(w + (i << 2), swap(load<u32>(p + (i << 2))))
  for (let i: usize = 16; i < 64; i++) {
    const x = load<u32>(w + ((i - 15) << 2))
    const y = load<u32>(w + ((i - 2) << 2))
    const sigma0 = ror(x, 7) ^ ror(x, 18) ^ (x >>> 3)
    const sigma1 = ror(y, 17) ^ ror(y, 19) ^ (y >>> 10)
    store<u32>(
      w + (i << 2),
      load<u32>(w + ((i - 16) << 2)) + sigma0 + load<u32>(w + ((i - 7) << 2)) + sigma1
    )
  }
  let a = s0
  let b = s1
  let c = s2
  let d = s3
  let e = s4
  let f = s5
  let g = s6
  let h = s7
  for (let i: usize = 0; i < 64; i++) {
    const big1 = ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)
    const choose = g ^ (e & (f ^ g))
    const t1 = h + big1 + choose + load<u32>(K256 + (i << 2)) + load<u32>(w + (i << 2))
    const big0 = ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)
    const majority = (a & b) | (c & (a | b))
    const t2 = big0 + majority
    h = g
    g = f
    f = e
    e = d + t1
    d = c
    c = b
    b = a
    a = t1 + t2
  }
  s0 += a
  s1 += b
  s2 += c
  s3 += d
  s4 += e
  s5 += f
  s6 += g
  s7 += h
}

function sha512Block(p: usize): void {
  for (let i: usize = 0; i < 16; i++) store<u64>(w + (i << 3), swap64(load<u64>(p + (i << 3))))
  for (let i: usize = 16; i < 80; i++) {
    const x = load<u64>(w + ((i - 15) << 3))
    const y = load<u64>(w + ((i - 2) << 3))
    const sigma0 = ror64(x, 1) ^ ror64(x, 8) ^ (x >>> 7)
    const sigma1 = ror64(y, 19) ^ ror64(y, 61) ^ (y >>> 6)
    store<u64>(
      w + (i << 3),
      load<u64>(w + ((i - 16) << 3)) + sigma0 + load<u64>(w + ((i - 7) << 3)) + sigma1
    )
  }
  let a = l0
  let b = l1
  let c = l2
  let d = l3
  let e = l4
  let f = l5
  let g = l6
  let h = l7
  for (let i: usize = 0; i < 80; i++) {
    const big1 = ror64(e, 14) ^ ror64(e, 18) ^ ror64(e, 41)
    const choose = g ^ (e & (f ^ g))
    const t1 = h + big1 + choose + load<u64>(K512 + (i << 3)) + load<u64>(w + (i << 3))
    const big0 = ror64(a, 28) ^ ror64(a, 34) ^ ror64(a, 39)
    const majority = (a & b) | (c & (a | b))
    const t2 = big0 + majority
    h = g
    g = f
    f = e
    e = d + t1
    d = c
    c = b
    b = a
    a = t1 + t2
  }
  l0 += a
  l1 += b
  l2 += c
  l3 += d
  l4 += e
  l5 += f
  l6 += g
  l7 += h
}
