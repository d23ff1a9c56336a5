/**
 * Getting verified indexes: from local repositories on disk, from the cache, or over HTTP. Bytes
 * are used only after they verify against the keyring. Package files: fetch-packages.ts.
 */
import { readApkindex } from '../formats/apkindex.js'
import { keepYoungGenerationSmall } from '../../released-memory.js'
import { readFileSyncIf } from '../../regular-file.js'
import type { PackageCache } from './cache.js'
import { mapLimit } from './concurrency.js'
import { FetchError } from '../errors.js'
import type { Keyring } from '../keys/keyring.js'
import { indexUrl, isRemote } from './repository.js'
import { HttpTransport, type TransportResponse } from './transport.js'
import { silentLogger, type Logger, type Repository, type RepositoryIndex } from '../types.js'

/**
 * The largest index body taken, refused as the bytes arrive. Alpine's largest index is about
 * 2 MB: this is generous, and stops a mirror that sends an endless body.
 */
export const MAX_INDEX_BYTES = 64 * 1024 * 1024

/** Every index and package starts with a gzip member. */
export const GZIP_MAGIC = Buffer.from([0x1f, 0x8b])

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
  /** Whether packages carry their details (ReadApkindexOptions.packageDetails); default true. */
  packageDetails?: boolean
  /** Seconds a cached index is used without asking the server; 0 (default) always revalidates. */
  maxAgeSeconds?: number
  logger?: Logger
  stats?: FetchStats
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
        allowUntrusted: options.allowUntrusted,
        packageDetails: options.packageDetails
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
  if (indexes.length < 2) return
  const first = new Map<string, number>()
  indexes.forEach((index, i) => {
    const table = index.table
    for (let row = 0, rows = table.count; row < rows; row++) {
      const checksum = table.checksum(row)
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
  return readFileSyncIf(file, (stat) => {
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
    return true
  }) as Buffer
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
