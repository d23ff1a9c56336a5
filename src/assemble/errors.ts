/**
 * Errors of the image assembly: problems with what the user asked for, found before or around
 * the engine's work. Each names the setting (`input`) it is about when there is one, so the
 * action and the CLI can point at it.
 */
import { WitcheryError } from '../errors.js'

/** A bad input value: the message starts with the input's name and says how to fix it. */
export class InputError extends WitcheryError {
  declare readonly input: string
  constructor(input: string, problem: string) {
    super('INPUT', `input \`${input}\`: ${problem}`, { input })
  }
}

/** The build cannot go on with what it was given (a setting, or what the packages left). */
export class BuildError extends WitcheryError {
  constructor(message: string, input?: string) {
    super('BUILD', message, { input })
  }
}

/** The app to put in the image cannot work there (missing, wrong arch, linked against glibc). */
export class AppError extends BuildError {
  constructor(message: string) {
    super(message, 'app')
  }
}

/**
 * The lock file cannot be honoured: a locked package is gone from the repositories and the
 * cache, the lock has no entry for an arch, or `packages` asks for what the lock does not hold.
 * The message names the packages and the way out (`lock-update`).
 */
export class LockError extends WitcheryError {
  readonly packages: string[]
  constructor(message: string, packages: string[] = [], options?: { cause?: unknown }) {
    super('LOCK', message, options)
    this.packages = packages
  }
}
