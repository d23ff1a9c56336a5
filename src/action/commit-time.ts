/** The action's commit-time reader: git through @actions/exec, quietly. */
import * as exec from '@actions/exec'
import { commitTimeArgs, parseCommitTime, type CommitTimeReader } from '../assemble/commit-time.js'

export const actionCommitTime: CommitTimeReader = async (dir) => {
  try {
    const { exitCode, stdout, stderr } = await exec.getExecOutput('git', commitTimeArgs(dir), {
      cwd: dir,
      silent: true,
      ignoreReturnCode: true
    })
    return parseCommitTime(exitCode, stdout, stderr)
  } catch (error) {
    return { problem: `cannot run git in ${dir}: ${(error as Error).message}` }
  }
}
