import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ArchiveWriter } from '../src/oci/archive.js'

/** Streams `content` into the archive in pieces, as a layer does, named once it is written. */
function blobOf(archive: ArchiveWriter, name: string, content: Buffer) {
  return archive.blob(async (write) => {
    for (let at = 0; at < content.length; at += 1000) await write(content.subarray(at, at + 1000))
    return name
  })
}

describe('ArchiveWriter', () => {
  let work: string
  beforeEach(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-archive-'))
  })
  afterEach(() => fs.rmSync(work, { recursive: true, force: true }))

  it('writes streamed blobs with their header after them, each name once, as tar reads it', async () => {
    const file = path.join(work, 'a.tar')
    const archive = await ArchiveWriter.create(file, 1700000000)
    const first = Buffer.alloc(5000, 'a')
    const second = Buffer.alloc(1234, 'b')
    await archive.directory('blobs')
    expect(await blobOf(archive, 'blobs/one', first)).toBe(5000)
    expect(await blobOf(archive, 'blobs/two', second)).toBe(1234)
    // The same name again (a layer two platforms share): cut off, not written twice.
    expect(await blobOf(archive, 'blobs/one', first)).toBe(5000)
    await archive.file('index.json', Buffer.from('{}'))
    await archive.file('index.json', Buffer.from('{"again":true}'))
    const size = await archive.close()
    expect(fs.statSync(file).size).toBe(size)

    // `tar -tv`: mode, owner/group, size, date, time, name.
    const listing = execFileSync('tar', ['-tvf', file], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((line) => line.split(/\s+/))
      .map((fields) => [fields[2], fields[5]])
    expect(listing).toEqual([
      ['0', 'blobs/'],
      ['5000', 'blobs/one'],
      ['1234', 'blobs/two'],
      ['2', 'index.json']
    ])
    const out = path.join(work, 'out')
    fs.mkdirSync(out)
    execFileSync('tar', ['-xf', file, '-C', out])
    expect(fs.readFileSync(path.join(out, 'blobs/one')).equals(first)).toBe(true)
    expect(fs.readFileSync(path.join(out, 'blobs/two')).equals(second)).toBe(true)
    expect(fs.readFileSync(path.join(out, 'index.json'), 'utf8')).toBe('{}')
  })

  it('writes nothing over an existing file', async () => {
    const file = path.join(work, 'taken.tar')
    fs.writeFileSync(file, 'mine')
    await expect(ArchiveWriter.create(file, 0)).rejects.toThrow(/EEXIST/)
    expect(fs.readFileSync(file, 'utf8')).toBe('mine')
  })
})
