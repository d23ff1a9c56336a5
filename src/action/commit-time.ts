/** The action's commit-time reader: git through @actions/exec, quietly. */
import * as exec from '@actions/exec'
import {
  GIT_COMMIT_TIME_ARGS,
  parseCommitTime,
  type CommitTimeReader
} from '../assemble/commit-time.js'

export const actionCommitTime: CommitTimeReader = async (dir) => {
  try {
    const { exitCode, stdout } = await exec.getExecOutput('git', [...GIT_COMMIT_TIME_ARGS], {
      cwd: dir,
      silent: true,
      ignoreReturnCode: true
    })
    return parseCommitTime(exitCode, stdout)
  } catch {
    return 0
  }
}
