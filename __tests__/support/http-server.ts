/**
 * A static file server and an HTTP proxy on 127.0.0.1 for transport and fetch tests.
 *
 * The server serves the files under `root` (GET and HEAD) with a strong ETag (content hash) and
 * Last-Modified, answers 304 to a matching If-None-Match or a fresh If-Modified-Since, records
 * every request, and injects faults per path on demand. With `auth`, it is a private repository:
 * every request without that user's basic credentials gets 401 (as GitLab's or Cloudsmith's
 * package registries answer).
 */
import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as http from 'node:http'
import * as net from 'node:net'
import * as path from 'node:path'

/**
 * - `status`: answer with that status code (and a short text body);
 * - `drop`: destroy the socket before any response byte;
 * - `truncate`: send the headers (Content-Length of the full body) and only that many body bytes, then destroy;
 * - `delayMs`: wait, then answer normally (if the client is still there);
 * - `corrupt`: the full body with some bytes flipped, correct length and ETag of the real file;
 * - `redirect`: 302 to that URL (`{path}` in it is replaced by the request's path and query);
 * - `endless`: 200 with a chunked body of gzip-looking bytes that never ends (until the client
 *   goes away);
 * - `dripMs`: 200 with the real file's length, then one byte of it every `dripMs` ms.
 */
export type Fault =
  | { status: number }
  | { drop: true }
  | { truncate: number }
  | { delayMs: number }
  | { corrupt: true }
  | { redirect: string }
  | { endless: true }
  | { dripMs: number }

export interface RecordedRequest {
  method: string
  /** Request path as sent, query included. */
  path: string
  headers: Record<string, string | string[] | undefined>
  /** Status answered; 0 while pending or when the connection was dropped. */
  status: number
}

export interface TestServer {
  /** http://127.0.0.1:PORT (no trailing slash). */
  url: string
  requests: RecordedRequest[]
  /**
   * Inject `fault` on the next `times` requests (default 1; Infinity for "always") whose path
   * matches: a RegExp is tested against the path without query, a string must be contained in it.
   * Faults queue in the order added; the first matching one with uses left applies.
   */
  fault(pathPattern: string | RegExp, fault: Fault, times?: number): void
  clearFaults(): void
  close(): Promise<void>
}

interface ArmedFault {
  pattern: string | RegExp
  fault: Fault
  left: number
}

function matches(pattern: string | RegExp, pathname: string): boolean {
  return typeof pattern === 'string' ? pathname.includes(pattern) : pattern.test(pathname)
}

function takeFault(faults: ArmedFault[], pathname: string): Fault | undefined {
  const armed = faults.find((f) => f.left > 0 && matches(f.pattern, pathname))
  if (!armed) return undefined
  armed.left--
  return armed.fault
}

/** The file under root for a URL path, or undefined (missing, a directory, or outside root). */
function resolveFile(root: string, pathname: string): string | undefined {
  let decoded: string
  try {
    decoded = decodeURIComponent(pathname)
  } catch {
    return undefined
  }
  const file = path.resolve(root, `.${decoded}`)
  if (file !== root && !file.startsWith(root + path.sep)) return undefined
  try {
    return fs.statSync(file).isFile() ? file : undefined
  } catch {
    return undefined
  }
}

function etagOf(body: Buffer): string {
  return `"${crypto.createHash('sha256').update(body).digest('hex').slice(0, 32)}"`
}

function notModified(req: http.IncomingMessage, etag: string, mtime: Date): boolean {
  const inm = req.headers['if-none-match']
  if (inm !== undefined) {
    const tags = inm.split(',').map((t) => t.trim().replace(/^W\//, ''))
    return tags.includes('*') || tags.includes(etag)
  }
  const ims = req.headers['if-modified-since']
  if (ims === undefined) return false
  const since = Date.parse(ims)
  return !Number.isNaN(since) && Math.floor(mtime.getTime() / 1000) * 1000 <= since
}

function flipBytes(body: Buffer): Buffer {
  const copy = Buffer.from(body)
  if (copy.length === 0) return copy
  for (const at of [Math.floor(copy.length / 2), copy.length - 9, copy.length - 1])
    if (at >= 0) copy[at] ^= 0xff
  return copy
}

/** Never keeps the test process alive: a held response may outlive its test. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref())
}

async function respond(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  record: RecordedRequest,
  root: string,
  fault: Fault | undefined
): Promise<void> {
  const pathname = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
  if (fault && 'drop' in fault) {
    req.socket.destroy()
    return
  }
  if (fault && 'delayMs' in fault) {
    await sleep(fault.delayMs)
    if (req.socket.destroyed) return
  }
  const send = (status: number, headers: http.OutgoingHttpHeaders, body?: Buffer): void => {
    record.status = status
    res.writeHead(status, headers)
    res.end(req.method === 'HEAD' ? undefined : body)
  }
  if (fault && 'redirect' in fault) {
    send(302, { Location: fault.redirect.replace('{path}', req.url ?? '/') }, Buffer.alloc(0))
    return
  }
  if (fault && 'status' in fault) {
    send(fault.status, { 'Content-Type': 'text/plain' }, Buffer.from(`injected ${fault.status}\n`))
    return
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(405, { Allow: 'GET, HEAD' }, Buffer.from('method not allowed\n'))
    return
  }
  if (fault && 'endless' in fault) {
    endless(res, record)
    return
  }
  const file = resolveFile(root, pathname)
  if (!file) {
    send(404, { 'Content-Type': 'text/plain' }, Buffer.from(`not found: ${pathname}\n`))
    return
  }
  const body = fs.readFileSync(file)
  const mtime = fs.statSync(file).mtime
  const etag = etagOf(body)
  const headers = { ETag: etag, 'Last-Modified': mtime.toUTCString() }
  if (notModified(req, etag, mtime)) {
    send(304, headers)
    return
  }
  const full = {
    ...headers,
    'Content-Type': 'application/octet-stream',
    'Content-Length': body.length
  }
  if (fault && 'truncate' in fault) {
    record.status = 200
    res.writeHead(200, full)
    res.write(body.subarray(0, fault.truncate), () => res.destroy())
    return
  }
  if (fault && 'dripMs' in fault) {
    record.status = 200
    res.writeHead(200, full)
    drip(res, body, fault.dripMs)
    return
  }
  send(200, full, fault && 'corrupt' in fault ? flipBytes(body) : body)
}

/** A gzip magic, then 1 MiB chunks for as long as the client reads. */
function endless(res: http.ServerResponse, record: RecordedRequest): void {
  record.status = 200
  res.writeHead(200, { 'Content-Type': 'application/octet-stream' })
  const chunk = Buffer.alloc(1024 * 1024, 0x41)
  chunk[0] = 0x1f
  chunk[1] = 0x8b
  const pump = (): void => {
    while (!res.destroyed && res.write(chunk)) chunk[0] = chunk[1] = 0x41
    if (!res.destroyed) res.once('drain', pump)
  }
  pump()
}

function drip(res: http.ServerResponse, body: Buffer, everyMs: number): void {
  let sent = 0
  const timer = setInterval(() => {
    if (res.destroyed || sent >= body.length) {
      clearInterval(timer)
      if (!res.destroyed) res.end()
      return
    }
    res.write(body.subarray(sent, sent + 1))
    sent++
  }, everyMs)
  res.on('close', () => clearInterval(timer))
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port))
  })
}

function closeServer(server: http.Server, sockets: Set<net.Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy()
  server.closeAllConnections()
  return new Promise((resolve) => server.close(() => resolve()))
}

function trackSockets(server: net.Server): Set<net.Socket> {
  const sockets = new Set<net.Socket>()
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  return sockets
}

export interface BasicAuth {
  username: string
  password: string
}

function authorized(req: http.IncomingMessage, auth: BasicAuth | undefined): boolean {
  if (!auth) return true
  const expected = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`
  return req.headers.authorization === expected
}

/** Serves `root` on http://127.0.0.1:<random port>; with `auth`, only to that user. */
export async function startServer(options: {
  root: string
  auth?: BasicAuth
}): Promise<TestServer> {
  const root = path.resolve(options.root)
  const requests: RecordedRequest[] = []
  let faults: ArmedFault[] = []
  const server = http.createServer((req, res) => {
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: { ...req.headers },
      status: 0
    }
    requests.push(record)
    const pathname = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
    res.on('error', () => undefined)
    const fault = takeFault(faults, pathname)
    if (!authorized(req, options.auth) && !(fault && 'redirect' in fault)) {
      record.status = 401
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="witchery-test"' })
      res.end('authentication required\n')
      return
    }
    respond(req, res, record, root, fault).catch(() => req.socket.destroy())
  })
  const sockets = trackSockets(server)
  const port = await listen(server)
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    fault(pattern, fault, times = 1) {
      faults.push({ pattern, fault, left: times })
    },
    clearFaults() {
      faults = []
    },
    close: () => closeServer(server, sockets)
  }
}

export interface TestProxy {
  /** http://127.0.0.1:PORT */
  url: string
  /** `host:port` of every CONNECT, refused ones included. */
  connects: string[]
  /** Absolute URI of every proxied request, refused ones included. */
  requests: string[]
  close(): Promise<void>
}

function loopbackHost(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost'
}

function forward(req: http.IncomingMessage, res: http.ServerResponse): void {
  let target: URL
  try {
    target = new URL(req.url ?? '')
  } catch {
    res.writeHead(400).end('proxy: absolute URI required\n')
    return
  }
  if (target.protocol !== 'http:' || !loopbackHost(target.hostname)) {
    res.writeHead(403).end('proxy: only http://127.0.0.1 targets\n')
    return
  }
  const headers = { ...req.headers }
  delete headers['proxy-connection']
  delete headers['proxy-authorization']
  const upstream = http.request(
    {
      host: '127.0.0.1',
      port: target.port || 80,
      path: `${target.pathname}${target.search}`,
      method: req.method,
      headers
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
      answer.on('error', () => res.destroy())
    }
  )
  upstream.on('error', () =>
    res.headersSent ? res.destroy() : res.writeHead(502).end('proxy: upstream failed\n')
  )
  req.pipe(upstream)
}

function tunnel(
  req: http.IncomingMessage,
  client: net.Socket,
  head: Buffer,
  sockets: Set<net.Socket>
): void {
  const [host, port] = (req.url ?? '').split(':')
  if (!loopbackHost(host) || !port) {
    client.end('HTTP/1.1 403 Forbidden\r\n\r\n')
    return
  }
  const upstream = net.connect(Number(port), '127.0.0.1', () => {
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
    if (head.length) upstream.write(head)
    upstream.pipe(client)
    client.pipe(upstream)
  })
  sockets.add(upstream)
  upstream.on('close', () => sockets.delete(upstream))
  upstream.on('error', () => client.destroy())
  client.on('error', () => upstream.destroy())
}

/** An HTTP proxy on 127.0.0.1 (absolute-URI requests and CONNECT), forwarding to 127.0.0.1 only. */
export async function startProxy(): Promise<TestProxy> {
  const connects: string[] = []
  const requests: string[] = []
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '')
    forward(req, res)
  })
  const sockets = trackSockets(server)
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    connects.push(req.url ?? '')
    sockets.add(client)
    client.on('close', () => sockets.delete(client))
    tunnel(req, client, head, sockets)
  })
  const port = await listen(server)
  return {
    url: `http://127.0.0.1:${port}`,
    connects,
    requests,
    close: () => closeServer(server, sockets)
  }
}
