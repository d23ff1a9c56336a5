#!/usr/bin/env node
/**
 * Bundles the command line into OUT as CommonJS: `main.js` (src/cli-main.ts) and its chunks, the
 * program `index.js` that runs it through the code cache (src/cli-bin.ts), and a package.json
 * saying `"type": "commonjs"` (the project's own says `module`).
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

const source = (name) => fileURLToPath(new URL(`../src/${name}`, import.meta.url))

/**
 * Bundles `entry` into `out`: its code as `file` (of `mode`), its chunks and assets by their own
 * names.
 */
async function bundle(entry, out, file, mode) {
  const { code, assets } = await ncc(source(entry), { esm: false, quiet: true })
  fs.writeFileSync(path.join(out, file), code, { mode })
  for (const [name, asset] of Object.entries(assets)) {
    const at = path.join(out, name)
    fs.mkdirSync(path.dirname(at), { recursive: true })
    fs.writeFileSync(at, asset.source, { mode: asset.permissions ?? 0o644 })
  }
}

const out = process.argv[2]
if (!out) {
  console.error('usage: node scripts/bundle-cli.mjs OUT')
  process.exit(2)
}

try {
  fs.rmSync(out, { recursive: true, force: true })
  fs.mkdirSync(out, { recursive: true })
  // The work first: its chunks keep ncc's names (`N.index.js`), which the loader never has.
  await bundle('cli-main.ts', out, 'main.js', 0o644)
  await bundle('cli-bin.ts', out, 'index.js', 0o755)
  fs.writeFileSync(path.join(out, 'package.json'), '{\n  "type": "commonjs"\n}\n')
} catch (error) {
  console.error(`bundle-cli: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
}
