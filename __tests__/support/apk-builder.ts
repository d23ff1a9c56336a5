/**
 * Builds real APK v2 package files, byte-compatible with what abuild makes (and with the
 * reference packages in ../shared/fixtures/apk-tools-reference/repo-x86_64):
 *
 *   gzip member 1  signature tar: PAX header + `.SIGN.RSA.<key>` (SHA-1) or `.SIGN.RSA256.<key>`,
 *                  end-of-archive cut
 *   gzip member 2  control tar: `.PKGINFO`, then scripts (`.pre-install` …), end-of-archive cut
 *   gzip member 3  data tar: entries in GNU `--sort=name` order (each directory before its
 *                  contents), a PAX header on every entry carrying `APK-TOOLS.checksum.SHA1` for
 *                  files (SHA-1 of the content) and symlinks (SHA-1 of the target), end kept
 *
 * `datahash` (SHA-256 of the data member's bytes) is the last `.PKGINFO` line; the signature is
 * RSA PKCS#1 v1.5 over the control member's bytes; `C:` = `Q1` + base64(SHA-1 of those bytes).
 *
 * Independent of src/ (only types are shared) so tests check the engine against bytes it did not
 * write. Output is deterministic for a given spec and key: every mtime is `builddate`.
 */
import * as crypto from 'node:crypto'
import * as zlib from 'node:zlib'
import type { PackageInfo, ScriptType } from '../../src/apk/types.js'
import { toDependencies } from './deps.js'
import { rsaSign, type SigningKey } from './keys.js'
import {
  END_OF_ARCHIVE,
  paxRecord,
  rootFileHeader,
  tarRecord,
  type TarHeader,
  type TarType
} from './tar-writer.js'

export type FileType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'chardev' | 'fifo'

export interface FileSpec {
  /** Relative path (`usr/bin/x`); a leading `/` or `./` and trailing `/` are dropped unless rawName. */
  path: string
  /** Default 'file'. */
  type?: FileType
  /** Regular files only. */
  content?: Buffer | string
  /** Permission bits incl. setuid/setgid/sticky. Defaults: file 0644, dir 0755, symlink 0777, chardev 0666, fifo 0644, hardlink = its target's. */
  mode?: number
  uid?: number
  gid?: number
  /** Default 'root' when uid is 0, else '' (so apk falls back to the number). */
  uname?: string
  /** Default 'root' when gid is 0, else ''. */
  gname?: string
  /** Symlink target, or for a hardlink the archive path of the file it links to. Written as given. */
  target?: string
  /** PAX `SCHILY.xattr.<name>` records. */
  xattrs?: Record<string, Buffer>
  /**
   * Write `path` exactly as given, with no normalisation and no parent directories added, after
   * all normal entries (in the given order). For attack tests: `../evil`, `/etc/evil`, `a/../../x`,
   * a file `lib/x` behind a symlink `lib -> /etc`.
   */
  rawName?: boolean
  /** chardev numbers. */
  devmajor?: number
  devminor?: number
  /** Override the PAX checksum: a hex string to write instead (e.g. a wrong one), or null for none. */
  checksum?: string | null
}

export interface ApkSpec {
  name: string
  version: string
  /** Default 'x86_64'. */
  arch?: string
  /** Default `test package <name>`. */
  description?: string
  /** Default `https://example.com/<name>`. */
  url?: string
  /** Default 'MIT'. */
  license?: string
  /** Default: the package name (as abuild does); '' leaves it out. */
  origin?: string
  maintainer?: string
  commit?: string
  /** Default 'Witchery Tests <tests@witchery.invalid>'; apk ignores it. */
  packager?: string
  /** One `depend =` line per entry (an entry may hold several space-separated tokens). */
  depends?: string[]
  provides?: string[]
  installIf?: string[]
  replaces?: string[]
  replacesPriority?: number
  providerPriority?: number
  /** Globs, written as one space-separated `triggers =` line. */
  triggers?: string[]
  scripts?: Partial<Record<ScriptType, string | Buffer>>
  files: FileSpec[]
  /** Unix seconds: `builddate` and every tar mtime. Default 1700000000. */
  builddate?: number
  /** Override `.PKGINFO size` (installed size). Default: sum of regular file sizes; 1 if that is 0 but files or scripts exist; 0 for a meta package. */
  installedSize?: number
  /** Override `datahash`: a hex string to write instead of the real one, or null to leave it out (legacy package). */
  datahash?: string | null
  /** Keep `files` in the given order and add no parent directories (every entry as if rawName, but normalised). */
  keepOrder?: boolean
}

export type SignatureType = 'RSA' | 'RSA256' | 'RSA512'

export interface BuildApkOptions {
  /** Default 'RSA' (SHA-1, as Alpine signs). 'none' builds an unsigned package. */
  signature?: SignatureType | 'none'
  /** More `.SIGN.*` entries after the main one, in the same signature member. */
  extraSigners?: Array<{ key: SigningKey; signature?: SignatureType }>
  /**
   * A data member (gzip) to use instead of the one `files` make, e.g. a tar no tar tool
   * writes; `datahash` and the installed size are taken over it as for any other.
   */
  dataMember?: { member: Buffer; tar: Buffer }
}

export interface BuiltApk {
  /** The whole .apk file. */
  bytes: Buffer
  /** `<name>-<version>.apk` */
  fileName: string
  /** The index entry for this file: C: (checksum) and S: (size) filled, datahash included. */
  info: PackageInfo
  /** The `.PKGINFO` text as written. */
  pkginfo: string
  /** The gzip members as they sit in `bytes` (signature absent when unsigned). */
  members: { signature?: Buffer; control: Buffer; data: Buffer }
  /** The same members decompressed. */
  tars: { signature?: Buffer; control: Buffer; data: Buffer }
}

export const DEFAULT_BUILDDATE = 1700000000

const HASH_OF: Record<SignatureType, 'sha1' | 'sha256' | 'sha512'> = {
  RSA: 'sha1',
  RSA256: 'sha256',
  RSA512: 'sha512'
}

const DEFAULT_MODE: Record<FileType, number> = {
  file: 0o644,
  dir: 0o755,
  symlink: 0o777,
  hardlink: 0o644,
  chardev: 0o666,
  fifo: 0o644
}

const TAR_TYPE: Record<FileType, TarType> = {
  file: 'file',
  dir: 'dir',
  symlink: 'symlink',
  hardlink: 'hardlink',
  chardev: 'chardev',
  fifo: 'fifo'
}

/** `gzip -n -9`: zlib writes the same header (mtime 0, XFL 2, OS 3). */
export function gzip(data: Buffer): Buffer {
  return zlib.gzipSync(data, { level: 9 })
}

export function sha1Hex(data: Buffer | string): string {
  return crypto.createHash('sha1').update(data).digest('hex')
}

export function sha256Hex(data: Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex')
}

/** The package identity (index `C:`): `Q1` + base64(SHA-1 of the control gzip member). */
export function apkIdentityOf(controlMember: Buffer): string {
  return `Q1${crypto.createHash('sha1').update(controlMember).digest('base64')}`
}

// ---------------------------------------------------------------------------------------------
// data section

interface PlannedEntry {
  header: TarHeader
  data: Buffer
  records: Array<[string, string | Buffer]>
}

function normalisePath(p: string): string {
  const parts = p.split('/').filter((part) => part !== '' && part !== '.')
  if (parts.length === 0 || parts.includes('..'))
    throw new Error(`apk-builder: path '${p}' is empty or escapes; use rawName for attack tests`)
  return parts.join('/')
}

function contentOf(file: FileSpec): Buffer {
  if (file.content === undefined) return Buffer.alloc(0)
  return typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : file.content
}

/** Sort key of GNU tar --sort=name: component-wise byte order, so a directory precedes its contents. */
function compareTreePaths(a: string, b: string): number {
  const pa = a.split('/')
  const pb = b.split('/')
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const c = Buffer.compare(Buffer.from(pa[i]), Buffer.from(pb[i]))
    if (c) return c
  }
  return pa.length - pb.length
}

/** Normal entries in tree order with their parents added; raw entries after, as given. */
function orderFiles(spec: ApkSpec): Array<FileSpec & { name: string }> {
  if (spec.keepOrder)
    return spec.files.map((f) => ({ ...f, name: f.rawName ? f.path : normalisePath(f.path) }))
  const byPath = new Map<string, FileSpec & { name: string }>()
  const raw: Array<FileSpec & { name: string }> = []
  for (const file of spec.files) {
    if (file.rawName) {
      raw.push({ ...file, name: file.path })
      continue
    }
    const name = normalisePath(file.path)
    const parts = name.split('/')
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/')
      if (!byPath.has(parent)) byPath.set(parent, { path: parent, type: 'dir', name: parent })
    }
    byPath.set(name, { ...file, name })
  }
  const sorted = [...byPath.values()].sort((a, b) => compareTreePaths(a.name, b.name))
  return [...sorted, ...raw]
}

function planEntry(
  file: FileSpec & { name: string },
  mtime: number,
  modes: Map<string, number>
): PlannedEntry {
  const type = file.type ?? 'file'
  const uid = file.uid ?? 0
  const gid = file.gid ?? 0
  const linkname = type === 'symlink' || type === 'hardlink' ? (file.target ?? '') : ''
  const data = type === 'file' ? contentOf(file) : Buffer.alloc(0)
  const mode =
    file.mode ?? (type === 'hardlink' ? (modes.get(linkname) ?? 0o644) : DEFAULT_MODE[type])
  const name =
    type === 'dir' && !file.rawName && !file.name.endsWith('/') ? `${file.name}/` : file.name
  const header: TarHeader = {
    name,
    type: TAR_TYPE[type],
    mode,
    uid,
    gid,
    uname: file.uname ?? (uid === 0 ? 'root' : ''),
    gname: file.gname ?? (gid === 0 ? 'root' : ''),
    size: data.length,
    mtime,
    linkname,
    devmajor: file.devmajor ?? 0,
    devminor: file.devminor ?? 0
  }
  const records: Array<[string, string | Buffer]> = []
  // abuild-tar hashes the target as stored in the 100-byte linkname field.
  const linkField = Buffer.from(linkname, 'utf8').subarray(0, 100)
  const digest =
    file.checksum !== undefined
      ? file.checksum
      : type === 'file'
        ? sha1Hex(data)
        : type === 'symlink'
          ? sha1Hex(linkField)
          : null
  if (digest !== null) records.push(['APK-TOOLS.checksum.SHA1', digest])
  if (Buffer.byteLength(name) > 100) records.push(['path', name])
  if (Buffer.byteLength(linkname) > 100) records.push(['linkpath', linkname])
  for (const [key, value] of Object.entries(file.xattrs ?? {}))
    records.push([`SCHILY.xattr.${key}`, value])
  records.push(['ctime', '0'], ['atime', '0'])
  return { header, data, records }
}

function entryBytes(entry: PlannedEntry): Buffer {
  return Buffer.concat([
    paxRecord(entry.header, entry.records),
    tarRecord(entry.header, entry.data)
  ])
}

function buildDataTar(spec: ApkSpec, mtime: number): Buffer {
  const files = orderFiles(spec)
  const modes = new Map<string, number>()
  const blocks: Buffer[] = []
  for (const file of files) {
    const entry = planEntry(file, mtime, modes)
    if (entry.header.type === 'file') modes.set(file.name, entry.header.mode)
    blocks.push(entryBytes(entry))
  }
  blocks.push(END_OF_ARCHIVE)
  return Buffer.concat(blocks)
}

function installedSizeOf(spec: ApkSpec): number {
  if (spec.installedSize !== undefined) return spec.installedSize
  let size = 0
  for (const file of spec.files)
    if ((file.type ?? 'file') === 'file') size += contentOf(file).length
  const hasScripts = Object.values(spec.scripts ?? {}).some((s) => s !== undefined)
  if (size === 0 && (spec.files.length > 0 || hasScripts)) return 1
  return size
}

// ---------------------------------------------------------------------------------------------
// control section

interface Resolved {
  arch: string
  description: string
  url: string
  license: string
  origin?: string
  packager: string
  builddate: number
  installedSize: number
}

function resolveDefaults(spec: ApkSpec): Resolved {
  const origin = spec.origin ?? spec.name
  return {
    arch: spec.arch ?? 'x86_64',
    description: spec.description ?? `test package ${spec.name}`,
    url: spec.url ?? `https://example.com/${spec.name}`,
    license: spec.license ?? 'MIT',
    ...(origin ? { origin } : {}),
    packager: spec.packager ?? 'Witchery Tests <tests@witchery.invalid>',
    builddate: spec.builddate ?? DEFAULT_BUILDDATE,
    installedSize: installedSizeOf(spec)
  }
}

/** `.PKGINFO` in abuild's key order; `datahash` last. */
export function formatPkginfo(spec: ApkSpec, datahash: string | null): string {
  const r = resolveDefaults(spec)
  const lines = [
    '# Generated by witchery test support (abuild equivalent)',
    `pkgname = ${spec.name}`,
    `pkgver = ${spec.version}`,
    `pkgdesc = ${r.description}`,
    `url = ${r.url}`,
    `builddate = ${r.builddate}`,
    `packager = ${r.packager}`,
    `size = ${r.installedSize}`,
    `arch = ${r.arch}`
  ]
  if (r.origin) lines.push(`origin = ${r.origin}`)
  if (spec.commit) lines.push(`commit = ${spec.commit}`)
  if (spec.maintainer) lines.push(`maintainer = ${spec.maintainer}`)
  if (spec.replacesPriority) lines.push(`replaces_priority = ${spec.replacesPriority}`)
  if (spec.providerPriority !== undefined)
    lines.push(`provider_priority = ${spec.providerPriority}`)
  lines.push(`license = ${r.license}`)
  for (const x of spec.replaces ?? []) lines.push(`replaces = ${x}`)
  for (const x of spec.depends ?? []) lines.push(`depend = ${x}`)
  for (const x of spec.provides ?? []) lines.push(`provides = ${x}`)
  if (spec.triggers?.length) lines.push(`triggers = ${spec.triggers.join(' ')}`)
  if (spec.installIf?.length) lines.push(`install_if = ${spec.installIf.join(' ')}`)
  if (datahash !== null) lines.push(`datahash = ${datahash}`)
  return `${lines.join('\n')}\n`
}

const SCRIPT_ORDER: readonly ScriptType[] = [
  'pre-install',
  'post-install',
  'pre-deinstall',
  'post-deinstall',
  'pre-upgrade',
  'post-upgrade',
  'trigger'
]

function controlEntry(name: string, data: Buffer, mode: number, mtime: number): Buffer {
  return entryBytes({
    header: rootFileHeader(name, mtime, { mode, size: data.length }),
    data,
    records: [
      ['ctime', '0'],
      ['atime', '0']
    ]
  })
}

/** `.PKGINFO` and the scripts (enum order), end-of-archive cut. */
function buildControlTar(spec: ApkSpec, pkginfo: string, mtime: number): Buffer {
  const blocks = [controlEntry('.PKGINFO', Buffer.from(pkginfo, 'utf8'), 0o644, mtime)]
  for (const type of SCRIPT_ORDER) {
    const script = spec.scripts?.[type]
    if (script === undefined) continue
    const data = typeof script === 'string' ? Buffer.from(script, 'utf8') : script
    blocks.push(controlEntry(`.${type}`, data, 0o755, mtime))
  }
  return Buffer.concat(blocks)
}

/**
 * A signature tar (end-of-archive cut) over `signed`: one `.SIGN.<TYPE>.<keyname>` entry per
 * signer, with the PAX header abuild's tar puts in front. Shared with the index builder.
 */
export function buildSignatureTar(
  signed: Buffer,
  signers: Array<{ key: SigningKey; signature: SignatureType }>,
  mtime: number
): Buffer {
  return Buffer.concat(
    signers.map(({ key, signature }) =>
      controlEntry(
        `.SIGN.${signature}.${key.name}`,
        rsaSign(HASH_OF[signature], signed, key),
        0o644,
        mtime
      )
    )
  )
}

function signersOf(
  key: SigningKey | undefined,
  options: BuildApkOptions
): Array<{ key: SigningKey; signature: SignatureType }> {
  const type = options.signature ?? 'RSA'
  const signers: Array<{ key: SigningKey; signature: SignatureType }> = []
  if (type !== 'none') {
    if (!key) throw new Error('apk-builder: a signing key is needed unless signature is none')
    signers.push({ key, signature: type })
  }
  for (const extra of options.extraSigners ?? [])
    signers.push({ key: extra.key, signature: extra.signature ?? 'RSA' })
  return signers
}

// ---------------------------------------------------------------------------------------------

/** Builds a signed (or unsigned) .apk from `spec`. */
export function buildApk(spec: ApkSpec, key?: SigningKey, options: BuildApkOptions = {}): BuiltApk {
  const r = resolveDefaults(spec)
  const dataTar = options.dataMember?.tar ?? buildDataTar(spec, r.builddate)
  const data = options.dataMember?.member ?? gzip(dataTar)
  const realHash = sha256Hex(data)
  const datahash = spec.datahash === undefined ? realHash : spec.datahash
  const pkginfo = formatPkginfo(spec, datahash)
  const controlTar = buildControlTar(spec, pkginfo, r.builddate)
  const control = gzip(controlTar)
  const signers = signersOf(key, options)
  const signatureTar = signers.length ? buildSignatureTar(control, signers, r.builddate) : undefined
  const signature = signatureTar ? gzip(signatureTar) : undefined
  const bytes = Buffer.concat(signature ? [signature, control, data] : [control, data])
  const info: PackageInfo = {
    checksum: apkIdentityOf(control),
    name: spec.name,
    version: spec.version,
    arch: r.arch,
    size: bytes.length,
    installedSize: r.installedSize,
    description: r.description,
    url: r.url,
    license: r.license,
    ...(r.origin ? { origin: r.origin } : {}),
    ...(spec.maintainer ? { maintainer: spec.maintainer } : {}),
    buildTime: r.builddate,
    ...(spec.commit ? { commit: spec.commit } : {}),
    providerPriority: spec.providerPriority ?? 0,
    depends: toDependencies(spec.depends),
    provides: toDependencies(spec.provides),
    installIf: toDependencies(spec.installIf),
    replaces: toDependencies(spec.replaces),
    replacesPriority: spec.replacesPriority ?? 0,
    triggers: [...(spec.triggers ?? [])],
    ...(datahash !== null ? { datahash } : {})
  }
  return {
    bytes,
    fileName: `${spec.name}-${spec.version}.apk`,
    info,
    pkginfo,
    members: { ...(signature ? { signature } : {}), control, data },
    tars: {
      ...(signatureTar ? { signature: signatureTar } : {}),
      control: controlTar,
      data: dataTar
    }
  }
}
