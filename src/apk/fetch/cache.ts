/**
 * The on-disk cache of indexes and package files, shared by builds that may run at the same
 * time. Nothing read from here is trusted: callers verify every byte as if it were downloaded.
 *
 * Layout:
 *   DIR/indexes/<sha256(url) hex>.tar.gz   index bytes
 *   DIR/indexes/<sha256(url) hex>.json     { url, etag, lastModified, fetchedAt, size, sha256 }
 *   DIR/packages/<base64url(identity)>.apk package bytes, by identity (`Q1…`)
 * Every file is written to a unique temporary name in its folder and renamed into place, so a
 * reader sees a whole old file or a whole new one, never a mix.
 */
// fs.promises: Node loads node:fs/promises on its first use, which a local resolve never makes.
import { constants, promises as fs } from 'node:fs'
import * as path from 'node:path'
import { readRegularFile, writeThroughTemp } from '../../files.js'
import { crypto } from '../../lazy-builtins.js'

export interface IndexMeta {
  etag?: string
  lastModified?: string
  /** When the index was last downloaded or revalidated (ms since the epoch); default now. */
  fetchedAt?: number
}

export interface CachedIndex {
  url: string
  bytes: Buffer
  etag?: string
  lastModified?: string
  fetchedAt: number
}

/** What the .json file beside the index bytes holds. */
interface StoredMeta {
  url: string
  etag?: string
  lastModified?: string
  fetchedAt: number
  size: number
  /** Ties the metadata to the bytes: a concurrent writer may have replaced one of the pair. */
  sha256: string
}

export class PackageCache {
  readonly dir: string
  private readonly indexDir: string
  private readonly packageDir: string

  constructor(dir: string) {
    this.dir = path.resolve(dir)
    this.indexDir = path.join(this.dir, 'indexes')
    this.packageDir = path.join(this.dir, 'packages')
  }

  /** The cached index for `url`, or undefined when absent, unreadable or inconsistent. */
  async readIndex(url: string): Promise<CachedIndex | undefined> {
    const base = path.join(this.indexDir, urlKey(url))
    const metaText = await readIfExists(`${base}.json`, MAX_META_BYTES)
    const meta = metaText && parseMeta(metaText.toString('utf8'))
    if (!meta || meta.url !== url) return undefined
    // Its size is looked at before it is read: a file grown in a shared cache is not read whole.
    const bytes = await readIfExists(`${base}.tar.gz`, meta.size)
    if (bytes === undefined || meta.size !== bytes.length || sha256(bytes) !== meta.sha256) {
      return undefined
    }
    const cached: CachedIndex = { url, bytes, fetchedAt: meta.fetchedAt }
    if (meta.etag !== undefined) cached.etag = meta.etag
    if (meta.lastModified !== undefined) cached.lastModified = meta.lastModified
    return cached
  }

  /** Stores an index (bytes first, then the metadata that vouches for them). */
  async writeIndex(url: string, bytes: Buffer, meta: IndexMeta = {}): Promise<void> {
    const base = path.join(this.indexDir, urlKey(url))
    const stored: StoredMeta = {
      url,
      etag: meta.etag,
      lastModified: meta.lastModified,
      fetchedAt: meta.fetchedAt ?? Date.now(),
      size: bytes.length,
      sha256: sha256(bytes)
    }
    await writeAtomic(`${base}.tar.gz`, bytes)
    await writeAtomic(`${base}.json`, Buffer.from(`${JSON.stringify(stored, null, 2)}\n`))
  }

  async removeIndex(url: string): Promise<void> {
    const base = path.join(this.indexDir, urlKey(url))
    await removeIfExists(`${base}.json`)
    await removeIfExists(`${base}.tar.gz`)
  }

  /**
   * The cached file of a package identity; undefined when absent or larger than `maxBytes` (by
   * default the most an unsized download may have, 1 GiB).
   */
  async readPackage(checksum: string, maxBytes = 1024 * 1024 * 1024): Promise<Buffer | undefined> {
    return readIfExists(this.packagePath(checksum), maxBytes)
  }

  async writePackage(checksum: string, bytes: Buffer): Promise<void> {
    await writeAtomic(this.packagePath(checksum), bytes)
  }

  /** Stores a package from a file (a copy: `source` stays where it is). */
  async writePackageFile(checksum: string, source: string): Promise<void> {
    await writeThroughTemp(this.packagePath(checksum), (temp) =>
      fs.copyFile(source, temp, constants.COPYFILE_EXCL)
    )
  }

  async removePackage(checksum: string): Promise<void> {
    await removeIfExists(this.packagePath(checksum))
  }

  /** Where a package identity is stored; base64url keeps `/` and `+` out of file names. */
  packagePath(checksum: string): string {
    return path.join(this.packageDir, `${Buffer.from(checksum, 'utf8').toString('base64url')}.apk`)
  }
}

function urlKey(url: string): string {
  return sha256(Buffer.from(url, 'utf8'))
}

function sha256(bytes: Buffer): string {
  return crypto().createHash('sha256').update(bytes).digest('hex')
}

/** A header value Node sends (`If-None-Match`, `If-Modified-Since`): no control characters. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]{0,1024}$/

/** The most a metadata file holds: a URL and a few validators. */
const MAX_META_BYTES = 64 * 1024

function parseMeta(text: string): StoredMeta | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  const meta = value as Partial<StoredMeta> | null
  if (
    typeof meta !== 'object' ||
    meta === null ||
    typeof meta.url !== 'string' ||
    typeof meta.fetchedAt !== 'number' ||
    typeof meta.size !== 'number' ||
    typeof meta.sha256 !== 'string' ||
    (meta.etag !== undefined && typeof meta.etag !== 'string') ||
    (meta.lastModified !== undefined && typeof meta.lastModified !== 'string')
  ) {
    return undefined
  }
  // A validator the request could not carry would fail every revalidation before it is sent,
  // and the stale copy would be used as if the mirror were down: dropped, it is downloaded anew.
  const stored = meta as StoredMeta
  if (stored.etag !== undefined && !HEADER_VALUE.test(stored.etag)) stored.etag = undefined
  if (stored.lastModified !== undefined && !HEADER_VALUE.test(stored.lastModified)) {
    stored.lastModified = undefined
  }
  return stored
}

/**
 * The file's bytes; undefined when it is missing, larger than `maxBytes`, or not a regular file
 * (a restored cache entry may hold a FIFO or a link to /dev/zero where a file belongs).
 */
async function readIfExists(file: string, maxBytes: number): Promise<Buffer | undefined> {
  return readRegularFile(file, maxBytes)
}

async function removeIfExists(file: string): Promise<void> {
  await fs.rm(file, { force: true })
}

/** Writes `bytes` to `file`; see writeThroughTemp. */
async function writeAtomic(file: string, bytes: Buffer): Promise<void> {
  await writeThroughTemp(file, (temp) => fs.writeFile(temp, bytes, { flag: 'wx' }))
}
