/**
 * The SBOMs of a build from Alpine 3.19.1's own signed packages (../shared), held against what
 * other readers of the same image see: the apk database in the image's layer, the referrers in
 * the tarball, and a real Trivy scanning the tarball. Two builds give the same documents.
 */
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import type { Logger } from '../src/apk/types.js'
import { build } from '../src/assemble/build.js'
import type { BuildResult, BuildSpec } from '../src/assemble/spec.js'
import { cyclonedxErrors, spdxErrors } from './support/sbom-schemas.js'
import { FIXTURES, haveShared, SHARED } from './support/shared.js'
import { findTrivy, trivyOs, trivyOsPackages, trivySbom } from './support/trivy.js'

const silent: Logger = { info: () => {}, warning: () => {}, debug: () => {} }
const REPO = path.join(FIXTURES, 'real-alpine/v3.19.1')
const ready = haveShared('fixtures/real-alpine/v3.19.1') && haveShared('schemas')
const withShared = ready ? describe : describe.skip

interface Cdx {
  metadata: { component: { version: string } }
  components: { type: string; name: string; version: string; purl?: string }[]
}

interface Spdx {
  packages: { SPDXID: string; name: string; versionInfo: string }[]
}

let work: string

function spec(output: string): BuildSpec {
  return {
    packages: ['openssh', 'ca-certificates-bundle'],
    arches: ['x86_64'],
    repositories: [REPO],
    keyFiles: [],
    keyDirs: [path.join(SHARED, 'alpine-keys')],
    fetchAlpineKeys: false,
    allowUntrusted: false,
    image: { env: [], user: 'nonroot', labels: {}, annotations: {} },
    tags: ['ghcr.io/acme/sshd:1.0'],
    output,
    sourceDateEpoch: 1700000000,
    sbom: ['spdx', 'cyclonedx']
  }
}

/** name-version-arch of each stanza of an apk database, from its P:, V: and A: lines. */
function dbPackages(text: string): string[] {
  return text
    .split('\n\n')
    .filter((stanza) => stanza.includes('P:'))
    .map((stanza) => {
      const field = (letter: string) => new RegExp(`^${letter}:(.*)$`, 'm').exec(stanza)?.[1]
      return `${field('P')}-${field('V')}-${field('A')}`
    })
    .sort()
}

function read(file: string): unknown {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown
}

withShared('SBOMs of an image of real Alpine packages', () => {
  let result: BuildResult
  let layout: string
  let cdx: Cdx
  let spdx: Spdx

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-sbom-real-'))
    result = await build(spec(path.join(work, 'a/image.tar')), { logger: silent })
    layout = path.join(work, 'layout')
    fs.mkdirSync(layout)
    execFileSync('tar', ['-xf', result.tarball, '-C', layout])
    cdx = read(result.sbom[1].path) as Cdx
    spdx = read(result.sbom[0].path) as Spdx
  }, 120000)

  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true })
  })

  it('writes both documents beside the tarball, valid against their schemas', () => {
    expect(result.sbom.map((s) => [s.arch, s.format, path.basename(s.path)])).toEqual([
      ['x86_64', 'spdx', 'image.x86_64.spdx.json'],
      ['x86_64', 'cyclonedx', 'image.x86_64.cdx.json']
    ])
    expect(spdxErrors(spdx)).toEqual([])
    expect(cyclonedxErrors(cdx)).toEqual([])
    expect(cdx.metadata.component.version).toBe(result.arches[0].manifestDigest)
  })

  it('attaches the same bytes to the image as referrers in the tarball', () => {
    const blob = (digest: string) =>
      fs.readFileSync(path.join(layout, 'blobs/sha256', digest.replace('sha256:', '')))
    for (const record of result.sbom) {
      const manifest = JSON.parse(blob(record.referrer).toString()) as {
        artifactType: string
        layers: { digest: string }[]
        subject: { digest: string }
      }
      expect(manifest.subject.digest).toBe(result.arches[0].manifestDigest)
      expect(manifest.artifactType).toBe(
        record.format === 'spdx' ? 'application/spdx+json' : 'application/vnd.cyclonedx+json'
      )
      expect(manifest.layers[0].digest).toBe(record.digest)
      expect(blob(record.digest)).toEqual(fs.readFileSync(record.path))
    }
  })

  it('lists exactly the packages of the apk database in the image', () => {
    const image = JSON.parse(
      fs
        .readFileSync(path.join(layout, 'blobs/sha256', result.arches[0].manifestDigest.slice(7)))
        .toString()
    ) as { layers: { digest: string }[] }
    const rootfs = path.join(work, 'rootfs')
    fs.mkdirSync(rootfs)
    // The layers stacked in order, as a runtime unpacks them (witchery writes no whiteouts).
    for (const { digest } of image.layers) {
      execFileSync('tar', [
        '-xzf',
        path.join(layout, 'blobs/sha256', digest.slice(7)),
        '-C',
        rootfs
      ])
    }
    const db = dbPackages(fs.readFileSync(path.join(rootfs, 'lib/apk/db/installed'), 'utf8'))
    expect(db.length).toBeGreaterThan(10)
    const ours = cdx.components
      .filter((c) => c.type === 'library')
      .map((c) => `${c.name}-${c.version}-${/[?&]arch=([^&]+)/.exec(c.purl ?? '')?.[1]}`)
    expect(ours.sort()).toEqual(db)
    const fromSpdx = spdx.packages
      .filter((p) => p.SPDXID.startsWith('SPDXRef-Package-apk-'))
      .map((p) => `${p.name}-${p.versionInfo}`)
    expect(fromSpdx.sort()).toEqual(db.map((p) => p.replace(/-x86_64$/, '')))
  })

  it('finds the packages a real Trivy reads from the tarball, and the same release', async () => {
    const trivy = findTrivy()
    if (!trivy) {
      if (process.env.CI === 'true') throw new Error('Trivy cannot run here, and CI needs it')
      return console.warn('skipping the Trivy check: Trivy cannot run here')
    }
    const bom = await trivySbom(trivy, result.tarball)
    const metadata = bom.metadata as {
      component: { properties?: { name: string; value: string }[] }
    }
    const imageId = metadata.component.properties?.find(
      (p) => p.name === 'aquasecurity:trivy:ImageID'
    )
    expect(imageId?.value).toBe(result.imageId)
    const ours = cdx.components
      .filter((c) => c.type === 'library')
      .map((c) => `${c.name}-${c.version}`)
      .sort()
    expect(trivyOsPackages(bom).ids).toEqual(ours)
    // Our purls name the release Trivy detects from the image's os-release.
    expect(trivyOs(bom)).toEqual({ name: 'alpine', version: '3.19.1' })
    for (const component of cdx.components.filter((c) => c.type === 'library')) {
      expect(component.purl).toMatch(/\?arch=x86_64&distro=alpine-3\.19\.1$/)
    }
  }, 120000)

  it('gives identical documents, and the same referrers, on a second build', async () => {
    const again = await build(spec(path.join(work, 'b/image.tar')), { logger: silent })
    expect(again.digest).toBe(result.digest)
    for (const [i, record] of again.sbom.entries()) {
      expect(fs.readFileSync(record.path)).toEqual(fs.readFileSync(result.sbom[i].path))
      expect(record.referrer).toBe(result.sbom[i].referrer)
    }
    // Compared as a whole: jest's toEqual walks a Buffer byte by byte.
    expect(fs.readFileSync(again.tarball).equals(fs.readFileSync(result.tarball))).toBe(true)
  }, 120000)
})
