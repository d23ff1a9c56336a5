/**
 * The apk database files, byte for byte as apk-tools 2.14 writes them (apk-format.md §3.2–3.5):
 * `lib/apk/db/installed`, `lib/apk/db/scripts.tar`, `lib/apk/db/triggers`, `etc/apk/world`.
 * Scanners (Trivy, Grype, Syft) read the first one to learn what the image holds.
 */
import { formatIndexHeader } from '../formats/apkindex.js'
import { formatDependencies, formatDependency } from '../formats/dependency.js'
import { compareNames } from '../solver/solve.js'
import { compareVersions } from '../formats/version.js'
import { SCRIPT_TYPES, type Dependency, type PackageInfo, type ScriptType } from '../types.js'

/** Owner, group and mode of a db entry; `xattrs` is the `Q1…` digest of its xattrs. */
export interface Acl {
  uid: number
  gid: number
  mode: number
  xattrs?: string
}

export interface DbFile {
  name: string
  acl: Acl
  /** `Q1` + base64 SHA-1 of the content (or symlink target). */
  digest?: string
  /** Taken over by a later package through `replaces` or the same origin. */
  removed?: boolean
}

export interface DbDir {
  /** Package path without leading or trailing `/`; `''` is the root folder. */
  path: string
  acl: Acl
  files: DbFile[]
}

/** One stanza of `installed`: the index entry plus what the package put on disk. */
export interface DbPackage {
  /** The index entry (apk writes the header from the index, not from `.PKGINFO`). */
  info: PackageInfo
  /** `.PKGINFO` replaces / replaces_priority (the index does not carry them). */
  replaces: Dependency[]
  replacesPriority: number
  /** Repository tag without `@` when installed from a tagged repository. */
  tag?: string
  /** `f:` flags: `f` broken files. */
  flags: string
  /** Its folders and files, while it is extracted (then `folders` holds their lines). */
  dirs: DbDir[]
  /**
   * Its folders' and files' lines (`F:` `M:` `R:` `a:` `Z:`), made once it is extracted: a root
   * of many files keeps these bytes, not an object, a name and a digest string for each file.
   */
  folders?: Buffer
  /** The package paths of its files a later package took over after `folders` was made. */
  removed?: Set<string>
}

const DEFAULT_DIR_MODE = 0o755
const DEFAULT_FILE_MODE = 0o644

function aclText(acl: Acl): string {
  const base = `${acl.uid}:${acl.gid}:${acl.mode.toString(8)}`
  return acl.xattrs ? `${base}:${acl.xattrs}` : base
}

function isDefault(acl: Acl, mode: number): boolean {
  return acl.uid === 0 && acl.gid === 0 && acl.mode === mode && !acl.xattrs
}

/** Stanza order: by name (case-insensitive, then bytes), then version as apk sorts them. */
export function compareDbPackages(a: PackageInfo, b: PackageInfo): number {
  return compareNames(a.name, b.name) || compareVersions(a.version, b.version)
}

/**
 * `lib/apk/db/installed`. apk 2.14 buffers a stanza's `r:`/`q:`/`s:`/`f:` lines and writes them
 * with its first `F:` line, so a package without folders hands them to the next stanza that has
 * one. We reproduce that, to stay byte-identical with apk-tools 2.14.
 */
export function formatInstalled(packages: DbPackage[]): Buffer {
  const sorted = [...packages].sort((a, b) => compareDbPackages(a.info, b.info))
  const out = new TextChunks()
  let pending = ''
  for (const pkg of sorted) {
    out.add(formatIndexHeader(pkg.info))
    if (pkg.replaces.length) pending += `r:${formatDependencies(pkg.replaces, false)}\n`
    if (pkg.replacesPriority) pending += `q:${pkg.replacesPriority}\n`
    if (pkg.tag) pending += `s:${pkg.tag}\n`
    if (pkg.flags) pending += `f:${pkg.flags}\n`
    const folders = folderLinesOf(pkg)
    if (folders.length > 0) {
      out.add(pending)
      pending = ''
      out.addBytes(folders)
    }
    out.add('\n')
  }
  return out.bytes()
}

/**
 * The `F:` `M:` `R:` `a:` `Z:` lines of a package's folders and files, in the order it shipped
 * them; a file a later package took over (`removed`) is left out.
 */
export function formatFolders(dirs: DbDir[]): Buffer {
  const out = new TextChunks()
  for (const dir of dirs) {
    out.add(`F:${dir.path}\n`)
    if (!isDefault(dir.acl, DEFAULT_DIR_MODE)) out.add(`M:${aclText(dir.acl)}\n`)
    for (const file of dir.files) {
      if (file.removed) continue
      out.add(`R:${file.name}\n`)
      if (!isDefault(file.acl, DEFAULT_FILE_MODE)) out.add(`a:${aclText(file.acl)}\n`)
      if (file.digest) out.add(`Z:${file.digest}\n`)
    }
  }
  return out.bytes()
}

/** A package's folder lines, less the files taken over since they were made. */
function folderLinesOf(pkg: DbPackage): Buffer {
  const folders = pkg.folders ?? formatFolders(pkg.dirs)
  if (!pkg.removed?.size) return folders
  const removed = pkg.removed
  const kept: string[] = []
  let dir = ''
  let skipping = false
  const lines = folders.toString('utf8').split('\n')
  lines.pop() // after the last line feed
  for (const line of lines) {
    if (line.startsWith('F:')) {
      dir = line.slice(2)
      skipping = false
    } else if (line.startsWith('R:')) {
      const name = line.slice(2)
      skipping = removed.has(dir === '' ? name : `${dir}/${name}`)
    }
    // A skipped file's own lines (`a:`, `Z:`) go with it.
    if (!skipping) kept.push(`${line}\n`)
  }
  return Buffer.from(kept.join(''), 'utf8')
}

/**
 * UTF-8 text gathered into Buffers a few KiB at a time: the database of a root of many files
 * never stands whole as one string, whose concatenated pieces took about four times its bytes
 * (9 MiB of heap for 40,000 files).
 */
class TextChunks {
  private readonly chunks: Buffer[] = []
  private text = ''

  add(text: string): void {
    this.text += text
    if (this.text.length >= 16 * 1024) this.flush()
  }

  addBytes(bytes: Buffer): void {
    this.flush()
    this.chunks.push(bytes)
  }

  bytes(): Buffer {
    this.flush()
    return Buffer.concat(this.chunks)
  }

  private flush(): void {
    if (this.text === '') return
    this.chunks.push(Buffer.from(this.text, 'utf8'))
    this.text = ''
  }
}

/** `etc/apk/world`: sorted by name, with `@tag`, one per line; empty world is a lone `\n`. */
export function formatWorld(world: Dependency[]): string {
  const byName = new Map<string, Dependency>()
  for (const dep of world) byName.set(dep.name, dep)
  const sorted = [...byName.values()].sort((a, b) => compareNames(a.name, b.name))
  if (sorted.length === 0) return '\n'
  return sorted.map((dep) => formatDependency(dep, true)).join('\n') + '\n'
}

/** `lib/apk/db/triggers`: `Q1… glob glob` per package with triggers, in install order. */
export function formatTriggers(packages: { checksum: string; triggers: string[] }[]): string {
  return packages
    .filter((p) => p.triggers.length > 0)
    .map((p) => `${p.checksum} ${p.triggers.join(' ')}\n`)
    .join('')
}

export interface ScriptSet {
  name: string
  version: string
  checksum: string
  /** `.PKGINFO` builddate; 0 when unknown. */
  buildTime: number
  scripts: Map<ScriptType, Buffer>
}

const BLOCK = 512

function octal(value: number, digits: number): string {
  return value.toString(8).padStart(digits, '0')
}

/** One GNU-form header exactly as apk's tar writer lays it out (§3.3). */
function scriptHeader(name: string, size: number, mtime: number): Buffer {
  const header = Buffer.alloc(BLOCK)
  // apk copies the name with strlcpy into the 100-byte field: at most 99 bytes and a NUL.
  header.write(name.slice(0, 99), 0, 'utf8')
  header.write('0000755\0', 100, 'latin1')
  header.write('0000000\0', 108, 'latin1')
  header.write('0000000\0', 116, 'latin1')
  header.write(octal(size, 12), 124, 'latin1')
  header.write(octal(mtime, 12), 136, 'latin1')
  header.write('        ', 148, 'latin1')
  header.write('0', 156, 'latin1')
  header.write('ustar  \0', 257, 'latin1')
  header.write('root', 265, 'latin1')
  header.write('root', 297, 'latin1')
  let sum = 0
  for (const byte of header) sum += byte
  header.write(`${octal(sum, 6)}\0 `, 148, 'latin1')
  return header
}

/**
 * `lib/apk/db/scripts.tar`: every stored script, packages in install order, script types in
 * apk's enum order, named `NAME-VERSION.Q1….TYPE`; two zero blocks end it, no record padding.
 */
export function formatScriptsTar(packages: ScriptSet[], fallbackTime: number): Buffer {
  const parts: Buffer[] = []
  for (const pkg of packages) {
    for (const type of SCRIPT_TYPES) {
      const script = pkg.scripts.get(type)
      if (!script) continue
      const name = `${pkg.name}-${pkg.version}.${pkg.checksum}.${type}`
      parts.push(scriptHeader(name, script.length, pkg.buildTime || fallbackTime))
      parts.push(script)
      const pad = (BLOCK - (script.length % BLOCK)) % BLOCK
      if (pad) parts.push(Buffer.alloc(pad))
    }
  }
  parts.push(Buffer.alloc(2 * BLOCK))
  return Buffer.concat(parts)
}
