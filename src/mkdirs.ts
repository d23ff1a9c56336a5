/**
 * `mkdir -p` one level at a time. Node 20's recursive `fs.mkdir` never settles for some paths
 * (under /proc, for one), which would hang a build on a bad output path instead of failing it.
 */
import * as fs from 'node:fs/promises'
import * as path from 'node:path'

export async function makeDirs(dir: string, mode = 0o755): Promise<void> {
  const absolute = path.resolve(dir)
  const missing: string[] = []
  let current = absolute
  while (!(await fs.stat(current).catch(() => undefined))) {
    missing.unshift(current)
    const parent = path.dirname(current)
    if (parent === current) break
    current = parent
  }
  for (const part of missing) {
    await fs.mkdir(part, { mode }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error
    })
  }
}
