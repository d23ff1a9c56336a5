import * as fs from 'node:fs'
import * as path from 'node:path'

/**
 * Every entry under `dir`, relative, folders before what they hold. Symlinks are listed, never
 * followed: `fs.readdirSync(dir, { recursive: true })` follows them, so an unpacked Alpine root's
 * `var/run -> /run` led it into this machine's own /run, and through another root there, in a
 * loop, while other builds changed it.
 */
export function walkTree(dir: string): string[] {
  const out: string[] = []
  const visit = (rel: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel === '' ? entry.name : path.join(rel, entry.name)
      out.push(child)
      // A Dirent of a symlink is not a directory, whatever it points at.
      if (entry.isDirectory()) visit(child)
    }
  }
  visit('')
  return out
}
