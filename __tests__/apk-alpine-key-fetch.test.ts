/**
 * Fetching one of Alpine's keys while an index verifies, against servers on 127.0.0.1: a
 * downloaded key that is not PEM or not the pinned one is a key problem ("signing key not
 * trusted"), not an index problem; and a dead keys URL is tried once before the fallback (the
 * `alpine-keys` package of a configured repository), not retried for seconds. A key fetched
 * once is kept in the cache folder, and used again only while it matches its pin.
 */
import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import * as zlib from 'node:zlib'
import { errorTitle } from '../src/action/main.js'
import { IndexSignatureError, openRepositories, UntrustedKeyError } from '../src/apk/engine.js'
import { buildApk } from './support/apk-builder.js'
import { rejection } from './support/failures.js'
import { startServer, type TestServer } from './support/http-server.js'
import { generateSigningKey } from './support/keys.js'
import { muslPackage } from './support/packages.js'
import { buildRepository } from './support/repo-builder.js'
import { FIXTURES, haveShared, SHARED } from './support/shared.js'

const ALPINE_KEY = 'alpine-devel@lists.alpinelinux.org-4a6a0840.rsa.pub'

let work: string
let repo: TestServer
let keys: TestServer

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-alpine-key-'))
  // Signed by a key that claims one of Alpine's names but is not Alpine's.
  const impostor = generateSigningKey(ALPINE_KEY)
  const musl = buildApk(muslPackage(), impostor)
  buildRepository(path.join(work, 'repo'), 'x86_64', [musl], impostor)
  fs.mkdirSync(path.join(work, 'keys'))
  fs.writeFileSync(path.join(work, 'keys', ALPINE_KEY), impostor.publicKeyPem)
  fs.writeFileSync(path.join(work, 'keys', 'not-pem'), '<html>a login page</html>')
  repo = await startServer({ root: path.join(work, 'repo') })
  keys = await startServer({ root: path.join(work, 'keys') })
})

afterAll(async () => {
  await repo?.close()
  await keys?.close()
  if (work) fs.rmSync(work, { recursive: true, force: true })
})

beforeEach(() => {
  repo.requests.length = 0
  keys.requests.length = 0
  keys.clearFaults()
})

function open(alpineKeysUrl: string) {
  return openRepositories({ arch: 'x86_64', repositories: [repo.url], alpineKeysUrl })
}

describe('a downloaded Alpine key that cannot be trusted', () => {
  it('with another fingerprint than the pin: signing key not trusted', async () => {
    const error = await rejection(open(`${keys.url}/`))
    expect(error).toBeInstanceOf(UntrustedKeyError)
    expect(error.message).toMatch(/is signed by .*4a6a0840.*could not be trusted.*pinned to/)
    expect(errorTitle(error)).toBe('witchery: signing key not trusted')
  })

  it('that is not a PEM public key: signing key not trusted', async () => {
    keys.fault('4a6a0840.rsa.pub', { redirect: `${keys.url}/not-pem` })
    const error = await rejection(open(`${keys.url}/`))
    expect(error).toBeInstanceOf(UntrustedKeyError)
    expect(error.message).toMatch(/not an RSA public key in PEM form/)
    expect(errorTitle(error)).toBe('witchery: signing key not trusted')
  })
})

describe('a dead Alpine keys URL', () => {
  it('is asked once, then the alpine-keys package of the repository is looked for', async () => {
    keys.fault('4a6a0840.rsa.pub', { status: 503 }, Infinity)
    const error = await rejection(open(`${keys.url}/`))
    // Neither source has the key: the index stays untrusted.
    expect(error).toBeInstanceOf(IndexSignatureError)
    expect(keys.requests.map((r) => [decodeURIComponent(r.path), r.status])).toEqual([
      [`/${ALPINE_KEY}`, 503]
    ])
    // The index again, read for its alpine-keys package (this repository has none).
    expect(repo.requests.filter((r) => r.path.endsWith('APKINDEX.tar.gz'))).toHaveLength(2)
  })
})

// Its index is not verified (the key is what is looked for): what the package claims was once
// trusted for the inflate, and 714 KB claiming 700 MiB took 1.4 GiB.
describe('an alpine-keys package that is not what it claims', () => {
  it('is inflated to 4 MiB at most, and one over 1 MiB is not read', async () => {
    keys.fault('4a6a0840.rsa.pub', { status: 503 }, Infinity)
    const impostor = generateSigningKey(ALPINE_KEY)
    const zeros = 64 * 1024 * 1024
    const bomb = buildApk(
      { name: 'alpine-keys', version: '1-r0', files: [], installedSize: zeros },
      impostor,
      {
        dataMember: {
          member: zlib.gzipSync(Buffer.alloc(zeros), { level: 9 }),
          tar: Buffer.alloc(0)
        }
      }
    )
    const large = buildApk(
      {
        name: 'alpine-keys',
        version: '2-r0',
        files: [{ path: 'etc/apk/keys/filler', content: crypto.randomBytes(1536 * 1024) }]
      },
      impostor
    )
    for (const [name, apk, said] of [
      ['bomb', bomb, /alpine-keys-1-r0: .*inflates to more than 4194304 bytes/],
      ['large', large, /at most 1048576 bytes are taken for an alpine-keys package/]
    ] as const) {
      buildRepository(path.join(work, name), 'x86_64', [apk], impostor)
      const server = await startServer({ root: path.join(work, name) })
      const debug: string[] = []
      try {
        const error = await rejection(
          openRepositories({
            arch: 'x86_64',
            repositories: [server.url],
            alpineKeysUrl: `${keys.url}/`,
            logger: { info: () => {}, warning: () => {}, debug: (m) => debug.push(m) }
          })
        )
        expect(error).toBeInstanceOf(IndexSignatureError)
        expect(server.requests.map((r) => r.path)).toContain(`/x86_64/${apk.fileName}`)
        expect(debug.join('\n')).toMatch(/no key .* from alpine-keys in/)
        expect(debug.join('\n')).toMatch(said)
      } finally {
        await server.close()
      }
    }
    // From a local repository, the file's size is looked at before it is read.
    const debug: string[] = []
    const local = await rejection(
      openRepositories({
        arch: 'x86_64',
        repositories: [path.join(work, 'large')],
        alpineKeysUrl: `${keys.url}/`,
        logger: { info: () => {}, warning: () => {}, debug: (m) => debug.push(m) }
      })
    )
    expect(local).toBeInstanceOf(IndexSignatureError)
    expect(debug.join('\n')).toMatch(
      /the alpine-keys package .*alpine-keys-2-r0\.apk is \d+ bytes, more than 1048576/
    )
  })
})

;(haveShared() ? describe : describe.skip)('Alpine keys kept in the cache folder', () => {
  const REAL_KEY = 'alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub'
  const OTHER_KEY = 'alpine-devel@lists.alpinelinux.org-61666e3f.rsa.pub'
  const keyBytes = (name: string) => fs.readFileSync(path.join(SHARED, 'alpine-keys', name))

  it('verify a warm run without asking for the key; a kept file that is not the pinned key is fetched again', async () => {
    // Alpine's real release index, signed by 6165ee59, and Alpine's real public keys.
    const real = await startServer({ root: path.join(FIXTURES, 'real-alpine/v3.19.1') })
    const alpineKeys = await startServer({ root: path.join(SHARED, 'alpine-keys') })
    const cacheDir = path.join(work, 'cache')
    const kept = path.join(cacheDir, 'indexes', 'keys', REAL_KEY)
    const openReal = () =>
      openRepositories({
        arch: 'x86_64',
        repositories: [real.url],
        alpineKeysUrl: `${alpineKeys.url}/`,
        cacheDir
      })
    const asked = () => alpineKeys.requests.map((r) => decodeURIComponent(r.path))
    try {
      expect((await openReal()).indexes[0].signer).toBe(REAL_KEY)
      expect(asked()).toEqual([`/${REAL_KEY}`])
      expect(fs.readFileSync(kept)).toEqual(keyBytes(REAL_KEY))

      // Warm: the keys URL is down, and not even asked.
      alpineKeys.requests.length = 0
      alpineKeys.fault('6165ee59', { status: 503 }, Infinity)
      expect((await openReal()).indexes[0].signer).toBe(REAL_KEY)
      expect(asked()).toEqual([])

      // A kept file holding another genuine Alpine key: not used, fetched again and replaced.
      alpineKeys.clearFaults()
      fs.writeFileSync(kept, keyBytes(OTHER_KEY))
      expect((await openReal()).indexes[0].signer).toBe(REAL_KEY)
      expect(asked()).toEqual([`/${REAL_KEY}`])
      expect(fs.readFileSync(kept)).toEqual(keyBytes(REAL_KEY))
    } finally {
      await real.close()
      await alpineKeys.close()
    }
  })
})
