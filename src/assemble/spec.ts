/**
 * The build spec: everything a build needs, parsed and validated once (from action inputs or
 * CLI flags) before any work starts. Data flows one way: spec → resolve → fetch → install →
 * image → result.
 */
import type { FetchStats, HostCredentials, ScriptsMode, SkippedScript } from '../apk/engine.js'
import type { LockReport } from './lock.js'
import type { SbomFormat } from './sbom/sbom.js'

export interface AppSpec {
  /** Path on the host: a file or a folder. `{arch}` is replaced per architecture. */
  source: string
  /** Absolute path inside the image. */
  dest: string
}

export interface ImageSettings {
  entrypoint?: string[]
  cmd?: string[]
  /** `NAME=value` pairs, in the order given; PATH and SSL_CERT_FILE defaults are added when absent. */
  env: string[]
  workdir?: string
  /** `nonroot` (65532:65532, the default), `root`, or `uid[:gid]` / `name`. */
  user: string
  labels: Record<string, string>
  /** Manifest and index annotations; org.opencontainers.image.* defaults are filled from the context. */
  annotations: Record<string, string>
}

export interface BuildSpec {
  /** World: package names or apk constraints (`libssl3>=3.3`, `so:libz.so.1`). */
  packages: string[]
  app?: AppSpec
  /** Alpine arch names (`x86_64`, `aarch64`…), at least one. */
  arches: string[]
  /**
   * Repository URLs or paths, in order (a branch is already expanded to main + community),
   * without credentials: these are safe to log and to write into the image.
   */
  repositories: string[]
  /**
   * Secrets: basic-auth credentials per host, from `repository-auth` and repository URLs. Never
   * log them or write them anywhere; only the transport sends them, to their own host.
   */
  credentials?: HostCredentials[]
  /** Key files (PEM public keys) and folders of them. */
  keyFiles: string[]
  keyDirs: string[]
  /** Fetch Alpine's own keys when an index names one (pinned fingerprints decide trust). */
  fetchAlpineKeys: boolean
  allowUntrusted: boolean
  image: ImageSettings
  /** Image references (`ghcr.io/o/app:1.2`); `docker load` tags the image with all of them. */
  tags: string[]
  /** Path of the OCI tarball to write. */
  output: string
  /** Build epoch in seconds: tar mtimes, `created`. */
  sourceDateEpoch: number
  /** Folder for the index and package cache; undefined = no cache. */
  cacheDir?: string
  /**
   * `native` (the default): apply what install scripts' account and busybox idioms leave;
   * `none`: nothing, as `apk --no-scripts`.
   */
  scripts?: ScriptsMode
  /** The lock file: installed from when present (unless `update`), written when absent. */
  lock?: LockSpec
  /** Most layers the packages are split into (1: packages, database and /etc in one layer). */
  layers?: number
  /** Where Alpine's keys are fetched from (WITCHERY_ALPINE_KEYS_URL); default alpinelinux.org. */
  alpineKeysUrl?: string
  /** Add the packages the app's ELF files and scripts need to the world (default true). */
  elfNeeds?: boolean
  /** What a missing interpreter or library after install does (default `error`). */
  linkCheck?: LinkCheckMode
  /** SBOM formats to make for every arch, attached and written beside the tarball; [] = none. */
  sbom: SbomFormat[]
}

export interface LockSpec {
  /** Absolute path of the lock file. */
  path: string
  /** Resolve afresh and rewrite the lock (`lock-update`). */
  update: boolean
}

/** `error` fails the build, `warn` warns, `off` skips the check. */
export type LinkCheckMode = 'error' | 'warn' | 'off'

/** A package added to the world because the app needs it. */
export interface AppNeedRecord {
  /** The package installed for it (`zlib`). */
  package: string
  /** What the app needs: `so:libz.so.1`, `/bin/sh`, `cmd:python3`. */
  need: string
  /** The app's files (image paths) that need it. */
  neededBy: string[]
}

export interface PackageRecord {
  name: string
  version: string
  arch: string
  license: string
  /** Installed size in bytes. */
  size: number
}

export interface LayerRecord {
  digest: string
  diffId: string
  size: number
  createdBy: string
  /** Names of the packages whose files the layer holds; absent for the app layer. */
  packages?: string[]
}

export interface ArchResult {
  arch: string
  packages: PackageRecord[]
  manifestDigest: string
  configDigest: string
  layers: LayerRecord[]
  /** Script commands not run (`command` absent: the whole script, with `scripts: none`). */
  scriptsSkipped: SkippedScript[]
  /** Alpine release written to os-release, when any source named it. */
  alpineRelease?: string
  /** Packages added to the world for the app's needs (`elf-needs`), and why. */
  appNeeds: AppNeedRecord[]
  /** What the link check found missing, one line each, when `link-check: warn` let it pass. */
  linkProblems: string[]
}

/** One SBOM document of the build. */
export interface SbomRecord {
  arch: string
  format: SbomFormat
  /** Absolute path of the file written beside the tarball. */
  path: string
  /** `sha256:…` of the document (also its layer digest in the referrer). */
  digest: string
  /** Digest of the referrer manifest that attaches it to the arch's image in the tarball. */
  referrer: string
}

/** What a build downloaded and took from the cache: the engine's counters, summed over arches. */
export type FetchSummary = FetchStats

export interface BuildResult {
  tarball: string
  /** Digest of the top-level manifest (or of the image index for several arches). */
  digest: string
  /** Config digest of the first arch's image. */
  imageId: string
  /** Tarball size in bytes. */
  size: number
  tags: string[]
  arches: ArchResult[]
  fetch: FetchSummary
  warnings: string[]
  /** What the build did with its lock file; absent without `lock`. */
  lock?: LockReport
  /** The SBOM documents, per arch in the order of `sbom` formats; empty with `sbom: none`. */
  sbom: SbomRecord[]
}
