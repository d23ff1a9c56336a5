/**
 * The one way witchery writes into a root folder: package files, the apk database, the image's
 * accounts, homes and os-release. A package may ship a symlink (or a file) where a folder is
 * expected — `etc/apk/keys -> /home/runner`, `etc -> ../../..` — and a write that followed it
 * would land on the host. So every write here:
 *
 * - checks each parent of the path, root downwards: it must be a real folder (lstat, never a
 *   symlink). Folders this writer made itself, or checked once already, are not checked again;
 *   every write into the root goes through one writer, so they cannot change in between;
 * - opens the last component with O_NOFOLLOW, and creates it with O_EXCL where it must be new,
 *   so a symlink put at the path itself is refused too.
 *
 * A refusal is an error made by the caller's `refuse`, which names who shipped the offending
 * path (the installer names the package, the image assembly says what to leave out).
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { WitcheryError } from './errors.js'

const { O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_RDONLY, O_TRUNC, O_WRONLY } = fs.constants

/** Why a write was refused: `at` is the root-relative path that is not what it must be. */
export interface Refusal {
  /** The path that was to be written. */
  rel: string
  /** The component in the way (a parent of `rel`, or `rel` itself). */
  at: string
  /** What is there instead of a folder (or instead of a plain file). */
  found: 'symlink' | 'file' | 'other' | 'missing'
}

/** The refusal the writer throws when the caller gives no `refuse` of its own. */
export class UnsafeWriteError extends WitcheryError {
  constructor(message: string) {
    super('PATH_ESCAPE', message)
  }
}

export interface RootWriterOptions {
  /** Builds the error for a refused write (defaults to an UnsafeWriteError). */
  refuse?: (refusal: Refusal) => Error
}

export interface FileAttributes {
  mode: number
  /** Owner to set (only when given; chown needs root). */
  owner?: { uid: number; gid: number }
  /** Seconds since the epoch, for atime and mtime. */
  mtime?: number
}

function describe(found: Refusal['found']): string {
  if (found === 'symlink') return 'a symlink'
  if (found === 'file') return 'a file'
  if (found === 'missing') return 'missing'
  return 'not a folder'
}

function defaultRefusal(refusal: Refusal): Error {
  return new UnsafeWriteError(
    `refusing to write /${refusal.rel}: /${refusal.at} is ${describe(refusal.found)}, not a ` +
      'folder inside the root, and writing through it could land outside the root.'
  )
}

function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code
}

export class RootWriter {
  /** Root-relative folders known to be real folders of the root ('' is the root itself). */
  private readonly folders = new Set<string>([''])
  private readonly refuse: (refusal: Refusal) => Error

  constructor(
    readonly root: string,
    options: RootWriterOptions = {}
  ) {
    this.refuse = options.refuse ?? defaultRefusal
  }

  /** The host path of a root-relative path (no checks: for reading what the writer made). */
  hostPath(rel: string): string {
    return rel === '' ? this.root : path.join(this.root, rel)
  }

  /**
   * Makes the folder `rel` (its parent must exist); an existing real folder is fine. `target`
   * is what the caller set out to make, for messages.
   */
  mkdir(rel: string, mode = 0o755, target = rel): void {
    if (this.folders.has(rel)) return
    this.checkParents(rel, target)
    try {
      fs.mkdirSync(this.hostPath(rel), { mode })
    } catch (error) {
      if (errnoOf(error) !== 'EEXIST') throw error
      this.checkFolder(rel, target)
    }
    this.folders.add(rel)
  }

  /** Makes `rel` and every missing folder above it. */
  mkdirs(rel: string, mode = 0o755): void {
    const parts = rel.split('/')
    for (let i = 1; i <= parts.length; i++) this.mkdir(parts.slice(0, i).join('/'), mode, rel)
  }

  /**
   * Writes a new file at `rel` (nothing may be there: remove a file being replaced first), or,
   * with `replace`, truncates a plain file that is there. Never follows a symlink at `rel`.
   */
  writeFile(rel: string, data: Buffer | string, attributes: FileAttributes, replace = false): void {
    const fd = this.open(rel, replace)
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data
      for (let done = 0; done < bytes.length;) {
        done += fs.writeSync(fd, bytes, done, bytes.length - done)
      }
      this.settleOpen(fd, attributes)
    } finally {
      fs.closeSync(fd)
    }
  }

  /**
   * Moves the host file `source` (a staging file of this run) to the new path `rel`: renamed
   * when on the same file system, else copied. The source must not be reachable by packages.
   */
  moveIn(rel: string, source: string, attributes: FileAttributes): void {
    this.checkParents(rel)
    const target = this.hostPath(rel)
    try {
      fs.linkSync(source, target)
      fs.rmSync(source, { force: true })
    } catch (error) {
      const code = errnoOf(error)
      if (code === 'EEXIST') throw error
      // Another file system (EXDEV) or links not allowed: copy, never following a link at rel.
      fs.copyFileSync(source, target, fs.constants.COPYFILE_EXCL)
      fs.rmSync(source, { force: true })
    }
    const fd = this.openExisting(rel, O_WRONLY)
    try {
      this.settleOpen(fd, attributes)
    } finally {
      fs.closeSync(fd)
    }
  }

  /** The contents of the plain file at `rel`, or undefined when there is none. */
  readFile(rel: string): Buffer | undefined {
    this.checkParents(rel)
    let fd: number
    try {
      fd = fs.openSync(this.hostPath(rel), O_RDONLY | O_NOFOLLOW)
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return undefined
      if (errnoOf(error) === 'ELOOP') throw this.refuse({ rel, at: rel, found: 'symlink' })
      throw error
    }
    try {
      if (!fs.fstatSync(fd).isFile()) throw this.refuse({ rel, at: rel, found: 'other' })
      return fs.readFileSync(fd)
    } finally {
      fs.closeSync(fd)
    }
  }

  /** Makes the symlink `rel` → `target` (the target is never followed here). */
  symlink(rel: string, target: string, owner?: { uid: number; gid: number }): void {
    this.checkParents(rel)
    fs.symlinkSync(target, this.hostPath(rel))
    if (owner) fs.lchownSync(this.hostPath(rel), owner.uid, owner.gid)
  }

  /** Makes the hard link `rel` to the file at `target` (root-relative). */
  hardlink(rel: string, target: string): void {
    this.checkParents(rel)
    this.checkParents(target)
    fs.linkSync(this.hostPath(target), this.hostPath(rel))
  }

  /** Removes a file or link at `rel`, if any (never a folder, never through a link). */
  remove(rel: string): void {
    this.checkParents(rel)
    fs.rmSync(this.hostPath(rel), { force: true })
  }

  /** Final mode and owner of a folder this writer made or checked. */
  settleFolder(rel: string, attributes: FileAttributes): void {
    const fd = this.openExisting(rel, O_RDONLY | O_DIRECTORY)
    try {
      this.settleOpen(fd, attributes)
    } finally {
      fs.closeSync(fd)
    }
  }

  private open(rel: string, replace: boolean): number {
    this.checkParents(rel)
    const flags = O_WRONLY | O_CREAT | O_NOFOLLOW | (replace ? O_TRUNC : O_EXCL)
    try {
      const fd = fs.openSync(this.hostPath(rel), flags, 0o600)
      if (replace && !fs.fstatSync(fd).isFile()) {
        fs.closeSync(fd)
        throw this.refuse({ rel, at: rel, found: 'other' })
      }
      return fd
    } catch (error) {
      if (errnoOf(error) === 'ELOOP') throw this.refuse({ rel, at: rel, found: 'symlink' })
      if (errnoOf(error) === 'EISDIR') throw this.refuse({ rel, at: rel, found: 'other' })
      throw error
    }
  }

  private openExisting(rel: string, flags: number): number {
    this.checkParents(rel)
    try {
      return fs.openSync(this.hostPath(rel), flags | O_NOFOLLOW)
    } catch (error) {
      if (errnoOf(error) === 'ELOOP') throw this.refuse({ rel, at: rel, found: 'symlink' })
      if (errnoOf(error) === 'ENOTDIR') throw this.refuse({ rel, at: rel, found: 'file' })
      throw error
    }
  }

  private settleOpen(fd: number, attributes: FileAttributes): void {
    if (attributes.owner) fs.fchownSync(fd, attributes.owner.uid, attributes.owner.gid)
    fs.fchmodSync(fd, attributes.mode)
    if (attributes.mtime !== undefined) {
      fs.futimesSync(fd, attributes.mtime, attributes.mtime)
    }
  }

  /** Every folder above `rel` must be a real folder of the root. */
  private checkParents(rel: string, target = rel): void {
    const slash = rel.lastIndexOf('/')
    if (slash < 0) return
    const parent = rel.slice(0, slash)
    if (this.folders.has(parent)) return
    this.checkParents(parent, target)
    this.checkFolder(parent, target)
    this.folders.add(parent)
  }

  private checkFolder(folder: string, rel: string): void {
    let stat: fs.Stats
    try {
      stat = fs.lstatSync(this.hostPath(folder))
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') throw this.refuse({ rel, at: folder, found: 'missing' })
      throw error
    }
    if (stat.isDirectory()) return
    const found = stat.isSymbolicLink() ? 'symlink' : stat.isFile() ? 'file' : 'other'
    throw this.refuse({ rel, at: folder, found })
  }
}
