/**
 * RSA signing keys for test repositories, made at test time (nothing secret is checked in).
 *
 * Generating a 2048-bit key costs ~100 ms, so the key material is generated once per process
 * and shared: every `generateSigningKey()` call gets a NEW NAME over the SAME material. apk
 * finds keys by file name, so a keys dir holding one of them still does not trust the others.
 * Ask for `{ fresh: true }` when a test needs different material, e.g. an attacker's key
 * published under a trusted key's name, or two keys whose fingerprints must differ.
 */
import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'

export interface SigningKey {
  /** File name in a keys dir, as `.SIGN.RSA.<name>` refers to it, e.g. `test@witchery-1a2b3c4d.rsa.pub`. */
  name: string
  /** PKCS#8 PEM. */
  privateKeyPem: string
  /** SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`), what apk reads from a keys dir. */
  publicKeyPem: string
}

interface KeyMaterial {
  privateKeyPem: string
  publicKeyPem: string
}

let shared: KeyMaterial | undefined

function newMaterial(): KeyMaterial {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicExponent: 0x10001
  })
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString()
  }
}

/** A key name in Alpine's style: `test@witchery-<8 hex>.rsa.pub`. */
export function randomKeyName(): string {
  return `test@witchery-${crypto.randomBytes(4).toString('hex')}.rsa.pub`
}

/**
 * A signing key named `name` (default: a random `test@witchery-<8 hex>.rsa.pub`).
 * The material is the process-wide shared key unless `fresh` is set.
 */
export function generateSigningKey(
  name: string = randomKeyName(),
  options: { fresh?: boolean } = {}
): SigningKey {
  let material: KeyMaterial
  if (options.fresh) material = newMaterial()
  else material = shared ??= newMaterial()
  return { name, ...material }
}

/** Writes each key's public PEM as DIR/<key name> (creating DIR), the layout of /etc/apk/keys. */
export function writeKeysDir(dir: string, keys: SigningKey[]): string {
  fs.mkdirSync(dir, { recursive: true })
  for (const key of keys) fs.writeFileSync(path.join(dir, key.name), key.publicKeyPem)
  return dir
}

/** SHA-256 hex of the DER SubjectPublicKeyInfo: how pinned keys are fingerprinted. */
export function keyFingerprint(key: SigningKey): string {
  return spkiFingerprint(crypto.createPublicKey(key.publicKeyPem))
}

/**
 * Lowercase hex SHA-256 of a key's DER SubjectPublicKeyInfo (what alpine-keys.ts pins), by
 * OpenSSL: of a KeyObject, or of the DER a keyring's key was read from.
 */
export function spkiFingerprint(key: crypto.KeyObject | { der: Buffer }): string {
  const der = 'der' in key ? key.der : key.export({ type: 'spki', format: 'der' })
  return crypto.createHash('sha256').update(der).digest('hex')
}

/** RSASSA-PKCS1-v1_5 signature of `data` with the key's private half. */
export function rsaSign(alg: 'sha1' | 'sha256' | 'sha512', data: Buffer, key: SigningKey): Buffer {
  return crypto.sign(alg, data, {
    key: key.privateKeyPem,
    padding: crypto.constants.RSA_PKCS1_PADDING
  })
}
