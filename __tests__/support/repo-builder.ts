/**
 * Builds signed APK repositories the way `apk index` + `abuild-sign` do:
 *
 *   APKINDEX.tar.gz = gzip member 1: signature tar (`.SIGN.RSA.<key>`, end-of-archive cut)
 *                   + gzip member 2: tar of `DESCRIPTION` then `APKINDEX`, end-of-archive kept
 *
 * The signature covers the whole second member (the unsigned index file). The APKINDEX text has
 * one stanza per package in apk's canonical letter order, sorted by name then version, each
 * ended by a blank line. Independent of src/ (types only).
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { PackageInfo } from '../../src/apk/types.js'
import {
  buildSignatureTar,
  DEFAULT_BUILDDATE,
  gzip,
  type BuiltApk,
  type SignatureType
} from './apk-builder.js'
import { compareVersionsLoose, dependencyText } from './deps.js'
import type { SigningKey } from './keys.js'
import { END_OF_ARCHIVE, rootFileHeader, tarRecord } from './tar-writer.js'

export interface BuildIndexOptions {
  /** DESCRIPTION entry; default 'witchery test repository'; null leaves the entry out. */
  description?: string | null
  /** Default 'RSA' (SHA-1); 'none' builds an unsigned index (the second member alone). */
  signature?: SignatureType | 'none'
  /** More `.SIGN.*` entries after the main one. */
  extraSigners?: Array<{ key: SigningKey; signature?: SignatureType }>
  /** mtime of the tar entries (`SOURCE_DATE_EPOCH`); default 1700000000. */
  mtime?: number
}

export interface BuiltRepository {
  /** The repository as apk names it: the folder that holds ARCH/ (a local path). */
  url: string
  /** DIR/ARCH/APKINDEX.tar.gz */
  indexPath: string
  /** The index bytes written there. */
  index: Buffer
}

function deps(list: PackageInfo['depends']): string {
  return list.map((d) => dependencyText(d)).join(' ')
}

/** One stanza (`C: P: V: A: S: I: T: U: L: o: m: t: c: k: D: p: i:`), ending with the blank line. */
export function formatIndexStanza(p: PackageInfo): string {
  const lines = [`C:${p.checksum}`, `P:${p.name}`, `V:${p.version}`]
  if (p.arch) lines.push(`A:${p.arch}`)
  lines.push(`S:${p.size}`, `I:${p.installedSize}`, `T:${p.description}`, `U:${p.url}`)
  lines.push(`L:${p.license ?? ''}`)
  if (p.origin) lines.push(`o:${p.origin}`)
  if (p.maintainer) lines.push(`m:${p.maintainer}`)
  if (p.buildTime) lines.push(`t:${p.buildTime}`)
  if (p.commit) lines.push(`c:${p.commit}`)
  if (p.providerPriority) lines.push(`k:${p.providerPriority}`)
  if (p.depends.length) lines.push(`D:${deps(p.depends)}`)
  if (p.provides.length) lines.push(`p:${deps(p.provides)}`)
  if (p.installIf.length) lines.push(`i:${deps(p.installIf)}`)
  return `${lines.join('\n')}\n\n`
}

function compareEntries(a: PackageInfo, b: PackageInfo): number {
  const la = a.name.toLowerCase()
  const lb = b.name.toLowerCase()
  if (la !== lb) return la < lb ? -1 : 1
  if (a.name !== b.name) return a.name < b.name ? -1 : 1
  return compareVersionsLoose(a.version, b.version)
}

/** The APKINDEX text: stanzas sorted by name (case-insensitive, then exact), then version. */
export function formatIndexText(entries: PackageInfo[]): string {
  return [...entries].sort(compareEntries).map(formatIndexStanza).join('')
}

function indexEntry(name: string, data: Buffer, mtime: number): Buffer {
  return tarRecord(rootFileHeader(name, mtime), data, 'gnu')
}

/** The unsigned index file (`apk index` output): one gzip member, DESCRIPTION + APKINDEX + end. */
export function buildUnsignedIndex(text: string, options: BuildIndexOptions = {}): Buffer {
  const mtime = options.mtime ?? DEFAULT_BUILDDATE
  const description =
    options.description === undefined ? 'witchery test repository' : options.description
  const blocks: Buffer[] = []
  if (description !== null)
    blocks.push(indexEntry('DESCRIPTION', Buffer.from(description, 'utf8'), mtime))
  blocks.push(indexEntry('APKINDEX', Buffer.from(text, 'utf8'), mtime), END_OF_ARCHIVE)
  return gzip(Buffer.concat(blocks))
}

/** Signature member(s) + unsigned index over an APKINDEX text given verbatim. */
export function buildIndexFromText(
  text: string,
  key: SigningKey | undefined,
  options: BuildIndexOptions = {}
): Buffer {
  const unsigned = buildUnsignedIndex(text, options)
  const signers: Array<{ key: SigningKey; signature: SignatureType }> = []
  const type = options.signature ?? 'RSA'
  if (type !== 'none') {
    if (!key) throw new Error('repo-builder: a signing key is needed unless signature is none')
    signers.push({ key, signature: type })
  }
  for (const extra of options.extraSigners ?? [])
    signers.push({ key: extra.key, signature: extra.signature ?? 'RSA' })
  if (!signers.length) return unsigned
  const signature = gzip(buildSignatureTar(unsigned, signers, options.mtime ?? DEFAULT_BUILDDATE))
  return Buffer.concat([signature, unsigned])
}

/** A signed APKINDEX.tar.gz listing `entries`. */
export function buildIndex(
  entries: PackageInfo[],
  key: SigningKey | undefined,
  options: BuildIndexOptions = {}
): Buffer {
  return buildIndexFromText(formatIndexText(entries), key, options)
}

/** Writes DIR/ARCH/APKINDEX.tar.gz and DIR/ARCH/<name>-<version>.apk for each package. */
export function buildRepository(
  dir: string,
  arch: string,
  apks: BuiltApk[],
  key: SigningKey | undefined,
  options: BuildIndexOptions = {}
): BuiltRepository {
  const archDir = path.join(dir, arch)
  fs.mkdirSync(archDir, { recursive: true })
  for (const apk of apks) fs.writeFileSync(path.join(archDir, apk.fileName), apk.bytes)
  const index = buildIndex(
    apks.map((a) => a.info),
    key,
    options
  )
  const indexPath = path.join(archDir, 'APKINDEX.tar.gz')
  fs.writeFileSync(indexPath, index)
  return { url: dir, indexPath, index }
}
