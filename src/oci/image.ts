/**
 * Writes an image, single- or multi-arch, as one OCI archive tarball that skopeo, podman, umoci
 * and `docker load` all read. Blobs are staged in a temporary directory, the tarball is written
 * next to the output under a temporary name and renamed at the end: a failure leaves nothing.
 */
import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { ImageSpecError } from './errors.js'
import {
  dockerManifest,
  imageConfig,
  imageIndex,
  imageManifest,
  MEDIA_TYPES,
  type Descriptor
} from './documents.js'
import { normalizeEntries } from './entries.js'
import { DEFAULT_GZIP_LEVEL, writeLayer } from './layer.js'
import { writeReferrers, type WrittenReferrer } from './referrers.js'
import { parseImageRef, qualifiedName, type ImageRef } from './tags.js'
import { compareBytes, tarStream } from './tar-writer.js'
import type {
  LayerEntry,
  PlatformImage,
  WriteImageOptions,
  WrittenImage,
  WrittenLayer,
  WrittenManifest
} from './types.js'
import { writeThroughTemp } from '../files.js'
import { createExclusive } from '../root-writer.js'
import { makeWorkDir } from '../temp.js'

const REF_NAME = 'org.opencontainers.image.ref.name'
const CONTAINERD_NAME = 'io.containerd.image.name'
const OCI_LAYOUT = '{"imageLayoutVersion":"1.0.0"}'
/** The largest mtime a ustar header holds (11 octal digits): the year 2242. */
const MAX_EPOCH = 0o77777777777

interface Staging {
  dir: string
  blobs: string
}

export async function writeImage(options: WriteImageOptions): Promise<WrittenImage> {
  checkOptions(options)
  const refs = uniqueRefs(options.tags)
  const gzipLevel = options.gzipLevel ?? DEFAULT_GZIP_LEVEL
  const work = await makeWorkDir('oci')
  const dir = work.dir
  const staging: Staging = { dir, blobs: path.join(dir, 'blobs', 'sha256') }
  try {
    await fs.mkdir(staging.blobs, { recursive: true })
    const written: { manifest: WrittenManifest; descriptor: Descriptor }[] = []
    for (const image of options.images) {
      // One image: its manifest is the top object and takes the image-wide annotations too.
      const annotations =
        options.images.length === 1
          ? { ...options.annotations, ...image.annotations }
          : image.annotations
      const settings = { createdEpoch: options.createdEpoch, gzipLevel, annotations }
      written.push(await writePlatform(image, staging, settings))
    }
    const top = await topDescriptor(written, staging, options.annotations)
    const manifests = written.map((w) => w.manifest)
    const referrers = options.referrers
      ? await writeReferrers(
          await options.referrers({ digest: top.digest, manifests }),
          written.map((w) => w.descriptor),
          (mediaType, bytes) => writeBlob(staging, mediaType, bytes)
        )
      : []
    await writeLayoutFiles(staging, top, refs, written[0].manifest, referrers)
    const size = await writeArchive(staging, options.output, options.createdEpoch)
    return { tarball: options.output, digest: top.digest, manifests, size, referrers }
  } finally {
    await work.release()
  }
}

function checkOptions(options: WriteImageOptions): void {
  if (options.images.length === 0) {
    throw new ImageSpecError('writeImage needs at least one platform image')
  }
  const epoch = options.createdEpoch
  if (!Number.isSafeInteger(epoch) || epoch < 0 || epoch > MAX_EPOCH) {
    throw new ImageSpecError(
      `created epoch ${epoch} is not a whole number of seconds between 0 and ${MAX_EPOCH}`
    )
  }
  const level = options.gzipLevel
  if (level !== undefined && (!Number.isInteger(level) || level < 0 || level > 9)) {
    throw new ImageSpecError(`gzip level ${level} is not a whole number from 0 to 9`)
  }
  const seen = new Set<string>()
  for (const { platform } of options.images) {
    const key = [platform.os, platform.architecture, platform.variant ?? ''].join('/')
    if (seen.has(key)) {
      throw new ImageSpecError(`platform ${key} is given twice; give each platform once`)
    }
    seen.add(key)
  }
}

/** Parsed tags, each full reference once, in the order given. */
function uniqueRefs(tags: string[]): ImageRef[] {
  const refs: ImageRef[] = []
  for (const tag of tags) {
    const ref = parseImageRef(tag)
    if (!refs.some((r) => r.name === ref.name && r.tag === ref.tag)) refs.push(ref)
  }
  return refs
}

/** Layers, config and manifest of one platform, into the staging blobs. */
async function writePlatform(
  image: PlatformImage,
  staging: Staging,
  options: {
    createdEpoch: number
    gzipLevel: number
    annotations: Record<string, string> | undefined
  }
): Promise<{ manifest: WrittenManifest; descriptor: Descriptor }> {
  const below = new Map<string, LayerEntry>()
  const ordered: LayerEntry[][] = []
  for (const layer of image.layers) {
    const entries = normalizeEntries(layer.entries, { parentDir: (p) => below.get(p) })
    ordered.push(entries)
    for (const entry of entries) below.set(entry.path, entry)
  }
  // Layers are independent blobs: written at once, small ones share the cores with big ones.
  const settled = await Promise.allSettled(
    ordered.map((entries) =>
      writeLayer(entries, staging.blobs, {
        mtime: options.createdEpoch,
        gzipLevel: options.gzipLevel
      })
    )
  )
  // Every layer has stopped before the staging folder is removed; the first failure is reported.
  const failed = settled.find((r) => r.status === 'rejected')
  if (failed) throw failed.reason
  const layers = settled.map((r) => (r as PromiseFulfilledResult<WrittenLayer>).value)
  const config = await writeBlob(
    staging,
    MEDIA_TYPES.config,
    imageConfig({
      platform: image.platform,
      config: image.config,
      layers: image.layers,
      written: layers,
      createdEpoch: options.createdEpoch
    })
  )
  const layerDescriptors = layers.map((l) => ({
    mediaType: MEDIA_TYPES.layer,
    digest: l.digest,
    size: l.size
  }))
  const manifest = await writeBlob(
    staging,
    MEDIA_TYPES.manifest,
    imageManifest(config, layerDescriptors, options.annotations)
  )
  return {
    manifest: {
      platform: image.platform,
      digest: manifest.digest,
      configDigest: config.digest,
      layers
    },
    descriptor: { ...manifest, platform: image.platform }
  }
}

/** The manifest itself for one platform; for several, a nested index listing them. */
async function topDescriptor(
  written: { descriptor: Descriptor }[],
  staging: Staging,
  annotations: Record<string, string> | undefined
): Promise<Descriptor> {
  if (written.length === 1) return written[0].descriptor
  const index = imageIndex(
    written.map((w) => w.descriptor),
    annotations
  )
  return writeBlob(staging, MEDIA_TYPES.index, index)
}

async function writeBlob(staging: Staging, mediaType: string, bytes: Buffer): Promise<Descriptor> {
  const hex = createHash('sha256').update(bytes).digest('hex')
  await fs.writeFile(path.join(staging.blobs, hex), bytes)
  return { mediaType, digest: `sha256:${hex}`, size: bytes.length }
}

/**
 * `oci-layout`, `index.json` with one descriptor per tag and then one per referrer (untagged:
 * `oci-archive:FILE:TAG` still picks the image), and docker's `manifest.json`, which lists the
 * image only.
 * manifest.json lists the first platform only: docker's classic store loads one config per
 * entry and cannot hold an index, and entries sharing a tag would leave it on the last one
 * loaded. Docker with the containerd store, podman and skopeo read index.json and get all.
 */
async function writeLayoutFiles(
  staging: Staging,
  top: Descriptor,
  refs: ImageRef[],
  first: WrittenManifest,
  referrers: WrittenReferrer[]
): Promise<void> {
  const tagged: Descriptor[] =
    refs.length === 0
      ? [top]
      : refs.map((ref) => ({
          ...top,
          annotations: { [CONTAINERD_NAME]: qualifiedName(ref), [REF_NAME]: ref.tag }
        }))
  const descriptors = [...tagged, ...referrers.map((r) => r.descriptor)]
  await fs.writeFile(path.join(staging.dir, 'oci-layout'), OCI_LAYOUT)
  await fs.writeFile(path.join(staging.dir, 'index.json'), imageIndex(descriptors, undefined))
  const manifestJson = dockerManifest({
    config: first.configDigest,
    repoTags: refs.map((ref) => `${ref.name}:${ref.tag}`),
    layers: first.layers.map((l) => l.digest)
  })
  await fs.writeFile(path.join(staging.dir, 'manifest.json'), manifestJson)
}

/** Tars the staging directory into `output` through a temporary name; returns its size. */
async function writeArchive(staging: Staging, output: string, mtime: number): Promise<number> {
  const entries = await archiveEntries(staging)
  // The temporary is made new, never through a link put at its name (createExclusive).
  await writeThroughTemp(
    output,
    (temp) =>
      pipeline(tarStream(entries, mtime), createWriteStream('', { fd: createExclusive(temp) })),
    { removeStale: true }
  )
  return (await fs.stat(output)).size
}

async function archiveEntries(staging: Staging): Promise<LayerEntry[]> {
  const file = (name: string): LayerEntry => ({
    path: name,
    type: 'file',
    mode: 0o644,
    uid: 0,
    gid: 0,
    source: path.join(staging.dir, name)
  })
  const blobs = (await fs.readdir(staging.blobs)).sort(compareBytes)
  return normalizeEntries([
    file('oci-layout'),
    file('index.json'),
    file('manifest.json'),
    ...blobs.map((hex) => file(`blobs/sha256/${hex}`))
  ])
}
