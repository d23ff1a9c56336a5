/**
 * The one write guard, on real folders: a symlink or file where a folder must be, or a symlink
 * at the path itself, is refused and nothing lands outside the root.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { RootWriter, UnsafeWriteError, type Refusal } from '../src/root-writer.js'

let work: string
let root: string
let outside: string

beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-root-writer-'))
  root = path.join(work, 'root')
  outside = path.join(work, 'outside')
  fs.mkdirSync(path.join(root, 'etc'), { recursive: true })
  fs.mkdirSync(outside)
})

afterEach(() => {
  expect(fs.readdirSync(outside)).toEqual([])
  fs.rmSync(work, { recursive: true, force: true })
})

function refusalOf(act: (writer: RootWriter) => void): Refusal {
  let refusal: Refusal | undefined
  const writer = new RootWriter(root, {
    refuse: (r) => {
      refusal = r
      return new Error('refused')
    }
  })
  expect(() => act(writer)).toThrow('refused')
  return refusal as Refusal
}

describe('RootWriter', () => {
  it('writes, reads, links and settles inside the root', () => {
    const writer = new RootWriter(root)
    writer.mkdirs('usr/share/doc')
    writer.writeFile('usr/share/doc/a', 'a', { mode: 0o640, mtime: 1000 })
    writer.symlink('usr/share/doc/b', 'a')
    writer.hardlink('usr/share/doc/c', 'usr/share/doc/a')
    writer.writeFile('usr/share/doc/a', 'A2', { mode: 0o644 }, true)
    writer.settleFolder('usr/share', { mode: 0o750 })
    expect(writer.readFile('usr/share/doc/c')?.toString()).toBe('A2')
    expect(fs.statSync(path.join(root, 'usr/share')).mode & 0o7777).toBe(0o750)
    expect(fs.readlinkSync(path.join(root, 'usr/share/doc/b'))).toBe('a')
  })

  it.each<[string, (root: string, outside: string) => void, (w: RootWriter) => void, Refusal]>([
    [
      'a parent that is an absolute symlink',
      (r, o) => fs.symlinkSync(o, path.join(r, 'etc/keys')),
      (w) => w.writeFile('etc/keys/k.pub', 'key', { mode: 0o644 }),
      { rel: 'etc/keys/k.pub', at: 'etc/keys', found: 'symlink' }
    ],
    [
      'a parent that is a relative symlink climbing out',
      (r) => fs.symlinkSync('../../outside', path.join(r, 'etc/keys')),
      (w) => w.mkdir('etc/keys/sub'),
      { rel: 'etc/keys/sub', at: 'etc/keys', found: 'symlink' }
    ],
    [
      'a parent that is a file',
      (r) => fs.writeFileSync(path.join(r, 'etc/keys'), ''),
      (w) => w.writeFile('etc/keys/k.pub', 'key', { mode: 0o644 }),
      { rel: 'etc/keys/k.pub', at: 'etc/keys', found: 'file' }
    ],
    [
      'a symlink at the file itself, rewritten',
      (r, o) => fs.symlinkSync(path.join(o, 'passwd'), path.join(r, 'etc/passwd')),
      (w) => w.writeFile('etc/passwd', 'root', { mode: 0o644 }, true),
      { rel: 'etc/passwd', at: 'etc/passwd', found: 'symlink' }
    ],
    [
      'a symlink at the file itself, read',
      (r, o) => fs.symlinkSync(path.join(o, 'passwd'), path.join(r, 'etc/passwd')),
      (w) => w.readFile('etc/passwd'),
      { rel: 'etc/passwd', at: 'etc/passwd', found: 'symlink' }
    ],
    [
      'a symlink where a folder is made',
      (r, o) => fs.symlinkSync(o, path.join(r, 'home')),
      (w) => w.mkdirs('home/nonroot'),
      { rel: 'home/nonroot', at: 'home', found: 'symlink' }
    ]
  ])('refuses %s', (_, arrange, act, expected) => {
    arrange(root, outside)
    expect(refusalOf(act)).toEqual(expected)
  })

  it('a new file never replaces a symlink put at its name (O_EXCL)', () => {
    fs.symlinkSync(path.join(outside, 'x'), path.join(root, 'etc/x'))
    const writer = new RootWriter(root)
    expect(() => writer.writeFile('etc/x', 'x', { mode: 0o644 })).toThrow(/EEXIST/)
  })

  it('refuses with an UnsafeWriteError naming both paths when no refuse is given', () => {
    fs.symlinkSync(outside, path.join(root, 'etc/keys'))
    const writer = new RootWriter(root)
    expect(() => writer.writeFile('etc/keys/k', 'k', { mode: 0o644 })).toThrow(UnsafeWriteError)
    expect(() => writer.writeFile('etc/keys/k', 'k', { mode: 0o644 })).toThrow(
      /refusing to write \/etc\/keys\/k: \/etc\/keys is a symlink/
    )
  })
})
