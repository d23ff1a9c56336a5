/**
 * The command line's work (dist/cli/main.js, which the program dist/cli/index.js runs through
 * the code cache, cli-bin.ts): the command line (cli.ts, which tests import and which runs
 * nothing by itself) on the process's arguments.
 */
import { main } from './cli.js'

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code
})
