/**
 * Errors of the image writer: what it was given cannot become a valid OCI image. Messages name
 * the entry or reference and say how to fix it.
 */
import { WitcheryError } from '../errors.js'

export type ImageErrorCode = 'IMAGE_SPEC' | 'IMAGE_PATH_ESCAPE' | 'IMAGE_UNSUPPORTED_FILE'

export class ImageError extends WitcheryError {
  declare readonly code: ImageErrorCode
  constructor(code: ImageErrorCode, message: string) {
    super(code, message)
  }
}

/** A layer entry, image reference, platform or setting the writer cannot use. */
export class ImageSpecError extends ImageError {
  constructor(message: string) {
    super('IMAGE_SPEC', message)
  }
}

/** A layer entry whose path would climb out of the image root. */
export class ImagePathError extends ImageError {
  constructor(message: string) {
    super('IMAGE_PATH_ESCAPE', message)
  }
}

/** A file of a folder put into the image that no layer can hold (socket, FIFO, device). */
export class UnsupportedFileError extends ImageError {
  constructor(message: string) {
    super('IMAGE_UNSUPPORTED_FILE', message)
  }
}
