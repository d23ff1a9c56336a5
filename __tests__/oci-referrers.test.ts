/**
 * Referrers in the tarball: documents attached to a platform's image as OCI 1.1 artifact
 * manifests and listed in index.json. Checked by reading the layout as the image-spec defines
 * it, and by the tools that read it: skopeo still picks the image by its tag, umoci still
 * unpacks it, docker's manifest.json still lists the image only, the digest does not move.
 */
import { createHash } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { ImageSpecError } from '../src/oci/errors.js'
import { writeImage } from '../src/oci/image.js'
import type { ReferrerSpec } from '../src/oci/referrers.js'
import type { PlatformImage, WriteImageOptions } from '../src/oci/types.js'

const EPOCH = 1700000000
const isRoot = process.getuid?.() === 0
const SPDX = Buffer.from('{"spdxVersion":"SPDX-2.3"}\n')
const CDX = Buffer.from('{"bomFormat":"CycloneDX"}\n')
let work: string

interface IndexEntry {
  mediaType: string
  digest: string
  size: number
  annotations?: Record<string, string>
  artifactType?: string
  platform?: { architecture: string }
}

interface Manifest {
  mediaType: string
  artifactType?: string
  config: { mediaType: string; digest: string; size: number }
  layers: { mediaType: string; digest: string; size: number; annotations?: object }[]
  subject?: { mediaType: string; digest: string; size: number }
  manifests?: IndexEntry[]
}

function tmp(name: string): string {
  return path.join(work, name)
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}

function platformImage(architecture: string): PlatformImage {
  return {
    platform: { architecture, os: 'linux' },
    layers: [
      {
        entries: [
          {
            path: 'hello.txt',
            type: 'file',
            mode: 0o644,
            uid: 0,
            gid: 0,
            content: Buffer.from(`hello ${architecture}\n`)
          }
        ],
        createdBy: 'test'
      }
    ],
    config: {}
  }
}

function sboms(platforms: number): ReferrerSpec[] {
  const specs: ReferrerSpec[] = []
  for (let subject = 0; subject < platforms; subject++) {
    specs.push({ subject, artifactType: 'application/spdx+json', content: SPDX, title: 'a.spdx' })
    specs.push({
      subject,
      artifactType: 'application/vnd.cyclonedx+json',
      content: CDX,
      annotations: { 'org.opencontainers.image.created': '2023-11-14T22:13:20Z' }
    })
  }
  return specs
}

async function write(name: string, options: Partial<WriteImageOptions> = {}) {
  const output = tmp(`${name}.tar`)
  const written = await writeImage({
    images: [platformImage('amd64')],
    output,
    tags: ['ghcr.io/o/app:1.0', 'ghcr.io/o/app:latest'],
    createdEpoch: EPOCH,
    ...options
  })
  const layout = tmp(name)
  fs.mkdirSync(layout)
  execFileSync('tar', ['-xf', output, '-C', layout])
  const read = (digest: string) =>
    fs.readFileSync(path.join(layout, 'blobs/sha256', digest.replace('sha256:', '')))
  const index = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8')) as {
    manifests: IndexEntry[]
  }
  return { output, written, layout, read, index }
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-referrers-'))
})

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true })
})

describe('one platform with two documents attached', () => {
  let image: Awaited<ReturnType<typeof write>>
  let plain: Awaited<ReturnType<typeof write>>
  let asked: { digest: string; manifests: { digest: string }[] } | undefined

  beforeAll(async () => {
    image = await write('one', {
      referrers: async (written) => {
        asked = written
        return sboms(1)
      }
    })
    plain = await write('plain')
  })

  it('asks for the documents with the digests they describe, which do not move', () => {
    expect(asked?.digest).toBe(image.written.digest)
    expect(asked?.manifests[0].digest).toBe(image.written.digest)
    expect(image.written.digest).toBe(plain.written.digest)
    expect(plain.written.referrers).toEqual([])
  })

  it('writes each as an artifact manifest: artifactType, empty config, one layer, subject', () => {
    const [spdx, cdx] = image.written.referrers
    const manifestBytes = image.read(spdx.digest)
    expect(sha256(manifestBytes)).toBe(spdx.digest)
    const manifest = JSON.parse(manifestBytes.toString()) as Manifest
    expect(manifest.mediaType).toBe('application/vnd.oci.image.manifest.v1+json')
    expect(manifest.artifactType).toBe('application/spdx+json')
    // The image-spec's empty descriptor: `{}`, two bytes, this well-known digest.
    expect(manifest.config).toEqual({
      mediaType: 'application/vnd.oci.empty.v1+json',
      digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
      size: 2
    })
    expect(image.read(manifest.config.digest).toString()).toBe('{}')
    expect(manifest.layers).toEqual([
      {
        mediaType: 'application/spdx+json',
        digest: sha256(SPDX),
        size: SPDX.length,
        annotations: { 'org.opencontainers.image.title': 'a.spdx' }
      }
    ])
    expect(image.read(manifest.layers[0].digest)).toEqual(SPDX)
    const subjectBytes = image.read(image.written.digest)
    expect(manifest.subject).toEqual({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: image.written.digest,
      size: subjectBytes.length
    })
    expect(spdx.documentDigest).toBe(sha256(SPDX))
    const cdxManifest = JSON.parse(image.read(cdx.digest).toString()) as Manifest
    expect(cdxManifest.artifactType).toBe('application/vnd.cyclonedx+json')
    expect(cdxManifest.subject?.digest).toBe(image.written.digest)
  })

  it('lists them in index.json after the tags, with artifactType and never a ref name', () => {
    const entries = image.index.manifests
    expect(entries).toHaveLength(4)
    expect(entries.slice(0, 2)).toEqual(plain.index.manifests)
    for (const [i, referrer] of image.written.referrers.entries()) {
      const entry = entries[2 + i]
      expect(entry.digest).toBe(referrer.digest)
      expect(entry.mediaType).toBe('application/vnd.oci.image.manifest.v1+json')
      expect(entry.artifactType).toBe(referrer.artifactType)
      expect(entry.size).toBe(image.read(referrer.digest).length)
      expect(entry.annotations?.['org.opencontainers.image.ref.name']).toBeUndefined()
      expect(entry.annotations?.['io.containerd.image.name']).toBeUndefined()
    }
    expect(entries[3].annotations).toEqual({
      'org.opencontainers.image.created': '2023-11-14T22:13:20Z'
    })
  })

  it("keeps docker's manifest.json to the image alone", () => {
    const manifestJson = fs.readFileSync(path.join(image.layout, 'manifest.json'))
    expect(manifestJson).toEqual(fs.readFileSync(path.join(plain.layout, 'manifest.json')))
    const [entry] = JSON.parse(manifestJson.toString()) as { RepoTags: string[] }[]
    expect(entry.RepoTags).toEqual(['ghcr.io/o/app:1.0', 'ghcr.io/o/app:latest'])
  })

  it('is still picked by skopeo through its tag, with the same digest, and copies whole', () => {
    for (const tag of ['1.0', 'latest']) {
      const inspect = JSON.parse(
        execFileSync('skopeo', ['inspect', `oci-archive:${image.output}:${tag}`], {
          encoding: 'utf8'
        })
      ) as { Digest: string }
      expect(inspect.Digest).toBe(image.written.digest)
    }
    const copy = tmp('one-copy')
    execFileSync('skopeo', ['copy', `oci-archive:${image.output}:1.0`, `oci:${copy}:1.0`], {
      stdio: 'pipe'
    })
    const copied = JSON.parse(fs.readFileSync(path.join(copy, 'index.json'), 'utf8')) as {
      manifests: IndexEntry[]
    }
    expect(copied.manifests.map((m) => m.digest)).toEqual([image.written.digest])
  })

  it('unpacks with umoci by its tag', () => {
    const bundle = tmp('one-bundle')
    const args = ['unpack', '--image', `${image.layout}:1.0`, bundle]
    if (!isRoot) args.splice(1, 0, '--rootless')
    execFileSync('umoci', args, { stdio: 'pipe' })
    expect(fs.readFileSync(path.join(bundle, 'rootfs/hello.txt'), 'utf8')).toBe('hello amd64\n')
    const refs = execFileSync('umoci', ['ls', '--layout', image.layout], { encoding: 'utf8' })
    expect(refs.split('\n').filter((l) => l !== '')).toEqual(['1.0', 'latest'])
  })

  it('writes the same bytes twice', async () => {
    const again = await write('again', { referrers: async () => sboms(1) })
    expect(fs.readFileSync(again.output)).toEqual(fs.readFileSync(image.output))
  })
})

describe('several platforms', () => {
  it("attaches each document to its own platform's manifest, not to the index", async () => {
    const image = await write('multi', {
      images: [platformImage('amd64'), platformImage('arm64')],
      referrers: async () => sboms(2)
    })
    const top = JSON.parse(image.read(image.written.digest).toString()) as Manifest
    expect(top.mediaType).toBe('application/vnd.oci.image.index.v1+json')
    // The nested index lists the platforms only: no unknown/unknown entries.
    expect(top.manifests?.map((m) => m.platform?.architecture)).toEqual(['amd64', 'arm64'])
    const subjects = image.written.referrers.map((r) => r.subject)
    const platforms = image.written.manifests.map((m) => m.digest)
    expect(subjects).toEqual([platforms[0], platforms[0], platforms[1], platforms[1]])
    for (const referrer of image.written.referrers) {
      const manifest = JSON.parse(image.read(referrer.digest).toString()) as Manifest
      expect(manifest.subject?.digest).toBe(referrer.subject)
      expect(manifest.subject?.size).toBe(image.read(referrer.subject).length)
    }
    expect(image.index.manifests).toHaveLength(6)
    const inspect = JSON.parse(
      execFileSync('skopeo', ['inspect', '--raw', `oci-archive:${image.output}:latest`], {
        encoding: 'utf8'
      })
    ) as Manifest
    expect(inspect.manifests).toHaveLength(2)
  })
})

describe('bad referrers', () => {
  it('refuses a document for a platform the image does not have, leaving nothing', async () => {
    const output = tmp('bad/none.tar')
    await expect(
      writeImage({
        images: [platformImage('amd64')],
        output,
        tags: ['app:1'],
        createdEpoch: EPOCH,
        referrers: async () => [{ subject: 1, artifactType: 'text/plain', content: SPDX }]
      })
    ).rejects.toThrow(new ImageSpecError('a referrer names platform 1, but the image has 1'))
    expect(fs.existsSync(output)).toBe(false)
  })

  it('refuses an artifact type that is not a media type', async () => {
    await expect(
      writeImage({
        images: [platformImage('amd64')],
        output: tmp('bad/type.tar'),
        tags: ['app:1'],
        createdEpoch: EPOCH,
        referrers: async () => [{ subject: 0, artifactType: 'spdx json', content: SPDX }]
      })
    ).rejects.toThrow(/artifact type 'spdx json' is not a media type/)
  })
})
