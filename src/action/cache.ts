/**
 * The index and package caches between runs, on @actions/cache. Two entries: `<cacheDir>/indexes`
 * (keyed by arches, repositories and the UTC day, since indexes change upstream) and
 * `<cacheDir>/packages` (keyed by the exact set of resolved packages). Caching is an
 * optimisation: every failure here is a warning, never a failed build.
 */
import * as core from '@actions/core'
import { createHash } from 'node:crypto'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import { PackageCache, type PackageInfo } from '../apk/engine.js'
import type { BuildSpec, FetchSummary } from '../assemble/spec.js'
import { makeDirs } from '../files.js'

/**
 * The `cache-hit` output: 'true' when the package entry matched its exact key and no package was
 * downloaded, 'partial' when an entry was restored (an older package set, or an exact match that
 * still needed downloads), 'false' when nothing was restored or the cache is off.
 */
export type CacheHit = 'true' | 'partial' | 'false'

export interface CacheKeys {
  primary: string
  restore: string[]
}

/** One arch's package set: resolved, or read from a lock file (identities are all the key needs). */
export interface ResolvedArch {
  arch: string
  packages: Pick<PackageInfo, 'name' | 'version' | 'checksum'>[]
}

type EntryName = 'indexes' | 'packages'

interface Entry {
  keys: CacheKeys
  matched?: string
}

type ActionsCache = typeof import('@actions/cache')
let actionsCache: Promise<ActionsCache> | undefined

/**
 * @actions/cache, loaded on first use: it is two thirds of the bundle (its Azure SDK tree), and
 * a build with the cache input off never needs it. Measured on 2 shared cores: starting the
 * action took 0.17 s of CPU with it loaded up front, 0.10 s without.
 */
function loadActionsCache(): Promise<ActionsCache> {
  actionsCache ??= import('@actions/cache')
  return actionsCache
}

/** True when the runner offers the cache service; outside GitHub, says so once at debug level. */
export async function cacheAvailable(): Promise<boolean> {
  if ((await loadActionsCache()).isFeatureAvailable()) return true
  core.debug(
    'cache: no Actions cache service here (not on a GitHub runner); nothing is restored or saved'
  )
  return false
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

function archPart(arches: string[]): string {
  return [...arches].sort().join('+')
}

function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10).replace(/-/g, '')
}

/** `witchery-index-v1-<arches>-<12 hex of the repositories>-<YYYYMMDD>`, restored by prefix without the day. */
export function indexCacheKeys(
  arches: string[],
  repositories: string[],
  now = new Date()
): CacheKeys {
  const prefix = `witchery-index-v1-${archPart(arches)}-${sha256(repositories.join('\n')).slice(0, 12)}-`
  return { primary: `${prefix}${utcDay(now)}`, restore: [prefix] }
}

/**
 * `witchery-pkgs-v1-<arches>-<sha256 of the sorted package identities>`, restored by arch prefix.
 * A lock file's packages give the same key as the resolution that wrote it: the key is a hash of
 * the lock's content, so locked packages stay cached as long as the lock does not change, even
 * after the repositories dropped them.
 */
export function packageCacheKeys(arches: string[], resolved: ResolvedArch[]): CacheKeys {
  const identities = resolved.flatMap((r) =>
    r.packages.map((p) => `${r.arch}/${p.checksum || `${p.name}-${p.version}`}`)
  )
  const prefix = `witchery-pkgs-v1-${archPart(arches)}-`
  return {
    primary: `${prefix}${sha256([...new Set(identities)].sort().join('\n'))}`,
    restore: [prefix]
  }
}

/**
 * @actions/cache versions an entry by the path strings it is given and stores paths relative to
 * GITHUB_WORKSPACE. Giving it the bare names `indexes`/`packages` from inside the cache dir keeps
 * the entry valid wherever RUNNER_TEMP is on the next run.
 */
async function inCacheDir<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  await makeDirs(dir)
  const cwd = process.cwd()
  const workspace = process.env.GITHUB_WORKSPACE
  process.chdir(dir)
  process.env.GITHUB_WORKSPACE = dir
  try {
    return await fn()
  } finally {
    process.chdir(cwd)
    if (workspace === undefined) delete process.env.GITHUB_WORKSPACE
    else process.env.GITHUB_WORKSPACE = workspace
  }
}

/**
 * Keeps of a restored tree only real folders and regular files, which is all the engine writes
 * there. Anything else goes, a link itself and never what it points at: an entry saved by another
 * run that made `packages` a link to the workspace had the next run store its downloads there,
 * and its pruning delete the workspace's files. Returns how many entries went.
 */
export async function keepRegularTree(dir: string): Promise<number> {
  const stat = await fs.lstat(dir).catch(() => undefined)
  if (stat === undefined) return 0
  if (!stat.isDirectory()) {
    // fs.rm removes a link, not its target.
    await fs.rm(dir, { force: true })
    return 1
  }
  let removed = 0
  for (const name of await fs.readdir(dir)) removed += await keepRegularFile(path.join(dir, name))
  return removed
}

async function keepRegularFile(entry: string): Promise<number> {
  const kind = await fs.lstat(entry)
  if (kind.isFile()) return 0
  if (kind.isDirectory()) return keepRegularTree(entry)
  await fs.rm(entry, { force: true })
  return 1
}

async function hasFiles(dir: string): Promise<boolean> {
  const names = await fs.readdir(dir).catch(() => [])
  return names.length > 0
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** The two cache entries of one build: restore before, save after. */
export class BuildCache {
  readonly enabled: boolean
  private readonly dir: string
  private indexes?: Entry
  private packages?: Entry
  private resolved: ResolvedArch[] = []

  private constructor(
    private readonly spec: Pick<BuildSpec, 'arches' | 'repositories' | 'cacheDir'>,
    private readonly options: { now?: Date },
    enabled: boolean
  ) {
    this.dir = spec.cacheDir ?? ''
    this.enabled = enabled
  }

  /** The caches of a build; with the cache input off, the cache library is not even loaded. */
  static async open(
    spec: Pick<BuildSpec, 'arches' | 'repositories' | 'cacheDir'>,
    options: { now?: Date } = {}
  ): Promise<BuildCache> {
    const enabled = spec.cacheDir !== undefined && (await cacheAvailable())
    return new BuildCache(spec, options, enabled)
  }

  async restoreIndexes(): Promise<void> {
    if (!this.enabled) return
    const keys = indexCacheKeys(this.spec.arches, this.spec.repositories, this.options.now)
    this.indexes = { keys, matched: await this.restore('indexes', keys) }
  }

  /** Meant for build's onResolved: the package set is known, nothing is fetched yet. */
  async restorePackages(resolved: ResolvedArch[]): Promise<void> {
    if (!this.enabled) return
    this.resolved = resolved
    const keys = packageCacheKeys(this.spec.arches, resolved)
    // Restored already from the lock: the resolution of the same packages has the same key.
    if (this.packages?.keys.primary === keys.primary) return
    this.packages = { keys, matched: await this.restore('packages', keys) }
  }

  /** After a successful build: saves each entry whose exact key was not already there. */
  async save(): Promise<void> {
    if (!this.enabled) return
    await this.saveEntry('indexes', this.indexes)
    if (this.packages && this.packages.matched !== this.packages.keys.primary)
      await this.prunePackages()
    await this.saveEntry('packages', this.packages)
  }

  /**
   * Keeps only the resolved packages, so an entry restored from an older set does not carry its
   * stale files into the new one (entries would otherwise only ever grow).
   */
  private async prunePackages(): Promise<void> {
    const store = new PackageCache(this.dir)
    const keep = new Set(
      this.resolved.flatMap((r) => r.packages.map((p) => store.packagePath(p.checksum)))
    )
    const dir = path.join(this.dir, 'packages')
    for (const name of await fs.readdir(dir).catch(() => [])) {
      const file = path.join(dir, name)
      if (!keep.has(file)) await fs.rm(file, { recursive: true, force: true })
    }
  }

  hit(fetch?: Pick<FetchSummary, 'packagesDownloaded'>): CacheHit {
    const matched = this.packages?.matched
    if (!this.packages || matched === undefined) return 'false'
    const downloaded = fetch?.packagesDownloaded ?? 0
    return matched === this.packages.keys.primary && downloaded === 0 ? 'true' : 'partial'
  }

  private async restore(name: EntryName, keys: CacheKeys): Promise<string | undefined> {
    try {
      const matched = await inCacheDir(this.dir, () =>
        loadActionsCache().then((c) => c.restoreCache([name], keys.primary, keys.restore))
      )
      if (matched === undefined) core.info(`cache: no ${name} entry yet for ${keys.primary}`)
      else if (matched === keys.primary) core.info(`cache: ${name} restored (${matched})`)
      else core.info(`cache: ${name} restored from an older entry (${matched})`)
      const removed = await keepRegularTree(path.join(this.dir, name))
      if (removed > 0) {
        core.warning(
          `cache: the restored ${name} entry held ${removed} thing(s) witchery never stores there ` +
            '(links, FIFOs, folders); they were removed and the rest is verified as usual'
        )
      }
      return matched
    } catch (error) {
      core.warning(`cache: could not restore ${name}, building without them: ${messageOf(error)}`)
      return undefined
    }
  }

  private async saveEntry(name: EntryName, entry: Entry | undefined): Promise<void> {
    if (!entry) return
    if (entry.matched === entry.keys.primary) {
      core.info(`cache: ${name} unchanged (${entry.keys.primary}), not saved again`)
      return
    }
    if (!(await hasFiles(path.join(this.dir, name)))) {
      core.debug(`cache: ${path.join(this.dir, name)} is empty, nothing to save`)
      return
    }
    try {
      const id = await inCacheDir(this.dir, () =>
        loadActionsCache().then((c) => c.saveCache([name], entry.keys.primary))
      )
      if (id !== -1) core.info(`cache: ${name} saved as ${entry.keys.primary}`)
    } catch (error) {
      core.warning(`cache: could not save ${name}: ${messageOf(error)}`)
    }
  }
}
