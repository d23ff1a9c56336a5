/**
 * A build's memory does not grow with the image: a synthetic image of 200 MB (100 packages of
 * 2 MiB, half random, half text) is built through the CLI as a child process (`npm run bundle`
 * first), whose peak resident memory (VmHWM) must stay under a generous bound. Before the
 * install let go of each package's data once it was on disk, this build peaked near 300 MiB;
 * `npm run bench -- cold` measures it against the 150 MiB of issue #14 for growing sizes.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { build } from '../src/assemble/build.js'
import { openRepositories, resolveWorld } from '../src/apk/engine.js'
import { graphOf } from '../src/apk/solver/graph.js'
import { silentLogger } from '../src/apk/types.js'
import { collectNow } from '../src/released-memory.js'
import { MIB, runCli } from './support/hostile.js'
import {
  manyFilesRepository,
  syntheticBuildArgs,
  syntheticRepository,
  type SyntheticRepository
} from './support/synthetic-image.js'
import { FIXTURES, haveShared, releaseWorld, SHARED } from './support/shared.js'

const BOUND = 200 * MIB

let work: string

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-memory-'))
})

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true })
})

/** Builds all of `repository` by the command line in a child process; checks it built all. */
async function buildAll(repository: SyntheticRepository, output: string) {
  const run = await runCli(syntheticBuildArgs(repository, output), {
    work,
    env: { TMPDIR: work, RUNNER_TEMP: '' },
    killAfterMs: 240_000
  })
  expect(run.stderr).not.toMatch(/ERROR/)
  expect(run.code).toBe(0)
  const result = JSON.parse(run.stdout) as { packages: { name: string }[] }
  expect(result.packages).toHaveLength(repository.names.length)
  return run
}

it('builds a 200 MB image in bounded memory', async () => {
  const repository = syntheticRepository(path.join(work, 'synthetic'), 200)
  const output = path.join(work, 'out', 'image.tar')
  const run = await buildAll(repository, output)
  // The layers hold every byte the packages install (their random halves do not compress).
  expect(fs.statSync(output).size).toBeGreaterThan(repository.bytes / 2)
  expect(run.peakBytes).toBeDefined()
  expect(run.peakBytes).toBeLessThan(BOUND)
  // V8's young generation kept at its starting size (keepYoungGenerationSmall) through the
  // install too: it ended this build at 8 MiB when a hashing thread's start reset it on Node 20.
  expect(run.newSpaceBytes).toBeDefined()
  expect(run.newSpaceBytes).toBeLessThanOrEqual(4 * MIB)
  // No worker thread: one cost 12 MiB on Node 20 and 21 MiB on Node 24, and the build was faster
  // with the per-file SHA-1 on the main thread than on a hashing thread.
  expect(run.builtins).toBeDefined()
  expect(run.builtins).not.toContain('worker_threads')
}, 300_000)

// A root of many small files: each file's garbage (its names, its header, its database lines)
// piled up in V8's old generation, which it grows rather than collects. 40,000 files peaked at
// 298 MiB on Node 20 and 317 on Node 24 before the build collected every 8,192 entries
// (letGoOfEntries) and around the layers' making; at 159 and 213 after; at 102-108 and 136-139
// here once the work folder was removed one entry at a time (fs.promises.rm held ~90 MiB more)
// and each file's records were made smaller (README, Performance). Memory still grows with the
// number of files (each one's record lives until the layers are made), and Node 24 starts ~15
// MiB higher and varies more, so the bound is Node's own: issue #14's 150 MiB on Node 20.
const MANY_FILES_BOUND = (Number(process.versions.node.split('.')[0]) >= 24 ? 175 : 150) * MIB

it('builds a root of 40,000 files in bounded memory', async () => {
  const repository = manyFilesRepository(path.join(work, 'many'), 40, 1000)
  const run = await buildAll(repository, path.join(work, 'many-out', 'image.tar'))
  expect(run.peakBytes).toBeDefined()
  expect(run.peakBytes).toBeLessThan(MANY_FILES_BOUND)
}, 300_000)

const indexesHere = haveShared('fixtures/real-indexes/v3.19-community')

/**
 * Two full collections: when V8 had begun marking incrementally, the first finishes that marking
 * and keeps what it had marked, unreachable since or not (see support/collect.ts).
 */
function collectTwice(): void {
  expect(collectNow()).toBe(true)
  collectNow()
}

/** The live heap after full collections. */
function liveHeap(): number {
  collectTwice()
  return process.memoryUsage().heapUsed
}

/** The live heap and ArrayBuffers (typed arrays' memory) after full collections. */
function liveMemory(): number {
  collectTwice()
  const usage = process.memoryUsage()
  return usage.heapUsed + usage.arrayBuffers
}

/**
 * The solver's graph of main + community (52,000 names, 23,000 packages) is columns, most of them
 * typed arrays: as an object per name, package, provider and dependency, each with lists of its
 * own, it took 21 MiB of heap, the most of a resolve's live memory.
 */
;(haveShared('fixtures/real-indexes/v3.19-main') && indexesHere ? it : it.skip)(
  'holds the solver graph of main + community in a few MiB',
  async () => {
    const indexes = path.join(FIXTURES, 'real-indexes')
    const opened = await openRepositories({
      arch: 'x86_64',
      repositories: [path.join(indexes, 'v3.19-main'), path.join(indexes, 'v3.19-community')],
      keyDirs: [path.join(SHARED, 'alpine-keys')],
      fetchAlpineKeys: false,
      logger: silentLogger
    })
    const before = liveMemory()
    const graph = graphOf(opened.tables, opened.repositories, opened.arch)
    const held = liveMemory() - before
    expect(graph.nameCount).toBeGreaterThan(50_000)
    expect(graph.packageCount).toBeGreaterThan(20_000)
    // 5.9-6.0 MiB: its columns; 8.5-9.1 MiB with a map of every name (52,000), 21 as objects.
    expect(held).toBeLessThan(7.5 * MIB)
    // The graph is the one the resolve uses, and it still resolves.
    const names = resolveWorld(opened, ['python3']).packages.map((p) => p.name)
    expect(names).toContain('python3')
    expect(graphOf(opened.tables, opened.repositories, opened.arch)).toBe(graph)
  },
  120_000
)

/**
 * Once resolved, a build keeps what the install needs of the repositories and none of their
 * indexes: community's tables and solver graph (20-30 MiB of heap) are garbage before the first
 * package is fetched. Kept through the install, they took this build to 185-190 MiB on Node 24.
 */
;(indexesHere ? it : it.skip)(
  "holds none of the indexes' tables once resolved",
  async () => {
    const release = path.join(FIXTURES, 'real-alpine/v3.19.1')
    const community = path.join(FIXTURES, 'real-indexes/v3.19-community')
    const before = liveHeap()
    let resolved = 0
    let held = Number.NaN
    const result = await build(
      {
        packages: ['musl'],
        arches: ['x86_64'],
        repositories: [release, community],
        keyFiles: [],
        keyDirs: [path.join(SHARED, 'alpine-keys')],
        fetchAlpineKeys: false,
        allowUntrusted: false,
        image: { env: [], user: 'nonroot', labels: {}, annotations: {} },
        tags: [],
        output: path.join(work, 'held', 'image.tar'),
        sourceDateEpoch: 0,
        sbom: []
      },
      {
        logger: silentLogger,
        onResolved: async (arches) => {
          resolved = arches[0].packages.length
          held = liveHeap() - before
        }
      }
    )
    expect(resolved).toBe(1)
    expect(result.arches[0].packages.map((p) => p.name)).toEqual(['musl'])
    expect(held).toBeLessThan(8 * MIB)
  },
  120_000
)

/**
 * Alpine's main + community is what the action reads by default. Making the solver's graph of
 * that many packages grows V8's young generation (to 64 MiB on Node 24), which V8 then keeps
 * through the install and the image unless the build gives it back once the graph is let go of:
 * on Node 24 this build of the release's 93 packages peaked at 235-240 MiB before, and at
 * 185-190 MiB since (Node 20: about 170 either way). Letting go of the indexes once resolved
 * took it to 175-182 MiB (Node 20: 150-156), and keeping the young generation small while
 * resolving to about 145 (Node 20: 110-114).
 */
;(indexesHere ? it : it.skip)(
  "gives back the resolve's heap before installing, beside Alpine's community index",
  async () => {
    const release = path.join(FIXTURES, 'real-alpine/v3.19.1')
    const community = path.join(FIXTURES, 'real-indexes/v3.19-community')
    const output = path.join(work, 'community', 'image.tar')
    const run = await runCli(
      [
        'build',
        '--repositories',
        `${release}\n${community}`,
        '--keys',
        path.join(SHARED, 'alpine-keys')
      ]
        .concat(['--fetch-alpine-keys', 'false', '--source-date-epoch', '0', '--arch', 'x86_64'])
        .concat(['--output', output, ...releaseWorld(release)]),
      { work, env: { TMPDIR: work, RUNNER_TEMP: '' }, killAfterMs: 240_000 }
    )
    expect(run.stderr).not.toMatch(/ERROR/)
    expect(run.code).toBe(0)
    expect(run.peakBytes).toBeDefined()
    expect(run.peakBytes).toBeLessThan(BOUND)
    expect(run.newSpaceBytes).toBeLessThanOrEqual(4 * MIB)
  },
  300_000
)

/**
 * While it reads indexes and resolves, the command line keeps V8's young generation at its
 * starting size (keepYoungGenerationSmall): reading main + community grew it to 32 MiB on Node 20
 * and 64 MiB on Node 24, and the resolve peaked at 146 and 161 MiB (115 and 129 since).
 *
 * What it holds at exit is not measured: by then everything it made is garbage, and how much of
 * it V8 has yet to collect says nothing. That the tables keep no index bytes is tested where they
 * are read (apk-index.test.ts: the bytes can be collected), and the graph's size above.
 */
;(haveShared('fixtures/real-indexes/v3.19-main') && indexesHere ? it : it.skip)(
  'keeps the young generation small while it resolves on main + community',
  async () => {
    const indexes = path.join(FIXTURES, 'real-indexes')
    const run = await runCli(
      ['resolve', '--arch', 'x86_64', '--keys-dir', path.join(SHARED, 'alpine-keys')]
        .concat(['--no-alpine-keys', '--repository', path.join(indexes, 'v3.19-main')])
        .concat(['--repository', path.join(indexes, 'v3.19-community'), 'python3']),
      { work }
    )
    expect(run.stderr).toBe('')
    expect(run.stdout).toMatch(/^python3-3\.11/m)
    expect(run.newSpaceBytes).toBeDefined()
    expect(run.newSpaceBytes).toBeLessThanOrEqual(4 * MIB)
    expect(run.peakBytes).toBeLessThan(150 * MIB)
  },
  120_000
)
