import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { readApkindex } from '../src/apk/formats/apkindex.js'
import { parseDependency } from '../src/apk/formats/dependency.js'
import { installPackages, RootInstaller } from '../src/apk/install/root-installer.js'
import { InstallQueue, MEMORY_WINDOW, memoryWeight } from '../src/apk/install/queue.js'
import type { InstallUnit } from '../src/apk/install/plan.js'
import { Keyring } from '../src/apk/keys/keyring.js'
import {
  readApkPackage,
  STREAM_ABOVE,
  STREAM_INLINE_TOTAL
} from '../src/apk/formats/package-file.js'
import { parseRepository } from '../src/apk/fetch/repository.js'
import { solve } from '../src/apk/solver/solve.js'
import type { ApkPackageFile, RepoPackage } from '../src/apk/types.js'
import { buildApk, type ApkSpec, type FileSpec } from './support/apk-builder.js'
import { generateSigningKey } from './support/keys.js'
import { synthetic } from './support/packages.js'
import { haveShared, SHARED } from './support/shared.js'

const REFERENCE = path.join(SHARED, 'fixtures/apk-tools-reference')
const sharedHere = haveShared('fixtures/apk-tools-reference')

const key = generateSigningKey()
let work: string

beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-install-'))
})
afterEach(() => {
  fs.rmSync(work, { recursive: true, force: true })
})

function unitOf(spec: ApkSpec): InstallUnit {
  const apk = buildApk(spec, key)
  const pkg: RepoPackage = { ...apk.info, repository: 0 }
  return { pkg, file: readApkPackage(apk.bytes, { expected: pkg }) }
}

async function install(specs: ApkSpec[], root = path.join(work, 'root')) {
  const units = specs.map(unitOf)
  const result = await installPackages(root, units, {
    arch: 'x86_64',
    world: specs.map((s) => parseDependency(s.name)),
    repositories: [],
    chown: false
  })
  return {
    root,
    result,
    installed: fs.readFileSync(path.join(root, 'lib/apk/db/installed'), 'utf8')
  }
}

function stanza(installed: string, name: string): string {
  return installed.split('\n\n').find((s) => s.includes(`\nP:${name}\n`)) ?? ''
}

/** `find -printf '%M %U %G %s %p %l'` as apk-tools' listing has it (dirs size 4096 there). */
function listing(root: string): string[] {
  const out = execFileSync('find', ['.', '-printf', '%M %U %G %s %p %l\n'], {
    cwd: root,
    encoding: 'utf8'
  })
  return out
    .trim()
    .split('\n')
    .map((line) => line.replace(/^(d\S+ \d+ \d+) \d+/, '$1 D'))
    .sort()
}

;(sharedHere ? describe : describe.skip)('against what apk-tools 2.14 installed', () => {
  it('gives a byte-identical database and the same tree for `hello ca-certificates-bundle`', async () => {
    const repoDir = path.join(work, 'repo')
    fs.mkdirSync(repoDir)
    fs.cpSync(path.join(REFERENCE, 'repo-x86_64'), path.join(repoDir, 'x86_64'), {
      recursive: true
    })
    const repository = parseRepository(repoDir, 0)
    const keyring = await Keyring.load({ keysDir: path.join(REFERENCE, 'keys') })
    const index = await readApkindex(
      fs.readFileSync(path.join(repoDir, 'x86_64/APKINDEX.tar.gz')),
      repository,
      { keyring }
    )
    const world = ['hello', 'ca-certificates-bundle'].map((t) => parseDependency(t))
    const solution = solve(world, index.packages, { repositories: [repository], arch: 'x86_64' })
    const units = solution.packages.map((pkg) => ({
      pkg,
      file: readApkPackage(
        fs.readFileSync(path.join(repoDir, 'x86_64', `${pkg.name}-${pkg.version}.apk`)),
        {
          expected: pkg
        }
      )
    }))
    const root = path.join(work, 'root')
    const result = await installPackages(root, units, {
      arch: 'x86_64',
      world,
      repositories: [repository],
      tags: solution.tags,
      chown: process.getuid?.() === 0
    })

    const expected = path.join(REFERENCE, 'expected-apk2')
    for (const file of [
      'lib/apk/db/installed',
      'etc/apk/world',
      'etc/apk/arch',
      'lib/apk/db/scripts.tar'
    ]) {
      const ours = fs.readFileSync(path.join(root, file))
      const theirs = fs.readFileSync(path.join(expected, path.basename(file)))
      expect({ file, text: ours.toString('latin1') }).toEqual({
        file,
        text: theirs.toString('latin1')
      })
    }
    expect(fs.readFileSync(path.join(root, 'lib/apk/db/triggers'), 'utf8')).toBe('')

    // What `--initdb` adds for a live system, which an image does not carry (apk-format.md §9.2).
    const liveSystemOnly = [
      './dev',
      './dev/console',
      './dev/null',
      './dev/random',
      './dev/urandom',
      './dev/zero',
      './proc',
      './var/cache',
      './var/cache/apk',
      './var/cache/misc',
      './lib/apk/db/lock'
    ]
    const reference = fs
      .readFileSync(path.join(expected, 'find-listing-numeric.txt'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.replace(/^(d\S+ \d+ \d+) \d+/, '$1 D').trimEnd())
      .filter((line) => !liveSystemOnly.includes(line.split(' ')[4]))
      .sort()
    const ours = listing(root).map((line) => line.trimEnd())
    if (process.getuid?.() === 0) {
      expect(ours).toEqual(reference)
    } else {
      // Not root: owners on disk are ours, so compare everything but them; the tree has them.
      const strip = (l: string) => l.replace(/^(\S+) \d+ \d+/, '$1')
      expect(ours.map(strip)).toEqual(reference.map(strip))
    }
    expect(result.tree.get('etc/shadow')).toMatchObject({
      type: 'file',
      mode: 0o640,
      uid: 0,
      gid: 42
    })
    expect(result.tree.get('tmp')).toMatchObject({ type: 'directory', mode: 0o1777 })
    expect(result.tree.get('lib/libc.musl-x86_64.so.1')).toMatchObject({
      type: 'symlink',
      linkname: 'ld-musl-x86_64.so.1',
      owner: 'musl'
    })
    expect(result.installed.map((p) => `${p.name}-${p.version}`)).toEqual([
      'alpine-baselayout-data-3.6.8-r1',
      'ca-certificates-bundle-20240226-r0',
      'hello-1.1-r0',
      'musl-1.2.3-r0'
    ])
  })
})

describe('laying out files', () => {
  it('keeps modes, setuid bits, symlinks, hardlinks and owners from the package', async () => {
    const files: FileSpec[] = [
      { path: 'usr/bin/tool', content: 'x', mode: 0o4755 },
      { path: 'usr/bin/alias', type: 'symlink', target: 'tool' },
      { path: 'usr/bin/tool-hard', type: 'hardlink', target: 'usr/bin/tool', mode: 0o4755 },
      { path: 'srv/data', type: 'dir', mode: 0o750, uid: 100, gid: 101 },
      { path: 'srv/data/secret', content: 's', mode: 0o600, uid: 100, gid: 101 }
    ]
    const { root, result, installed } = await install([synthetic('tools', '1.0-r0', { files })])
    expect(fs.statSync(path.join(root, 'usr/bin/tool')).mode & 0o7777).toBe(0o4755)
    expect(fs.readlinkSync(path.join(root, 'usr/bin/alias'))).toBe('tool')
    expect(fs.statSync(path.join(root, 'usr/bin/tool-hard')).ino).toBe(
      fs.statSync(path.join(root, 'usr/bin/tool')).ino
    )
    expect(fs.statSync(path.join(root, 'srv/data')).mode & 0o7777).toBe(0o750)
    expect(result.tree.get('srv/data/secret')).toMatchObject({
      uid: 100,
      gid: 101,
      mode: 0o600,
      owner: 'tools'
    })
    expect(result.tree.get('usr/bin/tool-hard')).toMatchObject({
      type: 'hardlink',
      linkname: 'usr/bin/tool'
    })
    const text = stanza(installed, 'tools')
    expect(text).toContain('F:srv/data\nM:100:101:750\nR:secret\na:100:101:600\nZ:Q1')
    expect(text).toMatch(/R:alias\na:0:0:777\nZ:Q1/)
    // A hard link is listed with its target's digest.
    const digests = [...text.matchAll(/R:(tool|tool-hard)\na:0:0:4755\nZ:(\S+)/g)].map((m) => m[2])
    expect(digests).toHaveLength(2)
    expect(digests[0]).toBe(digests[1])
  })

  it('records xattrs in the tree and their digest in the database', async () => {
    const files: FileSpec[] = [
      {
        path: 'usr/bin/ping',
        content: 'p',
        mode: 0o755,
        xattrs: { 'security.capability': Buffer.from([1, 2, 3]) }
      }
    ]
    const { result, installed } = await install([synthetic('ping', '1.0-r0', { files })])
    expect(result.tree.get('usr/bin/ping')?.xattrs?.get('security.capability')).toEqual(
      Buffer.from([1, 2, 3])
    )
    expect(stanza(installed, 'ping')).toMatch(/R:ping\na:0:0:755:Q1[A-Za-z0-9+/]{27}=\n/)
  })

  // They stay in the plan until the image is written: four packages of 14 files with a 1 MiB
  // attribute each once kept 56 MiB there.
  it('refuses an xattr Linux could not hold, and more of them than any package has', async () => {
    const attribute = (size: number): FileSpec => ({
      path: 'usr/bin/big',
      content: 'b',
      xattrs: { 'user.big': Buffer.alloc(size, 0x62) }
    })
    const atMost = await install([synthetic('fits', '1.0-r0', { files: [attribute(65536)] })])
    expect(atMost.result.tree.get('usr/bin/big')?.xattrs?.get('user.big')?.length).toBe(65536)
    const tooLong = synthetic('long', '1.0-r0', { files: [attribute(65537)] })
    await expect(install([tooLong], path.join(work, 'long'))).rejects.toThrow(
      /long-1\.0-r0: \/usr\/bin\/big: its extended attribute user\.big holds 65537 bytes; Linux holds at most 65536/
    )
    const many = (name: string) =>
      synthetic(name, '1.0-r0', {
        files: Array.from({ length: 9 }, (_, i) => ({
          path: `usr/share/${name}/${i}`,
          content: 'x',
          xattrs: { 'user.v': Buffer.alloc(60000, 0x61) }
        }))
      })
    await expect(install([many('a'), many('b')], path.join(work, 'many'))).rejects.toThrow(
      /b-1\.0-r0: \/usr\/share\/b\/\d: the packages' extended attributes come to more than 1048576 bytes/
    )
    expect(fs.existsSync(path.join(work, 'many'))).toBe(false)
  })

  it('refuses an OCI whiteout name and an xattr name no layer can carry', async () => {
    // In a higher layer `srv/.wh.a` once deleted another package's srv/a.
    const whiteout = synthetic('wh', '1.0-r0', { files: [{ path: 'srv/.wh.a', content: '' }] })
    await expect(install([whiteout], path.join(work, 'wh'))).rejects.toThrow(
      /wh-1\.0-r0: \/srv\/\.wh\.a: '\.wh\.a' is an OCI whiteout name/
    )
    const badName = synthetic('xn', '1.0-r0', {
      files: [{ path: 'usr/bin/x', content: 'x', xattrs: { 'user.a\0b': Buffer.from('1') } }]
    })
    await expect(install([badName], path.join(work, 'xn'))).rejects.toMatchObject({
      code: 'UNSUPPORTED_ENTRY'
    })
    await expect(install([badName], path.join(work, 'xn'))).rejects.toThrow(
      /an extended attribute named "user\.a\\u0000b": a name must be non-empty, without NUL or =/
    )
  })

  it('resolves owner names in the root passwd of earlier packages, not in its own', async () => {
    const accounts = synthetic('accounts', '1.0-r0', {
      files: [
        {
          path: 'etc/passwd',
          content:
            'root:x:0:0::/root:/bin/sh\nbin:x:1:1::/:/sbin/nologin\ndaemon:x:2:2::/:/sbin/nologin\n'
        },
        { path: 'etc/group', content: 'root:x:0:\nbin:x:1:\nsvc:x:77:\n' },
        // Its own passwd does not count while it extracts: stays 5:5.
        { path: 'etc/own', content: 'o', uid: 5, gid: 5, uname: 'bin', gname: 'bin' }
      ]
    })
    const late = synthetic('late', '1.0-r0', {
      files: [{ path: 'var/lib/late', content: 't', uid: 9, gid: 9, uname: 'daemon', gname: 'svc' }]
    })
    const second = await install([accounts, late], path.join(work, 'b'))
    expect(second.result.tree.get('etc/own')).toMatchObject({ uid: 5, gid: 5 })
    expect(second.result.tree.get('var/lib/late')).toMatchObject({ uid: 2, gid: 77 })
    expect(stanza(second.installed, 'late')).toContain('R:late\na:2:77:644\n')
    // apk keeps each answer for the run: a name first asked before the accounts existed stays
    // unresolved (the numeric field is used) for every later package too.
    const early = synthetic('early', '1.0-r0', {
      files: [
        { path: 'var/lib/early', content: 't', uid: 9, gid: 9, uname: 'daemon', gname: 'svc' }
      ]
    })
    const cached = await install([early, accounts, late], path.join(work, 'c'))
    expect(cached.result.tree.get('var/lib/late')).toMatchObject({ uid: 9, gid: 9 })
  })

  it('gives a folder the smallest owner and the AND of its modes, but leaves initdb folders alone', async () => {
    const a = synthetic('a', '1.0-r0', {
      files: [
        { path: 'etc', type: 'dir', mode: 0o700 },
        { path: 'opt/x', type: 'dir', mode: 0o755 },
        { path: 'opt/x/a', content: 'a' },
        { path: 'opt/y', type: 'dir', mode: 0o775, uid: 10, gid: 10 }
      ]
    })
    const b = synthetic('b', '1.0-r0', {
      files: [
        { path: 'opt/x', type: 'dir', mode: 0o750 },
        { path: 'opt/x/b', content: 'b' },
        { path: 'opt/y', type: 'dir', mode: 0o700, uid: 20, gid: 20 }
      ]
    })
    const { root, result } = await install([a, b])
    expect(fs.statSync(path.join(root, 'opt/x')).mode & 0o7777).toBe(0o750)
    expect(result.tree.get('opt/x')).toMatchObject({ mode: 0o750, uid: 0, gid: 0 })
    expect(result.tree.get('opt/y')).toMatchObject({ mode: 0o775, uid: 10, gid: 10 })
    expect(result.tree.get('etc')).toMatchObject({ mode: 0o755 })
    expect(fs.statSync(path.join(root, 'tmp')).mode & 0o7777).toBe(0o1777)
  })

  it('follows a symlinked folder from an earlier package inside the root', async () => {
    const merged = synthetic('merged', '1.0-r0', {
      files: [
        { path: 'usr/lib', type: 'dir' },
        { path: 'lib64', type: 'symlink', target: '/usr/lib' }
      ]
    })
    const user = synthetic('user', '1.0-r0', {
      files: [
        { path: 'lib64', type: 'dir' },
        { path: 'lib64/libx.so', content: 'x' }
      ]
    })
    const { root, result, installed } = await install([merged, user])
    expect(fs.readFileSync(path.join(root, 'usr/lib/libx.so'), 'utf8')).toBe('x')
    expect(fs.lstatSync(path.join(root, 'lib64')).isSymbolicLink()).toBe(true)
    expect(result.tree.get('usr/lib/libx.so')).toMatchObject({ owner: 'user' })
    expect(stanza(installed, 'user')).toContain('F:lib64\nR:libx.so\n')
  })

  it('skips apk control names and .keep_ files as apk 2.14 does', async () => {
    const files: FileSpec[] = [
      { path: 'var/empty', type: 'dir' },
      { path: 'var/empty/.keep_foo-1', content: '' },
      { path: '.hidden', content: 'h', rawName: true }
    ]
    const { root, installed } = await install([synthetic('keep', '1.0-r0', { files })])
    expect(fs.existsSync(path.join(root, 'var/empty/.keep_foo-1'))).toBe(false)
    expect(fs.existsSync(path.join(root, '.hidden'))).toBe(false)
    expect(stanza(installed, 'keep')).not.toContain('.keep_')
  })
})

describe('the database files', () => {
  it('stores scripts in scripts.tar (GNU tar reads it) and triggers, and reports them', async () => {
    const withScripts = synthetic('svc', '2.0-r1', {
      scripts: { 'post-install': '#!/bin/sh\necho hi\n', 'pre-install': '#!/bin/sh\n' },
      triggers: ['/usr/share/svc/*', '/etc/svc']
    })
    const units = [unitOf(synthetic('plain')), unitOf(withScripts)]
    const root = path.join(work, 'root')
    const warnings: string[] = []
    const result = await installPackages(root, units, {
      arch: 'aarch64',
      world: [parseDependency('svc'), parseDependency('plain')],
      repositories: [
        parseRepository('https://example.invalid/main', 0),
        parseRepository('/local/repo', 1)
      ],
      keys: [{ name: key.name, pem: key.publicKeyPem }],
      chown: false,
      scripts: 'none',
      logger: { info: () => undefined, debug: () => undefined, warning: (m) => warnings.push(m) }
    })
    const svc = units[1].pkg
    const list = execFileSync('tar', ['-tvf', path.join(root, 'lib/apk/db/scripts.tar')], {
      encoding: 'utf8'
    })
    expect(
      list
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/).pop())
    ).toEqual([`svc-2.0-r1.${svc.checksum}.pre-install`, `svc-2.0-r1.${svc.checksum}.post-install`])
    expect(list).toContain('-rwxr-xr-x root/root')
    expect(fs.readFileSync(path.join(root, 'lib/apk/db/triggers'), 'utf8')).toBe(
      `${svc.checksum} /usr/share/svc/* /etc/svc\n`
    )
    expect(fs.readFileSync(path.join(root, 'etc/apk/world'), 'utf8')).toBe('plain\nsvc\n')
    expect(fs.readFileSync(path.join(root, 'etc/apk/arch'), 'utf8')).toBe('aarch64\n')
    expect(fs.readFileSync(path.join(root, 'etc/apk/repositories'), 'utf8')).toBe(
      'https://example.invalid/main\n'
    )
    expect(fs.readFileSync(path.join(root, `etc/apk/keys/${key.name}`), 'utf8')).toBe(
      key.publicKeyPem
    )
    expect(result.scriptsSkipped).toEqual([
      { package: 'svc-2.0-r1', script: 'pre-install' },
      { package: 'svc-2.0-r1', script: 'post-install' }
    ])
    // Returned for the caller to report once; not logged by the installer as well.
    expect(result.warnings.join('\n')).toContain(
      'install scripts were not run (scripts: none): svc-2.0-r1 (pre-install, post-install)'
    )
    expect(warnings.join('\n')).not.toContain('install scripts were not run')
    // As apk --no-scripts: no trace of running scripts.
    expect(fs.existsSync(path.join(root, 'lib/apk/exec'))).toBe(false)
  })

  it('writes r:, q: and s: lines, carrying them to the next stanza like apk 2.14 when a package has no folders', async () => {
    const a = unitOf(
      synthetic('aaa', '1.0-r0', {
        replaces: ['old'],
        replacesPriority: 5,
        files: [],
        installedSize: 1,
        scripts: { 'post-install': 'x' }
      })
    )
    const b = unitOf(synthetic('bbb', '1.0-r0', { replaces: ['older'] }))
    const root = path.join(work, 'root')
    await installPackages(root, [a, b], {
      arch: 'x86_64',
      world: [parseDependency('aaa'), parseDependency('bbb@edge')],
      repositories: [],
      tags: new Map([[b.pkg, 'edge']]),
      chown: false
    })
    const installed = fs.readFileSync(path.join(root, 'lib/apk/db/installed'), 'utf8')
    expect(stanza(installed, 'aaa')).not.toMatch(/^[rq]:/m)
    expect(stanza(installed, 'bbb')).toMatch(/\nr:old\nq:5\nr:older\ns:edge\nF:usr\n/)
    expect(fs.readFileSync(path.join(root, 'etc/apk/world'), 'utf8')).toBe('aaa\nbbb@edge\n')
  })
})

describe('file conflicts (apk-format.md §5.8)', () => {
  const same = (name: string, extra: Partial<ApkSpec> = {}) =>
    synthetic(name, '1.0-r0', {
      origin: name,
      files: [{ path: 'usr/bin/tool', content: name, mode: 0o755 }],
      ...extra
    })

  it('refuses two packages with the same file and writes nothing', async () => {
    const root = path.join(work, 'root')
    await expect(install([same('one'), same('two')], root)).rejects.toThrow(
      /two-1\.0-r0: trying to overwrite \/usr\/bin\/tool owned by one-1\.0-r0/
    )
    expect(fs.existsSync(root)).toBe(false)
  })

  it('lets `replaces` take the file over, and the old owner keeps its folder line', async () => {
    const { root, installed } = await install([same('one'), same('two', { replaces: ['one'] })])
    expect(fs.readFileSync(path.join(root, 'usr/bin/tool'), 'utf8')).toBe('two')
    expect(stanza(installed, 'one')).toMatch(/F:usr\/bin(\n|$)/)
    expect(stanza(installed, 'one')).not.toContain('R:tool')
    expect(stanza(installed, 'two')).toContain('R:tool')
  })

  it('lists a file a package ships twice once, with its last content', async () => {
    const twice = synthetic('twice', '1.0-r0', {
      keepOrder: true,
      files: [
        { path: 'usr', type: 'dir' },
        { path: 'usr/bin', type: 'dir' },
        { path: 'usr/bin/tool', content: 'first', mode: 0o755 },
        { path: 'usr/bin/other', content: 'other', mode: 0o755 },
        { path: 'usr/bin/tool', content: 'second', mode: 0o755 }
      ]
    })
    const { root, installed } = await install([twice])
    expect(fs.readFileSync(path.join(root, 'usr/bin/tool'), 'utf8')).toBe('second')
    expect(stanza(installed, 'twice').match(/^R:.*$/gm)).toEqual(['R:other', 'R:tool'])
  })

  it('keeps the old owner when its replaces_priority is higher', async () => {
    const { root, installed } = await install([
      same('one', { replaces: ['two'], replacesPriority: 10 }),
      same('two', { replaces: ['one'], replacesPriority: 1 })
    ])
    expect(fs.readFileSync(path.join(root, 'usr/bin/tool'), 'utf8')).toBe('one')
    expect(stanza(installed, 'two')).not.toContain('R:tool')
  })

  it('lets a package of the same origin overwrite silently', async () => {
    const { root } = await install([same('one', { origin: 'src' }), same('two', { origin: 'src' })])
    expect(fs.readFileSync(path.join(root, 'usr/bin/tool'), 'utf8')).toBe('two')
  })

  it('refuses a file where another package has a folder', async () => {
    const a = synthetic('a', '1.0-r0', { files: [{ path: 'opt/thing', type: 'dir' }] })
    const b = synthetic('b', '1.0-r0', { files: [{ path: 'opt/thing', content: 'x' }] })
    await expect(install([a, b])).rejects.toThrow(
      /b-1\.0-r0: \/opt\/thing is a file, but \/opt\/thing is a folder of a-1\.0-r0/
    )
  })
})

describe('never writing outside the root', () => {
  let sentinelDir: string
  let root: string
  beforeEach(() => {
    // The root sits two folders down, so `../..` from inside it reaches `work`.
    sentinelDir = path.join(work, 'outside')
    fs.mkdirSync(sentinelDir)
    fs.writeFileSync(path.join(sentinelDir, 'shadow'), 'sentinel')
    root = path.join(work, 'a', 'root')
  })

  function untouched(): void {
    expect(fs.readdirSync(sentinelDir)).toEqual(['shadow'])
    expect(fs.readFileSync(path.join(sentinelDir, 'shadow'), 'utf8')).toBe('sentinel')
    expect(fs.existsSync(root)).toBe(false)
    expect(fs.readdirSync(work).sort()).toEqual(['outside'])
  }

  const attacks: [string, FileSpec[], RegExp][] = [
    [
      'an absolute path',
      [{ path: `${'/'}outside/pwned`, content: 'x', rawName: true }],
      /absolute path/
    ],
    ['a `../` path', [{ path: '../../outside/pwned', content: 'x', rawName: true }], /climbs out/],
    [
      'a `..` inside a path',
      [{ path: 'usr/../../../outside/pwned', content: 'x', rawName: true }],
      /climbs out/
    ],
    [
      'a control character',
      [{ path: 'usr/bin/a\nb', content: 'x', rawName: true }],
      /control character/
    ],
    [
      'a symlink to above the root, then a file through it',
      [
        { path: 'escape', type: 'symlink', target: '../../outside', rawName: true },
        { path: 'escape/pwned', content: 'x', rawName: true }
      ],
      /symlink that points above the root/
    ],
    [
      'a symlink folder to above the root, then a folder through it',
      [
        { path: 'usr', type: 'dir', rawName: true },
        { path: 'usr/up', type: 'symlink', target: '../../..', rawName: true },
        { path: 'usr/up/outside', type: 'dir', rawName: true }
      ],
      /symlink that points above the root/
    ],
    [
      'a hard link to a file above the root',
      [{ path: 'stolen', type: 'hardlink', target: '../../outside/shadow', rawName: true }],
      /hard link \/stolen points at '\.\.\/\.\.\/outside\/shadow'/
    ],
    [
      'a hard link to an absolute path',
      [{ path: 'stolen', type: 'hardlink', target: '/etc/shadow', rawName: true }],
      /hard link \/stolen points at .*absolute path/
    ]
  ]

  it.each(attacks)('refuses %s, writing nothing', async (_label, files, message) => {
    const evil = synthetic('evil', '1.0-r0', { files })
    await expect(install([evil], root)).rejects.toMatchObject({ code: 'PATH_ESCAPE' })
    await expect(install([evil], root)).rejects.toThrow(message)
    untouched()
  })

  it('refuses a symlink from an earlier package used as a way out by a later one', async () => {
    const first = synthetic('first', '1.0-r0', {
      files: [{ path: 'data', type: 'symlink', target: '/../../../outside' }]
    })
    const second = synthetic('second', '1.0-r0', {
      files: [
        { path: 'data', type: 'dir', rawName: true },
        { path: 'data/pwned', content: 'x', rawName: true }
      ]
    })
    await expect(install([first, second], root)).rejects.toThrow(
      /second-1\.0-r0: \/data goes through a symlink that points above the root/
    )
    untouched()
  })

  it('refuses device nodes and FIFOs', async () => {
    const dev = synthetic('dev', '1.0-r0', {
      files: [
        { path: 'dev', type: 'dir' },
        { path: 'dev/null', type: 'chardev', devmajor: 1, devminor: 3 }
      ]
    })
    await expect(install([dev], root)).rejects.toMatchObject({ code: 'UNSUPPORTED_ENTRY' })
    await expect(install([dev], root)).rejects.toThrow(/dev-1\.0-r0: \/dev\/null is a device node/)
    const fifo = synthetic('fifo', '1.0-r0', { files: [{ path: 'run/pipe', type: 'fifo' }] })
    await expect(install([fifo], root)).rejects.toThrow(/\/run\/pipe is a FIFO/)
    untouched()
  })

  // A package's folder entry once set the root's own mode and owner this way.
  it('leaves the root as it is when a folder entry reaches it through a symlink to /', async () => {
    fs.mkdirSync(root, { recursive: true, mode: 0o755 })
    fs.chmodSync(root, 0o755)
    const uid = process.getuid?.() ?? 0
    const gid = process.getgid?.() ?? 0
    const rootLink = synthetic('rootlink', '1.0-r0', {
      keepOrder: true,
      files: [
        { path: 'x', type: 'symlink', target: '/' },
        { path: 'x', type: 'dir', mode: 0o7777, uid: 1234, gid: 1234, rawName: true },
        { path: 'x/etc', type: 'dir', mode: 0o700, rawName: true }
      ]
    })
    const units = [rootLink].map(unitOf)
    const result = await installPackages(root, units, {
      arch: 'x86_64',
      world: [parseDependency('rootlink')],
      repositories: [],
      chown: uid === 0
    })
    const stat = fs.statSync(root)
    expect([stat.mode & 0o7777, stat.uid, stat.gid]).toEqual([0o755, uid, gid])
    expect(result.tree.has('')).toBe(false)
    // What lies below it still lands, inside the root.
    expect(fs.lstatSync(path.join(root, 'etc')).isDirectory()).toBe(true)
    expect(fs.readlinkSync(path.join(root, 'x'))).toBe('/')
    expect(fs.readdirSync(sentinelDir)).toEqual(['shadow'])
  })

  it('refuses a root that is not empty', async () => {
    fs.mkdirSync(root, { recursive: true })
    fs.writeFileSync(path.join(root, 'keep'), 'k')
    await expect(install([synthetic('x')], root)).rejects.toThrow(/is not empty/)
    expect(fs.readdirSync(root)).toEqual(['keep'])
  })
})

describe('installing while packages still arrive (RootInstaller, InstallQueue)', () => {
  const specs = [
    synthetic('base', '1.0-r0', {
      files: [{ path: 'usr/bin/tool', content: 'base', mode: 0o755 }]
    }),
    synthetic('mid', '1.0-r0'),
    synthetic('top', '1.0-r0', {
      replaces: ['base'],
      files: [{ path: 'usr/bin/tool', content: 'top', mode: 0o755 }]
    })
  ]
  const options = {
    arch: 'x86_64',
    world: [parseDependency('top')],
    repositories: [],
    chown: false
  }

  it('installs in install order whatever order the files come in, as installPackages does', async () => {
    const units = specs.map(unitOf)
    const reference = path.join(work, 'reference')
    await installPackages(reference, units, options)
    const root = path.join(work, 'queued')
    const installer = await RootInstaller.begin(root, options)
    const queue = new InstallQueue(
      installer,
      units.map((u) => u.pkg)
    )
    for (const unit of [...units].reverse()) queue.ready(unit.pkg, unit.file as ApkPackageFile)
    await queue.done()
    await installer.finish()
    const db = (r: string) => fs.readFileSync(path.join(r, 'lib/apk/db/installed'), 'utf8')
    expect(db(root)).toBe(db(reference))
    expect(fs.readFileSync(path.join(root, 'usr/bin/tool'), 'utf8')).toBe('top')
  })

  it('reports a package that never arrived', async () => {
    const units = specs.map(unitOf)
    const installer = await RootInstaller.begin(path.join(work, 'r'), options)
    const queue = new InstallQueue(
      installer,
      units.map((u) => u.pkg)
    )
    queue.ready(units[0].pkg, units[0].file as ApkPackageFile)
    await expect(queue.done()).rejects.toThrow(/mid-1\.0-r0: its package file never arrived/)
  })

  it('fails on the first bad package, and abort() leaves no root behind', async () => {
    const clash = synthetic('clash', '1.0-r0', {
      files: [{ path: 'usr/bin/tool', content: 'clash' }]
    })
    const units = [specs[0], specs[1], clash].map(unitOf)
    const root = path.join(work, 'deep', 'root')
    const installer = await RootInstaller.begin(root, options)
    const queue = new InstallQueue(
      installer,
      units.map((u) => u.pkg)
    )
    units.forEach((u) => queue.ready(u.pkg, u.file as ApkPackageFile))
    await expect(queue.done()).rejects.toThrow(/clash-1\.0-r0: trying to overwrite/)
    expect(fs.readFileSync(path.join(root, 'usr/bin/tool'), 'utf8')).toBe('base')
    await queue.settled()
    await installer.abort()
    expect(fs.readdirSync(work)).toEqual([])
  })
})

describe('the memory window: downloads wait while verified packages wait to be installed', () => {
  const options = { arch: 'x86_64', world: [], repositories: [], chown: false }
  /** Lets every promise that can settle settle. */
  const settle = () => new Promise((resolve) => setImmediate(resolve))

  function tracked(promise: Promise<void>): { done: boolean; error?: unknown } {
    const state: { done: boolean; error?: unknown } = { done: false }
    promise.then(
      () => (state.done = true),
      (error: unknown) => (state.error = error)
    )
    return state
  }

  it('admits in install order while packages fit, and the next once one is installed', async () => {
    const units = ['one', 'two', 'three'].map((name) => unitOf(synthetic(name)))
    const installer = await RootInstaller.begin(path.join(work, 'root'), options)
    // Room for the first two packages, not the third.
    const window = memoryWeight(units[0].pkg) + memoryWeight(units[1].pkg)
    const queue = new InstallQueue(
      installer,
      units.map((u) => u.pkg),
      window
    )
    const admitted = units.map((u) => tracked(queue.admit(u.pkg)))
    await settle()
    expect(admitted.map((a) => a.done)).toEqual([true, true, false])
    // The second is verified first: it waits for the first, and frees nothing yet.
    queue.ready(units[1].pkg, units[1].file as ApkPackageFile)
    await settle()
    expect(admitted[2].done).toBe(false)
    queue.ready(units[0].pkg, units[0].file as ApkPackageFile)
    await settle()
    expect(admitted[2].done).toBe(true)
    queue.ready(units[2].pkg, units[2].file as ApkPackageFile)
    await queue.done()
    await installer.finish()
    expect(fs.readFileSync(path.join(work, 'root/usr/share/three/VERSION'), 'utf8')).toBe(
      'three 1.0-r0\n'
    )
  })

  it('admits a package heavier than the whole window once nothing else is held', async () => {
    const units = ['small', 'large'].map((name) => unitOf(synthetic(name)))
    const installer = await RootInstaller.begin(path.join(work, 'root'), options)
    const queue = new InstallQueue(
      installer,
      units.map((u) => u.pkg),
      1
    )
    const admitted = units.map((u) => tracked(queue.admit(u.pkg)))
    await settle()
    expect(admitted.map((a) => a.done)).toEqual([true, false])
    queue.ready(units[0].pkg, units[0].file as ApkPackageFile)
    await settle()
    expect(admitted[1].done).toBe(true)
  })

  it('fails the waiting admissions with the install failure, and a cancelled one with its reason', async () => {
    const first = unitOf(synthetic('first', '1.0-r0', { files: [{ path: 'x', content: 'a' }] }))
    const clash = unitOf(synthetic('clash', '1.0-r0', { files: [{ path: 'x', content: 'b' }] }))
    const later = unitOf(synthetic('later'))
    const last = unitOf(synthetic('last'))
    const installer = await RootInstaller.begin(path.join(work, 'root'), options)
    const queue = new InstallQueue(installer, [first.pkg, clash.pkg, later.pkg, last.pkg], 1)
    await queue.admit(first.pkg)
    const cancel = new AbortController()
    const cancelled = tracked(queue.admit(clash.pkg, cancel.signal))
    const waiting = [later, last].map((u) => tracked(queue.admit(u.pkg)))
    cancel.abort(new Error('stopped'))
    await settle()
    expect((cancelled.error as Error).message).toBe('stopped')
    queue.ready(first.pkg, first.file as ApkPackageFile)
    queue.ready(clash.pkg, clash.file as ApkPackageFile)
    await expect(queue.done()).rejects.toThrow(/clash-1\.0-r0: trying to overwrite \/x/)
    await settle()
    // `later` got the room `first` left; `last` still waited when the install failed.
    expect(waiting[0].done).toBe(true)
    expect((waiting[1].error as Error).message).toMatch(/clash-1\.0-r0: trying to overwrite/)
    await expect(queue.admit(last.pkg)).rejects.toThrow(/trying to overwrite/)
    await queue.settled()
    await installer.abort()
  })

  it('weighs a package by its file and what it inflates to in memory, a streamed one by its share', () => {
    const pkg = unitOf(synthetic('w')).pkg
    // Its installed size and a little slack (tar headers); a package whose data needs more is
    // streamed, the rest of its files staged (apk-tar-stream.test.ts).
    expect(memoryWeight({ ...pkg, size: 1000, installedSize: 5000 })).toBe(6000 + 256 * 1024)
    // A streamed package holds at most its in-memory share, however much it installs.
    const streamed = Math.min(MEMORY_WINDOW, 1000 + STREAM_INLINE_TOTAL)
    expect(memoryWeight({ ...pkg, size: 1000, installedSize: STREAM_ABOVE + 1 })).toBe(streamed)
    expect(memoryWeight({ ...pkg, size: 1000, installedSize: 2 ** 40 })).toBe(streamed)
    expect(memoryWeight({ ...pkg, size: 2 * MEMORY_WINDOW, installedSize: 1 })).toBe(MEMORY_WINDOW)
  })
})
