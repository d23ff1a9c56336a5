/**
 * Private repositories in the engine: credentials split out of repository URLs and auth lines,
 * sent as basic auth by the real transport to a server on 127.0.0.1 that demands them, never to
 * another host (redirects included), and never in an error message.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {
  FetchError,
  InvalidArgumentError,
  engineAuth,
  installResolution,
  openRepositories,
  parseAuthLines,
  parseRepository,
  publicUrl,
  RepositoryAuth,
  resolveWorld,
  splitCredentials
} from '../src/apk/engine.js'
import { proxyFor } from '../src/apk/fetch/proxy.js'
import { HttpTransport } from '../src/apk/fetch/transport.js'
import { buildApk } from './support/apk-builder.js'
import { rejection, thrown } from './support/failures.js'
import { startServer, type TestServer } from './support/http-server.js'
import { generateSigningKey, writeKeysDir } from './support/keys.js'
import { baselayoutDataPackage, helloPackage, muslPackage } from './support/packages.js'
import { buildRepository } from './support/repo-builder.js'
import { walkTree } from './support/walk.js'

const USER = 'deploy-token'
const SECRET = 'glpat-Zq8sEcReT-4711'

let work: string
let keysDir: string
let repoRoot: string
let server: TestServer
let other: TestServer

function fast(auth?: RepositoryAuth): HttpTransport {
  return new HttpTransport({ retries: 0, backoffMs: 1, auth })
}

function authHeaders(s: TestServer): (string | undefined)[] {
  return s.requests.map((r) => r.headers.authorization as string | undefined)
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-auth-'))
  const key = generateSigningKey()
  keysDir = writeKeysDir(path.join(work, 'keys'), [key])
  const apks = [muslPackage(), helloPackage(), baselayoutDataPackage()].map((s) => buildApk(s, key))
  repoRoot = path.join(work, 'site')
  buildRepository(path.join(repoRoot, 'private'), 'x86_64', apks, key)
  server = await startServer({ root: repoRoot, auth: { username: USER, password: SECRET } })
  other = await startServer({ root: repoRoot })
})

afterAll(async () => {
  await server?.close()
  await other?.close()
  if (work) fs.rmSync(work, { recursive: true, force: true })
})

beforeEach(() => {
  server.requests.length = 0
  other.requests.length = 0
  server.clearFaults()
  other.clearFaults()
})

describe('credentials in repository strings', () => {
  it('publicUrl drops the userinfo, also from text that is not a valid URL', () => {
    expect(publicUrl('https://u:p@host.example/alpine')).toBe('https://host.example/alpine')
    expect(publicUrl('@t http://tok@127.0.0.1:8/r')).toBe('@t http://127.0.0.1:8/r')
    expect(publicUrl('https://u:p@ss@host/x')).toBe('https://host/x')
    expect(publicUrl('https://u:p@ho st/x')).toBe('https://ho st/x')
    expect(publicUrl('./local/repo')).toBe('./local/repo')
    // One slash or none: URL parsers take them as https://u:p@host/x.
    expect(publicUrl('https:/u:p@host/x')).toBe('https:/host/x')
    expect(publicUrl('@t HTTP:u:p@host/x')).toBe('@t HTTP:host/x')
    expect(publicUrl('/srv/repo@2/main')).toBe('/srv/repo@2/main')
  })

  // It was taken for a local path, its token kept in the URL that is logged and in errors.
  it('parseRepository refuses http(s) without //, without repeating the secret', () => {
    for (const line of [
      `https:/deploy:${SECRET}@h.example/r`,
      `http:deploy:${SECRET}@h.example/r`
    ]) {
      const error = thrown(() => parseRepository(line, 0), line)
      expect(error).toBeInstanceOf(InvalidArgumentError)
      expect(error.message).toMatch(/is not a valid URL \(it needs \/\/ after the scheme\)/)
      expect(error.message).not.toContain(SECRET)
    }
  })

  it('splitCredentials decodes them and scopes them to the host and repository path', () => {
    expect(splitCredentials('https://a%40b:p%3Aw@Host.Example:8443/alpine/v3.22/main')).toEqual({
      url: 'https://Host.Example:8443/alpine/v3.22/main',
      credentials: {
        protocol: 'https:',
        host: 'host.example:8443',
        path: '/alpine/v3.22/main/',
        username: 'a@b',
        password: 'p:w'
      }
    })
    expect(splitCredentials('https://host.example/x')).toEqual({ url: 'https://host.example/x' })
  })

  it('parseRepository keeps the public URL only, and errors do not repeat the secret', () => {
    expect(parseRepository(`@own https://${USER}:${SECRET}@h.example/r`, 0)).toEqual({
      url: 'https://h.example/r',
      tag: 'own',
      index: 0
    })
    for (const line of [`https://u:${SECRET}@h.example/a b`, `gopher://u:${SECRET}@h/x`]) {
      const error = thrown(() => parseRepository(line, 0), line)
      expect(error).toBeInstanceOf(InvalidArgumentError)
      expect(error.message).not.toContain(SECRET)
    }
  })

  it('parseAuthLines reads HOST[/PATH] USER:TOKEN and never echoes a bad line', () => {
    expect(parseAuthLines('h.example u:a:b\n# c\n\n127.0.0.1:8080/repo x:y', 'test')).toEqual([
      { protocol: 'https:', host: 'h.example', path: '/', username: 'u', password: 'a:b' },
      { protocol: 'https:', host: '127.0.0.1:8080', path: '/repo/', username: 'x', password: 'y' }
    ])
    // Plain http only when the line says so.
    expect(parseAuthLines('http://127.0.0.1:8080/repo x:y', 'test')[0].protocol).toBe('http:')
    for (const text of [SECRET, `h.example ${SECRET}`, `h.example :${SECRET}`]) {
      const error = thrown(() => parseAuthLines(text, 'test'), text)
      expect(error.message).toMatch(/line 1 of test/)
      expect(error.message).not.toContain(SECRET)
    }
  })
})

describe('proxy credentials', () => {
  it('are not repeated when the proxy variable is refused', () => {
    for (const raw of [
      'socks5://u:proxy-pw-1@p:1080',
      'http://u:proxy-pw-1@p:99999',
      'u:proxy-pw-1@p:x',
      // A `/` in the password ends the authority: once shown from there on.
      'http://u:proxy-pw-1/x@p:3128'
    ]) {
      const error = thrown(() => proxyFor(new URL('https://h.example/'), { HTTPS_PROXY: raw }), raw)
      expect(error).toBeInstanceOf(InvalidArgumentError)
      expect(error.message).toMatch(/https_proxy='/i)
      expect(error.message).not.toContain('proxy-pw-1')
    }
  })
})

describe('RepositoryAuth', () => {
  const auth = new RepositoryAuth([
    { protocol: 'https:', host: 'h.example', path: '/', username: 'all', password: 'p1' },
    {
      protocol: 'https:',
      host: 'h.example',
      path: '/projects/7/',
      username: 'seven',
      password: 'p2'
    },
    { protocol: 'https:', host: 'h.example:8443', path: '/', username: 'port', password: 'p3' },
    { protocol: 'http:', host: 'plain.example', path: '/', username: 'plain', password: 'p4' }
  ])
  const user = (url: string) => auth.credentialsFor(new URL(url))?.username

  it('picks the longest path prefix of the same host and port', () => {
    expect(user('https://h.example/projects/7/x86_64/APKINDEX.tar.gz')).toBe('seven')
    expect(user('https://h.example/projects/70/x86_64/APKINDEX.tar.gz')).toBe('all')
    expect(user('https://h.example:8443/x')).toBe('port')
    expect(user('https://h.example:8444/x')).toBeUndefined()
    expect(user('https://sub.h.example/x')).toBeUndefined()
    expect(user('https://h.example.evil/x')).toBeUndefined()
  })

  // An https token once went in clear to http://host/… after a redirect there.
  it('never sends credentials under the other scheme', () => {
    expect(user('http://h.example/projects/7/x')).toBeUndefined()
    expect(user('http://plain.example/x')).toBe('plain')
    expect(user('https://plain.example/x')).toBeUndefined()
  })

  it('refuses two different credentials for one host and path', () => {
    expect(
      () =>
        new RepositoryAuth([
          { protocol: 'https:', host: 'h', path: '/', username: 'u', password: 'a' },
          { protocol: 'https:', host: 'h', path: '/', username: 'u', password: 'b' }
        ])
    ).toThrow(/two different credentials are given for h\//)
  })
})

describe('the transport against a server that demands basic auth', () => {
  const index = () => `${server.url}/private/x86_64/APKINDEX.tar.gz`
  const host = () => new URL(server.url).host

  it('downloads with the credentials of that host', async () => {
    const transport = fast(
      new RepositoryAuth([
        { protocol: 'http:', host: host(), path: '/', username: USER, password: SECRET }
      ])
    )
    try {
      const response = await transport.get(index())
      expect(response.status).toBe(200)
      expect(server.requests.map((r) => r.status)).toEqual([200])
    } finally {
      transport.close()
    }
  })

  it('says that none were given when the server answers 401', async () => {
    const transport = fast()
    try {
      const error = await rejection(transport.get(index()))
      expect(error).toBeInstanceOf(FetchError)
      expect(error.message).toContain(`none are given for ${host()}`)
      expect(error.message).toMatch(/repository-auth/)
      expect(authHeaders(server)).toEqual([undefined])
    } finally {
      transport.close()
    }
  })

  it('says that they were refused, without repeating them', async () => {
    const transport = fast(
      new RepositoryAuth([
        { protocol: 'http:', host: host(), path: '/', username: USER, password: 'wrong-one' }
      ])
    )
    try {
      const error = await rejection(transport.get(index()))
      expect(error.message).toContain(`the credentials given for ${host()} were refused`)
      expect(error.message).not.toMatch(/wrong-one|ZGVwbG95/)
    } finally {
      transport.close()
    }
  })

  it('does not send them to another host after a redirect', async () => {
    server.fault('APKINDEX', { redirect: `${other.url}{path}` })
    const transport = fast(
      new RepositoryAuth([
        { protocol: 'http:', host: host(), path: '/', username: USER, password: SECRET }
      ])
    )
    try {
      expect((await transport.get(index())).status).toBe(200)
      expect(authHeaders(server)).toHaveLength(1)
      expect(authHeaders(server)[0]).toMatch(/^Basic /)
      expect(other.requests).toHaveLength(1)
      expect(authHeaders(other)).toEqual([undefined])
    } finally {
      transport.close()
    }
  })

  it('does not send https credentials to http://the same host/ after a redirect there', async () => {
    other.fault('APKINDEX', { redirect: `${server.url}{path}` })
    const { credentials } = splitCredentials(`https://${USER}:${SECRET}@${host()}/private`)
    const transport = fast(new RepositoryAuth(credentials ? [credentials] : []))
    try {
      const error = await rejection(transport.get(`${other.url}/private/x86_64/APKINDEX.tar.gz`))
      expect(error.message).toContain(`none are given for ${host()}`)
      expect(other.requests).toHaveLength(1)
      expect(authHeaders(server)).toEqual([undefined])
    } finally {
      transport.close()
    }
  })

  it('keeps them on a redirect within the same origin', async () => {
    server.fault('/moved/', { redirect: '/private/x86_64/APKINDEX.tar.gz' })
    const transport = fast(
      new RepositoryAuth([
        { protocol: 'http:', host: host(), path: '/moved/', username: USER, password: SECRET }
      ])
    )
    try {
      expect((await transport.get(`${server.url}/moved/APKINDEX.tar.gz`)).status).toBe(200)
      expect(server.requests.map((r) => r.status)).toEqual([302, 200])
      expect(new Set(authHeaders(server)).size).toBe(1)
    } finally {
      transport.close()
    }
  })

  it('sends credentials for another path prefix nowhere else', async () => {
    const transport = fast(
      new RepositoryAuth([
        { protocol: 'http:', host: host(), path: '/elsewhere/', username: USER, password: SECRET }
      ])
    )
    try {
      await rejection(transport.get(index()))
      expect(authHeaders(server)).toEqual([undefined])
    } finally {
      transport.close()
    }
  })
})

describe('the engine with a private repository', () => {
  const repoUrl = () => `${server.url}/private`
  const withCredentials = () => repoUrl().replace('://', `://${USER}:${SECRET}@`)

  it('installs from a repository URL that carries the credentials, as apk does', async () => {
    const root = fs.mkdtempSync(path.join(work, 'root-'))
    const options = {
      arch: 'x86_64',
      repositories: [withCredentials()],
      keyDirs: [keysDir],
      fetchAlpineKeys: false,
      cacheDir: path.join(work, 'cache-url')
    }
    const repos = await openRepositories(options)
    expect(repos.repositories.map((r) => r.url)).toEqual([repoUrl()])
    const result = await installResolution(root, repos, resolveWorld(repos, ['hello']), options)
    expect(result.installed.map((p) => p.name).sort()).toEqual([
      'alpine-baselayout-data',
      'hello',
      'musl'
    ])
    expect(server.requests.every((r) => r.status === 200)).toBe(true)
    expect(fs.readFileSync(path.join(root, 'etc/apk/repositories'), 'utf8')).toBe(`${repoUrl()}\n`)
    expectNowhere(root)
    expectNowhere(options.cacheDir)
  })

  it('installs with credentials given apart from the URL', async () => {
    const root = fs.mkdtempSync(path.join(work, 'root-'))
    const options = {
      arch: 'x86_64',
      repositories: [repoUrl()],
      auth: parseAuthLines(`${server.url}/private ${USER}:${SECRET}`, 'test'),
      keyDirs: [keysDir],
      fetchAlpineKeys: false
    }
    const repos = await openRepositories(options)
    const result = await installResolution(root, repos, resolveWorld(repos, ['hello']), options)
    expect(result.installed).toHaveLength(3)
    expect(engineAuth(options).size).toBe(1)
  })

  it('fails without them, with a message that says how to give them', async () => {
    const error = await rejection(
      openRepositories({ arch: 'x86_64', repositories: [repoUrl()], keyDirs: [keysDir] })
    )
    expect(error).toBeInstanceOf(FetchError)
    expect(error.message).toMatch(/none are given for 127\.0\.0\.1:\d+/)
  })

  it('fails with wrong ones without printing them', async () => {
    const wrong = repoUrl().replace('://', `://${USER}:not-${SECRET}@`)
    const error = await rejection(
      openRepositories({ arch: 'x86_64', repositories: [wrong], keyDirs: [keysDir] })
    )
    expect(error.message).toMatch(/were refused/)
    expect(`${error.message}\n${error.stack}`).not.toContain(SECRET)
  })
})

/** The secret (or its basic-auth form) in no file name or content under `dir`. */
function expectNowhere(dir: string): void {
  const needles = [SECRET, Buffer.from(`${USER}:${SECRET}`).toString('base64')]
  const files = walkTree(dir)
  expect(files.length).toBeGreaterThan(0)
  for (const name of files) {
    for (const needle of needles) expect(name).not.toContain(needle)
    const file = path.join(dir, name)
    if (!fs.lstatSync(file).isFile()) continue
    const bytes = fs.readFileSync(file)
    for (const needle of needles)
      expect({ file, found: bytes.includes(needle) }).toEqual({ file, found: false })
  }
}
