/**
 * The JSON documents of an image: config, manifest, image index, the layout's index.json and
 * docker's manifest.json. Keys are written in a fixed order (the order of the image-spec Go
 * structs) and maps sorted, without whitespace, so equal inputs give equal digests.
 */
import { ImageSpecError } from './errors.js'
import { compareBytes } from './tar-writer.js'
import type { ImageConfigSpec, LayerSpec, Platform, WrittenLayer } from './types.js'

export const MEDIA_TYPES = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip'
} as const

export interface Descriptor {
  mediaType: string
  digest: string
  size: number
  annotations?: Record<string, string>
  platform?: Platform
  /** The artifact type of a manifest used for an artifact (a referrer). */
  artifactType?: string
}

/** RFC 3339 in UTC without fractions: `2023-11-14T22:13:20Z`. */
export function rfc3339(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** The same object with its keys in bytewise order; undefined for an empty or missing map. */
export function sortedRecord<T>(
  record: Record<string, T> | undefined
): Record<string, T> | undefined {
  if (!record) return undefined
  const keys = Object.keys(record).sort(compareBytes)
  if (keys.length === 0) return undefined
  const out: Record<string, T> = {}
  for (const key of keys) out[key] = record[key]
  return out
}

export function imageConfig(options: {
  platform: Platform
  config: ImageConfigSpec
  layers: LayerSpec[]
  written: WrittenLayer[]
  createdEpoch: number
}): Buffer {
  const created = rfc3339(options.createdEpoch)
  const { platform, config } = options
  return json({
    created,
    architecture: platform.architecture,
    variant: platform.variant,
    os: platform.os,
    config: {
      User: config.user,
      ExposedPorts: exposedPorts(config.exposedPorts),
      Env: config.env,
      Entrypoint: config.entrypoint,
      Cmd: config.cmd,
      WorkingDir: config.workdir,
      Labels: sortedRecord(config.labels),
      StopSignal: config.stopSignal
    },
    rootfs: { type: 'layers', diff_ids: options.written.map((l) => l.diffId) },
    history: options.layers.map((layer) => ({
      created,
      created_by: layer.createdBy,
      comment: layer.comment
    }))
  })
}

/** `8080` → `8080/tcp`; the config holds them as a set, `{"8080/tcp":{}}`. */
function exposedPorts(ports: string[] | undefined): Record<string, object> | undefined {
  if (!ports || ports.length === 0) return undefined
  const set: Record<string, object> = {}
  for (const port of ports) {
    const match = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/.exec(port.trim())
    if (!match || Number(match[1]) > 65535) {
      throw new ImageSpecError(
        `exposed port '${port}' is not PORT or PORT/PROTOCOL (tcp, udp, sctp), e.g. 8080/tcp`
      )
    }
    set[`${Number(match[1])}/${match[2] ?? 'tcp'}`] = {}
  }
  return sortedRecord(set)
}

export function imageManifest(
  config: Descriptor,
  layers: Descriptor[],
  annotations: Record<string, string> | undefined
): Buffer {
  return json({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    config: descriptor(config),
    layers: layers.map(descriptor),
    annotations: sortedRecord(annotations)
  })
}

export function imageIndex(
  manifests: Descriptor[],
  annotations: Record<string, string> | undefined
): Buffer {
  return json({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.index,
    manifests: manifests.map(descriptor),
    annotations: sortedRecord(annotations)
  })
}

/** The key order of image-spec's Descriptor struct. */
export function descriptor(d: Descriptor): object {
  return {
    mediaType: d.mediaType,
    digest: d.digest,
    size: d.size,
    annotations: sortedRecord(d.annotations),
    platform: d.platform && {
      architecture: d.platform.architecture,
      os: d.platform.os,
      variant: d.platform.variant
    },
    artifactType: d.artifactType
  }
}

/** Docker's `manifest.json` for `docker load` on the classic store. */
export function dockerManifest(entry: {
  config: string
  repoTags: string[]
  layers: string[]
}): Buffer {
  return json([
    {
      Config: `blobs/sha256/${hexOf(entry.config)}`,
      RepoTags: entry.repoTags,
      Layers: entry.layers.map((l) => `blobs/sha256/${hexOf(l)}`)
    }
  ])
}

export function hexOf(digest: string): string {
  return digest.replace(/^sha256:/, '')
}

/** JSON.stringify drops undefined members, which is how optional fields are left out. */
export function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8')
}
