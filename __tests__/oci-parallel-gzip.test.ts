import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import zlib from 'node:zlib'
import { crc32 } from '../src/crc32.js'
import { BLOCK, ParallelGzip } from '../src/oci/parallel-gzip.js'

/** Compresses `data` fed in pieces of `piece` bytes, with `inFlight` blocks at once. */
async function gzipWith(data: Buffer, piece: number, inFlight: number, level = 6) {
  const out: Buffer[] = []
  const gzip = new ParallelGzip(level, (chunk) => void out.push(Buffer.from(chunk)), inFlight)
  for (let at = 0; at < data.length; at += piece) await gzip.write(data.subarray(at, at + piece))
  await gzip.end()
  return Buffer.concat(out)
}

/** Half text, half noise: both kinds of block. */
function sample(size: number): Buffer {
  const text = Buffer.from(
    'musl alpine witchery layer index package signed apk tar gzip\n'.repeat(size / 60 + 1)
  )
  const noise = randomBytes(size)
  const data = Buffer.alloc(size)
  for (let at = 0; at < size; at += 4096) {
    const from = (at / 4096) % 2 === 0 ? text : noise
    from.copy(data, at, at, Math.min(at + 4096, size))
  }
  return data
}

describe('ParallelGzip', () => {
  it.each([0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK + 5])(
    'gives back %i bytes through gunzip and the gzip tool',
    async (size) => {
      const data = sample(size)
      const gz = await gzipWith(data, 65536, 4)
      expect(zlib.gunzipSync(gz).equals(data)).toBe(true)
      expect(execFileSync('gzip', ['-dc'], { input: gz }).equals(data)).toBe(true)
    }
  )

  it('writes the same bytes whatever the pieces it is fed and the blocks in flight', async () => {
    const data = sample(5 * BLOCK + 123)
    const digests = new Set<string>()
    for (const [piece, inFlight] of [
      [1000, 1],
      [65536, 2],
      [BLOCK, 8],
      [data.length, 3]
    ]) {
      const gz = await gzipWith(data, piece, inFlight)
      digests.add(createHash('sha256').update(gz).digest('hex'))
    }
    expect(digests.size).toBe(1)
  })

  it('compresses about as well as one zlib stream', async () => {
    const data = sample(8 * BLOCK)
    const ours = await gzipWith(data, 65536, 4)
    const single = zlib.gzipSync(data, { level: 6 })
    expect(ours.length).toBeLessThan(single.length * 1.01)
  })

  it('writes a gzip header of no name, no mtime, Unix, and a trailer of CRC and size', async () => {
    const data = sample(1000)
    const gz = await gzipWith(data, 1000, 2, 9)
    expect([...gz.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3])
    expect(gz.readUInt32LE(gz.length - 8)).toBe(crc32(data))
    expect(gz.readUInt32LE(gz.length - 4)).toBe(1000)
  })

  it('computes CRC-32 in pieces as in one go', () => {
    const data = randomBytes(10000)
    expect(crc32(data.subarray(5000), crc32(data.subarray(0, 5000)))).toBe(crc32(data))
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926)
  })
})
