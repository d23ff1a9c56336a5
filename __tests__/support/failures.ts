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

/** The error `fn` throws; one that returns fails the test, naming `what` was accepted. */
export function thrown(fn: () => unknown, what = 'it'): Error {
  try {
    fn()
  } catch (error) {
    return error as Error
  }
  throw new Error(`expected an error, but ${what} was accepted`)
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
