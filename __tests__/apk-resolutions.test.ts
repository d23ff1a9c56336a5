import fs from 'node:fs'
import path from 'node:path'
import { readApkindex } from '../src/apk/formats/apkindex.js'
import { dependencySatisfiedBy, parseDependencies } from '../src/apk/formats/dependency.js'
import { UnsatisfiableError } from '../src/apk/errors.js'
import { Keyring } from '../src/apk/keys/keyring.js'
import { solve } from '../src/apk/solver/solve.js'
import type { RepoPackage, Repository, RepositoryIndex } from '../src/apk/types.js'
import { haveShared, SHARED } from './support/shared.js'

/**
 * The solver against what apk-tools 2.14.10 itself resolved: every world of
 * ../shared/fixtures/real-indexes/v3.22-main-resolutions.tsv on Alpine's own v3.22 main index, and
 * the worlds apk installed from the apk-tools-reference repository.
 */
const sharedHere = haveShared()

const FIXTURES = path.join(SHARED, 'fixtures')
const REPOSITORY: Repository = { url: 'https://dl-cdn.alpinelinux.org/alpine/v3.22/main', index: 0 }

/** A signed index, verified with the keys of `keysDir`, read by our own reader. */
async function readIndex(file: string, repository: Repository, keysDir: string) {
  const keyring = await Keyring.load({ keysDir })
  return readApkindex(fs.readFileSync(file), repository, { keyring })
}

interface Row {
  world: string
  rc: number
  packages: string[]
}

function readRows(): Row[] {
  const text = fs.readFileSync(
    path.join(FIXTURES, 'real-indexes/v3.22-main-resolutions.tsv'),
    'utf8'
  )
  return text
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const [world, rc, packages = ''] = line.split('\t')
      return { world, rc: Number(rc), packages: packages.split(' ').filter(Boolean) }
    })
}

function nameVersions(packages: RepoPackage[]): string[] {
  return packages.map((p) => `${p.name}-${p.version}`).sort()
}

/** Whether `from` depends on `target`, directly or through other packages of `order` (a cycle). */
function dependsOn(from: RepoPackage, target: RepoPackage, order: RepoPackage[]): boolean {
  const seen = new Set<RepoPackage>()
  const stack = [from]
  while (stack.length > 0) {
    const pkg = stack.pop() as RepoPackage
    if (pkg === target) return true
    if (seen.has(pkg)) continue
    seen.add(pkg)
    for (const dep of pkg.depends) {
      if (dep.conflict) continue
      const provider = order.find((p) => dependencySatisfiedBy(dep, p))
      if (provider !== undefined) stack.push(provider)
    }
  }
  return false
}

;(sharedHere ? describe : describe.skip)('apk-tools 2.14 resolutions on Alpine v3.22 main', () => {
  const rows = sharedHere ? readRows() : []
  let index: RepositoryIndex
  let packages: RepoPackage[] = []

  beforeAll(async () => {
    const file = path.join(FIXTURES, 'real-indexes/v3.22-main/x86_64/APKINDEX.tar.gz')
    index = await readIndex(file, REPOSITORY, path.join(SHARED, 'alpine-keys'))
  })

  it('resolves python3 from the index table, making whole only the packages it picks', () => {
    const solution = solve(parseDependencies('python3'), [index.table], {
      repositories: [REPOSITORY],
      arch: 'x86_64'
    })
    expect(solution.packages).toHaveLength(21)
    // Solving reads the table; only the 21 packages of the answer were made whole.
    expect(index.table.madeCount).toBe(21)
  })

  it('reads the whole index', () => {
    packages = index.packages
    expect(rows).toHaveLength(18)
    expect(packages).toHaveLength(5646)
  })

  // The engine solves over the index's table, a lock over packages already made: both agree
  // with apk-tools.
  describe.each([
    ['the index table', () => [index.table]],
    ['packages made whole', () => packages]
  ] as const)('from %s', (_source, source) => {
    it.each(rows.map((row) => [row.world, row] as const))('%s', (_world, row) => {
      const world = parseDependencies(row.world)
      const options = { repositories: [REPOSITORY], arch: 'x86_64' }
      if (row.rc !== 0) {
        expect(() => solve(world, source(), options)).toThrow(UnsatisfiableError)
        return
      }
      const solution = solve(world, source(), options)
      expect(nameVersions(solution.packages)).toEqual(row.packages)
      expect(solution.tags.size).toBe(0)
    })
  })

  it('installs every dependency before its dependents, cycles aside', () => {
    for (const row of rows.filter((r) => r.rc === 0)) {
      const order = solve(parseDependencies(row.world), packages, {
        repositories: [REPOSITORY]
      }).packages
      order.forEach((pkg, i) => {
        for (const dep of pkg.depends) {
          if (dep.conflict) continue
          const at = order.findIndex((p) => dependencySatisfiedBy(dep, p))
          expect(at).toBeGreaterThanOrEqual(0)
          if (at > i) expect(dependsOn(order[at], pkg, order)).toBe(true)
        }
      })
    }
  })

  it('explains failures the way apk does', () => {
    const explain = (world: string): string[] => {
      try {
        solve(parseDependencies(world), packages, { repositories: [REPOSITORY] })
      } catch (err) {
        return (err as UnsatisfiableError).problems
      }
      return []
    }
    expect(explain('nosuchpkg')).toEqual([
      'nosuchpkg (no such package):\n    required by: world[nosuchpkg]'
    ])
    expect(explain('curl<8.0')).toEqual(['curl-8.14.1-r2:\n    breaks: world[curl<8.0]'])
    expect(explain('busybox !musl')).toEqual([
      'musl-1.2.5-r10:\n    breaks: world[!musl]\n    satisfies: busybox-1.37.0-r19[so:libc.musl-x86_64.so.1]'
    ])
    expect(explain('curll')[0]).toMatch(/did you mean: curl\b/)
  })
})

;(sharedHere ? describe : describe.skip)('apk-tools-reference repository', () => {
  const REFERENCE: Repository = { url: 'repo', index: 0 }
  let packages: RepoPackage[] = []

  beforeAll(async () => {
    const file = path.join(FIXTURES, 'apk-tools-reference/repo-x86_64/APKINDEX.tar.gz')
    const keys = path.join(FIXTURES, 'apk-tools-reference/keys')
    packages = (await readIndex(file, REFERENCE, keys)).packages
  })

  const resolve = (world: string): string[] =>
    solve(parseDependencies(world), packages, {
      repositories: [REFERENCE],
      arch: 'x86_64'
    }).packages.map((p) => `${p.name}-${p.version}`)

  it('hello ca-certificates-bundle: what apk 2.14 installed (expected-apk2/installed)', () => {
    const installed = fs.readFileSync(
      path.join(FIXTURES, 'apk-tools-reference/expected-apk2/installed'),
      'utf8'
    )
    const stanzas = installed.trim().split('\n\n')
    const expected = stanzas.map((s) => {
      const field = (letter: string): string =>
        (s.split('\n').find((l) => l.startsWith(`${letter}:`)) ?? '').slice(2)
      return `${field('P')}-${field('V')}`
    })
    expect(resolve('hello ca-certificates-bundle').sort()).toEqual(expected.sort())
    expect(resolve('hello ca-certificates-bundle')).toEqual([
      'ca-certificates-bundle-20240226-r0',
      'musl-1.2.3-r0',
      'alpine-baselayout-data-3.6.8-r1',
      'hello-1.1-r0'
    ])
  })

  it('hello resolves to the newest, hello<1.1 to 1.0-r0', () => {
    expect(resolve('hello')).toContain('hello-1.1-r0')
    expect(resolve('hello<1.1')).toEqual([
      'musl-1.2.3-r0',
      'alpine-baselayout-data-3.6.8-r1',
      'hello-1.0-r0'
    ])
  })

  it('hello>2 fails like apk: breaks: world[hello>2]', () => {
    let problems: string[] = []
    try {
      resolve('hello>2')
    } catch (err) {
      expect(err).toBeInstanceOf(UnsatisfiableError)
      problems = (err as UnsatisfiableError).problems
    }
    expect(problems).toEqual(['hello-1.1-r0:\n    breaks: world[hello>2]'])
  })
})
