/**
 * `APKINDEX.tar.gz`: a signature member (`.SIGN.RSA*.<key>`), then the unsigned index
 * (`DESCRIPTION`, `APKINDEX`) whose compressed bytes, to EOF, are what the signature covers.
 * The `APKINDEX` text is parsed as apk-tools 2.14 reads it, and written back in its canonical
 * letter order by formatIndexHeader.
 */
import { formatDependencies, parseDependency } from './dependency.js'
import { isValidVersion } from './version.js'
import { ApkError, FormatError, IndexSignatureError, UntrustedKeyError } from '../errors.js'
import {
  GzipLimitError,
  inflateGzipMembers,
  memberAt,
  readGzipMember,
  streamGzipMembers,
  type MemberPlace
} from './gzip.js'
import type { Keyring } from '../keys/keyring.js'
import { leadingUint } from './pkginfo.js'
import { shaDigest } from '../../sha.js'
import { keepYoungGenerationSmall, letGoOfScanned } from '../../released-memory.js'
import {
  IndexScanMemory,
  MAX_DISTINCT,
  NO_NAME_OR_VERSION,
  ScanLimitError,
  PLAIN,
  R_FLAGS,
  R_LINE,
  R_NAME,
  R_VERSION,
  ROW
} from './index-scan.js'
import { IndexDetails, IndexDetailsBuilder, NO_DETAILS } from './index-details.js'
import { parseSignatureName, verifyRsaDigest, type SignatureAlgorithm } from './signature.js'
import { scanTar, TarStreamReader, type TarBodySink } from './tar.js'
import {
  DEPENDS,
  INSTALL_IF,
  NO_DEPENDENCIES,
  NO_TRIGGERS,
  PackageTable,
  TOKEN_WORDS,
  PROVIDES
} from './package-table.js'
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
 * The most gzip members of signatures, and signatures in all, an index may start with. abuild
 * and apko write one member with one signature (a few for a key rotation). Each new member moves
 * the signed bytes, so every signature so far is checked again: without a bound, a few hundred KB
 * of members took minutes (each check hashes the rest of the file).
 */
export const MAX_SIGNATURE_MEMBERS = 4
export const MAX_SIGNATURES = 8

/**
 * The most an index may inflate to. Alpine's largest (edge/community) is about 2 MB compressed
 * and a few times that inflated: this leaves ample room and still bounds the memory a hostile
 * mirror can make the build spend.
 */
export const INDEX_INFLATE_LIMIT = 128 * 1024 * 1024

const NEWLINE = 0x0a
/** A blank line: a stanza has just ended. */
const STANZA_END = Buffer.from('\n\n')

/** Whether `value` is a package identity as an index or database writes one (`Q1…=`, or MD5 hex). */
export function validChecksum(value: string): boolean {
  return /^Q1[A-Za-z0-9+/]{27}=$/.test(value) || /^[0-9a-fA-F]{32}$/.test(value)
}

/** Whether any of bytes [start, end) is not ASCII. */
function hasHighByte(bytes: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (bytes[i] >= 0x80) return true
  return false
}

/** Bytes [start, end) as a string of their own: UTF-8 when any byte is not ASCII. */
function decode(bytes: Buffer, start: number, end: number): string {
  return bytes.toString(hasHighByte(bytes, start, end) ? 'utf8' : 'latin1', start, end)
}

/** An index longer than this keeps its details deflated (IndexDetailsBuilder). */
const PACK_DETAILS_ABOVE = 4 * 1024 * 1024
/** A size hint (a tar header's) larger than this is taken as this. */
const SIZE_HINT_CAP = 16 * 1024 * 1024
/**
 * The most bytes (but for one stanza longer than this) the scan reads at a time: its memory holds
 * a copy of them, and of their kept lines.
 */
const SCAN_CHUNK = 64 * 1024
/** An index file up to this size leaves V8's young generation to grow (readApkindex). */
export const SMALL_INDEX = 1024 * 1024
/**
 * What a small index file (SMALL_INDEX) may inflate to on the main thread, in one buffer a member
 * (v3.22 main's 0.5 MB inflate to 2.3 MB); past it, it is read again as a stream.
 */
export const SMALL_INFLATE_LIMIT = 16 * 1024 * 1024
/** Waiting pieces up to this size are kept as they are, and joined when a blank line comes. */
const JOIN_ABOVE = 1024 * 1024

/**
 * The bytes of an unfinished stanza. Pieces are kept as they come; once they add up to more than
 * JOIN_ABOVE (a stanza that goes on: a hostile index with no blank line), each one is copied
 * into one buffer as large as what can still come, so the bytes are in memory once, not twice
 * when they are finally joined.
 */
class Waiting {
  private pieces: Buffer[] = []
  private whole: Buffer | undefined
  private length = 0

  /** Adds a piece; `toCome`: how many bytes can still come after it. */
  add(piece: Buffer, toCome: number): void {
    if (this.whole === undefined && this.length + piece.length > JOIN_ABOVE) {
      const size = Math.min(this.length + piece.length + toCome, INDEX_INFLATE_LIMIT)
      const whole = Buffer.allocUnsafeSlow(Math.max(size, this.length + piece.length))
      let at = 0
      for (const held of this.pieces) at += held.copy(whole, at)
      this.pieces = []
      this.whole = whole
    }
    if (this.whole === undefined) this.pieces.push(piece)
    else this.append(piece)
    this.length += piece.length
  }

  private append(piece: Buffer): void {
    let whole = this.whole as Buffer
    if (this.length + piece.length > whole.length) {
      // More came than was said: grown, a rare copy.
      const larger = Buffer.allocUnsafeSlow(Math.ceil((this.length + piece.length) * 1.5))
      whole.copy(larger, 0, 0, this.length)
      whole = larger
      this.whole = larger
    }
    piece.copy(whole, this.length)
  }

  empty(): boolean {
    return this.length === 0
  }

  endsLine(): boolean {
    if (this.length === 0) return false
    if (this.whole !== undefined) return this.whole[this.length - 1] === NEWLINE
    const last = this.pieces[this.pieces.length - 1]
    return last[last.length - 1] === NEWLINE
  }

  /**
   * Everything waiting, then `head`, as the pieces they are (none is copied); nothing waits
   * after. Undefined when they are held as one buffer: take() then.
   */
  takePieces(head: Buffer): Buffer[] | undefined {
    if (this.whole !== undefined) return undefined
    const pieces = [...this.pieces, head]
    this.pieces = []
    this.length = 0
    return pieces
  }

  /** Everything waiting, then `head`, as one buffer; nothing waits after. */
  take(head: Buffer): Buffer {
    let bytes: Buffer
    if (this.whole !== undefined) {
      this.append(head)
      bytes = (this.whole as Buffer).subarray(0, this.length + head.length)
    } else if (this.pieces.length === 0) {
      bytes = head
    } else if (this.pieces.length === 1 && head.length === 0) {
      bytes = this.pieces[0]
    } else {
      bytes = Buffer.concat([...this.pieces, head])
    }
    this.pieces = []
    this.whole = undefined
    this.length = 0
    return bytes
  }
}

/**
 * One pass over the index bytes, reading what the solver needs of every stanza (C P V A I k D p
 * i) into a PackageTable, and the rest (S T U L o m t c) into IndexDetails, for when a package is
 * made. The bytes are scanned in WebAssembly (index-scan.ts), which recognises equal values and
 * tokens in place and numbers them, and checks each stanza as apk does; here each distinct value
 * becomes one shared string (UTF-8 where it holds non-ASCII bytes), each token a few numbers the
 * table makes a frozen Dependency of when it is read, and the kept stanzas rows. The details are
 * copied out, so nothing kept holds on to the index: it can go once it is read.
 */
class IndexScanner {
  /** The scan's memory; gone once the index is read. */
  private scanner: IndexScanMemory | undefined
  /** The distinct values' strings, by key. */
  private readonly values: string[] = []
  /** How many of the scan's token keys the table has (a token's number is its key). */
  private tokensTaken = 0
  /** Undefined when the packages' details are not kept (ReadApkindexOptions.packageDetails). */
  private readonly details: IndexDetailsBuilder | undefined
  /** The finished details, for the table's packages (a holder: the table must not keep `this`). */
  private readonly madeDetails: { details?: IndexDetails } = {}
  readonly table: PackageTable

  /** Bytes after the last blank line: an unfinished stanza, scanned with what comes next. */
  private readonly waiting = new Waiting()
  /** Bytes received so far. */
  private received = 0
  private firstLine = 0

  /**
   * @param expected how long the index is, or about (to size its lookup tables)
   */
  constructor(
    private readonly repository: Repository,
    private readonly expected: number,
    /** The most distinct values or tokens (MAX_DISTINCT; less in tests). */
    private readonly maxDistinct = MAX_DISTINCT,
    keepDetails = true
  ) {
    // What a tar header says is only a hint, capped: a lying one must not reserve gigabytes.
    const hint = Math.min(expected, SIZE_HINT_CAP)
    // Sized for Alpine's indexes, which hold one distinct value (a name, version or arch, of a
    // P V A line or of a token) per 131-166 bytes, and one distinct token per 172-214 bytes
    // (v3.12 main to v3.19 community): the densest fits without growing. Others grow them.
    this.scanner = new IndexScanMemory(hint / 125, hint / 160)
    // A large index (community's: 3.9 MB of such lines) keeps them deflated: 5 to 1, for 5 ms a
    // megabyte; a small one (a main's), as they are, which is quicker to read.
    this.details = keepDetails ? new IndexDetailsBuilder(hint > PACK_DETAILS_ABOVE) : undefined
    const made = this.madeDetails
    // Set when the scan ends, before anyone has the table.
    this.table = new PackageTable(
      (table, row) => materialize(table, row, made.details as IndexDetails),
      this.values
    )
    this.table.unique = true
  }

  /** apk's version check, remembered: versions repeat across tokens (`=1`, `=24.09-r0`). */
  private readonly validVersions = new Map<string, boolean>()
  private readonly validVersion = (version: string): boolean => {
    let valid = this.validVersions.get(version)
    if (valid === undefined) {
      valid = isValidVersion(version)
      this.validVersions.set(version, valid)
    }
    return valid
  }

  /** The strings of the values the last scan met first. */
  private takeValues(memory: IndexScanMemory): void {
    const t = memory.values
    const count = memory.count(t)
    const first = this.values.length
    if (count === first) return
    // One call makes them all strings (a string each: thousands of calls took 5-11 ms cold).
    const made = memory.valuesFrom(first)
    for (let i = 0; i < made.length; i++) this.values.push(made[i])
  }

  /**
   * The key of `value`, known by its bytes as the scan's values are (so a name in a token and in
   * a P: line is one string, `values[key]`).
   */
  private intern(memory: IndexScanMemory, value: string): number {
    const k = memory.key(memory.values, Buffer.from(value, 'utf8'))
    if (memory.added) this.values.push(value)
    return k
  }

  /**
   * The tokens the last scan met first, numbered by their keys: those it parsed as it left them
   * (the table makes each a Dependency when it is read), the others parsed here as apk does.
   * Each one the scan did not parse has its position (its key, or -1: malformed) set in the scan,
   * for columns().
   */
  private takeTokens(memory: IndexScanMemory): void {
    const t = memory.tokens
    const count = memory.count(t)
    const first = this.tokensTaken
    if (count === first) return
    const infos = memory.infosAt >>> 2
    this.table.addTokenWords(memory.i32, infos, count - first)
    const words = this.table.tokenWords
    const positions = memory.positions
    for (let k = first; k < count; k++) {
      if ((words[k * TOKEN_WORDS] & 0xff) === PLAIN) continue
      const start = memory.keyStart(t, k)
      const dep = this.parsed(memory, decode(memory.u8, start, memory.keyStart(t, k + 1)))
      // Written after parsed(), which may have grown the memory (and made new views).
      if (dep !== undefined) {
        this.table.setToken(k, Object.freeze(dep), this.parsedNameKey)
        memory.i32[positions + k] = k
      }
    }
    this.tokensTaken = count
  }

  /** The key of the name of the token parsed() parsed last. */
  private parsedNameKey = -1

  /** A token the scan left to this side, parsed as apk does; undefined when malformed. */
  private parsed(memory: IndexScanMemory, text: string): Dependency | undefined {
    let parsed: Dependency
    try {
      parsed = parseDependency(text, this.validVersion)
    } catch (error) {
      if (!(error instanceof FormatError)) throw error
      return undefined
    }
    // Names and versions repeat across tokens (`so:libc.musl-x86_64.so.1=1`, `!name`).
    this.parsedNameKey = this.intern(memory, parsed.name)
    parsed.name = this.values[this.parsedNameKey]
    if (parsed.version !== undefined) {
      parsed.version = this.values[this.intern(memory, parsed.version)]
    }
    return parsed
  }

  /** The stanza being read, for an error. */
  private where(): string {
    return `index of ${this.repository.url}, stanza at line ${this.firstLine}`
  }

  /**
   * The rows of the last scan: refused at the first damaged one (no name or version, or no
   * identity of a form apk writes), as apk would; else those kept (installable, their identity
   * met first) appended as columns the scan makes.
   */
  private takeRows(memory: IndexScanMemory, rows: number): void {
    if (rows > 0) {
      const damaged = memory.damagedRow
      if (damaged >= 0) this.refuse(memory, damaged)
    }
    const columns = memory.columns(this.table.listCount())
    this.table.addColumns(columns, this.repository.index)
    this.details?.addRows(memory.u8, columns.details as Int32Array)
  }

  /** Throws the error of damaged row `row` of the last scan. */
  private refuse(memory: IndexScanMemory, row: number): never {
    const r = (memory.rowsAt >>> 2) + row * ROW
    this.firstLine = memory.i32[r + R_LINE]
    if ((memory.i32[r + R_FLAGS] & NO_NAME_OR_VERSION) !== 0) {
      throw new FormatError(
        `${this.where()}: no P: (name) or V: (version) line; the index is damaged.`
      )
    }
    const name = this.values[memory.i32[r + R_NAME]]
    const version = this.values[memory.i32[r + R_VERSION]]
    throw new FormatError(
      `${this.where()} (${name}-${version}): missing or malformed C: identity; the index is damaged.`
    )
  }

  /**
   * Reads the next piece of the index. Only whole stanzas are scanned: the pieces are cut after
   * the last blank line, and what follows waits for the next one (a stanza's kept lines are
   * copied out of one buffer). Waiting pieces are joined once, when a blank line comes.
   */
  push(piece: Buffer): void {
    this.received += piece.length
    let cut = piece.lastIndexOf(STANZA_END)
    if (cut >= 0) cut += STANZA_END.length
    else if (piece[0] === NEWLINE && this.waiting.endsLine()) cut = 1
    if (cut < 0) {
      this.waiting.add(piece, this.toCome())
      return
    }
    let head = piece.subarray(0, cut)
    let spanning: Buffer[] | undefined
    if (!this.waiting.empty()) {
      // The stanza begun in what waits ends at this piece's first blank line: that chunk is
      // scanned from the pieces as they are (joining them copied this piece once more).
      const first = head.indexOf(STANZA_END)
      const end = first + STANZA_END.length
      spanning = first >= 0 ? this.waiting.takePieces(head.subarray(0, end)) : undefined
      head = spanning !== undefined ? head.subarray(end) : this.waiting.take(head)
    }
    if (cut < piece.length) {
      this.waiting.add(piece.subarray(cut), this.toCome())
    }
    if (spanning !== undefined) this.scan(spanning)
    this.scan(head)
  }

  /** How many bytes of the index can still come, as far as its size is known. */
  private toCome(): number {
    return Math.max(0, this.expected - this.received)
  }

  /** The index ended: reads what is left, and returns the table. */
  end(): PackageTable {
    this.scan(this.waiting.take(Buffer.alloc(0)))
    // The scan's memory (the tables of distinct bytes, the last piece) goes with it.
    this.scanner = undefined
    this.madeDetails.details = this.details?.finish() ?? NO_DETAILS
    this.table.seal()
    return this.table
  }

  /**
   * Scans `bytes`, which start at a stanza's start (pieces are cut after blank lines), in chunks
   * of about SCAN_CHUNK, each cut after a blank line too, so every row's offsets point into its
   * chunk. The scan copies each chunk into its memory: in chunks, that copy stays small.
   */
  private scan(bytes: Buffer | Buffer[]): void {
    try {
      if (Buffer.isBuffer(bytes)) this.scanChunks(bytes)
      else this.scanChunk(bytes)
    } catch (error) {
      if (!(error instanceof ScanLimitError)) throw error
      throw new ScanLimitError(
        `index of ${this.repository.url} is refused: ${error.message}. Check the repository URL.`,
        { cause: error }
      )
    }
  }

  private scanChunks(bytes: Buffer): void {
    for (let start = 0; start < bytes.length;) {
      let end = bytes.length
      if (end - start > SCAN_CHUNK) {
        const cut = bytes.lastIndexOf(STANZA_END, start + SCAN_CHUNK - STANZA_END.length)
        if (cut >= start) end = cut + STANZA_END.length
        else {
          const next = bytes.indexOf(STANZA_END, start)
          if (next >= 0) end = next + STANZA_END.length
        }
      }
      this.scanChunk(bytes.subarray(start, end))
      start = end
    }
  }

  /** Scans one chunk (or the pieces it is made of) and takes what the scan met. */
  private scanChunk(chunk: Buffer | Buffer[]): void {
    const memory = this.scanner as IndexScanMemory
    const rows = memory.scan(chunk)
    // Before any string or token of them is made.
    memory.checkDistinct(this.maxDistinct)
    this.takeValues(memory)
    this.takeTokens(memory)
    this.takeRows(memory, rows)
  }
}

/**
 * Row `row` as a whole package: the table's fields, and the stanza's other lines from the
 * details (a repeated letter: the last one counts, as in apk).
 */
function materialize(table: PackageTable, row: number, details: IndexDetails): RepoPackage {
  const pkg: RepoPackage = {
    checksum: table.checksum(row),
    name: table.name(row),
    version: table.version(row),
    arch: table.arch(row),
    size: 0,
    installedSize: table.installedSizes[row],
    description: '',
    url: '',
    license: '',
    origin: undefined,
    maintainer: undefined,
    buildTime: 0,
    commit: undefined,
    providerPriority: table.priorities[row],
    depends: table.dependencies(row, DEPENDS),
    provides: table.dependencies(row, PROVIDES),
    installIf: table.dependencies(row, INSTALL_IF),
    replaces: NO_DEPENDENCIES,
    replacesPriority: 0,
    triggers: NO_TRIGGERS,
    repository: table.repositories[row]
  }
  details.lines(row, (letter, bytes, start, end) => {
    const value = (): string => decode(bytes, start, end)
    switch (letter) {
      case 0x53: // S
        pkg.size = leadingUint(value())
        break
      case 0x54: // T
        pkg.description = value()
        break
      case 0x55: // U
        pkg.url = value()
        break
      case 0x4c: // L
        pkg.license = value()
        break
      case 0x6f: // o
        pkg.origin = value()
        break
      case 0x6d: // m
        pkg.maintainer = value()
        break
      case 0x74: // t
        pkg.buildTime = leadingUint(value())
        break
      case 0x63: // c
        pkg.commit = value()
        break
    }
  })
  return pkg
}

/**
 * Parses APKINDEX bytes as apk 2.14 does: `X:value` lines, a line shorter than 2 bytes ends a
 * stanza, and a last stanza with no blank line after it is dropped (apk drops it too).
 * A stanza with an unknown uppercase letter describes a package this reader cannot install
 * correctly; apk marks it uninstallable, we leave it out (no error). Lowercase unknown letters
 * and database-only letters are ignored. A repeated identity keeps its first stanza. The bytes
 * may come in pieces, cut anywhere (as an index inflates): the table is the same.
 */
export function readIndexTable(
  bytes: Buffer | Buffer[],
  repository: Repository,
  /** The most distinct values or tokens it may hold (MAX_DISTINCT). */
  maxDistinct = MAX_DISTINCT
): PackageTable {
  const pieces = Array.isArray(bytes) ? bytes : [bytes]
  const scanner = new IndexScanner(
    repository,
    pieces.reduce((sum, piece) => sum + piece.length, 0),
    maxDistinct
  )
  for (const piece of pieces) scanner.push(piece)
  return scanner.end()
}

/** The same from text: every package made at once. */
export function parseApkindexText(text: string, repository: Repository): RepoPackage[] {
  return readIndexTable(Buffer.from(text, 'utf8'), repository).all()
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
  /**
   * Whether packages carry the lines only a whole package needs (size, description, URL,
   * licence, origin, maintainer, build time, commit). Default true; false for a resolve that
   * shows names and versions (its packages then have them empty).
   */
  packageDetails?: boolean
}

interface Signature {
  alg: SignatureAlgorithm
  keyName: string
  sig: Buffer
}

/** A FormatError of the container, reworded for the user with the repository named. */
function indexFormatError(repository: Repository, error: FormatError): FormatError {
  // The scan's bounds name the repository already, and say what to do.
  if (error instanceof ScanLimitError) return error
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
  // The signed bytes are hashed once per algorithm, however many signatures use it (the check
  // on a digest is the exact one verifyRsaSignature ends with).
  const digests = new Map<SignatureAlgorithm, Buffer>()
  const check = (s: Signature, key: Parameters<typeof verifyRsaDigest>[2]) => {
    tried.push(s.keyName)
    let digest = digests.get(s.alg)
    if (digest === undefined) {
      digest = shaDigest(s.alg, signed)
      digests.set(s.alg, digest)
    }
    return verifyRsaDigest(s.alg, digest, key, s.sig)
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
  let members = 0
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
    if (++members > MAX_SIGNATURE_MEMBERS || signatures.length > MAX_SIGNATURES) {
      throw new IndexSignatureError(
        `index of ${repository.url} starts with more than ${MAX_SIGNATURE_MEMBERS} gzip members ` +
          `of signatures or more than ${MAX_SIGNATURES} signatures, where apk-tools writes one; ` +
          'refusing it. The repository is damaged or hostile.'
      )
    }
    start = member.end
    const result = await checkSignatures(signatures, bytes.subarray(start), repository, keyring)
    if (typeof result === 'string') return { signer: result, signedStart: start }
    failure = result
  }
}

/** A sink that keeps nothing. */
const DISCARD: TarBodySink = { write: () => {}, close: () => {} }

/**
 * The index after the signatures, read as apk reads the whole file: one tar stream, inflated off
 * the main thread and scanned as it comes, so neither the inflated index nor its text is ever
 * whole in memory. A small file (SMALL_INDEX) is inflated on the main thread a member at a time,
 * up to SMALL_INFLATE_LIMIT, then scanned in the same pieces: handing 2.3 MB on from the thread
 * pool took longer than inflating it (on v3.22 main, a cold resolve took 0.96-0.97× the time on
 * Node 20, the same on Node 24). When verified, the first entry after the signatures must start
 * the member the signature covers. The last `APKINDEX` and `DESCRIPTION` files count.
 */
async function readIndexStream(
  bytes: Buffer,
  repository: Repository,
  signedStart: number | undefined,
  keepDetails: boolean
): Promise<{ description: string; table: PackageTable; textBytes: number }> {
  if (bytes.length <= SMALL_INDEX) {
    try {
      return await readIndexWith(repository, signedStart, keepDetails, (push, member) =>
        inflateGzipMembers(bytes, SMALL_INFLATE_LIMIT, push, member)
      )
    } catch (error) {
      // Past what a small file inflates to whole: read again as a stream, to the index's limit.
      const cause = error instanceof FormatError ? error.cause : undefined
      if (!(cause instanceof GzipLimitError && cause.limit <= SMALL_INFLATE_LIMIT)) throw error
    }
  }
  return readIndexWith(repository, signedStart, keepDetails, (push, member) =>
    streamGzipMembers(bytes, INDEX_INFLATE_LIMIT, push, member)
  )
}

/** readIndexStream with `inflate` handing on the file's inflated pieces and members' places. */
async function readIndexWith(
  repository: Repository,
  signedStart: number | undefined,
  keepDetails: boolean,
  inflate: (
    push: (piece: Buffer) => void,
    member: (place: MemberPlace) => void
  ) => void | Promise<void>
): Promise<{ description: string; table: PackageTable; textBytes: number }> {
  // Where each member starts in the file, and where its data starts in the inflated stream.
  const memberStarts: number[] = []
  const memberOffsets: number[] = []
  let first = true
  let description = ''
  let table: PackageTable | undefined
  let textBytes = 0
  // A damaged stanza is the index's text at fault, not its container: its error passes as it is,
  // once the container has been read whole and found sound.
  let stanzaError: unknown
  const startsIndex = (entry: TarEntry, at: number): boolean => {
    if (!first || entry.name.startsWith('.SIGN.')) return first
    first = false
    const member = memberAt(memberOffsets, at)
    if (signedStart !== undefined && memberStarts[member] !== signedStart) {
      throw new FormatError('the signature and the index do not sit in separate gzip members')
    }
    return false
  }
  const reader = new TarStreamReader({
    body: (entry, at) => {
      if (startsIndex(entry, at)) return DISCARD
      if (entry.name === 'DESCRIPTION') {
        const pieces: Buffer[] = []
        return {
          write: (piece) => pieces.push(Buffer.from(piece)),
          close: () => (description = Buffer.concat(pieces).toString('utf8'))
        }
      }
      if (entry.name !== 'APKINDEX') return DISCARD
      // The last APKINDEX counts: one after this one replaces its table, or its error.
      const scanner = new IndexScanner(repository, entry.size, MAX_DISTINCT, keepDetails)
      table = undefined
      stanzaError = undefined
      let failed = false
      return {
        write: (piece) => {
          if (failed) return
          try {
            scanner.push(piece)
          } catch (error) {
            failed = true
            stanzaError = error
          }
          letGoOfScanned(piece.length)
        },
        close: () => {
          if (failed) return
          try {
            table = scanner.end()
            textBytes = entry.size
          } catch (error) {
            stanzaError = error
          }
        }
      }
    },
    entry: (entry, at) => void startsIndex(entry, at)
  })
  try {
    await inflate(
      (piece) => reader.push(piece),
      (place) => {
        memberStarts.push(place.start)
        memberOffsets.push(place.offset)
      }
    )
    reader.end()
    if (first) throw new FormatError('it holds no APKINDEX entry')
  } catch (error) {
    throw error instanceof FormatError ? indexFormatError(repository, error) : error
  }
  if (stanzaError !== undefined) throw stanzaError
  if (table === undefined) {
    throw new FormatError(
      `index of ${repository.url} has no APKINDEX entry; it is not a package index. Check the repository URL.`
    )
  }
  return { description, table, textBytes }
}

/** Verifies and parses an APKINDEX.tar.gz. Throws IndexSignatureError or FormatError. */
export async function readApkindex(
  bytes: Buffer,
  repository: Repository,
  options: ReadApkindexOptions
): Promise<RepositoryIndex> {
  // Reading a large index is the first thing that would grow V8's young generation, which then
  // stays large. A small one alone (a main's, 0.5 MB) is left to V8: it peaks far below the
  // bound, and sooner (0.92-0.96× the time on v3.22 main), with Node's built-in modules loaded
  // after it still from their code cache (a V8 flag set at run time makes them compile anew).
  // Several read side by side have it set before any is read (fetchIndexes).
  if (bytes.length > SMALL_INDEX) keepYoungGenerationSmall()
  let verified: { signer: string; signedStart: number } | undefined
  if (!options.allowUntrusted) {
    verified = await asIndexFormat(repository, () =>
      verifySignedIndex(bytes, repository, options.keyring)
    )
  }
  const read = await readIndexStream(
    bytes,
    repository,
    verified?.signedStart,
    options.packageDetails ?? true
  )
  return indexOf(
    repository,
    read.description,
    read.table,
    verified?.signer,
    bytes.length + read.textBytes
  )
}

/**
 * The index as callers keep it. Made apart from readApkindex: a getter made there would share
 * its scope, and with it the downloaded file's bytes, for as long as the index lives.
 */
function indexOf(
  repository: Repository,
  description: string,
  table: PackageTable,
  signer: string | undefined,
  bytesRead: number
): RepositoryIndex {
  const index: RepositoryIndex = {
    repository,
    description,
    table,
    get packages() {
      return table.all()
    },
    bytesRead
  }
  if (signer !== undefined) index.signer = signer
  return index
}
