/**
 * ../shared: the fixtures and keys given beside the project (never copied into it). A user's
 * clone does not have it, and its tests skip with a note; under CI (CI=true) it must be there,
 * so its absence fails the run instead of silently skipping the tests that need it.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'

export const SHARED = path.resolve(process.cwd(), '..', 'shared')
export const FIXTURES = path.join(SHARED, 'fixtures')

/**
 * Whether `sub` (a path inside ../shared, or all of it) is there. Under CI a missing one
 * throws, failing the suite that asked.
 */
export function haveShared(sub = ''): boolean {
  const wanted = path.join(SHARED, sub)
  if (fs.existsSync(wanted)) return true
  if (process.env.CI === 'true') {
    throw new Error(`${wanted} is missing: CI runs with ../shared beside the project`)
  }
  console.warn(
    `skipping the tests that need ${wanted}: not found (a user's clone has no ../shared)`
  )
  return false
}

/** Packages of the 3.19.1 release repository that conflict with others (ifupdown-ng's `!vlan`…). */
const CONFLICTING = new Set([
  'vlan',
  'bridge',
  'bonding',
  'busybox-mdev-openrc',
  'mdev-conf',
  'network-extras',
  'ifupdown-ng'
])

/**
 * The names of a release repository's packages (`release`/x86_64/*.apk), less those that
 * conflict with others: a world that installs together (the bench's and the memory test's).
 */
export function releaseWorld(release: string): string[] {
  return fs
    .readdirSync(path.join(release, 'x86_64'))
    .filter((f) => f.endsWith('.apk'))
    .map((f) => f.replace(/-[0-9][^-]*-r[0-9]+\.apk$/, ''))
    .filter((name) => !CONFLICTING.has(name))
}
