/**
 * Install scripts applied without a shell, on real signed packages built by the test helpers:
 * a small "busybox" (any file at bin/busybox stands for it; its applets are listed in
 * etc/busybox-paths.d/busybox as Alpine's package lists them), a base layout with passwd, group
 * and shadow, and packages whose scripts use busybox's account idioms, or anything else.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { parseDependency } from '../src/apk/formats/dependency.js'
import { readApkPackage, readApkPackageAsync } from '../src/apk/formats/package-file.js'
import type { InstallUnit } from '../src/apk/install/plan.js'
import { installPackages } from '../src/apk/install/root-installer.js'
import type { ScriptsMode } from '../src/apk/install/scripts-native.js'
import type { RepoPackage } from '../src/apk/types.js'
import { buildApk, type ApkSpec, type FileSpec } from './support/apk-builder.js'
import { generateSigningKey } from './support/keys.js'
import { synthetic } from './support/packages.js'

const key = generateSigningKey()
const EPOCH = 1700000000
const DAY = Math.floor(EPOCH / 86400)
let work: string
let roots = 0

beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-scripts-'))
})
afterEach(() => {
  fs.rmSync(work, { recursive: true, force: true })
})

const APPLETS = [
  'bin/sh',
  'bin/mkdir',
  'bin/sed',
  'usr/sbin/addgroup',
  'usr/sbin/adduser',
  'usr/bin/wget',
  'sbin/nologin'
]

/** A stand-in busybox: the binary, its applet list, and a post-install that links them. */
function busybox(extra: Partial<ApkSpec> = {}): ApkSpec {
  return synthetic('busybox', '1.36.1-r15', {
    files: [
      { path: 'bin/busybox', content: 'not really busybox\n', mode: 0o755 },
      { path: 'etc/busybox-paths.d/busybox', content: APPLETS.join('\n') + '\n' }
    ],
    scripts: {
      'post-install':
        '#!/bin/busybox sh\n\n# links first\n/bin/busybox mkdir -p "/bin" "/sbin" "/usr/bin" "/usr/sbin"\nexec /bin/busybox --install -s\n'
    },
    ...extra
  })
}

const PASSWD =
  'root:x:0:0:root:/root:/bin/ash\nbin:x:1:1:bin:/bin:/sbin/nologin\n' +
  'svc100:x:100:100:taken:/:/sbin/nologin\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n'
const GROUP =
  'root:x:0:root\nwheel:x:10:root\nshadow:x:42:\nusers:x:100:games\n' +
  'nogroup:x:65533:\nnobody:x:65534:\n'
const SHADOW = 'root:*::0:::::\nnobody:!::0:::::\n'

function baselayout(): ApkSpec {
  return synthetic('alpine-baselayout-data', '3.4.3-r2', {
    files: [
      { path: 'etc/passwd', content: PASSWD },
      { path: 'etc/group', content: GROUP },
      { path: 'etc/shadow', content: SHADOW, mode: 0o640, gid: 42, gname: 'shadow' },
      { path: 'var/lib', type: 'dir' }
    ]
  })
}

function scripted(name: string, scripts: ApkSpec['scripts'], files: FileSpec[] = []): ApkSpec {
  return synthetic(name, '1.0-r0', {
    scripts,
    files: files.length ? files : [{ path: `usr/share/${name}/README`, content: name }]
  })
}

function unitOf(spec: ApkSpec): InstallUnit {
  const apk = buildApk(spec, key)
  const pkg: RepoPackage = { ...apk.info, repository: 0 }
  return { pkg, file: readApkPackage(apk.bytes, { expected: pkg }) }
}

async function install(specs: ApkSpec[], scripts: ScriptsMode = 'native') {
  const root = path.join(work, `root${++roots}`)
  const result = await installPackages(root, specs.map(unitOf), {
    arch: 'x86_64',
    world: specs.map((s) => parseDependency(s.name)),
    repositories: [],
    chown: false,
    sourceDateEpoch: EPOCH,
    scripts
  })
  const text = (rel: string) => fs.readFileSync(path.join(root, rel), 'utf8')
  const lines = (rel: string) => text(rel).split('\n').filter(Boolean)
  const skipped = result.scriptsSkipped.map((s) => `${s.package}.${s.script}: ${s.command}`)
  return { root, result, text, lines, skipped }
}

const ACCOUNTS =
  '#!/bin/sh\n\naddgroup -S app 2>/dev/null\n' +
  'adduser -S -D -H -h /var/lib/app -s /sbin/nologin -G app -g "App user" app 2>/dev/null\n\nexit 0\n'

describe('busybox addgroup and adduser in a pre-install', () => {
  it('picks the ids busybox picks and writes passwd, group and shadow as it does', async () => {
    const { lines, text, result, skipped } = await install([
      baselayout(),
      busybox(),
      scripted('app', { 'pre-install': ACCOUNTS })
    ])
    expect(skipped).toEqual([])
    // -S: the first free id from 100; 100 is taken in group (users) and passwd (svc100).
    expect(lines('etc/group').slice(-1)).toEqual(['app:x:101:app'])
    expect(lines('etc/passwd').slice(-1)).toEqual([
      'app:x:101:101:App user:/var/lib/app:/sbin/nologin'
    ])
    expect(lines('etc/shadow').slice(-1)).toEqual([`app:!:${DAY}:0:99999:7:::`])
    // update_passwd keeps the file before its last change as FILE-, with its mode and owner.
    expect(text('etc/passwd-')).toBe(PASSWD)
    expect(text('etc/shadow-')).toBe(SHADOW)
    expect(text('etc/group-')).toBe(`${GROUP}app:x:101:\n`)
    expect(result.tree.get('etc/shadow')).toMatchObject({ mode: 0o640, uid: 0, gid: 42 })
    expect(result.tree.get('etc/shadow-')).toMatchObject({ mode: 0o640, uid: 0, gid: 42 })
    // The file stays the package's in the database, as apk records what it extracted.
    expect(result.tree.get('etc/passwd')?.owner).toBe('alpine-baselayout-data')
    expect(result.tree.get('lib/apk/exec')).toMatchObject({ type: 'directory', mode: 0o700 })
  })

  // Each command reads and rewrites the account files, and the free id was looked for through
  // every account for each id tried: 4,000 adduser lines (a 79 KB script) took 39 s.
  it('applies at most 512 account commands in an install, and reports the rest as not run', async () => {
    const lines = Array.from({ length: 600 }, (_, i) => `adduser -D -H u${i}`)
    const started = Date.now()
    const { lines: file, skipped } = await install([
      baselayout(),
      busybox(),
      scripted('many', { 'post-install': `#!/bin/sh\n${lines.join('\n')}\n` })
    ])
    expect(Date.now() - started).toBeLessThan(10000)
    const made = file('etc/passwd').filter((l) => /^u\d+:/.test(l))
    expect(made).toHaveLength(512)
    expect(made.at(-1)).toBe('u511:x:1511:1511:Linux User,,,:/home/u511:/bin/ash')
    expect(skipped).toEqual(lines.slice(512).map((l) => `many-1.0-r0.post-install: ${l}`))
  })

  it('gives a -S user without -G the nogroup group and /sbin/nologin, and a plain user its own group', async () => {
    const { lines } = await install([
      baselayout(),
      busybox(),
      scripted('two', {
        'pre-install': '#!/bin/sh\nadduser -S -D -H svc\nadduser -D -H -g Person person || true\n'
      })
    ])
    expect(lines('etc/passwd').slice(-2)).toEqual([
      'svc:x:101:65533:Linux User,,,:/home/svc:/sbin/nologin',
      // Not a system user: from 1000, gid = uid in a new group, root's shell.
      'person:x:1000:1000:Person:/home/person:/bin/ash'
    ])
    expect(lines('etc/group')).toContain('nogroup:x:65533:svc')
    expect(lines('etc/group').slice(-1)).toEqual(['person:x:1000:'])
  })

  it('fails where busybox fails: a name or gid in use changes nothing', async () => {
    const { root } = await install([
      baselayout(),
      busybox(),
      scripted('dup', {
        'pre-install':
          '#!/bin/sh\naddgroup -S -g 42 shadow 2>/dev/null\naddgroup -g 100 other\nadduser -S -D -H root\nexit 0\n'
      })
    ])
    expect(fs.readFileSync(path.join(root, 'etc/group'), 'utf8')).toBe(GROUP)
    expect(fs.readFileSync(path.join(root, 'etc/passwd'), 'utf8')).toBe(PASSWD)
    expect(fs.existsSync(path.join(root, 'etc/group-'))).toBe(false)
  })

  it('makes no account without /etc/passwd and /etc/group, as busybox cannot either', async () => {
    const { root, skipped } = await install([
      busybox(),
      scripted('app', { 'pre-install': ACCOUNTS })
    ])
    expect(fs.existsSync(path.join(root, 'etc/passwd'))).toBe(false)
    expect(fs.existsSync(path.join(root, 'etc/group'))).toBe(false)
    expect(skipped).toEqual([])
  })

  it('runs before the package’s files, so files owned by the new account get its ids', async () => {
    const { result } = await install([
      baselayout(),
      busybox(),
      scripted('app', { 'pre-install': ACCOUNTS }, [
        {
          path: 'var/lib/app',
          type: 'dir',
          mode: 0o750,
          uid: 9,
          gid: 9,
          uname: 'app',
          gname: 'app'
        },
        { path: 'var/lib/app/state', content: 's', uid: 9, gid: 9, uname: 'app', gname: 'app' }
      ])
    ])
    expect(result.tree.get('var/lib/app')).toMatchObject({ uid: 101, gid: 101, mode: 0o750 })
    expect(result.tree.get('var/lib/app/state')).toMatchObject({ uid: 101, gid: 101 })
  })

  it('makes the home 02755 and owned by the user unless -H; apk then keeps it as it found it', async () => {
    const { result, root } = await install([
      baselayout(),
      busybox(),
      scripted(
        'homed',
        {
          'pre-install':
            '#!/bin/sh\naddgroup -S homed\nadduser -S -D -h /var/lib/homed -G homed homed\nadduser -S -D -h /no/such/dir lost\n'
        },
        [{ path: 'var/lib/homed', type: 'dir', mode: 0o700 }]
      )
    ])
    expect(result.tree.get('var/lib/homed')).toMatchObject({
      type: 'directory',
      mode: 0o2755,
      uid: 101,
      gid: 101
    })
    expect(fs.statSync(path.join(root, 'var/lib/homed')).mode & 0o7777).toBe(0o2755)
    // The parent of lost's home is missing: mkdir fails, busybox says so and goes on.
    expect(result.tree.has('no')).toBe(false)
    expect(fs.readFileSync(path.join(root, 'etc/passwd'), 'utf8')).toContain('lost:x:102:')
  })

  it('expands variables set earlier in the script, in "…" too', async () => {
    const { lines, skipped } = await install([
      baselayout(),
      busybox(),
      scripted('vars', {
        'pre-install':
          '#!/bin/sh\nuser=daemonish\ngroup=$user\naddgroup -S "$group" 2>/dev/null\nadduser -S -D -H -h /var/lib/${user} -G $group $user 2>/dev/null\nexit 0\n'
      })
    ])
    expect(skipped).toEqual([])
    expect(lines('etc/passwd').slice(-1)).toEqual([
      'daemonish:x:101:101:Linux User,,,:/var/lib/daemonish:/sbin/nologin'
    ])
  })
})

describe('accounts over files a large package streamed to disk', () => {
  it('reads the staged passwd and group, and writes the new ones in their place', async () => {
    // 33 files of 1 MiB come first: past the in-memory share of a streamed package, the rest
    // of the package (its passwd, group and shadow) is staged on disk instead.
    const filler: FileSpec[] = Array.from({ length: 33 }, (_, i) => ({
      path: `aaa/filler${String(i).padStart(2, '0')}`,
      content: Buffer.alloc(1024 * 1024, i)
    }))
    const base = baselayout()
    const large = { ...base, files: [...filler, ...(base.files ?? [])] }
    const staging = path.join(work, 'staging')
    fs.mkdirSync(staging)
    const apk = buildApk(large, key)
    const pkg: RepoPackage = { ...apk.info, repository: 0 }
    const file = await readApkPackageAsync(apk.bytes, { expected: pkg, staging })
    expect(file.entries.find((e) => e.name === 'etc/passwd')?.staged).toBeDefined()
    const root = path.join(work, 'large-root')
    const app = scripted('app', { 'pre-install': ACCOUNTS })
    const result = await installPackages(root, [{ pkg, file }, unitOf(busybox()), unitOf(app)], {
      arch: 'x86_64',
      world: [parseDependency(large.name), parseDependency('busybox'), parseDependency('app')],
      repositories: [],
      chown: false,
      sourceDateEpoch: EPOCH,
      scripts: 'native'
    })
    expect(result.scriptsSkipped).toEqual([])
    const text = (rel: string) => fs.readFileSync(path.join(root, rel), 'utf8')
    expect(text('etc/passwd')).toBe(`${PASSWD}app:x:101:101:App user:/var/lib/app:/sbin/nologin\n`)
    expect(text('etc/passwd-')).toBe(PASSWD)
    expect(text('etc/group')).toBe(`${GROUP}app:x:101:app\n`)
  }, 60000)
})

describe('commands outside the idioms', () => {
  it('are not run and are listed by package and script; exit ends the script', async () => {
    const script =
      '#!/bin/sh\n' +
      'if [ ! -e /etc/app ]; then\n\taddgroup -S inside\nfi\n' +
      'addgroup -S a; addgroup -S b\n' +
      'echo hello > /etc/motd\n' +
      'sed -i s/a/b/ /etc/passwd\n' +
      'adduser -S -D -H $UNKNOWN\n' +
      'missing-tool --now\n' +
      'exit 0\n' +
      'addgroup -S after\n'
    const { text, skipped, result } = await install([
      baselayout(),
      busybox(),
      scripted('odd', { 'post-install': script })
    ])
    expect(skipped).toEqual([
      'odd-1.0-r0.post-install: if [ ! -e /etc/app ]; then …',
      'odd-1.0-r0.post-install: addgroup -S a; addgroup -S b',
      'odd-1.0-r0.post-install: echo hello > /etc/motd',
      'odd-1.0-r0.post-install: sed -i s/a/b/ /etc/passwd',
      'odd-1.0-r0.post-install: adduser -S -D -H $UNKNOWN'
      // missing-tool is not in the root: under apk-tools the shell says "not found" too.
    ])
    expect(text('etc/group')).toBe(GROUP)
    expect(result.warnings.join('\n')).toContain(
      'install script commands not run (no shell; only account and busybox idioms are applied): odd-1.0-r0.post-install: if [ ! -e /etc/app ]; then …'
    )
  })

  it('are all of a script whose shell is not in the root yet, as apk-tools could not run it', async () => {
    const { skipped, root } = await install([
      baselayout(),
      scripted('early', { 'pre-install': ACCOUNTS }),
      busybox()
    ])
    expect(skipped).toEqual([
      'early-1.0-r0.pre-install: #!/bin/sh (no busybox shell in the root yet, so apk-tools could not run it either)'
    ])
    expect(fs.readFileSync(path.join(root, 'etc/passwd'), 'utf8')).toBe(PASSWD)
  })

  it('are everything with scripts: none, as apk --no-scripts', async () => {
    const { result, root } = await install(
      [baselayout(), busybox(), scripted('app', { 'pre-install': ACCOUNTS })],
      'none'
    )
    expect(result.scriptsSkipped).toEqual([
      { package: 'busybox-1.36.1-r15', script: 'post-install' },
      { package: 'app-1.0-r0', script: 'pre-install' }
    ])
    expect(fs.readFileSync(path.join(root, 'etc/passwd'), 'utf8')).toBe(PASSWD)
    expect(fs.existsSync(path.join(root, 'usr/sbin/adduser'))).toBe(false)
    expect(fs.existsSync(path.join(root, 'lib/apk/exec'))).toBe(false)
  })
})

describe('busybox --install -s', () => {
  it('links every listed applet not already there, and leaves lib/apk/exec 0700', async () => {
    const wget = synthetic('wget', '1.21-r0', {
      files: [{ path: 'usr/bin/wget', content: 'real wget', mode: 0o755 }]
    })
    const binsh = synthetic('busybox-binsh', '1.36.1-r15', {
      files: [{ path: 'bin/sh', type: 'symlink', target: '/bin/busybox' }]
    })
    const { root, result } = await install([wget, busybox(), binsh])
    const links = APPLETS.filter((a) => a !== 'usr/bin/wget')
    for (const applet of links) {
      expect(fs.readlinkSync(path.join(root, applet))).toBe('/bin/busybox')
    }
    // wget was there first: busybox skips it. bin/sh was a link busybox made, then taken over.
    expect(fs.readFileSync(path.join(root, 'usr/bin/wget'), 'utf8')).toBe('real wget')
    expect(result.tree.get('bin/sh')?.owner).toBe('busybox-binsh')
    expect(result.tree.get('bin/mkdir')?.owner).toBeUndefined()
    expect(result.tree.get('usr/sbin')).toMatchObject({ type: 'directory', mode: 0o755 })
    expect(result.tree.get('lib/apk/exec')).toMatchObject({ type: 'directory', mode: 0o700 })
    expect(fs.statSync(path.join(root, 'lib/apk/exec')).mode & 0o777).toBe(0o700)
  })

  it('runs again from a .trigger at the end, for folders packages installed into', async () => {
    const trigger = busybox({
      triggers: ['/usr/bin'],
      scripts: { trigger: '#!/bin/busybox sh\n/bin/busybox --install -s\n' }
    })
    const late = synthetic('late', '1.0-r0', {
      files: [{ path: 'usr/bin/late', content: 'x' }]
    })
    const { root, result } = await install([trigger, late])
    // No post-install this time: only the trigger made the links, once every package was in
    // (late's usr/bin included); usr/sbin and sbin do not exist, so busybox links nothing there.
    expect(fs.readlinkSync(path.join(root, 'usr/bin/wget'))).toBe('/bin/busybox')
    expect(fs.readlinkSync(path.join(root, 'bin/mkdir'))).toBe('/bin/busybox')
    expect(result.tree.has('usr/sbin/adduser')).toBe(false)
    expect(result.tree.has('sbin')).toBe(false)
    expect(result.scriptsSkipped).toEqual([])
  })
})

describe('account files behind a symlink', () => {
  it('are never written through: the command is listed as not run', async () => {
    const linked = synthetic('linked-passwd', '1.0-r0', {
      files: [
        { path: 'etc/group', content: GROUP },
        { path: 'etc/passwd', type: 'symlink', target: '/host/passwd' }
      ]
    })
    const { skipped, root } = await install([
      linked,
      busybox(),
      scripted('app', { 'pre-install': '#!/bin/sh\naddgroup -S app\n' })
    ])
    expect(skipped).toEqual(['app-1.0-r0.pre-install: addgroup -S app'])
    expect(fs.readFileSync(path.join(root, 'etc/group'), 'utf8')).toBe(GROUP)
    expect(fs.readlinkSync(path.join(root, 'etc/passwd'))).toBe('/host/passwd')
  })
})
