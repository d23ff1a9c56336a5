/**
 * SBOMs of a build: what goes into them is read from each root the way a scanner reads the image
 * (`lib/apk/db/installed`, `etc/apk/world`) plus the app's files; the documents are made once the
 * image digests are known, attached to the image as referrers and written beside the tarball.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import { parseInstalledDatabase, parseWorld } from '../../apk/engine.js'
import type { LayerEntry } from '../../oci/types.js'
import { cyclonedxDocument } from './cyclonedx.js'
import {
  SBOM_EXTENSIONS,
  SBOM_MEDIA_TYPES,
  type AppFile,
  type SbomFormat,
  type SbomInput
} from './model.js'
import { spdxDocument } from './spdx.js'

export { SBOM_FORMATS, type SbomFormat, type SbomInput } from './model.js'

/** What a root's apk database says is installed, and the world it was asked for. */
export async function readRootPackages(
  root: string
): Promise<Pick<SbomInput, 'packages' | 'world'>> {
  const installed = await fs.readFile(path.join(root, 'lib/apk/db/installed'), 'utf8')
  const world = await fs.readFile(path.join(root, 'etc/apk/world'), 'utf8').catch(() => '')
  return {
    packages: parseInstalledDatabase(installed),
    world: parseWorld(world.split(/\s+/).filter((t) => t !== ''))
  }
}

/**
 * SHA-1 and SHA-256 of each regular file of the app layer, by image path. Files on disk are
 * hashed as a stream, so an app of any size costs no more memory than a read buffer.
 */
export async function hashAppFiles(entries: LayerEntry[]): Promise<AppFile[]> {
  const files: AppFile[] = []
  for (const entry of entries) {
    if (entry.type !== 'file') continue
    const sha1 = createHash('sha1')
    const sha256 = createHash('sha256')
    const chunks: AsyncIterable<Buffer> | Buffer[] =
      entry.content !== undefined
        ? [entry.content]
        : entry.source
          ? createReadStream(entry.source)
          : []
    for await (const chunk of chunks) {
      sha1.update(chunk)
      sha256.update(chunk)
    }
    files.push({ path: entry.path, sha1: sha1.digest('hex'), sha256: sha256.digest('hex') })
  }
  return files
}

export interface SbomDocument {
  arch: string
  format: SbomFormat
  mediaType: string
  content: Buffer
}

/** The documents of one architecture's image, in the formats asked for. */
export function sbomDocuments(input: SbomInput, formats: readonly SbomFormat[]): SbomDocument[] {
  return formats.map((format) => ({
    arch: input.image.arch,
    format,
    mediaType: SBOM_MEDIA_TYPES[format],
    content: format === 'spdx' ? spdxDocument(input) : cyclonedxDocument(input)
  }))
}

/** `image.tar` → `image.x86_64.spdx.json`, beside it. */
export function sbomPath(tarball: string, arch: string, format: SbomFormat): string {
  const base = path.basename(tarball).replace(/\.tar$/, '')
  return path.join(path.dirname(tarball), `${base}.${arch}.${SBOM_EXTENSIONS[format]}`)
}

/** The document's file name inside the image's referrer (its layer title). */
export function sbomTitle(arch: string, format: SbomFormat): string {
  return `sbom.${arch}.${SBOM_EXTENSIONS[format]}`
}
