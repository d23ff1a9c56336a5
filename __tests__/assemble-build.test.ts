/**
 * The build pipeline (build()) on a real signed repository in a local folder: what it hands the
 * engine, what the app layer holds, and the app checks that run before anything is read.
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { gunzipSync } from 'node:zlib'
import { findArch, type ArchInfo } from '../src/arch.js'
import type { Logger } from '../src/apk/types.js'
import { checkApp } from '../src/assemble/app.js'
import { build } from '../src/assemble/build.js'
import { AppError, BuildError } from '../src/assemble/errors.js'
import type { BuildSpec } from '../src/assemble/spec.js'
import { buildApk } from './support/apk-builder.js'
import { generateSigningKey, writeKeysDir } from './support/keys.js'
import { compileMusl, HELLO_SOURCE, muslPackage } from './support/packages.js'
import { buildRepository } from './support/repo-builder.js'

const EPOCH = 1234567890
const silent: Logger = { info: () => {}, warning: () => {}, debug: () => {} }
const x86_64 = findArch('x86_64') as ArchInfo

let work: string
let repo: string
let keysDir: string
let app: string

function tmp(name: string): string {
  return path.join(work, name)
}

function spec(extra: Partial<BuildSpec> = {}): BuildSpec {
  return {
    packages: ['scripted'],
    app: { source: app, dest: '/usr/bin/hello' },
    arches: ['x86_64'],
    repositories: [repo],
    keyFiles: [],
    keyDirs: [keysDir],
    fetchAlpineKeys: false,
    allowUntrusted: false,
    image: {
      entrypoint: ['/usr/bin/hello'],
      env: [],
      user: 'nonroot',
      labels: {},
      annotations: {}
    },
    tags: ['witchery-test:1.0'],
    output: tmp('out/image.tar'),
    sourceDateEpoch: EPOCH,
    scripts: 'native',
    sbom: ['spdx', 'cyclonedx'],
    ...extra
  }
}

/** Header fields of every member of an uncompressed tar. */
function tarMembers(tar: Buffer): { name: string; mode: number; mtime: number; data: Buffer }[] {
  const out = []
  const field = (h: Buffer, start: number, length: number) =>
    h
      .subarray(start, start + length)
      .toString('latin1')
      .replace(/\0.*$/s, '')
      .trim()
  for (let offset = 0; offset + 512 <= tar.length;) {
    const header = tar.subarray(offset, offset + 512)
    if (header.every((b) => b === 0)) break
    const size = parseInt(field(header, 124, 12), 8)
    const prefix = field(header, 345, 155)
    const name = field(header, 0, 100)
    out.push({
      name: prefix ? `${prefix}/${name}` : name,
      mode: parseInt(field(header, 100, 8), 8),
      mtime: parseInt(field(header, 136, 12), 8),
      data: tar.subarray(offset + 512, offset + 512 + size)
    })
    offset += 512 + Math.ceil(size / 512) * 512
  }
  return out
}

/** The uncompressed layers of the image in `tarball`, bottom first. */
function layers(tarball: string, name: string): Buffer[] {
  const dir = tmp(name)
  fs.mkdirSync(dir)
  execFileSync('tar', ['-xf', tarball, '-C', dir])
  const [manifest] = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'))
  return (manifest.Layers as string[]).map((l) => gunzipSync(fs.readFileSync(path.join(dir, l))))
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-build-'))
  const key = generateSigningKey()
  keysDir = tmp('keys')
  writeKeysDir(keysDir, [key])
  const scripted = buildApk(
    {
      name: 'scripted',
      version: '1.0-r0',
      // No build date: its scripts.tar entry takes the build's epoch.
      builddate: 0,
      scripts: { 'post-install': '#!/bin/sh\necho set up\n' },
      files: [{ path: 'usr/share/scripted/README', content: 'scripted\n' }]
    },
    key
  )
  repo = buildRepository(tmp('repo'), 'x86_64', [buildApk(muslPackage(), key), scripted], key).url
  // As actions/download-artifact leaves it: no exec bit.
  app = compileMusl(HELLO_SOURCE, tmp('app/hello'))
  fs.chmodSync(app, 0o644)
})

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true })
})

describe('build', () => {
  let packageLayer: ReturnType<typeof tarMembers>
  let appLayer: ReturnType<typeof tarMembers>

  beforeAll(async () => {
    const result = await build(spec(), { logger: silent })
    // No busybox in the root: apk-tools could not have run the script either.
    expect(result.warnings.join('\n')).toMatch(
      /install script commands not run .*scripted-1\.0-r0\.post-install: #!\/bin\/sh \(no busybox shell/
    )
    // A repository with no DESCRIPTION, no alpine-release and no /vX.Y/ URL.
    expect(result.warnings.join('\n')).toContain('scanners such as Trivy will not detect the OS')
    const all = layers(result.tarball, 'layers').map(tarMembers)
    // The app's layer is the last; the packages and the apk database are in those below.
    packageLayer = all.slice(0, -1).flat()
    appLayer = all[all.length - 1]
  })

  it('dates scripts.tar entries of a package without a build date by the source date epoch', () => {
    const scriptsTar = packageLayer.find((m) => m.name === 'lib/apk/db/scripts.tar')
    expect(scriptsTar).toBeDefined()
    const [script] = tarMembers(scriptsTar!.data)
    expect(script.name).toMatch(/^scripted-1\.0-r0\.Q1.*\.post-install$/)
    expect(script.mtime).toBe(EPOCH)
  })

  it('makes a single-file app executable even when its file has no exec bit', () => {
    expect(fs.statSync(app).mode & 0o777).toBe(0o644)
    const entry = appLayer.find((m) => m.name === 'usr/bin/hello')
    expect(entry?.mode).toBe(0o755)
  })
})

describe('SBOMs of a build', () => {
  it("describe the app's files by the SHA-256 of what is in the image", async () => {
    const result = await build(spec({ output: tmp('sbom/app.tar') }), { logger: silent })
    const [spdx, cdx] = result.sbom.map((s) => JSON.parse(fs.readFileSync(s.path, 'utf8')))
    const sha256 = createHash('sha256').update(fs.readFileSync(app)).digest('hex')
    expect(spdx.files).toEqual([
      expect.objectContaining({
        fileName: './usr/bin/hello',
        checksums: expect.arrayContaining([{ algorithm: 'SHA256', checksumValue: sha256 }])
      })
    ])
    const component = cdx.components.find((c: { type: string }) => c.type === 'application')
    expect(component.name).toBe('hello')
    expect(component.components[0].hashes).toContainEqual({ alg: 'SHA-256', content: sha256 })
  })

  it("are made per architecture, each attached to that architecture's manifest", async () => {
    const key = generateSigningKey()
    const keys = tmp('multi/keys')
    writeKeysDir(keys, [key])
    const multiRepo = tmp('multi/repo')
    for (const arch of ['x86_64', 'aarch64']) {
      buildRepository(multiRepo, arch, [buildApk(muslPackage(arch), key)], key)
    }
    const output = tmp('multi/out/image.tar')
    const result = await build(
      spec({
        packages: ['musl'],
        app: undefined,
        arches: ['x86_64', 'aarch64'],
        repositories: [multiRepo],
        keyDirs: [keys],
        output
      }),
      { logger: silent }
    )
    expect(result.sbom.map((s) => [s.arch, s.format, path.basename(s.path)])).toEqual([
      ['x86_64', 'spdx', 'image.x86_64.spdx.json'],
      ['x86_64', 'cyclonedx', 'image.x86_64.cdx.json'],
      ['aarch64', 'spdx', 'image.aarch64.spdx.json'],
      ['aarch64', 'cyclonedx', 'image.aarch64.cdx.json']
    ])
    const layout = tmp('multi/layout')
    fs.mkdirSync(layout)
    execFileSync('tar', ['-xf', output, '-C', layout])
    for (const record of result.sbom) {
      const manifestDigest = result.arches.find((a) => a.arch === record.arch)?.manifestDigest
      const referrer = JSON.parse(
        fs.readFileSync(path.join(layout, 'blobs/sha256', record.referrer.slice(7)), 'utf8')
      )
      expect(referrer.subject.digest).toBe(manifestDigest)
      if (record.format === 'cyclonedx') {
        const bom = JSON.parse(fs.readFileSync(record.path, 'utf8'))
        expect(bom.metadata.component.version).toBe(manifestDigest)
        expect(bom.components.map((c: { purl: string }) => c.purl)).toEqual([
          `pkg:apk/alpine/musl@1.2.3-r0?arch=${record.arch}`
        ])
      }
    }
    // The image index (the digest) lists the two platforms only.
    const index = JSON.parse(
      fs.readFileSync(path.join(layout, 'blobs/sha256', result.digest.slice(7)), 'utf8')
    )
    expect(index.manifests.map((m: { digest: string }) => m.digest)).toEqual(
      result.arches.map((a) => a.manifestDigest)
    )
  })

  it('are left out with `sbom: none`: no files, no referrers', async () => {
    const output = tmp('sbom-none/image.tar')
    const result = await build(spec({ output, sbom: [] }), { logger: silent })
    expect(result.sbom).toEqual([])
    expect(fs.readdirSync(path.dirname(output))).toEqual(['image.tar'])
    const dir = tmp('sbom-none/layout')
    fs.mkdirSync(dir)
    execFileSync('tar', ['-xf', output, '-C', dir])
    const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8'))
    expect(index.manifests).toHaveLength(1)
    expect(index.manifests[0].digest).toBe(result.digest)
  })

  it('that cannot be written fail the build and take the tarball away again', async () => {
    const output = tmp('sbom-blocked/image.tar')
    // A non-empty folder where the CycloneDX document goes: the rename onto it fails.
    fs.mkdirSync(tmp('sbom-blocked/image.x86_64.cdx.json/x'), { recursive: true })
    const error = await build(spec({ output }), { logger: silent }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BuildError)
    expect((error as BuildError).input).toBe('output')
    expect((error as Error).message).toMatch(
      /cannot write the SBOM beside the tarball '.*image\.tar'.*set `sbom: none`/
    )
    expect(fs.readdirSync(tmp('sbom-blocked')).sort()).toEqual(['image.x86_64.cdx.json'])
  })
})

describe('app checks', () => {
  it('refuses an app linked against musl dynamically when `!musl` leaves musl out', async () => {
    const error = await build(
      spec({ packages: ['scripted', '!musl'], output: tmp('out/refused.tar') }),
      {
        logger: silent
      }
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AppError)
    expect((error as Error).message).toContain(
      `app '${app}' is linked against musl dynamically (its ELF interpreter is /lib/ld-musl-x86_64.so.1)`
    )
    expect((error as Error).message).toMatch(/`!musl` in `packages` leaves musl out/)
    expect((error as Error).message).toMatch(/Drop `!musl`, or build the app statically/)
    // Refused before anything was written.
    expect(fs.existsSync(tmp('out/refused.tar'))).toBe(false)
  })

  it('checks every ELF of an app folder the same way, and passes with musl in the image', async () => {
    const folder = tmp('app-folder')
    fs.mkdirSync(path.join(folder, 'bin'), { recursive: true })
    fs.copyFileSync(app, path.join(folder, 'bin/hello'))
    await expect(checkApp(folder, x86_64, { musl: false })).rejects.toThrow(
      /'bin\/hello' in app folder .* is linked against musl dynamically/
    )
    await expect(checkApp(folder, x86_64, { musl: true })).resolves.toBe('folder')
    await expect(checkApp(app, x86_64)).resolves.toBe('file')
  })

  it('lets a static app go without musl', async () => {
    const staticApp = compileMusl(HELLO_SOURCE, tmp('static/hello'), ['-Os', '-s', '-static'])
    await expect(checkApp(staticApp, x86_64, { musl: false })).resolves.toBe('file')
  })
})
