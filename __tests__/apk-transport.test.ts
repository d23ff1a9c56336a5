/**
 * The HTTP transport against real servers on 127.0.0.1: each test starts a node:http (or
 * node:https) server whose handler plays one failure, and checks what the transport did about it.
 */
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as http from 'node:http'
import * as https from 'node:https'
import * as net from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import { FetchError, InvalidArgumentError } from '../src/apk/errors.js'
import { HttpTransport } from '../src/apk/fetch/transport.js'
import { bypassesProxy, proxyAuthorization, proxyFor } from '../src/apk/fetch/proxy.js'
import { mapLimit } from '../src/apk/fetch/concurrency.js'
import { rejection } from './support/failures.js'

interface Seen {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
}

interface Served {
  url: string
  port: number
  seen: Seen[]
  maxInFlight: number
  close(): Promise<void>
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void

async function serve(handler: Handler, tlsOptions?: https.ServerOptions): Promise<Served> {
  const seen: Seen[] = []
  let inFlight = 0
  const state = { maxInFlight: 0 }
  const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers })
    inFlight++
    state.maxInFlight = Math.max(state.maxInFlight, inFlight)
    res.on('close', () => inFlight--)
    handler(req, res, seen.length)
  }
  const server = tlsOptions ? https.createServer(tlsOptions, listener) : http.createServer(listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    url: `${tlsOptions ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    seen,
    get maxInFlight() {
      return state.maxInFlight
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

const BODY = Buffer.from('0123456789abcdef'.repeat(64))

function ok(res: http.ServerResponse, body = BODY): void {
  res.writeHead(200, { 'Content-Length': body.length, ETag: '"v1"' })
  res.end(body)
}

const servers: Served[] = []
const transports: HttpTransport[] = []

async function server(handler: Handler, tlsOptions?: https.ServerOptions): Promise<Served> {
  const s = await serve(handler, tlsOptions)
  servers.push(s)
  return s
}

function transport(options: ConstructorParameters<typeof HttpTransport>[0] = {}): HttpTransport {
  const t = new HttpTransport({ backoffMs: 5, timeoutMs: 2000, env: {}, ...options })
  transports.push(t)
  return t
}

afterEach(async () => {
  for (const t of transports.splice(0)) t.close()
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

describe('HttpTransport: success and conditional requests', () => {
  test('GET returns the body, ETag and Last-Modified, and sends a User-Agent', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, {
        'Content-Length': BODY.length,
        ETag: '"abc"',
        'Last-Modified': 'Wed, 21 Oct 2015 07:28:00 GMT'
      })
      res.end(BODY)
    })
    const response = await transport({ userAgent: 'witchery-test' }).get(
      `${s.url}/x/APKINDEX.tar.gz`
    )
    expect(response.status).toBe(200)
    expect(response.body.equals(BODY)).toBe(true)
    expect(response.etag).toBe('"abc"')
    expect(response.lastModified).toBe('Wed, 21 Oct 2015 07:28:00 GMT')
    expect(response.url).toBe(`${s.url}/x/APKINDEX.tar.gz`)
    expect(s.seen[0].headers['user-agent']).toBe('witchery-test')
    expect(s.seen[0].headers['if-none-match']).toBeUndefined()
  })

  test('304 on revalidation: If-None-Match and If-Modified-Since are sent, no body comes back', async () => {
    const s = await server((req, res) => {
      if (req.headers['if-none-match'] === '"v1"') {
        res.writeHead(304, { ETag: '"v1"' })
        res.end()
      } else ok(res)
    })
    const t = transport()
    const response = await t.get(`${s.url}/i`, {
      etag: '"v1"',
      lastModified: 'Wed, 21 Oct 2015 07:28:00 GMT'
    })
    expect(response.status).toBe(304)
    expect(response.body.length).toBe(0)
    expect(response.etag).toBe('"v1"')
    expect(s.seen[0].headers['if-none-match']).toBe('"v1"')
    expect(s.seen[0].headers['if-modified-since']).toBe('Wed, 21 Oct 2015 07:28:00 GMT')
    // A changed resource answers 200 to the same conditional request.
    const changed = await t.get(`${s.url}/i`, { etag: '"v0"' })
    expect(changed.status).toBe(200)
    expect(changed.body.equals(BODY)).toBe(true)
  })
})

describe('HttpTransport: a request that cannot be sent', () => {
  // A validator Node refuses once threw before the request went out: taken for an outage and
  // retried, each attempt leaving its exchange's timers armed (the process lived 30 s more).
  test('fails at once, unretried, and leaves no timer behind', async () => {
    const s = await server((_req, res) => ok(res))
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    const before = timers()
    const started = Date.now()
    const error = await rejection(transport({ retries: 3 }).get(`${s.url}/i`, { etag: '"abc"\n' }))
    expect(error).toBeInstanceOf(FetchError)
    expect(error.message).toMatch(/cannot send the request: .*If-None-Match/)
    expect(s.seen).toHaveLength(0)
    expect(Date.now() - started).toBeLessThan(1000)
    expect(timers()).toBeLessThanOrEqual(before)
  })
})

describe('HttpTransport: faults', () => {
  test('5xx then success: retried', async () => {
    const s = await server((_req, res, n) => {
      if (n <= 2) {
        res.writeHead(n === 1 ? 503 : 502)
        res.end('busy')
      } else ok(res)
    })
    const response = await transport().get(`${s.url}/p.apk`)
    expect(response.body.equals(BODY)).toBe(true)
    expect(s.seen).toHaveLength(3)
  })

  test('5xx forever: FetchError after the retries, naming the URL and status', async () => {
    const s = await server((_req, res) => {
      res.writeHead(500)
      res.end()
    })
    const error = await rejection(
      transport({ retries: 3 }).get(`${s.url}/main/x86_64/APKINDEX.tar.gz`)
    )
    expect(error).toBeInstanceOf(FetchError)
    expect((error as FetchError).status).toBe(500)
    expect((error as FetchError).url).toBe(`${s.url}/main/x86_64/APKINDEX.tar.gz`)
    expect(error.message).toContain(`${s.url}/main/x86_64/APKINDEX.tar.gz`)
    expect(error.message).toMatch(/after 4 attempts.*HTTP 500/)
    expect(s.seen).toHaveLength(4)
  })

  test('408 and 429 are retried; Retry-After is honoured but capped', async () => {
    const s = await server((_req, res, n) => {
      if (n === 1) {
        res.writeHead(408)
        res.end()
      } else if (n === 2) {
        res.writeHead(429, { 'Retry-After': '2' })
        res.end()
      } else ok(res)
    })
    const start = Date.now()
    const response = await transport({ maxBackoffMs: 300 }).get(`${s.url}/p`)
    const elapsed = Date.now() - start
    expect(response.status).toBe(200)
    expect(s.seen).toHaveLength(3)
    expect(elapsed).toBeGreaterThanOrEqual(290) // waited for Retry-After…
    expect(elapsed).toBeLessThan(1900) // …but not the full 2 s
  })

  test('connection reset: retried', async () => {
    const s = await server((req, res, n) => {
      if (n === 1) req.socket.destroy()
      else ok(res)
    })
    const response = await transport().get(`${s.url}/p`)
    expect(response.body.equals(BODY)).toBe(true)
    expect(s.seen).toHaveLength(2)
  })

  test('connection refused: retried, then a FetchError naming the URL', async () => {
    const s = await serve((_req, res) => ok(res))
    await s.close() // nothing listens on the port any more
    const error = await rejection(transport({ retries: 2 }).get(`${s.url}/gone`))
    expect(error).toBeInstanceOf(FetchError)
    expect(error.message).toContain(`${s.url}/gone`)
    expect(error.message).toMatch(/after 3 attempts.*ECONNREFUSED/)
  })

  test('truncated body (short of Content-Length): detected and retried', async () => {
    const s = await server((req, res, n) => {
      if (n <= 2) {
        res.writeHead(200, { 'Content-Length': BODY.length })
        res.write(BODY.subarray(0, 100), () => req.socket.destroy())
      } else ok(res)
    })
    const response = await transport().get(`${s.url}/p`)
    expect(response.body.equals(BODY)).toBe(true)
    expect(s.seen).toHaveLength(3)
  })

  test('truncated body every time: a FetchError that says so', async () => {
    const s = await server((req, res) => {
      res.writeHead(200, { 'Content-Length': BODY.length })
      res.write(BODY.subarray(0, 100), () => req.socket.destroy())
    })
    const error = await rejection(transport({ retries: 1 }).get(`${s.url}/p`))
    expect(error).toBeInstanceOf(FetchError)
    expect(error.message).toMatch(/truncated/)
  })

  test('a body of the wrong size (no Content-Length to tell) is caught by expectedSize', async () => {
    const s = await server((_req, res, n) => {
      res.writeHead(200) // chunked: only expectedSize can tell the body is short
      res.end(n === 1 ? BODY.subarray(0, 500) : BODY)
    })
    const t = transport()
    const response = await t.get(`${s.url}/p`, { expectedSize: BODY.length })
    expect(response.body.length).toBe(BODY.length)
    expect(s.seen).toHaveLength(2)
    // Longer than promised is just as wrong.
    const error = await rejection(t.get(`${s.url}/p`, { expectedSize: 10 }))
    expect(error).toBeInstanceOf(FetchError)
    expect(error.message).toMatch(/expected 10 bytes/)
  })

  test('slow response beyond the timeout: retried', async () => {
    const s = await server((_req, res, n) => {
      if (n === 1) setTimeout(() => ok(res), 600)
      else ok(res)
    })
    const start = Date.now()
    const response = await transport({ timeoutMs: 150 }).get(`${s.url}/p`)
    expect(response.body.equals(BODY)).toBe(true)
    expect(s.seen).toHaveLength(2)
    expect(Date.now() - start).toBeLessThan(600)
  })

  test('a body that stalls midway times out (idle timeout), then fails after the retries', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { 'Content-Length': BODY.length })
      res.write(BODY.subarray(0, 10)) // and never the rest
    })
    const error = await rejection(transport({ timeoutMs: 150, retries: 1 }).get(`${s.url}/p`))
    expect(error).toBeInstanceOf(FetchError)
    expect(error.message).toMatch(/after 2 attempts.*timed out/)
    expect(s.seen).toHaveLength(2)
  })

  test('404: no retry, a message that says what to check', async () => {
    const s = await server((_req, res) => {
      res.writeHead(404)
      res.end('nope')
    })
    const url = `${s.url}/alpine/v9.99/main/x86_64/APKINDEX.tar.gz`
    const error = await rejection(transport().get(url))
    expect(error).toBeInstanceOf(FetchError)
    expect((error as FetchError).status).toBe(404)
    expect(error.message).toBe(`not found: ${url} — check the repository URL/branch and arch`)
    expect(s.seen).toHaveLength(1)
  })

  test('other 4xx: no retry', async () => {
    const s = await server((_req, res) => {
      res.writeHead(403)
      res.end()
    })
    const error = await rejection(transport().get(`${s.url}/p`))
    expect((error as FetchError).status).toBe(403)
    expect(error.message).toMatch(/403 Forbidden/)
    expect(s.seen).toHaveLength(1)
  })

  test('an aborted signal cancels the download without retrying', async () => {
    const s = await server(() => undefined) // never answers
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 50)
    const error = await rejection(transport().get(`${s.url}/p`, { signal: controller.signal }))
    expect(error).toBeInstanceOf(FetchError)
    expect(error.message).toMatch(/cancelled/)
    expect(s.seen).toHaveLength(1)
  })

  test('only http:// and https:// URLs are downloaded', async () => {
    await expect(transport().get('file:///etc/passwd')).rejects.toThrow(InvalidArgumentError)
    await expect(transport().get('/srv/repo/x86_64/APKINDEX.tar.gz')).rejects.toThrow(
      /read from disk/
    )
  })
})

describe('HttpTransport: redirects', () => {
  test('follows a chain of relative and absolute redirects, reporting the final URL', async () => {
    const s = await server((req, res) => {
      if (req.url === '/a') {
        res.writeHead(301, { Location: '/b' })
        res.end()
      } else if (req.url === '/b') {
        res.writeHead(302, {
          Location: `http://127.0.0.1:${(req.socket.localPort ?? 0).toString()}/c`
        })
        res.end()
      } else if (req.url === '/c') {
        res.writeHead(307, { Location: 'd' })
        res.end()
      } else ok(res)
    })
    const response = await transport().get(`${s.url}/a`)
    expect(response.body.equals(BODY)).toBe(true)
    expect(response.url).toBe(`${s.url}/d`)
    expect(s.seen.map((r) => r.url)).toEqual(['/a', '/b', '/c', '/d'])
  })

  test('more than 5 redirects: a FetchError, not a loop', async () => {
    const s = await server((_req, res, n) => {
      res.writeHead(302, { Location: `/r${n}` })
      res.end()
    })
    const error = await rejection(transport().get(`${s.url}/start`))
    expect(error).toBeInstanceOf(FetchError)
    expect(error.message).toMatch(/more than 5 redirects/)
    expect(s.seen).toHaveLength(6)
  })
})

/** A self-signed certificate for 127.0.0.1, made with the real openssl. */
function selfSignedCert(): { key: string; cert: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-tls-'))
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem')
      ],
      { stdio: 'ignore' }
    )
    return {
      key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'),
      cert: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8')
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

describe('HttpTransport: https', () => {
  let tlsMaterial: { key: string; cert: string }
  beforeAll(() => {
    tlsMaterial = selfSignedCert()
  })

  test('downloads over TLS with an extra CA; an untrusted certificate is not retried', async () => {
    const s = await server((_req, res) => ok(res), tlsMaterial)
    const response = await transport({ ca: tlsMaterial.cert }).get(`${s.url}/p`)
    expect(response.body.equals(BODY)).toBe(true)
    const error = await rejection(transport().get(`${s.url}/p`))
    expect(error).toBeInstanceOf(FetchError)
    expect(error.message).toMatch(/self[- ]signed/i)
    expect(s.seen).toHaveLength(1) // the failed handshake never reached the handler
  })

  test('refuses an https→http redirect (downgrade)', async () => {
    const plain = await server((_req, res) => ok(res))
    const secure = await server((_req, res) => {
      res.writeHead(302, { Location: `${plain.url}/p` })
      res.end()
    }, tlsMaterial)
    const error = await rejection(transport({ ca: tlsMaterial.cert }).get(`${secure.url}/p`))
    expect(error).toBeInstanceOf(FetchError)
    expect(error.message).toMatch(/downgrade/)
    expect(plain.seen).toHaveLength(0)
  })
})

/** A minimal forwarding proxy: absolute-URI GETs and CONNECT tunnels, recording both. */
async function miniProxy(): Promise<{
  url: string
  gets: Seen[]
  connects: Seen[]
  close(): Promise<void>
}> {
  const gets: Seen[] = []
  const connects: Seen[] = []
  const sockets = new Set<net.Socket>()
  const proxy = http.createServer((req, res) => {
    gets.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers })
    const upstream = http.request(req.url ?? '', { headers: { host: req.headers.host } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers)
      up.pipe(res)
    })
    upstream.on('error', () => res.destroy())
    upstream.end()
  })
  proxy.on('connection', (socket: net.Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  proxy.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    connects.push({ method: 'CONNECT', url: req.url ?? '', headers: req.headers })
    const [host, port] = (req.url ?? '').split(':')
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    sockets.add(upstream)
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  const port = (proxy.address() as net.AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    gets,
    connects,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        proxy.close(() => resolve())
      })
  }
}

describe('HttpTransport: proxies', () => {
  test('HTTP_PROXY: http URLs go to the proxy as absolute-URI requests, with credentials', async () => {
    const s = await server((_req, res) => ok(res))
    const proxy = await miniProxy()
    try {
      const env = { HTTP_PROXY: proxy.url.replace('http://', 'http://ci%40user:p%3Ass@') }
      const response = await transport({ env }).get(`${s.url}/main/p.apk`)
      expect(response.body.equals(BODY)).toBe(true)
      expect(proxy.gets.map((g) => g.url)).toEqual([`${s.url}/main/p.apk`])
      const auth = proxy.gets[0].headers['proxy-authorization'] ?? ''
      expect(Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString()).toBe('ci@user:p:ss')
      // The origin server saw the request arrive through the proxy, without the credentials.
      expect(s.seen[0].headers['proxy-authorization']).toBeUndefined()
    } finally {
      await proxy.close()
    }
  })

  test('NO_PROXY bypasses the proxy for matching hosts', async () => {
    const s = await server((_req, res) => ok(res))
    const proxy = await miniProxy()
    try {
      const env = { http_proxy: proxy.url, no_proxy: 'example.com, 127.0.0.1' }
      await transport({ env }).get(`${s.url}/p`)
      expect(proxy.gets).toHaveLength(0)
      expect(s.seen).toHaveLength(1)
    } finally {
      await proxy.close()
    }
  })

  test('HTTPS_PROXY: https URLs go through a CONNECT tunnel; TLS is end to end', async () => {
    const tlsMaterial = selfSignedCert()
    const s = await server((_req, res) => ok(res), tlsMaterial)
    const proxy = await miniProxy()
    try {
      const env = { HTTPS_PROXY: proxy.url.replace('http://', 'http://u:pw@') }
      const response = await transport({ env, ca: tlsMaterial.cert }).get(`${s.url}/p`)
      expect(response.body.equals(BODY)).toBe(true)
      expect(proxy.connects.map((c) => c.url)).toEqual([`127.0.0.1:${s.port}`])
      expect(proxy.connects[0].headers['proxy-authorization']).toBe(
        `Basic ${Buffer.from('u:pw').toString('base64')}`
      )
      expect(proxy.gets).toHaveLength(0)
      expect(s.seen).toHaveLength(1)
    } finally {
      await proxy.close()
    }
  })

  test('HTTPS_PROXY: one tunnel and one TLS handshake serve the requests that follow', async () => {
    const tlsMaterial = selfSignedCert()
    const s = await server((_req, res) => ok(res), tlsMaterial)
    const proxy = await miniProxy()
    const t = transport({ env: { HTTPS_PROXY: proxy.url }, ca: tlsMaterial.cert })
    try {
      for (const name of ['a.apk', 'b.apk', 'c.apk']) {
        const response = await t.get(`${s.url}/main/${name}`)
        expect(response.body.equals(BODY)).toBe(true)
      }
      expect(s.seen.map((r) => r.url)).toEqual(['/main/a.apk', '/main/b.apk', '/main/c.apk'])
      expect(proxy.connects).toHaveLength(1)
    } finally {
      t.close()
      await proxy.close()
    }
  })

  test('a proxy that refuses CONNECT with 407 is reported with the fix, not retried', async () => {
    const proxy = http.createServer()
    let connects = 0
    proxy.on('connect', (_req, socket: net.Socket) => {
      connects++
      socket.end('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n')
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    const port = (proxy.address() as net.AddressInfo).port
    try {
      const env = { https_proxy: `127.0.0.1:${port}` }
      const error = await rejection(transport({ env }).get('https://mirror.invalid/alpine/p.apk'))
      expect(error).toBeInstanceOf(FetchError)
      expect(error.message).toMatch(/407.*credentials.*HTTPS_PROXY=http:\/\/user:password@/)
      expect(connects).toBe(1)
    } finally {
      proxy.closeAllConnections()
      await new Promise((resolve) => proxy.close(resolve))
    }
  })

  test('a proxy variable that is not a usable URL is an InvalidArgumentError', async () => {
    const t = transport({ env: { HTTP_PROXY: 'socks5://127.0.0.1:1080' } })
    await expect(t.get('http://127.0.0.1:1/p')).rejects.toThrow(InvalidArgumentError)
  })
})

describe('proxy selection', () => {
  test('proxy credentials: percent-decoded, and a malformed escape kept as written, never thrown', () => {
    const basic = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`
    expect(proxyAuthorization(new URL('http://us%40er:p%3Ass@proxy:3128'))).toBe(
      basic('us@er:p:ss')
    )
    expect(proxyAuthorization(new URL('http://us%zz:p@proxy:3128'))).toBe(basic('us%zz:p'))
    expect(proxyAuthorization(new URL('http://proxy:3128'))).toBeUndefined()
  })

  const url = (u: string): URL => new URL(u)

  test('https_proxy for https, http_proxy for http, lower case first', () => {
    const env = {
      HTTPS_PROXY: 'http://upper:1',
      https_proxy: 'http://lower:2',
      HTTP_PROXY: 'http://plain:3'
    }
    expect(proxyFor(url('https://a.example/x'), env)?.host).toBe('lower:2')
    expect(proxyFor(url('http://a.example/x'), env)?.host).toBe('plain:3')
    expect(proxyFor(url('http://a.example/x'), {})).toBeUndefined()
    expect(proxyFor(url('http://a.example/x'), { HTTP_PROXY: '' })).toBeUndefined()
    expect(proxyFor(url('http://a.example/x'), { HTTP_PROXY: 'proxy.corp:3128' })?.href).toBe(
      'http://proxy.corp:3128/'
    )
  })

  test.each([
    ['*', 'https://dl-cdn.alpinelinux.org/x', true],
    ['example.com', 'https://example.com/x', true],
    ['example.com', 'https://mirror.example.com/x', true],
    ['example.com', 'https://badexample.com/x', false],
    ['.example.com', 'https://mirror.example.com/x', true],
    ['.example.com', 'https://example.com/x', true],
    ['*.example.com', 'https://a.b.example.com/x', true],
    ['mirror.example.com:8443', 'https://mirror.example.com:8443/x', true],
    ['mirror.example.com:8443', 'https://mirror.example.com/x', false],
    ['mirror.example.com:443', 'https://mirror.example.com/x', true],
    ['10.0.0.5', 'http://10.0.0.5/x', true],
    ['10.0.0.5', 'http://10.0.0.50/x', false],
    ['10.0.0.0/8', 'http://10.1.2.3/x', true],
    ['10.0.0.0/8', 'http://11.1.2.3/x', false],
    ['::1', 'http://[::1]:8080/x', true],
    ['[::1]:8080', 'http://[::1]:8080/x', true],
    ['[::1]:8080', 'http://[::1]:9090/x', false],
    ['other.org, EXAMPLE.com', 'https://Mirror.Example.com/x', true],
    ['other.org localhost', 'http://localhost:3000/x', true],
    ['', 'https://example.com/x', false]
  ])('NO_PROXY=%j for %s → bypass %s', (noProxy, target, expected) => {
    expect(bypassesProxy(url(target), noProxy)).toBe(expected)
  })
})

describe('mapLimit', () => {
  test('keeps order and never exceeds the limit', async () => {
    let inFlight = 0
    let max = 0
    const result = await mapLimit([5, 1, 4, 2, 3, 0, 6, 7], 3, async (n, i) => {
      inFlight++
      max = Math.max(max, inFlight)
      await new Promise((r) => setTimeout(r, n * 3))
      inFlight--
      return `${i}:${n}`
    })
    expect(result).toEqual(['0:5', '1:1', '2:4', '3:2', '4:3', '5:0', '6:6', '7:7'])
    expect(max).toBe(3)
    expect(await mapLimit([], 4, async () => 1)).toEqual([])
  })

  test('on the first failure starts nothing new and rejects after in-flight work settles', async () => {
    const started: number[] = []
    const settled: number[] = []
    const error = await rejection(
      mapLimit([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3, async (n) => {
        started.push(n)
        await new Promise((r) => setTimeout(r, n === 1 ? 5 : 40))
        settled.push(n)
        if (n === 1) throw new Error('boom 1')
        return n
      })
    )
    expect(error.message).toBe('boom 1')
    expect(started).toEqual([0, 1, 2]) // 3… never started
    expect(settled.sort()).toEqual([0, 1, 2]) // the others finished before the rejection
  })

  test('four or more downloads are in flight at once against one server', async () => {
    const s = await server((_req, res) => setTimeout(() => ok(res), 80))
    const t = transport()
    const urls = Array.from({ length: 8 }, (_, i) => `${s.url}/p${i}.apk`)
    const bodies = await mapLimit(urls, 6, async (u) => (await t.get(u)).body)
    expect(bodies.every((b) => b.equals(BODY))).toBe(true)
    expect(s.maxInFlight).toBeGreaterThanOrEqual(4)
    expect(s.maxInFlight).toBeLessThanOrEqual(6)
  })
})
