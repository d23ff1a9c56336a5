/**
 * RSASSA-PKCS1-v1_5 verification of APK signatures, and `.SIGN.<TYPE>.<keyname>` names.
 *
 * The check itself is by hand (RFC 8017 §8.2.2): s^e mod n must be exactly
 * 00 01 FF…FF 00 || DigestInfo || H, with BigInt arithmetic (0.3-0.5 ms for a 4096-bit key) and
 * this project's own SHA (sha.ts), so that checking an index never loads `node:crypto` (4-9 ms of
 * a cold start, OpenSSL's set-up). A package's check (verifyRsaSignature), where crypto is loaded
 * anyway, asks OpenSSL first (a tenth of the time), and the maths when OpenSSL says no: Alpine
 * signs with SHA-1, which some OpenSSL policies refuse. The result is authoritative either way.
 */
import type { KeyObject } from 'node:crypto'
import { crypto } from '../../lazy-builtins.js'
import { SHA_LENGTH, shaDigest, type ShaAlgorithm } from '../../sha.js'
import type { RsaPublicKey } from '../keys/rsa-key.js'

/** The digests a signature may be made over: the three of sha.ts. */
export type SignatureAlgorithm = ShaAlgorithm

/** DER DigestInfo prefixes (RFC 8017 §9.2 note 1). */
const DIGEST_INFO: Record<SignatureAlgorithm, Buffer> = {
  sha1: Buffer.from('3021300906052b0e03021a05000414', 'hex'),
  sha256: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  sha512: Buffer.from('3051300d060960864801650304020305000440', 'hex')
}

/** `.SIGN.` TYPE prefixes in the order apk matches them. DSA is obsolete and unsupported. */
const SIGN_TYPES: ReadonlyArray<[string, SignatureAlgorithm | undefined]> = [
  ['RSA512', 'sha512'],
  ['RSA256', 'sha256'],
  ['RSA', 'sha1'],
  ['DSA', undefined]
]

/** Parses `.SIGN.RSA.<key>`, `.SIGN.RSA256.<key>`, `.SIGN.RSA512.<key>`; undefined otherwise. */
export function parseSignatureName(
  name: string
): { alg: SignatureAlgorithm; keyName: string } | undefined {
  if (!name.startsWith('.SIGN.')) return undefined
  const rest = name.slice('.SIGN.'.length)
  for (const [type, alg] of SIGN_TYPES) {
    if (!rest.startsWith(`${type}.`)) continue
    const keyName = rest.slice(type.length + 1)
    return alg && keyName ? { alg, keyName } : undefined
  }
  return undefined
}

function parts(data: Buffer | Buffer[]): Buffer[] {
  return Array.isArray(data) ? data : [data]
}

/** OpenSSL's object for each key, made on its first package check (null: OpenSSL refused it). */
const opensslKeys = new WeakMap<RsaPublicKey, KeyObject | null>()

function opensslKey(key: RsaPublicKey): KeyObject | undefined {
  let made = opensslKeys.get(key)
  if (made === undefined) {
    try {
      made = crypto().createPublicKey({ key: key.der, format: 'der', type: 'spki' })
    } catch {
      made = null
    }
    opensslKeys.set(key, made)
  }
  return made ?? undefined
}

function opensslVerify(
  alg: SignatureAlgorithm,
  data: Buffer | Buffer[],
  key: RsaPublicKey,
  sig: Buffer
): boolean {
  const made = opensslKey(key)
  if (made === undefined) return false
  try {
    const verifier = crypto().createVerify(alg)
    for (const part of parts(data)) verifier.update(part)
    return verifier.verify({ key: made, padding: crypto().constants.RSA_PKCS1_PADDING }, sig)
  } catch {
    return false
  }
}

/**
 * Verifies an RSA PKCS#1 v1.5 signature over the concatenation of `data`: OpenSSL first, then,
 * when it says no, the maths (a bad signature, or a policy that forbids SHA-1).
 */
export function verifyRsaSignature(
  alg: SignatureAlgorithm,
  data: Buffer | Buffer[],
  key: RsaPublicKey,
  sig: Buffer
): boolean {
  if (opensslVerify(alg, data, key, sig)) return true
  return verifyRsaDigest(alg, shaDigest(alg, data), key, sig)
}

function bigIntOf(bytes: Buffer): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${bytes.toString('hex')}`)
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n
  let b = base % modulus
  let e = exponent
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus
    b = (b * b) % modulus
    e >>= 1n
  }
  return result
}

function bytesOf(value: bigint, length: number): Buffer | undefined {
  const hex = value.toString(16)
  if (hex.length > length * 2) return undefined
  return Buffer.from(hex.padStart(length * 2, '0'), 'hex')
}

/** EMSA-PKCS1-v1_5 encoding of a digest for a modulus of `length` bytes. */
function encodedMessage(
  alg: SignatureAlgorithm,
  digest: Buffer,
  length: number
): Buffer | undefined {
  const t = Buffer.concat([DIGEST_INFO[alg], digest])
  const padding = length - t.length - 3
  if (padding < 8) return undefined
  return Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(padding, 0xff), Buffer.from([0]), t])
}

/**
 * The manual check, on a precomputed digest: RSAVP1 with BigInt, then a byte-for-byte compare
 * with the one valid encoding.
 */
export function verifyRsaDigest(
  alg: SignatureAlgorithm,
  digest: Buffer,
  key: RsaPublicKey,
  sig: Buffer
): boolean {
  if (digest.length !== SHA_LENGTH[alg]) return false
  if (sig.length !== key.size) return false
  const s = bigIntOf(sig)
  if (s >= key.n) return false
  const em = bytesOf(modPow(s, key.e, key.n), key.size)
  const expected = encodedMessage(alg, digest, key.size)
  return em !== undefined && expected !== undefined && em.equals(expected)
}
