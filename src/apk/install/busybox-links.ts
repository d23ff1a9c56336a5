/**
 * What busybox's install scripts leave, made natively in the plan: `busybox --install -s` (a
 * symlink to /bin/busybox for every applet the package lists in /etc/busybox-paths.d/busybox,
 * where nothing is yet), Alpine's `bbsuid --install` (busybox-suid: its applets become links to
 * /bin/bbsuid, replacing symlinks) and `mkdir -p`. Paths that resolve outside the root, or whose
 * folder is missing, are skipped as the real commands fail there.
 */
import { maliciousReason, parentOf, baseOf, joinRel, resolveInRoot } from './paths.js'
import type { Plan } from './plan.js'

export const BUSYBOX = 'bin/busybox'
export const BBSUID = 'bin/bbsuid'
const PATHS_FILE = 'etc/busybox-paths.d/busybox'

/** The applets busybox lists, as root-relative paths; undefined when the list is missing. */
export function busyboxApplets(plan: Plan): string[] | undefined {
  const data = plan.readFile(PATHS_FILE)
  if (data === undefined) return undefined
  return data
    .toString('utf8')
    .split('\n')
    .map((line) => line.trim().replace(/^\/+/, ''))
    .filter((rel) => rel !== '' && maliciousReason(rel) === undefined)
}

/** The folder a new entry `rel` would go into, symlinks on the way followed; undefined if none. */
function landing(plan: Plan, rel: string): string | undefined {
  try {
    const at = resolveInRoot(rel, plan.nodes, false, 'busybox')
    const parent = parentOf(at)
    if (parent !== '' && plan.nodes.get(parent)?.type !== 'directory') return undefined
    return at
  } catch {
    return undefined
  }
}

/** `busybox --install -s`: false when the package lists no applets (nothing can be known). */
export function installBusyboxLinks(plan: Plan): boolean {
  const applets = busyboxApplets(plan)
  if (!applets) return false
  for (const rel of applets) {
    const at = landing(plan, rel)
    // symlink() fails with EEXIST on anything already there, a dangling link included.
    if (at === undefined || plan.nodes.has(at)) continue
    plan.set(at, { type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname: '/bin/busybox' })
  }
  return true
}

/**
 * The applets bbsuid installs: the absolute paths compiled into it that name a busybox applet
 * (bbsuid only ever runs busybox applets), read from the binary itself so any version works.
 */
export function bbsuidApplets(plan: Plan): string[] {
  const binary = plan.readFile(BBSUID)
  const applets = new Set((busyboxApplets(plan) ?? []).map(baseOf))
  if (!binary) return []
  const found: string[] = []
  for (const text of binary.toString('latin1').split('\0')) {
    const match = /^\/((?:usr\/)?s?bin\/[A-Za-z0-9_.[-]+)$/.exec(text)
    if (!match || match[1] === BUSYBOX || match[1] === BBSUID) continue
    if (applets.has(baseOf(match[1])) && !found.includes(match[1])) found.push(match[1])
  }
  return found
}

/** `bbsuid --install`: each applet path becomes a link to /bin/bbsuid (old symlinks replaced). */
export function installBbsuidLinks(plan: Plan): void {
  for (const rel of bbsuidApplets(plan)) {
    const at = landing(plan, rel)
    if (at === undefined) continue
    const existing = plan.nodes.get(at)
    if (existing && existing.type !== 'symlink') continue
    plan.set(at, { type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname: '/bin/bbsuid' })
  }
}

/** `mkdir -p DIR…` as root with umask 022: missing folders 0755, existing ones untouched. */
export function makeDirsP(plan: Plan, dirs: string[]): boolean {
  if (!dirs.every((d) => /^\/[A-Za-z0-9_.\-/]*$/.test(d) && !/(^|\/)\.\.(\/|$)/.test(d))) {
    return false
  }
  for (const dir of dirs) {
    let current = ''
    for (const part of dir.split('/').filter((p) => p !== '' && p !== '.')) {
      let next: string
      try {
        next = resolveInRoot(joinRel(current, part), plan.nodes, true, 'mkdir')
      } catch {
        break
      }
      const node = plan.nodes.get(next)
      if (node && node.type !== 'directory') break
      if (!node) {
        plan.set(next, { type: 'directory', mode: 0o755, uid: 0, gid: 0, preexisting: true })
      }
      current = next
    }
  }
  return true
}
