import { execFileSync } from 'node:child_process'
import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { ALPINE_KEYS, alpineKeyPin } from '../src/apk/keys/alpine-keys.js'
import { InvalidArgumentError, UntrustedKeyError } from '../src/apk/errors.js'
import { Keyring } from '../src/apk/keys/keyring.js'
import type { RsaPublicKey } from '../src/apk/keys/rsa-key.js'
import {
  generateSigningKey,
  keyFingerprint,
  spkiFingerprint,
  writeKeysDir
} from './support/keys.js'
import { rejection, thrown } from './support/failures.js'
import { haveShared, SHARED } from './support/shared.js'

const sharedHere = haveShared()

const ALPINE_DIR = path.join(SHARED, 'alpine-keys')
const ALPINE_NAME = 'alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub'

describe('Keyring.load', () => {
  let dir: string

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-keys-'))
  })

  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

  it('loads every PEM public key of a keys dir by file name, skipping the rest', async () => {
    const a = generateSigningKey()
    const b = generateSigningKey(undefined, { fresh: true })
    const keysDir = writeKeysDir(path.join(dir, 'keys'), [a, b])
    fs.writeFileSync(path.join(keysDir, '.hidden.rsa.pub'), a.publicKeyPem)
    fs.writeFileSync(path.join(keysDir, 'README'), 'not a key\n')
    fs.writeFileSync(path.join(keysDir, 'private.pem'), a.privateKeyPem)
    fs.mkdirSync(path.join(keysDir, 'subdir.rsa.pub'))
    const keyring = await Keyring.load({ keysDir })
    expect(keyring.names()).toEqual([a.name, b.name].sort())
    expect(spkiFingerprint(keyring.get(a.name) as RsaPublicKey)).toBe(keyFingerprint(a))
    expect(spkiFingerprint(keyring.get(b.name) as RsaPublicKey)).toBe(keyFingerprint(b))
    expect(keyring.pemOf(a.name)).toBe(a.publicKeyPem)
    expect(keyring.fingerprintOf(b.name)).toBe(keyFingerprint(b))
    expect(keyring.get('README')).toBeUndefined()
    expect(await keyring.resolve(a.name)).toBe(keyring.get(a.name))
  })

  it('keeps only the public block of a key file that holds more (a private key never goes on)', async () => {
    const a = generateSigningKey()
    const keysDir = path.join(dir, 'keys')
    fs.mkdirSync(keysDir)
    fs.writeFileSync(
      path.join(keysDir, a.name),
      `# our signing key\n${a.privateKeyPem}${a.publicKeyPem}trailing words\n`
    )
    const keyring = await Keyring.load({ keysDir })
    expect(keyring.pemOf(a.name)).toBe(a.publicKeyPem)
    expect(keyring.pemOf(a.name)).not.toMatch(/PRIVATE KEY|our signing key|trailing/)
  })

  it('passes over a FIFO and a file far larger than a key in a keys dir, without reading them', async () => {
    const a = generateSigningKey()
    const keysDir = writeKeysDir(path.join(dir, 'keys'), [a])
    // Read, the FIFO would never end (nobody writes to it) and the large file would be held whole.
    execFileSync('mkfifo', [path.join(keysDir, 'pipe.rsa.pub')])
    fs.writeFileSync(path.join(keysDir, 'large.rsa.pub'), a.publicKeyPem + 'x'.repeat(1024 * 1024))
    const keyring = await Keyring.load({ keysDir })
    expect(keyring.names()).toEqual([a.name])
  })

  // /proc/self/mem is a regular file that fails to read from its start (EIO), even for root.
  ;(fs.existsSync('/proc/self/mem') ? it : it.skip)(
    'reads a keys dir file when its key is needed, and names one that cannot be read',
    async () => {
      const a = generateSigningKey()
      const keysDir = writeKeysDir(path.join(dir, 'keys'), [a])
      fs.symlinkSync('/proc/self/mem', path.join(keysDir, 'broken.rsa.pub'))
      // As apk opens the key a signature names: the other keys are not read.
      const keyring = await Keyring.load({ keysDir })
      expect(spkiFingerprint(keyring.get(a.name) as RsaPublicKey)).toBe(keyFingerprint(a))
      for (const use of [() => keyring.get('broken.rsa.pub'), () => keyring.names()]) {
        const error = thrown(use, 'a key file that cannot be read')
        expect(error).toBeInstanceOf(InvalidArgumentError)
        expect(error.message).toContain(path.join(keysDir, 'broken.rsa.pub'))
        expect(error.message).toMatch(/Make it readable, or move it out of the keys folder/)
        // Read again at the next use, and refused again.
        fs.rmSync(path.join(keysDir, 'broken.rsa.pub'))
        fs.symlinkSync('/proc/self/mem', path.join(keysDir, 'broken.rsa.pub'))
      }
    }
  )

  it('loads several keys dirs, each with files and folders that are not keys', async () => {
    const a = generateSigningKey()
    const b = generateSigningKey(undefined, { fresh: true })
    const first = writeKeysDir(path.join(dir, 'one'), [a])
    const second = writeKeysDir(path.join(dir, 'two'), [b])
    fs.writeFileSync(path.join(second, 'README.md'), '# our keys\n')
    fs.mkdirSync(path.join(second, 'old'))
    const keyring = await Keyring.load({ keysDirs: [first, second] })
    expect(keyring.names().sort()).toEqual([a.name, b.name].sort())
  })

  it('loads key files by base name, together with a keys dir', async () => {
    const a = generateSigningKey()
    const b = generateSigningKey()
    const keysDir = writeKeysDir(path.join(dir, 'keys'), [a])
    writeKeysDir(path.join(dir, 'more'), [b])
    const keyring = await Keyring.load({ keysDir, keyFiles: [path.join(dir, 'more', b.name)] })
    expect(keyring.names()).toEqual([a.name, b.name].sort())
  })

  it('refuses a key file that is not a public key, or missing', async () => {
    const bad = path.join(dir, 'bad.rsa.pub')
    fs.writeFileSync(bad, 'garbage')
    const error = await rejection(Keyring.load({ keyFiles: [bad] }))
    expect(error).toBeInstanceOf(InvalidArgumentError)
    expect(error.message).toContain(bad)
    const missing = await rejection(Keyring.load({ keyFiles: [path.join(dir, 'nope')] }))
    expect(missing).toBeInstanceOf(InvalidArgumentError)
    expect(await rejection(Keyring.load({ keysDir: path.join(dir, 'none') }))).toBeInstanceOf(
      InvalidArgumentError
    )
  })

  it('takes only RSA keys, and names a damaged one when it is used', async () => {
    const keysDir = path.join(dir, 'keys')
    fs.mkdirSync(keysDir)
    const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey
    fs.writeFileSync(path.join(keysDir, 'ec.rsa.pub'), ec.export({ type: 'spki', format: 'pem' }))
    const a = generateSigningKey()
    // The RSA algorithm identifier, then a key body cut short: it looks like a key until used.
    const der = Buffer.from(a.publicKeyPem.replace(/-----[^-]+-----|\s/g, ''), 'base64')
    const cut = der.subarray(0, 40).toString('base64')
    const damaged = `-----BEGIN PUBLIC KEY-----\n${cut}\n-----END PUBLIC KEY-----\n`
    fs.writeFileSync(path.join(keysDir, 'damaged.rsa.pub'), damaged)
    const keyring = await Keyring.load({ keysDir })
    expect(keyring.names()).toEqual(['damaged.rsa.pub'])
    expect(() => keyring.get('damaged.rsa.pub')).toThrow(UntrustedKeyError)
    expect(() => keyring.get('damaged.rsa.pub')).toThrow(/damaged\.rsa\.pub is not a valid RSA/)
    const refused = await rejection(Keyring.load({ keyFiles: [path.join(keysDir, 'ec.rsa.pub')] }))
    expect(refused).toBeInstanceOf(InvalidArgumentError)
  })

  it('refuses two different keys under one name', async () => {
    const a = generateSigningKey()
    const impostor = generateSigningKey(a.name, { fresh: true })
    writeKeysDir(path.join(dir, 'one'), [a])
    writeKeysDir(path.join(dir, 'two'), [impostor])
    const error = await rejection(
      Keyring.load({ keysDir: path.join(dir, 'one'), keyFiles: [path.join(dir, 'two', a.name)] })
    )
    expect(error).toBeInstanceOf(InvalidArgumentError)
    expect(error.message).toContain(a.name)
  })

  it('refuses a local file named as an Alpine key whose fingerprint is not the pin', async () => {
    const impostor = generateSigningKey(ALPINE_NAME)
    const keysDir = writeKeysDir(path.join(dir, 'keys'), [impostor])
    const keyring = await Keyring.load({ keysDir })
    expect(() => keyring.get(ALPINE_NAME)).toThrow(UntrustedKeyError)
    expect(() => keyring.get(ALPINE_NAME)).toThrow(alpineKeyPin(ALPINE_NAME) as string)
    expect(() => keyring.names()).toThrow(UntrustedKeyError)
    const error = await rejection(keyring.resolve(ALPINE_NAME))
    expect(error).toBeInstanceOf(UntrustedKeyError)
    expect(error.message).toContain(ALPINE_NAME)
    // Given as a key file, it is read, and refused, at once.
    const file = await rejection(Keyring.load({ keyFiles: [path.join(keysDir, ALPINE_NAME)] }))
    expect(file).toBeInstanceOf(UntrustedKeyError)
  })
})

;(sharedHere ? describe : describe.skip)('Alpine keys', () => {
  const rows = sharedHere
    ? fs
        .readFileSync(path.join(SHARED, 'alpine-keys.tsv'), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.split('\t'))
    : []

  it('the pinned table holds exactly the 18 rows of alpine-keys.tsv', () => {
    expect(rows).toHaveLength(18)
    const table = ALPINE_KEYS.map((k) => [k.name, k.archs.join(','), String(k.bits), k.spkiSha256])
    expect(table).toEqual(rows.map((r) => r.slice(0, 4)))
  })

  it('spkiFingerprint of every file in alpine-keys/ matches its pin', () => {
    const files = fs.readdirSync(ALPINE_DIR).sort()
    expect(files).toHaveLength(18)
    for (const name of files) {
      const key = crypto.createPublicKey(fs.readFileSync(path.join(ALPINE_DIR, name)))
      expect([name, spkiFingerprint(key)]).toEqual([name, alpineKeyPin(name)])
    }
  })

  it('loads the whole alpine-keys/ folder as a keys dir', async () => {
    const keyring = await Keyring.load({ keysDir: ALPINE_DIR })
    expect(keyring.names()).toEqual(ALPINE_KEYS.map((k) => k.name).sort())
  })

  it('resolve() fetches an Alpine key once and accepts it because its fingerprint is pinned', async () => {
    const calls: string[] = []
    const keyring = await Keyring.load({
      fetchAlpineKey: async (name) => {
        calls.push(name)
        return fs.readFileSync(path.join(ALPINE_DIR, name))
      }
    })
    const [first, second] = await Promise.all([
      keyring.resolve(ALPINE_NAME),
      keyring.resolve(ALPINE_NAME)
    ])
    expect(first).toBeDefined()
    expect(second).toBe(first)
    expect(spkiFingerprint(first as RsaPublicKey)).toBe(alpineKeyPin(ALPINE_NAME))
    expect(await keyring.resolve(ALPINE_NAME)).toBe(first)
    expect(calls).toEqual([ALPINE_NAME])
    expect(keyring.names()).toEqual([ALPINE_NAME])
  })

  it('resolve() refuses a fetched key that is not the pinned one, naming the key', async () => {
    const notAlpine = generateSigningKey()
    const keyring = await Keyring.load({
      fetchAlpineKey: async () => Buffer.from(notAlpine.publicKeyPem)
    })
    const error = await rejection(keyring.resolve(ALPINE_NAME))
    expect(error).toBeInstanceOf(UntrustedKeyError)
    expect(error.message).toContain(ALPINE_NAME)
    expect(error.message).toContain(keyFingerprint(notAlpine))
    expect(keyring.get(ALPINE_NAME)).toBeUndefined()
  })

  it('resolve() refuses another Alpine key served under this name', async () => {
    const otherAlpine = 'alpine-devel@lists.alpinelinux.org-4a6a0840.rsa.pub'
    const keyring = await Keyring.load({
      fetchAlpineKey: async () => fs.readFileSync(path.join(ALPINE_DIR, otherAlpine))
    })
    expect(await rejection(keyring.resolve(ALPINE_NAME))).toBeInstanceOf(UntrustedKeyError)
  })

  it('resolve() refuses a download that is not a key at all', async () => {
    const keyring = await Keyring.load({
      fetchAlpineKey: async () => Buffer.from('<html>not found</html>')
    })
    expect(await rejection(keyring.resolve(ALPINE_NAME))).toBeInstanceOf(UntrustedKeyError)
  })

  it('resolve() never fetches a name Alpine does not use, and retries a failed fetch', async () => {
    const calls: string[] = []
    let available = false
    const keyring = await Keyring.load({
      fetchAlpineKey: async (name) => {
        calls.push(name)
        return available ? fs.readFileSync(path.join(ALPINE_DIR, name)) : undefined
      }
    })
    expect(await keyring.resolve('test@example-65a1b2c3.rsa.pub')).toBeUndefined()
    expect(calls).toEqual([])
    expect(await keyring.resolve(ALPINE_NAME)).toBeUndefined()
    available = true
    expect(await keyring.resolve(ALPINE_NAME)).toBeDefined()
    expect(calls).toEqual([ALPINE_NAME, ALPINE_NAME])
  })

  it('resolve() without fetchAlpineKey gives undefined for an Alpine name not held', async () => {
    const keyring = await Keyring.load({})
    expect(await keyring.resolve(ALPINE_NAME)).toBeUndefined()
  })
})
