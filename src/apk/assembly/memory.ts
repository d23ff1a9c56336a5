/**
 * The memory of the engine's WebAssembly modules (index-scan.ts, graph-build.ts, discover.ts),
 * laid out by a bump allocator: nothing is freed, and a region that must grow is copied to a new
 * place (what it left stays unused). Fresh memory is zeros.
 */

let top: usize = (__heap_base + 15) & ~15
/** The most pages the memory may grow to (setLimit). */
let limit: i32 = 65536
/** How many times the memory grew (the caller reads it, for tests). */
let grows: u32 = 0
/** Why alloc trapped: 1, past the limit; 2, the host gave no more memory. */
let failure: u32 = 0

/** The most pages of 64 KiB the memory may grow to. */
export function setLimit(pages: i32): void {
  limit = pages
}

/** Fresh memory for `size` bytes; past the limit, a trap (the caller reports it). */
export function alloc(size: usize): usize {
  const at = (top + 15) & ~15
  // In 64 bits: a size near 4 GiB must not wrap around to a small end.
  const end = <u64>at + <u64>size
  if (end > (<u64>limit) << 16) {
    failure = 1
    unreachable()
  }
  top = <usize>end
  const pages = <i32>((end + 0xffff) >>> 16)
  const have = memory.size()
  if (pages > have) {
    // By half again at least (within the limit): once the heap is large, V8 collects it at each
    // growth, and growing by the pages needed (once per 64 KB of an index of ever longer tagged
    // tokens) took 45 s for 28 MB of one.
    const want = min<i32>(max<i32>(pages, have + (have >> 1)), limit)
    if (memory.grow(want - have) < 0) {
      failure = 2
      unreachable()
    }
    grows++
  }
  return at
}

/** Element `i` of the array of 32-bit integers at `base`. */
export function i32At(base: usize, i: i32): i32 {
  return load<i32>(base + ((<usize>i) << 2))
}

/** Sets element `i` of the array of 32-bit integers at `base`. */
export function setI32(base: usize, i: i32, value: i32): void {
  store<i32>(base + ((<usize>i) << 2), value)
}

/** A copy of the `used` bytes at `from` in fresh memory of `size` bytes. */
export function grown(from: usize, used: usize, size: usize): usize {
  const to = alloc(size)
  memory.copy(to, from, used)
  return to
}

export function growCount(): u32 {
  return grows
}

export function failureKind(): u32 {
  return failure
}
