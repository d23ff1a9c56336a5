/**
 * Getting verified indexes and package files: from local repositories on disk, from the cache,
 * or over HTTP. Whatever the source, bytes are used only after they verify: indexes against
 * the keyring, packages against their index entry.
 */
// fs.promises: Node loads node:fs/promises on its first use, which a local resolve never makes.
import {
  closeSync,
  constants as fsConstants,
  fstatSync,
  openSync,
  promises as fs,
  readSync
} from 'node:fs'
import * as path from 'node:path'
import { readApkindex } from '../formats/apkindex.js'
import { keepYoungGenerationSmall } from '../../released-memory.js'
import type { PackageCache } from './cache.js'
import { mapLimit } from './concurrency.js'
import { ApkError, FetchError, InvalidArgumentError, PackageIntegrityError } from '../errors.js'
import type { Keyring } from '../keys/keyring.js'
import { readApkPackageAsync, readApkPackageFile } from '../formats/package-file.js'
import { indexUrl, isRemote, packageUrl } from './repository.js'
import { HttpTransport, type TransportResponse } from './transport.js'
import {
  silentLogger,
  type ApkPackageFile,
  type Logger,
  type RepoPackage,
  type Repository,
  type RepositoryIndex
} from '../types.js'

/**
 * The largest index body taken, refused as the bytes arrive. Alpine's largest index is about
 * 2 MB: this is generous, and stops a mirror that sends an endless body.
 */
export const MAX_INDEX_BYTES = 64 * 1024 * 1024

/** The largest package body taken when the index gives no size (`S:`); else exactly `S:`. */
export const MAX_UNSIZED_PACKAGE_BYTES = 1024 * 1024 * 1024

/** Every index and package starts with a gzip member. */
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b])

/** Counters a build reports; pass one object to both fetch functions to add them up. */
export interface FetchStats {
  /** Bytes received over HTTP (indexes and packages). */
  downloadedBytes: number
  /** Packages taken from the cache after they verified. */
  packagesFromCache: number
  packagesDownloaded: number
  /** Indexes the server confirmed unchanged (HTTP 304). */
  indexesRevalidated: number
  indexesDownloaded: number
  /** Indexes taken from the cache because their repository could not be reached. */
  indexesOffline: number
}

export function newFetchStats(): FetchStats {
  return {
    downloadedBytes: 0,
    packagesFromCache: 0,
    packagesDownloaded: 0,
    indexesRevalidated: 0,
    indexesDownloaded: 0,
    indexesOffline: 0
  }
}

export interface FetchIndexesOptions {
  transport?: HttpTransport
  cache?: PackageCache
  keyring: Keyring
  allowUntrusted?: boolean
  /** Seconds a cached index is used without asking the server; 0 (default) always revalidates. */
  maxAgeSeconds?: number
  logger?: Logger
  stats?: FetchStats
}

export interface FetchPackagesOptions {
  transport?: HttpTransport
  cache?: PackageCache
  /** Downloads in flight at once (default 6). */
  concurrency?: number
  logger?: Logger
  /** After each package: packages done, of total, and bytes downloaded so far. */
  onProgress?: (done: number, total: number, bytes: number) => void
  /**
   * Each package as soon as it is verified, in whatever order downloads finish. The file is
   * handed over: fetchPackages keeps no reference to it (its map comes back empty), so the
   * caller decides how long its bytes stay in memory.
   */
  onVerified?: (pkg: RepoPackage, file: ApkPackageFile) => void
  stats?: FetchStats
  /** Where large files are streamed while they verify (see ReadApkPackageOptions.staging). */
  staging?: string
  /**
   * Awaited before each package is fetched, in the order given: a caller that holds verified
   * files until it installs them makes downloads wait here for memory (InstallQueue.admit).
   * Rejects to stop; `signal` aborts once another package failed.
   */
  admit?: (pkg: RepoPackage, signal: AbortSignal) => Promise<void>
}

interface IndexContext {
  arch: string
  transport: HttpTransport
  cache?: PackageCache
  verify: (bytes: Buffer, repository: Repository) => Promise<RepositoryIndex>
  maxAgeMs: number
  logger: Logger
  stats: FetchStats
}

/**
 * Fetches and verifies the index of every repository for `arch`, in configured order. A
 * package identity offered by several repositories is attributed to the first of them.
 */
export async function fetchIndexes(
  repositories: Repository[],
  arch: string,
  options: FetchIndexesOptions
): Promise<RepositoryIndex[]> {
  const ownTransport = options.transport ? undefined : new HttpTransport({ logger: options.logger })
  const context: IndexContext = {
    arch,
    transport: options.transport ?? (ownTransport as HttpTransport),
    cache: options.cache,
    verify: (bytes, repository) =>
      readApkindex(bytes, repository, {
        keyring: options.keyring,
        allowUntrusted: options.allowUntrusted
      }),
    maxAgeMs: Math.max(0, options.maxAgeSeconds ?? 0) * 1000,
    logger: options.logger ?? silentLogger,
    stats: options.stats ?? newFetchStats()
  }
  // Indexes are read side by side: a small one (a main's) scanning first would grow V8's young
  // generation before a large one's size is known (readApkindex), so several keep it small now.
  if (repositories.length > 1) keepYoungGenerationSmall()
  try {
    const indexes = await mapLimit(repositories, 4, (repository) =>
      isRemote(repository)
        ? fetchRemoteIndex(repository, context)
        : readLocalIndex(repository, context)
    )
    attributeToFirstRepository(indexes)
    return indexes
  } finally {
    ownTransport?.close()
  }
}

function attributeToFirstRepository(indexes: RepositoryIndex[]): void {
  // The first index's packages are all its own: only later ones are looked up.
  const first = new Map<string, number>()
  indexes.forEach((index, i) => {
    const table = index.table
    for (let row = 0, rows = table.count; row < rows; row++) {
      const checksum = table.checksums[row]
      const earlier = i === 0 ? undefined : first.get(checksum)
      if (earlier !== undefined) table.setRepository(row, earlier)
      else if (i < indexes.length - 1) first.set(checksum, index.repository.index)
    }
  })
}

function missingIndex(url: string, repository: Repository, arch: string, cause?: unknown) {
  return new FetchError(
    url,
    `no index at ${url}: is ${arch} built in this repository (${repository.url})? Check the repository URL/branch and the arch.`,
    { status: 404, cause }
  )
}

/**
 * A local index file's bytes, read on this thread (a few reads of a file the system most likely
 * holds: through the thread pool, its open, stat, reads and close each waited for a turn of the
 * event loop). Only a regular file of at most MAX_INDEX_BYTES: a FIFO would block a read for
 * ever, and a device such as /dev/zero (of size 0) would never end.
 */
function readIndexFile(file: string): Buffer {
  const fd = openSync(file, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK)
  try {
    const stat = fstatSync(fd)
    if (!stat.isFile()) {
      throw new FetchError(
        file,
        `${file} is not a regular file, so it is not a repository index. Check the repository path.`
      )
    }
    if (stat.size > MAX_INDEX_BYTES) {
      throw new FetchError(
        file,
        `${file} is ${stat.size} bytes, more than the ${MAX_INDEX_BYTES} an index may have: it ` +
          'is not a repository index. Check the repository path.'
      )
    }
    // What it held when it was opened: a file still growing is cut there, and fails as an index.
    const bytes = Buffer.allocUnsafe(stat.size)
    let read = 0
    while (read < bytes.length) {
      const n = readSync(fd, bytes, read, bytes.length - read, read)
      if (n === 0) break
      read += n
    }
    return bytes.subarray(0, read)
  } finally {
    closeSync(fd)
  }
}

async function readLocalIndex(
  repository: Repository,
  context: IndexContext
): Promise<RepositoryIndex> {
  const file = indexUrl(repository, context.arch)
  let bytes: Buffer
  try {
    bytes = readIndexFile(file)
  } catch (error) {
    if (error instanceof FetchError) throw error
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw missingIndex(file, repository, context.arch, error)
    }
    throw new FetchError(file, `cannot read index ${file}: ${(error as Error).message}`, {
      cause: error
    })
  }
  return context.verify(bytes, repository)
}

async function fetchRemoteIndex(
  repository: Repository,
  context: IndexContext
): Promise<RepositoryIndex> {
  const url = indexUrl(repository, context.arch)
  let cached = await readCachedIndex(url, context)
  // A restored cache says when it fetched: a time to come (a hostile entry's, to keep an old
  // index in use for ever) is no reason to skip asking the server.
  const age = cached ? Date.now() - cached.fetchedAt : -1
  if (cached && age >= 0 && age < context.maxAgeMs) {
    const index = await verifyCached(cached.bytes, repository, url, context)
    if (index) {
      context.logger.debug(`${url}: using the cached index (younger than the max age)`)
      return index
    }
    cached = undefined
  }
  let response: TransportResponse
  try {
    response = await getIndex(url, repository, context, cached)
  } catch (error) {
    const offline =
      cached && unreachable(error) ? await offlineIndex(cached, repository, context) : undefined
    if (!offline) throw error
    return offline
  }
  if (response.status === 304 && cached) {
    const index = await verifyCached(cached.bytes, repository, url, context)
    if (index) {
      context.stats.indexesRevalidated++
      // A 304 may omit the validators; keep the ones the cached copy came with.
      await storeIndex(
        url,
        cached.bytes,
        {
          etag: response.etag ?? cached.etag,
          lastModified: response.lastModified ?? cached.lastModified
        },
        context
      )
      return index
    }
    // The server says our copy is current, but our copy does not verify: fetch it whole, once.
    return downloadIndex(url, repository, context, await getIndex(url, repository, context))
  }
  return downloadIndex(url, repository, context, response)
}

/**
 * Whether a failed index download means the repository cannot be reached now (DNS, refused,
 * reset, timeouts, 5xx after the retries), rather than that it answered "no" (404, 401, 403…).
 */
function unreachable(error: unknown): boolean {
  if (!(error instanceof FetchError)) return false
  return error.status === undefined || error.status >= 500
}

/**
 * apk-tools' behaviour with a cache: when the repository is down, its cached index is used, with
 * a warning. The bytes are verified against the keyring like a fresh download.
 */
async function offlineIndex(
  cached: { bytes: Buffer; fetchedAt: number },
  repository: Repository,
  context: IndexContext
): Promise<RepositoryIndex | undefined> {
  const url = indexUrl(repository, context.arch)
  const index = await verifyCached(cached.bytes, repository, url, context)
  if (!index) return undefined
  context.stats.indexesOffline++
  context.logger.warning(
    `${repository.url} cannot be reached; using its cached index of ${new Date(
      cached.fetchedAt
    ).toISOString()} (packages not in the cache will fail to download)`
  )
  return index
}

async function downloadIndex(
  url: string,
  repository: Repository,
  context: IndexContext,
  response: TransportResponse
): Promise<RepositoryIndex> {
  context.stats.downloadedBytes += response.body.length
  context.stats.indexesDownloaded++
  const index = await context.verify(response.body, repository)
  await storeIndex(url, response.body, response, context)
  return index
}

async function getIndex(
  url: string,
  repository: Repository,
  context: IndexContext,
  cached?: { etag?: string; lastModified?: string }
): Promise<TransportResponse> {
  try {
    return await context.transport.get(url, {
      etag: cached?.etag,
      lastModified: cached?.lastModified,
      maxBytes: MAX_INDEX_BYTES,
      magic: GZIP_MAGIC,
      what: 'index'
    })
  } catch (error) {
    if (error instanceof FetchError && error.status === 404) {
      throw missingIndex(url, repository, context.arch, error)
    }
    throw error
  }
}

/** Verifies cached bytes; a failure only means "not usable", and the entry is dropped. */
async function verifyCached(
  bytes: Buffer,
  repository: Repository,
  url: string,
  context: IndexContext
): Promise<RepositoryIndex | undefined> {
  try {
    return await context.verify(bytes, repository)
  } catch (error) {
    context.logger.debug(
      `${url}: cached index failed verification (${(error as Error).message}); fetching it again`
    )
    await context.cache?.removeIndex(url).catch(() => undefined)
    return undefined
  }
}

async function readCachedIndex(url: string, context: IndexContext) {
  if (!context.cache) return undefined
  try {
    return await context.cache.readIndex(url)
  } catch (error) {
    context.logger.debug(`${url}: cache unreadable (${(error as Error).message}); ignoring it`)
    return undefined
  }
}

async function storeIndex(
  url: string,
  bytes: Buffer,
  validators: { etag?: string; lastModified?: string },
  context: IndexContext
): Promise<void> {
  if (!context.cache) return
  try {
    await context.cache.writeIndex(url, bytes, {
      etag: validators.etag,
      lastModified: validators.lastModified,
      fetchedAt: Date.now()
    })
  } catch (error) {
    context.logger.warning(`could not cache ${url}: ${(error as Error).message}`)
  }
}

interface PackageContext {
  arch: string
  transport: HttpTransport
  cache?: PackageCache
  logger: Logger
  stats: FetchStats
  signal: AbortSignal
  staging?: string
}

/**
 * Fetches and verifies the files of `packages` (meta packages with installed size 0 have none),
 * at most `concurrency` downloads at once. Returns the verified files by package identity
 * (none with `onVerified`, which takes each file instead).
 */
export async function fetchPackages(
  packages: RepoPackage[],
  repositories: Repository[],
  arch: string,
  options: FetchPackagesOptions = {}
): Promise<Map<string, ApkPackageFile>> {
  const wanted = uniqueIdentities(packages.filter((pkg) => pkg.installedSize > 0))
  const byIndex = new Map(repositories.map((repository) => [repository.index, repository]))
  const ownTransport = options.transport ? undefined : new HttpTransport({ logger: options.logger })
  const stats = options.stats ?? newFetchStats()
  // On the first failure, cancel the downloads still running: the build has failed already.
  const cancel = new AbortController()
  const context: PackageContext = {
    arch,
    transport: options.transport ?? (ownTransport as HttpTransport),
    cache: options.cache,
    logger: options.logger ?? silentLogger,
    stats,
    signal: cancel.signal,
    staging: options.staging
  }
  const startBytes = stats.downloadedBytes
  let done = 0
  let firstError: { error: unknown } | undefined
  try {
    const files = await mapLimit(wanted, options.concurrency ?? 6, async (pkg) => {
      try {
        await options.admit?.(pkg, cancel.signal)
        const file = await fetchPackage(pkg, repositoryOf(pkg, byIndex), context)
        options.onVerified?.(pkg, file)
        done++
        options.onProgress?.(done, wanted.length, stats.downloadedBytes - startBytes)
        return options.onVerified ? undefined : file
      } catch (error) {
        firstError ??= { error }
        cancel.abort()
        throw error
      }
    })
    const kept = new Map<string, ApkPackageFile>()
    wanted.forEach((pkg, i) => files[i] && kept.set(pkg.checksum, files[i]))
    return kept
  } catch (error) {
    // Report the failure that stopped the build, not a download it cancelled.
    throw firstError ? firstError.error : error
  } finally {
    ownTransport?.close()
  }
}

function uniqueIdentities(packages: RepoPackage[]): RepoPackage[] {
  const seen = new Set<string>()
  return packages.filter((pkg) => !seen.has(pkg.checksum) && seen.add(pkg.checksum))
}

function repositoryOf(pkg: RepoPackage, byIndex: Map<number, Repository>): Repository {
  const repository = byIndex.get(pkg.repository)
  if (!repository) {
    throw new InvalidArgumentError(
      `package ${pkg.name}-${pkg.version} comes from repository #${pkg.repository}, which is not among the repositories given; pass the same repositories the indexes came from.`
    )
  }
  return repository
}

async function fetchPackage(
  pkg: RepoPackage,
  repository: Repository,
  context: PackageContext
): Promise<ApkPackageFile> {
  const label = `${pkg.name}-${pkg.version}`
  const url = packageUrl(repository, pkg, context.arch)
  // A local repository is already on disk: caching it would only copy it.
  if (!isRemote(repository)) return readLocalPackage(pkg, url, label, context.staging)
  const cached = await fromCache(pkg, label, context)
  if (cached) return cached
  if (context.staging !== undefined) {
    return downloadToFile(pkg, url, label, context, context.staging)
  }
  const bytes = await download(pkg, url, label, context)
  const file = await verifyDownloaded(bytes, pkg, url, label, context.staging)
  context.stats.packagesDownloaded++
  await storePackage(pkg, { bytes }, label, context)
  return file
}

/**
 * A package of a local repository, verified from its file: a large one as a stream, so its
 * bytes never sit whole in memory (readApkPackageFile).
 */
async function readLocalPackage(
  pkg: RepoPackage,
  file: string,
  label: string,
  staging: string | undefined
): Promise<ApkPackageFile> {
  try {
    return await readApkPackageFile(file, { expected: pkg, label, staging })
  } catch (error) {
    if (error instanceof ApkError) throw notMatching(error, label, file)
    if (!isFileError(error)) throw error
    const missing = error.code === 'ENOENT'
    const reason = missing
      ? 'the index lists it but the file is missing; rebuild the repository index'
      : error.message
    throw new FetchError(file, `cannot read package ${label} at ${file}: ${reason}`, {
      cause: error
    })
  }
}

/** An error of a file system call (it names the call), not of the bytes read. */
function isFileError(error: unknown): error is NodeJS.ErrnoException {
  const call = (error as NodeJS.ErrnoException | null)?.syscall
  return typeof call === 'string' && !(error instanceof ApkError)
}

/** A cached package that verifies; one that does not is removed and fetched again. */
async function fromCache(
  pkg: RepoPackage,
  label: string,
  context: PackageContext
): Promise<ApkPackageFile | undefined> {
  if (!context.cache) return undefined
  const cached = context.cache.packagePath(pkg.checksum)
  try {
    // Not read at all when its size is not the index's: a file grown in a shared cache folder
    // (700 MiB of padding once) was read whole before it failed verification.
    // Not followed: a link (to /dev/zero, say) or a FIFO where a file belongs is not a package.
    const stat = await fs.lstat(cached)
    const size = stat.size
    const expected = pkg.size > 0 ? pkg.size : undefined
    if (!stat.isFile() || size !== (expected ?? size) || size > MAX_UNSIZED_PACKAGE_BYTES) {
      context.logger.debug(
        `${label}: the cached file is ${size} bytes, the index says ${pkg.size}; fetching it again`
      )
      await context.cache.removePackage(pkg.checksum).catch(() => undefined)
      return undefined
    }
    const file = await readApkPackageFile(cached, {
      expected: pkg,
      label,
      staging: context.staging
    })
    context.stats.packagesFromCache++
    return file
  } catch (error) {
    if (isFileError(error)) {
      if (error.code !== 'ENOENT') {
        context.logger.debug(`${label}: cache unreadable (${error.message}); ignoring it`)
      }
      return undefined
    }
    context.logger.debug(
      `${label}: cached file failed verification (${(error as Error).message}); fetching it again`
    )
    await context.cache.removePackage(pkg.checksum).catch(() => undefined)
    return undefined
  }
}

let downloads = 0

/**
 * A download written to a file of the staging folder as it arrives and verified from there
 * (readApkPackageFile), so a large package never sits whole in memory; the cache gets a copy of
 * the file once it verified. The file is removed whatever happens.
 */
async function downloadToFile(
  pkg: RepoPackage,
  url: string,
  label: string,
  context: PackageContext,
  staging: string
): Promise<ApkPackageFile> {
  const temp = path.join(staging, `${process.pid}-download-${++downloads}.apk`)
  try {
    await download(pkg, url, label, context, temp)
    const file = await verifyDownloaded(temp, pkg, url, label, staging)
    context.stats.packagesDownloaded++
    await storePackage(pkg, { file: temp }, label, context)
    return file
  } finally {
    await fs.rm(temp, { force: true })
  }
}

/** The body of a package download, or (with `file`) an empty buffer once the file holds it. */
async function download(
  pkg: RepoPackage,
  url: string,
  label: string,
  context: PackageContext,
  file?: string
): Promise<Buffer> {
  try {
    const response = await context.transport.get(url, {
      expectedSize: pkg.size > 0 ? pkg.size : undefined,
      maxBytes: MAX_UNSIZED_PACKAGE_BYTES,
      magic: GZIP_MAGIC,
      what: 'package',
      signal: context.signal,
      file
    })
    context.stats.downloadedBytes += response.size
    return response.body
  } catch (error) {
    if (error instanceof FetchError) {
      throw new FetchError(url, `cannot fetch package ${label}: ${error.message}`, {
        status: error.status,
        cause: error
      })
    }
    throw error
  }
}

/** A download, its bytes or the file it went to, verified against the package's index entry. */
async function verifyDownloaded(
  downloaded: Buffer | string,
  pkg: RepoPackage,
  source: string,
  label: string,
  staging: string | undefined
): Promise<ApkPackageFile> {
  const options = { expected: pkg, label, staging }
  try {
    return typeof downloaded === 'string'
      ? await readApkPackageFile(downloaded, options)
      : await readApkPackageAsync(downloaded, options)
  } catch (error) {
    if (!(error instanceof ApkError)) throw error
    throw notMatching(error, label, source)
  }
}

function notMatching(error: ApkError, label: string, source: string): PackageIntegrityError {
  return new PackageIntegrityError(
    `package ${label} from ${source} does not match its index entry: ${error.message.replace(/\.+$/, '')}; the repository (or a proxy) served other bytes, and nothing from them was used.`,
    { cause: error }
  )
}

/** Keeps a verified package in the cache (from memory or from a file); a failure only warns. */
async function storePackage(
  pkg: RepoPackage,
  from: { bytes: Buffer } | { file: string },
  label: string,
  context: PackageContext
): Promise<void> {
  if (!context.cache) return
  try {
    if ('bytes' in from) await context.cache.writePackage(pkg.checksum, from.bytes)
    else await context.cache.writePackageFile(pkg.checksum, from.file)
  } catch (error) {
    context.logger.warning(`could not cache ${label}: ${(error as Error).message}`)
  }
}
