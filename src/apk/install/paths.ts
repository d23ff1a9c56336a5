/**
 * Path rules of the installer: which archive names apk refuses, and how a package path maps to
 * a place inside the root when earlier packages put symlinks on the way. Nothing here touches
 * the disk; the plan is checked in memory before the first byte is written.
 */
import { PathEscapeError } from '../errors.js'

/** Symlink hops allowed while resolving one path (Linux's own limit is 40). */
const MAX_HOPS = 40

/**
 * Why apk 2.14 would call `name` malicious, or undefined when it is fine: absolute, control
 * characters, `.`/`..` components (apk checks `./`, `../`, `/./`, `/../`; we also refuse a
 * trailing `/..` and empty components, which resolve the same way).
 */
export function maliciousReason(name: string): string | undefined {
  if (name.startsWith('/')) return 'it is an absolute path'
  if (hasControlCharacter(name)) return 'it contains a control character'
  for (const part of name.split('/')) {
    if (part === '..') return 'it climbs out with `..`'
    if (part === '.' || part === '') return 'it has an empty or `.` component'
  }
  return undefined
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x20 || code === 0x7f) return true
  }
  return false
}

/** Parent folder of a root-relative path (`''` is the root). */
export function parentOf(rel: string): string {
  const slash = rel.lastIndexOf('/')
  return slash < 0 ? '' : rel.slice(0, slash)
}

export function baseOf(rel: string): string {
  return rel.slice(rel.lastIndexOf('/') + 1)
}

export function joinRel(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`
}

/** What the resolver needs to know about a path already planned. */
export interface PlannedNode {
  type: 'directory' | 'file' | 'symlink' | 'hardlink'
  linkname?: string
}

/**
 * Where `rel` (a package path, already checked by maliciousReason) lands in the root: each
 * component that is a planned symlink is followed as a container would see it (absolute targets
 * start at the root). A symlink that climbs above the root is refused, so nothing is ever written
 * through a link to a place outside it. `followLast` also follows the final component (for
 * directory entries: `mkdir` of an existing link to a folder uses that folder).
 */
export function resolveInRoot(
  rel: string,
  nodes: ReadonlyMap<string, PlannedNode>,
  followLast: boolean,
  context: string
): string {
  const state = { hops: 0 }
  const parts = rel.split('/')
  const last = parts.pop() as string
  const parent = walk('', parts, nodes, state, rel, context)
  const here = joinRel(parent, last)
  const at = followLast ? walk(parent, [last], nodes, state, rel, context) : here
  // The name itself when nothing on the way changed it (nearly always): one string for the
  // path's key in the plan and the package's name for it, not a second one built from its parts.
  return at === rel ? rel : at
}

function walk(
  start: string,
  parts: string[],
  nodes: ReadonlyMap<string, PlannedNode>,
  state: { hops: number },
  original: string,
  context: string
): string {
  let current = start
  for (const part of parts) {
    if (part === '' || part === '.') continue
    if (part === '..') {
      if (current === '') throw escape(original, context)
      current = parentOf(current)
      continue
    }
    const next = joinRel(current, part)
    const node = nodes.get(next)
    if (node?.type !== 'symlink') {
      current = next
      continue
    }
    if (++state.hops > MAX_HOPS) {
      throw new PathEscapeError(
        `${context}: /${original} goes through more than ${MAX_HOPS} symlinks; ` +
          'fix the symlink loop in the package.'
      )
    }
    const target = node.linkname ?? ''
    const from = target.startsWith('/') ? '' : current
    current = walk(from, target.split('/'), nodes, state, original, context)
  }
  return current
}

function escape(original: string, context: string): PathEscapeError {
  return new PathEscapeError(
    `${context}: /${original} goes through a symlink that points above the root; refusing to ` +
      'write outside it. The package is malformed or hostile: remove it from the package list.'
  )
}

/**
 * The prefix that makes an image layer's entry an OCI whiteout: a package file so named would
 * delete what lower layers hold once the root is an image, so neither the install nor the image
 * writer takes one.
 */
export const WHITEOUT = '.wh.'

/**
 * Why an extended attribute's name cannot go in a layer (a PAX `SCHILY.xattr.NAME` record, which
 * Go's tar reader refuses with a NUL or `=` in it), or undefined.
 */
export function xattrNameProblem(name: string): string | undefined {
  if (name === '' || name.includes('\0') || name.includes('=')) {
    return `named ${JSON.stringify(name)}: a name must be non-empty, without NUL or =`
  }
  if (Buffer.byteLength(name) > 255) return `named ${name.slice(0, 40)}…, longer than 255 bytes`
  return undefined
}
