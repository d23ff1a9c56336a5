/** The command line's logger: progress on stderr, so stdout stays for results. */
import type { Logger } from './apk/engine.js'
import { output } from './cli-output.js'

export function stderrLogger(quiet = false): Logger {
  return {
    info: (m) => {
      if (!quiet) output.err(`${m}\n`)
    },
    warning: (m) => output.err(`WARNING: ${m}\n`),
    debug: (m) => {
      if (process.env.WITCHERY_DEBUG) output.err(`debug: ${m}\n`)
    }
  }
}
