/**
 * witchery's temporaries: the build's work folder (roots, layers), the image writer's staging
 * folder and the tarball's temporary name. Each carries its owner in its name (`owner()`: the
 * process id, and on Linux the PID namespace's number), so that:
 *
 * - SIGINT and SIGTERM (how GitHub cancels a step) remove the live ones before the process
 *   ends, with the exit code a shell gives a signalled process (130, 143);
 * - a later run removes those a killed run left (its process is gone), and only those: a
 *   temporary of a run still going is never touched, even one of a container sharing the
 *   folder, whose process ids mean nothing here.
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
    for (const p of paths) removeTree(p)
  }
  live.clear()
  process.exit(128 + SIGNALS[signal])
}

const handlers = {
  SIGINT: () => onSignal('SIGINT'),
  SIGTERM: () => onSignal('SIGTERM')
}

/**
 * While temporaries are live, their times are set to now every HEARTBEAT_MS: a run of another
 * PID namespace, which cannot ask whether this process runs, sees them change (FOREIGN_STALE_MS).
 */
const HEARTBEAT_MS = 5 * 60 * 1000
let heartbeat: NodeJS.Timeout | undefined

function beat(): void {
  const now = new Date()
  for (const [target, how] of live) {
    if (how === 'remove') fs.utimes(target, now, now, () => {})
  }
}

function watchSignals(on: boolean): void {
  if (on === handling) return
  handling = on
  for (const signal of Object.keys(handlers) as (keyof typeof handlers)[]) {
    if (on) process.on(signal, handlers[signal])
    else process.off(signal, handlers[signal])
  }
  if (on) heartbeat = setInterval(beat, HEARTBEAT_MS).unref()
  else clearInterval(heartbeat)
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

/** The number Linux gives this process's PID namespace, '' where there is none to read. */
let namespace: string | undefined
function pidNamespace(): string {
  if (namespace === undefined) {
    try {
      namespace = /^pid:\[(\d+)\]$/.exec(fs.readlinkSync('/proc/self/ns/pid'))?.[1] ?? ''
    } catch {
      namespace = ''
    }
  }
  return namespace
}

/**
 * This process as its temporaries name it: `<pid>_<namespace>`, or `<pid>` where there is no
 * namespace to read. A process id alone says nothing across PID namespaces: containers sharing
 * a /tmp each number their processes from 1, so another one's live build looked abandoned.
 */
export function owner(): string {
  const ns = pidNamespace()
  return ns ? `${process.pid}_${ns}` : String(process.pid)
}

/** A regular expression's source for an owner() in a name, as one group. */
export const OWNER_SOURCE = '(\\d+(?:_\\d+)?)'

/**
 * How long a temporary of another PID namespace must have stood unchanged before it is taken for
 * abandoned: its process cannot be asked after from here, but a live one sets its temporaries'
 * times every HEARTBEAT_MS.
 */
export const FOREIGN_STALE_MS = 60 * 60 * 1000

/**
 * Whether the owner named `named` is gone: a process of this PID namespace (or of a name without
 * one, written before namespaces were named) that no longer runs; one of another namespace once
 * its temporary has not changed for FOREIGN_STALE_MS.
 */
function gone(named: string, modified: number): boolean {
  const [pid, ns = ''] = named.split('_')
  if (ns === '' || ns === pidNamespace()) return !isRunning(Number(pid))
  return Date.now() - modified > FOREIGN_STALE_MS
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
 * Removes the entries of `dir` whose name `pattern` matches with an owner (OWNER_SOURCE) as its
 * first group, when that owner is gone: what a killed run of the same naming scheme left.
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
    if (!match) continue
    const target = path.join(dir, name)
    try {
      const stat = fs.lstatSync(target)
      // Only this user's: in a shared folder (/tmp) another user's is not ours to judge.
      if (uid !== undefined && stat.uid !== uid) continue
      if (!gone(match[1], stat.mtimeMs)) continue
      removeTree(target)
      removed.push(target)
    } catch {
      // One that cannot be removed (or looked at) is left: it must not fail this run.
    }
  }
  return removed
}

/**
 * Removes a file or folder tree, one entry at a time. Node 20's `fs.promises.rm` starts an
 * operation for every entry of a folder at once: removing a root of 40,000 files took ~90 MiB
 * more than this, which walks it in constant memory, and faster (on tmpfs, 0.29 s against 0.42 s
 * on Node 20, 0.14 s against 0.42 s on Node 24). It holds the thread meanwhile, which only ever
 * comes at the end of a run or of a failed one.
 */
export function removeTree(target: string): void {
  fs.rmSync(target, { recursive: true, force: true })
}

/** A work folder's prefix: `witchery-<kind>-<owner>-`. */
function prefixOf(kind: string): string {
  return `witchery-${kind}-${owner()}-`
}

/**
 * Makes a fresh work folder `witchery-<kind>-<owner>-XXXXXX` under tempRoot(), first removing
 * the ones of the same kind that dead runs left. It is removed on SIGINT/SIGTERM until
 * `release` is called; the caller removes it when done.
 */
export async function makeWorkDir(
  kind: string
): Promise<{ dir: string; release: () => Promise<void> }> {
  const root = tempRoot()
  removeStale(root, new RegExp(`^witchery-${kind}-${OWNER_SOURCE}-`))
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
        removeTree(dir)
      } finally {
        // Even when the folder cannot be removed, the signal handlers come off.
        forget()
      }
    }
  }
}
