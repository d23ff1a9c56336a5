/**
 * `APKINDEX.tar.gz`: a signature member (`.SIGN.RSA*.<key>`), then the unsigned index
 * (`DESCRIPTION`, `APKINDEX`) whose compressed bytes, to EOF, are what the signature covers.
 * The `APKINDEX` text is parsed as apk-tools 2.14 reads it, and written back in its canonical
 * letter order by formatIndexHeader.
 */
import { formatDependencies, parseDependency } from './dependency.js'
import { ApkError, FormatError, IndexSignatureError, UntrustedKeyError } from '../errors.js'
import { GzipLimitError, inflateGzipStream, memberAt, readGzipMember } from './gzip.js'
import type { Keyring } from '../keys/keyring.js'
import { leadingUint } from './pkginfo.js'
import { parseSignatureName, verifyRsaSignature, type SignatureAlgorithm } from './signature.js'
import { scanTar } from './tar.js'
import {
  type Dependency,
  type PackageInfo,
  type RepoPackage,
  type Repository,
  type RepositoryIndex,
  type TarEntry
} from '../types.js'

/**
 * The most a signature member may inflate to: one `.SIGN.*` entry is well under 2 KiB, so a
 * member past this is not signatures (a gzip bomb put in front of a signed index, for one).
 */
export const SIGNATURE_MEMBER_LIMIT = 1024 * 1024

/**
 * The most an index may inflate to. Alpine's largest (edge/community) is about 2 MB compressed
 * and a few times that inflated: this leaves ample room and still bounds the memory a hostile
 * mirror can make the build spend.
 */
export const INDEX_INFLATE_LIMIT = 128 * 1024 * 1024

/** Letters only the installed database uses; a repository index's copy of them is ignored. */
const DB_ONLY_LETTERS = new Set(['F', 'M', 'R', 'Z', 'r', 'q', 'a', 's', 'f'])

interface Stanza {
  pkg: RepoPackage
  /** An unknown uppercase letter: apk marks the package uninstallable ("This apk-tools is OLD"). */
  uninstallable: boolean
  firstLine: number
}

/**
 * The empty list most packages have for most dependency fields, and every index package for
 * replaces and triggers (only .PKGINFO has them): shared, and frozen so nobody may add to it.
 */
const NONE = Object.freeze([]) as unknown as Dependency[]
const NO_TRIGGERS = Object.freeze([]) as unknown as string[]

/**
 * A literal with every field, optional ones included: thousands of packages then share one
 * object shape, which keeps the field stores of the parser fast.
 */
function newPackage(repository: Repository): RepoPackage {
  return {
    checksum: '',
    name: '',
    version: '',
    arch: undefined,
    size: 0,
    installedSize: 0,
    description: '',
    url: '',
    license: '',
    origin: undefined,
    maintainer: undefined,
    buildTime: 0,
    commit: undefined,
    providerPriority: 0,
    depends: [],
    provides: [],
    installIf: [],
    replaces: NONE,
    replacesPriority: 0,
    triggers: NO_TRIGGERS,
    repository: repository.index
  }
}

/** `Q1`+base64 as written; `X1`+hex is turned into `Q1` form so identities compare as strings. */
function normaliseChecksum(value: string): string {
  if (/^X1[0-9a-fA-F]{40}$/.test(value)) {
    return `Q1${Buffer.from(value.slice(2), 'hex').toString('base64')}`
  }
  return value
}

function validChecksum(value: string): boolean {
  return /^Q1[A-Za-z0-9+/]{27}=$/.test(value) || /^[0-9a-fA-F]{32}$/.test(value)
}

function applyField(
  stanza: Stanza,
  letter: string,
  start: number,
  end: number,
  values: ValueReader
): void {
  const pkg = stanza.pkg
  switch (letter) {
    case 'C':
      pkg.checksum = normaliseChecksum(values.copy(start, end))
      return
    case 'P':
      pkg.name = values.shared(start, end)
      return
    case 'V':
      pkg.version = values.shared(start, end)
      return
    case 'A':
      pkg.arch = values.shared(start, end)
      return
    case 'S':
      pkg.size = leadingUint(values.view(start, end))
      return
    case 'I':
      pkg.installedSize = leadingUint(values.view(start, end))
      return
    case 'T':
      pkg.description = values.copy(start, end)
      return
    case 'U':
      pkg.url = values.shared(start, end)
      return
    case 'L':
      pkg.license = values.shared(start, end)
      return
    case 'o':
      pkg.origin = values.shared(start, end)
      return
    case 'm':
      pkg.maintainer = values.shared(start, end)
      return
    case 't':
      pkg.buildTime = leadingUint(values.view(start, end))
      return
    case 'c':
      pkg.commit = values.shared(start, end)
      return
    case 'k':
      pkg.providerPriority = leadingUint(values.view(start, end))
      return
    case 'D':
      values.dependencies(start, end, pkg.depends)
      return
    case 'p':
      values.dependencies(start, end, pkg.provides)
      return
    case 'i':
      values.dependencies(start, end, pkg.installIf)
      return
  }
  if (DB_ONLY_LETTERS.has(letter)) return
  // apk: anything but a lowercase letter is a feature this reader lacks.
  if (!(letter >= 'a' && letter <= 'z')) stanza.uninstallable = true
}

function exactList(list: Dependency[]): Dependency[] {
  return list.length === 0 ? NONE : list.slice()
}

function finishStanza(stanza: Stanza, repository: Repository): RepoPackage | undefined {
  const pkg = stanza.pkg
  const where = `index of ${repository.url}, stanza at line ${stanza.firstLine}`
  if (!pkg.name || !pkg.version) {
    throw new FormatError(`${where}: no P: (name) or V: (version) line; the index is damaged.`)
  }
  if (!validChecksum(pkg.checksum)) {
    throw new FormatError(
      `${where} (${pkg.name}-${pkg.version}): missing or malformed C: identity; the index is damaged.`
    )
  }
  if (stanza.uninstallable) return undefined
  // Arrays grown by push keep spare room; exact copies keep thousands of packages small.
  pkg.depends = exactList(pkg.depends)
  pkg.provides = exactList(pkg.provides)
  pkg.installIf = exactList(pkg.installIf)
  return pkg
}

/**
 * The index text, and the values in it: `view` may share the text's memory (for lookups that
 * do not outlive the parse), `copy` never does, so what packages keep lets the text go.
 */
interface IndexText {
  text: string
  view(start: number, end: number): string
  copy(start: number, end: number): string
}

/**
 * Reads the values of one index. Subpackages of one origin repeat its version, URL, licence,
 * maintainer and commit, names recur in dependencies, and most dependency tokens repeat across
 * packages: one shared string
 * or Dependency per distinct value keeps tens of thousands of packages small, and the parse
 * from making garbage.
 */
class ValueReader {
  private readonly strings = new Map<string, string>()
  private readonly deps = new Map<string, Dependency | null>()

  constructor(private readonly index: IndexText) {}

  view(start: number, end: number): string {
    return this.index.view(start, end)
  }

  copy(start: number, end: number): string {
    return this.index.copy(start, end)
  }

  shared(start: number, end: number): string {
    const key = this.index.view(start, end)
    let value = this.strings.get(key)
    if (value === undefined) {
      value = this.index.copy(start, end)
      this.strings.set(value, value)
    }
    return value
  }

  private intern(value: string): string {
    const known = this.strings.get(value)
    if (known !== undefined) return known
    this.strings.set(value, value)
    return value
  }

  /** Like parseDependencies: space separated, and a malformed token ends the list. */
  dependencies(start: number, end: number, into: Dependency[]): void {
    const text = this.index.text
    let pos = start
    while (pos < end) {
      let stop = text.indexOf(' ', pos)
      if (stop < 0 || stop > end) stop = end
      if (stop > pos) {
        const dep = this.token(pos, stop)
        if (!dep) return
        into.push(dep)
      }
      pos = stop + 1
    }
  }

  private token(start: number, end: number): Dependency | null {
    const key = this.index.view(start, end)
    let dep = this.deps.get(key)
    if (dep === undefined) {
      try {
        // Shared by every package that lists the token, so frozen: nobody may change it.
        const parsed = parseDependency(this.index.copy(start, end))
        // Names and versions repeat across tokens (`so:libc.musl-x86_64.so.1=1`, `!name`).
        parsed.name = this.intern(parsed.name)
        if (parsed.version !== undefined) parsed.version = this.intern(parsed.version)
        dep = Object.freeze(parsed)
      } catch (error) {
        if (!(error instanceof FormatError)) throw error
        dep = null
      }
      this.deps.set(key, dep)
    }
    return dep
  }
}

function parseIndexLines(index: IndexText, repository: Repository): RepoPackage[] {
  const text = index.text
  const packages: RepoPackage[] = []
  const seen = new Set<string>()
  const values = new ValueReader(index)
  let stanza: Stanza | undefined
  let lineNo = 0
  let pos = 0
  for (;;) {
    const end = text.indexOf('\n', pos)
    // A final line without \n neither adds to nor ends a stanza that apk would keep.
    if (end < 0) break
    lineNo++
    const start = pos
    pos = end + 1
    if (end - start < 2) {
      if (!stanza) continue
      const pkg = finishStanza(stanza, repository)
      if (pkg && !seen.has(pkg.checksum)) {
        seen.add(pkg.checksum)
        packages.push(pkg)
      }
      stanza = undefined
      continue
    }
    stanza ??= { pkg: newPackage(repository), uninstallable: false, firstLine: lineNo }
    applyField(stanza, text[start], start + 2, end, values)
  }
  return packages
}

/**
 * Parses APKINDEX text as apk 2.14 does: `X:value` lines, a line shorter than 2 bytes ends a
 * stanza, and a last stanza with no blank line after it is dropped (apk drops it too).
 * A stanza with an unknown uppercase letter describes a package this reader cannot install
 * correctly; apk marks it uninstallable, we leave it out (no error). Lowercase unknown letters
 * and database-only letters are ignored. A repeated identity keeps its first stanza.
 */
export function parseApkindexText(text: string, repository: Repository): RepoPackage[] {
  const view = (start: number, end: number) => text.slice(start, end)
  return parseIndexLines({ text, view, copy: view }, repository)
}

/**
 * The same from the raw bytes: decoded as latin1 (fast, one char per byte, so offsets match),
 * with only the values that hold non-ASCII bytes decoded again as UTF-8. What packages keep is
 * copied out of the bytes: a slice of the text would keep all of it (megabytes) alive.
 */
function parseApkindexBytes(bytes: Buffer, repository: Repository): RepoPackage[] {
  const text = bytes.toString('latin1')
  const high: number[] = []
  const nonAscii = /[\x80-\xff]/g
  for (let m = nonAscii.exec(text); m; m = nonAscii.exec(text)) high.push(m.index)
  let next = 0
  const hasHigh = (start: number, end: number): boolean => {
    // Values are asked for in text order.
    while (next < high.length && high[next] < start) next++
    return next < high.length && high[next] < end
  }
  return parseIndexLines(
    {
      text,
      view: (start: number, end: number) =>
        hasHigh(start, end) ? bytes.toString('utf8', start, end) : text.slice(start, end),
      copy: (start: number, end: number) =>
        hasHigh(start, end)
          ? bytes.toString('utf8', start, end)
          : bytes.toString('latin1', start, end)
    },
    repository
  )
}

/**
 * The canonical index header of a package (`C P V A S I T U L o m t c k D p i`), each line
 * ending in `\n`, no blank line after: what `apk index` writes and each stanza of
 * lib/apk/db/installed starts with.
 */
export function formatIndexHeader(pkg: PackageInfo): string {
  let out = `C:${pkg.checksum}\nP:${pkg.name}\nV:${pkg.version}\n`
  if (pkg.arch !== undefined) out += `A:${pkg.arch}\n`
  out += `S:${pkg.size}\nI:${pkg.installedSize}\nT:${pkg.description}\nU:${pkg.url}\n`
  out += `L:${pkg.license}\n`
  if (pkg.origin !== undefined) out += `o:${pkg.origin}\n`
  if (pkg.maintainer !== undefined) out += `m:${pkg.maintainer}\n`
  if (pkg.buildTime) out += `t:${pkg.buildTime}\n`
  if (pkg.commit !== undefined) out += `c:${pkg.commit}\n`
  if (pkg.providerPriority) out += `k:${pkg.providerPriority}\n`
  if (pkg.depends.length) out += `D:${formatDependencies(pkg.depends, false)}\n`
  if (pkg.provides.length) out += `p:${formatDependencies(pkg.provides, false)}\n`
  if (pkg.installIf.length) out += `i:${formatDependencies(pkg.installIf, false)}\n`
  return out
}

// ---------------------------------------------------------------------------------------------
// APKINDEX.tar.gz

export interface ReadApkindexOptions {
  keyring: Keyring
  /** Skip signature verification (the index's `signer` is then undefined). */
  allowUntrusted?: boolean
}

interface Signature {
  alg: SignatureAlgorithm
  keyName: string
  sig: Buffer
}

/** A FormatError of the container, reworded for the user with the repository named. */
function indexFormatError(repository: Repository, error: FormatError): FormatError {
  return new FormatError(
    `index of ${repository.url} is not a valid APKINDEX.tar.gz (${error.message}); check ` +
      `the repository URL, or fetch the index again if the download was damaged.`,
    { cause: error }
  )
}

async function asIndexFormat<T>(repository: Repository, read: () => T | Promise<T>): Promise<T> {
  try {
    return await read()
  } catch (error) {
    throw error instanceof FormatError ? indexFormatError(repository, error) : error
  }
}

/** The `.SIGN.*` entries of the gzip member at `start`; undefined when it holds other entries. */
function signatureMember(
  bytes: Buffer,
  start: number
): { signatures: Signature[]; end: number } | undefined {
  let member
  try {
    member = readGzipMember(bytes, start, SIGNATURE_MEMBER_LIMIT)
  } catch (error) {
    // Too large to be signatures: treated as the first member that is not one.
    if (error instanceof GzipLimitError) return undefined
    throw error
  }
  const entries = scanTar(member.data).entries
  if (entries.some((e) => !e.name.startsWith('.SIGN.'))) return undefined
  const signatures: Signature[] = []
  for (const entry of entries) {
    const parsed = parseSignatureName(entry.name)
    if (parsed && entry.type === 'file') signatures.push({ ...parsed, sig: entry.data })
  }
  return { signatures, end: member.end }
}

function untrusted(repository: Repository, signatures: Signature[]): IndexSignatureError {
  if (signatures.length === 0) {
    return new IndexSignatureError(
      `index of ${repository.url} is not signed (no .SIGN.RSA entry); refusing it. Use a ` +
        `signed repository, or allow untrusted repositories only for one you control.`
    )
  }
  const names = signatures.map((s) => s.keyName).join(', ')
  return new IndexSignatureError(
    `index of ${repository.url} is signed by ${names}, which is not in the trusted keys; ` +
      `add it with \`keys:\` or use a repository you trust.`
  )
}

function badSignature(repository: Repository, tried: string[]): IndexSignatureError {
  return new IndexSignatureError(
    `index of ${repository.url} does not verify with ${tried.join(', ')} (BAD signature): the ` +
      `index was altered or damaged, or a different key carries that name. Fetch it again, and ` +
      `check that the key file is the repository's.`
  )
}

async function resolveKey(keyring: Keyring, name: string, repository: Repository) {
  try {
    return await keyring.resolve(name)
  } catch (error) {
    if (!(error instanceof ApkError)) throw error
    // The key is the problem (a downloaded Alpine key that is not PEM or not the pinned one).
    if (error instanceof UntrustedKeyError) {
      throw new UntrustedKeyError(
        `index of ${repository.url} is signed by ${name}, which could not be trusted: ${error.message}`,
        { cause: error }
      )
    }
    throw new IndexSignatureError(
      `index of ${repository.url} is signed by ${name}, which could not be trusted: ${error.message}`,
      { cause: error }
    )
  }
}

/**
 * The name of the key that verifies `signed`, or the error to report. Like apk, a signature
 * counts only if its key is trusted; unlike apk (but as apko), each signature with an available
 * key is tried, local keys first, then Alpine keys fetched against their pins.
 */
async function checkSignatures(
  signatures: Signature[],
  signed: Buffer,
  repository: Repository,
  keyring: Keyring
): Promise<string | IndexSignatureError> {
  const tried: string[] = []
  const check = (s: Signature, key: Parameters<typeof verifyRsaSignature>[2]) => {
    tried.push(s.keyName)
    return verifyRsaSignature(s.alg, signed, key, s.sig)
  }
  for (const s of signatures) {
    const key = keyring.get(s.keyName)
    if (key && check(s, key)) return s.keyName
  }
  for (const s of signatures) {
    if (keyring.get(s.keyName)) continue
    const key = await resolveKey(keyring, s.keyName, repository)
    if (key && check(s, key)) return s.keyName
  }
  return tried.length ? badSignature(repository, tried) : untrusted(repository, signatures)
}

/**
 * Reads the signature members one at a time and checks their signatures over every byte after
 * them, so nothing signed is decompressed before it is verified. apk resets the digest at each
 * gzip boundary inside the signature section: the signed bytes start after the last signature
 * member. Damage past a signature member is a signature failure, since those bytes are signed.
 */
async function verifySignedIndex(
  bytes: Buffer,
  repository: Repository,
  keyring: Keyring
): Promise<{ signer: string; signedStart: number }> {
  const signatures: Signature[] = []
  let start = 0
  let failure: IndexSignatureError | undefined
  for (;;) {
    let member: ReturnType<typeof signatureMember>
    try {
      member = start < bytes.length ? signatureMember(bytes, start) : undefined
    } catch (error) {
      if (failure && error instanceof FormatError) throw failure
      throw error
    }
    if (!member) throw failure ?? untrusted(repository, signatures)
    signatures.push(...member.signatures)
    start = member.end
    const result = await checkSignatures(signatures, bytes.subarray(start), repository, keyring)
    if (typeof result === 'string') return { signer: result, signedStart: start }
    failure = result
  }
}

/**
 * The entries after the signatures, read as apk reads the whole file: one tar stream. When
 * verified, the first of them must start the member the signature covers.
 */
function readIndexEntries(bytes: Buffer, signedStart?: number): TarEntry[] {
  const stream = inflateGzipStream(bytes, INDEX_INFLATE_LIMIT)
  const tar = scanTar(stream.chunks)
  const first = tar.entries.findIndex((e) => !e.name.startsWith('.SIGN.'))
  if (first < 0) throw new FormatError('it holds no APKINDEX entry')
  const member = stream.members[memberAt(stream, tar.offsets[first])]
  if (signedStart !== undefined && member.start !== signedStart) {
    throw new FormatError('the signature and the index do not sit in separate gzip members')
  }
  return tar.entries.slice(first)
}

function readIndexText(entries: TarEntry[], repository: Repository) {
  let description = ''
  let text: Buffer | undefined
  for (const entry of entries) {
    if (entry.type !== 'file') continue
    if (entry.name === 'DESCRIPTION') description = entry.data.toString('utf8')
    else if (entry.name === 'APKINDEX') text = entry.data
  }
  if (text === undefined) {
    throw new FormatError(
      `index of ${repository.url} has no APKINDEX entry; it is not a package index. Check the repository URL.`
    )
  }
  return { description, text }
}

/** Verifies and parses an APKINDEX.tar.gz. Throws IndexSignatureError or FormatError. */
export async function readApkindex(
  bytes: Buffer,
  repository: Repository,
  options: ReadApkindexOptions
): Promise<RepositoryIndex> {
  let verified: { signer: string; signedStart: number } | undefined
  if (!options.allowUntrusted) {
    verified = await asIndexFormat(repository, () =>
      verifySignedIndex(bytes, repository, options.keyring)
    )
  }
  const entries = await asIndexFormat(repository, () =>
    readIndexEntries(bytes, verified?.signedStart)
  )
  const { description, text } = readIndexText(entries, repository)
  const packages = parseApkindexBytes(text, repository)
  const index: RepositoryIndex = { repository, description, packages }
  if (verified) index.signer = verified.signer
  return index
}
