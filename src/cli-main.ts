/**
 * The command line's work (dist/cli/main.js, which the program dist/cli/index.js runs through
 * the code cache, cli-bin.ts): the command line (cli.ts, which tests import and which runs
 * nothing by itself) on the process's arguments.
 */
import { main } from './cli.js'
import { outputQueued } from './cli-output.js'

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code
  // All the work is done and awaited by now: what Node would still do before it exits is V8's
  // housekeeping (a scavenge it had scheduled as a task, then taking the heap apart), 2-3% of a
  // cold resolve on Node 20 and 24. So the process exits at once, unless output is still queued
  // (cli-output.ts writes synchronously, except on Windows and to a reader that lags): then it
  // ends as usual, once that is written.
  if (!outputQueued()) process.exit(code)
})
