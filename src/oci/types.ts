import type { ReferrerSpec, WrittenReferrer } from './referrers.js'

/**
 * The image writer's data model: what goes into a layer, an image config and the archive, and
 * what comes out. Nothing here knows about APK or GitHub Actions.
 */

/** One path of a layer. Owners and modes come from here, never from the host file. */
export interface LayerEntry {
  /** Relative to the image root: no leading `/`, no trailing `/`, no `.` or `..` parts. */
  path: string
  type: 'file' | 'directory' | 'symlink' | 'hardlink'
  /** Permission bits including setuid/setgid/sticky (`mode & 0o7777`). */
  mode: number
  uid: number
  gid: number
  /** Symlink target as written, or the root-relative path of a hardlink's target. */
  linkname?: string
  /** Absolute path of a host file to read a regular file's content from. */
  source?: string
  /** Inline content of a regular file (instead of `source`). */
  content?: Buffer
  /** Extended attributes, written as PAX `SCHILY.xattr.*` records. */
  xattrs?: Map<string, Buffer>
  /** Modification time in Unix seconds; default: the layer's (the build epoch). */
  mtime?: number
}

export interface LayerSpec {
  entries: LayerEntry[]
  /** The history entry's `created_by`. */
  createdBy: string
  /** The history entry's `comment`. */
  comment?: string
}

/** The runtime settings of the image config (`config` in the OCI image config). */
export interface ImageConfigSpec {
  entrypoint?: string[]
  cmd?: string[]
  /** `NAME=value` strings. */
  env?: string[]
  workdir?: string
  user?: string
  labels?: Record<string, string>
  stopSignal?: string
  /** `8080`, `8080/tcp`, `53/udp`; a bare port means tcp. */
  exposedPorts?: string[]
}

export interface Platform {
  /** OCI name: `amd64`, `arm64`, `arm`… */
  architecture: string
  os: 'linux'
  variant?: string
}

export interface PlatformImage {
  platform: Platform
  /** Bottom layer first. */
  layers: LayerSpec[]
  config: ImageConfigSpec
  /** Annotations of this platform's manifest. */
  annotations?: Record<string, string>
}

export interface WriteImageOptions {
  /** One image: a plain manifest. Several: a nested OCI image index (multi-arch). */
  images: PlatformImage[]
  /** Path of the tarball to write. */
  output: string
  /** Full references (`ghcr.io/o/app:1.2`, `app`); a reference without a tag means `:latest`. */
  tags: string[]
  /** Unix seconds: every tar mtime, `created` of the config and of each history entry. */
  createdEpoch: number
  /** Annotations of the top manifest (one image) or of the nested index (several). */
  annotations?: Record<string, string>
  /** 0–9; default DEFAULT_GZIP_LEVEL. */
  gzipLevel?: number
  /**
   * Documents to attach as referrers, asked for once the images are written (an SBOM names the
   * digests it describes). Listed in index.json after the image, never under a tag.
   */
  referrers?: (image: { digest: string; manifests: WrittenManifest[] }) => Promise<ReferrerSpec[]>
}

export interface WrittenLayer {
  /** `sha256:…` of the gzip blob. */
  digest: string
  /** `sha256:…` of the uncompressed tar. */
  diffId: string
  /** Bytes of the gzip blob. */
  size: number
  /** Bytes of the uncompressed tar. */
  uncompressedSize: number
  /** Tar entries, including the parent directories the writer added. */
  entries: number
}

export interface WrittenManifest {
  platform: Platform
  digest: string
  configDigest: string
  layers: WrittenLayer[]
}

export interface WrittenImage {
  tarball: string
  /** Digest of the image manifest (one image) or of the nested image index (several). */
  digest: string
  /** One per PlatformImage, in the order given. */
  manifests: WrittenManifest[]
  /** Bytes of the tarball. */
  size: number
  /** The referrers written, in the order the hook gave them. */
  referrers: WrittenReferrer[]
}
