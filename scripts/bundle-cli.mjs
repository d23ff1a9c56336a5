#!/usr/bin/env node
/**
 * Bundles the command line (src/cli-bin.ts) into OUT as CommonJS: `index.js`, its chunks, and a
 * package.json saying `"type": "commonjs"` (the project's own says `module`).
 *
 * ncc writes an ES module for an entry inside a `"type": "module"` package, and its command has
 * no option against it; its API takes `esm: false`. Node 20 starts an ES module entry through
 * its ESM loader, some twenty more built-in modules and a few milliseconds of every run before
 * the first line of the program: a cold `resolve python3` on v3.22 main took 0.965x the time as
 * CommonJS on Node 20 (41 rounds), the same on Node 24 (0.997x), whose loader costs less. The
 * action's bundle stays an ES module: `@actions/*` are ES modules only.
 *
 *   node scripts/bundle-cli.mjs OUT
 */
import ncc from '@vercel/ncc'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath, URL } from 'node:url'

const ENTRY = fileURLToPath(new URL('../src/cli-bin.ts', import.meta.url))

const out = process.argv[2]
if (!out) {
  console.error('usage: node scripts/bundle-cli.mjs OUT')
  process.exit(2)
}

try {
  const { code, assets } = await ncc(ENTRY, { esm: false, quiet: true })
  fs.rmSync(out, { recursive: true, force: true })
  fs.mkdirSync(out, { recursive: true })
  const main = path.join(out, 'index.js')
  fs.writeFileSync(main, code, { mode: 0o755 })
  for (const [name, asset] of Object.entries(assets)) {
    const file = path.join(out, name)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, asset.source, { mode: asset.permissions ?? 0o644 })
  }
  fs.writeFileSync(path.join(out, 'package.json'), '{\n  "type": "commonjs"\n}\n')
} catch (error) {
  console.error(`bundle-cli: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
}
