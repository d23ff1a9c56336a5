/**
 * Returning the memory of large Buffers the build has let go of.
 *
 * A Buffer's bytes live outside V8's heap and go back to the system only when V8 collects the
 * Buffer object. V8 lets tens of megabytes of such bytes wait for its next collection (its soft
 * limit for memory outside the heap is 64 MB), and Node 24's young generation, larger than
 * Node 20's, makes collections rarer still. A build passes every package's compressed and
 * inflated bytes, and every compressed layer block, through Buffers: while it held at most
 * 8 MiB of package data, up to 66 MiB of Buffers waited on Node 24, nearly all let go of.
 *
 * Code that lets go of large Buffers counts their bytes with `letGo`; once COLLECT_AFTER bytes
 * have been let go of, a full collection (about 8 ms on a build's small heap) returns them. The
 * collection is V8's own `gc`: the program's, when Node was started with `--expose-gc`, else
 * one reached without that start-up flag (the flag set at run time, the function taken from a
 * new context, the flag cleared again). Where neither works, nothing changes but the peak.
 */
import { v8, vm } from './lazy-builtins.js'

/**
 * Bytes let go of between two collections. At 32 MiB, a build of 80,000 one-line files on Node
 * 24 held up to that much of its layer's deflated blocks when its peak came, and the peak went
 * over 150 MiB in half the runs (148-159, 8 runs); at 16 MiB it was 139-143, in 1.01x the time.
 * The release build took 1.02x / 0.99x the time (Node 20 / 24), its peak the same or lower.
 */
export const COLLECT_AFTER = 16 * 1024 * 1024

let collect: (() => void) | null | undefined
let collections = 0

/** V8's full collection, or null where it cannot be had. */
function collector(): (() => void) | null {
  if (collect !== undefined) return collect
  collect = null
  const own: unknown = (globalThis as { gc?: unknown }).gc
  if (typeof own === 'function') {
    collect = own as () => void
    return collect
  }
  try {
    v8().setFlagsFromString('--expose-gc')
    const gc: unknown = vm().runInNewContext('gc')
    if (typeof gc === 'function') collect = gc as () => void
  } catch {
    // Not possible here: the peak is V8's to choose.
  } finally {
    // Only the context made above gets `gc`; later ones, and the program's own, do not.
    v8().setFlagsFromString('--no-expose-gc')
  }
  return collect
}

/** Counts `bytes` of Buffers let go of; collects once COLLECT_AFTER have added up. */
export function letGo(bytes: number): void {
  count(letGone, bytes, COLLECT_AFTER)
}

/** Bytes counted since a tally's last collection. */
interface Tally {
  pending: number
}

/** What letGo and letGoAtOnce counted, together. */
const letGone: Tally = { pending: 0 }

/** Adds `bytes` to what `tally` waits for; collects once that comes to `limit`. */
function count(tally: Tally, bytes: number, limit: number): void {
  if (!(bytes > 0)) return
  tally.pending += bytes
  if (tally.pending < limit) return
  tally.pending = 0
  if (collectNow()) collections++
}

/**
 * Bytes let go of at once that are worth a collection of their own (letGoAtOnce). A full
 * collection then takes 8-10 ms, a twentieth of a cold resolve on v3.22 main, whose index (2.8
 * MB read) is far from making the peak; main + community's (12 MiB) are collected.
 */
export const COLLECT_AT_ONCE = 8 * 1024 * 1024

/**
 * Counts `bytes` of Buffers let go of together, at a moment when the next step is about to build
 * something large (the indexes' files and inflated bytes, once their tables are read: 12 MiB on
 * main + community). With what letGo counted, COLLECT_AT_ONCE of them are collected at once;
 * else they would wait under what that step builds, as live as ever to the system.
 */
export function letGoAtOnce(bytes: number): void {
  count(letGone, bytes, COLLECT_AT_ONCE)
}

/** Bytes of an index's text scanned between two collections (letGoOfScanned). */
export const COLLECT_WHILE_SCANNING = 4 * 1024 * 1024

/** What letGoOfScanned counted: apart from letGo's, whose limit is much higher. */
const scanned: Tally = { pending: 0 }

/**
 * Counts `bytes` of an index's inflated text that were scanned and let go of; every
 * COLLECT_WHILE_SCANNING, a full collection. The pieces and what the scan leaves behind live
 * through a few collections of the young generation while they are scanned, so they are moved
 * to the old one, which V8 collects only once the index is read: community's index (7.5 MB of
 * text) then held as much again, and the resolve peaked there on Node 24.
 */
export function letGoOfScanned(bytes: number): void {
  count(scanned, bytes, COLLECT_WHILE_SCANNING)
}

/** Entries installed or written between two collections (letGoOfEntries). */
export const COLLECT_EVERY_ENTRIES = 8192

/** What letGoOfEntries counted. */
const entriesTally: Tally = { pending: 0 }

/**
 * Counts `entries` entries of packages installed or of a layer written; every
 * COLLECT_EVERY_ENTRIES, a full collection (20-40 ms). Each entry leaves garbage behind (its
 * names, its tar header, its database lines as they are made), which V8 promotes and then lets
 * pile up in its old generation: a build of 50,000 one-line files (50 packages of 1,000) peaked
 * at 353 MiB on Node 20, 176 of it V8's heap pages, of which heap snapshots found 42-53 MiB live.
 * With these collections and one each side of the layers' making (build.ts), at 174-177 MiB. A
 * root of a few thousand files, as most are, meets none.
 */
export function letGoOfEntries(entries: number): void {
  count(entriesTally, entries, COLLECT_EVERY_ENTRIES)
}

/**
 * A collection that also gives back what V8 grew the heap by, its young generation above all:
 * made for the moment a large structure has just been let go of. Making the solver's graph of
 * main + community grows the young generation to 64 MiB on Node 24 (32 on Node 20), and V8 keeps
 * it at that size, a few MiB of it live, through the install and the image writing. This is V8's
 * last-resort collection, several full ones in a row (tens of milliseconds), then an ordinary
 * full one: Node 20's `gc` takes the options for something less and collects nothing old.
 */
export function shrinkHeap(): void {
  const gc = collector() as ((options?: object) => void) | null
  if (gc === null) return
  gc({ type: 'major', flavor: 'last-resort' })
  gc()
  collections++
}

/** A full collection now (letGo's; tests check what is still held); false where none can run. */
export function collectNow(): boolean {
  const gc = collector()
  if (gc === null) return false
  gc()
  return true
}

/** ArrayBuffer's constructor with ES2024's options (a resizable ArrayBuffer). */
const ResizableArrayBuffer = ArrayBuffer as unknown as new (
  length: number,
  options: { maxByteLength: number }
) => ArrayBuffer

/**
 * A Buffer of `size` bytes whose memory V8 maps from the system itself, and unmaps when the
 * Buffer is collected, rather than taking it from malloc: a resizable ArrayBuffer (never resized
 * here, its maximum is its size) is made that way. Once a large Buffer has been freed, glibc
 * serves Buffers up to that size from its main heap and keeps up to twice that much of what is
 * freed there; Buffers of many sizes coming and going, as packages do, leave that heap much
 * larger than what is live. Reading packages into these, the release build beside community's
 * index peaked at 122 MiB instead of 132 on Node 24 (median of 10 pairs; highest 132 instead of
 * 142), in 1.02× the time. Node 20 showed no change.
 */
export function mappedBuffer(size: number): Buffer {
  return Buffer.from(new ResizableArrayBuffer(size, { maxByteLength: size }))
}

/** V8's growth factor of the young generation, 1: it keeps the size it starts with. */
const SMALL_YOUNG_GENERATION = '--semi-space-growth-factor=1'
/** Its default (the same on Node 20 and 24). */
const DEFAULT_YOUNG_GENERATION = '--semi-space-growth-factor=2'

let youngGenerationKept = false

/**
 * Keeps V8's young generation at the size it has (1 MiB, as Node starts), for the rest of the
 * process. V8 grows it while most objects outlive their first collection, as nearly all do while
 * an index is read and its solver graph made (up to 32 MiB on Node 20 and 64 MiB on Node 24),
 * and then keeps it at that size through the install and the image. Kept small, reading main +
 * community's indexes peaks at 115 MiB instead of 145 on Node 20 (129 instead of 159 on Node
 * 24) in the same time, and the real build at 109 instead of 137 (130 instead of 147) in
 * 1.03-1.04× the time: it collects more often.
 *
 * readApkindex calls this as an index starts to be read, the first of what grows it; the action
 * calls it first thing, the command line as a build or install starts. Why not always first
 * thing (setting a V8 flag costs Node's built-in modules their code cache): young-generation.ts.
 */
export function keepYoungGenerationSmall(): void {
  if (youngGenerationKept) return
  youngGenerationKept = true
  v8().setFlagsFromString(SMALL_YOUNG_GENERATION)
  // Back to V8's default as the process exits, before any other exit listener: the command
  // line's code cache writes its entry then (code-cache.ts), which V8 stamps with its flags and
  // refuses to a process whose flags differ, as every new one's do from a set flag.
  process.prependListener('exit', () => v8().setFlagsFromString(DEFAULT_YOUNG_GENERATION))
}

/**
 * How many collections letGo, letGoAtOnce, letGoOfScanned and shrinkHeap have run (for tests and
 * the bench).
 */
export function collectionsRun(): number {
  return collections
}
