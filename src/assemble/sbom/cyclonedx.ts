/**
 * The model as a CycloneDX 1.6 JSON BOM. The image is `metadata.component` (type container);
 * every apk package is a library component identified by its purl; the app is an application
 * component holding its files. `dependencies` give the graph: the image depends on what the
 * world resolves to and on the app, each package on what its `D:` resolves to. The serial number
 * is a name-based UUID from a hash of the BOM itself, so equal inputs give equal bytes.
 */
import type { PackageInfo } from '../../apk/engine.js'
import { rfc3339 } from '../../oci/documents.js'
import {
  apkPurl,
  checksumHex,
  compare,
  contentHash,
  dependencyGraph,
  documentBytes,
  imageName,
  licenseOf,
  webUrl,
  ociPurl,
  personOf,
  TOOL,
  type SbomApp,
  type SbomInput
} from './model.js'

const APP_REF = 'witchery:app'
const EMAIL = /^[^\s@<>()]+@[^\s@<>()]+\.[^\s@<>()]+$/

interface Property {
  name: string
  value: string
}

export function cyclonedxDocument(input: SbomInput): Buffer {
  const { image } = input
  const imageRef = image.tags.length > 0 ? ociPurl(image, image.tags[0]) : 'witchery:image'
  const refs = new Map(
    input.packages.map((p) => [p.name, apkPurl(p, image.arch, input.alpineVersion)])
  )
  const components: object[] = input.packages.map((p) =>
    apkComponent(p, refs.get(p.name) as string)
  )
  if (input.app) components.push(appComponent(input.app))

  const graph = dependencyGraph(input.packages, input.world)
  const rootDepends = graph.world.map((name) => refs.get(name) as string)
  if (input.app) rootDepends.push(APP_REF)
  const dependencies: object[] = [{ ref: imageRef, dependsOn: rootDepends }]
  for (const pkg of input.packages) {
    const on = (graph.depends.get(pkg.name) ?? []).map((name) => refs.get(name) as string)
    dependencies.push({ ref: refs.get(pkg.name), dependsOn: on })
  }
  if (input.app) dependencies.push({ ref: APP_REF, dependsOn: [] })

  const bom = {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: '',
    version: 1,
    metadata: {
      timestamp: rfc3339(input.createdEpoch),
      tools: { components: [{ type: 'application', name: TOOL.name, version: TOOL.version }] },
      component: {
        type: 'container',
        'bom-ref': imageRef,
        name: imageName(image),
        version: image.manifestDigest,
        hashes: [{ alg: 'SHA-256', content: image.manifestDigest.replace(/^sha256:/, '') }],
        purl: image.tags.length > 0 ? imageRef : undefined,
        properties: properties([
          ...image.tags.map((tag) => ({ name: 'witchery:image:tag', value: tag })),
          { name: 'witchery:image:arch', value: image.arch }
        ])
      }
    },
    components,
    dependencies
  }
  bom.serialNumber = `urn:uuid:${nameBasedUuid(contentHash(documentBytes(bom)))}`
  return documentBytes(bom)
}

/** CycloneDX 1.6's longest component version. */
const MAX_VERSION = 1024

function apkComponent(pkg: PackageInfo, purl: string): object {
  const license = licenseOf(pkg.license)
  const maintainer = personOf(pkg.maintainer)
  const sha1 = checksumHex(pkg.checksum)
  const contact = maintainer && {
    name: maintainer.name,
    email: maintainer.email && EMAIL.test(maintainer.email) ? maintainer.email : undefined
  }
  return {
    type: 'library',
    'bom-ref': purl,
    supplier: contact && { name: contact.name, contact: [contact] },
    name: pkg.name,
    // The schema holds 1,024 characters; a longer (valid) apk version stays in the purl.
    version: pkg.version.length <= MAX_VERSION ? pkg.version : undefined,
    description: pkg.description || undefined,
    // apk's identity of the package: the SHA-1 of its control section (`C:` in the db).
    hashes: sha1 ? [{ alg: 'SHA-1', content: sha1 }] : undefined,
    licenses: license.expression ? [{ expression: license.expression }] : undefined,
    purl,
    externalReferences: webUrl(pkg.url) && [{ type: 'website', url: webUrl(pkg.url) }],
    properties: properties([
      { name: 'witchery:apk:arch', value: pkg.arch ?? '' },
      { name: 'witchery:apk:origin', value: pkg.origin ?? '' },
      { name: 'witchery:apk:checksum', value: pkg.checksum },
      { name: 'witchery:apk:license', value: pkg.license }
    ])
  }
}

function appComponent(app: SbomApp): object {
  return {
    type: 'application',
    'bom-ref': APP_REF,
    name: app.name,
    components: [...app.files]
      .sort((a, b) => compare(a.path, b.path))
      .map((file) => ({
        type: 'file',
        'bom-ref': `witchery:app:/${file.path}`,
        name: `/${file.path}`,
        hashes: [
          { alg: 'SHA-1', content: file.sha1 },
          { alg: 'SHA-256', content: file.sha256 }
        ]
      })),
    properties: properties([{ name: 'witchery:app:path', value: app.dest }])
  }
}

function properties(list: Property[]): Property[] | undefined {
  const kept = list.filter((p) => p.value !== '')
  return kept.length > 0 ? kept : undefined
}

/** A UUID (version 5 layout: name-based, SHA) from the first 128 bits of a hex hash. */
function nameBasedUuid(hex: string): string {
  const bytes = Buffer.from(hex.slice(0, 32), 'hex')
  bytes[6] = (bytes[6] & 0x0f) | 0x50
  bytes[8] = (bytes[8] & 0x3f) | 0x80
  const h = bytes.toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}
