/**
 * The model as an SPDX 2.3 JSON document. The image is the package the document DESCRIBES; it
 * CONTAINS every apk package and the app; packages DEPENDS_ON what their `D:` resolves to; the
 * app CONTAINS its files. The namespace ends in a hash of the document itself, so equal inputs
 * give equal bytes and different documents different namespaces.
 */
import { createHash } from 'node:crypto'
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
  LicenseRefs,
  ociPurl,
  personOf,
  TOOL,
  webUrl,
  type SbomApp,
  type SbomInput
} from './model.js'
import { SPDX_LICENSE_LIST_VERSION } from './spdx-ids.js'

const NOASSERTION = 'NOASSERTION'
const NAMESPACE_BASE = 'https://witchery.dev/spdx'
const IMAGE_ID = 'SPDXRef-Image'
const APP_ID = 'SPDXRef-Application'

interface Relationship {
  spdxElementId: string
  relationshipType: string
  relatedSpdxElement: string
}

export function spdxDocument(input: SbomInput): Buffer {
  const name = imageName(input.image)
  const ids = packageIds(input.packages)
  const licenseRefs = new LicenseRefs()
  const packages: object[] = [imagePackage(input)]
  for (const pkg of input.packages) {
    packages.push(apkPackage(pkg, ids.get(pkg.name) as string, input, licenseRefs))
  }
  const files = input.app ? appFiles(input.app) : []
  if (input.app) packages.push(appPackage(input.app))

  const relationships: Relationship[] = [rel('SPDXRef-DOCUMENT', 'DESCRIBES', IMAGE_ID)]
  for (const pkg of input.packages) {
    relationships.push(rel(IMAGE_ID, 'CONTAINS', ids.get(pkg.name) as string))
  }
  if (input.app) relationships.push(rel(IMAGE_ID, 'CONTAINS', APP_ID))
  const graph = dependencyGraph(input.packages, input.world)
  for (const pkg of input.packages) {
    for (const dep of graph.depends.get(pkg.name) ?? []) {
      relationships.push(rel(ids.get(pkg.name) as string, 'DEPENDS_ON', ids.get(dep) as string))
    }
  }
  for (const file of files) relationships.push(rel(APP_ID, 'CONTAINS', file.SPDXID))

  const document = {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: `${name} ${input.image.arch}`,
    documentNamespace: '',
    creationInfo: {
      created: rfc3339(input.createdEpoch),
      creators: [`Tool: ${TOOL.name}-${TOOL.version}`],
      licenseListVersion: SPDX_LICENSE_LIST_VERSION
    },
    packages,
    files: files.length > 0 ? files : undefined,
    hasExtractedLicensingInfos:
      licenseRefs.all().length > 0
        ? licenseRefs
            .all()
            .sort((a, b) => compare(a.id, b.id))
            .map((ref) => ({ licenseId: ref.id, extractedText: ref.text, name: ref.text }))
        : undefined,
    relationships
  }
  // The namespace must be unique to this document: a hash of everything else in it.
  const hash = contentHash(documentBytes(document))
  document.documentNamespace = `${NAMESPACE_BASE}/${name}/${input.image.arch}-${hash}`
  return documentBytes(document)
}

function rel(from: string, type: string, to: string): Relationship {
  return { spdxElementId: from, relationshipType: type, relatedSpdxElement: to }
}

/** `SPDXRef-Package-apk-NAME`, the name made an idstring, unique within the document. */
function packageIds(packages: PackageInfo[]): Map<string, string> {
  const ids = new Map<string, string>()
  const used = new Set<string>()
  for (const pkg of packages) {
    const base = `SPDXRef-Package-apk-${pkg.name.replace(/[^A-Za-z0-9.-]/g, '-')}`
    let id = base
    for (let n = 2; used.has(id); n++) id = `${base}-${n}`
    used.add(id)
    ids.set(pkg.name, id)
  }
  return ids
}

function imagePackage(input: SbomInput): object {
  const { image } = input
  return {
    SPDXID: IMAGE_ID,
    name: imageName(image),
    versionInfo: image.manifestDigest,
    downloadLocation: NOASSERTION,
    filesAnalyzed: false,
    checksums: [
      { algorithm: 'SHA256', checksumValue: image.manifestDigest.replace(/^sha256:/, '') }
    ],
    licenseConcluded: NOASSERTION,
    licenseDeclared: NOASSERTION,
    copyrightText: NOASSERTION,
    externalRefs: image.tags.map((tag) => ({
      referenceCategory: 'PACKAGE-MANAGER',
      referenceType: 'purl',
      referenceLocator: ociPurl(image, tag)
    })),
    primaryPackagePurpose: 'CONTAINER'
  }
}

function apkPackage(
  pkg: PackageInfo,
  id: string,
  input: SbomInput,
  licenseRefs: LicenseRefs
): object {
  const license = licenseRefs.expressionOf(pkg.license)
  const maintainer = personOf(pkg.maintainer)
  const sha1 = checksumHex(pkg.checksum)
  return {
    SPDXID: id,
    name: pkg.name,
    versionInfo: pkg.version,
    supplier: maintainer ? spdxPerson(maintainer) : NOASSERTION,
    downloadLocation: NOASSERTION,
    filesAnalyzed: false,
    // apk's identity of the package: the SHA-1 of its control section (`C:` in the db).
    checksums: sha1 ? [{ algorithm: 'SHA1', checksumValue: sha1 }] : undefined,
    homepage: webUrl(pkg.url),
    sourceInfo: pkg.origin ? `built from the Alpine origin package ${pkg.origin}` : undefined,
    licenseConcluded: NOASSERTION,
    licenseDeclared: license ?? NOASSERTION,
    copyrightText: NOASSERTION,
    description: pkg.description || undefined,
    externalRefs: [
      {
        referenceCategory: 'PACKAGE-MANAGER',
        referenceType: 'purl',
        referenceLocator: apkPurl(pkg, input.image.arch, input.alpineVersion)
      }
    ]
  }
}

/** `Person: Name (email)`, the form SPDX gives for a supplier. */
function spdxPerson(person: { name: string; email?: string }): string {
  const name = person.name.replace(/[()]/g, '')
  return person.email ? `Person: ${name} (${person.email})` : `Person: ${name}`
}

function appPackage(app: SbomApp): object {
  return {
    SPDXID: APP_ID,
    name: app.name,
    downloadLocation: NOASSERTION,
    filesAnalyzed: true,
    packageVerificationCode: { packageVerificationCodeValue: verificationCode(app) },
    licenseConcluded: NOASSERTION,
    licenseDeclared: NOASSERTION,
    copyrightText: NOASSERTION,
    comment: `installed at ${app.dest}`,
    primaryPackagePurpose: 'APPLICATION'
  }
}

/** SPDX's package verification code: SHA-1 of the files' sorted SHA-1s, concatenated. */
function verificationCode(app: SbomApp): string {
  const sums = app.files.map((f) => f.sha1).sort()
  return createHash('sha1').update(sums.join('')).digest('hex')
}

function appFiles(app: SbomApp): { SPDXID: string }[] {
  return [...app.files]
    .sort((a, b) => compare(a.path, b.path))
    .map((file, i) => ({
      SPDXID: `SPDXRef-File-app-${i + 1}`,
      fileName: `./${file.path}`,
      checksums: [
        { algorithm: 'SHA1', checksumValue: file.sha1 },
        { algorithm: 'SHA256', checksumValue: file.sha256 }
      ],
      licenseConcluded: NOASSERTION,
      copyrightText: NOASSERTION
    }))
}
