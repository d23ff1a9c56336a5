/**
 * Whole images from synthetic entries, checked by the tools that consume them: skopeo reads the
 * archive and agrees on every digest, umoci unpacks the files with their modes and owners, a
 * skopeo copy verifies every blob, docker's manifest.json points at real blobs whose diff_ids
 * match. Also: byte-identical rewrites, nothing left behind on failure, multi-arch indexes.
 */
import { createHash } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { gunzipSync } from 'node:zlib'
import { ImageSpecError } from '../src/oci/errors.js'
import { writeImage } from '../src/oci/image.js'
import { scanDirectory } from '../src/oci/tree.js'
import type { LayerEntry, PlatformImage, WriteImageOptions } from '../src/oci/types.js'

const EPOCH = 1700000000
const isRoot = process.getuid?.() === 0
let work: string
let binary: string

function tmp(name: string): string {
  return path.join(work, name)
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}

function skopeo(...args: string[]): string {
  return execFileSync('skopeo', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

function skopeoRaw(...args: string[]): Buffer {
  return execFileSync('skopeo', args, { stdio: ['ignore', 'pipe', 'pipe'] })
}

/** The files of an archive, by member name. */
function untar(tarball: string, name: string): string {
  const dir = tmp(name)
  fs.mkdirSync(dir)
  execFileSync('tar', ['-xf', tarball, '-C', dir])
  return dir
}

function blob(layout: string, digest: string): Buffer {
  return fs.readFileSync(path.join(layout, 'blobs/sha256', digest.replace('sha256:', '')))
}

/** The synthetic root of the brief: setuid file, group-owned dir, symlink, hardlink, sticky tmp. */
function syntheticEntries(): LayerEntry[] {
  return [
    { path: 'usr/bin/app', type: 'file', mode: 0o4755, uid: 0, gid: 0, source: binary },
    { path: 'srv', type: 'directory', mode: 0o750, uid: 0, gid: 42 },
    {
      path: 'srv/data.txt',
      type: 'file',
      mode: 0o640,
      uid: 1000,
      gid: 42,
      content: Buffer.from('data\n')
    },
    { path: 'usr/bin/app-link', type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname: 'app' },
    { path: 'bin/app', type: 'hardlink', mode: 0o4755, uid: 0, gid: 0, linkname: 'usr/bin/app' },
    { path: 'tmp', type: 'directory', mode: 0o1777, uid: 0, gid: 0 }
  ]
}

function platformImage(
  architecture = 'amd64',
  variant?: string,
  entries = syntheticEntries()
): PlatformImage {
  return {
    platform: { architecture, os: 'linux', variant },
    layers: [{ entries, createdBy: 'witchery: test layer', comment: 'synthetic' }],
    config: {
      entrypoint: ['/usr/bin/app'],
      cmd: ['--serve'],
      env: ['PATH=/usr/bin:/bin'],
      workdir: '/srv',
      user: '65532:65532',
      labels: { 'z.last': '1', 'a.first': '2' },
      stopSignal: 'SIGTERM',
      exposedPorts: ['8080', '53/udp']
    }
  }
}

function options(output: string, extra: Partial<WriteImageOptions> = {}): WriteImageOptions {
  return {
    images: [platformImage()],
    output,
    tags: ['ghcr.io/owner/app:1.2', 'app'],
    createdEpoch: EPOCH,
    annotations: { 'org.opencontainers.image.source': 'https://example.invalid/app' },
    ...extra
  }
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-oci-image-'))
  binary = tmp('app.bin')
  fs.writeFileSync(binary, Buffer.concat([Buffer.from('\x7fELF'), Buffer.alloc(200_000, 0x5a)]))
})

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true })
})

describe('a single-arch image', () => {
  let tarball: string
  let written: Awaited<ReturnType<typeof writeImage>>
  let layout: string

  beforeAll(async () => {
    tarball = tmp('single/image.tar')
    written = await writeImage(options(tarball))
    layout = untar(tarball, 'single-layout')
  })

  it('returns what it wrote', () => {
    expect(written.tarball).toBe(tarball)
    expect(written.size).toBe(fs.statSync(tarball).size)
    expect(written.manifests).toHaveLength(1)
    expect(written.manifests[0].digest).toBe(written.digest)
    const [layer] = written.manifests[0].layers
    expect(layer.size).toBe(blob(layout, layer.digest).length)
    expect(layer.uncompressedSize).toBe(gunzipSync(blob(layout, layer.digest)).length)
    // 6 given + bin, usr, usr/bin added as parents
    expect(layer.entries).toBe(9)
  })

  it('is read by skopeo with our digests', () => {
    const tagged = `oci-archive:${tarball}:1.2`
    const inspect = JSON.parse(skopeo('inspect', tagged))
    expect(inspect.Digest).toBe(written.digest)
    expect(inspect.Architecture).toBe('amd64')
    expect(inspect.Os).toBe('linux')
    expect(inspect.Layers).toEqual(written.manifests[0].layers.map((l) => l.digest))
    expect(sha256(skopeoRaw('inspect', '--raw', tagged))).toBe(written.digest)
    expect(sha256(skopeoRaw('inspect', '--config', '--raw', tagged))).toBe(
      written.manifests[0].configDigest
    )
  })

  it('reads back as the layout files the spec asks for', () => {
    expect(fs.readFileSync(path.join(layout, 'oci-layout'), 'utf8')).toBe(
      '{"imageLayoutVersion":"1.0.0"}'
    )
    const index = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8'))
    expect(index.schemaVersion).toBe(2)
    expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json')
    expect(index.manifests.map((m: { annotations: object }) => m.annotations)).toEqual([
      {
        'io.containerd.image.name': 'ghcr.io/owner/app:1.2',
        'org.opencontainers.image.ref.name': '1.2'
      },
      {
        'io.containerd.image.name': 'docker.io/library/app:latest',
        'org.opencontainers.image.ref.name': 'latest'
      }
    ])
    for (const m of index.manifests) {
      expect(m).toMatchObject({
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: written.digest,
        platform: { architecture: 'amd64', os: 'linux' }
      })
    }
    const manifest = JSON.parse(blob(layout, written.digest).toString())
    expect(manifest.annotations).toEqual({
      'org.opencontainers.image.source': 'https://example.invalid/app'
    })
    expect(manifest.layers[0].mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip')
    expect(manifest.config.mediaType).toBe('application/vnd.oci.image.config.v1+json')
  })

  it('writes the config: runtime settings, rootfs diff_ids, created and history', () => {
    const configBytes = blob(layout, written.manifests[0].configDigest)
    expect(configBytes.toString()).not.toMatch(/\n|": /)
    const config = JSON.parse(configBytes.toString())
    expect(Object.keys(config)).toEqual([
      'created',
      'architecture',
      'os',
      'config',
      'rootfs',
      'history'
    ])
    expect(config.created).toBe('2023-11-14T22:13:20Z')
    expect(config.config).toEqual({
      User: '65532:65532',
      ExposedPorts: { '53/udp': {}, '8080/tcp': {} },
      Env: ['PATH=/usr/bin:/bin'],
      Entrypoint: ['/usr/bin/app'],
      Cmd: ['--serve'],
      WorkingDir: '/srv',
      Labels: { 'a.first': '2', 'z.last': '1' },
      StopSignal: 'SIGTERM'
    })
    expect(Object.keys(config.config.Labels)).toEqual(['a.first', 'z.last'])
    const [layer] = written.manifests[0].layers
    expect(config.rootfs).toEqual({ type: 'layers', diff_ids: [layer.diffId] })
    expect(sha256(gunzipSync(blob(layout, layer.digest)))).toBe(layer.diffId)
    expect(config.history).toEqual([
      { created: '2023-11-14T22:13:20Z', created_by: 'witchery: test layer', comment: 'synthetic' }
    ])
  })

  it('gzips with a fixed header: no name, mtime 0, Unix', () => {
    const layer = blob(layout, written.manifests[0].layers[0].digest)
    expect(layer.subarray(0, 4).toString('hex')).toBe('1f8b0800')
    expect(layer.readUInt32LE(4)).toBe(0)
    expect(layer[9]).toBe(3)
  })

  it("writes docker's manifest.json pointing at blobs whose diff_ids match the config", () => {
    const [entry] = JSON.parse(fs.readFileSync(path.join(layout, 'manifest.json'), 'utf8'))
    expect(entry.RepoTags).toEqual(['ghcr.io/owner/app:1.2', 'app:latest'])
    const config = JSON.parse(fs.readFileSync(path.join(layout, entry.Config), 'utf8'))
    expect(entry.Layers).toHaveLength(config.rootfs.diff_ids.length)
    entry.Layers.forEach((layerPath: string, i: number) => {
      const bytes = fs.readFileSync(path.join(layout, layerPath))
      expect(`sha256:${path.basename(layerPath)}`).toBe(sha256(bytes))
      expect(sha256(gunzipSync(bytes))).toBe(config.rootfs.diff_ids[i])
    })
  })

  it('unpacks with umoci to the files, modes and owners given', () => {
    const bundle = tmp('single-bundle')
    const args = ['unpack', '--image', `${layout}:1.2`, bundle]
    if (!isRoot) args.splice(1, 0, '--rootless')
    execFileSync('umoci', args, { stdio: 'pipe' })
    const rootfs = path.join(bundle, 'rootfs')
    const stat = (p: string) => fs.lstatSync(path.join(rootfs, p))
    expect(stat('usr/bin/app').mode & 0o7777).toBe(0o4755)
    expect(fs.readFileSync(path.join(rootfs, 'usr/bin/app')).equals(fs.readFileSync(binary))).toBe(
      true
    )
    expect(stat('bin/app').ino).toBe(stat('usr/bin/app').ino)
    expect(stat('srv').mode & 0o7777).toBe(0o750)
    expect(stat('srv/data.txt').mode & 0o7777).toBe(0o640)
    expect(stat('tmp').mode & 0o7777).toBe(0o1777)
    expect(fs.readlinkSync(path.join(rootfs, 'usr/bin/app-link'))).toBe('app')
    if (isRoot) {
      expect([stat('srv').uid, stat('srv').gid]).toEqual([0, 42])
      expect([stat('srv/data.txt').uid, stat('srv/data.txt').gid]).toEqual([1000, 42])
      expect(stat('usr/bin/app').uid).toBe(0)
    } else {
      console.warn('skipping owner checks: not root')
    }
  })

  it('copies with skopeo, which verifies every blob digest', () => {
    const out = tmp('single-copy')
    skopeo('copy', '--quiet', `oci-archive:${tarball}:1.2`, `dir:${out}`)
    const manifest = fs.readFileSync(path.join(out, 'manifest.json'))
    expect(sha256(manifest)).toBe(written.digest)
    const files = fs.readdirSync(out).filter((f) => /^[0-9a-f]{64}$/.test(f))
    expect(files.sort()).toEqual(
      [written.manifests[0].configDigest, ...written.manifests[0].layers.map((l) => l.digest)]
        .map((d) => d.replace('sha256:', ''))
        .sort()
    )
    for (const f of files) expect(sha256(fs.readFileSync(path.join(out, f)))).toBe(`sha256:${f}`)
  })

  it('needs no ref with skopeo when there is one tag', async () => {
    const one = tmp('single/one-tag.tar')
    const result = await writeImage(options(one, { tags: ['localhost/app:1.0'] }))
    expect(JSON.parse(skopeo('inspect', `oci-archive:${one}`)).Digest).toBe(result.digest)
  })
})

describe('determinism', () => {
  it('writes the same bytes twice, from files or inline content, in any entry order', async () => {
    const a = await writeImage(options(tmp('det/a.tar')))
    const reordered = syntheticEntries().reverse()
    const inline = reordered.map((e) =>
      e.source ? { ...e, source: undefined, content: fs.readFileSync(e.source) } : e
    )
    const b = await writeImage(
      options(tmp('det/b.tar'), { images: [platformImage('amd64', undefined, inline)] })
    )
    expect(b.digest).toBe(a.digest)
    expect(fs.readFileSync(tmp('det/a.tar')).equals(fs.readFileSync(tmp('det/b.tar')))).toBe(true)
  })

  it('changes the digest when the epoch changes', async () => {
    const a = await writeImage(options(tmp('det/e1.tar')))
    const b = await writeImage(options(tmp('det/e2.tar'), { createdEpoch: EPOCH + 1 }))
    expect(b.digest).not.toBe(a.digest)
    expect(b.manifests[0].layers[0].diffId).not.toBe(a.manifests[0].layers[0].diffId)
  })
})

describe('failure leaves nothing behind', () => {
  const savedTmp = process.env.TMPDIR
  let scratch: string

  beforeEach(() => {
    // Staging goes to os.tmpdir(): point it at a folder of our own to see what is left.
    scratch = fs.mkdtempSync(tmp('scratch-'))
    process.env.TMPDIR = scratch
  })

  afterEach(() => {
    if (savedTmp === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = savedTmp
  })

  async function failWith(entries: LayerEntry[], message: RegExp, outDir: string): Promise<void> {
    const output = path.join(outDir, 'image.tar')
    const big = { path: 'big', type: 'file', mode: 0o644, uid: 0, gid: 0, source: binary } as const
    await expect(
      writeImage(
        options(output, { images: [platformImage('amd64', undefined, [big, ...entries])] })
      )
    ).rejects.toThrow(message)
    expect(fs.existsSync(output)).toBe(false)
    expect(fs.existsSync(outDir) ? fs.readdirSync(outDir) : []).toEqual([])
    expect(fs.readdirSync(scratch)).toEqual([])
  }

  it('when a source file vanishes midway through a layer', async () => {
    const missing = {
      path: 'zz/gone',
      type: 'file',
      mode: 0o644,
      uid: 0,
      gid: 0,
      source: tmp('no-such-file')
    } as const
    await failWith([missing], /ENOENT.*no-such-file/, tmp('fail-missing'))
  })

  it('when a source is unreadable', async () => {
    const locked = tmp('locked.bin')
    fs.writeFileSync(locked, 'secret')
    fs.chmodSync(locked, 0o000)
    // root reads any file: a directory as the source fails the same way, midway.
    const source = isRoot ? work : locked
    const entry = { path: 'zz/locked', type: 'file', mode: 0o644, uid: 0, gid: 0, source } as const
    await failWith([entry], isRoot ? /not a regular file/ : /EACCES/, tmp('fail-locked'))
  })

  it('when a tag is bad, before any layer is written', async () => {
    const output = tmp('fail-tag/image.tar')
    await expect(writeImage(options(output, { tags: ['app:bad+tag'] }))).rejects.toThrow(
      ImageSpecError
    )
    expect(fs.existsSync(path.dirname(output))).toBe(false)
    expect(fs.readdirSync(scratch)).toEqual([])
  })

  it('when the tarball cannot take its place, after it was written', async () => {
    const outDir = tmp('fail-rename')
    const output = path.join(outDir, 'image.tar')
    // A folder in the way makes the final rename fail once the whole archive is written.
    fs.mkdirSync(path.join(output, 'in-the-way'), { recursive: true })
    await expect(writeImage(options(output))).rejects.toThrow(/EISDIR|ENOTEMPTY|EEXIST|EPERM/)
    expect(fs.readdirSync(outDir)).toEqual(['image.tar'])
    expect(fs.readdirSync(output)).toEqual(['in-the-way'])
    expect(fs.readdirSync(scratch)).toEqual([])
  })

  it('keeps an earlier tarball at the output path untouched', async () => {
    const outDir = tmp('fail-keep')
    fs.mkdirSync(outDir)
    const output = path.join(outDir, 'image.tar')
    fs.writeFileSync(output, 'previous')
    const missing = {
      path: 'gone',
      type: 'file',
      mode: 0o644,
      uid: 0,
      gid: 0,
      source: tmp('nope')
    } as const
    await expect(
      writeImage(options(output, { images: [platformImage('amd64', undefined, [missing])] }))
    ).rejects.toThrow(/ENOENT/)
    expect(fs.readdirSync(outDir)).toEqual(['image.tar'])
    expect(fs.readFileSync(output, 'utf8')).toBe('previous')
  })
})

describe('a multi-arch image', () => {
  let tarball: string
  let written: Awaited<ReturnType<typeof writeImage>>

  beforeAll(async () => {
    tarball = tmp('multi/image.tar')
    written = await writeImage(
      options(tarball, {
        images: [platformImage('amd64'), platformImage('arm64', 'v8')],
        tags: ['localhost/multi:2.0']
      })
    )
  })

  it('is a nested image index skopeo reads, with our digest', () => {
    const raw = skopeoRaw('inspect', '--raw', `oci-archive:${tarball}`)
    expect(sha256(raw)).toBe(written.digest)
    const index = JSON.parse(raw.toString())
    expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json')
    expect(index.annotations).toEqual({
      'org.opencontainers.image.source': 'https://example.invalid/app'
    })
    expect(index.manifests).toEqual([
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: written.manifests[0].digest,
        size: expect.any(Number),
        platform: { architecture: 'amd64', os: 'linux' }
      },
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: written.manifests[1].digest,
        size: expect.any(Number),
        platform: { architecture: 'arm64', os: 'linux', variant: 'v8' }
      }
    ])
  })

  it('gives each platform its own config', () => {
    const arm = JSON.parse(
      skopeo(
        'inspect',
        '--override-arch',
        'arm64',
        '--override-variant',
        'v8',
        '--config',
        `oci-archive:${tarball}`
      )
    )
    expect(arm).toMatchObject({ architecture: 'arm64', variant: 'v8', os: 'linux' })
    expect(written.manifests[1].configDigest).not.toBe(written.manifests[0].configDigest)
    // Same layer content on both: one blob, shared.
    expect(written.manifests[1].layers[0].digest).toBe(written.manifests[0].layers[0].digest)
  })

  it('copies all platforms with skopeo --all', () => {
    const out = tmp('multi-copy')
    skopeo('copy', '--quiet', '--all', `oci-archive:${tarball}`, `oci:${out}:copied`)
    const index = JSON.parse(fs.readFileSync(path.join(out, 'index.json'), 'utf8'))
    expect(index.manifests[0].digest).toBe(written.digest)
  })

  it("lists the first platform in docker's manifest.json", () => {
    const layout = untar(tarball, 'multi-layout')
    const [entry] = JSON.parse(fs.readFileSync(path.join(layout, 'manifest.json'), 'utf8'))
    expect(entry.Config).toBe(`blobs/sha256/${written.manifests[0].configDigest.slice(7)}`)
    expect(entry.RepoTags).toEqual(['localhost/multi:2.0'])
  })

  it('refuses the same platform twice', async () => {
    await expect(
      writeImage(options(tmp('multi/dup.tar'), { images: [platformImage(), platformImage()] }))
    ).rejects.toThrow(/platform linux\/amd64\/ is given twice/)
  })
})

describe('layers over layers', () => {
  it('gives an app layer the parent directories of the layer below, and umoci stacks them', async () => {
    const appDir = tmp('app-src')
    fs.mkdirSync(path.join(appDir, 'static'), { recursive: true })
    fs.copyFileSync(binary, path.join(appDir, 'server'))
    fs.chmodSync(path.join(appDir, 'server'), 0o700)
    fs.writeFileSync(path.join(appDir, 'static/index.html'), '<p>hi</p>')
    const base: LayerEntry[] = [
      { path: 'home', type: 'directory', mode: 0o755, uid: 0, gid: 0 },
      { path: 'home/nonroot', type: 'directory', mode: 0o700, uid: 65532, gid: 65532 }
    ]
    const tarball = tmp('stacked/image.tar')
    const written = await writeImage({
      images: [
        {
          platform: { architecture: 'amd64', os: 'linux' },
          layers: [
            { entries: base, createdBy: 'base' },
            { entries: await scanDirectory(appDir, 'home/nonroot/app'), createdBy: 'app' }
          ],
          config: {}
        }
      ],
      output: tarball,
      tags: ['localhost/stacked:1'],
      createdEpoch: EPOCH
    })
    const layout = untar(tarball, 'stacked-layout')
    const listing = execFileSync(
      'tar',
      [
        '--numeric-owner',
        '-tvzf',
        path.join(layout, 'blobs/sha256', written.manifests[0].layers[1].digest.slice(7))
      ],
      { encoding: 'utf8' }
    )
    expect(listing).toMatch(/^drwx------ 65532\/65532 .* home\/nonroot\/$/m)
    expect(listing).toMatch(/^-rwxr-xr-x 0\/0 .* home\/nonroot\/app\/server$/m)

    const bundle = tmp('stacked-bundle')
    const args = ['unpack', '--image', `${layout}:1`, bundle]
    if (!isRoot) args.splice(1, 0, '--rootless')
    execFileSync('umoci', args, { stdio: 'pipe' })
    const home = fs.statSync(path.join(bundle, 'rootfs/home/nonroot'))
    expect(home.mode & 0o7777).toBe(0o700)
    if (isRoot) expect(home.uid).toBe(65532)
    const html = path.join(bundle, 'rootfs/home/nonroot/app/static/index.html')
    expect(fs.readFileSync(html, 'utf8')).toBe('<p>hi</p>')
    expect(fs.statSync(html).mode & 0o7777).toBe(0o644)
  })

  // Its folder once replaced the symlink when unpacked: bin held only the app, /bin/sh was gone.
  it('refuses an app layer folder where a lower layer has a symlink, naming its target', async () => {
    const base: LayerEntry[] = [
      { path: 'usr/bin/sh', type: 'file', mode: 0o755, uid: 0, gid: 0, content: Buffer.from('sh') },
      { path: 'bin', type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname: 'usr/bin' }
    ]
    const output = tmp('over-symlink/image.tar')
    const attempt = writeImage({
      images: [
        {
          platform: { architecture: 'amd64', os: 'linux' },
          layers: [
            { entries: base, createdBy: 'base' },
            { entries: await scanDirectory(binary, 'bin/server'), createdBy: 'app' }
          ],
          config: {}
        }
      ],
      output,
      tags: ['localhost/over:1'],
      createdEpoch: EPOCH
    })
    await expect(attempt).rejects.toThrow(ImageSpecError)
    await expect(attempt).rejects.toThrow(
      "'/bin' is a symlink in a lower layer, and a folder in this layer would replace it; give a path under its target, /usr/bin (for the app: `app-dest`)"
    )
    expect(fs.existsSync(output)).toBe(false)
  })
})
