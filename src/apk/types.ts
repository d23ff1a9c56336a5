/**
 * The APK engine's data model. Every module of src/apk speaks these types;
 * nothing here knows about GitHub Actions or OCI.
 */
import type { PackageTable } from './formats/package-table.js'

/** Bits of a dependency's version operator, as apk-tools defines them. */
export const VersionOp = {
  LESS: 1,
  EQUAL: 2,
  GREATER: 4,
  FUZZY: 8,
  /** `<>` / `><`: the "version" is a package identity (Q1…). */
  CHECKSUM: 1 | 4,
  /** No operator: any version satisfies. */
  ANY: 1 | 2 | 4
} as const

/** One token of a dependency list: `[!]name[@tag][OP version]`. */
export interface Dependency {
  name: string
  /** Bitmask of VersionOp; VersionOp.ANY when no operator was written. */
  op: number
  /** Present when an operator was written. */
  version?: string
  /** A leading `!`. */
  conflict: boolean
  /** `@tag`: pins the dependency to a tagged repository. */
  tag?: string
}

/**
 * One package as an APKINDEX stanza describes it (index letters in comments).
 * Install-time fields that only `.PKGINFO` carries are optional.
 */
export interface PackageInfo {
  /** C: identity, `Q1` + base64(SHA-1 of the control gzip member). */
  checksum: string
  /** P: */
  name: string
  /** V: */
  version: string
  /** A: */
  arch?: string
  /** S: size of the .apk file in bytes. */
  size: number
  /** I: installed size. 0 means a meta package (nothing to fetch). */
  installedSize: number
  /** T: */
  description: string
  /** U: */
  url: string
  /** L: */
  license: string
  /** o: */
  origin?: string
  /** m: */
  maintainer?: string
  /** t: Unix seconds; 0 when unknown. */
  buildTime: number
  /** c: */
  commit?: string
  /** k: provider_priority; 0 when absent. */
  providerPriority: number
  /** D: */
  depends: Dependency[]
  /** p: */
  provides: Dependency[]
  /** i: */
  installIf: Dependency[]
  /** .PKGINFO `replaces` (db `r:`). */
  replaces: Dependency[]
  /** .PKGINFO `replaces_priority` (db `q:`). */
  replacesPriority: number
  /** .PKGINFO `triggers`. */
  triggers: string[]
  /** .PKGINFO `datahash`: hex SHA-256 of the data gzip member. */
  datahash?: string
}

/** A PackageInfo with every field empty, for parsers to fill in. */
export function emptyPackageInfo(): PackageInfo {
  return {
    checksum: '',
    name: '',
    version: '',
    size: 0,
    installedSize: 0,
    description: '',
    url: '',
    license: '',
    buildTime: 0,
    providerPriority: 0,
    depends: [],
    provides: [],
    installIf: [],
    replaces: [],
    replacesPriority: 0,
    triggers: []
  }
}

/** A repository as configured: URL or local path, optional `@tag`. */
export interface Repository {
  /** As the user wrote it (URL, `file://` URL, or path). */
  url: string
  tag?: string
  /** Position in the configured order (0 = first = preferred on ties). */
  index: number
}

/** A package found in a repository index. */
export interface RepoPackage extends PackageInfo {
  /** Repository.index of the first repository that carries this identity. */
  repository: number
}

/** A parsed, verified APKINDEX.tar.gz. */
export interface RepositoryIndex {
  repository: Repository
  /** DESCRIPTION entry, e.g. `v3.22.2-206-ge2cfd1f9853`. */
  description: string
  /** The packages in the compact form the solver reads. */
  table: PackageTable
  /** Every package made whole: costly for a large index, so the engine reads `table`. */
  readonly packages: RepoPackage[]
  /** Name of the key file whose signature verified the index; undefined when untrusted was allowed. */
  signer?: string
  /**
   * The bytes of the APKINDEX.tar.gz and of the index it inflated to: what the caller lets go of
   * once it drops the file (the table keeps none of them).
   */
  bytesRead: number
}

export type TarEntryType =
  'file' | 'hardlink' | 'symlink' | 'directory' | 'chardev' | 'blockdev' | 'fifo'

/** One entry of a tar stream, as apk reads it. */
export interface TarEntry {
  /** Path as stored (PAX `path` / GNU long name applied), without trailing `/`. */
  name: string
  type: TarEntryType
  /** Permission bits, `mode & 0o7777`. */
  mode: number
  uid: number
  gid: number
  uname: string
  gname: string
  size: number
  mtime: number
  /** Link target for symlinks and hardlinks (PAX `linkpath` applied). */
  linkname: string
  /** PAX `APK-TOOLS.checksum.SHA1`, lowercase hex, when present. */
  sha1?: string
  /** PAX `SCHILY.xattr.*` records, by attribute name. */
  xattrs: Map<string, Buffer>
  devmajor: number
  devminor: number
  /** Contents for regular files; empty otherwise, and for a file whose contents were staged. */
  data: Buffer
  /**
   * A large file's contents, streamed to this host file as they were inflated and verified
   * (the installer moves it into the root) instead of held in `data`.
   */
  staged?: string
}

export type ScriptType =
  | 'pre-install'
  | 'post-install'
  | 'pre-deinstall'
  | 'post-deinstall'
  | 'pre-upgrade'
  | 'post-upgrade'
  | 'trigger'

/** Script types in apk's enum order (the order scripts.tar stores them). */
export const SCRIPT_TYPES: readonly ScriptType[] = [
  'pre-install',
  'post-install',
  'pre-deinstall',
  'post-deinstall',
  'pre-upgrade',
  'post-upgrade',
  'trigger'
]

/** A verified .apk file, split into its parts. */
export interface ApkPackageFile {
  /** Fields from `.PKGINFO` (checksum and size filled from the file itself). */
  info: PackageInfo
  /** Scripts from the control section, by type. */
  scripts: Map<ScriptType, Buffer>
  /** Data section entries, in archive order. */
  entries: TarEntry[]
}

/** Where to send the engine's messages; the action maps these to @actions/core. */
export interface Logger {
  info(message: string): void
  warning(message: string): void
  debug(message: string): void
}

export const silentLogger: Logger = {
  info: () => undefined,
  warning: () => undefined,
  debug: () => undefined
}

/** Ownership and mode of one path in an installed root, as the package db records it. */
export interface FileMeta {
  type: 'file' | 'directory' | 'symlink' | 'hardlink'
  /** Permission bits including setuid/setgid/sticky. */
  mode: number
  uid: number
  gid: number
  /** Symlink target, or for hardlinks the root-relative path of the target file. */
  linkname?: string
  /** Extended attributes to carry into the image. */
  xattrs?: Map<string, Buffer>
  /** Name of the package that owns the path; undefined for paths the installer made itself. */
  owner?: string
}

/**
 * Every path the engine created in a root, keyed by root-relative path without a leading `/`
 * (`etc`, `etc/passwd`). The image writer builds layers from this, never from the host's
 * owners and modes.
 */
export type RootTree = Map<string, FileMeta>
