/**
 * Graph layering, checked with real tools: images of the same packages in 1 and in N layers
 * unpack (umoci) to the same tree, file by file (type, mode, owner, mtime, content, symlink
 * target, hard links); the reference repository's hello 1.0 → 1.1 update changes only hello's
 * layer and the metadata layer, even across build epochs.
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import type { Logger } from '../src/apk/types.js'
import { build } from '../src/assemble/build.js'
import { rankGroups } from '../src/assemble/layers.js'
import type { BuildResult, BuildSpec } from '../src/assemble/spec.js'
import { emptyPackageInfo } from '../src/apk/types.js'
import { parseDependency } from '../src/apk/formats/dependency.js'
import { buildApk } from './support/apk-builder.js'
import { generateSigningKey, writeKeysDir } from './support/keys.js'
import { baselayoutDataPackage, muslPackage, synthetic } from './support/packages.js'
import { buildRepository } from './support/repo-builder.js'
import { FIXTURES, haveShared } from './support/shared.js'

const silent: Logger = { info: () => {}, warning: () => {}, debug: () => {} }
const isRoot = process.getuid?.() === 0
const REFERENCE = path.join(FIXTURES, 'apk-tools-reference')
const hasReference = haveShared('fixtures/apk-tools-reference')

let work: string

function tmp(name: string): string {
  return path.join(work, name)
}

function spec(extra: Partial<BuildSpec>): BuildSpec {
  return {
    packages: ['hello'],
    arches: ['x86_64'],
    repositories: [],
    keyFiles: [],
    keyDirs: [],
    fetchAlpineKeys: false,
    allowUntrusted: false,
    image: { env: [], user: 'nonroot', labels: {}, annotations: {} },
    tags: ['witchery-test:layers'],
    output: tmp(`out/${Math.random().toString(36).slice(2)}.tar`),
    sourceDateEpoch: 1750000000,
    sbom: ['spdx', 'cyclonedx'],
    ...extra
  }
}

/** `umoci unpack` of the tarball; returns the rootfs. */
function unpack(tarball: string): string {
  const dir = fs.mkdtempSync(path.join(work, 'unpack-'))
  execFileSync('tar', ['-xf', tarball, '-C', dir])
  const args = ['unpack', '--image', `${dir}:${'layers'}`, path.join(dir, 'bundle')]
  if (!isRoot) args.splice(1, 0, '--rootless')
  execFileSync('umoci', args, { stdio: 'pipe' })
  return path.join(dir, 'bundle', 'rootfs')
}

/** Every path of a tree: type, mode, owner, mtime, content digest or link target, link group. */
function listTree(root: string): Map<string, string> {
  const out = new Map<string, string>()
  const inodes = new Map<number, string>()
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(root, rel)).sort()) {
      const p = rel ? `${rel}/${name}` : name
      const stat = fs.lstatSync(path.join(root, p))
      const owner = isRoot ? `${stat.uid}:${stat.gid}` : '-'
      const mode = (stat.mode & 0o7777).toString(8)
      let what: string
      if (stat.isDirectory()) what = 'dir'
      else if (stat.isSymbolicLink()) what = `symlink ${fs.readlinkSync(path.join(root, p))}`
      else {
        const sha = createHash('sha256')
          .update(fs.readFileSync(path.join(root, p)))
          .digest('hex')
        // Paths sharing an inode are one hard-link group: named by its first path.
        const first = inodes.get(stat.ino) ?? p
        inodes.set(stat.ino, first)
        what = `file ${sha.slice(0, 16)} links=${stat.nlink} group=${first}`
      }
      const mtime = stat.isDirectory() ? '' : ` mtime=${Math.floor(stat.mtimeMs / 1000)}`
      out.set(p, `${what} ${mode} ${owner}${mtime}`)
      if (stat.isDirectory()) walk(p)
    }
  }
  walk('')
  return out
}

function layerDigests(result: BuildResult): Map<string, string> {
  return new Map(
    result.arches[0].layers.map((l) => [l.packages ? l.packages.join(' ') : 'app', l.digest])
  )
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-layers-'))
})

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true })
})

const describeReference = hasReference ? describe : describe.skip

describeReference('the reference repository in layers', () => {
  let repo: string
  let keysDir: string

  beforeAll(() => {
    repo = tmp('reference')
    fs.cpSync(path.join(REFERENCE, 'repo-x86_64'), path.join(repo, 'x86_64'), { recursive: true })
    keysDir = path.join(REFERENCE, 'keys')
  })

  const reference = (extra: Partial<BuildSpec>) =>
    spec({ repositories: [repo], keyDirs: [keysDir], ...extra })

  it('unpacks to the same tree with 1 layer and with 8', async () => {
    const packages = ['hello', 'ca-certificates-bundle']
    const one = await build(reference({ packages, layers: 1 }), { logger: silent })
    const many = await build(reference({ packages, layers: 8 }), { logger: silent })
    expect(one.arches[0].layers).toHaveLength(1)
    // musl, hello, ca-certificates-bundle, alpine-baselayout-data, then the metadata layer.
    expect(many.arches[0].layers.map((l) => l.createdBy)).toEqual([
      expect.stringMatching(/apk add (musl|ca-certificates-bundle|hello|alpine-baselayout-data)$/),
      expect.stringMatching(/apk add /),
      expect.stringMatching(/apk add /),
      expect.stringMatching(/apk add /),
      'witchery: apk database and /etc'
    ])
    expect(listTree(unpack(many.tarball))).toEqual(listTree(unpack(one.tarball)))
  }, 120000)

  it('changes only hello’s layer and the metadata layer when hello moves from 1.0 to 1.1', async () => {
    // Different epochs too: a new commit must not change the layers of unchanged packages.
    const old = await build(reference({ packages: ['hello<1.1'], layers: 8 }), { logger: silent })
    const updated = await build(
      reference({ packages: ['hello'], layers: 8, sourceDateEpoch: 1760000000 }),
      { logger: silent }
    )
    const before = layerDigests(old)
    const after = layerDigests(updated)
    expect([...after.keys()]).toEqual([...before.keys()])
    const changed = [...after.keys()].filter((k) => after.get(k) !== before.get(k))
    expect(changed).toEqual(['hello', ''])
    expect(old.arches[0].packages.find((p) => p.name === 'hello')?.version).toBe('1.0-r0')
  }, 120000)

  it('is reproducible: the same inputs give the same digest', async () => {
    const a = await build(reference({ layers: 3 }), { logger: silent })
    const b = await build(reference({ layers: 3 }), { logger: silent })
    expect(a.digest).toBe(b.digest)
    // 3 package layers at most, plus the metadata layer.
    expect(a.arches[0].layers).toHaveLength(4)
  }, 120000)
})

describe('shared folders and hard links across layers', () => {
  it('unpacks to the same tree with 1 layer and with one per package', async () => {
    const key = generateSigningKey()
    const keysDir = tmp('shared-keys')
    writeKeysDir(keysDir, [key])
    const big = Buffer.alloc(64 * 1024, 7)
    const apks = [
      muslPackage(),
      baselayoutDataPackage(),
      // A folder shipped by two packages with a mode and group of its own, and a hard link.
      synthetic('owner-a', '1.0-r0', {
        builddate: 1710000000,
        files: [
          { path: 'srv/data', type: 'dir', mode: 0o2750, uid: 0, gid: 42, gname: 'shadow' },
          { path: 'srv/data/a.bin', content: big, mode: 0o640 },
          { path: 'srv/data/z-link.bin', type: 'hardlink', target: 'srv/data/a.bin' },
          { path: 'usr/bin/tool-a', content: 'a\n', mode: 0o755 }
        ]
      }),
      synthetic('owner-b', '2.0-r0', {
        builddate: 1720000000,
        depends: ['owner-a'],
        files: [
          { path: 'srv/data', type: 'dir', mode: 0o2750, uid: 0, gid: 42, gname: 'shadow' },
          { path: 'srv/data/b.txt', content: 'b\n' },
          { path: 'usr/bin/tool-b', type: 'symlink', target: 'tool-a' }
        ]
      }),
      // Takes over owner-a's a.bin, so the hard link to it must go to this package's layer.
      synthetic('owner-c', '1.0-r0', {
        builddate: 1715000000,
        depends: ['owner-a'],
        replaces: ['owner-a'],
        files: [
          { path: 'srv/data', type: 'dir', mode: 0o2750, uid: 0, gid: 42, gname: 'shadow' },
          { path: 'srv/data/a.bin', content: Buffer.alloc(128 * 1024, 9), mode: 0o640 }
        ]
      })
    ].map((s) => buildApk(s, key))
    const repo = buildRepository(tmp('shared-repo'), 'x86_64', apks, key).url
    const make = (layers: number) =>
      build(
        spec({
          packages: ['owner-b', 'owner-c', 'alpine-baselayout-data'],
          repositories: [repo],
          keyDirs: [keysDir],
          layers
        }),
        { logger: silent }
      )
    const one = await make(1)
    const many = await make(10)
    expect(many.arches[0].layers.length).toBeGreaterThanOrEqual(5)
    const oneTree = listTree(unpack(one.tarball))
    expect(listTree(unpack(many.tarball))).toEqual(oneTree)
    expect(oneTree.get('srv/data/z-link.bin')).toMatch(/links=2 group=srv\/data\/a\.bin/)
    // A package's files keep its build time; what witchery writes has the build epoch.
    expect(oneTree.get('usr/bin/tool-a')).toMatch(/mtime=1710000000$/)
    expect(oneTree.get('etc/passwd')).toMatch(/mtime=1750000000$/)
    expect(oneTree.get('etc/shadow')).toMatch(/mtime=1700000000$/)
    if (isRoot) expect(oneTree.get('srv/data')).toBe('dir 2750 0:42')
  }, 120000)
})

describe('rankGroups', () => {
  const pkg = (name: string, size: number, depends: string[] = [], origin?: string) => ({
    ...emptyPackageInfo(),
    name,
    version: '1',
    installedSize: size,
    origin,
    depends: depends.map((d) => parseDependency(d)),
    provides: [parseDependency(`so:lib${name}.so=1`)]
  })

  it('puts the heaviest groups first: size times the packages that need them', () => {
    const groups = rankGroups([
      pkg('app', 500),
      pkg('libcrypto3', 300, [], 'openssl'),
      pkg('libssl3', 100, ['so:liblibcrypto3.so'], 'openssl'),
      pkg('musl', 100),
      pkg('curl', 200, ['so:liblibssl3.so', 'musl']),
      pkg('meta', 0, ['curl'])
    ])
    // openssl: 400 × (1 + 2: curl and libssl3 need libcrypto3); musl: 100 × 2; curl: 200 × 1.
    expect(groups.map((g) => `${g.key}:${g.packages.map((p) => p.name).join('+')}`)).toEqual([
      'openssl:libcrypto3+libssl3',
      'app:app',
      'curl:curl',
      'musl:musl'
    ])
  })
})
