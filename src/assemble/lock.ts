/**
 * The lock file: what shapes an image's Alpine part, per arch: each package's name, version,
 * index checksum (`C:`) and repository, and the Alpine release written into os-release. With
 * the same lock and app, a build gives the same digest whatever the repositories serve later.
 *
 * The format is JSON written by hand for diffs that read well in a pull request: keys in a fixed
 * order, arches sorted, packages sorted by name with one package per line. Repository URLs are
 * written without credentials (user:password@); local repositories are written relative to the
 * lock file's folder, so a lock committed with the workspace works on any runner.
 */
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import {
  compareNames,
  compareVersions,
  parseRepository,
  validChecksum,
  type LockedPackage,
  type PackageInfo
} from '../apk/engine.js'
import { InputError, LockError } from './errors.js'
import { writeThroughTemp } from '../files.js'

export const LOCK_VERSION = 1

export interface LockEntry {
  name: string
  version: string
  /** The index checksum, `Q1…`. */
  checksum: string
  /** The repository URL (without credentials) or path (relative to the lock file's folder). */
  repository: string
}

export interface ArchLock {
  /** The Alpine release written into /etc/os-release, when known. */
  alpine?: string
  /** Sorted by name, then version. */
  packages: LockEntry[]
}

export interface Lock {
  /** The `packages` input the lock was made for, as given (for readers; not used to install). */
  world: string[]
  /** By Alpine arch name. */
  arches: Record<string, ArchLock>
}

export type LockChangeKind = 'added' | 'removed' | 'upgraded' | 'downgraded' | 'rebuilt'

/** One difference between the lock before and after a build. */
export interface LockChange {
  arch: string
  name: string
  change: LockChangeKind
  /** The version before (absent for added). */
  from?: string
  /** The version after (absent for removed). */
  to?: string
}

/** What a build did with its lock, for the outputs and the summary. */
export interface LockReport {
  /** Absolute path of the lock file. */
  path: string
  /** `used`: installed from it; `written`: made new; `updated`: resolved afresh and rewritten. */
  status: 'used' | 'written' | 'updated'
  changes: LockChange[]
}

/** The lock at `file`, or undefined when there is none. Malformed content is an InputError. */
export async function readLock(file: string): Promise<Lock | undefined> {
  let text: string
  try {
    text = await fs.readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new InputError('lock', `cannot read '${file}': ${(error as Error).message}`)
  }
  return parseLock(text, file)
}

export function parseLock(text: string, file: string): Lock {
  const bad = (problem: string) =>
    new InputError(
      'lock',
      `'${file}' is not a witchery lock file (${problem}); fix it, or delete it (or set ` +
        '`lock-update: true`) to write a new one'
    )
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw bad(`not JSON: ${(error as Error).message}`)
  }
  const top = value as { lockVersion?: unknown; packages?: unknown; arches?: unknown }
  if (typeof top !== 'object' || top === null) throw bad('not a JSON object')
  if (top.lockVersion !== LOCK_VERSION) {
    throw bad(
      `lockVersion is ${JSON.stringify(top.lockVersion)}, this witchery reads ${LOCK_VERSION}`
    )
  }
  if (!isStringArray(top.packages)) throw bad('`packages` is not a list of strings')
  if (typeof top.arches !== 'object' || top.arches === null || Array.isArray(top.arches)) {
    throw bad('`arches` is not an object')
  }
  const arches: Record<string, ArchLock> = {}
  for (const [arch, raw] of Object.entries(top.arches as Record<string, unknown>)) {
    const entry = raw as { alpine?: unknown; packages?: unknown }
    if (typeof entry !== 'object' || entry === null || !Array.isArray(entry.packages)) {
      throw bad(`arch ${arch} has no \`packages\` list`)
    }
    // It becomes /etc/os-release's VERSION_ID: a release number and nothing else.
    if (
      entry.alpine !== undefined &&
      !(typeof entry.alpine === 'string' && RELEASE.test(entry.alpine))
    ) {
      throw bad(`arch ${arch}: \`alpine\` is not an Alpine release such as 3.22.2`)
    }
    const packages = entry.packages.map((p: unknown, i: number) => {
      const pkg = p as Record<string, unknown>
      for (const field of ['name', 'version', 'checksum', 'repository']) {
        if (typeof pkg?.[field] !== 'string' || pkg[field] === '') {
          throw bad(`arch ${arch}, package #${i + 1}: \`${field}\` is missing`)
        }
      }
      // They make a package file's path in a local repository: no `/`, no `..`.
      for (const field of ['name', 'version'] as const) {
        if (!PACKAGE_WORD.test(pkg[field] as string)) {
          throw bad(`arch ${arch}, package #${i + 1}: \`${field}\` is not a package ${field}`)
        }
      }
      if (!validChecksum(pkg.checksum as string)) {
        throw bad(`arch ${arch}, package #${i + 1}: \`checksum\` is not an apk identity (Q1…=)`)
      }
      return {
        name: pkg.name as string,
        version: pkg.version as string,
        checksum: pkg.checksum as string,
        repository: pkg.repository as string
      }
    })
    arches[arch] = { alpine: entry.alpine, packages }
  }
  return { world: top.packages, arches }
}

/** An Alpine release (`3.22.2`), as os-release's VERSION_ID takes it. */
const RELEASE = /^\d+\.\d+(?:\.\d+)?$/
/** A package name or version as a file name holds it: apk's characters, not `.`-only. */
const PACKAGE_WORD = /^(?!\.+$)[A-Za-z0-9._+~-]+$/

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string')
}

function comparePackages(a: LockEntry, b: LockEntry): number {
  return compareNames(a.name, b.name) || compareVersions(a.version, b.version)
}

/** The file's text: stable key order, sorted, one package per line, ending with a newline. */
export function formatLock(lock: Lock): string {
  const lines = ['{', `  "lockVersion": ${LOCK_VERSION},`]
  lines.push(`  "packages": ${JSON.stringify(lock.world)},`)
  lines.push('  "arches": {')
  const arches = Object.keys(lock.arches).sort()
  arches.forEach((arch, a) => {
    const entry = lock.arches[arch]
    lines.push(`    ${JSON.stringify(arch)}: {`)
    if (entry.alpine !== undefined) lines.push(`      "alpine": ${JSON.stringify(entry.alpine)},`)
    lines.push('      "packages": [')
    const packages = [...entry.packages].sort(comparePackages)
    packages.forEach((p, i) => {
      const fields = {
        name: p.name,
        version: p.version,
        checksum: p.checksum,
        repository: p.repository
      }
      lines.push(`        ${JSON.stringify(fields)}${i < packages.length - 1 ? ',' : ''}`)
    })
    lines.push('      ]')
    lines.push(`    }${a < arches.length - 1 ? ',' : ''}`)
  })
  lines.push('  }', '}')
  return `${lines.join('\n')}\n`
}

/** Writes the lock unless the file already says exactly this; true when it wrote. */
export async function writeLock(file: string, lock: Lock): Promise<boolean> {
  const text = formatLock(lock)
  const existing = await fs.readFile(file, 'utf8').catch(() => undefined)
  if (existing === text) return false
  try {
    await writeThroughTemp(file, (temp) => fs.writeFile(temp, text, { flag: 'wx' }))
  } catch (error) {
    throw new InputError(
      'lock',
      `cannot write '${file}': ${(error as Error).message}; give a path in a writable folder`
    )
  }
  return true
}

/**
 * How a configured repository (`[@tag ]URL-or-path`, as in BuildSpec.repositories) is written
 * in a lock: a URL without its credentials, or a path relative to the lock file's folder.
 */
export function lockRepository(configured: string, lockFile: string): string {
  // parseRepository keeps a URL as written minus its credentials (publicUrl).
  const url = parseRepository(configured, 0).url
  if (/^https?:\/\//i.test(url)) return url
  const relative = path.relative(path.dirname(lockFile), url).split(path.sep).join('/')
  return relative === '' ? '.' : relative
}

/** The lock's section for one arch, from the packages a build installed. */
export function archLock(
  packages: (PackageInfo & { repository: number })[],
  repositories: string[],
  lockFile: string,
  alpine: string | undefined
): ArchLock {
  const entries = packages.map((p) => ({
    name: p.name,
    version: p.version,
    checksum: p.checksum,
    repository: lockRepository(repositories[p.repository], lockFile)
  }))
  const lock: ArchLock = { packages: entries.sort(comparePackages) }
  if (alpine !== undefined) lock.alpine = alpine
  return lock
}

/**
 * The engine's view of one arch of the lock: each package with the index of the configured
 * repository it names. A lock for another arch, or naming a repository no longer configured,
 * cannot be honoured.
 */
export function lockedPackages(
  lock: Lock,
  arch: string,
  repositories: string[],
  lockFile: string
): LockedPackage[] {
  const section = lock.arches[arch]
  if (!section) {
    throw new LockError(
      `the lock file '${lockFile}' has no packages for ${arch} (it has ${
        Object.keys(lock.arches).join(', ') || 'none'
      }). ${UPDATE_HINT}`
    )
  }
  const written = repositories.map((r) => lockRepository(r, lockFile))
  return section.packages.map((p) => {
    const repository = written.indexOf(p.repository)
    if (repository < 0) {
      throw new LockError(
        `the lock file '${lockFile}' takes ${p.name}-${p.version} from ${p.repository}, which is ` +
          `not among the repositories given (${written.join(', ')}). Add it back, or ${UPDATE_HINT_LOWER}`
      )
    }
    return { name: p.name, version: p.version, checksum: p.checksum, repository }
  })
}

export const UPDATE_HINT =
  'Set `lock-update: true` (CLI `--lock-update`) to resolve afresh and rewrite the lock.'
const UPDATE_HINT_LOWER =
  'set `lock-update: true` (CLI `--lock-update`) to resolve afresh and rewrite the lock.'

/** Added, removed, upgraded, downgraded and rebuilt packages, per arch, sorted. */
export function diffLocks(before: Lock | undefined, after: Lock): LockChange[] {
  const changes: LockChange[] = []
  const arches = new Set([...Object.keys(before?.arches ?? {}), ...Object.keys(after.arches)])
  for (const arch of [...arches].sort()) {
    const old = byName(before?.arches[arch]?.packages ?? [])
    const now = byName(after.arches[arch]?.packages ?? [])
    const names = [...new Set([...old.keys(), ...now.keys()])].sort(compareNames)
    for (const name of names) {
      const a = old.get(name)
      const b = now.get(name)
      if (!a && b) changes.push({ arch, name, change: 'added', to: b.version })
      else if (a && !b) changes.push({ arch, name, change: 'removed', from: a.version })
      else if (a && b && a.version !== b.version) {
        const change = compareVersions(a.version, b.version) < 0 ? 'upgraded' : 'downgraded'
        changes.push({ arch, name, change, from: a.version, to: b.version })
      } else if (a && b && a.checksum !== b.checksum) {
        changes.push({ arch, name, change: 'rebuilt', from: a.version, to: b.version })
      }
    }
  }
  return changes
}

function byName(entries: LockEntry[]): Map<string, LockEntry> {
  return new Map(entries.map((e) => [e.name, e]))
}
