/**
 * Referrers: documents about an image (an SBOM, a signature) stored beside it in the layout as
 * OCI 1.1 artifact manifests. Each is an image manifest whose `artifactType` names the document,
 * whose config is the empty descriptor (`{}`), whose one layer is the document, and whose
 * `subject` is the manifest it describes. They are listed in the layout's index.json without a
 * `org.opencontainers.image.ref.name`, so a tag still names only the image, while tools that copy
 * a layout with its referrers find them there.
 */
import { ImageSpecError } from './errors.js'
import { json, MEDIA_TYPES, sortedRecord, type Descriptor } from './documents.js'

/** The empty JSON object, the config of an artifact manifest (image-spec 1.1 "empty descriptor"). */
export const EMPTY_CONFIG = { mediaType: 'application/vnd.oci.empty.v1+json', bytes: '{}' } as const

/** One document to attach to a platform's image. */
export interface ReferrerSpec {
  /** Index into WriteImageOptions.images: the platform manifest the document describes. */
  subject: number
  /** Media type of the document; also the manifest's `artifactType` (`application/spdx+json`). */
  artifactType: string
  content: Buffer
  /** `org.opencontainers.image.title` of the document layer: a file name for it. */
  title?: string
  /** Annotations of the artifact manifest (and of its index.json entry). */
  annotations?: Record<string, string>
}

/** What was written for one ReferrerSpec. */
export interface WrittenReferrer {
  subject: string
  artifactType: string
  /** Digest of the artifact manifest. */
  digest: string
  /** Digest of the document blob (its layer). */
  documentDigest: string
  /** Its entry in index.json. */
  descriptor: Descriptor
}

/** Stores a blob and returns its descriptor (the writer's staging area). */
export type BlobWriter = (mediaType: string, bytes: Buffer) => Promise<Descriptor>

/** A media type as RFC 6838 allows (`type/subtype`, restricted name characters). */
const MEDIA_TYPE =
  /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/

/** Writes each referrer's document, config and manifest; returns them in the order given. */
export async function writeReferrers(
  specs: ReferrerSpec[],
  subjects: Descriptor[],
  writeBlob: BlobWriter
): Promise<WrittenReferrer[]> {
  const written: WrittenReferrer[] = []
  for (const spec of specs) {
    const subject = subjects[spec.subject]
    if (!subject) {
      throw new ImageSpecError(
        `a referrer names platform ${spec.subject}, but the image has ${subjects.length}`
      )
    }
    if (!MEDIA_TYPE.test(spec.artifactType)) {
      throw new ImageSpecError(
        `artifact type '${spec.artifactType}' is not a media type such as application/spdx+json`
      )
    }
    const config = await writeBlob(EMPTY_CONFIG.mediaType, Buffer.from(EMPTY_CONFIG.bytes))
    const layer = await writeBlob(spec.artifactType, spec.content)
    const title = spec.title && { 'org.opencontainers.image.title': spec.title }
    const manifest = await writeBlob(
      MEDIA_TYPES.manifest,
      artifactManifest({
        artifactType: spec.artifactType,
        config,
        layer: { ...layer, annotations: title || undefined },
        subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
        annotations: spec.annotations
      })
    )
    written.push({
      subject: subject.digest,
      artifactType: spec.artifactType,
      digest: manifest.digest,
      documentDigest: layer.digest,
      descriptor: {
        ...manifest,
        artifactType: spec.artifactType,
        annotations: sortedRecord(spec.annotations)
      }
    })
  }
  return written
}

/** An image manifest used for an artifact, keys in image-spec's Manifest struct order. */
export function artifactManifest(parts: {
  artifactType: string
  config: Descriptor
  layer: Descriptor
  subject: Descriptor
  annotations?: Record<string, string>
}): Buffer {
  const plain = (d: Descriptor) => ({
    mediaType: d.mediaType,
    digest: d.digest,
    size: d.size,
    annotations: sortedRecord(d.annotations)
  })
  return json({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    artifactType: parts.artifactType,
    config: plain(parts.config),
    layers: [plain(parts.layer)],
    subject: plain(parts.subject),
    annotations: sortedRecord(parts.annotations)
  })
}
