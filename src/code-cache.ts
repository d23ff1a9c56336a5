/**
 * V8's compiled code of the command line, kept between runs (as Python keeps `__pycache__`, and
 * as Node 22's `module.enableCompileCache()` does, which Node 20 lacks). The program's bundle is
 * 400 KB of JavaScript: compiling it, and then each function it calls the first time, is 10-20 ms
 * of every run, a tenth of a cold `resolve`. V8 serialises what it compiled (`createCachedData`)
 * and a later run hands it back (`cachedData`), checked by V8 against its own version, flags and
 * the source's length, and refused (then made again) when any differs.
 *
 * An entry is named by the SHA-1 of the bundle (V8 checks only its length), the Node version and
 * the architecture. The digest only tells versions of the bundle apart (whoever could make two
 * that collide could change the bundle itself): of this project's digests (sha.ts), SHA-1 is the
 * fastest in a cold process, 2 ms for the bundle, where loading `node:crypto` took 4-9 ms of each
 * run. V8 does not check an entry's bytes beyond a header, so what it reads is run as code: an
 * entry is trusted only as the user's own files are. It is read only from a folder owned by this
 * user and written by no one else, only a regular file (no link followed) owned by this user and
 * writable by no one else, and only to MAX_ENTRY bytes. Anything else is passed over, never an
 * error: the cache only saves time. An entry is written once, whole (a file of its own renamed
 * into place), and the folder kept to KEEP entries.
 *
 * Where: `WITCHERY_CODE_CACHE` (a folder, or `off`), else `$XDG_CACHE_HOME/witchery/code`
 * (`~/.cache/witchery/code`; `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on Windows).
 */
import * as fs from 'node:fs'
import { createRequire } from 'node:module'
import * as os from 'node:os'
import * as path from 'node:path'
import * as vm from 'node:vm'
import { crypto } from './lazy-builtins.js'
import { readFileSyncIf } from './regular-file.js'
import { shaDigest } from './sha.js'

/** The variable that moves the cache (a folder) or turns it off (`off`). */
export const CODE_CACHE_VARIABLE = 'WITCHERY_CODE_CACHE'

/** The largest entry read: the command line's is ~0.3 MB. */
export const MAX_ENTRY = 32 * 1024 * 1024

/** How many entries a folder keeps (each bundle and Node version has its own). */
export const KEEP = 8

/** A temporary file left by a killed writer is removed after this long (ms). */
const STALE_TEMPORARY = 60 * 60 * 1000

const SUFFIX = '.v8cache'

/** Where the cache is, or undefined when it is off or there is no home to keep it in. */
export function codeCacheFolder(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: () => string = os.homedir
): string | undefined {
  const chosen = env[CODE_CACHE_VARIABLE]
  if (chosen !== undefined && chosen !== '') {
    return chosen === 'off' ? undefined : path.resolve(chosen)
  }
  let base: string | undefined
  try {
    if (platform === 'win32') base = env.LOCALAPPDATA
    else if (platform === 'darwin') base = path.join(home(), 'Library', 'Caches')
    // The XDG spec: a relative XDG_CACHE_HOME is invalid and is ignored.
    else if (env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)) base = env.XDG_CACHE_HOME
    else base = path.join(home(), '.cache')
  } catch {
    // No home folder (os.homedir throws for a user without one).
    return undefined
  }
  return base && path.isAbsolute(base) ? path.join(base, 'witchery', 'code') : undefined
}

/** The entry's name for `source` on this Node. */
export function entryName(source: Uint8Array): string {
  const sum = shaDigest('sha1', source).toString('hex').slice(0, 32)
  return `${sum}-${process.version}-${process.arch}${SUFFIX}`
}

const getuid = process.getuid?.bind(process)

/** Whether a file or folder's owner and mode let only this user change it. */
function ownOnly(stat: fs.Stats): boolean {
  if (getuid !== undefined && stat.uid !== getuid()) return false
  return process.platform === 'win32' || (stat.mode & 0o022) === 0
}

/** Whether `folder` is a folder (not a link) only this user can change. */
function trustedFolder(folder: string): boolean {
  try {
    const stat = fs.lstatSync(folder)
    return stat.isDirectory() && ownOnly(stat)
  } catch {
    return false
  }
}

/** The entry `name` in `folder`, if there is one it can trust (see above). */
export function readEntry(folder: string, name: string): Buffer | undefined {
  if (!trustedFolder(folder)) return undefined
  try {
    let size = 0
    const accept = (stat: fs.Stats) => {
      size = stat.size
      return stat.isFile() && ownOnly(stat) && size > 0 && size <= MAX_ENTRY
    }
    const data = readFileSyncIf(path.join(folder, name), accept, { noFollow: true })
    // One cut short while read is not the entry that was written.
    return data !== undefined && data.length === size ? data : undefined
  } catch {
    return undefined
  }
}

/**
 * Writes entry `name` (a file of its own, renamed into place: a reader sees all of it or none)
 * and keeps the folder to KEEP entries; false when it could not (nothing is left behind then).
 */
export function writeEntry(folder: string, name: string, data: Uint8Array): boolean {
  if (data.length === 0 || data.length > MAX_ENTRY) return false
  let temporary: string | undefined
  try {
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 })
    if (!trustedFolder(folder)) return false
    temporary = path.join(folder, `.${crypto().randomBytes(8).toString('hex')}.tmp`)
    fs.writeFileSync(temporary, data, { mode: 0o600, flag: 'wx' })
    fs.renameSync(temporary, path.join(folder, name))
    temporary = undefined
    prune(folder, name)
    return true
  } catch {
    return false
  } finally {
    if (temporary !== undefined) fs.rmSync(temporary, { force: true })
  }
}

/** Removes all but the KEEP newest entries (`kept` among them), and old temporary files. */
function prune(folder: string, kept: string): void {
  const now = Date.now()
  const entries: { name: string; mtime: number }[] = []
  for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
    if (!entry.isFile()) continue
    const file = path.join(folder, entry.name)
    const mtime = fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs
    if (mtime === undefined) continue
    if (entry.name.endsWith('.tmp') && entry.name.startsWith('.')) {
      if (now - mtime > STALE_TEMPORARY) fs.rmSync(file, { force: true })
    } else if (entry.name.endsWith(SUFFIX) && entry.name !== kept) {
      entries.push({ name: entry.name, mtime })
    }
  }
  entries.sort((a, b) => b.mtime - a.mtime)
  for (const old of entries.slice(KEEP - 1)) fs.rmSync(path.join(folder, old.name), { force: true })
}

const load = createRequire(import.meta.url)

/** v8.cachedDataVersionTag(); node:v8 is loaded only by a run that may write an entry. */
function versionTag(): number {
  return (load('node:v8') as typeof import('node:v8')).cachedDataVersionTag()
}

/** What became of a script's cache entry. */
export type EntryStatus = 'off' | 'none' | 'accepted' | 'rejected'

/** A CommonJS script compiled with its cache entry, to be run once. */
export interface CachedScript {
  status: EntryStatus
  /**
   * Runs the script as Node runs a CommonJS module of its path (its own `require`, `module`,
   * `__filename`, `__dirname`); returns its `module.exports`.
   */
  run(): unknown
  /**
   * Writes the entry, with all the code compiled so far (the functions run included), unless one
   * was accepted, the cache is off, or V8's flags changed since the compile; whether it wrote.
   */
  save(): boolean
}

/** Compiles CommonJS script `file` with its entry in `folder` (undefined: no cache). */
export function compileCached(file: string, folder: string | undefined): CachedScript {
  const source = fs.readFileSync(file)
  const name = folder === undefined ? undefined : entryName(source)
  const cached = folder === undefined || name === undefined ? undefined : readEntry(folder, name)
  // The wrapper Node's loader puts around a module, on the source's first line so that lines in
  // stack traces stay the file's (a first line `#!…` is a comment only at a script's start).
  const text = source.toString('utf8').replace(/^#!.*/, '')
  const script = new vm.Script(
    `(function (exports, require, module, __filename, __dirname) { ${text}\n})`,
    { filename: file, cachedData: cached }
  )
  const status: EntryStatus =
    folder === undefined
      ? 'off'
      : cached === undefined
        ? 'none'
        : script.cachedDataRejected
          ? 'rejected'
          : 'accepted'
  // V8's tag of its version and flags now: an entry made when it differs (a flag set meanwhile)
  // would be refused by every run after, and made again by each.
  const tag = status === 'none' || status === 'rejected' ? versionTag() : undefined
  return {
    status,
    run() {
      const module = { exports: {} as unknown }
      const run = script.runInThisContext() as (...args: unknown[]) => void
      run(module.exports, createRequire(file), module, file, path.dirname(file))
      return module.exports
    },
    save() {
      if (status === 'off' || status === 'accepted' || folder === undefined || !name) return false
      if (tag === undefined || versionTag() !== tag) return false
      return writeEntry(folder, name, script.createCachedData())
    }
  }
}
