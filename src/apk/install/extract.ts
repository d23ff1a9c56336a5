/**
 * One package's archive, entry by entry, into the plan: names checked, symlinks on the way
 * resolved inside the root, hard links and owners settled, as apk_db_install_archive_entry.
 */
import * as crypto from 'node:crypto'
import { FileConflictError, PathEscapeError, UnsupportedEntryError } from '../errors.js'
import { formatFolders, type Acl, type DbDir, type DbFile } from './installed-db.js'
import {
  baseOf,
  maliciousReason,
  parentOf,
  resolveInRoot,
  WHITEOUT,
  xattrNameProblem
} from './paths.js'
import { type TarEntry } from '../types.js'
import { letGoOfEntries } from '../../released-memory.js'
import type { Node, Plan, PlannedPackage } from './plan.js'

/** Longest file name (one path component) Linux file systems hold, in bytes. */
const NAME_MAX = 255
/** Longest extended attribute value Linux holds (XATTR_SIZE_MAX). */
const XATTR_VALUE_MAX = 64 * 1024
/**
 * Extended attributes an install keeps, all packages together: they stay in the plan until the
 * image is written, and real packages carry a few bytes of them (file capabilities).
 */
export const XATTR_TOTAL_MAX = 1024 * 1024

/** Where q1 puts its text together: 'Q1' and 28 characters of base64 (20 bytes). */
const q1Text = Buffer.from('Q1' + 'A'.repeat(28), 'latin1')

/**
 * `Q1` + base64 of a hex SHA-1, as one flat string: a root of many files keeps one a file, and
 * `'Q1' + base64` kept two (the concatenation and its right half, 80 bytes against 48).
 */
function q1(hex: string): string {
  const sha1 = Buffer.from(hex, 'hex')
  if (sha1.length !== 20) return `Q1${sha1.toString('base64')}`
  q1Text.write(sha1.toString('base64'), 2, 'latin1')
  return q1Text.toString('latin1')
}

/** apk's xattr digest: SHA-1 over (len, name, len, value), names in byte order. */
function xattrDigest(xattrs: Map<string, Buffer>): string | undefined {
  if (xattrs.size === 0) return undefined
  const hash = crypto.createHash('sha1')
  for (const name of [...xattrs.keys()].sort()) {
    const value = xattrs.get(name) as Buffer
    const nameBytes = Buffer.from(name)
    const len = Buffer.alloc(4)
    len.writeUInt32BE(nameBytes.length)
    hash.update(len).update(nameBytes)
    len.writeUInt32BE(value.length)
    hash.update(len).update(value)
  }
  return `Q1${hash.digest('base64')}`
}

/** One package's archive, entry by entry, as apk_db_install_archive_entry sees it. */
export class Extraction {
  private readonly dirs = new Map<string, DbDir>()
  /**
   * Package path → what a later hard link in the same package needs, and the file's database
   * record (marked removed if a later entry of the package takes its place).
   */
  private readonly files = new Map<string, { digest?: string; at: string; dbFile: DbFile }>()
  private missingChecksum = false

  constructor(
    private readonly plan: Plan,
    private readonly pkg: PlannedPackage,
    private readonly index: number
  ) {}

  entry(entry: TarEntry): void {
    letGoOfEntries(1)
    const name = entry.name
    const label = this.pkg.label
    // apk 2.14 skips `../x` silently as a dot name and only warns about the rest; we refuse
    // every such name, so a hostile package fails the build instead of half-installing.
    const reason = maliciousReason(name)
    if (reason) {
      throw new PathEscapeError(
        `${label}: refusing entry '${name}': ${reason}. The package is malformed or hostile: ` +
          'remove it from the package list.'
      )
    }
    if (name.startsWith('.')) return
    const long = name.split('/').find((part) => Buffer.byteLength(part) > NAME_MAX)
    if (long !== undefined) {
      throw new UnsupportedEntryError(
        `${label}: /${name}: the name '${long.slice(0, 40)}…' is ${Buffer.byteLength(long)} ` +
          `bytes long; file systems hold at most ${NAME_MAX} bytes a name. The package is ` +
          'malformed: leave it out.'
      )
    }
    const base = baseOf(name)
    if (entry.type !== 'directory' && base.startsWith('.keep_') && base.length > 6) return
    const whiteout = name.split('/').find((part) => part.startsWith(WHITEOUT))
    if (whiteout !== undefined) {
      throw new UnsupportedEntryError(
        `${label}: /${name}: '${whiteout}' is an OCI whiteout name, which in an image layer ` +
          'deletes what lower layers hold. The package is malformed or hostile: leave it out.'
      )
    }
    if (entry.type === 'chardev' || entry.type === 'blockdev' || entry.type === 'fifo') {
      const kind = entry.type === 'fifo' ? 'a FIFO' : 'a device node'
      throw new UnsupportedEntryError(
        `${label}: /${name} is ${kind}; witchery does not create ${kind}s (a container runtime ` +
          'provides /dev). Leave the package out, or use one that does not ship it.'
      )
    }
    if (entry.xattrs.size > 0) this.countXattrs(entry)
    const ids = this.plan.ids
    const acl = this.plan.acl(
      ids.uid(entry.uname, entry.uid),
      ids.gid(entry.gname, entry.gid),
      entry.mode,
      xattrDigest(entry.xattrs)
    )
    if (entry.type === 'directory') this.directory(entry, acl)
    else this.file(entry, acl)
  }

  /** Refuses an extended attribute Linux could not hold, and more of them than any package has. */
  private countXattrs(entry: TarEntry): void {
    const where = `${this.pkg.label}: /${entry.name}`
    for (const [name, value] of entry.xattrs) {
      const problem = xattrNameProblem(name)
      if (problem) {
        throw new UnsupportedEntryError(
          `${where}: an extended attribute ${problem}, which no layer can carry. The package ` +
            'is malformed or hostile: leave it out.'
        )
      }
      if (value.length > XATTR_VALUE_MAX) {
        throw new UnsupportedEntryError(
          `${where}: its extended attribute ${name.slice(0, 60)} holds ${value.length} bytes; ` +
            `Linux holds at most ${XATTR_VALUE_MAX}. The package is malformed or hostile: leave it out.`
        )
      }
      this.plan.xattrBytes += Buffer.byteLength(name) + value.length
    }
    if (this.plan.xattrBytes > XATTR_TOTAL_MAX) {
      throw new UnsupportedEntryError(
        `${where}: the packages' extended attributes come to more than ${XATTR_TOTAL_MAX} ` +
          'bytes, where real packages carry a few (file capabilities). A package is malformed ' +
          'or hostile: leave it out.'
      )
    }
  }

  private directory(entry: TarEntry, acl: Acl): void {
    let dir = this.dirs.get(entry.name)
    if (!dir) {
      dir = { path: entry.name, acl, files: [] }
      this.dirs.set(entry.name, dir)
      this.pkg.db.dirs.push(dir)
    }
    dir.acl = acl
    const at = resolveInRoot(entry.name, this.plan.nodes, true, this.pkg.label)
    // A folder reached through a symlink to / is the root itself: its mode and owner are the
    // image's, never a package's (`x -> /`, then a folder `x` of mode 7777, once re-moded it).
    if (at === '') return
    this.ensureParents(at)
    const existing = this.plan.nodes.get(at)
    if (!existing) {
      this.plan.set(at, {
        type: 'directory',
        mode: acl.mode,
        uid: acl.uid,
        gid: acl.gid,
        ownerIndex: this.index,
        owner: this.pkg.unit.pkg.name,
        instances: [acl],
        xattrs: entry.xattrs.size ? entry.xattrs : undefined
      })
    } else if (existing.type === 'directory') {
      existing.instances?.push(acl)
    } else {
      throw new FileConflictError(
        `${this.pkg.label}: /${entry.name} is a folder, but ${this.plan.ownerLabel(existing)} ` +
          `installed a ${existing.type} at /${at}. Install only one of the two packages.`
      )
    }
  }

  /** A folder reached through a symlink may need its parents; apk would fail, we make them. */
  private ensureParents(at: string): void {
    const parent = parentOf(at)
    if (parent === '' || this.plan.nodes.has(parent)) return
    this.ensureParents(parent)
    this.plan.set(parent, { type: 'directory', mode: 0o755, uid: 0, gid: 0 })
  }

  private file(entry: TarEntry, acl: Acl): void {
    const label = this.pkg.label
    // Where it would land first: a way out through a symlink fails even without a dirent.
    const at = resolveInRoot(entry.name, this.plan.nodes, false, label)
    const dirPath = parentOf(entry.name)
    let dir = this.dirs.get(dirPath)
    if (!dir && dirPath === '') {
      dir = { path: '', acl: { uid: 0, gid: 0, mode: 0o755 }, files: [] }
      this.dirs.set('', dir)
      this.pkg.db.dirs.push(dir)
    }
    if (!dir) {
      // apk 2.14 fails the package here ("no dirent in archive"); so do we, so an image never
      // silently lacks a file.
      throw new UnsupportedEntryError(
        `${label}: /${entry.name}: its folder /${dirPath} does not come before it in the ` +
          'package (no dirent in archive; for example a file under a symlink), as apk-tools also ' +
          'refuses. The package is malformed: leave it out.'
      )
    }
    let digest = entry.sha1 ? q1(entry.sha1) : undefined
    let linkTarget: string | undefined
    if (entry.type === 'hardlink') {
      const reason = maliciousReason(entry.linkname)
      if (reason) {
        throw new PathEscapeError(
          `${label}: hard link /${entry.name} points at '${entry.linkname}': ${reason}. The ` +
            'package is malformed or hostile: remove it from the package list.'
        )
      }
      const target = this.files.get(entry.linkname)
      if (!target) {
        throw new UnsupportedEntryError(
          `${label}: hard link /${entry.name} points at /${entry.linkname}, which is not a file ` +
            'earlier in the same package (apk-tools refuses such a link too). The package is ' +
            'malformed: leave it out.'
        )
      }
      digest = target.digest
      linkTarget = target.at
    } else if (!entry.sha1) {
      this.missingChecksum = true
    }
    const parent = parentOf(at)
    if (parent !== '' && this.plan.nodes.get(parent)?.type !== 'directory') {
      throw new FileConflictError(
        `${label}: /${entry.name} would land in /${parent}, which is not a folder in the root ` +
          '(a symlink on the way points at nothing). Fix or leave out the package that ships it.'
      )
    }
    const existing = this.plan.nodes.get(at)
    if (existing?.type === 'directory') {
      throw new FileConflictError(
        `${label}: /${entry.name} is a ${entry.type}, but /${at} is a folder` +
          `${existing.ownerIndex === undefined ? '' : ` of ${this.plan.ownerLabel(existing)}`}. ` +
          'Install only one of the two packages.'
      )
    }
    if (existing && this.plan.decide(existing, this.index, at) === 'skip') return
    if (existing) this.takeOver(existing)
    const dbFile: DbFile = { name: baseOf(entry.name), acl, digest }
    dir.files.push(dbFile)
    this.files.set(entry.name, { digest, at, dbFile })
    this.plan.set(at, {
      type: entry.type === 'file' ? 'file' : entry.type === 'symlink' ? 'symlink' : 'hardlink',
      mode: acl.mode,
      uid: acl.uid,
      gid: acl.gid,
      ownerIndex: this.index,
      owner: this.pkg.unit.pkg.name,
      dbName: entry.name,
      data: entry.type === 'file' ? entry.data : undefined,
      staged: entry.type === 'file' ? entry.staged : undefined,
      written: undefined,
      mtime: entry.mtime,
      linkname: entry.type === 'symlink' ? entry.linkname : linkTarget,
      xattrs: entry.xattrs.size ? entry.xattrs : undefined
    })
  }

  /** The file at `existing` is replaced: its owner's database no longer lists it. */
  private takeOver(existing: Node): void {
    if (existing.ownerIndex === undefined || existing.dbName === undefined) return
    if (existing.ownerIndex === this.index) {
      const own = this.files.get(existing.dbName)
      if (own) own.dbFile.removed = true
      return
    }
    const db = this.plan.packages[existing.ownerIndex].db
    ;(db.removed ??= new Set()).add(existing.dbName)
  }

  private broken(message: string): void {
    this.pkg.db.flags = 'f'
    this.plan.warn(message)
  }

  finish(): void {
    if (this.missingChecksum) {
      this.broken(
        `${this.pkg.label}: files without embedded checksums (packages built without them are ` +
          'deprecated by apk); marked f:f in the database'
      )
    }
    // Its database lines as bytes from here on (a later package's take-over goes to `removed`).
    const db = this.pkg.db
    for (const dir of db.dirs) this.plan.installedFolders.add(`/${dir.path}`)
    db.folders = formatFolders(db.dirs)
    db.dirs = []
  }
}
