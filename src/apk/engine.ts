/**
 * The engine's front door: what `apk --root ROOT --initdb --arch A --keys-dir K --repository R add
 * WORLD…` does, in three steps a caller can stop between (the action restores its package cache
 * after resolving): open the repositories, resolve the world, install it.
 */
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import { findArch, archNames } from '../arch.js'
import { readApkindex } from './formats/apkindex.js'
import { PackageCache } from './fetch/cache.js'
import { parseDependency } from './formats/dependency.js'
import { InvalidArgumentError } from './errors.js'
import { fetchIndexes, fetchPackages, newFetchStats, type FetchStats } from './fetch/fetch.js'
import { InstallQueue } from './install/queue.js'
import { RootInstaller, type InstallResult } from './install/root-installer.js'
import { Keyring } from './keys/keyring.js'
import { readApkPackage } from './formats/package-file.js'
import { indexUrl, isRemote, packageUrl, parseRepository } from './fetch/repository.js'
import { solve } from './solver/solve.js'
import { HttpTransport } from './fetch/transport.js'
import {
  silentLogger,
  type Dependency,
  type Logger,
  type RepoPackage,
  type Repository,
  type RepositoryIndex
} from './types.js'

// What the rest of witchery may use of the engine: this file is the one door into src/apk/.
export * from './errors.js'
export { PackageCache } from './fetch/cache.js'
export { newFetchStats, type FetchStats } from './fetch/fetch.js'
export { alpineRepositories, parseRepository } from './fetch/repository.js'
export { parseDependency } from './formats/dependency.js'
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

export interface EngineOptions {
  /** Alpine arch (`x86_64`, `aarch64`…). */
  arch: string
  /** Repository URLs or paths, optionally `@tag URL`, in order. */
  repositories: string[]
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
  transport?: HttpTransport
  /** mtime of db entries whose package has no build date (SOURCE_DATE_EPOCH). */
  sourceDateEpoch?: number
  logger?: Logger
}

/** Repositories opened for one arch: their verified indexes and every package they offer. */
export interface OpenRepositories {
  arch: string
  repositories: Repository[]
  indexes: RepositoryIndex[]
  /** Packages in database order: repositories in configured order, stanzas in index order. */
  packages: RepoPackage[]
  keyring: Keyring
  /** Download counters, shared by the index and package fetches of this build. */
  stats: FetchStats
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
 * Gets one of Alpine's keys: from alpinelinux.org, else from the `alpine-keys` package of a
 * configured repository. Where it came from does not matter: the keyring accepts it only if its
 * fingerprint is pinned.
 */
async function fetchAlpineKeyFile(
  name: string,
  options: EngineOptions,
  transport: HttpTransport
): Promise<Buffer | undefined> {
  const logger = options.logger ?? silentLogger
  const url = (options.alpineKeysUrl ?? ALPINE_KEYS_URL) + encodeURIComponent(name)
  try {
    return (await transport.get(url)).body
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
    const pkg = index.packages.find((p) => p.name === 'alpine-keys')
    if (!pkg) return undefined
    const bytes = await readSource(packageUrl(repository, pkg, options.arch), repository, transport)
    const file = readApkPackage(bytes, { expected: pkg })
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
  transport: HttpTransport
): Promise<Buffer> {
  if (!isRemote(repository)) return fs.readFile(url)
  return (await transport.get(url)).body
}

/** Fetches and verifies every repository's index for one arch. */
export async function openRepositories(options: EngineOptions): Promise<OpenRepositories> {
  checkArch(options.arch)
  if (options.repositories.length === 0) {
    throw new InvalidArgumentError('no repositories: give at least one repository URL or path.')
  }
  const logger = options.logger ?? silentLogger
  const ownTransport = options.transport ? undefined : new HttpTransport({ logger })
  const transport = options.transport ?? (ownTransport as HttpTransport)
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
      maxAgeSeconds: options.indexMaxAgeSeconds,
      logger
    })
    const packages = indexes.flatMap((index) => index.packages)
    return { arch: options.arch, repositories, indexes, packages, keyring, stats }
  } finally {
    // Alpine keys are fetched while the indexes verify; after that the transport has no use.
    ownTransport?.close()
  }
}

/** Resolves the world against opened repositories, as `apk add --simulate` would. */
export function resolveWorld(repos: OpenRepositories, world: string[]): Resolution {
  const deps = parseWorld(world)
  const solution = solve(deps, repos.packages, {
    repositories: repos.repositories,
    arch: repos.arch
  })
  return { world: deps, packages: solution.packages, tags: solution.tags }
}

/** Fetches, verifies and installs a resolution into `root`, writing the apk database. */
export async function installResolution(
  root: string,
  repos: OpenRepositories,
  resolution: Resolution,
  options: EngineOptions
): Promise<EngineInstallResult> {
  const logger = options.logger ?? silentLogger
  const fetch = repos.stats
  // The keys that signed the indexes go into etc/apk/keys, so apk in a derived image trusts them.
  const signers = [...new Set(repos.indexes.map((i) => i.signer).filter((s) => s !== undefined))]
  const keys = signers
    .map((name) => ({ name, pem: repos.keyring.pemOf(name) ?? '' }))
    .filter((k) => k.pem !== '')
  const installer = await RootInstaller.begin(root, {
    arch: repos.arch,
    world: resolution.world,
    repositories: repos.repositories,
    keys,
    tags: resolution.tags,
    sourceDateEpoch: options.sourceDateEpoch,
    logger
  })
  // Packages go in, in install order, while later ones are still downloading and verifying.
  const queue = new InstallQueue(installer, resolution.packages)
  try {
    await fetchPackages(resolution.packages, repos.repositories, repos.arch, {
      // Without one given, fetchPackages makes its own and closes it.
      transport: options.transport,
      cache: options.cacheDir ? new PackageCache(options.cacheDir) : undefined,
      concurrency: options.concurrency,
      logger,
      stats: fetch,
      onVerified: (pkg, file) => queue.ready(pkg, file)
    })
    await queue.done()
    return { ...(await installer.finish()), fetch }
  } catch (error) {
    await queue.settled()
    await installer.abort()
    throw error
  }
}
