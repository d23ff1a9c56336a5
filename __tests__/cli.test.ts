/**
 * The command line's `main`, called in-process (dist/ may be stale): exit codes, the bare
 * `--allow-untrusted` flag of `build`, and WITCHERY_ALPINE_KEYS_URL, against real repositories
 * in local folders and a real HTTP server on 127.0.0.1.
 */
import { spawn, spawnSync } from 'node:child_process'
import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { main } from '../src/cli.js'
import { expandBooleanFlags } from '../src/cli-build.js'
import { output } from '../src/cli-output.js'
import { buildApk } from './support/apk-builder.js'
import { type CliRun, runCli } from './support/hostile.js'
import { startServer, type TestServer } from './support/http-server.js'
import { generateSigningKey, writeKeysDir } from './support/keys.js'
import { muslPackage } from './support/packages.js'
import { buildIndexFromText, buildRepository } from './support/repo-builder.js'

const ALPINE_KEY = 'alpine-devel@lists.alpinelinux.org-4a6a0840.rsa.pub'

let work: string
let unsigned: string
let signed: string
let alpineNamed: string
let server: TestServer
let stdout: string
let stderr: string
const real = { ...output }

function tmp(name: string): string {
  return path.join(work, name)
}

/** `witchery build` options every test needs: no git, no network, no cache. */
function buildArgs(repo: string, output: string): string[] {
  return [
    'build',
    '--repositories',
    repo,
    '--arch',
    'x86_64',
    '--source-date-epoch',
    '1700000000',
    '--cache',
    'false',
    '--output',
    output
  ]
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-cli-'))
  const key = generateSigningKey()
  const musl = buildApk(muslPackage(), key, { signature: 'none' })
  unsigned = buildRepository(tmp('unsigned'), 'x86_64', [musl], undefined, {
    signature: 'none'
  }).url
  signed = buildRepository(tmp('signed'), 'x86_64', [musl], key).url
  writeKeysDir(tmp('keys'), [key])
  // Signed by a key that claims one of Alpine's names but is not Alpine's: never trusted.
  const impostor = generateSigningKey(ALPINE_KEY)
  alpineNamed = buildRepository(tmp('alpine-named'), 'x86_64', [musl], impostor).url
  writeKeysDir(tmp('keys-site'), [impostor])
  server = await startServer({ root: tmp('keys-site') })
})

afterAll(async () => {
  await server?.close()
  if (work) fs.rmSync(work, { recursive: true, force: true })
})

beforeEach(() => {
  stdout = ''
  stderr = ''
  output.out = (text) => (stdout += text)
  output.err = (text) => (stderr += text)
})

afterEach(() => {
  output.out = real.out
  output.err = real.err
  delete process.env.WITCHERY_ALPINE_KEYS_URL
})

describe('witchery build --allow-untrusted', () => {
  it('is a bare flag, as in install and resolve', async () => {
    const output = tmp('bare.tar')
    const code = await main([...buildArgs(unsigned, output), '--allow-untrusted', 'musl'])
    expect(stderr).not.toMatch(/ERROR|witchery:/)
    expect(code).toBe(0)
    expect(JSON.parse(stdout).tarball).toBe(output)
    expect(fs.existsSync(output)).toBe(true)
  })

  it('also works as the last word and before another option', async () => {
    expect(await main([...buildArgs(unsigned, tmp('last.tar')), 'musl', '--allow-untrusted'])).toBe(
      0
    )
    expect(
      await main([
        'build',
        '--allow-untrusted',
        ...buildArgs(unsigned, tmp('first.tar')).slice(1),
        'musl'
      ])
    ).toBe(0)
  })

  it('still takes true/false as its value; false refuses the unsigned index (exit 1)', async () => {
    expect(
      await main([...buildArgs(unsigned, tmp('true.tar')), '--allow-untrusted', 'true', 'musl'])
    ).toBe(0)
    stderr = ''
    const code = await main([
      ...buildArgs(unsigned, tmp('false.tar')),
      '--allow-untrusted',
      'false',
      'musl'
    ])
    expect(code).toBe(1)
    expect(stderr).toMatch(/^ERROR: /m)
    expect(fs.existsSync(tmp('false.tar'))).toBe(false)
  })

  it('rewrites only the true/false inputs', () => {
    expect(
      expandBooleanFlags([
        '--allow-untrusted',
        '--cache',
        'FALSE',
        '--fetch-alpine-keys=false',
        '--arch',
        'true',
        'curl',
        '--',
        '--cache'
      ])
    ).toEqual([
      '--allow-untrusted=true',
      '--cache=FALSE',
      '--fetch-alpine-keys=false',
      '--arch',
      'true',
      'curl',
      '--',
      '--cache'
    ])
  })
})

describe('witchery build and WITCHERY_ALPINE_KEYS_URL', () => {
  it('fetches an Alpine-named key from there, like install and resolve', async () => {
    process.env.WITCHERY_ALPINE_KEYS_URL = `${server.url}/`
    const code = await main([...buildArgs(alpineNamed, tmp('keys.tar')), 'musl'])
    expect(server.requests.map((r) => decodeURIComponent(r.path))).toContain(`/${ALPINE_KEY}`)
    // The key there is not Alpine's (its fingerprint is not pinned): refused, the build fails.
    expect(code).toBe(1)
    expect(stderr).toMatch(/^ERROR: /m)
  })
})

describe('start-up', () => {
  it('a resolve from a local repository loads no network, thread or crypto module (bundled command line)', async () => {
    // Signed: the signature is checked without node:crypto (signature.ts, sha.ts).
    const args = ['resolve', '--arch', 'x86_64', '--keys-dir', tmp('keys'), '--repository', signed]
    // As most runs start: with the code cache's entry made by an earlier run (whose writing
    // loads v8 and crypto), and with the cache off.
    const env = { WITCHERY_CODE_CACHE: tmp('builtins-code-cache') }
    expect((await runCli([...args, 'musl'], { work, env })).code).toBe(0)
    for (const setting of [env, { WITCHERY_CODE_CACHE: 'off' }]) {
      loadsOnlyWhatItNeeds(await runCli([...args, 'musl'], { work, env: setting }))
    }
    // Damage past the signature: refused as before, still without OpenSSL.
    const index = path.join(signed, 'x86_64', 'APKINDEX.tar.gz')
    const bytes = fs.readFileSync(index)
    const damaged = tmp('damaged-repo')
    fs.mkdirSync(path.join(damaged, 'x86_64'), { recursive: true })
    bytes[bytes.length - 30] ^= 0x01
    fs.writeFileSync(path.join(damaged, 'x86_64', 'APKINDEX.tar.gz'), bytes)
    const bad = await runCli([...args.slice(0, -1), damaged, 'musl'], {
      work,
      env: { WITCHERY_CODE_CACHE: 'off' }
    })
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/BAD signature/)
    expect(bad.builtins).not.toContain('crypto')
  })

  function loadsOnlyWhatItNeeds(run: CliRun): void {
    expect(run.stderr).toBe('')
    expect(run.stdout).toMatch(/^musl-/)
    // What it does load is recorded: zlib inflates the index.
    expect(run.builtins).toContain('zlib')
    // Loading https (with tls, net and http) took 8-12 ms of each start, crypto 4-9 ms, v8
    // 0.5-1 ms more, and fs/promises (with readline) 2 ms on Node 20. Node loads net for
    // process.stdout when it is a pipe, as here (3-4 ms): the output is written without it.
    const unneeded = [
      'http',
      'https',
      'tls',
      'net',
      'crypto',
      'worker_threads',
      'child_process',
      'v8',
      'fs/promises'
    ]
    expect(run.builtins?.filter((m) => unneeded.includes(m))).toEqual([])
  }

  it('keeps V8 code of itself: written by a resolve that ends well, then only read', async () => {
    const cache = tmp('code-cache')
    const env = { WITCHERY_CODE_CACHE: cache }
    const resolve = (repo: string) => [
      'resolve',
      '--arch',
      'x86_64',
      '--allow-untrusted',
      '--repository',
      repo,
      'musl'
    ]
    // The usage, or a resolve that fails, writes nothing: it would keep little of the code.
    expect((await runCli(['--help'], { work, env })).code).toBe(0)
    expect((await runCli(resolve(tmp('no-such-repo')), { work, env })).code).toBe(1)
    expect(fs.existsSync(cache)).toBe(false)

    const first = await runCli(resolve(unsigned), { work, env })
    expect(first.code).toBe(0)
    const names = fs.readdirSync(cache)
    expect(names).toEqual([
      expect.stringMatching(
        new RegExp(`^[0-9a-f]{32}-${process.version}-${process.arch}\\.v8cache$`)
      )
    ])
    const entry = path.join(cache, names[0])
    const before = fs.statSync(entry)
    expect(before.mode & 0o777).toBe(0o600)

    // Read, not written again: V8 took it (a refused or missing entry is written).
    const second = await runCli(resolve(unsigned), { work, env })
    expect([second.code, second.stderr, second.stdout]).toEqual([0, '', first.stdout])
    const after = fs.statSync(entry)
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs])

    // An install sets a V8 flag (released-memory.ts) and puts it back as it exits: its entry is
    // taken by the next install, not made again by each.
    const install = (root: string) => [
      'install',
      '--root',
      tmp(root),
      ...resolve(unsigned).slice(1)
    ]
    const installCache = tmp('install-code-cache')
    const installEnv = { WITCHERY_CODE_CACHE: installCache }
    expect((await runCli(install('root1'), { work, env: installEnv })).code).toBe(0)
    const installed = path.join(installCache, names[0])
    const made = fs.statSync(installed)
    expect((await runCli(install('root2'), { work, env: installEnv })).code).toBe(0)
    const taken = fs.statSync(installed)
    expect([taken.ino, taken.mtimeMs]).toEqual([made.ino, made.mtimeMs])

    // Its place by default, and off.
    const home = tmp('home')
    fs.mkdirSync(home)
    const homeEnv = { HOME: home, XDG_CACHE_HOME: '', WITCHERY_CODE_CACHE: '' }
    expect((await runCli(resolve(unsigned), { work, env: homeEnv })).code).toBe(0)
    expect(fs.readdirSync(path.join(home, '.cache/witchery/code'))).toEqual(names)
    fs.rmSync(path.join(home, '.cache'), { recursive: true })
    const off = { ...homeEnv, WITCHERY_CODE_CACHE: 'off' }
    expect((await runCli(resolve(unsigned), { work, env: off })).code).toBe(0)
    expect(fs.readdirSync(home)).toEqual([])
  })

  it('a program missing its bundle says so and exits 1', () => {
    const copy = tmp('cli-copy')
    fs.cpSync(path.resolve('dist/cli'), copy, { recursive: true })
    fs.rmSync(path.join(copy, 'main.js'))
    const run = spawnSync(process.execPath, [path.join(copy, 'index.js'), '--help'], {
      encoding: 'utf8',
      env: { ...process.env, WITCHERY_CODE_CACHE: 'off', NODE_OPTIONS: '' }
    })
    expect(run.status).toBe(1)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(
      /^witchery: cannot load its own code, .*main\.js \(ENOENT.*; reinstall it\n$/
    )
  })
})

describe('a large output (bundled command line)', () => {
  // The program writes with fs.writeSync (cli-output.ts) and exits as soon as its work is done
  // (cli-main.ts): what it writes must arrive whole, however it is read. 10,000 packages make
  // 390 KB, more than a pipe and its reader's buffer hold, so the program waits for the reader.
  const names = Array.from({ length: 10000 }, (_, i) => `a-package-with-a-long-name-${i}`)
  const expected = ['everything', ...names]
    .map((n) => `${n}-1.0-r0\n`)
    .sort()
    .join('')
  let args: string[]

  beforeAll(() => {
    const stanza = (name: string, depends: string) =>
      `C:Q1${crypto.createHash('sha1').update(name).digest('base64')}\nP:${name}\nV:1.0-r0\n` +
      `A:x86_64\nS:1\nI:1\nT:t\nU:u\nL:MIT\n${depends}\n`
    const text =
      stanza('everything', `D:${names.join(' ')}\n`) + names.map((n) => stanza(n, '')).join('')
    const repo = tmp('large')
    fs.mkdirSync(path.join(repo, 'x86_64'), { recursive: true })
    fs.writeFileSync(
      path.join(repo, 'x86_64', 'APKINDEX.tar.gz'),
      buildIndexFromText(text, undefined, { signature: 'none' })
    )
    args = [
      path.resolve('dist/cli/index.js'),
      ...['resolve', '--arch', 'x86_64', '--allow-untrusted', '--repository', repo, 'everything']
    ]
  })

  const env = () => ({ ...process.env, WITCHERY_CODE_CACHE: 'off', NODE_OPTIONS: '' })

  function start() {
    const child = spawn(process.execPath, args, { env: env(), stdio: ['ignore', 'pipe', 'pipe'] })
    let err = ''
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()))
    const closed = new Promise<[number | null, string]>((resolve) =>
      child.on('close', (code) => resolve([code, err]))
    )
    return { child, closed }
  }

  it('read slowly through a pipe, arrives whole', async () => {
    const { child, closed } = start()
    const out: Buffer[] = []
    child.stdout.pause()
    // Read nothing for a while: the program blocks on the full pipe, then the rest arrives.
    setTimeout(() => child.stdout.on('data', (chunk: Buffer) => out.push(chunk)).resume(), 1000)
    expect(await closed).toEqual([0, ''])
    const lines = Buffer.concat(out).toString('utf8')
    expect(lines.length).toBeGreaterThan(256 * 1024)
    expect(lines).toBe(expected)
  })

  // A pipe whose writing end does not block (a parent may hand one down): a write takes what
  // fits and says EAGAIN; the rest goes through process.stdout, which waits for the reader. Perl
  // (part of every Debian) makes the pipe and reads it a second later.
  it('written to a pipe that does not block, arrives whole', () => {
    const perl = `use strict; use Fcntl;
pipe(my $r, my $w) or die "pipe: $!";
fcntl($w, F_SETFL, fcntl($w, F_GETFL, 0) | O_NONBLOCK) or die "fcntl: $!";
my $pid = fork() // die "fork: $!";
if ($pid == 0) { close $r; open(STDOUT, '>&', $w) or die; exec(@ARGV) or die "exec: $!"; }
close $w; sleep 1;
my $all = ''; while (sysread($r, my $chunk, 65536)) { $all .= $chunk }
waitpid($pid, 0); print STDERR "exit " . ($? >> 8) . "\n"; print $all;`
    const run = spawnSync('perl', ['-e', perl, process.execPath, ...args], {
      env: env(),
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024
    })
    expect(run.stderr).toBe('exit 0\n')
    expect(run.stdout).toBe(expected)
  })

  it('to a reader that goes away (`| head -1`), ends quietly', async () => {
    const { child, closed } = start()
    child.stdout.once('data', () => child.stdout.destroy())
    expect(await closed).toEqual([0, ''])
  })
})

describe('exit codes', () => {
  it.each([
    ['a missing option value', ['--arch']],
    ['an unknown option', ['--no-such-option', 'musl']],
    ['a bad boolean', ['--allow-untrusted=maybe', 'musl']],
    // Joined with a line break, they once named one file `a.tar⏎b.tar`.
    ['a one-value option given twice', ['--output', 'second.tar', 'musl']],
    ['no packages', []]
  ])('%s is a usage error: exit 2, one line', async (_what, extra) => {
    const code = await main([...buildArgs(unsigned, tmp('usage.tar')), ...extra])
    expect(code).toBe(2)
    expect(stderr).toMatch(/^witchery: .+\n$/)
    expect(stderr.split('\n')).toHaveLength(2)
  })

  // Found by review: each was accepted and did nothing (biuld --help printed the usage, exit 0).
  it.each([
    ['a misspelt command with --help', ['biuld', '--help'], /unknown command 'biuld'/],
    [
      '--root for resolve',
      ['resolve', '--root', '/x', '--repository', '/r', 'musl'],
      /--root is an option of install, not of resolve/
    ],
    [
      '--no-scripts for resolve',
      ['resolve', '--no-scripts', '--repository', '/r', 'musl'],
      /--no-scripts is an option of install/
    ],
    [
      '--cache-dir twice',
      ['build', '--cache-dir', '/a', '--cache-dir', '/b', 'musl'],
      /--cache-dir is given 2 times; give it once/
    ]
  ])('%s is a usage error', async (_what, argv, message) => {
    expect(await main(argv)).toBe(2)
    expect(stderr).toMatch(message)
  })

  it('an unknown command is a usage error too; --help is not an error', async () => {
    expect(await main(['frobnicate'])).toBe(2)
    expect(stderr).toBe(
      "witchery: unknown command 'frobnicate' (witchery --help shows the usage)\n"
    )
    expect(await main(['build', '--help'])).toBe(0)
    expect(stdout).toContain('usage:')
  })

  it('a failure of the work itself exits 1', async () => {
    const code = await main([
      ...buildArgs(unsigned, tmp('noapp.tar')),
      '--allow-untrusted',
      '--app',
      tmp('missing-app'),
      'musl'
    ])
    expect(code).toBe(1)
    expect(stderr).toContain(`ERROR: app '${tmp('missing-app')}' does not exist`)
  })
})

describe('a boolean option followed by another word (README, Command line)', () => {
  it('--cache maybe and --cache=maybe are usage errors (exit 2); --cache musl adds a package', async () => {
    const args = buildArgs(unsigned, tmp('maybe.tar')).filter(
      (a) => a !== '--cache' && a !== 'false'
    )
    const cacheDir = tmp('maybe-cache')
    expect(
      await main([
        ...args,
        '--allow-untrusted',
        '--cache-dir',
        cacheDir,
        '--cache',
        'maybe',
        'musl'
      ])
    ).toBe(2)
    expect(stderr).toMatch(/^witchery: input `cache`: 'maybe' is not a boolean; use true or false/)
    stderr = ''
    const output = tmp('cache-musl.tar')
    const withPackage = [...args.filter((a) => a !== tmp('maybe.tar')), output]
    expect(
      await main([...withPackage, '--allow-untrusted', '--cache-dir', cacheDir, '--cache', 'musl'])
    ).toBe(0)
    expect(fs.existsSync(output)).toBe(true)
    stderr = ''
    expect(await main([...args, '--cache=maybe', 'musl'])).toBe(2)
    expect(stderr).toMatch(/^witchery: input `cache`: 'maybe' is not a boolean; use true or false/)
  })
})
