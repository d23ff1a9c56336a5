import { execFileSync } from 'node:child_process'
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
import { GraphBuildMemory } from '../src/apk/solver/graph-build.js'
import { solve } from '../src/apk/solver/solve.js'
import { buildGraph, NO_PKG, OWN, type SolverGraph } from '../src/apk/solver/graph.js'
import { emptyPackageInfo, type RepoPackage, type Repository } from '../src/apk/types.js'
import { haveShared, SHARED } from './support/shared.js'

/**
 * The solver graph as a plain reading of apk's database: built here the simple way (maps and
 * arrays, every table's rows in order), it is what SolverGraph.build, whose list work runs in
 * WebAssembly, must come to, column by column.
 */
interface Reference {
  names: string[]
  pkgName: number[]
  pkgRepos: number[]
  pkgVersion: string[]
  pkgLists: number[][]
  depName: number[]
  providers: [number, number][][]
  rdeps: number[][]
  riifs: number[][]
}

function reference(tables: PackageTable[], repoBits: Map<number, number>): Reference {
  const ids = new Map<string, number>()
  const r: Reference = {
    names: [],
    pkgName: [],
    pkgRepos: [],
    pkgVersion: [],
    pkgLists: [],
    depName: [],
    providers: [],
    rdeps: [],
    riifs: []
  }
  const name = (text: string): number => {
    let n = ids.get(text)
    if (n === undefined) {
      n = r.names.length
      r.names.push(text)
      ids.set(text, n)
      r.providers.push([])
      r.rdeps.push([])
      r.riifs.push([])
    }
    return n
  }
  const byChecksum = new Map<string, number>()
  let base = 0
  for (const table of tables) {
    for (let row = 0; row < table.count; row++) {
      const bit = repoBits.get(table.repositories[row]) as number
      const checksum = table.checksum(row)
      const same = checksum !== '' ? byChecksum.get(checksum) : undefined
      if (same !== undefined) {
        r.pkgRepos[same] |= bit
        continue
      }
      const p = r.pkgName.length
      if (checksum !== '') byChecksum.set(checksum, p)
      r.pkgName.push(name(table.name(row)))
      r.pkgRepos.push(bit)
      r.pkgVersion.push(table.version(row))
      for (const which of [DEPENDS, PROVIDES, INSTALL_IF]) {
        const list: number[] = []
        for (
          let i = table.listStarts[row * 3 + which];
          i < table.listStarts[row * 3 + which + 1];
          i++
        ) {
          const d = base + table.lists[i]
          r.depName[d] ??= name(table.token(table.lists[i]).name)
          list.push(d)
        }
        r.pkgLists.push(list)
      }
    }
    base += table.tokenCount
  }
  r.pkgName.forEach((own, p) => {
    r.providers[own].push([p, OWN])
    for (const d of r.pkgLists[p * 3 + PROVIDES]) r.providers[r.depName[d]].push([p, d])
  })
  // Reverse edges in database order, each name once per list.
  r.pkgName.forEach((own, p) => {
    for (const [which, lists] of [
      [DEPENDS, r.rdeps],
      [INSTALL_IF, r.riifs]
    ] as const) {
      for (const d of r.pkgLists[p * 3 + which]) {
        const list = lists[r.depName[d]]
        if (!list.includes(own)) list.push(own)
      }
    }
  })
  return r
}

function ranges(start: Int32Array, values: Int32Array, count: number): number[][] {
  const out: number[][] = []
  for (let n = 0; n < count; n++) out.push(Array.from(values.subarray(start[n], start[n + 1])))
  return out
}

function expectSame(graph: SolverGraph, r: Reference): void {
  expect(graph.nameCount).toBe(r.names.length)
  expect(graph.names).toEqual(r.names)
  expect(graph.packageCount).toBe(r.pkgName.length)
  expect(Array.from(graph.pkgName)).toEqual(r.pkgName)
  expect(Array.from(graph.pkgRepos)).toEqual(r.pkgRepos)
  expect(graph.pkgVersion).toEqual(r.pkgVersion)
  expect(ranges(graph.pkgListStart, graph.pkgLists, graph.packageCount * 3)).toEqual(r.pkgLists)
  const used = r.depName.map((n, d) => [d, n]).filter(([, n]) => n !== undefined)
  expect(used.map(([d]) => graph.depName[d])).toEqual(used.map(([, n]) => n))
  const providers = ranges(graph.provStart, graph.provPkg, graph.nameCount)
  const sources = ranges(graph.provStart, graph.provDep, graph.nameCount)
  expect(providers.map((pkgs, n) => pkgs.map((p, i) => [p, sources[n][i]]))).toEqual(r.providers)
  expect(ranges(graph.rdepStart, graph.rdeps, graph.nameCount)).toEqual(r.rdeps)
  expect(ranges(graph.riifStart, graph.riifs, graph.nameCount)).toEqual(r.riifs)
}

function pkg(
  name: string,
  version: string,
  checksum: string,
  repository: number,
  lists: { D?: string; p?: string; i?: string } = {}
): RepoPackage {
  return {
    ...emptyPackageInfo(),
    name,
    version,
    checksum,
    repository,
    size: 1,
    installedSize: 1,
    depends: parseDependencies(lists.D ?? ''),
    provides: parseDependencies(lists.p ?? ''),
    installIf: parseDependencies(lists.i ?? '')
  }
}

const REPOS: Repository[] = [
  { url: 'main', index: 0 },
  { url: 'community', index: 1 }
]

describe('the solver graph', () => {
  it('numbers names as they are met, merges identities and lists providers and reverse edges in order', () => {
    const main = [
      pkg('libc', '1.2-r0', 'Q1aaaaaaaaaaaaaaaaaaaaaaaaaaa=', 0, { p: 'so:libc.so=1 cmd:ldd' }),
      pkg('zlib', '1.3-r0', 'Q1bbbbbbbbbbbbbbbbbbbbbbbbbbb=', 0, {
        D: 'so:libc.so',
        p: 'so:libz.so=1.3'
      }),
      pkg('app', '2-r0', 'Q1ccccccccccccccccccccccccccc=', 0, {
        D: 'so:libz.so so:libc.so so:libz.so'
      }),
      pkg('app-doc', '2-r0', 'Q1ddddddddddddddddddddddddddd=', 0, { i: 'app=2-r0 docs' })
    ]
    const community = [
      // The same identity as main's zlib: one package, in both repositories.
      pkg('zlib', '1.3-r0', 'Q1bbbbbbbbbbbbbbbbbbbbbbbbbbb=', 1, {
        D: 'so:libc.so',
        p: 'so:libz.so=1.3'
      }),
      pkg('zlib', '1.4-r0', 'Q1eeeeeeeeeeeeeeeeeeeeeeeeeee=', 1, {
        D: 'so:libc.so !zlib-old',
        p: 'so:libz.so=1.4'
      }),
      pkg('tool', '1-r0', 'Q1fffffffffffffffffffffffffff=', 1, {
        D: 'app so:libz.so',
        p: 'cmd:ldd'
      })
    ]
    const tables = [tableOfPackages(main), tableOfPackages(community)]
    const graph = buildGraph(tables, REPOS, 'x86_64')
    expectSame(
      graph,
      reference(
        tables,
        new Map([
          [0, 1],
          [1, 2]
        ])
      )
    )
    // Spelled out once: the merged zlib, and who depends on so:libz.so.
    const zlib = graph.names.indexOf('zlib')
    const providers = graph.packagesProviding('zlib').map((p) => `${p.version}@${p.repository}`)
    expect(providers).toEqual(['1.3-r0@0', '1.4-r0@1'])
    expect(graph.pkgRepos[graph.provPkg[graph.provStart[zlib]]]).toBe(3)
    const libz = graph.names.indexOf('so:libz.so')
    const dependents = graph.rdeps.subarray(graph.rdepStart[libz], graph.rdepStart[libz + 1])
    expect(Array.from(dependents, (n) => graph.names[n])).toEqual(['app', 'tool'])
    expect(graph.packagesProviding('cmd:ldd').map((p) => p.name)).toEqual(['libc', 'tool'])
  })

  it('merges one identity listed twice in one list of packages', () => {
    const table = tableOfPackages([
      pkg('a', '1-r0', 'Q1aaaaaaaaaaaaaaaaaaaaaaaaaaa=', 0, { D: 'b' }),
      pkg('a', '1-r0', 'Q1aaaaaaaaaaaaaaaaaaaaaaaaaaa=', 1, { D: 'b' }),
      pkg('b', '1-r0', 'Q1bbbbbbbbbbbbbbbbbbbbbbbbbbb=', 1)
    ])
    const graph = buildGraph([table], REPOS, 'x86_64')
    expect(graph.packageCount).toBe(2)
    expect(graph.pkgRepos[0]).toBe(3)
    expectSame(
      graph,
      reference(
        [table],
        new Map([
          [0, 1],
          [1, 2]
        ])
      )
    )
  })

  it('finds names after the build, and adds a name nothing mentions', () => {
    const packages = Array.from({ length: 30 }, (_, i) =>
      pkg(`p${i}`, '1-r0', `Q1${i}=`, 0, { D: `so:lib${i}.so` })
    )
    const graph = buildGraph([tableOfPackages(packages)], REPOS, undefined)
    expect(graph.name('so:lib0.so')).toBe(1)
    expect(graph.name('p0')).toBe(0)
    const added = graph.name('nowhere')
    expect(added).toBe(60)
    expect(graph.name('nowhere')).toBe(60)
    expect(graph.packagesProviding('nowhere')).toEqual([])
    expect(graph.provStart[added + 1] - graph.provStart[added]).toBe(0)
    expect(graph.chosenPkg[added]).toBe(NO_PKG)
    // The first few are looked for one by one, the rest in a map: the same numbers either way.
    for (let i = 29; i >= 0; i--) {
      expect(graph.name(`so:lib${i}.so`)).toBe(2 * i + 1)
      expect(graph.packagesProviding(`p${i}`).map((p) => p.name)).toEqual([`p${i}`])
    }
    expect(graph.name('nowhere')).toBe(60)
    expect(graph.name('nowhere else')).toBe(61)
    expect(graph.name('nowhere else')).toBe(61)
    expect(graph.names.slice(59)).toEqual(['so:lib29.so', 'nowhere', 'nowhere else'])
  })

  it('refuses a graph past its memory limit with an error naming its size', () => {
    const sizes = {
      rows: 1_000_000,
      tokens: 2_000_000,
      names: 3_000_000,
      entries: 8_000_000,
      largest: { rows: 1_000_000, entries: 8_000_000, tokens: 2_000_000, keys: 2_000_000 }
    }
    let error: unknown
    try {
      new GraphBuildMemory(sizes, 256)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(FormatError)
    expect((error as Error).message).toBe(
      "the solver's graph of 1000000 packages and 2000000 dependency tokens needs more memory " +
        'than its limit; the repositories are too large together: use fewer of them'
    )
  })
})

;(haveShared('fixtures/real-indexes') ? describe : describe.skip)(
  "the solver graph of Alpine's real indexes",
  () => {
    let keyring: Keyring
    const tables = new Map<string, PackageTable>()

    beforeAll(async () => {
      keyring = await Keyring.load({ keysDir: path.join(SHARED, 'alpine-keys') })
    })

    async function table(repo: string, index: number): Promise<PackageTable> {
      let read = tables.get(repo)
      if (read === undefined) {
        const file = path.join(SHARED, 'fixtures/real-indexes', repo, 'x86_64/APKINDEX.tar.gz')
        read = (await readApkindex(fs.readFileSync(file), { url: repo, index }, { keyring })).table
        tables.set(repo, read)
      }
      return read
    }

    it.each([[['v3.22-main']], [['v3.19-main', 'v3.19-community']]])(
      'of %j is the plain reading of its tables',
      async (repos) => {
        const read = await Promise.all(repos.map((repo, index) => table(repo, index)))
        const repositories = repos.map((url, index) => ({ url, index }))
        const graph = buildGraph(read, repositories, 'x86_64')
        expectSame(graph, reference(read, new Map(repos.map((_, index) => [index, 1 << index]))))
      },
      120_000
    )

    it('makes only the tokens a resolve reads Dependency objects, each once', async () => {
      // Its own copy: the tests above made every token of theirs.
      const file = path.join(SHARED, 'fixtures/real-indexes/v3.22-main/x86_64/APKINDEX.tar.gz')
      const repository = { url: 'v3.22-main', index: 0 }
      const read = (await readApkindex(fs.readFileSync(file), repository, { keyring })).table
      const made = read.madeTokenCount
      const solution = solve(parseDependencies('python3'), [read], {
        repositories: [repository],
        arch: 'x86_64'
      })
      expect(solution.packages.map((p) => p.name)).toContain('python3')
      // 13,088 tokens; the few the scan left to JavaScript were made as they were read.
      expect(read.tokenCount).toBeGreaterThan(13_000)
      expect(made).toBeLessThan(100)
      expect(read.madeTokenCount).toBeLessThan(read.tokenCount / 10)
      const python = solution.packages.find((p) => p.name === 'python3') as RepoPackage
      const row = read.rowOfName('python3')
      expect(read.dependencies(row, DEPENDS)[0]).toBe(python.depends[0])
      expect(python.depends.length).toBeGreaterThan(3)
      expect(python.depends.every((dep) => Object.isFrozen(dep))).toBe(true)
    })
  }
)

// As dist/ must be a fresh bundle, each module in the sources must be what its source compiles to.
describe('the compiled modules', () => {
  it.each([
    'src/apk/formats/index-scan-wasm.ts',
    'src/apk/solver/graph-build-wasm.ts',
    'src/apk/solver/discover-wasm.ts',
    'src/sha-wasm.ts'
  ])('%s is what scripts/build-wasm.mjs makes of its AssemblyScript source', (target) => {
    const root = process.cwd()
    const fresh = execFileSync(process.execPath, ['scripts/build-wasm.mjs', '--print', target], {
      cwd: root,
      encoding: 'utf8'
    })
    expect(fs.readFileSync(path.join(root, target), 'utf8') === fresh).toBe(true)
  })
})
