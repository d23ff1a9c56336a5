/**
 * Dependency tokens (`D:`, `p:`, `i:`, `r:`, world, command line) as apk-tools 2.14 reads, writes
 * and tests them: `[!]name[@tag][OP version]`, where OP is a run of `<`, `>`, `=`, `~` whose bits
 * accumulate.
 */
import { FormatError } from '../errors.js'
import { VersionOp, type Dependency, type PackageInfo } from '../types.js'
import { compareVersionBits, isValidVersion } from './version.js'

const SEPARATORS = /[ \n]+/

/** The bits of one operator character (`<`, `>`, `=`, `~`), or 0 for any other. */
function opBit(code: number): number {
  switch (code) {
    case 0x3c: // <
      return VersionOp.LESS
    case 0x3e: // >
      return VersionOp.GREATER
    case 0x3d: // =
      return VersionOp.EQUAL
    case 0x7e: // ~
      return VersionOp.FUZZY | VersionOp.EQUAL
  }
  return 0
}

/** apk validates the version unless both `<` and `>` are set (the checksum form, or nonsense like `<>=`). */
function skipsVersionCheck(op: number): boolean {
  return (op & VersionOp.CHECKSUM) === VersionOp.CHECKSUM
}

/**
 * Parses one token. Throws FormatError for an empty name, an operator without a version, or a
 * bad version. `validVersion` is apk's version check (a reader of many tokens may remember it).
 */
export function parseDependency(
  token: string,
  validVersion: (version: string) => boolean = isValidVersion
): Dependency {
  const conflict = token.charCodeAt(0) === 0x21 // !
  const nameStart = conflict ? 1 : 0
  let opStart = nameStart
  while (opStart < token.length && opBit(token.charCodeAt(opStart)) === 0) opStart++
  let op: number = VersionOp.ANY
  let version: string | undefined
  if (opStart < token.length) {
    op = 0
    let opEnd = opStart
    for (let bit; opEnd < token.length && (bit = opBit(token.charCodeAt(opEnd))) !== 0; opEnd++) {
      op |= bit
    }
    version = token.slice(opEnd)
    if (version === '') {
      throw new FormatError(`dependency '${token}': operator without a version`)
    }
    if (!skipsVersionCheck(op) && !validVersion(version)) {
      throw new FormatError(`dependency '${token}': '${version}' is not a valid version`)
    }
  }

  const at = token.indexOf('@', nameStart)
  const tagged = at >= 0 && at < opStart
  const name = token.slice(nameStart, tagged ? at : opStart)
  if (name === '') throw new FormatError(`dependency '${token}': missing package name`)

  // Each shape made whole by one literal: a property added after it is made goes to a separate
  // store, which for the tens of thousands of tokens of an index cost a megabyte and more.
  const dep: Dependency =
    version === undefined ? { name, op, conflict } : { name, op, conflict, version }
  if (tagged) dep.tag = token.slice(at + 1, opStart)
  return dep
}

/**
 * Parses a space/newline separated list. Like apk, a malformed token ends the list: the tokens
 * before it are returned, the rest is dropped.
 */
export function parseDependencies(text: string): Dependency[] {
  const deps: Dependency[] = []
  for (const token of text.split(SEPARATORS)) {
    if (token === '') continue
    try {
      deps.push(parseDependency(token))
    } catch (err) {
      if (err instanceof FormatError) break
      throw err
    }
  }
  return deps
}

/** The operator as apk-tools 2.14 prints it; `?` for masks it has no spelling for (`>~`, `<~`). */
export function formatOp(op: number): string {
  switch (op) {
    case VersionOp.LESS:
      return '<'
    case VersionOp.LESS | VersionOp.EQUAL:
      return '<='
    case VersionOp.EQUAL | VersionOp.FUZZY:
    case VersionOp.FUZZY:
      return '~'
    case VersionOp.EQUAL:
      return '='
    case VersionOp.GREATER | VersionOp.EQUAL:
      return '>='
    case VersionOp.GREATER:
      return '>'
    case VersionOp.CHECKSUM:
      return '><'
    case VersionOp.ANY:
      return ''
    default:
      return '?'
  }
}

/** Serializes a token the way apk writes world, the db and indexes (indexes drop the tag). */
export function formatDependency(dep: Dependency, withTag = true): string {
  let out = dep.conflict ? '!' : ''
  out += dep.name
  if (withTag && dep.tag) out += `@${dep.tag}`
  if (dep.version !== undefined) out += formatOp(dep.op) + dep.version
  return out
}

export function formatDependencies(deps: Dependency[], withTag = true): string {
  return deps.map((d) => formatDependency(d, withTag)).join(' ')
}

/**
 * Whether a provider at `version` satisfies `dep` (undefined = an unversioned provide).
 * Any-version constraints accept everything; a versioned constraint never accepts an
 * unversioned provide; a conflict inverts the answer. The checksum form (`><Q1…`) needs the
 * package identity: use dependencySatisfiedBy for it.
 */
export function dependencyMatchesVersion(dep: Dependency, version: string | undefined): boolean {
  if (dep.op === VersionOp.ANY) return !dep.conflict
  if (dep.op === VersionOp.CHECKSUM || version === undefined || dep.version === undefined) {
    return dep.conflict
  }
  const fuzzy = (dep.op & VersionOp.FUZZY) !== 0
  const matches = (compareVersionBits(version, dep.version, fuzzy) & dep.op) !== 0
  return matches !== dep.conflict
}

/** The identity as lowercase hex, whichever spelling it has (`Q1`+base64, `X1`+hex, bare MD5 hex). */
function identityHex(id: string): string {
  if (id.startsWith('Q1')) return Buffer.from(id.slice(2), 'base64').toString('hex')
  if (id.startsWith('X1')) return id.slice(2).toLowerCase()
  return id.toLowerCase()
}

/** Whether the `><` checksum form names exactly this package identity. */
export function checksumMatches(dep: Dependency, checksum: string): boolean {
  if (dep.version === undefined || checksum === '') return false
  return identityHex(dep.version) === identityHex(checksum)
}

/**
 * The version under which `pkg` provides `name`: its own version for its own name, the provided
 * version for a versioned provide, `null` for an unversioned provide, `undefined` when it does not
 * provide the name at all.
 */
export function providedVersion(pkg: PackageInfo, name: string): string | null | undefined {
  if (pkg.name === name) return pkg.version
  const provide = pkg.provides.find((p) => p.name === name)
  if (provide === undefined) return undefined
  return provide.version ?? null
}

/**
 * apk's satisfaction test of `dep` by a provider: a package (its identity `checksum`) chosen for
 * `dep.name` under `version` (the package version, a provided version, or undefined for an
 * unversioned provide).
 */
export function satisfiedByProvider(
  dep: Dependency,
  checksum: string,
  version: string | undefined
): boolean {
  if (dep.op === VersionOp.CHECKSUM) return checksumMatches(dep, checksum) !== dep.conflict
  return dependencyMatchesVersion(dep, version)
}

/**
 * Whether installing `pkg` satisfies `dep` (apk_dep_analyze): through its own name or a provide of
 * `dep.name`. A package that does not provide the name at all satisfies only a conflict.
 */
export function dependencySatisfiedBy(dep: Dependency, pkg: PackageInfo | undefined): boolean {
  if (pkg === undefined) return dep.conflict
  const version = providedVersion(pkg, dep.name)
  if (version === undefined) return dep.conflict
  return satisfiedByProvider(dep, pkg.checksum, version ?? undefined)
}
