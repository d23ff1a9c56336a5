#!/usr/bin/env node
/**
 * The `witchery` program (dist/cli/index.js): V8's young generation kept small before anything
 * else is evaluated (young-generation.ts), then the command line (cli.ts, which tests import and
 * which runs nothing by itself) on the process's arguments.
 */
import './young-generation.js'
import { main } from './cli.js'

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code
})
