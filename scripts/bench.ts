/**
 * npm run bench: what users wait for, then the engine's parts, each figure next to a baseline
 * measured in the same run, so machine noise cancels out in the ratios.
 *
 * 0. cold whole processes of the bundled command line: resolve on Alpine's real indexes against
 *    fixed limits, a real build against tar | gzip -6 and sha256sum, the peak memory of builds
 *    of synthetic images of growing size against a fixed bound (bench-cold.ts; `npm run bench
 *    -- memory` runs the last alone);
 * 1. parse and verify Alpine's real v3.22 index (target ≤ 60 ms on 2 cores);
 * 2. resolve the largest rows of the resolutions table;
 * 3. install ≥ 50 MB of packages, against gunzip + a plain untar of the same packages with
 *    Node's zlib (target ≥ 0.8× the baseline's throughput);
 * 4. write the image layer of that root, against plain gzip of the same bytes.
 * Needs ../shared for 1 and 2 (skipped with a message without it). 1-2 and 3-4 run in processes
 * of their own.
 */
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { performance } from 'node:perf_hooks'
import * as zlib from 'node:zlib'
import { parseApkindexText, readApkindex } from '../src/apk/formats/apkindex.js'
import { parseDependency } from '../src/apk/formats/dependency.js'
import { InstallQueue } from '../src/apk/install/queue.js'
import { installPackages, RootInstaller } from '../src/apk/install/root-installer.js'
import { Keyring } from '../src/apk/keys/keyring.js'
import { mapLimit } from '../src/apk/fetch/concurrency.js'
import { readApkPackage, readApkPackageAsync } from '../src/apk/formats/package-file.js'
import { parseRepository } from '../src/apk/fetch/repository.js'
import { solve } from '../src/apk/solver/solve.js'
import type { RepoPackage } from '../src/apk/types.js'
import { writeImage } from '../src/oci/image.js'
import { treeToLayerEntries } from '../src/oci/tree.js'
import { buildApk } from '../__tests__/support/apk-builder.js'
import { benchCold, benchMemory } from './bench-cold.js'
import { generateSigningKey } from '../__tests__/support/keys.js'

const SHARED = path.resolve(process.cwd(), '..', 'shared')
const MB = 1024 * 1024

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

async function timeIt(runs: number, fn: () => unknown | Promise<unknown>): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    await fn()
    times.push(performance.now() - start)
  }
  return median(times)
}

interface Comparison {
  baselineMs: number
  oursMs: number
  /** Median over rounds of baseline time / our time: above 1 means we are faster. */
  ratio: number
}

/**
 * Runs the baseline and ours alternately, `rounds` times, so both see the same machine; the
 * ratio is taken per round, then its median, which is what survives a noisy shared machine.
 */
async function compare(
  rounds: number,
  baseline: () => unknown | Promise<unknown>,
  ours: () => unknown | Promise<unknown>,
  between: () => void = () => undefined
): Promise<Comparison> {
  const base: number[] = []
  const mine: number[] = []
  const ratios: number[] = []
  await baseline()
  await ours()
  between()
  for (let i = 0; i < rounds; i++) {
    const b = await timeIt(1, baseline)
    const o = await timeIt(1, ours)
    between()
    base.push(b)
    mine.push(o)
    ratios.push(b / o)
  }
  return { baselineMs: median(base), oursMs: median(mine), ratio: median(ratios) }
}

function row(label: string, value: string): void {
  console.log(`${label.padEnd(48)} ${value}`)
}

async function benchIndex(): Promise<void> {
  const indexFile = path.join(SHARED, 'fixtures/real-indexes/v3.22-main/x86_64/APKINDEX.tar.gz')
  if (!fs.existsSync(indexFile)) {
    console.log('index and resolution: skipped (../shared not found)')
    return
  }
  const bytes = fs.readFileSync(indexFile)
  const keyring = await Keyring.load({ keysDir: path.join(SHARED, 'alpine-keys') })
  const repository = parseRepository('https://dl-cdn.alpinelinux.org/alpine/v3.22/main', 0)
  await readApkindex(bytes, repository, { keyring })
  const index0 = await compare(
    21,
    () => zlib.gunzipSync(bytes),
    () => readApkindex(bytes, repository, { keyring })
  )
  row(
    'index: parse + verify v3.22 main (5,646 pkgs)',
    `${index0.oursMs.toFixed(1)} ms (target ≤ 60 ms)`
  )
  row('  baseline: gunzip of the same file', `${index0.baselineMs.toFixed(1)} ms`)
  row('  ours / gunzip time', `${(1 / index0.ratio).toFixed(1)}×`)

  const index = await readApkindex(bytes, repository, { keyring })
  const tsv = fs.readFileSync(
    path.join(SHARED, 'fixtures/real-indexes/v3.22-main-resolutions.tsv'),
    'utf8'
  )
  const rows = tsv
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split('\t'))
    .filter(([, rc]) => rc === '0')
    .sort((a, b) => b[2].split(' ').length - a[2].split(' ').length)
    .slice(0, 3)
  // What the engine solves against: the index's table, whose graph is built once and kept.
  const tables = [index.table]
  for (const [world, , expected] of rows) {
    const deps = world.split(' ').map((t) => parseDependency(t))
    const solveMs = await timeIt(20, () => solve(deps, tables, { repositories: [repository] }))
    row(`resolve '${world}' (${expected.split(' ').length} pkgs)`, `${solveMs.toFixed(2)} ms`)
  }
  void parseApkindexText
}

/** ≥ 50 MB of package content: half random (incompressible), half text-like. */
function makePackages(dir: string): { files: string[]; bytes: number } {
  const key = generateSigningKey()
  const files: string[] = []
  let bytes = 0
  const words = 'musl alpine witchery distroless layer index package signed apk tar gzip\n'
  for (let i = 0; i < 13; i++) {
    const content: Buffer[] = []
    for (let j = 0; j < 8; j++) {
      content.push(j % 2 === 0 ? randomBytes(512 * 1024) : Buffer.from(words.repeat(7500)))
    }
    const apk = buildApk(
      {
        name: `bench${i}`,
        version: '1.0-r0',
        files: content.map((c, j) => ({ path: `usr/share/bench${i}/file${j}.bin`, content: c }))
      },
      key
    )
    bytes += content.reduce((sum, c) => sum + c.length, 0)
    const file = path.join(dir, apk.fileName)
    fs.writeFileSync(file, apk.bytes)
    files.push(file)
  }
  return { files, bytes }
}

/** The baseline: gunzip each package with Node's zlib and write its regular files, nothing else. */
function plainUntar(apks: Buffer[], root: string): void {
  for (const apk of apks) {
    const tar = zlib.gunzipSync(apk)
    let offset = 0
    while (offset + 512 <= tar.length) {
      const header = tar.subarray(offset, offset + 512)
      if (header[0] === 0) {
        offset += 512
        continue
      }
      const name = header.subarray(0, 100).toString('latin1').replace(/\0.*$/s, '')
      const size = parseInt(header.subarray(124, 136).toString('latin1').trim() || '0', 8)
      const type = String.fromCharCode(header[156])
      const body = tar.subarray(offset + 512, offset + 512 + size)
      if (!name.startsWith('.') && type === '0') {
        const target = path.join(root, name)
        fs.mkdirSync(path.dirname(target), { recursive: true })
        fs.writeFileSync(target, body)
      }
      offset += 512 + Math.ceil(size / 512) * 512
    }
  }
}

async function benchInstall(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-bench-'))
  try {
    const { files, bytes } = makePackages(work)
    const apks = files.map((f) => fs.readFileSync(f))
    const apkBytes = apks.reduce((sum, a) => sum + a.length, 0)
    const baseRoot = path.join(work, 'base')
    const ourRoot = path.join(work, 'root')
    // Ours as a build does it (engine.installResolution): packages verified several at once,
    // as fetchPackages does, each installed in order as soon as it and those before it are
    // verified. The roots are removed between rounds, outside the timing.
    const units = apks.map((bytesOf) => {
      const file = readApkPackage(bytesOf, { allowUntrusted: true })
      return { pkg: { ...file.info, repository: 0 }, file }
    })
    const pkgOf = new Map(apks.map((bytesOf, i) => [bytesOf, units[i].pkg]))
    const install = await compare(
      11,
      () => plainUntar(apks, baseRoot),
      async () => {
        const installer = await RootInstaller.begin(ourRoot, {
          arch: 'x86_64',
          world: [],
          repositories: [],
          chown: false
        })
        const queue = new InstallQueue(
          installer,
          units.map((u) => u.pkg)
        )
        await mapLimit(apks, 6, async (bytesOf) => {
          const file = await readApkPackageAsync(bytesOf, { allowUntrusted: true })
          queue.ready(pkgOf.get(bytesOf) as RepoPackage, file)
        })
        await queue.done()
        await installer.finish()
      },
      () => {
        fs.rmSync(baseRoot, { recursive: true, force: true })
        fs.rmSync(ourRoot, { recursive: true, force: true })
      }
    )
    const installMs = install.oursMs
    const baselineMs = install.baselineMs
    const mbps = (ms: number) => bytes / MB / (ms / 1000)
    row(
      `install ${(bytes / MB).toFixed(0)} MB (${(apkBytes / MB).toFixed(0)} MB of .apk)`,
      `${installMs.toFixed(0)} ms, ${mbps(installMs).toFixed(0)} MB/s`
    )
    row(
      '  baseline: zlib gunzip + plain untar',
      `${baselineMs.toFixed(0)} ms, ${mbps(baselineMs).toFixed(0)} MB/s`
    )
    row(
      '  ratio (ours / baseline throughput)',
      `${install.ratio.toFixed(2)}× per round, ${(baselineMs / installMs).toFixed(2)}× of medians (target ≥ 0.8×)`
    )

    const root = path.join(work, 'image-root')
    const result = await installPackages(root, units, {
      arch: 'x86_64',
      world: units.map((u) => parseDependency(u.pkg.name)),
      repositories: [],
      chown: false
    })
    const entries = treeToLayerEntries(root, result.tree)
    const all = Buffer.concat(
      entries.filter((e) => e.source).map((e) => fs.readFileSync(e.source as string))
    )
    const layer = await compare(
      5,
      () => zlib.gzipSync(all, { level: 6 }),
      () =>
        writeImage({
          images: [
            {
              platform: { architecture: 'amd64', os: 'linux' },
              layers: [{ entries, createdBy: 'bench' }],
              config: {}
            }
          ],
          output: path.join(work, 'image.tar'),
          tags: ['bench:latest'],
          createdEpoch: 0
        })
    )
    const layerMs = layer.oursMs
    const gzipMs = layer.baselineMs
    row(
      'image: write layer + tarball of that root',
      `${layerMs.toFixed(0)} ms, ${mbps(layerMs).toFixed(0)} MB/s`
    )
    row(
      '  baseline: zlib gzip -6 of the same bytes',
      `${gzipMs.toFixed(0)} ms, ${mbps(gzipMs).toFixed(0)} MB/s`
    )
    row('  ratio (ours / baseline throughput)', `${layer.ratio.toFixed(2)}×`)
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
}

const PARTS: Record<string, () => Promise<void>> = {
  cold: benchCold,
  memory: benchMemory,
  index: benchIndex,
  install: benchInstall
}

/**
 * Each part runs in a process of its own (baseline and ours still alternate inside it), so
 * what one part leaves behind (the index rounds leave a large heap to collect) does not weigh
 * on the next part's figures.
 */
async function main(): Promise<void> {
  const part = process.argv[2]
  if (part) {
    const run = PARTS[part]
    if (!run) throw new Error(`unknown part '${part}': one of ${Object.keys(PARTS).join(', ')}`)
    await run()
    return
  }
  console.log(
    `witchery bench — node ${process.version}, ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}`
  )
  console.log('each figure is the median of several runs; compare ratios, not absolute times\n')
  // `memory` is the synthetic images' part of `cold`, runnable alone.
  for (const name of Object.keys(PARTS).filter((part) => part !== 'memory')) {
    const child = spawnSync(process.execPath, [process.argv[1], name], { stdio: 'inherit' })
    if (child.status !== 0) throw new Error(`bench part '${name}' failed`)
  }
}

main().catch((error: Error) => {
  console.error(error.stack ?? error.message)
  process.exit(1)
})
