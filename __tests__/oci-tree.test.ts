/**
 * Layer entries from the engine's RootTree and from a host folder: metadata from the tree (never
 * the host), git-style modes for the app, symlinks kept as written, special files refused.
 */
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { ImageSpecError, UnsupportedFileError } from '../src/oci/errors.js'
import type { RootTree } from '../src/apk/types.js'
import { scanDirectory, treeToLayerEntries } from '../src/oci/tree.js'
import { findArch, type ArchInfo } from '../src/arch.js'
import { checkApp } from '../src/assemble/app.js'

let work: string

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-oci-tree-'))
})

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true })
})

describe('treeToLayerEntries', () => {
  it('takes owners, modes and links from the tree and content from the root', () => {
    const tree: RootTree = new Map([
      ['', { type: 'directory', mode: 0o755, uid: 0, gid: 0 }],
      ['etc', { type: 'directory', mode: 0o755, uid: 0, gid: 0 }],
      ['etc/shadow', { type: 'file', mode: 0o640, uid: 0, gid: 42, owner: 'alpine-baselayout' }],
      [
        'bin/ping',
        {
          type: 'file',
          mode: 0o4755,
          uid: 0,
          gid: 0,
          xattrs: new Map([['security.capability', Buffer.from([1])]])
        }
      ],
      [
        'etc/ssl/cert.pem',
        { type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname: 'certs/ca-certificates.crt' }
      ],
      ['usr/bin/ping6', { type: 'hardlink', mode: 0o4755, uid: 0, gid: 0, linkname: '/bin/ping' }]
    ])
    expect(treeToLayerEntries('/root/dir', tree)).toEqual([
      { path: 'etc', type: 'directory', mode: 0o755, uid: 0, gid: 0 },
      {
        path: 'etc/shadow',
        type: 'file',
        mode: 0o640,
        uid: 0,
        gid: 42,
        source: '/root/dir/etc/shadow'
      },
      {
        path: 'bin/ping',
        type: 'file',
        mode: 0o4755,
        uid: 0,
        gid: 0,
        source: '/root/dir/bin/ping',
        xattrs: new Map([['security.capability', Buffer.from([1])]])
      },
      {
        path: 'etc/ssl/cert.pem',
        type: 'symlink',
        mode: 0o777,
        uid: 0,
        gid: 0,
        linkname: 'certs/ca-certificates.crt'
      },
      {
        path: 'usr/bin/ping6',
        type: 'hardlink',
        mode: 0o4755,
        uid: 0,
        gid: 0,
        linkname: 'bin/ping'
      }
    ])
  })
})

describe('scanDirectory', () => {
  let app: string

  beforeAll(() => {
    app = path.join(work, 'app')
    fs.mkdirSync(path.join(app, 'lib/private'), { recursive: true })
    fs.writeFileSync(path.join(app, 'server'), 'bin')
    fs.chmodSync(path.join(app, 'server'), 0o700)
    fs.writeFileSync(path.join(app, 'config.json'), '{}')
    fs.chmodSync(path.join(app, 'config.json'), 0o666)
    fs.writeFileSync(path.join(app, 'lib/private/key'), 'k')
    fs.chmodSync(path.join(app, 'lib/private/key'), 0o600)
    fs.chmodSync(path.join(app, 'lib/private'), 0o700)
    fs.symlinkSync('../../etc/passwd', path.join(app, 'lib/escape'))
    fs.symlinkSync('server', path.join(app, 'run'))
  })

  it('places a folder at dest with git-style modes and symlinks as written', async () => {
    const entries = await scanDirectory(app, '/srv/app/')
    expect(
      entries.map((e) => [e.path, e.type, e.mode.toString(8), e.uid, e.gid, e.linkname ?? e.source])
    ).toEqual([
      ['srv/app', 'directory', '755', 0, 0, undefined],
      ['srv/app/config.json', 'file', '644', 0, 0, path.join(app, 'config.json')],
      ['srv/app/lib', 'directory', '755', 0, 0, undefined],
      ['srv/app/lib/escape', 'symlink', '777', 0, 0, '../../etc/passwd'],
      ['srv/app/lib/private', 'directory', '755', 0, 0, undefined],
      ['srv/app/lib/private/key', 'file', '644', 0, 0, path.join(app, 'lib/private/key')],
      ['srv/app/run', 'symlink', '777', 0, 0, 'server'],
      ['srv/app/server', 'file', '755', 0, 0, path.join(app, 'server')]
    ])
  })

  it('gives every entry the owner asked for', async () => {
    const entries = await scanDirectory(app, 'app', { uid: 65532, gid: 65533 })
    expect(new Set(entries.map((e) => `${e.uid}:${e.gid}`))).toEqual(new Set(['65532:65533']))
  })

  it('places the contents at the root when dest is empty', async () => {
    const entries = await scanDirectory(path.join(app, 'lib'), '')
    expect(entries.map((e) => e.path)).toEqual(['escape', 'private', 'private/key'])
  })

  it('places a single file as dest, following a symlink the user named', async () => {
    expect(await scanDirectory(path.join(app, 'run'), 'usr/bin/server')).toEqual([
      {
        path: 'usr/bin/server',
        type: 'file',
        mode: 0o755,
        uid: 0,
        gid: 0,
        source: fs.realpathSync(path.join(app, 'server'))
      }
    ])
    await expect(scanDirectory(path.join(app, 'server'), '/')).rejects.toThrow(ImageSpecError)
  })

  it('makes a single file 0755 even without an exec bit: it is the app to run', async () => {
    const plain = path.join(work, 'downloaded-app')
    fs.writeFileSync(plain, 'app\n')
    fs.chmodSync(plain, 0o644)
    const [entry] = await scanDirectory(plain, 'usr/bin/app')
    expect(entry).toMatchObject({ path: 'usr/bin/app', type: 'file', mode: 0o755 })
  })

  it('refuses a FIFO in the folder', async () => {
    const odd = path.join(work, 'odd')
    fs.mkdirSync(odd)
    execFileSync('mkfifo', [path.join(odd, 'pipe')])
    await expect(scanDirectory(odd, 'app')).rejects.toThrow(UnsupportedFileError)
    await expect(scanDirectory(odd, 'app')).rejects.toThrow(/pipe' is a socket, FIFO or device/)
  })

  // Node gave back the name with U+FFFD in it, which names no file: it failed as ENOENT.
  it('refuses a name that is not UTF-8, naming it', async () => {
    const odd = Buffer.from(path.join(work, 'latin1'))
    fs.mkdirSync(odd)
    fs.writeFileSync(Buffer.concat([odd, Buffer.from('/caf\xe9.txt', 'latin1')]), 'x')
    const folder = odd.toString()
    await expect(scanDirectory(folder, 'app')).rejects.toThrow(UnsupportedFileError)
    await expect(scanDirectory(folder, 'app')).rejects.toThrow(
      /latin1\/caf\u00e9\.txt' has a name that is not UTF-8, which an image cannot name portably; rename it/
    )
    await expect(checkApp(folder, findArch('x86_64') as ArchInfo)).rejects.toThrow(
      /^app: '.*caf\u00e9\.txt' has a name that is not UTF-8/
    )
  })

  it('fails with the path when the folder is missing', async () => {
    await expect(scanDirectory(path.join(work, 'missing'), 'app')).rejects.toThrow(
      /ENOENT.*missing/
    )
  })
})
