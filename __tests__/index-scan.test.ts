/**
 * The index scan's WebAssembly side (src/apk/formats/assembly/index-scan.ts): its tables of
 * distinct byte ranges, the tokens it parses itself (the same Dependency parseDependency makes,
 * or left to it) and the bound on its memory (solver-graph.test.ts checks the module in the
 * sources is the one its source compiles to).
 */
import * as crypto from 'node:crypto'
import { FormatError } from '../src/apk/errors.js'
import { readIndexTable } from '../src/apk/formats/apkindex.js'
import { parseDependency } from '../src/apk/formats/dependency.js'
import { IndexScanMemory, ScanLimitError } from '../src/apk/formats/index-scan.js'
import { DEPENDS } from '../src/apk/formats/package-table.js'

/** Keys of space-separated words of `text` in a fresh scan's table of values, in order. */
function keysOf(
  text: string,
  expected = 1024
): { keys: number[]; added: boolean[]; memory: IndexScanMemory } {
  const bytes = Buffer.from(text, 'latin1')
  const memory = new IndexScanMemory(expected, expected)
  const keys: number[] = []
  const added: boolean[] = []
  let start = 0
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x20) {
      keys.push(memory.key(memory.values, bytes.subarray(start, i)))
      added.push(memory.added)
      start = i + 1
    }
  }
  return { keys, added, memory }
}

describe("the scan's tables of distinct byte ranges", () => {
  it('numbers equal contents alike, wherever they are, in order of first appearance', () => {
    const { keys, added, memory } = keysOf(
      'so:libc.musl-x86_64.so.1 musl so:libc.musl-x86_64.so.1 zlib musl'
    )
    expect(keys).toEqual([0, 1, 0, 2, 1])
    expect(added).toEqual([true, true, false, true, false])
    expect(memory.count(memory.values)).toBe(3)
  })

  it('tells apart contents that share a prefix, a length or bytes', () => {
    const { keys } = keysOf('abc ab abcd abd bca cba abc')
    expect(keys).toEqual([0, 1, 2, 3, 4, 5, 0])
  })

  it('gives the empty range one key', () => {
    const { keys, added } = keysOf(' x ')
    expect(keys).toEqual([0, 1, 0])
    expect(added).toEqual([true, true, false])
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
    const { keys, memory } = keysOf([...words, ...words].join(' '), 4)
    expect(memory.count(memory.values)).toBe(words.length)
    expect(keys.slice(0, words.length)).toEqual(words.map((_, i) => i))
    expect(keys.slice(words.length)).toEqual(words.map((_, i) => i))
  })

  it('keeps every key through growth past its first capacity', () => {
    const words = Array.from({ length: 20000 }, (_, i) => `cmd:tool${i}=1.${i}-r0`)
    const { keys, memory } = keysOf([...words, ...words.slice().reverse()].join(' '), 1)
    expect(memory.count(memory.values)).toBe(20000)
    expect(keys.slice(20000)).toEqual(keys.slice(0, 20000).reverse())
    expect(new Set(keys).size).toBe(20000)
  })

  it('reads bytes above 0x7f as bytes, and makes each value a string as UTF-8 alone', () => {
    const memory = new IndexScanMemory(16, 16)
    const keys = [[0xc3, 0xa9], [0xe9], [0xc3, 0xa9], [0x41], [0xe2, 0x82], [0x42]].map((b) =>
      memory.key(memory.values, Buffer.from(b))
    )
    expect(keys).toEqual([0, 1, 0, 2, 3, 4])
    // A malformed sequence is one replacement character, and the next value starts clean.
    expect(memory.valuesFrom(0)).toEqual(['\u00e9', '\ufffd', 'A', '\ufffd', 'B'])
    expect(memory.valuesFrom(3)).toEqual(['\ufffd', 'B'])
  })

  it('keeps its own copy of each content: one given again later is known', () => {
    const memory = new IndexScanMemory(1, 1)
    const given = Buffer.from('musl', 'latin1')
    expect(memory.key(memory.values, given)).toBe(0)
    given.fill(0x78)
    expect(memory.key(memory.values, Buffer.from('zlib'))).toBe(1)
    expect(memory.key(memory.values, Buffer.from('musl'))).toBe(0)
    expect(memory.added).toBe(false)
    expect(memory.key(memory.values, given)).toBe(2)
    expect(memory.added).toBe(true)
  })

  // With FNV-1a's fixed offset, tokens whose hashes share their low 24 bits are cheap to make
  // (a meet in the middle over three bytes each side), and every one of them probed the same
  // chain: a hostile index of them took 5.5 s for 500 KB, growing with the square. FNV-1a from a
  // random start, which came next, failed one start in 128 (those whose low 7 bits are the
  // offset's, 0x45 or 0xc5: a full test run met one); the start is now a polynomial's point.
  it('keeps probes short for contents made to collide under FNV-1a, whatever the seed', () => {
    const tokens = lowBitsCollisions(5000)
    expect(new Set(tokens.map((t) => fnv1a(t) & 0xffffff)).size).toBe(1)
    const seeds = [0, 1, 0x811c9dc5, 0x7072f845, 0x416fcd45, 0xc5, 0x45, 0xffffffff]
    for (let i = 0; i < 120; i++) seeds.push((crypto.randomBytes(4).readUInt32LE(0) & ~0x7f) | 0x45)
    const long: string[] = []
    for (const seed of seeds) {
      const memory = new IndexScanMemory(tokens.length, tokens.length, undefined, seed)
      for (const token of tokens) memory.key(memory.values, Buffer.from(token, 'latin1'))
      expect(memory.count(memory.values)).toBe(tokens.length)
      const probes = memory.probeCount(memory.values)
      if (probes >= tokens.length * 4) long.push(`seed ${seed.toString(16)}: ${probes} probes`)
    }
    expect(long).toEqual([])
    // And through an index: the same tokens in D: lines fill the table of tokens.
    const C = 'Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA='
    const scan = new IndexScanMemory(16, 16)
    scan.scan(Buffer.from(`C:${C}\nP:a\nV:1\nD:${tokens.join(' ')}\n\n`, 'latin1'))
    expect(scan.count(scan.tokens)).toBe(tokens.length)
    expect(scan.probeCount(scan.tokens)).toBeLessThan(tokens.length * 4)
  })
})

// The scan parses a token itself when it is plain, and leaves any other to parseDependency: for
// each of these, alone on a D: line, the table must hold what parseDependency makes of it (or
// nothing, when it throws: a malformed token ends its line's list).
describe('dependency tokens, as the scan reads them', () => {
  const tokens = [
    'musl',
    'so:libc.musl-x86_64.so.1',
    'a>=1.2.3',
    'a=1.0_rc1-r2',
    '!b',
    '!b<2',
    'c<2',
    'd~1.2',
    'e>=1a',
    'e=1a_p2',
    'f=1a.2',
    'g=1_pre',
    'g=1_prefoo',
    'g=1_p1_p2',
    'g=1_alpha_beta3',
    'g=1_cvs_svn_git_hg',
    'h=',
    'h>=',
    'i><Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=',
    'i<>1',
    'j@tag=1',
    'j@tag',
    'k=1-r',
    'k=1-r0-r1',
    'k=1-r0a',
    'l=.1',
    'l=1..2',
    'l=1.',
    'm=99999999999999999999.0000001',
    'm=1.05-r0',
    'n=1~abc',
    'n=1_rc1~abc',
    '=1',
    '!',
    '!=1',
    'o=1_',
    'o=1-',
    'p=1A',
    'p=a1',
    'q=1.2.3b',
    'q=1b-r1',
    'q=1bc',
    'caf\u00e9=1',
    'r=1\u00e9',
    'cmd:py=3.12.12-r0',
    'pc:libffi=3.4.8',
    's>1<2',
    's=~1'
  ]
  const C = (i: number) => `Q1${String(i).padStart(27, 'A')}=`

  it('gives what parseDependency gives, token by token', () => {
    const text = tokens.map((t, i) => `C:${C(i)}\nP:pkg${i}\nV:1\nD:${t}\n\n`).join('')
    const table = readIndexTable(Buffer.from(text, 'utf8'), { url: 'test', index: 0 })
    expect(table.count).toBe(tokens.length)
    tokens.forEach((token, row) => {
      let expected: unknown[]
      try {
        expected = [parseDependency(token)]
      } catch (error) {
        if (!(error instanceof FormatError)) throw error
        expected = []
      }
      expect([token, table.dependencies(row, DEPENDS)]).toEqual([token, expected])
    })
  })

  it('parses the plain ones itself, and leaves the others', () => {
    const memory = new IndexScanMemory(64, 64)
    const plain = ['a>=1.2.3', 'a=1.0_rc1-r2', '!b', 'e>=1a', 'g=1_p1_p2', 'm=1.05-r0', 'musl']
    const others = ['f=1a.2', 'j@tag=1', 'h=', 'i><Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=', 'caf\u00e9=1']
    const line = [...plain, ...others].join(' ')
    memory.scan(Buffer.from(`C:${C(0)}\nP:a\nV:1\nD:${line}\n\n`, 'utf8'))
    const statuses = [...plain, ...others].map(
      (_, k) => memory.i32[(memory.infosAt >>> 2) + k * 3] & 0xff
    )
    expect(statuses).toEqual([...plain.map(() => 0), ...others.map(() => 1)])
  })
})

describe("the scan's rows", () => {
  // Found by a test of the command line's output: rows past the first 256 of one piece grew the
  // row arrays, and the rows kept so far were forgotten (a real index's piece holds about 80).
  it('keeps every row of a piece with more stanzas than its first room, and drops a copy', () => {
    const C = (i: number) => `Q1${crypto.createHash('sha1').update(String(i)).digest('base64')}`
    const stanzas = Array.from({ length: 700 }, (_, i) => `C:${C(i)}\nP:p${i}\nV:1\n\n`)
    // An identity met before (a copy of stanza 10) is dropped, before and after the growth.
    stanzas.splice(100, 0, stanzas[10])
    stanzas.splice(500, 0, stanzas[10])
    const text = stanzas.join('')
    expect(text.length).toBeLessThan(64 * 1024)
    const table = readIndexTable(Buffer.from(text), { url: 'test', index: 0 })
    expect(table.count).toBe(700)
    const names = Array.from({ length: table.count }, (_, row) => table.name(row))
    expect(names).toEqual(Array.from({ length: 700 }, (_, i) => `p${i}`))
    expect(table.checksum(699)).toBe(C(699))
  })
})

describe("the scan's memory", () => {
  it('stops at its limit with a ScanLimitError, not a trap', () => {
    const memory = new IndexScanMemory(16, 16, 4 * 1024 * 1024)
    // 600,000 distinct tokens: about 20 MiB of tables.
    const tokens = Array.from({ length: 600000 }, (_, i) => `t${i.toString(36)}`)
    const text = `C:Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=\nP:a\nV:1\nD:${tokens.join(' ')}\n\n`
    let error: unknown
    try {
      memory.scan(Buffer.from(text))
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(ScanLimitError)
    expect(error).toBeInstanceOf(FormatError)
    expect((error as Error).message).toMatch(
      /^reading it took more than 4 MiB for its tables of distinct names, versions and dependencies \(\d+ values, \d+ tokens so far\)/
    )
  })
})

// Found by a differential fuzz against the JavaScript scan: the memory grew by the pages each
// allocation needed, and the area for values the caller keys itself by exactly the length asked
// for, so tokens with ever longer names (tagged, or not ASCII) grew it once per 64 KB of them;
// with a large heap, V8 collects at every growth: 28 MB of such an index took 45 s (3 s before).
describe("the scan's memory growth", () => {
  it('grows a few dozen times at most, by half again each time', () => {
    const C = (i: number) => `Q1${String(i).padStart(27, 'A')}=`
    const stanzas: string[] = []
    for (let i = 0; i < 400; i++) {
      const name = 'a'.repeat(2000 + i * 40)
      const tokens = Array.from({ length: 200 }, (_, j) => `t${i}-${j}`).join(' ')
      stanzas.push(`C:${C(i)}\nP:p${i}\nV:1\nD:${name}@t ${tokens}\n\n`)
    }
    const text = Buffer.from(stanzas.join(''))
    const memory = new IndexScanMemory(16, 16)
    let at = 0
    while (at < text.length) {
      const end = text.indexOf('\n\n', at) + 2
      memory.scan(text.subarray(at, end))
      // What the caller does for a token it parses itself: keys its name.
      const token = /D:(a+)@t/.exec(text.subarray(at, end).toString())?.[1] as string
      memory.key(memory.values, Buffer.from(token))
      at = end
    }
    expect(memory.count(memory.tokens)).toBe(400 * 201)
    expect(memory.growCount).toBeLessThanOrEqual(30)
  })

  it('refuses an index past MAX_DISTINCT tokens or values, naming it', () => {
    const C = (i: number) => `Q1${String(i).padStart(27, 'A')}=`
    const tokens = (i: number) => Array.from({ length: 100 }, (_, j) => `x${i}.${j}`).join(' ')
    const text = Array.from({ length: 30 }, (_, i) => `C:${C(i)}\nP:p${i}\nV:1\nD:${tokens(i)}\n\n`)
    const repo = { url: 'https://mirror.example/alpine/main', index: 0 }
    expect(readIndexTable(Buffer.from(text.join('')), repo, 5000).count).toBe(30)
    let error: unknown
    try {
      readIndexTable(Buffer.from(text.join('')), repo, 1000)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(ScanLimitError)
    expect((error as Error).message).toMatch(
      /^index of https:\/\/mirror\.example\/alpine\/main is refused: it holds more than 1000 distinct (names and versions|dependency tokens) \(\d+ and \d+ so far; .*\), which no real repository's index does\. Check the repository URL\.$/
    )
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
