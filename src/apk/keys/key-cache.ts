/**
 * Alpine's keys kept beside the cached indexes (`<cache>/indexes/keys/<name>`), so a warm run
 * verifies its indexes without reaching alpinelinux.org. A key is kept only when its fingerprint
 * is the pinned one, and a kept file is used only when it still is: a cache entry, hostile or
 * damaged, can never put another key in the keyring, only cost a download.
 */
// fs.promises: Node loads node:fs/promises on its first use, which a local resolve never makes.
import { promises as fs } from 'node:fs'
import * as path from 'node:path'
import { readRegularFile, writeThroughTemp } from '../../files.js'
import { KEY_FILE_LIMIT, matchesAlpinePin } from './keyring.js'

/** Where Alpine's key `name` is kept under the cache folder `cacheDir`. */
export function cachedKeyPath(cacheDir: string, name: string): string {
  return path.join(cacheDir, 'indexes', 'keys', name)
}

/** The kept copy of Alpine's key `name`, if there is one that matches its pin. */
export async function readCachedAlpineKey(
  cacheDir: string,
  name: string
): Promise<Buffer | undefined> {
  // A key is a few hundred bytes; anything that is not a small regular file is not one.
  const file = cachedKeyPath(cacheDir, name)
  const bytes = await readRegularFile(file, KEY_FILE_LIMIT).catch(() => undefined)
  return bytes !== undefined && matchesAlpinePin(name, bytes) ? bytes : undefined
}

/** Keeps Alpine's key `name` when it matches its pin; a cache that cannot be written is no error. */
export async function keepAlpineKey(cacheDir: string, name: string, bytes: Buffer): Promise<void> {
  if (!matchesAlpinePin(name, bytes)) return
  await writeThroughTemp(cachedKeyPath(cacheDir, name), (temp) => fs.writeFile(temp, bytes)).catch(
    () => undefined
  )
}
