/**
 * The accounts and os-release written into a finished root, on real folders: existing files
 * are kept, and a package-shipped symlink on the way is refused with advice that works.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import type { RootTree } from '../src/apk/types.js'
import { BuildError } from '../src/assemble/errors.js'
import { alpineRelease, finishRootfs } from '../src/assemble/rootfs.js'

let work: string

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-rootfs-'))
})

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true })
})

/** A root whose etc/passwd is a symlink to the host's, as package `evil-passwd` ships it. */
function rootWithPasswdLink(name: string): { root: string; tree: RootTree; outside: string } {
  const root = path.join(work, name)
  const outside = path.join(work, `${name}-host-passwd`)
  fs.mkdirSync(path.join(root, 'etc'), { recursive: true })
  fs.writeFileSync(outside, 'host:x:0:0::/:/bin/sh\n')
  fs.symlinkSync(outside, path.join(root, 'etc/passwd'))
  const tree: RootTree = new Map([
    ['etc', { type: 'directory', mode: 0o755, uid: 0, gid: 0, owner: 'alpine-baselayout' }],
    [
      'etc/passwd',
      { type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname: outside, owner: 'evil-passwd' }
    ]
  ])
  return { root, tree, outside }
}

describe('finishRootfs', () => {
  it('writes accounts, the nonroot home and os-release', async () => {
    const root = path.join(work, 'plain')
    fs.mkdirSync(root)
    const tree: RootTree = new Map()
    await finishRootfs(root, tree, { user: 'nonroot', alpineVersion: '3.22.2' })
    expect(fs.readFileSync(path.join(root, 'etc/passwd'), 'utf8')).toBe(
      'root:x:0:0:root:/root:/sbin/nologin\n' +
        'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n'
    )
    expect(tree.get('home/nonroot')).toMatchObject({ type: 'directory', uid: 65532 })
    expect(fs.readFileSync(path.join(root, 'etc/os-release'), 'utf8')).toContain(
      'VERSION_ID=3.22.2'
    )
    expect(fs.readFileSync(path.join(root, 'etc/alpine-release'), 'utf8')).toBe('3.22.2\n')
  })

  // It was decoded as UTF-8 and written back: Jos\xe9 became Jos\uFFFD.
  it("appends to a package's passwd and group byte for byte, whatever their encoding", async () => {
    const root = path.join(work, 'latin1')
    fs.mkdirSync(path.join(root, 'etc'), { recursive: true })
    const passwd = Buffer.from('root:x:0:0:Jos\xe9:/root:/bin/sh', 'latin1')
    const group = Buffer.from('root:x:0:\xe9\n', 'latin1')
    fs.writeFileSync(path.join(root, 'etc/passwd'), passwd)
    fs.writeFileSync(path.join(root, 'etc/group'), group)
    const tree: RootTree = new Map([
      ['etc/passwd', { type: 'file', mode: 0o644, uid: 0, gid: 0 }],
      ['etc/group', { type: 'file', mode: 0o644, uid: 0, gid: 0 }]
    ])
    await finishRootfs(root, tree, { user: 'nonroot' })
    const after = fs.readFileSync(path.join(root, 'etc/passwd'))
    expect(after.subarray(0, passwd.length).equals(passwd)).toBe(true)
    expect(after.subarray(passwd.length).toString()).toBe(
      '\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n'
    )
    const groupAfter = fs.readFileSync(path.join(root, 'etc/group'))
    expect(groupAfter.subarray(0, group.length).equals(group)).toBe(true)
  })

  it('writes no VERSION_ID and no alpine-release when the release is unknown', async () => {
    const root = path.join(work, 'unknown')
    fs.mkdirSync(root)
    await finishRootfs(root, new Map(), { user: 'root' })
    expect(fs.readFileSync(path.join(root, 'etc/os-release'), 'utf8')).not.toContain('VERSION_ID')
    expect(fs.existsSync(path.join(root, 'etc/alpine-release'))).toBe(false)
  })

  it.each(['nonroot', 'root'])(
    'refuses a package-shipped /etc/passwd symlink (user %s), naming the package to leave out',
    async (user) => {
      const { root, tree, outside } = rootWithPasswdLink(`link-${user}`)
      const error = await finishRootfs(root, tree, { user }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(BuildError)
      const message = (error as Error).message
      expect(message).toContain('/etc/passwd is a symlink shipped by package evil-passwd')
      expect(message).toContain('Leave evil-passwd out of the image')
      // `user: root` does not help: root's account is written for every user.
      expect(message).not.toContain('user: root')
      expect(fs.readFileSync(outside, 'utf8')).toBe('host:x:0:0::/:/bin/sh\n')
    }
  )
})

describe('alpineRelease', () => {
  const alpineKey = 'alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub'
  const none = { indexes: [], repositories: [], packages: [] }

  it.each([
    ['v3.22.2-206-g0123abc', undefined, '3.22.2'],
    ['v3.19.1', undefined, '3.19.1'],
    ['v3.20', undefined, '3.20'],
    // A release repository's DESCRIPTION has no v: trusted when Alpine signed the index.
    ['3.19.1', alpineKey, '3.19.1'],
    ['3.19.1-643-gdeadbeef', alpineKey, '3.19.1'],
    ['3.19.1', 'builder@example.com-61a2b3c4.rsa.pub', undefined],
    ['my packages', alpineKey, undefined],
    ['', alpineKey, undefined]
  ])('reads DESCRIPTION %j signed by %s as %s', (description, signer, release) => {
    expect(alpineRelease({ ...none, indexes: [{ description, signer }] })).toBe(release)
  })

  it('falls back to the alpine-release or alpine-base package, then to a branch URL', () => {
    const packages = [
      { name: 'musl', version: '1.2.4_git20230717-r4' },
      { name: 'alpine-base', version: '3.19.0-r0' },
      { name: 'alpine-release', version: '3.19.1-r0' }
    ]
    expect(alpineRelease({ ...none, packages })).toBe('3.19.1')
    expect(alpineRelease({ ...none, packages: packages.slice(0, 2) })).toBe('3.19.0')
    expect(
      alpineRelease({
        ...none,
        packages: [{ name: 'alpine-base', version: '3.21_alpha20240923-r0' }]
      })
    ).toBe('3.21_alpha20240923')
    const repositories = ['https://dl-cdn.alpinelinux.org/alpine/v3.22/main']
    expect(alpineRelease({ ...none, repositories })).toBe('3.22')
    expect(alpineRelease({ ...none, packages, repositories })).toBe('3.19.1')
    expect(
      alpineRelease({ ...none, repositories: ['https://example.com/edge/main'] })
    ).toBeUndefined()
  })
})
