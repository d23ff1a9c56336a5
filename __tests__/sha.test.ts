/**
 * The project's own SHA-1, SHA-256 and SHA-512 (src/sha.ts, WebAssembly from
 * src/assembly/sha.ts), checked against OpenSSL's (node:crypto) on every length around the block
 * boundaries, on messages given in pieces, and across the module's 64 KiB input area.
 */
import * as crypto from 'node:crypto'
import { SHA_LENGTH, shaDigest, type ShaAlgorithm } from '../src/sha.js'

const ALGORITHMS: ShaAlgorithm[] = ['sha1', 'sha256', 'sha512']

function openssl(alg: ShaAlgorithm, data: Uint8Array): Buffer {
  return crypto.createHash(alg).update(data).digest()
}

describe('shaDigest', () => {
  it.each(ALGORITHMS)('%s agrees with OpenSSL on every length from 0 to 300 bytes', (alg) => {
    const bytes = crypto.randomBytes(300)
    for (let length = 0; length <= 300; length++) {
      const data = bytes.subarray(0, length)
      expect([length, shaDigest(alg, data).toString('hex')]).toEqual([
        length,
        openssl(alg, data).toString('hex')
      ])
    }
  })

  it.each(ALGORITHMS)('%s gives the FIPS 180-4 examples', (alg) => {
    // "abc", and the two-block message of each family (appendix examples).
    const two =
      alg === 'sha512'
        ? 'abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu'
        : 'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'
    const expected: Record<ShaAlgorithm, [string, string]> = {
      sha1: [
        'a9993e364706816aba3e25717850c26c9cd0d89d',
        '84983e441c3bd26ebaae4aa1f95129e5e54670f1'
      ],
      sha256: [
        'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
        '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'
      ],
      sha512: [
        'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a' +
          '2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
        '8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018' +
          '501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909'
      ]
    }
    expect(shaDigest(alg, Buffer.from('abc')).toString('hex')).toBe(expected[alg][0])
    expect(shaDigest(alg, Buffer.from(two)).toString('hex')).toBe(expected[alg][1])
    expect(shaDigest(alg, Buffer.alloc(0))).toHaveLength(SHA_LENGTH[alg])
  })

  it.each(ALGORITHMS)('%s of a message in pieces, across the 64 KiB input area', (alg) => {
    const data = crypto.randomBytes(300_007)
    const whole = openssl(alg, data)
    expect(shaDigest(alg, data).equals(whole)).toBe(true)
    // Cuts at, around and far from block and input-area boundaries, and empty pieces.
    const cuts = [0, 0, 1, 63, 64, 65, 127, 128, 129, 65535, 65536, 65537, 131072, 200003]
    const pieces = cuts.slice(1).map((end, i) => data.subarray(cuts[i], end))
    pieces.push(data.subarray(cuts[cuts.length - 1]))
    expect(shaDigest(alg, pieces).equals(whole)).toBe(true)
  })

  it('makes one digest after another with nothing left over from the last', () => {
    const data = crypto.randomBytes(1000)
    // An unfinished block of 37 bytes, then digests of other kinds and lengths.
    const first = shaDigest('sha256', data.subarray(0, 37))
    shaDigest('sha512', data.subarray(0, 999))
    shaDigest('sha1', data)
    expect(shaDigest('sha256', data.subarray(0, 37)).equals(first)).toBe(true)
    expect(first.equals(openssl('sha256', data.subarray(0, 37)))).toBe(true)
  })
})
