/**
 * File-system helpers every layer uses: making folders, and writing a file so nobody ever sees
 * it half written.
 */
// fs.promises: Node loads node:fs/promises on its first use, which a local resolve never makes.
import { constants as fsConstants, promises as fs } from 'node:fs'
import * as path from 'node:path'
import { WitcheryError } from './errors.js'
import { crypto } from './lazy-builtins.js'
import { owner, OWNER_SOURCE, removeOnSignal, removeStale } from './temp.js'

/** A folder that cannot be made because a file stands where one of its folders must be. */
export class NotAFolderError extends WitcheryError {
  constructor(
    readonly file: string,
    dir: string
  ) {
    super('NOT_A_FOLDER', `${file} is a file, not a folder, so ${dir} cannot be made inside it`)
  }
}

/**
 * `mkdir -p` one level at a time. Node 20's recursive `fs.mkdir` never settles for some paths
 * (under /proc, for one), which would hang a build on a bad output path instead of failing it.
 * Returns the topmost folder it made (undefined when `dir` existed), so a caller can undo it.
 */
export async function makeDirs(dir: string, mode = 0o755): Promise<string | undefined> {
  const absolute = path.resolve(dir)
  const missing: string[] = []
  let current = absolute
  while (!(await fs.stat(current).catch(() => undefined))) {
    missing.unshift(current)
    const parent = path.dirname(current)
    if (parent === current) break
    current = parent
  }
  if (missing.length > 0 && current !== missing[0]) {
    const stat = await fs.stat(current).catch(() => undefined)
    if (stat && !stat.isDirectory()) throw new NotAFolderError(current, absolute)
  }
  let made: string | undefined
  for (const part of missing) {
    const created = await fs.mkdir(part, { mode }).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error
        return false
      }
    )
    if (created) made ??= part
  }
  return made
}

/** `.NAME.<owner>.<12 hex>.tmp`: the temporary writeThroughTemp writes NAME through. */
function tempPattern(base: string): RegExp {
  const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(`^\\.${escaped}\\.${OWNER_SOURCE}\\.[0-9a-f]{12}\\.tmp$`)
}

/**
 * Writes `file` through a temporary name unique to this process and call, in the same folder,
 * then renames it into place: no reader, and no other process writing the same file, sees a
 * partial result, and a failed write leaves nothing behind. The temporary is removed on
 * SIGINT/SIGTERM too; with `removeStale`, those of dead processes are removed first (the
 * tarball: a killed build leaves a large one).
 */
export async function writeThroughTemp(
  file: string,
  write: (temp: string) => Promise<unknown>,
  options: { removeStale?: boolean } = {}
): Promise<void> {
  const dir = path.dirname(file)
  await makeDirs(dir)
  const base = path.basename(file)
  if (options.removeStale) removeStale(dir, tempPattern(base))
  const temp = path.join(dir, `.${base}.${owner()}.${crypto().randomBytes(6).toString('hex')}.tmp`)
  const forget = removeOnSignal(temp)
  try {
    await write(temp)
    await fs.rename(temp, file)
  } catch (error) {
    await fs.rm(temp, { force: true })
    throw error
  } finally {
    forget()
  }
}

/**
 * The bytes of `file` when it is a regular file of at most `maxBytes` (its last component not a
 * symlink); undefined when it is missing, larger, or anything else. For files of a folder that
 * may be hostile (a restored cache): a FIFO there would block a plain read for ever, and a link
 * to /dev/zero would fill memory. (regular-file.ts's readFileSyncIf: the same on this thread.)
 */
export async function readRegularFile(file: string, maxBytes: number): Promise<Buffer | undefined> {
  const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fsConstants
  let handle: fs.FileHandle
  try {
    handle = await fs.open(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR') return undefined
    throw error
  }
  try {
    const stat = await handle.stat()
    if (!stat.isFile() || stat.size > maxBytes) return undefined
    const bytes = Buffer.allocUnsafe(stat.size)
    let at = 0
    while (at < bytes.length) {
      const { bytesRead } = await handle.read(bytes, at, bytes.length - at, at)
      if (bytesRead === 0) break
      at += bytesRead
    }
    return bytes.subarray(0, at)
  } finally {
    await handle.close()
  }
}
