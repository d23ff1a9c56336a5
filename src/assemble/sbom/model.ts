/**
 * What an SBOM of one architecture's image says, whatever its format: the image (the described
 * root), the apk packages its database lists, how they depend on each other, and the app. SPDX
 * and CycloneDX (spdx.ts, cyclonedx.ts) each write this model in their own words; the facts —
 * purls, license expressions, the dependency graph — are worked out here once.
 */
import { createHash } from 'node:crypto'
import type { Dependency, PackageInfo } from '../../apk/engine.js'
import { parseImageRef } from '../../oci/tags.js'
import { SPDX_IDS } from './spdx-ids.js'

export type SbomFormat = 'spdx' | 'cyclonedx'

/** Formats in the order the documents are written and listed. */
export const SBOM_FORMATS: readonly SbomFormat[] = ['spdx', 'cyclonedx']

export const SBOM_MEDIA_TYPES: Record<SbomFormat, string> = {
  spdx: 'application/spdx+json',
  cyclonedx: 'application/vnd.cyclonedx+json'
}

/** File name endings of the documents written beside the tarball. */
export const SBOM_EXTENSIONS: Record<SbomFormat, string> = {
  spdx: 'spdx.json',
  cyclonedx: 'cdx.json'
}

/** The tool named as the documents' creator; a test holds the version to package.json's. */
export const TOOL = { name: 'witchery', version: '0.1.0' } as const

/** One regular file of the app, as it lands in the image. */
export interface AppFile {
  /** Image path without the leading `/` (`usr/bin/server`). */
  path: string
  sha1: string
  sha256: string
}

export interface SbomApp {
  /** The app's name: the base name of its path in the image. */
  name: string
  /** Absolute path in the image (`/usr/bin/server`, `/app`). */
  dest: string
  files: AppFile[]
}

/** One architecture's image, the thing the document describes. */
export interface SbomImage {
  /** Alpine arch (`x86_64`). */
  arch: string
  /** OCI architecture (`amd64`), the purl's `arch`. */
  ociArch: string
  /** Digest of this architecture's image manifest (the referrer's subject). */
  manifestDigest: string
  /** Full references, each with its tag (`ghcr.io/acme/hello:1.0`). */
  tags: string[]
}

export interface SbomInput {
  image: SbomImage
  /** The packages of the image's `lib/apk/db/installed`, in database order. */
  packages: PackageInfo[]
  /** `etc/apk/world`: what was asked for, the image's direct dependencies. */
  world: Dependency[]
  /** Alpine release (`3.22.2`), the purls' `distro=alpine-…`; unknown leaves it out. */
  alpineVersion?: string
  app?: SbomApp
  /** The build epoch: the documents' creation time. */
  createdEpoch: number
}

/** purl's percent-encoding: everything but unreserved characters (and `/` where allowed). */
function purlEncode(text: string, keepSlash = false): string {
  const encoded = encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`
  )
  return keepSlash ? encoded.replace(/%2F/g, '/') : encoded
}

/** Qualifiers in canonical form: keys sorted, empty values left out. */
function qualifiers(pairs: Record<string, string | undefined>): string {
  const parts = Object.keys(pairs)
    .sort()
    .filter((key) => pairs[key])
    .map((key) => `${key}=${purlEncode(pairs[key] as string, true)}`)
  return parts.length > 0 ? `?${parts.join('&')}` : ''
}

/** `pkg:apk/alpine/NAME@VERSION?arch=ARCH&distro=alpine-X.Y.Z` */
export function apkPurl(pkg: PackageInfo, arch: string, alpineVersion?: string): string {
  const distro = alpineVersion ? `alpine-${alpineVersion}` : undefined
  return (
    `pkg:apk/alpine/${purlEncode(pkg.name)}@${purlEncode(pkg.version)}` +
    qualifiers({ arch: pkg.arch ?? arch, distro })
  )
}

/** `pkg:oci/NAME@sha256%3A…?arch=amd64&repository_url=REGISTRY/PATH&tag=TAG` */
export function ociPurl(image: SbomImage, tag: string): string {
  const ref = parseImageRef(tag)
  const name = ref.name.slice(ref.name.lastIndexOf('/') + 1)
  return (
    `pkg:oci/${purlEncode(name)}@${purlEncode(image.manifestDigest)}` +
    qualifiers({ arch: image.ociArch, repository_url: ref.name, tag: ref.tag })
  )
}

/** The image's name without its tag (`ghcr.io/acme/hello`): the first reference's. */
export function imageName(image: SbomImage): string {
  return image.tags.length > 0 ? parseImageRef(image.tags[0]).name : 'image'
}

/** A license that is not an SPDX expression, named by a `LicenseRef-` of its own. */
export interface LicenseRef {
  id: string
  /** Alpine's field as written. */
  text: string
}

export interface License {
  /** An SPDX license expression, or a lone `LicenseRef-…`; undefined when the field is empty. */
  expression?: string
  /** The `LicenseRef-` this license defines (when the field is not an expression). */
  ref?: LicenseRef
}

/**
 * Alpine's `L:` as an SPDX expression: ids from the SPDX list (spelled as the list does),
 * `LicenseRef-…`, `AND`, `OR`, `WITH` and parentheses. Anything else (`GPL2+`, `custom`,
 * `MIT/X11`) becomes `LicenseRef-` plus the field made an idstring.
 */
export function licenseOf(field: string): License {
  const text = field.trim()
  if (text === '') return {}
  const expression = spdxExpression(text)
  if (expression) return { expression }
  const id = `LicenseRef-${text.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '') || 'unknown'}`
  return { expression: id, ref: { id, text } }
}

/** The canonical spelling of `text` if it is an SPDX license expression; else undefined. */
export function spdxExpression(text: string): string | undefined {
  const tokens = text
    .replace(/[()]/g, ' $& ')
    .split(/\s+/)
    .filter((t) => t !== '')
  let pos = 0
  const out: string[] = []
  // expr := term ((AND|OR) term)* ; term := '(' expr ')' | id ['+'] [WITH id]
  const term = (): boolean => {
    if (tokens[pos] === '(') {
      out.push('(')
      pos++
      if (!expr() || tokens[pos] !== ')') return false
      out.push(')')
      pos++
      return true
    }
    const license = licenseId(tokens[pos] ?? '')
    if (!license) return false
    out.push(license)
    pos++
    if (tokens[pos] === 'WITH') {
      const exception = SPDX_IDS.get((tokens[pos + 1] ?? '').toLowerCase())
      if (!exception) return false
      out.push('WITH', exception)
      pos += 2
    }
    return true
  }
  const expr = (): boolean => {
    if (!term()) return false
    while (tokens[pos] === 'AND' || tokens[pos] === 'OR') {
      out.push(tokens[pos])
      pos++
      if (!term()) return false
    }
    return true
  }
  if (!expr() || pos !== tokens.length) return undefined
  return out.join(' ').replace(/\( /g, '(').replace(/ \)/g, ')')
}

function licenseId(token: string): string | undefined {
  if (/^LicenseRef-[A-Za-z0-9.-]+$/.test(token)) return token
  const plus = token.endsWith('+') ? '+' : ''
  const known = SPDX_IDS.get(token.slice(0, token.length - plus.length).toLowerCase())
  return known && known + plus
}

/**
 * A package's `U:` as a web address both schemas take (an IRI), normalised, or undefined: a
 * field that looks like one but does not parse (`http://[x`) failed CycloneDX's schema.
 */
export function webUrl(field: string): string | undefined {
  if (!/^https?:\/\/\S+$/.test(field)) return undefined
  try {
    return new URL(field).href
  } catch {
    return undefined
  }
}

/**
 * The `LicenseRef-`s of one document: each license text that is not an SPDX expression gets one
 * of its own (`GPL2+` and `GPL2` both make `LicenseRef-GPL2`: the second becomes
 * `LicenseRef-GPL2-2`), and a field that names a `LicenseRef-` itself gets it defined, with the
 * field as its text (SPDX refuses one that is used and not defined).
 */
export class LicenseRefs {
  private readonly idOfText = new Map<string, string>()
  private readonly textOfId = new Map<string, string>()

  /** The package's license as an expression of this document, defining what it uses. */
  expressionOf(field: string): string | undefined {
    const license = licenseOf(field)
    if (license.ref) return this.define(license.ref)
    for (const token of license.expression?.match(/LicenseRef-[A-Za-z0-9.-]+/g) ?? []) {
      if (!this.textOfId.has(token)) this.textOfId.set(token, field.trim())
    }
    return license.expression
  }

  private define(ref: LicenseRef): string {
    const known = this.idOfText.get(ref.text)
    if (known !== undefined) return known
    let id = ref.id
    for (let n = 2; this.textOfId.has(id); n++) id = `${ref.id}-${n}`
    this.idOfText.set(ref.text, id)
    this.textOfId.set(id, ref.text)
    return id
  }

  /** Every `LicenseRef-` the document uses, with its text. */
  all(): LicenseRef[] {
    return [...this.textOfId].map(([id, text]) => ({ id, text }))
  }
}

/** `Name <email>` → its parts; a field without `<…>` is all name. */
export function personOf(field: string | undefined): { name: string; email?: string } | undefined {
  const text = (field ?? '').trim()
  if (text === '') return undefined
  const match = /^(.*?)\s*<([^<>]*)>\s*$/.exec(text)
  if (!match) return { name: text }
  return { name: match[1] || match[2], email: match[2] || undefined }
}

/** `Q1…` (base64 SHA-1 of the package's control section, apk's identity) as hex. */
export function checksumHex(checksum: string): string | undefined {
  if (!checksum.startsWith('Q1')) return undefined
  const bytes = Buffer.from(checksum.slice(2), 'base64')
  return bytes.length === 20 ? bytes.toString('hex') : undefined
}

/**
 * The installed package that satisfies a dependency: one of that name, else one that provides
 * it (`so:libc.musl-x86_64.so.1`, `cmd:…`), the first by name when several do.
 */
function satisfier(
  dep: Dependency,
  byName: Map<string, PackageInfo>,
  providers: Map<string, PackageInfo[]>
): PackageInfo | undefined {
  if (dep.conflict) return undefined
  return byName.get(dep.name) ?? providers.get(dep.name)?.[0]
}

export interface DependencyGraph {
  /** Package name → names of the packages its `D:` resolves to, sorted, without itself. */
  depends: Map<string, string[]>
  /** Names of the packages the world resolves to, sorted. */
  world: string[]
}

/** `D:` and `p:` of the installed set, resolved to packages as apk resolved them. */
export function dependencyGraph(packages: PackageInfo[], world: Dependency[]): DependencyGraph {
  const byName = new Map(packages.map((p) => [p.name, p]))
  const providers = new Map<string, PackageInfo[]>()
  const sorted = [...packages].sort((a, b) => compare(a.name, b.name))
  for (const pkg of sorted) {
    for (const provided of pkg.provides) {
      const list = providers.get(provided.name) ?? []
      list.push(pkg)
      providers.set(provided.name, list)
    }
  }
  const resolve = (deps: Dependency[], self?: string) => {
    const names = new Set<string>()
    for (const dep of deps) {
      const found = satisfier(dep, byName, providers)
      if (found && found.name !== self) names.add(found.name)
    }
    return [...names].sort(compare)
  }
  const depends = new Map<string, string[]>()
  for (const pkg of packages) depends.set(pkg.name, resolve(pkg.depends, pkg.name))
  return { depends, world: resolve(world) }
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** SHA-256 hex of a document's bytes: where a namespace or serial number comes from. */
export function contentHash(bytes: string | Buffer): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Canonical JSON text of a document: two-space indented, with a final newline. */
export function documentBytes(document: unknown): Buffer {
  return Buffer.from(`${JSON.stringify(document, null, 2)}\n`, 'utf8')
}
