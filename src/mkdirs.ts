/**
 * `mkdir -p` one level at a time. Node 20's recursive `fs.mkdir` never settles for some paths
 * (under /proc, for one), which would hang a build on a bad output path instead of failing it.
 */
import * as fs from 'node:fs/promises'
import * as path from 'node:path'

/** Returns the topmost folder it made (undefined when `dir` existed), so a caller can undo it. */
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
