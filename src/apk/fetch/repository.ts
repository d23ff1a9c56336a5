/**
 * Repository strings and the URLs apk derives from them (apk-tools 2.14 semantics): where a
 * repository's index lives, where a package file lives, and Alpine's default repositories.
 */
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { InvalidArgumentError } from '../errors.js'
import { publicUrl } from './auth.js'
import type { PackageInfo, Repository } from '../types.js'

export const ALPINE_MIRROR = 'https://dl-cdn.alpinelinux.org/alpine'

const ACCEPTED_FORMS = 'an https:// or http:// URL, a file:// URL, or a path, optionally after @tag'

/**
 * Parses one repository line, `[@tag ]URL`. Remote URLs are kept as written, minus any
 * credentials (auth.ts takes those); `file://` URLs and paths become absolute paths (relative
 * ones are taken from the current directory, like apk).
 */
export function parseRepository(line: string, index: number): Repository {
  const match = /^(?:@(\S+)\s+)?([^@\s]\S*)$/.exec(line.trim())
  if (!match) {
    throw new InvalidArgumentError(
      `'${publicUrl(line)}' is not a repository: write ${ACCEPTED_FORMS} (e.g. @testing https://dl-cdn.alpinelinux.org/alpine/edge/testing).`
    )
  }
  const [, tag, location] = match
  const repository: Repository = { url: normalizeLocation(publicUrl(location)), index }
  if (tag !== undefined) repository.tag = tag
  return repository
}

function normalizeLocation(location: string): string {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(location)?.[1].toLowerCase()
  if (scheme === 'http' || scheme === 'https') return checkHttpUrl(location)
  if (scheme === 'file') return path.resolve(filePath(location))
  if (scheme !== undefined && location.slice(scheme.length + 1).startsWith('//')) {
    throw new InvalidArgumentError(
      `repository '${location}' uses ${scheme}://, which is not supported: use ${ACCEPTED_FORMS}.`
    )
  }
  return path.resolve(location)
}

function checkHttpUrl(location: string): string {
  // `https:/host/x` parses as https://host/x, but would be taken for a local path elsewhere.
  if (!/^https?:\/\//i.test(location)) {
    throw new InvalidArgumentError(
      `repository '${location}' is not a valid URL (it needs // after the scheme): use ${ACCEPTED_FORMS}.`
    )
  }
  try {
    new URL(location)
  } catch {
    throw new InvalidArgumentError(
      `repository '${location}' is not a valid URL: use ${ACCEPTED_FORMS}.`
    )
  }
  return location
}

/** `file:///abs`, `file://localhost/abs`, and apk's bare `file:path` (the prefix is stripped). */
function filePath(location: string): string {
  if (!location.toLowerCase().startsWith('file://')) return location.slice('file:'.length)
  try {
    return fileURLToPath(location)
  } catch (error) {
    throw new InvalidArgumentError(
      `repository '${location}' is not a usable file:// URL (${(error as Error).message}): write file:///absolute/path or a plain path.`
    )
  }
}

/** True for http:// and https:// repositories; local ones are read from disk. */
export function isRemote(repository: Repository): boolean {
  return /^https?:\/\//i.test(repository.url)
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`
}

/** `REPO/ARCH/APKINDEX.tar.gz` (a path for local repositories). */
export function indexUrl(repository: Repository, arch: string): string {
  return `${withSlash(repository.url)}${arch}/APKINDEX.tar.gz`
}

/** `REPO/ARCH/NAME-VERSION.apk`, where ARCH is the package's own `A:` when the index gives one. */
export function packageUrl(repository: Repository, pkg: PackageInfo, arch: string): string {
  return `${withSlash(repository.url)}${pkg.arch ?? arch}/${pkg.name}-${pkg.version}.apk`
}

/** Alpine's `main` and `community` repositories of one branch (`v3.22`, `edge`, `latest-stable`). */
export function alpineRepositories(branch: string, mirror = ALPINE_MIRROR): string[] {
  if (!/^(v\d+\.\d+|edge|latest-stable)$/.test(branch)) {
    throw new InvalidArgumentError(
      `'${branch}' is not an Alpine branch: use latest-stable, edge or vX.Y (e.g. v3.22).`
    )
  }
  const base = mirror.replace(/\/+$/, '')
  return [`${base}/${branch}/main`, `${base}/${branch}/community`]
}
