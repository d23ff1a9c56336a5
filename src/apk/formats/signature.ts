/**
 * RSASSA-PKCS1-v1_5 verification of APK signatures, and `.SIGN.<TYPE>.<keyname>` names.
 *
 * Alpine signs with SHA-1, which some OpenSSL policies refuse. When OpenSSL throws or says no,
 * we check the signature by hand (RFC 8017 §8.2.2): s^e mod n must be exactly
 * 00 01 FF…FF 00 || DigestInfo || H. The result is authoritative either way.
 */
import * as crypto from 'node:crypto'
import type { KeyObject } from 'node:crypto'

export type SignatureAlgorithm = 'sha1' | 'sha256' | 'sha512'

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

export function digestOf(alg: SignatureAlgorithm, data: Buffer | Buffer[]): Buffer {
  const hash = crypto.createHash(alg)
  for (const part of parts(data)) hash.update(part)
  return hash.digest()
}

function opensslVerify(
  alg: SignatureAlgorithm,
  data: Buffer | Buffer[],
  key: KeyObject,
  sig: Buffer
): boolean {
  try {
    const verifier = crypto.createVerify(alg)
    for (const part of parts(data)) verifier.update(part)
    return verifier.verify({ key, padding: crypto.constants.RSA_PKCS1_PADDING }, sig)
  } catch {
    return false
  }
}

/** Verifies an RSA PKCS#1 v1.5 signature over the concatenation of `data`. */
export function verifyRsaSignature(
  alg: SignatureAlgorithm,
  data: Buffer | Buffer[],
  key: KeyObject,
  sig: Buffer
): boolean {
  if (key.asymmetricKeyType !== 'rsa') return false
  if (opensslVerify(alg, data, key, sig)) return true
  // OpenSSL said no: maybe a bad signature, maybe a policy that forbids SHA-1. Ask the maths.
  return verifyRsaDigest(alg, digestOf(alg, data), key, sig)
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
 * with the one valid encoding. Exported so tests can exercise it without OpenSSL's verdict.
 */
export function verifyRsaDigest(
  alg: SignatureAlgorithm,
  digest: Buffer,
  key: KeyObject,
  sig: Buffer
): boolean {
  if (key.asymmetricKeyType !== 'rsa') return false
  if (digest.length !== crypto.createHash(alg).digest().length) return false
  const jwk = key.export({ format: 'jwk' })
  if (typeof jwk.n !== 'string' || typeof jwk.e !== 'string') return false
  const nBytes = Buffer.from(jwk.n, 'base64url')
  const n = bigIntOf(nBytes)
  const e = bigIntOf(Buffer.from(jwk.e, 'base64url'))
  const k = Math.ceil(n.toString(16).length / 2)
  if (sig.length !== k) return false
  const s = bigIntOf(sig)
  if (s >= n) return false
  const em = bytesOf(modPow(s, e, n), k)
  const expected = encodedMessage(alg, digest, k)
  return em !== undefined && expected !== undefined && em.equals(expected)
}
