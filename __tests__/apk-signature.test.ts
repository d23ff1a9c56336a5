import { execFileSync } from 'node:child_process'
import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {
  parseSignatureName,
  verifyRsaDigest,
  verifyRsaSignature,
  type SignatureAlgorithm
} from '../src/apk/formats/signature.js'
import { readRsaPublicKey, RsaKeyError } from '../src/apk/keys/rsa-key.js'
import { generateSigningKey, type SigningKey } from './support/keys.js'

const ALGS: SignatureAlgorithm[] = ['sha1', 'sha256', 'sha512']

describe('verifyRsaSignature against openssl dgst -sign', () => {
  let dir: string
  let signer: SigningKey
  let other: SigningKey
  const data = Buffer.from('the bytes of a control member\n'.repeat(50))
  const sigs = new Map<SignatureAlgorithm, Buffer>()

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-sig-'))
    signer = generateSigningKey()
    other = generateSigningKey(undefined, { fresh: true })
    const keyFile = path.join(dir, 'key.pem')
    const dataFile = path.join(dir, 'data')
    fs.writeFileSync(keyFile, signer.privateKeyPem)
    fs.writeFileSync(dataFile, data)
    for (const alg of ALGS) {
      sigs.set(alg, execFileSync('openssl', ['dgst', `-${alg}`, '-sign', keyFile, dataFile]))
    }
  })

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  /** A key as the keyring reads it, from the DER OpenSSL writes of the PEM. */
  const rsaKey = (pem: string) =>
    readRsaPublicKey(crypto.createPublicKey(pem).export({ type: 'spki', format: 'der' }))
  const publicKey = () => rsaKey(signer.publicKeyPem)
  const sigOf = (alg: SignatureAlgorithm) => sigs.get(alg) as Buffer

  it.each(ALGS)('accepts a %s signature made by openssl', (alg) => {
    expect(sigOf(alg)).toHaveLength(256)
    expect(verifyRsaSignature(alg, data, publicKey(), sigOf(alg))).toBe(true)
  })

  it.each(ALGS)('accepts %s data given in pieces', (alg) => {
    const pieces = [data.subarray(0, 7), data.subarray(7, 1000), data.subarray(1000)]
    expect(verifyRsaSignature(alg, pieces, publicKey(), sigOf(alg))).toBe(true)
  })

  it.each(ALGS)(
    'refuses %s with a flipped data byte, a flipped signature byte, a wrong key',
    (alg) => {
      const tampered = Buffer.from(data)
      tampered[123] ^= 0x01
      expect(verifyRsaSignature(alg, tampered, publicKey(), sigOf(alg))).toBe(false)
      const badSig = Buffer.from(sigOf(alg))
      badSig[200] ^= 0x80
      expect(verifyRsaSignature(alg, data, publicKey(), badSig)).toBe(false)
      const wrongKey = rsaKey(other.publicKeyPem)
      expect(verifyRsaSignature(alg, data, wrongKey, sigOf(alg))).toBe(false)
    }
  )

  it('refuses a signature checked with another digest than it was made with', () => {
    expect(verifyRsaSignature('sha256', data, publicKey(), sigOf('sha1'))).toBe(false)
    expect(verifyRsaSignature('sha1', data, publicKey(), sigOf('sha512'))).toBe(false)
  })

  it('refuses a truncated signature; a non-RSA key is no key', () => {
    expect(verifyRsaSignature('sha1', data, publicKey(), sigOf('sha1').subarray(1))).toBe(false)
    const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey
    expect(() => readRsaPublicKey(ec.export({ type: 'spki', format: 'der' }))).toThrow(RsaKeyError)
  })

  // The fallback used where OpenSSL's policy refuses SHA-1: checked here on its own.
  it.each(ALGS)('the manual RFC 8017 check agrees with openssl for %s', (alg) => {
    const digest = crypto.createHash(alg).update(data).digest()
    expect(verifyRsaDigest(alg, digest, publicKey(), sigOf(alg))).toBe(true)
    const wrongDigest = Buffer.from(digest)
    wrongDigest[0] ^= 1
    expect(verifyRsaDigest(alg, wrongDigest, publicKey(), sigOf(alg))).toBe(false)
    const badSig = Buffer.from(sigOf(alg))
    badSig[10] ^= 0x04
    expect(verifyRsaDigest(alg, digest, publicKey(), badSig)).toBe(false)
    const wrongKey = rsaKey(other.publicKeyPem)
    expect(verifyRsaDigest(alg, digest, wrongKey, sigOf(alg))).toBe(false)
  })

  it('the manual check refuses a digest of the wrong length and a signature >= n', () => {
    const digest = crypto.createHash('sha1').update(data).digest()
    expect(verifyRsaDigest('sha256', digest, publicKey(), sigOf('sha1'))).toBe(false)
    expect(verifyRsaDigest('sha1', digest, publicKey(), Buffer.alloc(256, 0xff))).toBe(false)
  })
})

describe('parseSignatureName', () => {
  it.each([
    ['.SIGN.RSA.alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub', 'sha1'],
    ['.SIGN.RSA256.test@example-65a1b2c3.rsa.pub', 'sha256'],
    ['.SIGN.RSA512.key.rsa.pub', 'sha512']
  ])('%s → %s', (name, alg) => {
    const keyName = name.replace(/^\.SIGN\.RSA(256|512)?\./, '')
    expect(parseSignatureName(name)).toEqual({ alg, keyName })
  })

  it('keeps every dot of the key name', () => {
    expect(parseSignatureName('.SIGN.RSA.a.b.RSA256.c')).toEqual({
      alg: 'sha1',
      keyName: 'a.b.RSA256.c'
    })
  })

  it.each([
    '.SIGN.DSA.old.rsa.pub',
    '.SIGN.RSA.',
    '.SIGN.RSA256',
    '.SIGN.RSA1024.key',
    '.SIGN.ECDSA.key',
    '.SIGN.rsa.key',
    'SIGN.RSA.key',
    '.PKGINFO',
    ''
  ])('refuses %j', (name) => {
    expect(parseSignatureName(name)).toBeUndefined()
  })
})
