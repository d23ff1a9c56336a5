/**
 * The trusted signing keys. apk finds a key by the file name a `.SIGN.` entry names, so the
 * keyring is a map from file name to public key. Keys the user gives are trusted as given;
 * Alpine's keys may also be fetched on demand, and are accepted only if their fingerprint is
 * pinned in alpine-keys.ts. A key carrying an Alpine key's name must always match the pin, so a
 * swapped file cannot impersonate Alpine.
 */
// fs.promises: Node loads node:fs/promises on its first use, which a local resolve never makes.
import { promises as fs, readdirSync, readFileSync, statSync } from 'node:fs'
import * as path from 'node:path'
import { shaDigest } from '../../sha.js'
import { alpineKeyPin } from './alpine-keys.js'
import { isRsaSpki, readRsaPublicKey, RsaKeyError, type RsaPublicKey } from './rsa-key.js'
import { InvalidArgumentError, UntrustedKeyError } from '../errors.js'

export interface KeyringOptions {
  /** A folder like /etc/apk/keys: every non-hidden file holding a PEM public key, by file name. */
  keysDir?: string
  /** More such folders, read in order. */
  keysDirs?: string[]
  /** Key files, each known by its base name. */
  keyFiles?: string[]
  /** Gets an Alpine key's file by name (from the network); undefined when it cannot. */
  fetchAlpineKey?: (keyName: string) => Promise<Buffer | undefined>
}

interface LoadedKey {
  pem: string
  /** The DER SubjectPublicKeyInfo the PEM block holds. */
  der: Buffer
  fingerprint: string
  /** Read on first use: a keys folder holds every arch's keys, and an index needs one. */
  key?: RsaPublicKey
}

const PEM_PUBLIC_KEY = /-----BEGIN PUBLIC KEY-----([\s\S]+?)-----END PUBLIC KEY-----/

/**
 * Reads a PEM `PUBLIC KEY` (SubjectPublicKeyInfo) holding an RSA key; undefined otherwise. The
 * key itself is read when it is first used (keyOf).
 */
function parsePublicKey(bytes: Buffer): LoadedKey | undefined {
  const block = PEM_PUBLIC_KEY.exec(bytes.toString('utf8'))
  if (!block) return undefined
  const der = Buffer.from(block[1].replace(/\s+/g, ''), 'base64')
  if (!isRsaSpki(der)) return undefined
  // Only the public block is kept (and later copied into the image): a key file that also
  // holds anything else, a private key above all, never reaches the image.
  return {
    pem: `${block[0]}\n`,
    der,
    fingerprint: shaDigest('sha256', der).toString('hex')
  }
}

/** The RSA key of a loaded key, read on first use. */
function keyOf(name: string, loaded: LoadedKey): RsaPublicKey {
  if (loaded.key) return loaded.key
  let key: RsaPublicKey
  try {
    key = readRsaPublicKey(loaded.der)
  } catch (error) {
    if (!(error instanceof RsaKeyError)) throw error
    throw new UntrustedKeyError(
      `key ${name} is not a valid RSA public key (${(error as Error).message}); replace the ` +
        `file with the repository's .rsa.pub.`,
      { cause: error }
    )
  }
  loaded.key = key
  return key
}

/** Whether `bytes` hold Alpine's key `name`: an RSA public key whose fingerprint is its pin. */
export function matchesAlpinePin(name: string, bytes: Buffer): boolean {
  const pin = alpineKeyPin(name)
  return pin !== undefined && parsePublicKey(bytes)?.fingerprint === pin
}

function checkPin(name: string, loaded: LoadedKey, origin: string): void {
  const pin = alpineKeyPin(name)
  if (pin === undefined || pin === loaded.fingerprint) return
  throw new UntrustedKeyError(
    `key ${name} (${origin}) has SPKI SHA-256 ${loaded.fingerprint}, but Alpine's key of that ` +
      `name is pinned to ${pin}. The file is not Alpine's key: replace it with the real one ` +
      `(https://alpinelinux.org/keys/${name}) or remove it.`
  )
}

/** A PEM public key is a few hundred bytes; a larger file in a keys folder is not one. */
export const KEY_FILE_LIMIT = 64 * 1024

/**
 * A keys folder entry's bytes: undefined for what is not a regular file of key size (looked at
 * before it is opened: opening a FIFO would wait for a writer). Read synchronously: a few hundred
 * bytes each, and Alpine's 18 keys took 5-6 ms of a cold start read side by side through the
 * thread pool, under 1 ms so.
 */
function readKeyFile(file: string): Buffer | undefined {
  let stat
  try {
    stat = statSync(file)
  } catch {
    return undefined
  }
  if (!stat.isFile() || stat.size > KEY_FILE_LIMIT) return undefined
  try {
    return readFileSync(file)
  } catch (error) {
    throw new InvalidArgumentError(
      `cannot read key file '${file}': ${(error as Error).message}. Make it readable, or move ` +
        `it out of the keys folder.`
    )
  }
}

export class Keyring {
  private readonly keys = new Map<string, LoadedKey>()
  /**
   * Keys folder entries not read yet, by file name: the files of that name, in the order the
   * folders were given. Read when a key of that name is first needed.
   */
  private readonly unread = new Map<string, string[]>()
  private readonly fetching = new Map<string, Promise<RsaPublicKey | undefined>>()
  private readonly fetchAlpineKey?: (keyName: string) => Promise<Buffer | undefined>

  private constructor(fetchAlpineKey?: (keyName: string) => Promise<Buffer | undefined>) {
    this.fetchAlpineKey = fetchAlpineKey
  }

  static async load(options: KeyringOptions): Promise<Keyring> {
    const keyring = new Keyring(options.fetchAlpineKey)
    if (options.keysDir !== undefined) await keyring.loadDir(options.keysDir)
    for (const dir of options.keysDirs ?? []) await keyring.loadDir(dir)
    for (const file of options.keyFiles ?? []) await keyring.loadFile(file)
    return keyring
  }

  private async loadDir(dir: string): Promise<void> {
    let names: string[]
    try {
      // On this thread: a folder of a few files, read before anything else can go on.
      names = readdirSync(dir)
    } catch (error) {
      throw new InvalidArgumentError(
        `cannot read keys folder '${dir}': ${(error as Error).message}. Give an existing folder of .rsa.pub files.`
      )
    }
    // Nothing is read yet: as apk opens the key a signature names, each file is read when a key
    // of its name is first needed (settle). Alpine's 18 keys took 3-4 ms of a cold start read,
    // and an index needs one.
    for (const name of names) {
      if (name.startsWith('.')) continue
      const files = this.unread.get(name)
      if (files === undefined) this.unread.set(name, [path.join(dir, name)])
      else files.push(path.join(dir, name))
    }
  }

  /**
   * The key of this name, once the keys folders' files of that name are read. Like apk 3.0,
   * files in a keys folder that are not public keys are simply not keys; one that cannot be read,
   * an Alpine-named one off its pin, or two different keys of one name, are errors, as they are
   * met.
   */
  private settle(name: string): LoadedKey | undefined {
    const files = this.unread.get(name)
    if (files !== undefined) {
      for (const file of files) {
        const bytes = readKeyFile(file)
        const loaded = bytes && parsePublicKey(bytes)
        if (loaded) this.add(name, loaded, file)
      }
      // Only once all were read: after an error, the next use meets it again.
      this.unread.delete(name)
    }
    return this.keys.get(name)
  }

  private async loadFile(file: string): Promise<void> {
    let bytes: Buffer
    try {
      bytes = await fs.readFile(file)
    } catch (error) {
      throw new InvalidArgumentError(`cannot read key file '${file}': ${(error as Error).message}`)
    }
    const loaded = parsePublicKey(bytes)
    if (!loaded) {
      throw new InvalidArgumentError(
        `key file '${file}' is not an RSA public key in PEM form (-----BEGIN PUBLIC KEY-----); ` +
          `give the repository's .rsa.pub file (openssl rsa -pubout writes one).`
      )
    }
    // A folder's file of the same name was given first: it is compared first.
    this.settle(path.basename(file))
    this.add(path.basename(file), loaded, file)
  }

  private add(name: string, loaded: LoadedKey, origin: string): void {
    checkPin(name, loaded, origin)
    const existing = this.keys.get(name)
    if (existing && existing.fingerprint !== loaded.fingerprint) {
      throw new InvalidArgumentError(
        `two different keys are named ${name} (the second is ${origin}); apk finds keys by ` +
          `file name, so give each key once.`
      )
    }
    if (!existing) this.keys.set(name, loaded)
  }

  /** A key already in the keyring (local, or fetched and verified earlier). */
  get(keyName: string): RsaPublicKey | undefined {
    const loaded = this.settle(keyName)
    return loaded && keyOf(keyName, loaded)
  }

  /**
   * A local key by name; else, for one of Alpine's key names, the fetched key if its
   * fingerprint is pinned. Undefined when no such key can be had. Throws UntrustedKeyError when
   * a fetched key does not match its pin.
   */
  async resolve(keyName: string): Promise<RsaPublicKey | undefined> {
    const local = this.get(keyName)
    if (local) return local
    if (!this.fetchAlpineKey || alpineKeyPin(keyName) === undefined) return undefined
    let pending = this.fetching.get(keyName)
    if (!pending) {
      pending = this.fetchPinned(keyName)
      this.fetching.set(keyName, pending)
      // A failed fetch may be retried by a later call.
      pending.then(
        (key) => key ?? this.fetching.delete(keyName),
        () => this.fetching.delete(keyName)
      )
    }
    return pending
  }

  private async fetchPinned(keyName: string): Promise<RsaPublicKey | undefined> {
    const fetch = this.fetchAlpineKey as (keyName: string) => Promise<Buffer | undefined>
    const bytes = await fetch(keyName)
    if (bytes === undefined) return undefined
    const loaded = parsePublicKey(bytes)
    if (!loaded) {
      throw new UntrustedKeyError(
        `the downloaded key ${keyName} is not an RSA public key in PEM form; it cannot be ` +
          `trusted. Put Alpine's ${keyName} in your keys instead.`
      )
    }
    checkPin(keyName, loaded, 'downloaded')
    this.keys.set(keyName, loaded)
    return keyOf(keyName, loaded)
  }

  /** Names of the keys in the keyring, sorted (every keys folder's file read). */
  names(): string[] {
    for (const name of [...this.unread.keys()]) this.settle(name)
    return [...this.keys.keys()].sort()
  }

  /** The key's PEM public-key block as loaded or downloaded, with a final newline. */
  pemOf(keyName: string): string | undefined {
    return this.settle(keyName)?.pem
  }

  /** SPKI SHA-256 of a key in the keyring. */
  fingerprintOf(keyName: string): string | undefined {
    return this.settle(keyName)?.fingerprint
  }
}
