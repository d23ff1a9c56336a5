/**
 * witchery's temporaries: the build's work folder (roots, layers), the image writer's staging
 * folder and the tarball's temporary name. Each carries the process id in its name, so that:
 *
 * - SIGINT and SIGTERM (how GitHub cancels a step) remove the live ones before the process
 *   ends, with the exit code a shell gives a signalled process (130, 143);
 * - a later run removes those a killed run left (its process is gone), and only those: a
 *   temporary of a run still going is never touched.
 *
 * They go under RUNNER_TEMP when it is set (the runner empties it after every job), else under
 * the system's temporary folder.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { WitcheryError } from './errors.js'

/**
 * What a signal takes away: each path removed, or, for a folder that was there (empty) before
 * this run wrote into it (a root given to install), emptied.
 */
const live = new Map<string, 'remove' | 'empty'>()
const SIGNALS = { SIGINT: 2, SIGTERM: 15 } as const
let handling = false

function onSignal(signal: keyof typeof SIGNALS): void {
  for (const [target, how] of live) {
    const paths = how === 'remove' ? [target] : safeNames(target).map((n) => path.join(target, n))
    for (const p of paths) fs.rmSync(p, { recursive: true, force: true })
  }
  live.clear()
  process.exit(128 + SIGNALS[signal])
}

const handlers = {
  SIGINT: () => onSignal('SIGINT'),
  SIGTERM: () => onSignal('SIGTERM')
}

function watchSignals(on: boolean): void {
  if (on === handling) return
  handling = on
  for (const signal of Object.keys(handlers) as (keyof typeof handlers)[]) {
    if (on) process.on(signal, handlers[signal])
    else process.off(signal, handlers[signal])
  }
}

function safeNames(dir: string): string[] {
  try {
    return fs.readdirSync(dir)
  } catch {
    return []
  }
}

/**
 * Empties `dir` (a folder that was there, and empty, before this run wrote into it) if the
 * process is stopped by SIGINT or SIGTERM before the returned function is called.
 */
export function emptyOnSignal(dir: string): () => void {
  return onSignalDo(dir, 'empty')
}

/**
 * Removes `target` (a file or folder) if the process is stopped by SIGINT or SIGTERM before the
 * returned function is called. While nothing is registered, the signals keep their defaults.
 */
export function removeOnSignal(target: string): () => void {
  return onSignalDo(target, 'remove')
}

function onSignalDo(target: string, how: 'remove' | 'empty'): () => void {
  live.set(target, how)
  watchSignals(true)
  return () => {
    live.delete(target)
    if (live.size === 0) watchSignals(false)
  }
}

/** Where temporaries go: RUNNER_TEMP when set, else the system's temporary folder. */
export function tempRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.RUNNER_TEMP || os.tmpdir()
}

/** Whether a process with this id runs (a process of another user counts as running). */
function isRunning(pid: number): boolean {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Removes the entries of `dir` whose name `pattern` matches with the process id as its first
 * group, when that process no longer runs: what a killed run of the same naming scheme left.
 * Returns the paths removed. A folder that cannot be read, an entry of another user, and one
 * that cannot be removed are left alone.
 */
export function removeStale(dir: string, pattern: RegExp): string[] {
  let names: string[]
  try {
    names = fs.readdirSync(dir)
  } catch {
    return []
  }
  const removed: string[] = []
  const uid = process.getuid?.()
  for (const name of names) {
    const match = pattern.exec(name)
    if (!match || isRunning(Number(match[1]))) continue
    const target = path.join(dir, name)
    try {
      // Only this user's: in a shared folder (/tmp) another user's is not ours to judge.
      if (uid !== undefined && fs.lstatSync(target).uid !== uid) continue
      fs.rmSync(target, { recursive: true, force: true })
      removed.push(target)
    } catch {
      // One that cannot be removed (or looked at) is left: it must not fail this run.
    }
  }
  return removed
}

/** A work folder's prefix: `witchery-<kind>-<pid>-`. */
function prefixOf(kind: string): string {
  return `witchery-${kind}-${process.pid}-`
}

/**
 * Makes a fresh work folder `witchery-<kind>-<pid>-XXXXXX` under tempRoot(), first removing
 * the ones of the same kind that dead runs left. It is removed on SIGINT/SIGTERM until
 * `release` is called; the caller removes it when done.
 */
export async function makeWorkDir(
  kind: string
): Promise<{ dir: string; release: () => Promise<void> }> {
  const root = tempRoot()
  removeStale(root, new RegExp(`^witchery-${kind}-(\\d+)-`))
  // The handlers go on before the folder exists, and the folder is made in one synchronous
  // step: a signal at any moment finds no folder, or one it knows to remove. (Made after an
  // await, the folder stood for a moment with the signals' default, which leaves it behind.)
  watchSignals(true)
  let dir: string
  try {
    dir = fs.mkdtempSync(path.join(root, prefixOf(kind)))
  } catch (error) {
    if (live.size === 0) watchSignals(false)
    const where = process.env.RUNNER_TEMP ? 'RUNNER_TEMP' : "the system's temporary folder"
    throw new WitcheryError(
      'WORK_DIR',
      `cannot make a work folder in ${root} (${where}): ${(error as Error).message}. Point ` +
        'RUNNER_TEMP (or TMPDIR) at a folder that exists and can be written.',
      { cause: error }
    )
  }
  const forget = removeOnSignal(dir)
  return {
    dir,
    release: async () => {
      try {
        await fs.promises.rm(dir, { recursive: true, force: true })
      } finally {
        // Even when the folder cannot be removed, the signal handlers come off.
        forget()
      }
    }
  }
}
