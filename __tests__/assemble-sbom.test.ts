/**
 * The SBOM documents from a real Alpine database (the one apk-tools 2.14 wrote for `alpine-base`
 * from Alpine 3.19.1's own packages, in ../shared): valid against the published SPDX 2.3 and
 * CycloneDX 1.6 schemas, the package set is the database's, dependencies follow `D:` through
 * `p:`, and the same input gives the same bytes. Also the facts both formats share: purls and
 * license expressions.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { parseInstalledDatabase, parseWorld, type PackageInfo } from '../src/apk/engine.js'
import { cyclonedxDocument } from '../src/assemble/sbom/cyclonedx.js'
import {
  apkPurl,
  licenseOf,
  ociPurl,
  spdxExpression,
  TOOL,
  type SbomInput
} from '../src/assemble/sbom/model.js'
import { sbomPath } from '../src/assemble/sbom/sbom.js'
import { spdxDocument } from '../src/assemble/sbom/spdx.js'
import { SPDX_IDS } from '../src/assemble/sbom/spdx-ids.js'
import { cyclonedxErrors, SCHEMAS, spdxErrors } from './support/sbom-schemas.js'
import { FIXTURES, haveShared } from './support/shared.js'

const DB = path.join(FIXTURES, 'real-alpine/expected-apk2/alpine-base')
const DIGEST = `sha256:${'ab'.repeat(32)}`
const shared = haveShared('fixtures/real-alpine') && haveShared('schemas')
const withShared = shared ? describe : describe.skip

interface SpdxDoc {
  documentNamespace: string
  creationInfo: { created: string }
  packages: {
    SPDXID: string
    name: string
    versionInfo?: string
    licenseDeclared?: string
    supplier?: string
    sourceInfo?: string
    checksums?: { algorithm: string; checksumValue: string }[]
    externalRefs?: { referenceType: string; referenceLocator: string }[]
    primaryPackagePurpose?: string
  }[]
  files?: { fileName: string; checksums: { algorithm: string; checksumValue: string }[] }[]
  hasExtractedLicensingInfos?: { licenseId: string; extractedText: string }[]
  relationships: { spdxElementId: string; relationshipType: string; relatedSpdxElement: string }[]
}

interface CdxDoc {
  serialNumber: string
  metadata: { timestamp: string; component: { name: string; version: string; purl: string } }
  components: {
    'bom-ref': string
    type: string
    name: string
    version?: string
    purl?: string
    licenses?: { expression: string }[]
    supplier?: { name: string }
    hashes?: { alg: string; content: string }[]
    components?: { name: string; hashes: { alg: string; content: string }[] }[]
  }[]
  dependencies: { ref: string; dependsOn: string[] }[]
}

/** name-version of every stanza, read with nothing but the P: and V: lines. */
function dbPackages(text: string): string[] {
  const out: string[] = []
  let name = ''
  for (const line of text.split('\n')) {
    if (line.startsWith('P:')) name = line.slice(2)
    if (line.startsWith('V:')) out.push(`${name}-${line.slice(2)}`)
  }
  return out.sort()
}

function input(packages: PackageInfo[], extra: Partial<SbomInput> = {}): SbomInput {
  return {
    image: {
      arch: 'x86_64',
      ociArch: 'amd64',
      manifestDigest: DIGEST,
      tags: ['ghcr.io/acme/hello:1.0', 'ghcr.io/acme/hello:latest']
    },
    packages,
    world: parseWorld(['alpine-base']),
    alpineVersion: '3.19.1',
    app: {
      name: 'hello',
      dest: '/usr/bin/hello',
      files: [{ path: 'usr/bin/hello', sha1: 'a'.repeat(40), sha256: 'b'.repeat(64) }]
    },
    createdEpoch: 1700000000,
    ...extra
  }
}

describe('license expressions', () => {
  it.each([
    ['MIT', 'MIT'],
    ['mit', 'MIT'],
    ['MPL-2.0 AND MIT', 'MPL-2.0 AND MIT'],
    ['BSD-3-Clause OR GPL-2.0-only', 'BSD-3-Clause OR GPL-2.0-only'],
    ['(MIT OR Apache-2.0) AND Zlib', '(MIT OR Apache-2.0) AND Zlib'],
    ['( MIT OR Apache-2.0 )', '(MIT OR Apache-2.0)'],
    ['GPL-2.0-only WITH Linux-syscall-note', 'GPL-2.0-only WITH Linux-syscall-note'],
    ['GPL-2.0+', 'GPL-2.0+'],
    ['LicenseRef-Own', 'LicenseRef-Own']
  ])('%j is the SPDX expression %j', (field, expression) => {
    expect(spdxExpression(field)).toBe(expression)
    expect(licenseOf(field)).toEqual({ expression })
  })

  it.each([
    ['GPL2+', 'LicenseRef-GPL2'],
    ['custom', 'LicenseRef-custom'],
    ['MIT/X11', 'LicenseRef-MIT-X11'],
    ['MIT AND', 'LicenseRef-MIT-AND'],
    ['MIT and BSD', 'LicenseRef-MIT-and-BSD'],
    ['(MIT', 'LicenseRef-MIT'],
    ['GPL-2.0-only WITH MIT-ish', 'LicenseRef-GPL-2.0-only-WITH-MIT-ish']
  ])('%j is not one, so it becomes %s', (field, id) => {
    expect(spdxExpression(field)).toBeUndefined()
    expect(licenseOf(field)).toEqual({ expression: id, ref: { id, text: field } })
  })

  it('leaves an empty field empty', () => {
    expect(licenseOf('  ')).toEqual({})
  })
})

describe('purls', () => {
  const pkg = { name: 'libstdc++', version: '13.2.1_git20231014-r0', arch: 'x86_64' }

  it('names an apk package with its arch and distro, encoded as purl asks', () => {
    expect(apkPurl(pkg as PackageInfo, 'x86_64', '3.19.1')).toBe(
      'pkg:apk/alpine/libstdc%2B%2B@13.2.1_git20231014-r0?arch=x86_64&distro=alpine-3.19.1'
    )
    const noarch = { ...pkg, arch: undefined } as unknown as PackageInfo
    expect(apkPurl(noarch, 'aarch64')).toBe(
      'pkg:apk/alpine/libstdc%2B%2B@13.2.1_git20231014-r0?arch=aarch64'
    )
  })

  it('names the image by digest, with arch, repository and tag', () => {
    const image = { arch: 'x86_64', ociArch: 'amd64', manifestDigest: DIGEST, tags: [] }
    expect(ociPurl(image, 'ghcr.io/acme/hello:1.0')).toBe(
      `pkg:oci/hello@sha256%3A${'ab'.repeat(32)}?arch=amd64&repository_url=ghcr.io/acme/hello&tag=1.0`
    )
    expect(ociPurl(image, 'localhost:5000/app:latest')).toBe(
      `pkg:oci/app@sha256%3A${'ab'.repeat(32)}?arch=amd64&repository_url=localhost%3A5000/app&tag=latest`
    )
  })
})

describe('the tool', () => {
  it("names witchery with package.json's version (bump both together)", () => {
    const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string }
    expect(TOOL).toEqual({ name: 'witchery', version: pkg.version })
  })
})

describe('file names', () => {
  it('puts each document beside the tarball, named by arch and format', () => {
    expect(sbomPath('/out/image.tar', 'x86_64', 'spdx')).toBe('/out/image.x86_64.spdx.json')
    expect(sbomPath('/out/image.tar', 'aarch64', 'cyclonedx')).toBe('/out/image.aarch64.cdx.json')
    expect(sbomPath('/out/img', 'x86', 'spdx')).toBe('/out/img.x86.spdx.json')
  })
})

withShared('documents from a real Alpine database', () => {
  let installed: string
  let packages: PackageInfo[]
  let spdx: SpdxDoc
  let cdx: CdxDoc

  beforeAll(() => {
    installed = fs.readFileSync(path.join(DB, 'installed'), 'utf8')
    packages = parseInstalledDatabase(installed)
    spdx = JSON.parse(spdxDocument(input(packages)).toString()) as SpdxDoc
    cdx = JSON.parse(cyclonedxDocument(input(packages)).toString()) as CdxDoc
  })

  it('knows the SPDX license list CycloneDX 1.6 validates against', () => {
    const schema = JSON.parse(
      fs.readFileSync(path.join(SCHEMAS, 'cyclonedx-1.6/spdx.schema.json'), 'utf8')
    ) as { enum: string[] }
    expect([...SPDX_IDS.values()]).toEqual(schema.enum)
  })

  it('are valid SPDX 2.3 and CycloneDX 1.6', () => {
    expect(spdxErrors(spdx)).toEqual([])
    expect(cyclonedxErrors(cdx)).toEqual([])
  })

  // Found by review: GPL2+ and GPL2 both became LicenseRef-GPL2 (one text lost), a field naming
  // LicenseRef-Own used it undefined, U:http://[x and a valid version of 1,500 characters failed
  // CycloneDX's schema.
  it('stay valid for odd licenses, addresses and versions, each license text its own id', () => {
    const odd = packages.slice(0, 4).map((p) => ({ ...p }))
    odd[0].license = 'GPL2+'
    odd[1].license = 'GPL2'
    odd[2].license = 'LicenseRef-Own'
    odd[2].url = 'http://[x'
    odd[3].version = `1.${'0'.repeat(1500)}-r0`
    odd[3].url = 'https://example.org/{path}'
    const both = [...odd, ...packages.slice(4)]
    const spdxDoc = JSON.parse(spdxDocument(input(both)).toString()) as SpdxDoc
    const cdxDoc = JSON.parse(cyclonedxDocument(input(both)).toString()) as CdxDoc
    expect(spdxErrors(spdxDoc)).toEqual([])
    expect(cyclonedxErrors(cdxDoc)).toEqual([])
    const declared = (name: string) =>
      spdxDoc.packages.find((p) => p.name === name)?.licenseDeclared
    expect([declared(odd[0].name), declared(odd[1].name), declared(odd[2].name)]).toEqual([
      'LicenseRef-GPL2',
      'LicenseRef-GPL2-2',
      'LicenseRef-Own'
    ])
    const extracted = new Map(
      spdxDoc.hasExtractedLicensingInfos?.map((e) => [e.licenseId, e.extractedText])
    )
    expect(extracted.get('LicenseRef-GPL2')).toBe('GPL2+')
    expect(extracted.get('LicenseRef-GPL2-2')).toBe('GPL2')
    expect(extracted.get('LicenseRef-Own')).toBe('LicenseRef-Own')
    const long = cdxDoc.components.find((c) => c.name === odd[3].name)
    expect(long?.version).toBeUndefined()
    expect(long?.purl).toContain('0'.repeat(1500))
  })

  it('the schemas do catch a broken document', () => {
    expect(spdxErrors({ ...spdx, spdxVersion: undefined })).not.toEqual([])
    expect(cyclonedxErrors({ ...cdx, serialNumber: 'not-a-urn' })).not.toEqual([])
  })

  it('list exactly the packages of the database', () => {
    const expected = dbPackages(installed)
    expect(expected).toHaveLength(25)
    const fromSpdx = spdx.packages
      .filter((p) => p.SPDXID.startsWith('SPDXRef-Package-apk-'))
      .map((p) => `${p.name}-${p.versionInfo}`)
    const fromCdx = cdx.components
      .filter((c) => c.type === 'library')
      .map((c) => `${c.name}-${c.version}`)
    expect(fromSpdx.sort()).toEqual(expected)
    expect(fromCdx.sort()).toEqual(expected)
  })

  it('give each package its license, supplier, origin, checksum and purl', () => {
    const busybox = spdx.packages.find((p) => p.name === 'busybox')
    expect(busybox).toMatchObject({
      versionInfo: '1.36.1-r15',
      licenseDeclared: 'GPL-2.0-only',
      supplier: 'Person: Sören Tempel (soeren+alpine@soeren-tempel.net)',
      sourceInfo: 'built from the Alpine origin package busybox'
    })
    const q1 = /^C:(.*)$/m.exec(installed.slice(installed.indexOf('P:busybox\n') - 40))?.[1]
    const hex = Buffer.from((q1 ?? '').slice(2), 'base64').toString('hex')
    expect(busybox?.checksums).toEqual([{ algorithm: 'SHA1', checksumValue: hex }])
    expect(busybox?.externalRefs?.[0].referenceLocator).toBe(
      'pkg:apk/alpine/busybox@1.36.1-r15?arch=x86_64&distro=alpine-3.19.1'
    )
    const component = cdx.components.find((c) => c.name === 'busybox')
    expect(component).toMatchObject({
      purl: 'pkg:apk/alpine/busybox@1.36.1-r15?arch=x86_64&distro=alpine-3.19.1',
      licenses: [{ expression: 'GPL-2.0-only' }],
      supplier: { name: 'Sören Tempel' },
      hashes: [{ alg: 'SHA-1', content: hex }]
    })
    const ssl = cdx.components.find((c) => c.name === 'ca-certificates-bundle')
    expect(ssl?.licenses).toEqual([{ expression: 'MPL-2.0 AND MIT' }])
  })

  it('follow D: through providers: busybox needs musl by its so: name', () => {
    const id = (name: string) => spdx.packages.find((p) => p.name === name)?.SPDXID
    expect(spdx.relationships).toContainEqual({
      spdxElementId: id('busybox'),
      relationshipType: 'DEPENDS_ON',
      relatedSpdxElement: id('musl')
    })
    const purl = (name: string) => cdx.components.find((c) => c.name === name)?.purl
    const busybox = cdx.dependencies.find((d) => d.ref === purl('busybox'))
    expect(busybox?.dependsOn).toContain(purl('musl'))
    // Every D: of the db names an installed package or something one provides.
    for (const pkg of packages) {
      const expected = new Set<string>()
      for (const dep of pkg.depends.filter((d) => !d.conflict)) {
        const found = packages.find(
          (p) => p.name === dep.name || p.provides.some((q) => q.name === dep.name)
        )
        expect({ pkg: pkg.name, dep: dep.name, found: !!found }).toEqual({
          pkg: pkg.name,
          dep: dep.name,
          found: true
        })
        if (found && found.name !== pkg.name) expected.add(purl(found.name) as string)
      }
      const got = cdx.dependencies.find((d) => d.ref === purl(pkg.name))?.dependsOn ?? []
      expect([...got].sort()).toEqual([...expected].sort())
    }
    // The image depends on what the world names, and on the app.
    const root = cdx.dependencies.find((d) => d.ref === cdx.metadata.component.purl)
    expect(root?.dependsOn).toEqual([purl('alpine-base'), 'witchery:app'])
  })

  it('describe the image by its digest, tags and purl, containing packages and app', () => {
    const image = spdx.packages.find((p) => p.SPDXID === 'SPDXRef-Image')
    expect(image).toMatchObject({
      name: 'ghcr.io/acme/hello',
      versionInfo: DIGEST,
      primaryPackagePurpose: 'CONTAINER'
    })
    expect(image?.externalRefs?.map((r) => r.referenceLocator)).toEqual([
      `pkg:oci/hello@sha256%3A${'ab'.repeat(32)}?arch=amd64&repository_url=ghcr.io/acme/hello&tag=1.0`,
      `pkg:oci/hello@sha256%3A${'ab'.repeat(32)}?arch=amd64&repository_url=ghcr.io/acme/hello&tag=latest`
    ])
    expect(spdx.relationships).toContainEqual({
      spdxElementId: 'SPDXRef-DOCUMENT',
      relationshipType: 'DESCRIBES',
      relatedSpdxElement: 'SPDXRef-Image'
    })
    const contained = spdx.relationships.filter(
      (r) => r.spdxElementId === 'SPDXRef-Image' && r.relationshipType === 'CONTAINS'
    )
    expect(contained).toHaveLength(26)
    expect(cdx.metadata.component).toMatchObject({
      name: 'ghcr.io/acme/hello',
      version: DIGEST,
      purl: image?.externalRefs?.[0].referenceLocator
    })
    expect(spdx.creationInfo.created).toBe('2023-11-14T22:13:20Z')
    expect(cdx.metadata.timestamp).toBe('2023-11-14T22:13:20Z')
  })

  it("give the app's files with their SHA-256", () => {
    expect(spdx.files).toEqual([
      {
        SPDXID: 'SPDXRef-File-app-1',
        fileName: './usr/bin/hello',
        checksums: [
          { algorithm: 'SHA1', checksumValue: 'a'.repeat(40) },
          { algorithm: 'SHA256', checksumValue: 'b'.repeat(64) }
        ],
        licenseConcluded: 'NOASSERTION',
        copyrightText: 'NOASSERTION'
      }
    ])
    const app = cdx.components.find((c) => c.type === 'application')
    expect(app?.components).toEqual([
      expect.objectContaining({
        name: '/usr/bin/hello',
        hashes: [
          { alg: 'SHA-1', content: 'a'.repeat(40) },
          { alg: 'SHA-256', content: 'b'.repeat(64) }
        ]
      })
    ])
  })

  it('give the same bytes for the same input, and another namespace for another', () => {
    expect(spdxDocument(input(packages))).toEqual(
      spdxDocument(input(parseInstalledDatabase(installed)))
    )
    expect(cyclonedxDocument(input(packages))).toEqual(cyclonedxDocument(input(packages)))
    const other = input(packages, { createdEpoch: 1700000001 })
    const spdx2 = JSON.parse(spdxDocument(other).toString()) as SpdxDoc
    const cdx2 = JSON.parse(cyclonedxDocument(other).toString()) as CdxDoc
    expect(spdx2.documentNamespace).not.toBe(spdx.documentNamespace)
    expect(cdx2.serialNumber).not.toBe(cdx.serialNumber)
    expect(spdx.documentNamespace).toMatch(
      /^https:\/\/witchery\.dev\/spdx\/ghcr\.io\/acme\/hello\/x86_64-[0-9a-f]{64}$/
    )
  })

  it('define a LicenseRef for a field that is no expression, and stay valid', () => {
    const odd = packages.map((p) => (p.name === 'busybox' ? { ...p, license: 'GPL2+' } : p))
    const doc = JSON.parse(spdxDocument(input(odd)).toString()) as SpdxDoc
    expect(doc.packages.find((p) => p.name === 'busybox')?.licenseDeclared).toBe('LicenseRef-GPL2')
    expect(doc.hasExtractedLicensingInfos).toEqual([
      { licenseId: 'LicenseRef-GPL2', extractedText: 'GPL2+', name: 'GPL2+' }
    ])
    expect(spdxErrors(doc)).toEqual([])
    const bom = JSON.parse(cyclonedxDocument(input(odd)).toString()) as CdxDoc
    expect(cyclonedxErrors(bom)).toEqual([])
  })
})
