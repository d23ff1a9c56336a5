/**
 * Typed errors of the APK engine. Each message says what was wrong, where, and what to do.
 * `code` is stable and meant for programs; `message` is for people.
 */
import { WitcheryError } from '../errors.js'

export type ApkErrorCode =
  | 'FORMAT'
  | 'INDEX_SIGNATURE'
  | 'PACKAGE_INTEGRITY'
  | 'UNTRUSTED_KEY'
  | 'FETCH'
  | 'UNSATISFIABLE'
  | 'PATH_ESCAPE'
  | 'FILE_CONFLICT'
  | 'UNSUPPORTED_ENTRY'
  | 'INVALID_ARGUMENT'
  | 'LOCKED_PACKAGE'

export class ApkError extends WitcheryError {
  declare readonly code: ApkErrorCode
  constructor(code: ApkErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}

/** Bytes that are not a well-formed gzip/tar/APKINDEX/.PKGINFO. */
export class FormatError extends ApkError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FORMAT', message, options)
  }
}

/** An index whose signature is missing, made with an unknown key, or wrong. */
export class IndexSignatureError extends ApkError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INDEX_SIGNATURE', message, options)
  }
}

/** A package whose identity, datahash, signature or file checksum does not match. */
export class PackageIntegrityError extends ApkError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PACKAGE_INTEGRITY', message, options)
  }
}

/** A signing key that could not be obtained, or whose fingerprint is not pinned. */
export class UntrustedKeyError extends ApkError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNTRUSTED_KEY', message, options)
  }
}

/** A download that failed after its retries. */
export class FetchError extends ApkError {
  readonly url: string
  readonly status?: number
  constructor(url: string, message: string, options?: { cause?: unknown; status?: number }) {
    super('FETCH', message, options)
    this.url = url
    this.status = options?.status
  }
}

/** A world that cannot be satisfied; `problems` lists each reason, apk-style. */
export class UnsatisfiableError extends ApkError {
  readonly problems: string[]
  constructor(problems: string[]) {
    super(
      'UNSATISFIABLE',
      `unable to select packages:\n${problems.map((p) => `  ${p}`).join('\n')}`
    )
    this.problems = problems
  }
}

/** A package entry that would land outside the target root. */
export class PathEscapeError extends ApkError {
  constructor(message: string) {
    super('PATH_ESCAPE', message)
  }
}

/** Two packages that ship the same path without `replaces`. */
export class FileConflictError extends ApkError {
  constructor(message: string) {
    super('FILE_CONFLICT', message)
  }
}

/** An entry the engine refuses to install (device nodes, FIFOs). */
export class UnsupportedEntryError extends ApkError {
  constructor(message: string) {
    super('UNSUPPORTED_ENTRY', message)
  }
}

/** An option given to the engine that cannot work (bad arch, bad repository string…). */
export class InvalidArgumentError extends ApkError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message)
  }
}

/**
 * Locked packages that cannot be installed as locked: gone from the repository and from the
 * cache, or not what the world asks for. `packages` names them (`name-version`).
 */
export class LockedPackageError extends ApkError {
  readonly packages: string[]
  constructor(message: string, packages: string[], options?: { cause?: unknown }) {
    super('LOCKED_PACKAGE', message, options)
    this.packages = packages
  }
}
