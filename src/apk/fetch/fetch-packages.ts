/**
 * Getting verified package files: from local repositories on disk, from the cache, or over
 * HTTP, each used only after it verifies against its index entry. Apart from the indexes'
 * fetching (fetch.ts): a resolve never loads this, or the package reader it needs.
 */
// fs.promises: Node loads node:fs/promises on its first use.
import { promises as fs } from 'node:fs'
import * as path from 'node:path'
import type { PackageCache } from './cache.js'
import { mapLimit } from './concurrency.js'
import { ApkError, FetchError, InvalidArgumentError, PackageIntegrityError } from '../errors.js'
import { readApkPackageAsync, readApkPackageFile } from '../formats/package-file.js'
import { GZIP_MAGIC, newFetchStats, type FetchStats } from './fetch.js'
import { isRemote, packageUrl } from './repository.js'
import { HttpTransport } from './transport.js'
import {
  silentLogger,
  type ApkPackageFile,
  type Logger,
  type RepoPackage,
  type Repository
} from '../types.js'

/** The largest package body taken when the index gives no size (`S:`); else exactly `S:`. */
export const MAX_UNSIZED_PACKAGE_BYTES = 1024 * 1024 * 1024

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
