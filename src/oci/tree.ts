/**
 * Layer entries from the two places an image's files come from: the engine's RootTree (owners
 * and modes as the packages declare them, content under the root dir) and a host folder or file
 * (the user's app).
 */
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import type { RootTree } from '../apk/engine.js'
import { ImageSpecError, UnsupportedFileError } from './errors.js'
import { compareBytes } from './tar-writer.js'
import type { LayerEntry } from './types.js'

/**
 * One entry per path of the tree, with metadata from the tree only; regular files are read
 * from `root` when the layer is written. The root itself (`''`) is not an entry.
 */
export function treeToLayerEntries(root: string, tree: RootTree): LayerEntry[] {
  const entries: LayerEntry[] = []
  // `prefix + p` is one small cons string over a shared prefix, where path.join built a tree of
  // ten a file: a root of many files kept them all until its layers were written.
  const prefix = path.join(root, '/')
  for (const [treePath, meta] of tree) {
    const p = treePath.replace(/^\/+/, '').replace(/\/+$/, '')
    if (p === '' || p === '.') continue
    // Every field from the start (none added later): one object a path, no property array.
    const entry: LayerEntry = {
      path: p,
      type: meta.type,
      mode: meta.mode & 0o7777,
      uid: meta.uid,
      gid: meta.gid,
      linkname:
        meta.type === 'symlink'
          ? meta.linkname
          : meta.type === 'hardlink'
            ? meta.linkname?.replace(/^\/+/, '')
            : undefined,
      source: meta.type === 'file' ? prefix + p : undefined,
      content: undefined,
      xattrs: meta.xattrs && meta.xattrs.size > 0 ? meta.xattrs : undefined,
      mtime: undefined
    }
    entries.push(entry)
  }
  return entries
}

export interface ScanOptions {
  /** Owner of every entry; default 0. */
  uid?: number
  /** Group of every entry; default 0. */
  gid?: number
}

/**
 * The entries of a host folder placed at `dest` (the folder itself becomes `dest`), or of a
 * single file placed as `dest`. The host's owners are never used; modes are normalised the way
 * git stores them: directories 0755, files 0755 when any exec bit is set and 0644 otherwise;
 * a single file is always 0755 (it is the app to run, and artifact downloads lose exec bits).
 * So the image does not depend on the runner's umask, and a non-root user can read and run the
 * app. Symlinks are kept as symlinks with their target text as written: they are never followed
 * while scanning, so none can reach outside `dir`, and inside a container even `../..` stops at
 * the image root. Sockets, FIFOs and devices are refused.
 */
export async function scanDirectory(
  dir: string,
  dest: string,
  options: ScanOptions = {}
): Promise<LayerEntry[]> {
  const owner = { uid: options.uid ?? 0, gid: options.gid ?? 0 }
  const base = dest.replace(/^\/+/, '').replace(/\/+$/, '')
  // The path the user named is followed: `app: ./current` may well be a symlink to a build.
  const top = await fs.stat(dir)
  if (top.isFile()) {
    if (base === '') {
      throw new ImageSpecError(`'${dir}' is a file; give the path it takes in the image`)
    }
    // The writer never follows a symlink, so hand it the file the user's path leads to. A
    // single file is the program to run: executable even when a download dropped its exec bit.
    return [fileEntry(base, await fs.realpath(dir), top.mode | 0o111, owner)]
  }
  if (!top.isDirectory()) {
    throw new UnsupportedFileError(`'${dir}' is neither a file nor a folder; give either`)
  }
  const entries: LayerEntry[] = []
  if (base !== '') entries.push({ path: base, type: 'directory', mode: 0o755, ...owner })
  await scanInto(dir, base, owner, entries)
  return entries
}

async function scanInto(
  dir: string,
  base: string,
  owner: { uid: number; gid: number },
  entries: LayerEntry[]
): Promise<void> {
  const names = (await folderNames(dir)).sort(compareBytes)
  for (const name of names) {
    const hostPath = path.join(dir, name)
    const imagePath = base === '' ? name : `${base}/${name}`
    const stat = await fs.lstat(hostPath)
    if (stat.isDirectory()) {
      entries.push({ path: imagePath, type: 'directory', mode: 0o755, ...owner })
      await scanInto(hostPath, imagePath, owner, entries)
    } else if (stat.isFile()) {
      entries.push(fileEntry(imagePath, hostPath, stat.mode, owner))
    } else if (stat.isSymbolicLink()) {
      const linkname = await fs.readlink(hostPath)
      entries.push({ path: imagePath, type: 'symlink', mode: 0o777, linkname, ...owner })
    } else {
      throw new UnsupportedFileError(
        `'${hostPath}' is a socket, FIFO or device; an app folder can hold files, folders and symlinks only`
      )
    }
  }
}

/**
 * The names in a folder of the user's, refusing one that is not UTF-8: Node would hand back a
 * name with U+FFFD in place of its bytes, which names no file (it failed later as ENOENT).
 */
export async function folderNames(dir: string): Promise<string[]> {
  const names: string[] = []
  for (const raw of await fs.readdir(dir, { encoding: 'buffer' })) {
    const name = raw.toString('utf8')
    if (!Buffer.from(name, 'utf8').equals(raw)) {
      throw new UnsupportedFileError(
        `'${path.join(dir, raw.toString('latin1'))}' has a name that is not UTF-8, which an ` +
          'image cannot name portably; rename it'
      )
    }
    names.push(name)
  }
  return names
}

function fileEntry(
  imagePath: string,
  hostPath: string,
  hostMode: number,
  owner: { uid: number; gid: number }
): LayerEntry {
  const mode = (hostMode & 0o111) !== 0 ? 0o755 : 0o644
  return { path: imagePath, type: 'file', mode, source: hostPath, ...owner }
}
