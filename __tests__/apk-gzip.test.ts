import { execFileSync } from 'node:child_process'
import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import * as zlib from 'node:zlib'
import {
  inflateGzipMembers,
  memberAt,
  readGzipMember,
  splitGzipMembers,
  streamGzipMembers,
  streamOf,
  type MemberPlace
} from '../src/apk/formats/gzip.js'
import { crc32, tableCrc32 } from '../src/crc32.js'
import { expectFormatError } from './support/failures.js'
import { haveShared, SHARED } from './support/shared.js'

const sharedHere = haveShared()

/** A gzip member with the optional header fields written by hand (RFC 1952). */
function handmadeMember(
  data: Buffer,
  fields: { extra?: Buffer; name?: string; comment?: string; headerCrc?: boolean | number }
): Buffer {
  let flags = 0
  const parts: Buffer[] = []
  if (fields.extra) {
    flags |= 0x04
    const len = Buffer.alloc(2)
    len.writeUInt16LE(fields.extra.length)
    parts.push(len, fields.extra)
  }
  if (fields.name !== undefined) {
    flags |= 0x08
    parts.push(Buffer.from(`${fields.name}\0`, 'latin1'))
  }
  if (fields.comment !== undefined) {
    flags |= 0x10
    parts.push(Buffer.from(`${fields.comment}\0`, 'latin1'))
  }
  if (fields.headerCrc !== undefined) flags |= 0x02
  const fixed = Buffer.from([0x1f, 0x8b, 8, flags, 0, 0, 0, 0, 0, 3])
  let header = Buffer.concat([fixed, ...parts])
  if (fields.headerCrc !== undefined) {
    const crc = Buffer.alloc(2)
    const value =
      typeof fields.headerCrc === 'number' ? fields.headerCrc : zlib.crc32(header) & 0xffff
    crc.writeUInt16LE(value)
    header = Buffer.concat([header, crc])
  }
  const trailer = Buffer.alloc(8)
  trailer.writeUInt32LE(zlib.crc32(data), 0)
  trailer.writeUInt32LE(data.length, 4)
  return Buffer.concat([header, zlib.deflateRawSync(data), trailer])
}

describe('splitGzipMembers', () => {
  it('returns one member spanning a whole single-member file', () => {
    const data = Buffer.from('hello, gzip\n'.repeat(100))
    const gz = zlib.gzipSync(data)
    const members = splitGzipMembers(gz)
    expect(members).toHaveLength(1)
    expect(members[0].start).toBe(0)
    expect(members[0].end).toBe(gz.length)
    expect(members[0].data.equals(data)).toBe(true)
  })

  it('finds the exact compressed byte range of each concatenated member', () => {
    const datas = [Buffer.from('first'), crypto.randomBytes(70_000), Buffer.alloc(0)]
    const gzs = datas.map((d, i) => zlib.gzipSync(d, { level: i + 1 }))
    const members = splitGzipMembers(Buffer.concat(gzs))
    expect(members).toHaveLength(3)
    let offset = 0
    members.forEach((member, i) => {
      expect(member.start).toBe(offset)
      expect(member.end).toBe(offset + gzs[i].length)
      expect(member.data.equals(datas[i])).toBe(true)
      offset += gzs[i].length
    })
  })

  it('skips FEXTRA, FNAME, FCOMMENT and a correct FHCRC', () => {
    const data = Buffer.from('payload with every optional header field')
    const member = handmadeMember(data, {
      extra: Buffer.from('AB\x02\x00hi'),
      name: 'file.tar',
      comment: 'a comment',
      headerCrc: true
    })
    const second = zlib.gzipSync(Buffer.from('next'))
    const members = splitGzipMembers(Buffer.concat([member, second]))
    expect(members.map((m) => m.data.toString())).toEqual([data.toString(), 'next'])
    expect(members[0].end).toBe(member.length)
  })

  it('reads what GNU gzip writes (FNAME set), member by member', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-gzip-'))
    try {
      const file = path.join(dir, 'named.txt')
      fs.writeFileSync(file, 'named by gzip\n')
      const gz = execFileSync('gzip', ['-c', '-9', file])
      expect(gz[3] & 0x08).toBe(0x08)
      const members = splitGzipMembers(Buffer.concat([gz, gz]))
      expect(members.map((m) => m.data.toString())).toEqual(['named by gzip\n', 'named by gzip\n'])
      expect(members[1].start).toBe(gz.length)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('refuses a wrong header CRC', () => {
    const member = handmadeMember(Buffer.from('x'), { name: 'n', headerCrc: 0x1234 })
    expectFormatError(() => splitGzipMembers(member), /header CRC/)
  })

  it('refuses a data CRC mismatch', () => {
    const gz = Buffer.from(zlib.gzipSync(Buffer.from('some data to protect')))
    gz[gz.length - 8] ^= 0xff
    expectFormatError(() => splitGzipMembers(gz), /CRC mismatch/)
  })

  it('refuses an ISIZE mismatch', () => {
    const gz = Buffer.from(zlib.gzipSync(Buffer.from('some data')))
    gz[gz.length - 4] ^= 0x01
    expectFormatError(() => splitGzipMembers(gz), /ISIZE/)
  })

  it('refuses corrupt deflate data', () => {
    const gz = Buffer.from(zlib.gzipSync(crypto.randomBytes(4096)))
    for (let i = 10; i < 40; i++) gz[i] = 0xff
    expectFormatError(() => splitGzipMembers(gz), /gzip member at byte 0/)
  })

  it('refuses truncation in the header, the deflate data and the trailer', () => {
    const gz = zlib.gzipSync(crypto.randomBytes(10_000))
    expectFormatError(() => splitGzipMembers(gz.subarray(0, 5)), /truncated header/)
    expectFormatError(() => splitGzipMembers(gz.subarray(0, 2000)), /gzip member at byte 0/)
    expectFormatError(() => splitGzipMembers(gz.subarray(0, gz.length - 3)), /no trailer/)
  })

  it('refuses trailing garbage, bad magic, unknown methods and reserved flags', () => {
    const gz = zlib.gzipSync(Buffer.from('ok'))
    expectFormatError(
      () => splitGzipMembers(Buffer.concat([gz, Buffer.from('garbage')])),
      new RegExp(`byte ${gz.length}: not gzip data`)
    )
    expectFormatError(() => splitGzipMembers(Buffer.from('plain text file')), /bad magic/)
    const method = Buffer.from(gz)
    method[2] = 7
    expectFormatError(() => splitGzipMembers(method), /compression method/)
    const reserved = Buffer.from(gz)
    reserved[3] |= 0x20
    expectFormatError(() => splitGzipMembers(reserved), /reserved flags/)
    expectFormatError(() => splitGzipMembers(Buffer.alloc(0)), /empty/)
  })

  it('splits a large multi-member input correctly', () => {
    const big = crypto.randomBytes(8 * 1024 * 1024)
    const text = Buffer.from('abcdefgh'.repeat(1024 * 1024))
    const gzs = [zlib.gzipSync(Buffer.from('sig')), zlib.gzipSync(text), zlib.gzipSync(big)]
    const members = splitGzipMembers(Buffer.concat(gzs))
    expect(members.map((m) => m.data.length)).toEqual([3, text.length, big.length])
    expect(members[2].data.equals(big)).toBe(true)
    expect(members[2].end).toBe(gzs[0].length + gzs[1].length + gzs[2].length)
  })

  it("inflates the last member into one buffer of its trailer's size, not pieces joined", () => {
    const small = Buffer.from('sig'.repeat(100))
    const middle = Buffer.from('middle'.repeat(60 * 1024))
    const last = Buffer.from('abcdefgh'.repeat(256 * 1024))
    const members = splitGzipMembers(
      Buffer.concat([small, middle, last].map((b) => zlib.gzipSync(b)))
    )
    expect(members[0].data.equals(small)).toBe(true)
    expect(members[1].data.equals(middle)).toBe(true)
    expect(members[2].data.equals(last)).toBe(true)
    // Its size and one byte: zlib's room to see the stream end.
    expect(members[2].data.buffer.byteLength).toBe(last.length + 1)
    // A smaller member inflated into a buffer that large is copied out to its own size.
    expect(members[1].data.buffer.byteLength).toBeLessThan(2 * middle.length)
  })

  it("takes the trailer's size as a hint only: a lie is refused, and the limit holds", () => {
    const data = Buffer.from('hello '.repeat(50_000))
    const lying = zlib.gzipSync(data)
    lying.writeUInt32LE(0xfffffff0, lying.length - 4)
    expectFormatError(() => splitGzipMembers(lying), /ISIZE/)
    expectFormatError(() => splitGzipMembers(lying, 1024 * 1024), /ISIZE/)
    expectFormatError(() => splitGzipMembers(lying, 1000), /more than 1000 bytes/)
  })
})

/** The two readers of a file's members in pieces: off the main thread, and on it (small files). */
const pieceReaders: [string, typeof streamGzipMembers][] = [
  ['streamGzipMembers', streamGzipMembers],
  ['inflateGzipMembers', async (...args) => inflateGzipMembers(...args)]
]

describe.each(pieceReaders)('%s', (_, readPieces) => {
  /** The pieces and member places the reader hands on, or the message it fails with. */
  async function streamed(buf: Buffer, limit = 64 * 1024 * 1024) {
    const pieces: Buffer[] = []
    const places: MemberPlace[] = []
    try {
      await readPieces(
        buf,
        limit,
        (piece) => pieces.push(piece),
        (p) => places.push(p)
      )
      return { data: Buffer.concat(pieces), pieces, places }
    } catch (error) {
      expect(error).toBeInstanceOf(Error)
      return { error: (error as Error).message }
    }
  }

  function splitError(buf: Buffer, limit?: number): string {
    try {
      splitGzipMembers(buf, limit)
    } catch (error) {
      return (error as Error).message
    }
    throw new Error('splitGzipMembers accepted it')
  }

  it('hands on every member in pieces, with where each starts, as splitGzipMembers reads them', async () => {
    const text = Buffer.from('abcdefgh'.repeat(200 * 1024))
    const random = crypto.randomBytes(700 * 1024)
    const file = Buffer.concat(
      [Buffer.from('sig'), text, Buffer.alloc(0), random].map((b) => zlib.gzipSync(b))
    )
    const members = splitGzipMembers(file)
    const result = await streamed(file)
    expect(result.data?.equals(Buffer.concat(members.map((m) => m.data)))).toBe(true)
    // Several pieces for the large members, none larger than 256 KiB.
    expect(result.pieces?.length).toBeGreaterThan(4)
    expect(Math.max(...(result.pieces ?? []).map((p) => p.length))).toBeLessThanOrEqual(256 * 1024)
    let offset = 0
    expect(result.places).toEqual(
      members.map((m) => {
        const place = { start: m.start, offset }
        offset += m.data.length
        return place
      })
    )
  })

  it('fails on every damaged file as splitGzipMembers does, with the same message', async () => {
    const gz = Buffer.from(zlib.gzipSync(crypto.randomBytes(10_000)))
    const crc = Buffer.from(zlib.gzipSync(Buffer.from('some data to protect')))
    crc[crc.length - 8] ^= 0xff
    const size = Buffer.from(zlib.gzipSync(Buffer.from('some data')))
    size[size.length - 4] ^= 0x01
    const corrupt = Buffer.from(gz)
    for (let i = 10; i < 40; i++) corrupt[i] = 0xff
    const method = Buffer.from(gz)
    method[2] = 7
    const damaged = [
      handmadeMember(Buffer.from('x'), { name: 'n', headerCrc: 0x1234 }),
      crc,
      size,
      corrupt,
      gz.subarray(0, 5),
      gz.subarray(0, 2000),
      gz.subarray(0, gz.length - 3),
      Buffer.concat([gz, Buffer.from('garbage')]),
      Buffer.concat([gz, gz.subarray(0, 100)]),
      Buffer.from('plain text file'),
      method,
      Buffer.alloc(0)
    ]
    for (const file of damaged) {
      expect(await streamed(file)).toEqual({ error: splitError(file) })
    }
    // The limit counts every member's data.
    const two = Buffer.concat([
      zlib.gzipSync(Buffer.alloc(3000)),
      zlib.gzipSync(Buffer.alloc(3000))
    ])
    expect(await streamed(two, 5000)).toEqual({ error: splitError(two, 5000) })
    expect((await streamed(two, 5000)).error).toMatch(/more than 2000 bytes/)
  })

  it('stops at once when the reader of the pieces throws', async () => {
    const file = zlib.gzipSync(crypto.randomBytes(2 * 1024 * 1024))
    let calls = 0
    const failure = new Error('the reader refused it')
    await expect(
      readPieces(file, 1 << 30, () => {
        calls++
        throw failure
      })
    ).rejects.toBe(failure)
    expect(calls).toBe(1)
  })
})

describe('streamOf and memberAt', () => {
  it('maps stream offsets back to the member that holds them', () => {
    const parts = [Buffer.alloc(1024, 1), Buffer.alloc(0), Buffer.alloc(512, 2)]
    const stream = streamOf(splitGzipMembers(Buffer.concat(parts.map((p) => zlib.gzipSync(p)))))
    expect(stream.offsets).toEqual([0, 1024, 1024])
    expect(stream.chunks.map((c) => c.length)).toEqual([1024, 0, 512])
    expect(memberAt(stream.offsets, 0)).toBe(0)
    expect(memberAt(stream.offsets, 1023)).toBe(0)
    // The empty member holds nothing: offset 1024 is in the last one.
    expect(memberAt(stream.offsets, 1024)).toBe(2)
    expect(memberAt(stream.offsets, 1535)).toBe(2)
  })
})

describe('readGzipMember', () => {
  it('inflates one member alone, without reading the damaged ones after it', () => {
    const first = zlib.gzipSync(Buffer.from('signature'))
    const second = Buffer.from(zlib.gzipSync(Buffer.from('index '.repeat(100))))
    second[second.length - 8] ^= 0xff
    const bytes = Buffer.concat([first, second])
    const member = readGzipMember(bytes, 0)
    expect(member).toMatchObject({ start: 0, end: first.length })
    expect(member.data.toString()).toBe('signature')
    expectFormatError(() => readGzipMember(bytes, first.length), /CRC mismatch/)
    expectFormatError(() => readGzipMember(bytes, bytes.length), /end of file/)
  })
})

describe('crc32', () => {
  it('matches the standard check value and zlib, in both implementations', () => {
    const check = Buffer.from('123456789')
    expect(crc32(check)).toBe(0xcbf43926)
    expect(tableCrc32(check)).toBe(0xcbf43926)
    const random = crypto.randomBytes(100_003)
    expect(tableCrc32(random)).toBe(zlib.crc32(random) >>> 0)
    expect(crc32(Buffer.alloc(0))).toBe(0)
    expect(tableCrc32(Buffer.alloc(0))).toBe(0)
  })
})

;(sharedHere ? describe : describe.skip)('real files', () => {
  it('splits every reference package into signature, control and data members', () => {
    const dir = path.join(SHARED, 'fixtures/apk-tools-reference/repo-x86_64')
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.apk'))) {
      const bytes = fs.readFileSync(path.join(dir, file))
      const members = splitGzipMembers(bytes)
      expect(members).toHaveLength(3)
      expect(members[2].end).toBe(bytes.length)
      // Every member boundary falls on a tar block boundary.
      for (const m of members.slice(0, 2)) expect(m.data.length % 512).toBe(0)
      expect(Buffer.concat(members.map((m) => m.data)).equals(zlib.gunzipSync(bytes))).toBe(true)
    }
  })
})
