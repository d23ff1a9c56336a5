/**
 * The build epoch's last fallback: HEAD's commit time, when neither the `source-date-epoch`
 * input nor SOURCE_DATE_EPOCH gives one. How git is run is the caller's (the action runs it
 * through @actions/exec, the CLI through node:child_process); what is run and how its answer
 * is read are here, once.
 */
import * as fs from 'node:fs'

/** HEAD's commit time in seconds, or why it could not be read (the caller warns). */
export type CommitTime = { seconds: number } | { seconds?: undefined; problem: string }

/** Reads HEAD's commit time in `dir`. */
export type CommitTimeReader = (dir: string) => Promise<CommitTime>

/**
 * `git log -1 --format=%ct`, trusting `dir` for this one command. In a job that runs in a
 * container the workspace belongs to another user, and git refuses such a repository
 * ("detected dubious ownership") unless it is listed in safe.directory; `-c` lists the
 * workspace alone (as given and with symlinks resolved, since git compares either), not `*`.
 */
export function commitTimeArgs(dir: string): string[] {
  const safe = new Set([dir, realPath(dir)])
  return [...[...safe].flatMap((d) => ['-c', `safe.directory=${d}`]), 'log', '-1', '--format=%ct']
}

function realPath(dir: string): string {
  try {
    return fs.realpathSync(dir)
  } catch {
    return dir
  }
}

/** What `git log -1 --format=%ct` said: seconds, or the problem in git's words. */
export function parseCommitTime(exitCode: number, stdout: string, stderr = ''): CommitTime {
  const text = stdout.trim()
  const seconds = Number(text)
  if (exitCode === 0 && /^\d+$/.test(text) && Number.isSafeInteger(seconds)) return { seconds }
  const said = stderr
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '')
  return {
    problem: said ?? (exitCode === 0 ? `git printed '${text}'` : `git exited with ${exitCode}`)
  }
}

/** The warning when the epoch falls back to 0. */
export function commitTimeWarning(dir: string, problem: string): string {
  return (
    `the build epoch is 0 (1970-01-01): HEAD's commit time cannot be read in ${dir} (${problem}). ` +
    'Set `source-date-epoch` or SOURCE_DATE_EPOCH, or check the repository out before this step.'
  )
}
