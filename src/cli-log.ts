/** The command line's logger: progress on stderr, so stdout stays for results. */
import type { Logger } from './apk/engine.js'

export function stderrLogger(quiet = false): Logger {
  return {
    info: (m) => {
      if (!quiet) process.stderr.write(`${m}\n`)
    },
    warning: (m) => process.stderr.write(`WARNING: ${m}\n`),
    debug: (m) => {
      if (process.env.WITCHERY_DEBUG) process.stderr.write(`debug: ${m}\n`)
    }
  }
}
