/**
 * Writes an image, single- or multi-arch, as one OCI archive tarball that skopeo, podman, umoci
 * and `docker load` all read. It is written front to back under a temporary name next to the
 * output and renamed at the end (a failure leaves nothing): the blobs directories, each
 * platform's layers as they are compressed, its config and manifest, then index.json,
 * manifest.json and oci-layout.
 */
import { createHash } from 'node:crypto'
import { ArchiveWriter } from './archive.js'
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
import type {
  LayerEntry,
  PlatformImage,
  WriteImageOptions,
  WrittenImage,
  WrittenManifest
} from './types.js'
import { writeThroughTemp } from '../files.js'
import { OWNER_SOURCE, removeStale, tempRoot } from '../temp.js'

const REF_NAME = 'org.opencontainers.image.ref.name'
const CONTAINERD_NAME = 'io.containerd.image.name'
const OCI_LAYOUT = '{"imageLayoutVersion":"1.0.0"}'
/** The largest mtime a ustar header holds (11 octal digits): the year 2242. */
const MAX_EPOCH = 0o77777777777

export async function writeImage(options: WriteImageOptions): Promise<WrittenImage> {
  checkOptions(options)
  const refs = uniqueRefs(options.tags)
  const gzipLevel = options.gzipLevel ?? DEFAULT_GZIP_LEVEL
  // The writer stages nothing now, but killed runs of versions that staged blobs left folders.
  removeStale(tempRoot(), new RegExp(`^witchery-oci-${OWNER_SOURCE}-`))
  let result: Omit<WrittenImage, 'tarball'> | undefined
  await writeThroughTemp(
    options.output,
    async (temp) => {
      const archive = await ArchiveWriter.create(temp, options.createdEpoch)
      try {
        result = await writeArchive(archive, options, refs, gzipLevel)
      } catch (error) {
        await archive.abandon()
        throw error
      }
    },
    { removeStale: true }
  )
  return { tarball: options.output, ...(result as Omit<WrittenImage, 'tarball'>) }
}

async function writeArchive(
  archive: ArchiveWriter,
  options: WriteImageOptions,
  refs: ImageRef[],
  gzipLevel: number
): Promise<Omit<WrittenImage, 'tarball'>> {
  await archive.directory('blobs')
  await archive.directory('blobs/sha256')
  const written: { manifest: WrittenManifest; descriptor: Descriptor }[] = []
  for (const image of options.images) {
    // One image: its manifest is the top object and takes the image-wide annotations too.
    const annotations =
      options.images.length === 1
        ? { ...options.annotations, ...image.annotations }
        : image.annotations
    const settings = { createdEpoch: options.createdEpoch, gzipLevel, annotations }
    written.push(await writePlatform(image, archive, settings))
  }
  const top = await topDescriptor(written, archive, options.annotations)
  const manifests = written.map((w) => w.manifest)
  const referrers = options.referrers
    ? await writeReferrers(
        await options.referrers({ digest: top.digest, manifests }),
        written.map((w) => w.descriptor),
        (mediaType, bytes) => writeBlob(archive, mediaType, bytes)
      )
    : []
  await writeLayoutFiles(archive, top, refs, written[0].manifest, referrers)
  const size = await archive.close()
  return { digest: top.digest, manifests, size, referrers }
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

/** Layers, config and manifest of one platform, into the archive. */
async function writePlatform(
  image: PlatformImage,
  archive: ArchiveWriter,
  options: {
    createdEpoch: number
    gzipLevel: number
    annotations: Record<string, string> | undefined
  }
): Promise<{ manifest: WrittenManifest; descriptor: Descriptor }> {
  const below = new Map<string, LayerEntry>()
  const layers = []
  for (const layer of image.layers) {
    const entries = normalizeEntries(layer.entries, { parentDir: (p) => below.get(p) })
    // One after another into the archive; each layer's compression uses every core.
    layers.push(
      await writeLayer(entries, archive, {
        mtime: options.createdEpoch,
        gzipLevel: options.gzipLevel
      })
    )
    for (const entry of entries) below.set(entry.path, entry)
  }
  const config = await writeBlob(
    archive,
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
    archive,
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
  archive: ArchiveWriter,
  annotations: Record<string, string> | undefined
): Promise<Descriptor> {
  if (written.length === 1) return written[0].descriptor
  const index = imageIndex(
    written.map((w) => w.descriptor),
    annotations
  )
  return writeBlob(archive, MEDIA_TYPES.index, index)
}

async function writeBlob(
  archive: ArchiveWriter,
  mediaType: string,
  bytes: Buffer
): Promise<Descriptor> {
  const hex = createHash('sha256').update(bytes).digest('hex')
  await archive.file(`blobs/sha256/${hex}`, bytes)
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
  archive: ArchiveWriter,
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
  await archive.file('index.json', imageIndex(descriptors, undefined))
  const manifestJson = dockerManifest({
    config: first.configDigest,
    repoTags: refs.map((ref) => `${ref.name}:${ref.tag}`),
    layers: first.layers.map((l) => l.digest)
  })
  await archive.file('manifest.json', manifestJson)
  await archive.file('oci-layout', Buffer.from(OCI_LAYOUT))
}
