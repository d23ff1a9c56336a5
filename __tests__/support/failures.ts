/** Helpers for tests that expect a failure. */
import { FormatError } from '../../src/apk/errors.js'

/** The error `promise` rejects with; a promise that resolves fails the test. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a rejection, got success')
}

/** `fn` throws a FormatError whose message matches `pattern`. */
export function expectFormatError(fn: () => unknown, pattern: RegExp): void {
  let caught: unknown
  try {
    fn()
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(FormatError)
  expect((caught as Error).message).toMatch(pattern)
}
