import { ByteKeys } from '../src/apk/formats/byte-keys.js'

/** Keys of space-separated words of `text`, in order. */
function keysOf(
  text: string,
  expected?: number
): { keys: number[]; added: boolean[]; table: ByteKeys } {
  const bytes = Buffer.from(text, 'latin1')
  const table = new ByteKeys(expected, 4)
  const keys: number[] = []
  const added: boolean[] = []
  let start = 0
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x20) {
      keys.push(table.key(bytes, start, i))
      added.push(table.added)
      start = i + 1
    }
  }
  return { keys, added, table }
}

describe('ByteKeys', () => {
  it('numbers equal contents alike, wherever they are, in order of first appearance', () => {
    const { keys, added, table } = keysOf(
      'so:libc.musl-x86_64.so.1 musl so:libc.musl-x86_64.so.1 zlib musl'
    )
    expect(keys).toEqual([0, 1, 0, 2, 1])
    expect(added).toEqual([true, true, false, true, false])
    expect(table.size).toBe(3)
  })

  it('tells apart contents that share a prefix, a length or bytes', () => {
    const { keys } = keysOf('abc ab abcd abd bca cba abc')
    expect(keys).toEqual([0, 1, 2, 3, 4, 5, 0])
  })

  it('gives the empty range one key', () => {
    const bytes = Buffer.from('xx')
    const table = new ByteKeys()
    expect(table.key(bytes, 0, 0)).toBe(0)
    expect(table.key(bytes, 1, 1)).toBe(0)
    expect(table.added).toBe(false)
    expect(table.key(bytes, 0, 1)).toBe(1)
  })

  it('compares bytes, not hashes: two contents with one FNV-1a hash keep their own keys', () => {
    const fnv1a = (text: string) => {
      let hash = 0x811c9dc5 | 0
      for (const c of Buffer.from(text)) hash = Math.imul(hash ^ c, 0x01000193)
      return hash
    }
    expect(fnv1a('gwzx')).toBe(fnv1a('16cd'))
    const { keys } = keysOf('gwzx 16cd gwzx 16cd')
    expect(keys).toEqual([0, 1, 0, 1])
  })

  it('finds every key again in a crowded table', () => {
    // Every 2-byte value, from a table sized for few: many share a slot.
    const words: string[] = []
    for (let a = 0x21; a < 0x7f; a++)
      for (let b = 0x21; b < 0x7f; b++) words.push(String.fromCharCode(a, b))
    const { keys, table } = keysOf([...words, ...words].join(' '), 4)
    expect(table.size).toBe(words.length)
    expect(keys.slice(0, words.length)).toEqual(words.map((_, i) => i))
    expect(keys.slice(words.length)).toEqual(words.map((_, i) => i))
  })

  it('keeps every key through growth past its first capacity', () => {
    const words = Array.from({ length: 20000 }, (_, i) => `cmd:tool${i}=1.${i}-r0`)
    const { keys, table } = keysOf([...words, ...words.slice().reverse()].join(' '), 1)
    expect(table.size).toBe(20000)
    expect(keys.slice(20000)).toEqual(keys.slice(0, 20000).reverse())
    expect(new Set(keys).size).toBe(20000)
  })

  it('reads bytes above 0x7f as bytes', () => {
    const bytes = Buffer.from([0xc3, 0xa9, 0x20, 0xe9, 0x20, 0xc3, 0xa9])
    const table = new ByteKeys()
    expect([table.key(bytes, 0, 2), table.key(bytes, 3, 4), table.key(bytes, 5, 7)]).toEqual([
      0, 1, 0
    ])
  })

  it('knows a content again from another buffer, after the first is overwritten', () => {
    const first = Buffer.from('musl zlib so:libz.so.1', 'latin1')
    const table = new ByteKeys(1, 1)
    expect([table.key(first, 0, 4), table.key(first, 5, 9), table.key(first, 10, 22)]).toEqual([
      0, 1, 2
    ])
    first.fill(0x78)
    const second = Buffer.from('so:libz.so.1 zlib musl muslx', 'latin1')
    expect(table.key(second, 0, 12)).toBe(2)
    expect(table.key(second, 13, 17)).toBe(1)
    expect(table.key(second, 18, 22)).toBe(0)
    expect(table.added).toBe(false)
    expect(table.key(second, 23, 28)).toBe(3)
    expect(table.added).toBe(true)
  })

  // With FNV-1a's fixed offset, tokens whose hashes share their low 24 bits are cheap to make
  // (a meet in the middle over three bytes each side), and every one of them probed the same
  // chain: a hostile index of them took 5.5 s for 500 KB, growing with the square.
  it('keeps probes short for contents made to collide under the unseeded hash', () => {
    const tokens = lowBitsCollisions(5000)
    expect(new Set(tokens.map((t) => fnv1a(t) & 0xffffff)).size).toBe(1)
    const table = new ByteKeys(tokens.length, 16)
    const bytes = Buffer.from(tokens.join(' '), 'latin1')
    let at = 0
    for (const token of tokens) {
      table.key(bytes, at, at + token.length)
      at += token.length + 1
    }
    expect(table.size).toBe(tokens.length)
    expect(table.probeCount()).toBeLessThan(tokens.length * 4)
  })
})

const FNV_PRIME = 0x01000193

function fnv1a(text: string, start = 0x811c9dc5 | 0): number {
  let hash = start
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), FNV_PRIME)
  return hash
}

/** `count` distinct tokens whose unseeded FNV-1a hashes share their low 24 bits. */
function lowBitsCollisions(count: number, target = 0x123456): string[] {
  // The inverse of the prime modulo 2^32 (Newton's iteration), to run the hash backwards.
  let inverse = FNV_PRIME
  for (let i = 0; i < 5; i++) inverse = Math.imul(inverse, (2 - Math.imul(FNV_PRIME, inverse)) | 0)
  const alphabet = [...'abcdefghijklmnopqrstuvwxyz0123456789'].map((c) => c.charCodeAt(0))
  // Three last bytes that lead from a state's low 24 bits to the target's.
  const ending = new Map<number, string>()
  for (const a of alphabet) {
    for (const b of alphabet) {
      for (const c of alphabet) {
        const state = Math.imul(Math.imul(Math.imul(target, inverse) ^ c, inverse) ^ b, inverse) ^ a
        ending.set(state & 0xffffff, String.fromCharCode(a, b, c))
      }
    }
  }
  const out: string[] = []
  for (let id = 0; ; id++) {
    const prefix = `t${id.toString(36).padStart(4, '0')}`
    const start = fnv1a(prefix)
    for (const a of alphabet) {
      for (const b of alphabet) {
        for (const c of alphabet) {
          const state = Math.imul(
            Math.imul(Math.imul(start ^ a, FNV_PRIME) ^ b, FNV_PRIME) ^ c,
            FNV_PRIME
          )
          const rest = ending.get(state & 0xffffff)
          if (rest === undefined) continue
          out.push(prefix + String.fromCharCode(a, b, c) + rest)
          if (out.length === count) return out
        }
      }
    }
  }
}
