/**
 * The step's outputs, set in one place. `outputValues` is pure so tests and the summary see the
 * same strings the runner gets.
 */
import * as core from '@actions/core'
import type { BuildResult } from '../assemble/spec.js'
import { parseImageRef } from '../oci/tags.js'
import type { CacheHit } from './cache.js'

/** Output names, in action.yml's order (a test checks the two agree). */
export const OUTPUT_NAMES = [
  'tarball',
  'digest',
  'image-id',
  'packages',
  'size',
  'cache-hit',
  'tags',
  'metadata',
  'lock-changes',
  'sbom',
  'subject-name'
] as const

export type OutputName = (typeof OUTPUT_NAMES)[number]

export function outputValues(result: BuildResult, cacheHit: CacheHit): Record<OutputName, string> {
  const packages = result.arches.flatMap((a) =>
    a.packages.map((p) => ({ name: p.name, version: p.version, arch: p.arch, license: p.license }))
  )
  return {
    tarball: result.tarball,
    digest: result.digest,
    'image-id': result.imageId,
    packages: JSON.stringify(packages),
    size: String(result.size),
    'cache-hit': cacheHit,
    tags: result.tags.join('\n'),
    metadata: JSON.stringify(metadata(result, cacheHit), null, 2),
    'lock-changes': JSON.stringify(result.lock?.changes ?? []),
    sbom: result.sbom.map((s) => s.path).join('\n'),
    'subject-name': subjectName(result)
  }
}

/**
 * The image's name without tag or digest (`ghcr.io/acme/hello`), what actions/attest takes as
 * `subject-name` beside `subject-digest`: the first tag's repository.
 */
export function subjectName(result: BuildResult): string {
  return result.tags.length > 0 ? parseImageRef(result.tags[0]).name : ''
}

/** The BuildResult without the package lists (those are the `packages` output). */
function metadata(result: BuildResult, cacheHit: CacheHit): object {
  return {
    tarball: result.tarball,
    digest: result.digest,
    imageId: result.imageId,
    size: result.size,
    tags: result.tags,
    platforms: result.arches.map((a) => ({
      arch: a.arch,
      manifestDigest: a.manifestDigest,
      configDigest: a.configDigest,
      packages: a.packages.length,
      layers: a.layers,
      alpineRelease: a.alpineRelease ?? null,
      scriptsSkipped: a.scriptsSkipped,
      appNeeds: a.appNeeds
    })),
    fetch: result.fetch,
    cacheHit,
    warnings: result.warnings,
    sbom: result.sbom.map((s) => ({
      arch: s.arch,
      format: s.format,
      path: s.path,
      digest: s.digest,
      referrer: s.referrer
    })),
    ...(result.lock ? { lock: { path: result.lock.path, status: result.lock.status } } : {})
  }
}

export function setOutputs(values: Record<OutputName, string>): void {
  for (const name of OUTPUT_NAMES) {
    core.setOutput(name, values[name])
    // The package list and metadata are long; the log shows them in the summary instead.
    const shown =
      name === 'packages' || name === 'metadata' || name === 'lock-changes'
        ? `(${values[name].length} chars)`
        : values[name]
    core.info(`${name}: ${shown.replace(/\n/g, ', ')}`)
  }
}
