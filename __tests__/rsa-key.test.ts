/**
 * Reading an RSA public key from its DER SubjectPublicKeyInfo by hand (src/apk/keys/rsa-key.ts):
 * the same modulus and exponent OpenSSL reads, from keys OpenSSL made and from Alpine's own, and
 * a clear refusal of every damaged or oversized form, as a key file may hold anything.
 */
import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import {
  MAX_MODULUS_BITS,
  MIN_MODULUS_BITS,
  readRsaPublicKey,
  RsaKeyError
} from '../src/apk/keys/rsa-key.js'
import { generateSigningKey } from './support/keys.js'
import { haveShared, SHARED } from './support/shared.js'

/** A DER element: tag, then its length in the shortest form, then `contents`. */
function der(tag: number, ...contents: Buffer[]): Buffer {
  const body = Buffer.concat(contents)
  const n = body.length
  const length =
    n < 0x80
      ? [n]
      : n < 0x100
        ? [0x81, n]
        : n < 0x10000
          ? [0x82, n >> 8, n & 0xff]
          : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]
  return Buffer.concat([Buffer.from([tag, ...length]), body])
}

/** A positive DER INTEGER of `value`. */
function integer(value: bigint): Buffer {
  let hex = value.toString(16)
  if (hex.length % 2) hex = `0${hex}`
  const bytes = Buffer.from(hex, 'hex')
  return der(0x02, bytes[0] & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes)
}

const ALGORITHM = der(
  0x30,
  Buffer.from('06092a864886f70d010101', 'hex'),
  Buffer.from('0500', 'hex')
)

/** An SPKI of modulus `n` and exponent `e`, each an INTEGER element as given. */
function spki(n: Buffer, e: Buffer, algorithm = ALGORITHM): Buffer {
  return der(0x30, algorithm, der(0x03, Buffer.from([0]), der(0x30, n, e)))
}

function derOf(pem: string): Buffer {
  return crypto.createPublicKey(pem).export({ type: 'spki', format: 'der' })
}

function opensslNumbers(der: Buffer): { n: bigint; e: bigint } {
  const jwk = crypto.createPublicKey({ key: der, format: 'der', type: 'spki' }).export({
    format: 'jwk'
  })
  const big = (b64: string | undefined) =>
    BigInt(`0x${Buffer.from(b64 as string, 'base64url').toString('hex')}`)
  return { n: big(jwk.n), e: big(jwk.e) }
}

describe('readRsaPublicKey', () => {
  it('reads the modulus and exponent OpenSSL reads, and the signature length', () => {
    const der = derOf(generateSigningKey().publicKeyPem)
    const key = readRsaPublicKey(der)
    expect({ n: key.n, e: key.e }).toEqual(opensslNumbers(der))
    expect(key.size).toBe(256)
    expect(key.der).toBe(der)
  })

  it("reads each of Alpine's keys as OpenSSL does", () => {
    if (!haveShared()) return
    const dir = path.join(SHARED, 'alpine-keys')
    const names = fs.readdirSync(dir)
    expect(names.length).toBeGreaterThan(10)
    for (const name of names) {
      const der = derOf(fs.readFileSync(path.join(dir, name), 'utf8'))
      const key = readRsaPublicKey(der)
      expect([name, key.n, key.e]).toEqual([name, opensslNumbers(der).n, opensslNumbers(der).e])
      const details = crypto.createPublicKey({
        key: der,
        format: 'der',
        type: 'spki'
      }).asymmetricKeyDetails
      expect(key.size * 8).toBe(details?.modulusLength)
    }
  })

  // A modulus of `bits` bits, odd, and the common exponent.
  const modulus = (bits: number) => (1n << BigInt(bits - 1)) | 1n
  const F4 = integer(65537n)

  it('takes an algorithm identifier without its NULL, and the bounds themselves', () => {
    const noNull = der(0x30, Buffer.from('06092a864886f70d010101', 'hex'))
    expect(readRsaPublicKey(spki(integer(modulus(2048)), F4, noNull)).size).toBe(256)
    expect(readRsaPublicKey(spki(integer(modulus(MIN_MODULUS_BITS)), F4)).size).toBe(64)
    expect(readRsaPublicKey(spki(integer(modulus(MAX_MODULUS_BITS)), F4)).size).toBe(2048)
    expect(readRsaPublicKey(spki(integer(modulus(2048)), integer((1n << 64n) - 1n))).e).toBe(
      (1n << 64n) - 1n
    )
  })

  const good = spki(integer(modulus(2048)), F4)
  const cases: Array<[string, Buffer, RegExp]> = [
    ['nothing', Buffer.alloc(0), /no key sequence/],
    ['a cut key', good.subarray(0, 100), /runs past its end/],
    ['bytes after it', Buffer.concat([good, Buffer.from([0])]), /bytes follow the key/],
    [
      'an EC key',
      crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
        type: 'spki',
        format: 'der'
      }),
      /not an RSA key/
    ],
    [
      'parameters that are not NULL',
      spki(
        integer(modulus(2048)),
        F4,
        der(0x30, Buffer.from('06092a864886f70d010101', 'hex'), Buffer.from('0401aa', 'hex'))
      ),
      /parameters are not NULL/
    ],
    [
      'a length in the long form where the short one fits',
      Buffer.from('3081050201030201', 'hex'),
      /shortest form/
    ],
    ['a length of more than two bytes', Buffer.from('3083000005', 'hex'), /length is not one/],
    [
      'a modulus with a needless leading zero',
      spki(der(0x02, Buffer.from([0]), integer(modulus(2048)).subarray(4)), F4),
      /modulus is not in its shortest form/
    ],
    [
      'a negative modulus',
      spki(der(0x02, Buffer.from([0x80]), Buffer.alloc(255, 1)), F4),
      /modulus is negative/
    ],
    ['an even modulus', spki(integer(modulus(2048) + 1n), F4), /modulus is even/],
    ['a small modulus', spki(integer(modulus(MIN_MODULUS_BITS - 8)), F4), /fewer than 512/],
    [
      'a modulus past 16384 bits',
      spki(integer(modulus(MAX_MODULUS_BITS + 1)), F4),
      /modulus is longer than 16384 bits/
    ],
    ['an exponent of 1', spki(integer(modulus(2048)), integer(1n)), /exponent is not/],
    ['an even exponent', spki(integer(modulus(2048)), integer(65536n)), /exponent is not/],
    [
      'an exponent past 64 bits',
      spki(integer(modulus(2048)), integer((1n << 64n) + 1n)),
      /exponent is longer than 64 bits/
    ],
    ['a zero exponent', spki(integer(modulus(2048)), der(0x02, Buffer.from([0]))), /zero/],
    ['an empty exponent', spki(integer(modulus(2048)), der(0x02)), /exponent is empty/],
    [
      'a bit string with unused bits',
      der(0x30, ALGORITHM, der(0x03, Buffer.from([1]), der(0x30, integer(modulus(2048)), F4))),
      /not whole bytes/
    ],
    [
      'a third integer',
      der(0x30, ALGORITHM, der(0x03, Buffer.from([0]), der(0x30, integer(modulus(2048)), F4, F4))),
      /bytes follow the exponent/
    ]
  ]

  it.each(cases)('refuses %s, saying why', (_what, bytes, why) => {
    let error: unknown
    try {
      readRsaPublicKey(bytes)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(RsaKeyError)
    expect((error as Error).message).toMatch(why)
  })

  it('refuses every cut of a real key', () => {
    const der = derOf(generateSigningKey().publicKeyPem)
    for (let length = 0; length < der.length; length++) {
      expect(() => readRsaPublicKey(der.subarray(0, length))).toThrow(RsaKeyError)
    }
  })
})
