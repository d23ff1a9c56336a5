/**
 * File-system helpers every layer uses: making folders, and writing a file so nobody ever sees
 * it half written.
 */
import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'

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

/**
 * Writes `file` through a temporary name unique to this process and call, in the same folder,
 * then renames it into place: no reader, and no other process writing the same file, sees a
 * partial result, and a failed write leaves nothing behind.
 */
export async function writeThroughTemp(
  file: string,
  write: (temp: string) => Promise<unknown>
): Promise<void> {
  const dir = path.dirname(file)
  await makeDirs(dir)
  const temp = path.join(
    dir,
    `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  )
  try {
    await write(temp)
    await fs.rename(temp, file)
  } catch (error) {
    await fs.rm(temp, { force: true })
    throw error
  }
}
