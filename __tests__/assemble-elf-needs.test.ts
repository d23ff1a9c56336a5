/**
 * The app's ELF needs become packages, and the image is link-checked: real programs compiled
 * with musl-gcc (given Alpine's libc name with patchelf), built against Alpine 3.19.1's real
 * signed repository, unpacked and run in a chroot.
 */
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import type { Logger } from '../src/apk/types.js'
import { outputValues } from '../src/action/outputs.js'
import { renderSummary } from '../src/action/summary.js'
import { build } from '../src/assemble/build.js'
import { readInputs } from '../src/assemble/inputs.js'
import { inputsFromArgv } from '../src/cli-build.js'
import { AppError } from '../src/assemble/errors.js'
import { LinkCheckError } from '../src/assemble/link-check.js'
import type { BuildResult, BuildSpec } from '../src/assemble/spec.js'
import { buildApk } from './support/apk-builder.js'
import { startServer } from './support/http-server.js'
import { generateSigningKey, writeKeysDir } from './support/keys.js'
import { muslBuild, muslLibrary, runInChroot, unpackImage } from './support/native.js'
import { muslPackage, synthetic } from './support/packages.js'
import { buildRepository } from './support/repo-builder.js'
import { FIXTURES, haveShared, SHARED } from './support/shared.js'

const REPO = path.join(FIXTURES, 'real-alpine/v3.19.1')
const sharedHere = haveShared('fixtures/real-alpine/v3.19.1')
const isRoot = process.getuid?.() === 0
const describeShared = sharedHere ? describe : describe.skip
const itRoot = isRoot ? it : it.skip

let work: string

function tmp(name: string): string {
  return path.join(work, name)
}

interface Captured extends Logger {
  lines: string[]
}

function capture(): Captured {
  const lines: string[] = []
  return {
    lines,
    info: (m) => lines.push(`info: ${m}`),
    warning: (m) => lines.push(`warning: ${m}`),
    debug: () => undefined
  }
}

function spec(name: string, extra: Partial<BuildSpec> = {}): BuildSpec {
  return {
    packages: ['ca-certificates-bundle'],
    arches: ['x86_64'],
    repositories: [REPO],
    keyFiles: [],
    keyDirs: [path.join(SHARED, 'alpine-keys')],
    fetchAlpineKeys: false,
    allowUntrusted: false,
    image: { env: [], user: 'nonroot', labels: {}, annotations: {} },
    tags: [`witchery-elf:${name}`],
    output: tmp(`out/${name}.tar`),
    sourceDateEpoch: 1700000000,
    sbom: ['spdx', 'cyclonedx'],
    ...extra
  }
}

function installedWorld(rootfs: string): string {
  return fs.readFileSync(path.join(rootfs, 'etc/apk/world'), 'utf8')
}

function names(result: BuildResult): string[] {
  return result.arches[0].packages.map((p) => p.name).sort()
}

const ZLIB_APP = `#include <stdio.h>
const char *zlibVersion(void);
int main(void) { printf("zlib %s\\n", zlibVersion()); return 0; }
`
let zlibApp: string

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-elf-needs-'))
  if (!sharedHere) return
  // Linked against the real libz.so.1 of Alpine's zlib package, extracted from the fixture.
  const zlib = tmp('zlib')
  fs.mkdirSync(zlib)
  const apk = path.join(REPO, 'x86_64/zlib-1.3.1-r0.apk')
  execFileSync('tar', ['-xzf', apk, '-C', zlib, 'lib'], { stdio: 'ignore' })
  zlibApp = muslBuild(ZLIB_APP, tmp('zlib-app/server'), [path.join(zlib, 'lib/libz.so.1.3.1')])
})

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true })
})

describeShared('an app that needs zlib, with only ca-certificates-bundle asked for', () => {
  let result: BuildResult
  let logger: Captured
  const rootfs = () => tmp('rootfs-zlib')

  beforeAll(async () => {
    logger = capture()
    result = await build(spec('zlib', { app: { source: zlibApp, dest: '/usr/bin/server' } }), {
      logger
    })
    unpackImage(result.tarball, rootfs())
  }, 60000)

  it('adds zlib to the world for so:libz.so.1, and says why', () => {
    expect(names(result)).toEqual(['ca-certificates-bundle', 'musl', 'zlib'])
    expect(result.arches[0].appNeeds).toEqual([
      { package: 'zlib', need: 'so:libz.so.1', neededBy: ['/usr/bin/server'] }
    ])
    expect(logger.lines).toContain('info: x86_64: zlib: so:libz.so.1, needed by /usr/bin/server')
    expect(installedWorld(rootfs())).toBe('ca-certificates-bundle\nmusl\nso:libz.so.1\n')
  })

  it('says so in the job summary and the metadata output', () => {
    const html = renderSummary(result, { cacheHit: 'false' })
    expect(html).toContain(
      '<h3>Added for the app</h3>\n<ul><li>zlib: so:libz.so.1, needed by /usr/bin/server</li></ul>'
    )
    const metadata = JSON.parse(outputValues(result, 'false').metadata)
    expect(metadata.platforms[0].appNeeds).toEqual([
      { package: 'zlib', need: 'so:libz.so.1', neededBy: ['/usr/bin/server'] }
    ])
  })

  itRoot('runs in a chroot of the unpacked image', () => {
    const run = runInChroot(rootfs(), ['/usr/bin/server'])
    expect(run.stderr).toBe('')
    expect(run.stdout).toBe('zlib 1.3.1\n')
  })

  it('installs the same from a lock file the build wrote', async () => {
    const lock = { path: tmp('zlib.lock.json'), update: false }
    const app = { source: zlibApp, dest: '/usr/bin/server' }
    const first = await build(spec('zlib-lock-1', { app, lock }), { logger: capture() })
    expect(first.lock?.status).toBe('written')
    const again = await build(spec('zlib-lock-2', { app, lock }), { logger: capture() })
    expect(again.lock?.status).toBe('used')
    expect(names(again)).toEqual(['ca-certificates-bundle', 'musl', 'zlib'])
    expect(again.arches[0].appNeeds).toEqual(result.arches[0].appNeeds)
    expect(again.digest).toBe(first.digest)
  }, 60000)

  it('adds nothing when the world as given already has the library', async () => {
    const given = await build(
      spec('zlib-given', {
        packages: ['ca-certificates-bundle', 'zlib'],
        app: { source: zlibApp, dest: '/usr/bin/server' }
      }),
      { logger: capture() }
    )
    expect(given.arches[0].appNeeds).toEqual([])
    expect(names(given)).toEqual(['ca-certificates-bundle', 'musl', 'zlib'])
  })
})

describeShared('an app folder with its own library, found through $ORIGIN', () => {
  let result: BuildResult
  const folder = () => tmp('origin-app')

  beforeAll(async () => {
    muslLibrary(
      '#include <stdio.h>\nvoid greet(void) { puts("hello from libgreet"); }\n',
      path.join(folder(), 'lib/libgreet.so.1'),
      'libgreet.so.1'
    )
    muslBuild(
      'void greet(void);\nint main(void) { greet(); return 0; }\n',
      path.join(folder(), 'bin/greet'),
      [path.join(folder(), 'lib/libgreet.so.1'), '-Wl,-rpath,$ORIGIN/../lib']
    )
    result = await build(spec('origin', { app: { source: folder(), dest: '/app' } }), {
      logger: capture()
    })
    unpackImage(result.tarball, tmp('rootfs-origin'))
  }, 60000)

  it('needs nothing from the packages: the world stays as given', () => {
    expect(result.arches[0].appNeeds).toEqual([])
    expect(names(result)).toEqual(['ca-certificates-bundle', 'musl'])
    expect(installedWorld(tmp('rootfs-origin'))).toBe('ca-certificates-bundle\nmusl\n')
  })

  itRoot('runs in a chroot of the unpacked image', () => {
    const run = runInChroot(tmp('rootfs-origin'), ['/app/bin/greet'])
    expect(run.stderr).toBe('')
    expect(run.stdout).toBe('hello from libgreet\n')
  })
})

describeShared('a #!/bin/sh script', () => {
  let result: BuildResult
  let logger: Captured

  beforeAll(async () => {
    const script = tmp('script/hello.sh')
    fs.mkdirSync(path.dirname(script), { recursive: true })
    fs.writeFileSync(script, '#!/bin/sh\necho "hello from $0"\n')
    logger = capture()
    result = await build(
      spec('script', {
        app: { source: script, dest: '/usr/bin/hello.sh' },
        image: {
          entrypoint: ['/usr/bin/hello.sh'],
          env: [],
          user: 'nonroot',
          labels: {},
          annotations: {}
        }
      }),
      { logger }
    )
    unpackImage(result.tarball, tmp('rootfs-script'))
  }, 60000)

  it('brings the package that provides /bin/sh', () => {
    expect(result.arches[0].appNeeds).toEqual([
      { package: 'busybox-binsh', need: '/bin/sh', neededBy: ['/usr/bin/hello.sh'] }
    ])
    expect(names(result)).toEqual(['busybox', 'busybox-binsh', 'ca-certificates-bundle', 'musl'])
    expect(logger.lines).toContain(
      'info: x86_64: busybox-binsh: /bin/sh, needed by /usr/bin/hello.sh'
    )
  })

  itRoot('runs in a chroot of the unpacked image', () => {
    const run = runInChroot(tmp('rootfs-script'), ['/usr/bin/hello.sh'])
    expect(run.stderr).toBe('')
    expect(run.stdout).toBe('hello from /usr/bin/hello.sh\n')
  })
})

describeShared('a library no repository provides', () => {
  it('is refused before any download, naming the library and the file; no tarball', async () => {
    const lib = muslLibrary(
      'int nothere(void) { return 1; }\n',
      tmp('nothere/libnothere.so.1'),
      'libnothere.so.1'
    )
    const app = muslBuild(
      'int nothere(void);\nint main(void) { return nothere(); }\n',
      tmp('missing-app/server'),
      [lib]
    )
    let resolved = false
    const output = tmp('out/missing.tar')
    const error = await build(spec('missing', { app: { source: app, dest: '/usr/bin/server' } }), {
      logger: capture(),
      onResolved: async () => {
        resolved = true
      }
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AppError)
    const message = (error as Error).message
    expect(message).toContain('/usr/bin/server needs the library libnothere.so.1')
    expect(message).toContain('no so:libnothere.so.1')
    // Refused while resolving: the caller was never told to fetch, and nothing was written.
    expect(resolved).toBe(false)
    expect(fs.existsSync(output)).toBe(false)
  })
})

describeShared('elf-needs: false', () => {
  const app = () => ({ source: zlibApp, dest: '/usr/bin/server' })

  it('leaves the world as given; link-check: warn names the library and its package', async () => {
    const logger = capture()
    const result = await build(
      spec('no-needs', { app: app(), elfNeeds: false, linkCheck: 'warn' }),
      { logger }
    )
    expect(result.arches[0].appNeeds).toEqual([])
    expect(names(result)).toEqual(['ca-certificates-bundle', 'musl'])
    unpackImage(result.tarball, tmp('rootfs-no-needs'))
    expect(installedWorld(tmp('rootfs-no-needs'))).toBe('ca-certificates-bundle\nmusl\n')
    const expected =
      '/usr/bin/server (app) needs libz.so.1, not found in /lib, /usr/local/lib, /usr/lib; ' +
      'add zlib to `packages` (so:libz.so.1)'
    expect(result.arches[0].linkProblems).toEqual([expected])
    expect(result.warnings.join('\n')).toContain(expected)
    // In the build's warnings, which the action and the CLI report once; not logged twice.
    expect(logger.lines.some((l) => l.startsWith('warning: ') && l.includes(expected))).toBe(false)
  }, 60000)

  it('fails the build with the default link-check: error, and writes no tarball', async () => {
    const output = tmp('out/link-error.tar')
    const error = await build(spec('link-error', { app: app(), elfNeeds: false, output }), {
      logger: capture()
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(LinkCheckError)
    expect((error as Error).message).toContain(
      '/usr/bin/server (app) needs libz.so.1, not found in /lib, /usr/local/lib, /usr/lib; add zlib'
    )
    expect(fs.existsSync(output)).toBe(false)
  }, 60000)

  it('link-check: off builds without looking', async () => {
    const result = await build(
      spec('link-off', { app: app(), elfNeeds: false, linkCheck: 'off' }),
      { logger: capture() }
    )
    expect(result.arches[0].linkProblems).toEqual([])
    expect(result.warnings).toEqual([])
  }, 60000)
})

describeShared("the link check on Alpine's real packages", () => {
  // Worlds of the fixtures' own: dynamic programs and libraries (openssh, chrony, openssl,
  // e2fsprogs…), busybox, musl's loader and its libc link, scripts.tar.
  const worlds = [
    ['openssh'],
    ['chrony', 'alpine-baselayout-data'],
    ['alpine-base'],
    ['busybox', 'busybox-binsh', 'busybox-suid', 'ssl_client'],
    [
      'openssl',
      'e2fsprogs',
      'e2fsprogs-extra',
      'wpa_supplicant',
      'dhcpcd',
      'gnutls',
      'ppp-daemon',
      'libusb',
      'usb-modeswitch',
      'iw',
      'doas',
      'scanelf',
      'wget',
      'tiny-cloud-alpine',
      'yx',
      'sfdisk',
      'partx',
      'openntpd',
      'musl-utils',
      'libc-utils',
      'apk-tools'
    ]
  ]

  it.each(worlds.map((world, i) => ({ label: world.join(' '), world, i })))(
    'finds no missing library in $label',
    async ({ world, i }) => {
      const logger = capture()
      const result = await build(spec(`real-${i}`, { packages: world }), { logger })
      expect(result.arches[0].linkProblems).toEqual([])
      // The check did look: every world here has programs and libraries.
      const line = logger.lines.find((l) => l.includes('link check:')) ?? ''
      const [, count, missing] = /link check: (\d+) ELF files, (\d+) missing/.exec(line) ?? []
      expect(Number(count)).toBeGreaterThan(3)
      expect(missing).toBe('0')
    },
    60000
  )
})

describe('the switches as the CLI and the action read them', () => {
  const spec = (argv: string[]) =>
    readInputs(
      { ...inputsFromArgv([...argv, 'curl']), GITHUB_WORKSPACE: work },
      {
        commitEpoch: () => 0,
        hostArch: 'x86_64'
      }
    )

  it('takes --elf-needs bare, with a value, and defaults to true', () => {
    expect(spec([]).elfNeeds).toBe(true)
    expect(spec(['--elf-needs']).elfNeeds).toBe(true)
    expect(spec(['--elf-needs', 'false']).elfNeeds).toBe(false)
    expect(spec(['--elf-needs=FALSE']).elfNeeds).toBe(false)
  })

  it('takes --link-check error, warn or off, and defaults to error', () => {
    expect(spec([]).linkCheck).toBe('error')
    expect(spec(['--link-check', 'warn']).linkCheck).toBe('warn')
    expect(spec(['--link-check', 'off']).linkCheck).toBe('off')
    expect(() => spec(['--link-check', 'fatal'])).toThrow(/input `link-check`: 'fatal'/)
  })
})

describe("the link check on a repository's packages", () => {
  let repo: string
  let keysDir: string

  beforeAll(() => {
    const key = generateSigningKey()
    keysDir = tmp('pkg-keys')
    writeKeysDir(keysDir, [key])
    const lib = muslLibrary(
      'int nothere(void) { return 0; }\n',
      tmp('pkg/libnothere.so.1'),
      'libnothere.so.1'
    )
    const needy = muslBuild(
      'int nothere(void);\nint main(void) { return nothere(); }\n',
      tmp('pkg/needy'),
      [lib]
    )
    const apks = [
      muslPackage(),
      // Ships a program that needs libnothere.so.1 but does not depend on it: a packaging bug.
      synthetic('needy', '1.0-r0', {
        depends: ['so:libc.musl-x86_64.so.1'],
        files: [{ path: 'usr/bin/needy', content: fs.readFileSync(needy), mode: 0o755 }]
      }),
      synthetic('nothere', '1.0-r0', {
        provides: ['so:libnothere.so.1=1'],
        files: [{ path: 'usr/lib/libnothere.so.1', content: fs.readFileSync(lib), mode: 0o755 }]
      }),
      // A dynamic program with no dependency at all: with `!musl` its loader is missing.
      synthetic('orphan', '1.0-r0', {
        files: [{ path: 'usr/bin/orphan', content: fs.readFileSync(needy), mode: 0o755 }]
      })
    ].map((s) => buildApk(s, key))
    repo = buildRepository(tmp('pkg-repo'), 'x86_64', apks, key).url
  })

  const local = (name: string, packages: string[]): BuildSpec => ({
    ...spec(name, { packages }),
    repositories: [repo],
    keyDirs: [keysDir]
  })

  it('fails naming the file, its package, the library and the package that provides it', async () => {
    const output = tmp('out/needy.tar')
    const error = await build(
      { ...local('needy', ['needy']), output },
      { logger: capture() }
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(LinkCheckError)
    expect((error as Error).message).toContain(
      '/usr/bin/needy (needy) needs libnothere.so.1, not found in /lib, /usr/local/lib, /usr/lib; ' +
        'add nothere to `packages` (so:libnothere.so.1)'
    )
    expect(fs.existsSync(output)).toBe(false)
  })

  it('still reports the problem when the repositories cannot be read again to name a package', async () => {
    const copy = tmp('pkg-repo-gone')
    fs.cpSync(repo, copy, { recursive: true })
    const index = path.join(copy, 'x86_64', 'APKINDEX.tar.gz')
    const logger = capture()
    const result = await build(
      { ...local('needy-gone', ['needy']), repositories: [copy], linkCheck: 'warn' },
      {
        logger,
        // The indexes are let go once resolved: without this one the link check cannot look up
        // providers; the packages are still there to install.
        onResolved: async () => fs.rmSync(index)
      }
    )
    expect(result.arches[0].linkProblems).toEqual([
      '/usr/bin/needy (needy) needs libnothere.so.1, not found in /lib, /usr/local/lib, /usr/lib; ' +
        'add a package that provides so:libnothere.so.1 to `packages` (apk takes the name itself too)'
    ])
    expect(logger.lines.join('\n')).toMatch(
      /warning: x86_64: link check: could not read the repositories again to name the packages to add \(.*APKINDEX/
    )
  })

  it('names the package from the cached index, without asking the mirror again', async () => {
    const server = await startServer({ root: repo })
    try {
      const logger = capture()
      const result = await build(
        {
          ...local('needy-cached', ['needy']),
          repositories: [server.url],
          cacheDir: tmp('needy-cache'),
          linkCheck: 'warn'
        },
        {
          logger,
          // From here on the mirror's index fails: the suggestion must come from the cache.
          onResolved: async () => {
            server.requests.length = 0
            server.fault('APKINDEX', { status: 500 }, Infinity)
          }
        }
      )
      expect(result.arches[0].linkProblems).toEqual([
        '/usr/bin/needy (needy) needs libnothere.so.1, not found in /lib, /usr/local/lib, /usr/lib; ' +
          'add nothere to `packages` (so:libnothere.so.1)'
      ])
      expect(server.requests.filter((r) => r.path.includes('APKINDEX'))).toEqual([])
      expect(logger.lines.join('\n')).not.toMatch(/could not read the repositories again/)
    } finally {
      await server.close()
    }
  })

  it('passes once the package that provides it is there', async () => {
    const result = await build(local('needy-ok', ['needy', 'nothere']), { logger: capture() })
    expect(result.arches[0].linkProblems).toEqual([])
  })

  it("finds a program's loader missing when `!musl` leaves musl out", async () => {
    const result = await build(
      { ...local('orphan', ['orphan', '!musl']), linkCheck: 'warn' },
      { logger: capture() }
    )
    expect(result.arches[0].linkProblems).toEqual([
      '/usr/bin/orphan (orphan) needs the interpreter /lib/ld-musl-x86_64.so.1, which is not in ' +
        'the image; add musl to `packages` (so:libc.musl-x86_64.so.1)',
      '/usr/bin/orphan (orphan) needs libnothere.so.1, not found in /lib, /usr/local/lib, /usr/lib; ' +
        'add nothere to `packages` (so:libnothere.so.1)',
      '/usr/bin/orphan (orphan) needs libc.musl-x86_64.so.1, not found in /lib, /usr/local/lib, ' +
        "/usr/lib; it is musl's own library: keep musl in the image (drop `!musl`)"
    ])
  })
})

describeShared('a script whose interpreter no repository provides', () => {
  it('is refused before any download, naming the interpreter, the command and the file', async () => {
    const script = tmp('py/tool')
    fs.mkdirSync(path.dirname(script), { recursive: true })
    fs.writeFileSync(script, '#!/usr/bin/env python3\nprint("hi")\n')
    const error = await build(spec('py', { app: { source: script, dest: '/usr/bin/tool' } }), {
      logger: capture()
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AppError)
    const message = (error as Error).message
    expect(message).toContain(
      'the app script /usr/bin/tool needs the interpreter /usr/bin/env, which no package of the ' +
        'repositories provides (neither /usr/bin/env nor cmd:env)'
    )
    expect(message).toContain(
      'the app script /usr/bin/tool runs python3, which no package of the repositories provides (no cmd:python3)'
    )
  })
})
