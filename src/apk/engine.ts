/**
 * The engine's front door: what `apk --root ROOT --initdb --arch A --keys-dir K --repository R add
 * WORLD…` does, in three steps a caller can stop between (the action restores its package cache
 * after resolving): open the repositories, resolve the world, install it.
 */
// fs.promises: Node loads node:fs/promises on its first use, which a local resolve never makes.
import { promises as fs } from 'node:fs'
import * as path from 'node:path'
import { letGoAtOnce } from '../released-memory.js'
import { findArch, archNames } from '../arch.js'
import { parseApkindexText, readApkindex } from './formats/apkindex.js'
import type { PackageTable } from './formats/package-table.js'
import { PackageCache } from './fetch/cache.js'
import { parseDependency } from './formats/dependency.js'
import {
  FormatError,
  InvalidArgumentError,
  LockedPackageError,
  UnsatisfiableError
} from './errors.js'
import { fetchIndexes, newFetchStats, type FetchStats } from './fetch/fetch.js'
import type { InstallResult } from './install/root-installer.js'
export { skippedWarning } from './install/skipped.js'
import type { ScriptsMode } from './install/scripts-native.js'
import { Keyring } from './keys/keyring.js'
import { keepAlpineKey, readCachedAlpineKey } from './keys/key-cache.js'
import { indexUrl, isRemote, packageUrl, parseRepository } from './fetch/repository.js'
import { graphOf } from './solver/graph.js'
import { solve } from './solver/solve.js'
import { HttpTransport } from './fetch/transport.js'
import { repositoryCredentials, RepositoryAuth, type HostCredentials } from './fetch/auth.js'
import {
  emptyPackageInfo,
  silentLogger,
  type Dependency,
  type Logger,
  type PackageInfo,
  type RepoPackage,
  type Repository,
  type RepositoryIndex
} from './types.js'

// What the rest of witchery may use of the engine: this file is the one door into src/apk/.
export * from './errors.js'
export { PackageCache } from './fetch/cache.js'
export { newFetchStats, type FetchStats } from './fetch/fetch.js'
export { alpineRepositories, parseRepository } from './fetch/repository.js'
// Credentials: publicUrl is what any URL written to a log, an error or a file goes through.
export {
  credentialSecrets,
  parseAuthLines,
  publicUrl,
  repositoryCredentials,
  RepositoryAuth,
  splitCredentials,
  type HostCredentials
} from './fetch/auth.js'
export { parseDependency } from './formats/dependency.js'
export { compareNames } from './solver/solve.js'
export { compareVersions } from './formats/version.js'
export { validChecksum } from './formats/apkindex.js'
export type { ScriptsMode, SkippedScript } from './install/scripts-native.js'
export type {
  Dependency,
  FileMeta,
  Logger,
  PackageInfo,
  RepoPackage,
  Repository,
  RootTree
} from './types.js'

export const ALPINE_KEYS_URL = 'https://alpinelinux.org/keys/'

/** A PEM public key is under 1 KiB; anything past this is not one. */
const MAX_KEY_BYTES = 64 * 1024
/**
 * The most the alpine-keys package may take, file and inflated (Alpine's: 13 and 14 KB). Its
 * index is not verified (the key to verify it is what is looked for), so what it claims is not
 * trusted for an allocation: once, a 714 KB package claiming 700 MiB took 1.4 GiB.
 */
const MAX_KEYS_PACKAGE_BYTES = 1024 * 1024
const MAX_KEYS_PACKAGE_INFLATED = 4 * 1024 * 1024

export interface EngineOptions {
  /** Alpine arch (`x86_64`, `aarch64`…). */
  arch: string
  /**
   * Repository URLs or paths, optionally `@tag URL`, in order. A URL may carry credentials
   * (`https://user:token@host/path`): they are sent to that host only and appear nowhere else.
   */
  repositories: string[]
  /** More credentials, per host and path prefix (parseAuthLines). */
  auth?: HostCredentials[]
  /** Folders of PEM public keys (`--keys-dir`). */
  keyDirs?: string[]
  /** PEM public key files. */
  keyFiles?: string[]
  /** Accept indexes and packages whose signatures cannot be checked (`--allow-untrusted`). */
  allowUntrusted?: boolean
  /** Fetch Alpine's own keys when an index names one; accepted only by pinned fingerprint. */
  fetchAlpineKeys?: boolean
  /** Where Alpine's keys are fetched from (a test points this at 127.0.0.1). */
  alpineKeysUrl?: string
  /** Index and package cache folder (`--cache-dir`). */
  cacheDir?: string
  /** Seconds a cached index is used without revalidation (default 0: always revalidate). */
  indexMaxAgeSeconds?: number
  /** Downloads in flight at once. */
  concurrency?: number
  /** A transport to use instead of the engine's own; it must carry the credentials itself. */
  transport?: HttpTransport
  /** mtime of db entries whose package has no build date (SOURCE_DATE_EPOCH). */
  sourceDateEpoch?: number
  /** Install scripts: `native` (default) applies their known idioms, `none` runs nothing. */
  scripts?: ScriptsMode
  /**
   * Whether packages carry the index lines only a whole package needs (size, description, URL,
   * licence, origin, maintainer, build time, commit). Default true; an install needs them (its
   * database holds them). A resolve that shows names and versions leaves them out: a cold resolve
   * of v3.22 main took 0.96-0.975× the time.
   */
  packageDetails?: boolean
  logger?: Logger
}

/** Repositories opened for one arch: their verified indexes and every package they offer. */
export interface OpenRepositories {
  arch: string
  repositories: Repository[]
  indexes: RepositoryIndex[]
  /** Each index's packages, compact (what the solver reads), in configured order. */
  tables: PackageTable[]
  /**
   * Packages in database order: repositories in configured order, stanzas in index order. Made
   * whole on first use, which is costly for a large index: look packages up with providersOf,
   * firstPackageNamed and packageWithChecksum instead.
   */
  readonly packages: RepoPackage[]
  keyring: Keyring
  /** Download counters, shared by the index and package fetches of this build. */
  stats: FetchStats
}

/**
 * What an install needs of opened repositories: not their indexes. A build keeps only this
 * through the install and the image writing, so the index tables (tens of MiB for main +
 * community) are let go once it has resolved.
 */
export interface InstallSources {
  arch: string
  repositories: Repository[]
  /** The indexes' signers: their keys go into etc/apk/keys. */
  indexes: readonly Pick<RepositoryIndex, 'signer'>[]
  keyring: Keyring
  stats: FetchStats
}

/** The part of opened repositories an install needs (InstallSources), holding no index. */
export function installSources(repos: OpenRepositories): InstallSources {
  const { arch, repositories, keyring, stats } = repos
  const indexes = repos.indexes.map(({ signer }) => ({ signer }))
  return { arch, repositories, indexes, keyring, stats }
}

export interface Resolution {
  world: Dependency[]
  /** Install (changeset) order. */
  packages: RepoPackage[]
  /** Repository tag per package pulled in through `name@tag` (the db's `s:` lines). */
  tags: Map<RepoPackage, string>
}

export interface EngineInstallResult extends InstallResult {
  fetch: FetchStats
}

function checkArch(arch: string): void {
  if (!findArch(arch) || findArch(arch)?.apk !== arch) {
    throw new InvalidArgumentError(`unknown arch '${arch}': use one of ${archNames()}.`)
  }
}

/**
 * The packages a `lib/apk/db/installed` lists, as scanners read them: each stanza's index header
 * (`C P V A … D p i`); the file lines that follow are skipped.
 */
export function parseInstalledDatabase(text: string): PackageInfo[] {
  const db = { url: 'lib/apk/db/installed', index: 0 }
  return parseApkindexText(text, db).map(({ repository: _repository, ...info }) => info)
}

/** Parses world tokens (`curl`, `libssl3>=3.3`, `so:libz.so.1`, `!busybox`). */
export function parseWorld(tokens: string[]): Dependency[] {
  return tokens.map((token) => {
    try {
      return parseDependency(token)
    } catch (error) {
      throw new InvalidArgumentError(
        `'${token}' is not a package name or apk constraint (name, name>=1.2, so:libz.so.1, !name): ${
          (error as Error).message
        }`
      )
    }
  })
}

async function loadKeyring(options: EngineOptions, transport: HttpTransport): Promise<Keyring> {
  const keyFiles = options.keyFiles ?? []
  const fetchAlpineKey =
    options.fetchAlpineKeys === false
      ? undefined
      : (name: string) => fetchAlpineKeyFile(name, options, transport)
  // A keys folder is read as apk reads one: files that are not public keys are not keys.
  return Keyring.load({ keysDirs: options.keyDirs, keyFiles, fetchAlpineKey })
}

/**
 * Gets one of Alpine's keys: from the cache folder, else from alpinelinux.org, else from the
 * `alpine-keys` package of a configured repository, and keeps a downloaded one in the cache.
 * Where it came from does not matter: the keyring accepts it only if its fingerprint is pinned.
 */
async function fetchAlpineKeyFile(
  name: string,
  options: EngineOptions,
  transport: HttpTransport
): Promise<Buffer | undefined> {
  const cacheDir = options.cacheDir
  const cached = cacheDir === undefined ? undefined : await readCachedAlpineKey(cacheDir, name)
  if (cached !== undefined) return cached
  const key = await downloadAlpineKeyFile(name, options, transport)
  if (key !== undefined && cacheDir !== undefined) await keepAlpineKey(cacheDir, name, key)
  return key
}

async function downloadAlpineKeyFile(
  name: string,
  options: EngineOptions,
  transport: HttpTransport
): Promise<Buffer | undefined> {
  const logger = options.logger ?? silentLogger
  const url = (options.alpineKeysUrl ?? ALPINE_KEYS_URL) + encodeURIComponent(name)
  try {
    // One attempt: the alpine-keys package of a configured repository is the fallback.
    return (await transport.get(url, { retries: 0, maxBytes: MAX_KEY_BYTES, what: 'key' })).body
  } catch (error) {
    logger.debug(`could not fetch key ${name} from ${url}: ${(error as Error).message}`)
  }
  for (const [i, line] of options.repositories.entries()) {
    const key = await keyFromAlpineKeysPackage(name, parseRepository(line, i), options, transport)
    if (key) return key
  }
  return undefined
}

async function keyFromAlpineKeysPackage(
  name: string,
  repository: Repository,
  options: EngineOptions,
  transport: HttpTransport
): Promise<Buffer | undefined> {
  const logger = options.logger ?? silentLogger
  try {
    const indexBytes = await readSource(indexUrl(repository, options.arch), repository, transport)
    const index = await readApkindex(indexBytes, repository, {
      keyring: await Keyring.load({}),
      allowUntrusted: true
    })
    const row = index.table.rowOfName('alpine-keys')
    if (row < 0) return undefined
    const pkg = index.table.package(row)
    const bytes = await readSource(
      packageUrl(repository, pkg, options.arch),
      repository,
      transport,
      {
        maxBytes: MAX_KEYS_PACKAGE_BYTES,
        what: 'alpine-keys package'
      }
    )
    const { readApkPackage } = await import('./formats/package-file.js')
    const file = readApkPackage(bytes, { expected: pkg, maxInflated: MAX_KEYS_PACKAGE_INFLATED })
    const entry = file.entries.find(
      (e) => e.type === 'file' && path.posix.basename(e.name) === name && /apk\/keys/.test(e.name)
    )
    return entry?.data
  } catch (error) {
    logger.debug(
      `no key ${name} from alpine-keys in ${repository.url}: ${(error as Error).message}`
    )
    return undefined
  }
}

async function readSource(
  url: string,
  repository: Repository,
  transport: HttpTransport,
  limit?: { maxBytes: number; what: string }
): Promise<Buffer> {
  if (isRemote(repository)) return (await transport.get(url, limit ?? {})).body
  if (limit !== undefined) {
    const { size } = await fs.stat(url)
    if (size > limit.maxBytes) {
      throw new FormatError(
        `the ${limit.what} ${url} is ${size} bytes, more than ${limit.maxBytes}`
      )
    }
  }
  return fs.readFile(url)
}

/** The credentials the options carry: given ones and those written in repository URLs. */
export function engineAuth(options: Pick<EngineOptions, 'repositories' | 'auth'>): RepositoryAuth {
  return new RepositoryAuth([
    ...(options.auth ?? []),
    ...repositoryCredentials(options.repositories)
  ])
}

/** The caller's transport, or one of the engine's own with the credentials (closed by `done`). */
function transportFor(options: EngineOptions): { transport: HttpTransport; done: () => void } {
  if (options.transport) return { transport: options.transport, done: () => undefined }
  const transport = new HttpTransport({ logger: options.logger, auth: engineAuth(options) })
  return { transport, done: () => transport.close() }
}

/** Fetches and verifies every repository's index for one arch. */
export async function openRepositories(options: EngineOptions): Promise<OpenRepositories> {
  checkArch(options.arch)
  if (options.repositories.length === 0) {
    throw new InvalidArgumentError('no repositories: give at least one repository URL or path.')
  }
  const logger = options.logger ?? silentLogger
  const { transport, done } = transportFor(options)
  try {
    const repositories = options.repositories.map((line, i) => parseRepository(line, i))
    const keyring = await loadKeyring(options, transport)
    const stats = newFetchStats()
    const indexes = await fetchIndexes(repositories, options.arch, {
      stats,
      transport,
      cache: options.cacheDir ? new PackageCache(options.cacheDir) : undefined,
      keyring,
      allowUntrusted: options.allowUntrusted,
      packageDetails: options.packageDetails,
      maxAgeSeconds: options.indexMaxAgeSeconds,
      logger
    })
    const tables = indexes.map((index) => index.table)
    // The indexes' files and inflated bytes are garbage now: returned before a graph is built.
    letGoAtOnce(indexes.reduce((sum, index) => sum + index.bytesRead, 0))
    return {
      arch: options.arch,
      repositories,
      indexes,
      tables,
      get packages() {
        return tables.flatMap((table) => table.all())
      },
      keyring,
      stats
    }
  } finally {
    // Alpine keys are fetched while the indexes verify; after that the transport has no use.
    done()
  }
}

/**
 * Packages of the opened repositories that provide `name`, as their own name or in their `p:`
 * list (`so:libz.so.1`, `cmd:python3`, and paths: busybox-binsh has `p:/bin/sh`), in database
 * order, one per name, version and repository.
 */
export function providersOf(repos: OpenRepositories, name: string): RepoPackage[] {
  const seen = new Set<string>()
  const found: RepoPackage[] = []
  const graph = graphOf(repos.tables, repos.repositories, repos.arch)
  for (const pkg of graph.packagesProviding(name)) {
    const id = `${pkg.name}-${pkg.version}@${pkg.repository}`
    if (seen.has(id)) continue
    seen.add(id)
    found.push(pkg)
  }
  return found
}

/** The package of the first table in which `rowOf` finds a row (-1: none), made whole. */
function firstFound(
  repos: OpenRepositories,
  rowOf: (table: PackageTable) => number
): RepoPackage | undefined {
  for (const table of repos.tables) {
    const row = rowOf(table)
    if (row >= 0) return table.package(row)
  }
  return undefined
}

/** The first package named `name` in database order, if any repository has one. */
export function firstPackageNamed(repos: OpenRepositories, name: string): RepoPackage | undefined {
  return firstFound(repos, (table) => table.rowOfName(name))
}

/** The package with this identity (`C:`) in database order, if any repository has it. */
export function packageWithChecksum(
  repos: OpenRepositories,
  checksum: string
): RepoPackage | undefined {
  return firstFound(repos, (table) => table.rowOfChecksum(checksum))
}

/** Resolves the world against opened repositories, as `apk add --simulate` would. */
export function resolveWorld(repos: OpenRepositories, world: string[]): Resolution {
  const deps = parseWorld(world)
  const solution = solve(deps, repos.tables, {
    repositories: repos.repositories,
    arch: repos.arch
  })
  return { world: deps, packages: solution.packages, tags: solution.tags }
}

/**
 * Fetches, verifies and installs a resolution into `root`, writing the apk database. The
 * installer, the package reader and the packages' fetching (a fifth of the command line's code)
 * load here, on first use: a resolve never needs them, and compiles that much less at start
 * (`witchery --help` took 0.95x the time on Node 20).
 */
export async function installResolution(
  root: string,
  repos: InstallSources,
  resolution: Resolution,
  options: EngineOptions
): Promise<EngineInstallResult> {
  const { installFetched } = await import('./install/install-fetched.js')
  const { transport, done } = transportFor(options)
  try {
    return await installFetched(root, repos, resolution, options, transport)
  } finally {
    done()
  }
}

/** One package of a lock: install exactly this build, from this repository. */
export interface LockedPackage {
  name: string
  version: string
  /** The index checksum (`C:`, `Q1…`): the package's identity. */
  checksum: string
  /** Repository.index of the configured repository it was locked from. */
  repository: number
}

/**
 * The resolution of a lock: exactly `locked`, in the order apk would install them. Each package
 * is taken from the opened indexes by its checksum or, when its repository no longer lists it
 * (Alpine keeps only the newest build of a package), from the package cache (or a local
 * repository's folder), verified against the locked checksum before anything of it is used.
 * No package other than the locked ones is ever a candidate: the solver only orders them and
 * checks that they satisfy `world`. Throws LockedPackageError when a package cannot be had or
 * the lock does not match the world.
 */
export async function resolveLocked(
  repos: OpenRepositories,
  world: string[],
  locked: LockedPackage[],
  options: EngineOptions
): Promise<Resolution> {
  const logger = options.logger ?? silentLogger
  const candidates: RepoPackage[] = []
  const missing: LockedPackage[] = []
  for (const lock of locked) {
    const repository = repos.repositories.find((r) => r.index === lock.repository)
    if (!repository) {
      throw new InvalidArgumentError(
        `locked package ${lock.name}-${lock.version} names repository #${lock.repository}, which is not configured.`
      )
    }
    const inIndex = packageWithChecksum(repos, lock.checksum)
    if (inIndex && inIndex.name === lock.name && inIndex.version === lock.version) {
      candidates.push(inIndex)
      continue
    }
    const kept = await lockedFromStore(lock, repository, repos.arch, options)
    if (!kept) {
      missing.push(lock)
      continue
    }
    logger.warning(
      `${lock.name}-${lock.version} is no longer in ${repository.url}; using the ${
        isRemote(repository) ? 'cached copy' : 'file still in the folder'
      }, verified against the locked checksum ${lock.checksum}`
    )
    candidates.push(kept)
  }
  if (missing.length > 0) {
    const names = missing.map((p) => `${p.name}-${p.version}`)
    throw new LockedPackageError(
      `locked ${missing.length === 1 ? 'package' : 'packages'} ${names.join(', ')} ` +
        `${missing.length === 1 ? 'is' : 'are'} no longer in the repositories and not in the cache`,
      names
    )
  }
  return orderLocked(repos, world, candidates)
}

/** The solver over the locked packages alone: apk's install order, tags, and the world check. */
function orderLocked(repos: OpenRepositories, world: string[], candidates: RepoPackage[]) {
  const deps = parseWorld(world)
  let solution
  try {
    solution = solve(deps, candidates, { repositories: repos.repositories, arch: repos.arch })
  } catch (error) {
    if (!(error instanceof UnsatisfiableError)) throw error
    throw new LockedPackageError(
      `the packages asked for are not satisfied by the locked packages alone:\n${error.message}`,
      [],
      { cause: error }
    )
  }
  const chosen = new Set(solution.packages)
  const unused = candidates.filter((p) => !chosen.has(p))
  if (unused.length > 0) {
    const names = unused.map((p) => `${p.name}-${p.version}`)
    throw new LockedPackageError(
      `the lock holds ${names.join(', ')}, which the packages asked for no longer need`,
      names
    )
  }
  return { world: deps, packages: solution.packages, tags: solution.tags }
}

/**
 * A locked package its repository no longer lists: from the cache (remote repositories) or the
 * repository's folder (local ones), only if its bytes hash to the locked checksum.
 */
async function lockedFromStore(
  lock: LockedPackage,
  repository: Repository,
  arch: string,
  options: EngineOptions
): Promise<RepoPackage | undefined> {
  const logger = options.logger ?? silentLogger
  const label = `${lock.name}-${lock.version}`
  let bytes: Buffer | undefined
  try {
    if (isRemote(repository)) {
      if (!options.cacheDir) return undefined
      bytes = await new PackageCache(options.cacheDir).readPackage(lock.checksum)
    } else {
      bytes = await fs.readFile(packageUrl(repository, { ...emptyPackageInfo(), ...lock }, arch))
    }
  } catch (error) {
    logger.debug(`${label}: no stored copy (${(error as Error).message})`)
    return undefined
  }
  if (!bytes) return undefined
  const expected: RepoPackage = { ...emptyPackageInfo(), ...lock }
  try {
    const { readApkPackageAsync } = await import('./formats/package-file.js')
    const file = await readApkPackageAsync(bytes, { expected, label })
    if (file.info.name !== lock.name || file.info.version !== lock.version) return undefined
    // The index stanza apk would have written is made from .PKGINFO and the file: the same fields.
    return {
      ...file.info,
      checksum: lock.checksum,
      size: bytes.length,
      repository: repository.index
    }
  } catch (error) {
    logger.debug(`${label}: stored copy does not verify (${(error as Error).message})`)
    return undefined
  }
}
