/**
 * Real Alpine 3.19.1 packages (../shared/fixtures/real-alpine), installed natively and compared
 * with what apk-tools 2.14.10 left: with `--no-scripts` (expected-apk2/, five worlds) and with
 * the install scripts run by busybox's /bin/sh in a chroot (expected-scripts/). The index and
 * every package verify against Alpine's own keys; nothing is allowed untrusted. Each world is
 * installed once per mode, in beforeAll.
 */
import { execFileSync } from 'node:child_process'
import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {
  installResolution,
  installSources,
  openRepositories,
  providersOf,
  resolveWorld,
  type EngineInstallResult,
  type EngineOptions,
  type OpenRepositories
} from '../src/apk/engine.js'
import { graphOf } from '../src/apk/solver/graph.js'
import { silentLogger } from '../src/apk/types.js'
import { collectUnreachable } from './support/collect.js'
import { haveShared, FIXTURES, SHARED } from './support/shared.js'

const REAL = path.join(FIXTURES, 'real-alpine')
const sharedHere = haveShared('fixtures/real-alpine')
const REPO = path.join(REAL, 'v3.19.1')
const KEYS = path.join(SHARED, 'alpine-keys')
const SIGNER = 'alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub'
const EPOCH = 1700000000
const isRoot = process.getuid?.() === 0

const APK2_WORLDS = [
  'alpine-base',
  'alpine-baselayout-data+musl+ca-certificates-bundle+tzdata',
  'busybox',
  'chrony',
  'openssh'
]
const SCRIPT_WORLDS = ['alpine-baselayout-data+chrony', 'busybox']
/** What the Alpine 3.19 bbsuid binary links to itself (`strings bin/bbsuid`). */
const BBSUID_APPLETS = [
  'bin/mount',
  'bin/umount',
  'bin/su',
  'usr/bin/crontab',
  'usr/bin/passwd',
  'usr/bin/traceroute',
  'usr/bin/traceroute6',
  'usr/bin/vlock'
]

let work: string
let repos: OpenRepositories
let roots = 0

function engineOptions(scripts: 'native' | 'none'): EngineOptions {
  return {
    arch: 'x86_64',
    repositories: [REPO],
    keyDirs: [KEYS],
    fetchAlpineKeys: false,
    sourceDateEpoch: EPOCH,
    scripts,
    logger: silentLogger
  }
}

async function installWorld(
  world: string,
  scripts: 'native' | 'none'
): Promise<{ root: string; result: EngineInstallResult }> {
  const root = path.join(work, `${++roots}-${scripts}-${world}`)
  const resolution = resolveWorld(repos, world.split('+'))
  const result = await installResolution(root, repos, resolution, engineOptions(scripts))
  return { root, result }
}

/**
 * The tree as the fixtures list it (`find -printf '%y %m %U %G %p\t%l'`), without what
 * apk-tools' own --initdb adds (dev/, proc, var/cache, the db lock) and without etc/apk/keys,
 * where witchery puts the key that signed the index (checked on its own).
 */
function listing(root: string): string[] {
  const out = execFileSync('find', ['.', '-mindepth', '1', '-printf', '%y %m %U %G %p\t%l\n'], {
    cwd: root,
    encoding: 'utf8'
  })
  return out
    .split('\n')
    .filter((line) => line !== '' && !excluded(line.split(' ')[4].split('\t')[0]))
    .sort()
}

function excluded(p: string): boolean {
  if (p === './etc/apk/keys' || p === `./etc/apk/keys/${SIGNER}`) return true
  return /^\.\/(dev|proc|var\/cache)(\/|$)/.test(p) || p === './lib/apk/db/lock'
}

function expectedListing(file: string): string[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !excluded(line.split(' ')[4].split('\t')[0]))
    .sort()
}

/** The same listing from the installer's own record (what the image layer is made of). */
function treeListing(result: EngineInstallResult): string[] {
  const letter = { directory: 'd', file: 'f', hardlink: 'f', symlink: 'l' } as const
  return [...result.tree.entries()]
    .filter(([rel]) => !excluded(`./${rel}`))
    .map(
      ([rel, m]) =>
        `${letter[m.type as keyof typeof letter]} ${m.mode.toString(8)} ${m.uid} ${m.gid} ./${rel}\t${m.type === 'symlink' ? m.linkname : ''}`
    )
    .sort()
}

function sha256s(root: string): string[] {
  const out = execFileSync('find', ['.', '-type', 'f', '-printf', '%p\n'], {
    cwd: root,
    encoding: 'utf8'
  })
  return out
    .split('\n')
    .filter((p) => p !== '' && !excluded(p))
    .map((p) => {
      const digest = crypto.createHash('sha256').update(fs.readFileSync(path.join(root, p)))
      return `${digest.digest('hex')}  ${p}`
    })
    .sort()
}

function read(file: string): string {
  return fs.readFileSync(file, 'latin1')
}

;(sharedHere ? describe : describe.skip)('real Alpine 3.19.1 packages', () => {
  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-real-alpine-'))
    repos = await openRepositories(engineOptions('none'))
  })

  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true })
  })

  it('verifies the release index with Alpine’s key', () => {
    expect(repos.indexes[0].signer).toBe(SIGNER)
    expect(repos.indexes[0].description).toBe('3.19.1')
    expect(repos.packages).toHaveLength(100)
  })

  it('keeps no index in what an install needs: the tables and graph go with the repositories', async () => {
    let opened: OpenRepositories | undefined = await openRepositories(engineOptions('none'))
    const names = resolveWorld(opened, ['busybox', 'ssl_client']).packages.map((p) => p.name)
    expect(names).toContain('ssl_client')
    const table = new WeakRef(opened.tables[0])
    const graph = new WeakRef(graphOf(opened.tables, opened.repositories, opened.arch))
    const sources = installSources(opened)
    opened = undefined
    // A full collection finds nothing else holding them.
    expect(await collectUnreachable()).toBe(true)
    expect(table.deref()).toBeUndefined()
    expect(graph.deref()).toBeUndefined()
    expect(sources.indexes).toEqual([{ signer: SIGNER }])
    expect(sources.arch).toBe('x86_64')
    // The shared repositories still answer as before.
    expect(providersOf(repos, '/bin/sh').map((p) => p.name)).toEqual(['busybox-binsh'])
  })

  describe.each(APK2_WORLDS)('world %s, as apk --no-scripts', (world) => {
    const expected = path.join(REAL, 'expected-apk2', world)
    let root: string
    let result: EngineInstallResult

    beforeAll(async () => {
      ;({ root, result } = await installWorld(world, 'none'))
    })

    it('writes installed, world, scripts.tar and triggers byte for byte', () => {
      for (const [ours, theirs] of [
        ['lib/apk/db/installed', 'installed'],
        ['etc/apk/world', 'world'],
        ['lib/apk/db/scripts.tar', 'scripts.tar'],
        ['lib/apk/db/triggers', 'triggers']
      ]) {
        expect({ file: ours, text: read(path.join(root, ours)) }).toEqual({
          file: ours,
          text: read(path.join(expected, theirs))
        })
      }
    })

    it('lays out the same tree with the same file contents', () => {
      const theirs = expectedListing(path.join(expected, 'tree.txt'))
      expect(treeListing(result)).toEqual(theirs)
      if (isRoot) expect(listing(root)).toEqual(theirs)
      const sums = fs
        .readFileSync(path.join(expected, 'sha256.txt'), 'utf8')
        .split('\n')
        .filter((l) => l !== '' && !excluded(l.split('  ')[1]))
        .sort()
      expect(sha256s(root)).toEqual(sums)
    })

    it('adds only the key that signed the index to etc/apk/keys', () => {
      const keys = fs.readdirSync(path.join(root, 'etc/apk/keys'))
      const shipped = keys.filter((k) => result.tree.get(`etc/apk/keys/${k}`)?.owner)
      expect(keys.filter((k) => !shipped.includes(k))).toEqual(
        shipped.includes(SIGNER) ? [] : [SIGNER]
      )
      expect(fs.readFileSync(path.join(root, 'etc/apk/keys', SIGNER))).toEqual(
        fs.readFileSync(path.join(KEYS, SIGNER))
      )
    })

    it('reports each script it did not run, whole, and runs none of them', () => {
      const carriers = result.installed.filter((p) =>
        /^(busybox|alpine-baselayout|chrony|openrc)$/.test(p.name)
      )
      expect(new Set(result.scriptsSkipped.map((s) => s.package.replace(/-\d.*$/, '')))).toEqual(
        new Set(carriers.map((p) => p.name))
      )
      expect(result.scriptsSkipped.every((s) => s.command === undefined)).toBe(true)
    })
  })

  describe.each(SCRIPT_WORLDS)('world %s, with install scripts applied natively', (world) => {
    const expected = path.join(REAL, 'expected-scripts', world)
    let root: string
    let result: EngineInstallResult

    beforeAll(async () => {
      ;({ root, result } = await installWorld(world, 'native'))
    })

    it('lays out the tree apk-tools left after running the scripts', () => {
      const theirs = expectedListing(path.join(expected, 'tree.txt'))
      expect(treeListing(result)).toEqual(theirs)
      if (isRoot) expect(listing(root)).toEqual(theirs)
    })

    it('makes the same busybox applet links', () => {
      const ours = execFileSync('find', ['.', '-lname', '/bin/busybox'], {
        cwd: root,
        encoding: 'utf8'
      })
      expect(ours.split('\n').filter(Boolean).sort()).toEqual(
        fs
          .readFileSync(path.join(expected, 'busybox-links.txt'), 'utf8')
          .split('\n')
          .filter(Boolean)
          .sort()
      )
    })

    it('writes passwd, group and shadow as busybox adduser/addgroup did', () => {
      const files = ['passwd', 'group'].filter((f) => fs.existsSync(path.join(expected, f)))
      for (const file of files) {
        expect({ file, text: read(path.join(root, 'etc', file)) }).toEqual({
          file,
          text: read(path.join(expected, file))
        })
      }
      if (fs.existsSync(path.join(expected, 'shadow-names'))) {
        const shadow = read(path.join(root, 'etc/shadow')).split('\n').filter(Boolean)
        expect(shadow.map((l) => l.split(':').slice(0, 2).join(':')).join('\n') + '\n').toBe(
          read(path.join(expected, 'shadow-names'))
        )
        // busybox dates the new line today; witchery uses the build epoch, so builds repeat.
        expect(shadow.at(-1)).toBe(`chrony:!:${Math.floor(EPOCH / 86400)}:0:99999:7:::`)
      }
    })

    it('runs every script command it met, so nothing is reported', () => {
      expect(result.scriptsSkipped).toEqual([])
    })
  })

  describe.each(APK2_WORLDS)('world %s, with install scripts applied natively', (world) => {
    const expected = path.join(REAL, 'expected-apk2', world)
    let root: string
    let result: EngineInstallResult

    beforeAll(async () => {
      ;({ root, result } = await installWorld(world, 'native'))
    })

    it('keeps the database byte for byte (no script failed)', () => {
      for (const [ours, theirs] of [
        ['lib/apk/db/installed', 'installed'],
        ['lib/apk/db/scripts.tar', 'scripts.tar'],
        ['lib/apk/db/triggers', 'triggers']
      ]) {
        expect(read(path.join(root, ours))).toBe(read(path.join(expected, theirs)))
      }
    })

    it('adds only what the scripts leave: applet links, folders for them, lib/apk/exec', () => {
      const without = expectedListing(path.join(expected, 'tree.txt'))
      const ours = treeListing(result)
      // apk-tools' package ships lib/apk/exec 0755; the scripts before it made it 0700 already,
      // and apk never re-chmods a folder that was there first.
      const execDir = 'd 755 0 0 ./lib/apk/exec\t'
      expect(without.filter((line) => !ours.includes(line))).toEqual(
        without.includes(execDir) ? [execDir] : []
      )
      const paths = new Set(without.map((l) => l.split(' ')[4].split('\t')[0]))
      const hasBusybox = paths.has('./bin/busybox')
      const extra: string[] = []
      if (hasBusybox) {
        extra.push('d 700 0 0 ./lib/apk/exec\t')
        for (const dir of ['bin', 'sbin', 'usr/bin', 'usr/sbin']) {
          if (!paths.has(`./${dir}`)) extra.push(`d 755 0 0 ./${dir}\t`)
        }
        const applets = fs
          .readFileSync(path.join(root, 'etc/busybox-paths.d/busybox'), 'utf8')
          .split('\n')
          .filter(Boolean)
        const suid = paths.has('./bin/bbsuid')
        for (const applet of applets) {
          if (paths.has(`./${applet}`)) continue
          const target = suid && BBSUID_APPLETS.includes(applet) ? '/bin/bbsuid' : '/bin/busybox'
          extra.push(`l 777 0 0 ./${applet}\t${target}`)
        }
      }
      expect(ours.filter((line) => !without.includes(line))).toEqual(extra.sort())
      if (isRoot) expect(listing(root)).toEqual(ours)
    })

    it('makes no account where busybox adduser would fail (no /etc/passwd in the root)', () => {
      if (world !== 'chrony') return
      // chrony's pre-install ran (busybox was there), but without alpine-baselayout-data's
      // passwd and group its addgroup and adduser fail, as under apk-tools.
      expect(fs.existsSync(path.join(root, 'etc/passwd'))).toBe(false)
      expect(fs.existsSync(path.join(root, 'etc/group'))).toBe(false)
      expect(result.scriptsSkipped).toEqual([])
    })

    it('lists each command outside the known idioms, by package and script', () => {
      const listed = result.scriptsSkipped.map((s) => `${s.package}.${s.script}: ${s.command}`)
      if (world !== 'alpine-base') {
        expect(listed).toEqual([])
        return
      }
      // alpine-baselayout's post-install and openrc's are not account or busybox idioms.
      expect(listed).toContain(
        'alpine-baselayout-3.4.3-r2.post-install: chown root:shadow /etc/shadow'
      )
      expect(listed).toContain('alpine-baselayout-3.4.3-r2.post-install: chmod 640 /etc/shadow')
      expect(listed).toContain(
        'alpine-baselayout-3.4.3-r2.post-install: if [ -x /sbin/rc ] && [ "$( /sbin/rc --sys )" = "VSERVER" ]; then …'
      )
      expect(new Set(result.scriptsSkipped.map((s) => `${s.package}.${s.script}`))).toEqual(
        new Set(['alpine-baselayout-3.4.3-r2.post-install', 'openrc-0.52.1-r2.post-install'])
      )
      // alpine-baselayout's pre-install (addgroup -S -g 42 shadow) is an idiom: it ran, and
      // failed as in busybox, the group being there already, so the files are untouched.
      expect(fs.existsSync(path.join(root, 'etc/group-'))).toBe(false)
    })
  })
})
