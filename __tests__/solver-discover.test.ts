import * as fs from 'node:fs'
import * as path from 'node:path'
import { FormatError } from '../src/apk/errors.js'
import { parseDependencies } from '../src/apk/formats/dependency.js'
import { readApkindex } from '../src/apk/formats/apkindex.js'
import {
  DEPENDS,
  INSTALL_IF,
  PROVIDES,
  PackageTable,
  tableOfPackages
} from '../src/apk/formats/package-table.js'
import { Keyring } from '../src/apk/keys/keyring.js'
import { discoverWorld } from '../src/apk/solver/discover.js'
import { solve } from '../src/apk/solver/solve.js'
import {
  buildGraph,
  N_NO_IIF,
  N_SEEN,
  P_IIF_FAILED,
  P_SEEN,
  P_SELECTABLE,
  P_TAG_OK,
  P_TAG_PREFERRED,
  pinningMaskRepos,
  type SolverGraph
} from '../src/apk/solver/graph.js'
import { emptyPackageInfo, type RepoPackage, type Repository } from '../src/apk/types.js'
import { haveShared, SHARED } from './support/shared.js'

/** What discovery leaves in the graph's state. */
interface Discovered {
  nflags: number[]
  pflags: number[]
  orderId: number[]
  pinningAllowed: number[]
  pinningPreferred: number[]
  count: number
}

/**
 * apk-tools' `discover_name` (solver.c) read plainly, over the graph's columns: the JavaScript the
 * solver ran before its discovery moved into WebAssembly, without its shortcut over a package's
 * provides already seen, on copies of the graph's state. The module must come to the same state.
 */
function referenceDiscovery(g: SolverGraph, world: number[], orderCount: number): Discovered {
  const s: Discovered = {
    nflags: Array.from(g.nflags),
    pflags: Array.from(g.pflags),
    orderId: Array.from(g.orderId),
    pinningAllowed: Array.from(g.pinningAllowed),
    pinningPreferred: Array.from(g.pinningPreferred),
    count: orderCount
  }
  const defaultRepos = pinningMaskRepos(g, 1)
  const range = (start: Int32Array, values: Int32Array, i: number) =>
    Array.from(values.subarray(start[i], start[i + 1]))
  const list = (pkg: number, which: number) =>
    range(g.pkgListStart, g.pkgLists, pkg * 3 + which).map((d) => g.depName[d])
  const set = (flags: number[], i: number, bit: number, on: boolean) => {
    flags[i] = on ? flags[i] | bit : flags[i] & ~bit
  }

  const discoverPackage = (pkg: number) => {
    s.pinningAllowed[pkg] = 1
    s.pinningPreferred[pkg] = 1
    set(s.pflags, pkg, P_SEEN, true)
    set(s.pflags, pkg, P_SELECTABLE, g.pkgInstallable[pkg] !== 0)
    set(s.pflags, pkg, P_IIF_FAILED, list(pkg, INSTALL_IF).length === 0)
    const preferred = g.pkgEmpty[pkg] !== 0 || (g.pkgRepos[pkg] & defaultRepos) !== 0
    set(s.pflags, pkg, P_TAG_PREFERRED | P_TAG_OK, preferred)
    for (const name of list(pkg, DEPENDS)) discoverName(name)
  }
  const discoverName = (name: number) => {
    if (s.nflags[name] & N_SEEN) return
    set(s.nflags, name, N_SEEN, true)
    const providers = range(g.provStart, g.provPkg, name)
    let noIif = true
    for (const pkg of providers) {
      if (!(s.pflags[pkg] & P_SEEN)) discoverPackage(pkg)
      if (!(s.pflags[pkg] & P_IIF_FAILED)) noIif = false
    }
    set(s.nflags, name, N_NO_IIF, noIif)
    for (const dependent of range(g.riifStart, g.riifs, name)) discoverName(dependent)
    for (const pkg of providers) {
      for (const dependent of range(g.riifStart, g.riifs, g.pkgName[pkg])) discoverName(dependent)
      for (const provided of list(pkg, PROVIDES)) discoverName(provided)
    }
    s.orderId[name] = ++s.count
    for (const pkg of providers)
      for (const condition of list(pkg, INSTALL_IF)) discoverName(condition)
  }
  for (const name of world) discoverName(name)
  return s
}

/** The module's discovery of `world` over `graph`, which it updates. */
function moduleDiscovery(g: SolverGraph, world: number[], orderCount: number): Discovered {
  const count = discoverWorld(g, world, pinningMaskRepos(g, 1), orderCount)
  return {
    nflags: Array.from(g.nflags),
    pflags: Array.from(g.pflags),
    orderId: Array.from(g.orderId),
    pinningAllowed: Array.from(g.pinningAllowed),
    pinningPreferred: Array.from(g.pinningPreferred),
    count
  }
}

/** Both discoveries of the world named `world` agree; returns what they found. */
function expectSameDiscovery(g: SolverGraph, world: string[], orderCount = 0): Discovered {
  const names = world.map((name) => g.name(name))
  const expected = referenceDiscovery(g, names, orderCount)
  const found = moduleDiscovery(g, names, orderCount)
  // Compared whole only when they differ: tens of thousands of numbers print slowly.
  if (JSON.stringify(found) !== JSON.stringify(expected)) expect(found).toEqual(expected)
  return found
}

function pkg(
  name: string,
  version: string,
  repository: number,
  lists: { D?: string; p?: string; i?: string; arch?: string; empty?: boolean } = {}
): RepoPackage {
  return {
    ...emptyPackageInfo(),
    name,
    version,
    checksum: `Q1${name}${version}${repository}=`,
    repository,
    arch: lists.arch ?? 'x86_64',
    size: 1,
    installedSize: lists.empty ? 0 : 1,
    depends: parseDependencies(lists.D ?? ''),
    provides: parseDependencies(lists.p ?? ''),
    installIf: parseDependencies(lists.i ?? '')
  }
}

const REPOS: Repository[] = [
  { url: 'main', index: 0 },
  { url: 'edge', tag: 'edge', index: 1 }
]

/** A small database with every kind of edge discovery follows, and flags it sets and clears. */
function synthetic(): SolverGraph {
  const commands = Array.from({ length: 40 }, (_, i) => `cmd:c${i}`).join(' ')
  const main = tableOfPackages([
    pkg('musl', '1.2-r0', 0, { p: 'so:libc.so=1' }),
    pkg('box', '1-r0', 0, { D: 'so:libc.so', p: commands }),
    pkg('box-sh', '1-r0', 0, { D: 'box', p: '/bin/sh cmd:sh', empty: true }),
    pkg('app', '2-r0', 0, { D: 'so:libc.so cmd:c7 !old /bin/sh' }),
    pkg('app-doc', '2-r0', 0, { i: 'app docs' }),
    pkg('docs', '1-r0', 0),
    pkg('app-openrc', '2-r0', 0, { i: 'app openrc' }),
    pkg('openrc', '1-r0', 0, { D: 'cmd:c39 box-sh' }),
    pkg('foreign', '1-r0', 0, { arch: 'aarch64', p: 'cmd:c3' }),
    pkg('loop-a', '1-r0', 0, { D: 'loop-b' }),
    pkg('loop-b', '1-r0', 0, { D: 'loop-a cmd:c12' })
  ])
  const edge = tableOfPackages([
    pkg('app', '3-r0', 1, { D: 'so:libc.so newlib' }),
    pkg('newlib', '1-r0', 1, { p: 'so:libnew.so=1' }),
    pkg('tagged-empty', '1-r0', 1, { empty: true, i: 'newlib docs' })
  ])
  return buildGraph([main, edge], REPOS, 'x86_64')
}

describe("the solver's discovery in WebAssembly", () => {
  it('marks and numbers what each world reaches as apk does, flags set and cleared', () => {
    for (const world of [
      ['app'],
      ['app-doc'],
      ['loop-a', 'app'],
      ['box'],
      ['foreign', 'nothing']
    ]) {
      const found = expectSameDiscovery(synthetic(), world)
      expect(found.count).toBeGreaterThan(0)
    }
    // Spelled out once: app's install_if companions are reached through app's reverse edges,
    // every name numbered once, and the package built for another arch (another provider of a
    // command box provides) reached but not selectable; an empty package of a tagged repository
    // is still preferred.
    const g = synthetic()
    const found = expectSameDiscovery(g, ['app'])
    const flagsOf = (name: string, version: string) => {
      const p = g.pkgVersion.findIndex((v, p) => v === version && g.pkgName[p] === g.name(name))
      expect(p).toBeGreaterThanOrEqual(0)
      return found.pflags[p]
    }
    for (const name of ['app-doc', 'app-openrc', 'openrc', 'newlib', 'tagged-empty', 'cmd:c39']) {
      expect(found.nflags[g.name(name)] & N_SEEN).toBe(N_SEEN)
    }
    expect(found.nflags[g.name('loop-a')] & N_SEEN).toBe(0)
    expect(flagsOf('app', '2-r0') & (P_TAG_OK | P_TAG_PREFERRED)).toBe(P_TAG_OK | P_TAG_PREFERRED)
    expect(flagsOf('app', '3-r0') & (P_TAG_OK | P_TAG_PREFERRED)).toBe(0)
    expect(flagsOf('tagged-empty', '1-r0') & P_TAG_PREFERRED).toBe(P_TAG_PREFERRED)
    expect(flagsOf('app-doc', '2-r0') & P_IIF_FAILED).toBe(0)
    expect(flagsOf('docs', '1-r0') & P_IIF_FAILED).toBe(P_IIF_FAILED)
    expect(flagsOf('foreign', '1-r0') & (P_SEEN | P_SELECTABLE)).toBe(P_SEEN)
    const numbers = found.orderId.filter((id) => id > 0).sort((a, b) => a - b)
    expect(numbers).toEqual(Array.from({ length: found.count }, (_, i) => i + 1))
    // The world comes last: its names are numbered after everything they reach.
    expect(found.orderId[g.name('app')]).toBe(found.count)
  })

  it('keeps state it is not asked to change, and goes on from a count already made', () => {
    // Discovery runs on fresh state in a solve; any other bits must pass through unchanged, and
    // names marked seen already are not visited again.
    const g = synthetic()
    let seed = 7
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff)
    for (let n = 0; n < g.nflags.length; n++) g.nflags[n] = random() & ~N_SEEN & 0x3ffe
    for (let p = 0; p < g.pflags.length; p++) g.pflags[p] = random() & ~P_SEEN & 0x3fe
    g.nflags[g.name('cmd:c7')] |= N_SEEN
    g.pinningAllowed.fill(6)
    const found = expectSameDiscovery(g, ['app', 'openrc'], 100)
    expect(found.count).toBeGreaterThan(100)
    expect(found.orderId[g.name('cmd:c7')]).toBe(0)
  })

  it('runs out of stack on a chain tens of thousands deep as the solver can name', () => {
    const chain = Array.from({ length: 30000 }, (_, i) =>
      pkg(`c${i}`, '1-r0', 0, { D: i < 29999 ? `c${i + 1}` : '' })
    )
    let error: unknown
    try {
      solve(parseDependencies('c0'), [tableOfPackages(chain)], { repositories: REPOS })
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(FormatError)
    expect((error as Error).message).toMatch(/nest thousands of packages deep/)
    // It ran out in the module, which leaves nothing behind: each solve has an instance.
    const cause = (error as Error).cause as Error
    expect(cause).toBeInstanceOf(RangeError)
    expect(cause.stack).toMatch(/wasm:\/\//)
    expect(
      solve(parseDependencies('c29990'), [tableOfPackages(chain)], { repositories: REPOS }).packages
    ).toHaveLength(10)
  })

  it('refuses columns past its memory limit with an error naming their size', () => {
    const g = synthetic()
    let error: unknown
    try {
      discoverWorld(g, [g.name('app')], 1, 0, 0)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(FormatError)
    expect((error as Error).message).toBe(
      `the solver's discovery over ${g.nflags.length} names and ${g.pflags.length} packages ` +
        'needs more memory than its limit; the repositories are too large together: use fewer of them'
    )
  })
})

;(haveShared('fixtures/real-indexes') ? describe : describe.skip)(
  "the solver's discovery over Alpine's real indexes",
  () => {
    const tables = new Map<string, PackageTable>()
    let keyring: Keyring

    beforeAll(async () => {
      keyring = await Keyring.load({ keysDir: path.join(SHARED, 'alpine-keys') })
    })

    async function graphOfRepos(repos: string[]): Promise<SolverGraph> {
      const read: PackageTable[] = []
      for (const [index, repo] of repos.entries()) {
        let table = tables.get(repo)
        if (table === undefined) {
          const file = path.join(SHARED, 'fixtures/real-indexes', repo, 'x86_64/APKINDEX.tar.gz')
          const bytes = fs.readFileSync(file)
          table = (await readApkindex(bytes, { url: repo, index }, { keyring })).table
          tables.set(repo, table)
        }
        read.push(table)
      }
      return buildGraph(
        read,
        repos.map((url, index) => ({ url, index })),
        'x86_64'
      )
    }

    it.each([
      [['v3.22-main'], ['python3']],
      [['v3.22-main'], ['busybox', 'ssl_client', 'so:libz.so.1', 'cmd:sh']],
      [
        ['v3.19-main', 'v3.19-community'],
        ['python3', 'nodejs', 'openjdk17-jre-headless']
      ]
    ])(
      'of %j for the world %j is apk-tools’ discovery',
      async (repos, world) => {
        const g = await graphOfRepos(repos)
        const found = expectSameDiscovery(g, world)
        // python3 reaches most of an index (install_if rules pull whole families in).
        expect(found.count).toBeGreaterThan(1000)
      },
      120_000
    )

    it('of v3.22 main for every name at once', async () => {
      const g = await graphOfRepos(['v3.22-main'])
      const found = expectSameDiscovery(g, g.names.slice(0, g.nameCount))
      expect(found.count).toBe(g.nameCount)
    }, 120_000)
  }
)
