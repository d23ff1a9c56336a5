/**
 * Errors of the build layer: problems with what the user asked for, found before or around the
 * engine's work. Each names the setting (`input`) it is about, so the action can point at it.
 */
export class BuildError extends Error {
  /** The action input / CLI option the problem is about, when there is one. */
  readonly input?: string
  constructor(message: string, input?: string) {
    super(message)
    this.name = new.target.name
    this.input = input
  }
}

/** The app to put in the image cannot work there (missing, wrong arch, linked against glibc). */
export class AppError extends BuildError {
  constructor(message: string) {
    super(message, 'app')
  }
}
