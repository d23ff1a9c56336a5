#!/usr/bin/env node
/**
 * The `witchery` program (dist/cli/index.js): runs the command line's bundle (dist/cli/main.js,
 * from cli-main.ts) with V8's code of it kept from an earlier run (code-cache.ts). With an
 * entry, a cold `resolve python3` on Alpine v3.22 main took 0.93-0.94x the time on Node 20 and
 * 0.87-0.89x on Node 24 (21 and 41 rounds, in two hours of the machine).
 *
 * The entry is written at the end of the first run of a command that does the engine's work
 * (resolve, install, build) and ends well, so that it holds the code such a run compiles; a
 * `--help` first would keep little of it. Later runs only read it.
 */
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { type CachedScript, codeCacheFolder, compileCached } from './code-cache.js'

const WORK = new Set(['resolve', 'install', 'build'])

const bundle = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.js')
let script: CachedScript
try {
  script = compileCached(bundle, codeCacheFolder())
} catch (error) {
  // The program's own files, not the user's input: an install missing or damaging main.js.
  const reason = error instanceof Error ? error.message : String(error)
  process.stderr.write(`witchery: cannot load its own code, ${bundle} (${reason}); reinstall it\n`)
  process.exit(1)
}
if ((script.status === 'none' || script.status === 'rejected') && WORK.has(process.argv[2])) {
  process.once('exit', (code) => {
    if (code === 0) script.save()
  })
}
script.run()
