#!/usr/bin/env node
/**
 * The `witchery` program (dist/cli/index.js): the command line (cli.ts, which tests import and
 * which runs nothing by itself) on the process's arguments.
 */
import { main } from './cli.js'

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code
})
