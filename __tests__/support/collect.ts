import { setTimeout as nextTimer } from 'node:timers/promises'
import { collectNow } from '../../src/released-memory.js'

/**
 * Collects everything unreachable, for tests that hold a WeakRef to what should be gone.
 *
 * Two things keep an unreachable object through one full collection. A WeakRef holds its target
 * until the job that made or read it ends; in jest's module contexts, a continuation after
 * `setImmediate` still saw it held, every time, and one after a timer did not, so each collection
 * here comes after a timer. And when V8 had begun marking incrementally while the object was still
 * reachable (a large index read allocates enough to start that), a full collection finishes that
 * marking rather than starting afresh, and what it had marked survives it; the second collection
 * starts from nothing (the flaky failure this mends: a table kept through one collection in CI).
 * Returns false where no collection can run.
 */
export async function collectUnreachable(): Promise<boolean> {
  await nextTimer(0)
  if (!collectNow()) return false
  await nextTimer(0)
  collectNow()
  return true
}
