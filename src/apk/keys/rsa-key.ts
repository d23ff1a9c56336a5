/**
 * An RSA public key read from its DER SubjectPublicKeyInfo (RFC 5280 §4.1, RFC 8017 A.1.1), by
 * hand: a resolve checks an index's signature with BigInt arithmetic (formats/signature.ts) and
 * never loads `node:crypto`. The reading is strict DER, as a key file may be anything: every
 * length within its parent and filling it, the integers minimal and positive, and the sizes
 * bounded (as OpenSSL bounds them), so a hostile key cannot make a check run long.
 */

/** An RSA public key as a signature check needs it. */
export interface RsaPublicKey {
  /** The modulus. */
  readonly n: bigint
  /** The public exponent. */
  readonly e: bigint
  /** The modulus's length in bytes: the length of each of its signatures. */
  readonly size: number
  /** The DER SubjectPublicKeyInfo it was read from. */
  readonly der: Buffer
}

/** OpenSSL's bounds: moduli of at most 16384 bits, exponents of at most 64. */
export const MAX_MODULUS_BITS = 16384
const MAX_EXPONENT_BITS = 64
/** The smallest modulus taken (OpenSSL refuses to make smaller). */
export const MIN_MODULUS_BITS = 512

/** DER of the rsaEncryption algorithm identifier's OID, 1.2.840.113549.1.1.1. */
const RSA_ENCRYPTION_OID = Buffer.from('06092a864886f70d010101', 'hex')

/** The length of the DER header (tag and length) of the SEQUENCE at `at`, or 0 for none. */
function sequenceHeader(der: Buffer, at: number): number {
  if (der[at] !== 0x30 || at + 1 >= der.length) return 0
  const first = der[at + 1]
  return first < 0x80 ? 2 : 2 + (first & 0x7f)
}

/**
 * Whether `der` starts like an RSA SubjectPublicKeyInfo: SEQUENCE { SEQUENCE { rsaEncryption …
 * (a key of another kind is not a key to apk; a damaged RSA key is an error when it is used).
 */
export function isRsaSpki(der: Buffer): boolean {
  const outer = sequenceHeader(der, 0)
  const algorithm = outer && sequenceHeader(der, outer)
  if (!algorithm) return false
  const oid = outer + algorithm
  return der.subarray(oid, oid + RSA_ENCRYPTION_OID.length).equals(RSA_ENCRYPTION_OID)
}

/** Why a key could not be read (the caller names the key and the fix). */
export class RsaKeyError extends Error {}

interface Element {
  /** Where its contents start and end. */
  start: number
  end: number
}

/** The element of tag `tag` at `at`, which must end by `limit`. */
function element(der: Buffer, at: number, limit: number, tag: number, what: string): Element {
  if (at + 2 > limit || der[at] !== tag) throw new RsaKeyError(`no ${what} where one is due`)
  let length = der[at + 1]
  let start = at + 2
  if (length & 0x80) {
    const count = length & 0x7f
    // DER: the long form only from 128 on, in the fewest bytes; two bytes hold any key here.
    if (count === 0 || count > 2 || start + count > limit) {
      throw new RsaKeyError(`the ${what}'s length is not one DER allows here`)
    }
    length = 0
    for (let i = 0; i < count; i++) length = length * 256 + der[start + i]
    if (length < 0x80 || (count === 2 && length < 0x100)) {
      throw new RsaKeyError(`the ${what}'s length is not in its shortest form`)
    }
    start += count
  }
  if (start + length > limit) throw new RsaKeyError(`the ${what} runs past its end`)
  return { start, end: start + length }
}

/** The positive INTEGER `e` holds, of at most `maxBits` bits. */
function positiveInteger(der: Buffer, e: Element, maxBits: number, what: string): bigint {
  const length = e.end - e.start
  if (length === 0) throw new RsaKeyError(`the ${what} is empty`)
  const first = der[e.start]
  if (first & 0x80) throw new RsaKeyError(`the ${what} is negative`)
  if (first === 0 && length > 1 && !(der[e.start + 1] & 0x80)) {
    throw new RsaKeyError(`the ${what} is not in its shortest form`)
  }
  const digits = der.subarray(e.start, e.end).toString('hex')
  const value = BigInt(`0x${digits}`)
  if (value === 0n) throw new RsaKeyError(`the ${what} is zero`)
  if (value.toString(2).length > maxBits) {
    throw new RsaKeyError(`the ${what} is longer than ${maxBits} bits`)
  }
  return value
}

/**
 * The RSA public key in `der`, a SubjectPublicKeyInfo: SEQUENCE { SEQUENCE { rsaEncryption,
 * NULL or nothing }, BIT STRING { SEQUENCE { INTEGER n, INTEGER e } } }. Throws RsaKeyError.
 */
export function readRsaPublicKey(der: Buffer): RsaPublicKey {
  const outer = element(der, 0, der.length, 0x30, 'key sequence')
  if (outer.end !== der.length) throw new RsaKeyError('bytes follow the key')
  const algorithm = element(der, outer.start, outer.end, 0x30, 'algorithm identifier')
  const oidEnd = algorithm.start + RSA_ENCRYPTION_OID.length
  if (oidEnd > algorithm.end || !der.subarray(algorithm.start, oidEnd).equals(RSA_ENCRYPTION_OID)) {
    throw new RsaKeyError('it is not an RSA key (rsaEncryption)')
  }
  // RFC 3279 §2.3.1: the parameters are NULL; some writers leave them out.
  const parameters = der.subarray(oidEnd, algorithm.end)
  if (!(
    parameters.length === 0 ||
    (parameters.length === 2 && parameters[0] === 0x05 && parameters[1] === 0)
  )) {
    throw new RsaKeyError("rsaEncryption's parameters are not NULL")
  }
  const bits = element(der, algorithm.end, outer.end, 0x03, 'key bit string')
  if (bits.end !== outer.end) throw new RsaKeyError('bytes follow the key bit string')
  if (bits.start === bits.end || der[bits.start] !== 0) {
    throw new RsaKeyError('the key bit string is not whole bytes')
  }
  const body = element(der, bits.start + 1, bits.end, 0x30, 'RSAPublicKey sequence')
  if (body.end !== bits.end) throw new RsaKeyError('bytes follow the RSAPublicKey')
  const modulus = element(der, body.start, body.end, 0x02, 'modulus')
  const exponent = element(der, modulus.end, body.end, 0x02, 'exponent')
  if (exponent.end !== body.end) throw new RsaKeyError('bytes follow the exponent')
  const n = positiveInteger(der, modulus, MAX_MODULUS_BITS, 'modulus')
  const e = positiveInteger(der, exponent, MAX_EXPONENT_BITS, 'exponent')
  const modulusBits = n.toString(2).length
  if (modulusBits < MIN_MODULUS_BITS) {
    throw new RsaKeyError(`the modulus has ${modulusBits} bits, fewer than ${MIN_MODULUS_BITS}`)
  }
  if (!(n & 1n)) throw new RsaKeyError('the modulus is even')
  if (e < 3n || !(e & 1n) || e >= n)
    throw new RsaKeyError('the exponent is not an odd number from 3 below the modulus')
  return { n, e, size: Math.ceil(modulusBits / 8), der }
}
