/**
 * ../shared: the fixtures and keys given beside the project (never copied into it). A user's
 * clone does not have it, and its tests skip with a note; under CI (CI=true) it must be there,
 * so its absence fails the run instead of silently skipping the tests that need it.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'

export const SHARED = path.resolve(process.cwd(), '..', 'shared')
export const FIXTURES = path.join(SHARED, 'fixtures')

/**
 * Whether `sub` (a path inside ../shared, or all of it) is there. Under CI a missing one
 * throws, failing the suite that asked.
 */
export function haveShared(sub = ''): boolean {
  const wanted = path.join(SHARED, sub)
  if (fs.existsSync(wanted)) return true
  if (process.env.CI === 'true') {
    throw new Error(`${wanted} is missing: CI runs with ../shared beside the project`)
  }
  console.warn(
    `skipping the tests that need ${wanted}: not found (a user's clone has no ../shared)`
  )
  return false
}
