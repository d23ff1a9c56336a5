import * as fs from 'node:fs'
import * as path from 'node:path'
import { parseDependencies } from '../src/apk/formats/dependency.js'
import { readApkindex } from '../src/apk/formats/apkindex.js'
import { Keyring } from '../src/apk/keys/keyring.js'
import { Solver } from '../src/apk/solver/core.js'
import {
  graphFor,
  N_HAS_AUTO_SELECTABLE,
  N_HAS_OPTIONS,
  N_IN_UNRESOLVED,
  N_REVERSE_DEPS_DONE,
  type PackageSource
} from '../src/apk/solver/graph.js'
import { NameHeap } from '../src/apk/solver/name-heap.js'
import { compareNames, solve } from '../src/apk/solver/solve.js'
import { emptyPackageInfo, type RepoPackage, type Repository } from '../src/apk/types.js'
import { haveShared, SHARED } from './support/shared.js'

const REPOS: Repository[] = [{ url: 'main', index: 0 }]

/** What the solver keeps of apk's unresolved list: its flags and each name's place in it. */
interface SolverInside {
  nflags: Int32Array
  unresolvedAt: Int32Array
}

/**
 * apk's scan of its unresolved list (solver.c's main loop), over the list as the solver keeps
 * it (newest first): the first forced name, else the best by auto-selectable provider and then
 * discovery id, the first of equals. The solver finds its next name with heaps instead.
 */
function scannedNextName(solver: Solver): { name: number; forced: boolean } {
  const { nflags, unresolvedAt } = solver as unknown as SolverInside
  const g = solver.graph
  const list: number[] = []
  for (let n = 0; n < nflags.length; n++) if (nflags[n] & N_IN_UNRESOLVED) list.push(n)
  list.sort((a, b) => unresolvedAt[b] - unresolvedAt[a])
  const forced = N_REVERSE_DEPS_DONE | N_HAS_AUTO_SELECTABLE
  let best = -1
  for (const name of list) {
    const f = nflags[name]
    if ((f & forced) === forced && g.requirers[name] > 0 && !(f & N_HAS_OPTIONS)) {
      return { name, forced: true }
    }
    const auto = (f & N_HAS_AUTO_SELECTABLE) !== 0
    const bestAuto = best >= 0 && (nflags[best] & N_HAS_AUTO_SELECTABLE) !== 0
    const before = best < 0 || (auto !== bestAuto ? auto : g.orderId[name] > g.orderId[best])
    if (before) best = name
  }
  return { name: best, forced: false }
}

/** How many names were picked as forced and as the best of the rest. */
interface Steps {
  forced: number
  best: number
}

/**
 * Runs solve.ts's loop for `world` step by step, checking each name the solver picks against
 * apk's scan; counts the picks of each kind into `steps`.
 */
function stepsAgree(
  source: PackageSource,
  world: string,
  steps: Steps = { forced: 0, best: 0 },
  repositories = REPOS
): Steps {
  const graph = graphFor(source, repositories, 'x86_64')
  const deps = parseDependencies(world).sort((a, b) => compareNames(a.name, b.name))
  const worldDeps = deps.map((dep) => ({ dep, name: graph.name(dep.name) }))
  const solver = new Solver(graph)
  solver.discoverWorld(worldDeps.map((d) => d.name))
  solver.applyWorld(
    worldDeps,
    deps.map(() => 0)
  )
  for (let step = 0; ; step++) {
    solver.drainDirty()
    const expected = scannedNextName(solver)
    const name = solver.nextName()
    if (name !== expected.name) {
      expect(`step ${step}: ${graph.names[name]}`).toBe(
        `step ${step}: ${graph.names[expected.name]}`
      )
    }
    if (name < 0) return steps
    if (expected.forced) steps.forced++
    else steps.best++
    solver.selectPackage(name)
  }
}

function pkg(
  name: string,
  lists: { D?: string; p?: string; i?: string; k?: number; v?: string } = {}
) {
  const version = lists.v ?? '1-r0'
  return {
    ...emptyPackageInfo(),
    name,
    version,
    checksum: `Q1${name}${version}=`,
    repository: 0,
    arch: 'x86_64',
    size: 1,
    installedSize: 1,
    providerPriority: lists.k ?? 0,
    depends: parseDependencies(lists.D ?? ''),
    provides: parseDependencies(lists.p ?? ''),
    installIf: parseDependencies(lists.i ?? '')
  } satisfies RepoPackage
}

const names = (prefix: string, n: number, suffix = '') =>
  Array.from({ length: n }, (_, i) => `${prefix}${i}${suffix}`).join(' ')

describe('NameHeap', () => {
  it('takes entries largest first, by their first, second and third numbers', () => {
    const heap = new NameHeap()
    const kept: [number, number, number, number][] = []
    let seed = 11
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n
    const numbers = (e: readonly number[]) => e.slice(1).join(' ')
    /** Checks the top is a largest entry (any of equal ones: the solver has none) and takes it. */
    const takeTop = () => {
      const largest = kept.reduce((a, b) =>
        (b[1] - a[1] || b[2] - a[2] || b[3] - a[3]) > 0 ? b : a
      )
      const top = kept.find((e) => e[0] === heap.name) as [number, number, number, number]
      expect(numbers([heap.name, heap.first, heap.second, heap.third])).toBe(numbers(largest))
      expect(numbers(top)).toBe(numbers(largest))
      heap.pop()
      kept.splice(kept.indexOf(top), 1)
    }
    // Pushes and pops mixed, past its first room (64), with many equal numbers.
    for (let step = 0; step < 5000; step++) {
      if (kept.length > 0 && random(3) === 0) {
        takeTop()
      } else {
        const entry: [number, number, number, number] = [step, random(2), random(50), random(9)]
        heap.push(...entry)
        kept.push(entry)
      }
      expect(heap.size).toBe(kept.length)
    }
    while (kept.length > 0) takeTop()
    expect(heap.name).toBe(-1)
    heap.pop()
    expect(heap.size).toBe(0)
  })
})

describe("the solver's next name", () => {
  it.each([
    ['a package of many dependencies', 'h', [pkg('h', { D: names('p', 300) })]],
    [
      'a package of many provides, all needed',
      'h v',
      [
        pkg('h', { D: 'u' }),
        pkg('u', { p: names('cmd:c', 200, '=1') }),
        pkg('v', { D: names('cmd:c', 200) })
      ]
    ],
    [
      'two packages providing the same names',
      'v u',
      [
        pkg('u', { p: names('cmd:c', 100, '=1') }),
        pkg('w', { p: names('cmd:c', 100, '=1') }),
        pkg('v', { D: names('cmd:c', 100) })
      ]
    ],
    [
      // Neither name is forced (two versions; two providers without a version), and the one
      // discovered last, of the higher id, has no provider to pick by itself: apk takes the
      // other first.
      'a choice before a virtual name',
      'h',
      [
        pkg('h', { D: 'real virt' }),
        pkg('real', { v: '1-r0' }),
        pkg('real', { v: '2-r0' }),
        pkg('a', { p: 'virt' }),
        pkg('b', { p: 'virt' })
      ]
    ],
    [
      'install_if rules and virtual providers',
      'h docs',
      [
        pkg('h', { D: 'so:x base' }),
        pkg('base'),
        pkg('docs'),
        ...Array.from({ length: 50 }, (_, i) => pkg(`x${i}`, { p: 'so:x=1', k: i % 7 })),
        ...Array.from({ length: 50 }, (_, i) => pkg(`x${i}-doc`, { i: `x${i} docs` }))
      ]
    ]
  ] as const)('is apk’s for %s', (_what, world, packages) => {
    // Every name depended on is there, as a package of its own unless something provides it.
    const there = new Set(packages.flatMap((p) => [p.name, ...p.provides.map((d) => d.name)]))
    const missing = new Set(packages.flatMap((p) => p.depends.map((d) => d.name)))
    const all = [...packages, ...[...missing].filter((n) => !there.has(n)).map((n) => pkg(n))]
    const steps = stepsAgree(all, world)
    expect(steps.forced + steps.best).toBeGreaterThanOrEqual(2)
  })
})

;(haveShared('fixtures/real-indexes') ? describe : describe.skip)(
  "the solver's next name on Alpine's real indexes",
  () => {
    let keyring: Keyring
    beforeAll(async () => {
      keyring = await Keyring.load({ keysDir: path.join(SHARED, 'alpine-keys') })
    })

    async function tables(repos: string[]) {
      return Promise.all(
        repos.map(async (repo, index) => {
          const file = path.join(SHARED, 'fixtures/real-indexes', repo, 'x86_64/APKINDEX.tar.gz')
          const read = await readApkindex(fs.readFileSync(file), { url: repo, index }, { keyring })
          return read.table
        })
      )
    }

    it('is apk’s at every step of each world apk-tools resolved on v3.22 main', async () => {
      const source = await tables(['v3.22-main'])
      const rows = fs
        .readFileSync(path.join(SHARED, 'fixtures/real-indexes/v3.22-main-resolutions.tsv'), 'utf8')
        .split('\n')
        .slice(1)
        .filter(Boolean)
        .map((line) => line.split('\t')[0])
      expect(rows.length).toBeGreaterThan(10)
      const steps = { forced: 0, best: 0 }
      for (const world of rows) stepsAgree(source, world, steps)
      // Both ways of picking are taken, many times.
      expect(steps.forced).toBeGreaterThanOrEqual(10)
      expect(steps.best).toBeGreaterThanOrEqual(100)
    }, 120_000)

    it('is apk’s for a large world on main + community', async () => {
      const source = await tables(['v3.19-main', 'v3.19-community'])
      const repositories = [
        { url: 'v3.19-main', index: 0 },
        { url: 'v3.19-community', index: 1 }
      ]
      const world = 'python3 nodejs openjdk17-jre-headless busybox curl git'
      const steps = stepsAgree(source, world, undefined, repositories)
      expect(steps.forced + steps.best).toBeGreaterThanOrEqual(40)
      // And solve() itself, end to end, over the same.
      const solved = solve(parseDependencies(world), source, { repositories, arch: 'x86_64' })
      expect(solved.packages.length).toBeGreaterThanOrEqual(40)
    }, 120_000)
  }
)
