/**
 * The command line's code cache (src/code-cache.ts): real scripts compiled by this process's V8
 * with entries written and read in real folders, and entries it must not trust (another's, one
 * others may write, a link, a FIFO, a huge file, garbage). The program's use of it, end to end,
 * is in cli.test.ts.
 */
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import * as v8 from 'node:v8'
import {
  CODE_CACHE_VARIABLE,
  KEEP,
  MAX_ENTRY,
  codeCacheFolder,
  compileCached,
  entryName,
  readEntry,
  writeEntry
} from '../src/code-cache.js'

let work: string
let folder: string

beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-code-cache-'))
  folder = path.join(work, 'cache', 'code')
})

afterEach(() => {
  fs.rmSync(work, { recursive: true, force: true })
})

/** A CommonJS script that requires a built-in and a file beside it, and exports what it made. */
function writeScript(name = 'main.js', salt = 'a'): string {
  const dir = path.join(work, 'app')
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, 'helper.js'), 'exports.twice = (n) => 2 * n\n')
  const file = path.join(dir, name)
  fs.writeFileSync(
    file,
    [
      '#!/usr/bin/env node',
      "const { twice } = require('./helper.js')",
      "const path = require('node:path')",
      'function work(n) { let s = 0; for (let i = 0; i < n; i++) s += twice(i); return s }',
      `module.exports = { sum: work(100), base: path.basename(__filename), dir: __dirname, salt: '${salt}' }`,
      ''
    ].join('\n')
  )
  return file
}

/** The one entry in the cache folder. */
function onlyEntry(): string {
  const names = fs.readdirSync(folder)
  expect(names).toHaveLength(1)
  return path.join(folder, names[0])
}

describe('where the cache is', () => {
  const home = () => '/home/u'

  it('follows WITCHERY_CODE_CACHE, XDG_CACHE_HOME and each system', () => {
    expect(codeCacheFolder({}, 'linux', home)).toBe('/home/u/.cache/witchery/code')
    expect(codeCacheFolder({ XDG_CACHE_HOME: '/x' }, 'linux', home)).toBe('/x/witchery/code')
    // A relative XDG_CACHE_HOME is invalid (the XDG spec) and ignored.
    expect(codeCacheFolder({ XDG_CACHE_HOME: 'x' }, 'linux', home)).toBe(
      '/home/u/.cache/witchery/code'
    )
    expect(codeCacheFolder({}, 'darwin', home)).toBe('/home/u/Library/Caches/witchery/code')
    expect(codeCacheFolder({ [CODE_CACHE_VARIABLE]: '/c' }, 'linux', home)).toBe('/c')
    expect(codeCacheFolder({ [CODE_CACHE_VARIABLE]: 'rel' }, 'linux', home)).toBe(
      path.resolve('rel')
    )
    expect(codeCacheFolder({ [CODE_CACHE_VARIABLE]: 'off' }, 'linux', home)).toBeUndefined()
  })

  it('is off with no home to keep it in', () => {
    const none = () => {
      throw new Error('ENOENT: no home')
    }
    expect(codeCacheFolder({}, 'linux', none)).toBeUndefined()
    expect(codeCacheFolder({}, 'linux', () => '')).toBeUndefined()
    expect(codeCacheFolder({}, 'win32', home)).toBeUndefined()
  })
})

describe('an entry made and used', () => {
  it('is written by the first run and accepted by the next, which runs the same', () => {
    const file = writeScript()
    const first = compileCached(file, folder)
    expect(first.status).toBe('none')
    const made = first.run() as { sum: number; base: string; dir: string }
    expect(made).toEqual({ sum: 9900, base: 'main.js', dir: path.dirname(file), salt: 'a' })
    expect(first.save()).toBe(true)

    const entry = onlyEntry()
    expect(path.basename(entry)).toBe(entryName(fs.readFileSync(file)))
    expect(fs.statSync(entry).mode & 0o777).toBe(0o600)
    expect(fs.statSync(folder).mode & 0o777).toBe(0o700)
    const before = fs.statSync(entry)

    const second = compileCached(file, folder)
    expect(second.status).toBe('accepted')
    expect(second.run()).toEqual(made)
    // Nothing to write: the entry stays the one made first.
    expect(second.save()).toBe(false)
    const after = fs.statSync(entry)
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs])
  })

  it('keeps line numbers: an error names the line it came from', () => {
    const file = path.join(work, 'thrower.js')
    fs.writeFileSync(file, '#!/usr/bin/env node\n\n\nthrow new Error("third")\n')
    const script = compileCached(file, folder)
    expect(() => script.run()).toThrow('third')
    try {
      script.run()
    } catch (error) {
      expect((error as Error).stack).toContain(`${file}:4:`)
    }
  })

  it('is named by the content: a changed script of the same length is compiled afresh', () => {
    const file = writeScript('main.js', 'a')
    const first = compileCached(file, folder)
    first.run()
    first.save()
    writeScript('main.js', 'b')
    const changed = compileCached(file, folder)
    // V8 checks only the length, which is the same: the name is what keeps the old code out.
    expect(changed.status).toBe('none')
    expect((changed.run() as { salt: string }).salt).toBe('b')
  })

  it('an entry V8 refuses (garbage) is compiled afresh and replaced', () => {
    const file = writeScript()
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 })
    const name = entryName(fs.readFileSync(file))
    fs.writeFileSync(path.join(folder, name), Buffer.alloc(4096, 0x5a), { mode: 0o600 })
    const script = compileCached(file, folder)
    expect(script.status).toBe('rejected')
    expect((script.run() as { sum: number }).sum).toBe(9900)
    expect(script.save()).toBe(true)
    expect(compileCached(file, folder).status).toBe('accepted')
  })

  it('is not written once a V8 flag changed (every later run would refuse it)', () => {
    const file = writeScript()
    const script = compileCached(file, folder)
    script.run()
    const original = v8.cachedDataVersionTag()
    v8.setFlagsFromString('--semi-space-growth-factor=3')
    expect(script.save()).toBe(false)
    expect(fs.existsSync(folder)).toBe(false)
    // Back as it was: V8's default, or 1 where this worker ran a build (released-memory.ts).
    for (const value of [2, 1]) {
      v8.setFlagsFromString(`--semi-space-growth-factor=${value}`)
      if (v8.cachedDataVersionTag() === original) break
    }
    expect(v8.cachedDataVersionTag()).toBe(original)
    expect(script.save()).toBe(true)
    expect(compileCached(file, folder).status).toBe('accepted')
  })

  it('off: nothing read or written', () => {
    const file = writeScript()
    const script = compileCached(file, undefined)
    expect(script.status).toBe('off')
    expect((script.run() as { sum: number }).sum).toBe(9900)
    expect(script.save()).toBe(false)
    expect(fs.existsSync(folder)).toBe(false)
  })
})

describe('entries it does not trust', () => {
  /** A valid entry for a fresh script, and its path. */
  function madeEntry(): { file: string; entry: string } {
    const file = writeScript()
    const script = compileCached(file, folder)
    script.run()
    expect(script.save()).toBe(true)
    return { file, entry: onlyEntry() }
  }

  it('one others may write, or in a folder others may write', () => {
    const { file, entry } = madeEntry()
    fs.chmodSync(entry, 0o620)
    expect(compileCached(file, folder).status).toBe('none')
    fs.chmodSync(entry, 0o600)
    expect(compileCached(file, folder).status).toBe('accepted')
    fs.chmodSync(folder, 0o777)
    expect(compileCached(file, folder).status).toBe('none')
    // Nor does it write there.
    const other = writeScript('other.js')
    const script = compileCached(other, folder)
    script.run()
    expect(script.save()).toBe(false)
    expect(fs.readdirSync(folder)).toEqual([path.basename(entry)])
  })

  const root = process.getuid?.() === 0
  ;(root ? it : it.skip)('one another user owns (run as root)', () => {
    const { file, entry } = madeEntry()
    fs.chownSync(entry, 4242, 4242)
    expect(compileCached(file, folder).status).toBe('none')
    fs.chownSync(entry, 0, 0)
    fs.chownSync(folder, 4242, 4242)
    expect(compileCached(file, folder).status).toBe('none')
  })

  it('a link to a good entry, or a folder that is a link', () => {
    const { file, entry } = madeEntry()
    const kept = path.join(work, 'kept')
    fs.renameSync(entry, kept)
    fs.symlinkSync(kept, entry)
    expect(compileCached(file, folder).status).toBe('none')
    fs.rmSync(entry)
    fs.renameSync(kept, entry)
    const linked = path.join(work, 'linked')
    fs.symlinkSync(folder, linked)
    expect(compileCached(file, linked).status).toBe('none')
    expect(compileCached(file, folder).status).toBe('accepted')
  })

  it('a FIFO in its place does not hang the run; a folder there neither', () => {
    const file = writeScript()
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 })
    const name = entryName(fs.readFileSync(file))
    const fifo = path.join(folder, name)
    if (spawnMkfifo(fifo)) {
      expect(readEntry(folder, name)).toBeUndefined()
      fs.rmSync(fifo)
    }
    fs.mkdirSync(fifo, { mode: 0o700 })
    expect(readEntry(folder, name)).toBeUndefined()
  })

  it('one past MAX_ENTRY is not read (its size is not believed into memory)', () => {
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 })
    const huge = path.join(folder, 'huge.v8cache')
    fs.writeFileSync(huge, '', { mode: 0o600 })
    fs.truncateSync(huge, MAX_ENTRY + 1)
    const before = process.memoryUsage().arrayBuffers
    expect(readEntry(folder, 'huge.v8cache')).toBeUndefined()
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(MAX_ENTRY)
    fs.truncateSync(huge, 0)
    expect(readEntry(folder, 'huge.v8cache')).toBeUndefined()
  })
})

describe('writing', () => {
  it('where it cannot (a file in the folder’s way): false, nothing left', () => {
    fs.mkdirSync(path.dirname(folder), { recursive: true })
    fs.writeFileSync(folder, 'in the way')
    expect(writeEntry(folder, 'x.v8cache', Buffer.from('data'))).toBe(false)
    expect(fs.readFileSync(folder, 'utf8')).toBe('in the way')
    expect(fs.readdirSync(path.dirname(folder))).toEqual(['code'])
  })

  it(`keeps the ${KEEP} newest entries and removes stale temporary files only`, () => {
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 })
    const old = Date.now() / 1000 - 86400
    for (let i = 0; i < KEEP + 3; i++) {
      const file = path.join(folder, `old${i}.v8cache`)
      fs.writeFileSync(file, 'x', { mode: 0o600 })
      // old0 is the oldest.
      fs.utimesSync(file, old + i, old + i)
    }
    const stale = path.join(folder, '.0123456789abcdef.tmp')
    const fresh = path.join(folder, '.fedcba9876543210.tmp')
    fs.writeFileSync(stale, 'x')
    fs.utimesSync(stale, old, old)
    fs.writeFileSync(fresh, 'x')
    fs.writeFileSync(path.join(folder, 'README'), 'not ours')
    expect(writeEntry(folder, 'new.v8cache', Buffer.from('data'))).toBe(true)
    const left = fs.readdirSync(folder).sort()
    const kept = Array.from({ length: KEEP - 1 }, (_, i) => `old${i + 4}.v8cache`)
    expect(left).toEqual(['.fedcba9876543210.tmp', 'README', 'new.v8cache', ...kept].sort())
  })
})

/** Makes a FIFO with mkfifo(1); false where there is none. */
function spawnMkfifo(file: string): boolean {
  return spawnSync('mkfifo', [file]).status === 0
}
