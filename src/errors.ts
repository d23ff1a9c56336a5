/**
 * The one base of witchery's errors. Each layer names its own (src/apk/errors.ts,
 * src/oci/errors.ts, src/assemble/errors.ts); all of them carry a stable `code` for programs,
 * a message for people that says what was wrong and what to do, and, where the problem is a
 * setting, the action input or CLI option it is about (`input`).
 */
export class WitcheryError extends Error {
  readonly code: string
  /** The action input / CLI option the problem is about, when there is one. */
  readonly input?: string
  constructor(code: string, message: string, options?: { cause?: unknown; input?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = code
    this.input = options?.input
  }
}
