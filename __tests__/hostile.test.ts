/**
 * Hostile and broken repositories, as an attacker would serve them: packages and indexes signed
 * with a trusted key (so only the engine's own limits stand in the way), run through the CLI as
 * a child process (`npm run bundle` first) and, for the escape and bomb cases, through the
 * action. Every one must be refused with a message that names the package or file, write
 * nothing outside the root (a watched folder stays empty), stay under 256 MiB of memory, and
 * end on its own.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { HttpTransport } from '../src/apk/fetch/transport.js'
import { FetchError } from '../src/apk/errors.js'
import { buildApk, gzip, type ApkSpec, type BuiltApk } from './support/apk-builder.js'
import {
  GIB,
  MIB,
  globalHeaderTar,
  listTree,
  randomFileMember,
  runCli,
  zeroFileMember,
  type CliRun
} from './support/hostile.js'
import { startServer, type TestServer } from './support/http-server.js'
import { generateSigningKey, writeKeysDir, type SigningKey } from './support/keys.js'
import { muslPackage, synthetic } from './support/packages.js'
import { buildRepository } from './support/repo-builder.js'
import { runAction } from './support/run-action.js'

const DIST = path.resolve('dist/index.js')
const MEMORY_BOUND = 256 * MIB

let work: string
let key: SigningKey
let keysDir: string
/** A folder outside every root: nothing may ever appear in it. */
let watched: string
let zeros: { member: Buffer; tar: Buffer }

function tmp(name: string): string {
  return path.join(work, name)
}

let repoCount = 0

/** A signed local repository of `apks` (plus musl) and its folder. */
function repoOf(apks: BuiltApk[], name = `repo-${repoCount++}`): string {
  return buildRepository(tmp(name), 'x86_64', [buildApk(muslPackage(), key), ...apks], key).url
}

/** Replaces a package file in a repository (the index keeps listing the genuine entry). */
function swapPackage(repo: string, apk: BuiltApk, bytes: Buffer): void {
  fs.writeFileSync(path.join(repo, 'x86_64', apk.fileName), bytes)
}

/** `witchery install` of `world` from `repo` into a fresh root; the root's path is returned too. */
async function install(repo: string, world: string[], extra: string[] = []) {
  const root = tmp(`root-${repoCount++}`)
  const run = await runCli(
    [
      'install',
      '--root',
      root,
      '--arch',
      'x86_64',
      '--repository',
      repo,
      '--keys-dir',
      keysDir
    ].concat(['--no-alpine-keys', ...extra, ...world]),
    { work }
  )
  return { ...run, root }
}

/** `witchery build` of `packages` from `repo`; the output's path is returned too. */
async function build(repo: string, packages: string[], env: Record<string, string> = {}) {
  const output = tmp(`out-${repoCount++}/image.tar`)
  const run = await runCli(
    ['build', '--repositories', repo, '--keys', keysDir, '--fetch-alpine-keys', 'false']
      .concat(['--arch', 'x86_64', '--source-date-epoch', '1700000000', '--cache', 'false'])
      .concat(['--output', output, ...packages]),
    { work, env }
  )
  return { ...run, output }
}

function expectRefused(run: CliRun, pattern: RegExp): void {
  expect(run.signal).toBeNull()
  expect(run.stderr).toMatch(pattern)
  expect(run.stderr).not.toMatch(/ENOTDIR|ENAMETOOLONG|Cannot read properties|RangeError/)
  expect(run.code).toBe(1)
}

beforeAll(async () => {
  if (!fs.existsSync(DIST) || !fs.existsSync(path.resolve('dist/cli/index.js'))) {
    throw new Error('run `npm run bundle` first: these tests run dist/ as the runner does')
  }
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-hostile-'))
  key = generateSigningKey()
  keysDir = tmp('keys')
  writeKeysDir(keysDir, [key])
  watched = tmp('watched')
  fs.mkdirSync(watched)
  zeros = await zeroFileMember('usr/share/zeros/one-gib', GIB)
}, 120000)

afterEach(() => {
  // The one promise every test keeps: nothing lands outside the root.
  expect(listTree(watched)).toEqual([])
})

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true })
})

describe('a symlink where the apk database needs a folder', () => {
  const keysLink = (target: string): ApkSpec =>
    synthetic('evil-keys', '1.0-r0', {
      files: [
        { path: 'etc/apk', type: 'dir' },
        { path: 'etc/apk/keys', type: 'symlink', target }
      ]
    })
  const app = (): ApkSpec =>
    synthetic('app', '1.0-r0', {
      depends: ['evil-keys'],
      files: [{ path: 'usr/bin/app', content: 'x' }]
    })

  it.each([
    ['absolute', () => watched],
    ['relative, climbing out', () => `../../${path.relative(tmp('root-x/etc/apk'), watched)}`]
  ])(
    '%s: install and build refuse it, naming the package, and write nothing',
    async (_, target) => {
      const repo = repoOf([buildApk(keysLink(target()), key), buildApk(app(), key)])
      const installed = await install(repo, ['app'])
      expectRefused(installed, /evil-keys-1\.0-r0 ships \/etc\/apk\/keys as a symlink/)
      expect(listTree(installed.root)).toEqual([])
      const built = await build(repo, ['app'])
      expectRefused(built, /evil-keys-1\.0-r0 ships \/etc\/apk\/keys as a symlink/)
      expect(listTree(path.dirname(built.output))).toEqual([])
    }
  )

  it('the action refuses it too', async () => {
    const repo = repoOf([buildApk(keysLink(watched), key), buildApk(app(), key)])
    const result = await runAction(DIST, {
      inputs: {
        packages: 'app',
        repositories: repo,
        keys: keysDir,
        'fetch-alpine-keys': 'false',
        arch: 'x86_64',
        cache: 'false',
        'source-date-epoch': '1700000000'
      }
    })
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/::error title=witchery%3A package path escapes the image root::/)
    expect(result.stdout).toMatch(/evil-keys-1\.0-r0 ships \/etc\/apk\/keys as a symlink/)
  }, 120000)

  it('etc/apk/keys as a plain file is a clear error, not ENOTDIR', async () => {
    const spec = synthetic('keys-file', '1.0-r0', {
      files: [{ path: 'etc/apk/keys', content: 'not a folder' }]
    })
    const run = await install(repoOf([buildApk(spec, key)]), ['keys-file'])
    expectRefused(run, /keys-file-1\.0-r0 ships \/etc\/apk\/keys as a file/)
  })

  it('a /home symlink is refused when the image writes the nonroot home', async () => {
    const spec = synthetic('evil-home', '1.0-r0', {
      files: [{ path: 'home', type: 'symlink', target: watched }]
    })
    const run = await build(repoOf([buildApk(spec, key)]), ['evil-home'])
    expectRefused(
      run,
      /cannot write \/home\/nonroot in the image: \/home is a symlink shipped by package evil-home/
    )
  })
})

describe('decompression bombs stay under 256 MiB', () => {
  /** A small genuine package whose data member is swapped for 1 GiB of zeros. */
  function bombRepo(): string {
    const genuine = buildApk(
      synthetic('bomb', '1.0-r0', { files: [{ path: 'usr/share/bomb', content: 'small' }] }),
      key
    )
    const repo = tmp(`bomb-${repoCount++}`)
    buildRepository(repo, 'x86_64', [buildApk(muslPackage(), key), genuine], key)
    const { signature, control } = genuine.members
    swapPackage(repo, genuine, Buffer.concat([signature as Buffer, control, zeros.member]))
    return repo
  }

  it('1 GiB of zeros behind a genuine control member: refused by its datahash, not inflated', async () => {
    const run = await install(bombRepo(), ['bomb'])
    expectRefused(run, /bomb-1\.0-r0: data integrity error/)
    expect(run.peakBytes).toBeLessThan(MEMORY_BOUND)
  })

  it('a signed package whose data inflates far past its declared size: refused, bounded', async () => {
    // The repository itself lies: datahash and checksums are genuine, the installed size is not.
    const liar = buildApk(synthetic('liar', '1.0-r0', { files: [], installedSize: 1000 }), key, {
      dataMember: zeros
    })
    const run = await install(repoOf([liar]), ['liar'])
    expectRefused(run, /liar-1\.0-r0: the data section inflates to more than \d+ bytes/)
    expect(run.peakBytes).toBeLessThan(MEMORY_BOUND)
  })

  it('a gzip bomb member in front of a signed index: refused, bounded', async () => {
    const repo = tmp('index-bomb')
    buildRepository(repo, 'x86_64', [buildApk(muslPackage(), key)], key)
    const index = path.join(repo, 'x86_64', 'APKINDEX.tar.gz')
    fs.writeFileSync(index, Buffer.concat([zeros.member, fs.readFileSync(index)]))
    const run = await install(repo, ['musl'])
    expectRefused(run, /index of .*index-bomb is not signed/)
    expect(run.peakBytes).toBeLessThan(MEMORY_BOUND)
  })

  it('a genuine package with a 1 GiB file installs, in bounded memory', async () => {
    const big = buildApk(synthetic('big', '1.0-r0', { files: [], installedSize: GIB }), key, {
      dataMember: zeros
    })
    const run = await install(repoOf([big]), ['big'])
    expect(run.stderr).not.toMatch(/ERROR/)
    expect(run.code).toBe(0)
    const file = path.join(run.root, 'usr/share/zeros/one-gib')
    expect(fs.statSync(file).size).toBe(GIB)
    const fd = fs.openSync(file, 'r')
    const tail = Buffer.alloc(4096, 1)
    fs.readSync(fd, tail, 0, tail.length, GIB - tail.length)
    fs.closeSync(fd)
    expect(tail.equals(Buffer.alloc(4096))).toBe(true)
    expect(fs.readFileSync(path.join(run.root, 'lib/apk/db/installed'), 'utf8')).toContain(
      'R:one-gib\nZ:Q1'
    )
    expect(run.peakBytes).toBeLessThan(MEMORY_BOUND)
    fs.rmSync(run.root, { recursive: true, force: true })
  })

  it('a genuine package of 128 MiB that does not compress installs without its bytes in memory, local or downloaded', async () => {
    const size = 128 * MIB
    const noise = await randomFileMember('usr/share/noise/file', size)
    const big = buildApk(synthetic('noise', '1.0-r0', { files: [], installedSize: size }), key, {
      dataMember: noise
    })
    expect(big.bytes.length).toBeGreaterThan(size)
    const repo = repoOf([big])
    const run = await install(repo, ['noise'])
    expect(run.stderr).not.toMatch(/ERROR/)
    expect(run.code).toBe(0)
    const installed = fs.readFileSync(path.join(run.root, 'usr/share/noise/file'))
    expect(installed.length).toBe(size)
    expect(installed.subarray(0, 4096).equals(Buffer.alloc(4096))).toBe(false)
    // Held whole, the file alone would take more than this on top of Node's own 45-50 MiB.
    expect(run.peakBytes).toBeLessThan(150 * MIB)
    fs.rmSync(run.root, { recursive: true, force: true })
    // Downloaded, it goes to a file as it arrives and is verified from there.
    const server = await startServer({ root: repo })
    try {
      const downloaded = await install(server.url, ['noise'])
      expect(downloaded.stderr).not.toMatch(/ERROR/)
      expect(downloaded.code).toBe(0)
      const copy = fs.readFileSync(path.join(downloaded.root, 'usr/share/noise/file'))
      expect(copy.equals(installed)).toBe(true)
      expect(downloaded.peakBytes).toBeLessThan(150 * MIB)
      fs.rmSync(downloaded.root, { recursive: true, force: true })
    } finally {
      await server.close()
    }
  }, 180000)

  it('the action refuses the bomb too', async () => {
    const result = await runAction(DIST, {
      inputs: {
        packages: 'bomb',
        repositories: bombRepo(),
        keys: keysDir,
        'fetch-alpine-keys': 'false',
        arch: 'x86_64',
        cache: 'false',
        'source-date-epoch': '1700000000'
      }
    })
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(
      /::error title=witchery%3A package failed verification::.*bomb-1\.0-r0/
    )
  }, 120000)
})

describe('downloads are bounded', () => {
  let server: TestServer

  beforeAll(async () => {
    server = await startServer({ root: repoOf([]) })
  })

  afterAll(async () => {
    await server?.close()
  })

  it('an index body that never ends fails on its own, under 256 MiB', async () => {
    server.fault('APKINDEX', { endless: true }, Infinity)
    try {
      // Killed (and failed) if it is not done within 60 s.
      const run = await runCli(
        ['install', '--root', tmp('endless-root'), '--repository', server.url, '--keys-dir'].concat(
          [keysDir, '--no-alpine-keys', 'musl']
        ),
        { work, killAfterMs: 60_000 }
      )
      expectRefused(
        run,
        /more than 67108864 bytes arrived; at most 67108864 bytes are taken for an index/
      )
      expect(run.peakBytes).toBeLessThan(MEMORY_BOUND)
    } finally {
      server.clearFaults()
    }
  }, 90000)

  it('an index that is not gzip is refused at its first bytes, without retries', async () => {
    const html = tmp('html-site/x86_64')
    fs.mkdirSync(html, { recursive: true })
    fs.writeFileSync(path.join(html, 'APKINDEX.tar.gz'), '<html>mirror error</html>')
    const site = await startServer({ root: tmp('html-site') })
    try {
      const run = await runCli(
        [
          'install',
          '--root',
          tmp('html-root'),
          '--repository',
          site.url,
          '--keys-dir',
          keysDir
        ].concat(['--no-alpine-keys', 'musl']),
        { work }
      )
      expectRefused(run, /does not start like gzip data \(first bytes 3c68\)/)
      expect(site.requests.filter((r) => r.path.includes('APKINDEX'))).toHaveLength(1)
    } finally {
      await site.close()
    }
  })

  it('a server that drips a byte at a time hits the attempt deadline', async () => {
    server.fault('APKINDEX', { dripMs: 200 }, Infinity)
    const transport = new HttpTransport({
      deadlineMs: 1500,
      timeoutMs: 10_000,
      retries: 1,
      backoffMs: 10
    })
    try {
      const error = await transport
        .get(`${server.url}/x86_64/APKINDEX.tar.gz`)
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(FetchError)
      expect((error as Error).message).toMatch(/after 2 attempts: not complete after 1500 ms/)
    } finally {
      transport.close()
      server.clearFaults()
    }
  })
})

describe('entries apk-tools refuses fail the install', () => {
  it.each<[string, ApkSpec['files'], RegExp]>([
    [
      'a file under an absolute symlink (no folder entry for it)',
      [
        { path: 'usr', type: 'dir' },
        { path: 'usr/lnk', type: 'symlink', target: '/usr/lib' },
        { path: 'usr/lnk/file', content: 'x', rawName: true }
      ],
      /odd-1\.0-r0: \/usr\/lnk\/file: its folder \/usr\/lnk does not come before it/
    ],
    [
      'a hard link whose target comes later',
      [
        { path: 'a', type: 'dir' },
        { path: 'a/link', type: 'hardlink', target: 'a/file', rawName: true },
        { path: 'a/file', content: 'x', rawName: true }
      ],
      /odd-1\.0-r0: hard link \/a\/link points at \/a\/file, which is not a file earlier/
    ],
    [
      'a hard link through a symlinked folder',
      [
        { path: 'a/real/file', content: 'x' },
        { path: 'a/lnk', type: 'symlink', target: 'real' },
        { path: 'a/hard', type: 'hardlink', target: 'a/lnk/file', rawName: true }
      ],
      /odd-1\.0-r0: hard link \/a\/hard points at \/a\/lnk\/file/
    ]
  ])('%s', async (_, files, pattern) => {
    const run = await install(repoOf([buildApk(synthetic('odd', '1.0-r0', { files }), key)]), [
      'odd'
    ])
    expectRefused(run, pattern)
  })

  it("a hard link to another package's file", async () => {
    const first = synthetic('first', '1.0-r0', { files: [{ path: 'usr/first', content: 'x' }] })
    const second = synthetic('second', '1.0-r0', {
      depends: ['first'],
      files: [
        { path: 'usr', type: 'dir' },
        { path: 'usr/second', type: 'hardlink', target: 'usr/first', rawName: true }
      ]
    })
    const run = await install(repoOf([buildApk(first, key), buildApk(second, key)]), ['second'])
    expectRefused(run, /second-1\.0-r0: hard link \/usr\/second points at \/usr\/first/)
  })

  it('a PAX global header', async () => {
    const tar = globalHeaderTar('hello', 'hi\n')
    const apk = buildApk(synthetic('global', '1.0-r0', { files: [], installedSize: 3 }), key, {
      dataMember: { member: gzip(tar), tar }
    })
    const run = await install(repoOf([apk]), ['global'])
    expectRefused(run, /global-1\.0-r0: .*PAX global header/)
  })
})

describe('bad files and paths get messages, not raw errors', () => {
  it('a 0-byte package', async () => {
    const apk = buildApk(
      synthetic('empty', '1.0-r0', { files: [{ path: 'x', content: 'x' }] }),
      key
    )
    const repo = repoOf([apk])
    swapPackage(repo, apk, Buffer.alloc(0))
    const run = await install(repo, ['empty'])
    expectRefused(run, /empty-1\.0-r0: the file is empty \(0 bytes\)/)
  })

  it('a 256-byte file name', async () => {
    const name = 'n'.repeat(256)
    const spec = synthetic('long', '1.0-r0', { files: [{ path: `usr/${name}`, content: 'x' }] })
    const run = await install(repoOf([buildApk(spec, key)]), ['long'])
    expectRefused(
      run,
      /long-1\.0-r0: \/usr\/n+: the name 'n+…' is 256 bytes long; file systems hold at most 255/
    )
  })

  it('--root under a regular file', async () => {
    fs.writeFileSync(tmp('a-file'), '')
    const run = await runCli(
      [
        'install',
        '--root',
        tmp('a-file/root'),
        '--repository',
        repoOf([]),
        '--keys-dir',
        keysDir
      ].concat(['--no-alpine-keys', 'musl']),
      { work }
    )
    expectRefused(run, /cannot make the root .*a-file\/root: .*a-file is a file, not a folder/)
  })

  it('--output under a regular file is a usage error naming the input', async () => {
    fs.writeFileSync(tmp('b-file'), '')
    const run = await runCli(
      [
        'build',
        '--repositories',
        repoOf([]),
        '--keys',
        keysDir,
        '--output',
        tmp('b-file/image.tar'),
        'musl'
      ],
      { work }
    )
    expect(run.stderr).toMatch(
      /input `output`: .* lies under .*b-file, which is a file, not a folder/
    )
    expect(run.code).toBe(2)
  })

  it('--cache maybe is a usage error, not a package', async () => {
    const run = await runCli(['build', '--repositories', repoOf([]), '--cache', 'maybe', 'musl'], {
      work
    })
    expect(run.stderr).toMatch(/input `cache`: 'maybe' is not a boolean/)
    expect(run.code).toBe(2)
  })
})

describe('temporaries', () => {
  let server: TestServer
  let repo: string

  beforeAll(async () => {
    repo = repoOf([
      buildApk(synthetic('slow', '1.0-r0', { files: [{ path: 'usr/slow', content: 'x' }] }), key)
    ])
    server = await startServer({ root: repo })
  })

  afterAll(async () => {
    await server?.close()
  })

  // It once left the root half made, and the same command then failed with "not empty".
  it.each([false, true])(
    'SIGTERM during install leaves the root as it was found (there before: %s)',
    async (existed) => {
      const root = tmp(`signal-install-root-${existed}`)
      if (existed) fs.mkdirSync(root)
      server.fault('slow-1.0-r0.apk', { delayMs: 60_000 })
      try {
        let pid = 0
        const running = runCli(
          ['install', '--root', root, '--arch', 'x86_64', '--repository', server.url].concat([
            '--keys-dir',
            keysDir,
            '--no-alpine-keys',
            'slow'
          ]),
          { work, onSpawn: (p) => (pid = p) }
        )
        while (!fs.existsSync(path.join(root, 'lib/apk'))) {
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
        process.kill(pid, 'SIGTERM')
        const run = await running
        expect(run.code).toBe(143)
        if (existed) expect(fs.readdirSync(root)).toEqual([])
        else expect(fs.existsSync(root)).toBe(false)
      } finally {
        server.clearFaults()
      }
    }
  )

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130]
  ] as const)('%s during a build removes its work folder and exits %d', async (signal, code) => {
    const runnerTemp = tmp(`runner-temp-${signal}`)
    fs.mkdirSync(runnerTemp)
    server.fault('slow-1.0-r0.apk', { delayMs: 60_000 })
    const output = tmp(`signal-${signal}/image.tar`)
    try {
      let pid = 0
      const running = runCli(
        ['build', '--repositories', server.url, '--keys', keysDir, '--fetch-alpine-keys', 'false']
          .concat(['--arch', 'x86_64', '--source-date-epoch', '1', '--cache', 'false'])
          .concat(['--output', output, 'slow']),
        { work, env: { RUNNER_TEMP: runnerTemp }, onSpawn: (p) => (pid = p) }
      )
      // The build is waiting for the held package: its work folder is there.
      while (!listTree(runnerTemp).some((name) => name.startsWith('witchery-build-'))) {
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      process.kill(pid, signal)
      const run = await running
      expect(run.code).toBe(code)
      expect(listTree(runnerTemp)).toEqual([])
      expect(listTree(path.dirname(output))).toEqual([])
    } finally {
      server.clearFaults()
    }
  })

  it('a build removes what killed runs left, and keeps what running ones own', async () => {
    const runnerTemp = tmp('runner-temp-stale')
    const out = tmp('stale-out')
    const dead = 2147483646
    for (const dir of [`witchery-build-${dead}-abcdef`, `witchery-oci-${dead}-abcdef`]) {
      fs.mkdirSync(path.join(runnerTemp, dir, 'rootfs'), { recursive: true })
    }
    fs.mkdirSync(path.join(runnerTemp, `witchery-build-${process.pid}-abcdef`))
    fs.mkdirSync(out)
    fs.writeFileSync(path.join(out, `.image.tar.${dead}.0123456789ab.tmp`), 'partial')
    fs.writeFileSync(path.join(out, `.image.tar.${process.pid}.0123456789ab.tmp`), 'in use')
    const run = await runCli(
      ['build', '--repositories', repo, '--keys', keysDir, '--fetch-alpine-keys', 'false']
        .concat(['--arch', 'x86_64', '--source-date-epoch', '1', '--cache', 'false'])
        .concat(['--output', path.join(out, 'image.tar'), 'slow']),
      { work, env: { RUNNER_TEMP: runnerTemp } }
    )
    expect(run.stderr).not.toMatch(/ERROR/)
    expect(run.code).toBe(0)
    expect(fs.readdirSync(runnerTemp)).toEqual([`witchery-build-${process.pid}-abcdef`])
    // The stale partial tarball is gone; the build's SBOMs sit beside its tarball.
    expect(fs.readdirSync(out).sort()).toEqual([
      `.image.tar.${process.pid}.0123456789ab.tmp`,
      'image.tar',
      'image.x86_64.cdx.json',
      'image.x86_64.spdx.json'
    ])
  })
})
