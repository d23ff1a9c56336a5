/**
 * CRC-32 (IEEE), as gzip trailers carry it: the engine checks gzip members with it and the
 * image writer joins its parallel-deflated blocks into one gzip stream with it.
 */
import * as zlib from 'node:zlib'

// zlib.crc32 exists from Node 20.15/22.2; older Node 20 releases fall back to a table.
const nativeCrc32 = (zlib as { crc32?: (data: Buffer, value?: number) => number }).crc32

let crcTable: Uint32Array | undefined

/** CRC-32 computed in JavaScript: the fallback where zlib.crc32 is missing (exported for tests). */
export function tableCrc32(data: Buffer, value = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256)
    for (let n = 0; n < 256; n++) {
      let c = n
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
      crcTable[n] = c >>> 0
    }
  }
  let crc = (value ^ 0xffffffff) >>> 0
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]) & 0xff] ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

/** CRC-32 of `data`, continuing from `value` (the CRC of what came before). */
export function crc32(data: Buffer, value = 0): number {
  return nativeCrc32 ? nativeCrc32(data, value) >>> 0 : tableCrc32(data, value)
}
