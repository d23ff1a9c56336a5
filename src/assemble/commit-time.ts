/**
 * The build epoch's last fallback: HEAD's commit time, when neither the `source-date-epoch`
 * input nor SOURCE_DATE_EPOCH gives one. How git is run is the caller's (the action runs it
 * through @actions/exec, the CLI through node:child_process); what is run and how its answer
 * is read are here, once.
 */

/** Unix seconds of HEAD's commit in `dir`, or 0 when git or the repository is missing. */
export type CommitTimeReader = (dir: string) => Promise<number>

export const GIT_COMMIT_TIME_ARGS: readonly string[] = ['log', '-1', '--format=%ct']

/** What `git log -1 --format=%ct` said, as seconds; 0 for a failure or an odd answer. */
export function parseCommitTime(exitCode: number, stdout: string): number {
  const text = stdout.trim()
  const seconds = Number(text)
  return exitCode === 0 && text !== '' && Number.isSafeInteger(seconds) && seconds >= 0
    ? seconds
    : 0
}
