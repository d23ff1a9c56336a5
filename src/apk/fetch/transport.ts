/**
 * HTTP(S) downloads for the engine, on node:http/node:https alone: retries with backoff,
 * conditional requests, redirects, truncation checks and the proxy variables CI runners set.
 * Local repositories never come here; fetch.ts reads them from disk.
 */
import * as fs from 'node:fs'
import type * as http from 'node:http'
import type * as https from 'node:https'
import type * as net from 'node:net'
import type { Duplex } from 'node:stream'
import * as lazy from '../../lazy-builtins.js'
import { FetchError, InvalidArgumentError } from '../errors.js'
import { silentLogger, type Logger } from '../types.js'
import type { AuthProvider } from './auth.js'
import { bareHostname, portOf, proxyAuthorization, proxyFor } from './proxy.js'
import { letGo } from '../../released-memory.js'

export interface TransportOptions {
  /** Idle timeout of one attempt, in ms: no connection, header or body byte for this long. */
  timeoutMs?: number
  /**
   * Overall deadline of one attempt, in ms, however steadily bytes arrive (a server that drips
   * one byte at a time never trips the idle timeout). Default 10 minutes.
   */
  deadlineMs?: number
  /** Attempts after the first one, for failures that may be transient. */
  retries?: number
  /** First backoff delay in ms; doubles per attempt, with jitter. */
  backoffMs?: number
  /** Cap on any single wait between attempts, Retry-After included. */
  maxBackoffMs?: number
  userAgent?: string
  /** Where the proxy variables are read from. */
  env?: NodeJS.ProcessEnv
  /** Extra trusted CA certificates (PEM), e.g. for a TLS-inspecting proxy. */
  ca?: string | Buffer | Array<string | Buffer>
  /** Credentials per host for private repositories; never sent to another host. */
  auth?: AuthProvider
  logger?: Logger
}

export interface GetOptions {
  /** Sends If-None-Match. */
  etag?: string
  /** Sends If-Modified-Since. */
  lastModified?: string
  /** A body of any other length is treated as truncated (and retried). */
  expectedSize?: number
  /**
   * The most bytes the body may have, refused as they arrive (not retried): without
   * `expectedSize`, DEFAULT_MAX_BODY.
   */
  maxBytes?: number
  /** Bytes the body must start with (the gzip magic for an index), checked as they arrive. */
  magic?: Buffer
  /** What the body is, for messages (`index`, `package`); default `file`. */
  what?: string
  signal?: AbortSignal
  /** Attempts after the first for this download (default: the transport's). */
  retries?: number
  /**
   * Write the body to this file (made anew, mode 0600, for each attempt) instead of holding it
   * in memory: the response's body is then empty and its `size` says how long the file is.
   */
  file?: string
}

/** The largest body taken when the caller names no size: more than any index or key. */
export const DEFAULT_MAX_BODY = 64 * 1024 * 1024

export interface TransportResponse {
  status: 200 | 304
  /** Empty for 304, and when the body went to GetOptions.file. */
  body: Buffer
  /** Bytes of the body, wherever it went. */
  size: number
  etag?: string
  lastModified?: string
  /** The URL that answered, after redirects. */
  url: string
}

const MAX_REDIRECTS = 5
const REDIRECTS = new Set([301, 302, 303, 307, 308])
const DEFAULT_USER_AGENT = `witchery (node ${process.version})`

/** Why one attempt failed, and whether another attempt could succeed. */
class AttemptError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly extra: { status?: number; retryAfterMs?: number; final?: string; cause?: unknown } = {}
  ) {
    super(message, { cause: extra.cause })
  }
}

interface RawResponse {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
  size: number
}

type Route =
  { kind: 'direct' } | { kind: 'proxy'; proxy: URL } | { kind: 'tunnel'; agent: https.Agent }

export class HttpTransport {
  private readonly timeoutMs: number
  private readonly deadlineMs: number
  private readonly retries: number
  private readonly backoffMs: number
  private readonly maxBackoffMs: number
  private readonly userAgent: string
  private readonly env: NodeJS.ProcessEnv
  private readonly ca?: string | Buffer | Array<string | Buffer>
  private readonly logger: Logger
  private readonly auth?: AuthProvider
  private httpAgentMade?: http.Agent
  private httpsAgentMade?: https.Agent
  /** One agent per proxy and origin: tunnels with TLS inside, kept alive and reused. */
  private readonly tunnelAgents = new Map<string, https.Agent>()

  constructor(options: TransportOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 30_000
    this.deadlineMs = options.deadlineMs ?? 600_000
    this.retries = Math.max(0, options.retries ?? 4)
    this.backoffMs = options.backoffMs ?? 500
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000
    this.userAgent = options.userAgent ?? DEFAULT_USER_AGENT
    this.env = options.env ?? process.env
    this.ca = options.ca
    this.logger = options.logger ?? silentLogger
    this.auth = options.auth
  }

  // Keep-alive: a build fetches dozens of packages from one mirror. Made on the first request:
  // a transport that never sends one loads no network module.
  private get httpAgent(): http.Agent {
    return (this.httpAgentMade ??= new (lazy.http().Agent)({ keepAlive: true }))
  }

  private get httpsAgent(): https.Agent {
    return (this.httpsAgentMade ??= new (lazy.https().Agent)({ keepAlive: true, ca: this.ca }))
  }

  /**
   * GETs `url`: 200 with the body, or 304 when `etag`/`lastModified` still match. Transient
   * failures are retried; anything else, or the last failure, is a FetchError naming the URL.
   */
  async get(url: string, options: GetOptions = {}): Promise<TransportResponse> {
    checkHttpUrl(url)
    const retries = Math.max(0, options.retries ?? this.retries)
    for (let attempt = 0; ; attempt++) {
      throwIfAborted(url, options.signal)
      try {
        return await this.attempt(url, options)
      } catch (error) {
        if (error instanceof InvalidArgumentError) throw error
        const failure = asAttemptError(error, url)
        if (options.signal?.aborted) throwIfAborted(url, options.signal)
        if (!failure.retryable) throw finalError(url, failure)
        if (attempt >= retries) throw exhaustedError(url, failure, attempt + 1)
        const delay = this.delayFor(attempt, failure.extra.retryAfterMs)
        this.logger.debug(
          `${url}: ${failure.message}; retrying in ${delay} ms (attempt ${attempt + 2} of ${retries + 1})`
        )
        await sleep(delay, url, options.signal)
      }
    }
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.httpAgentMade?.destroy()
    this.httpsAgentMade?.destroy()
    for (const agent of this.tunnelAgents.values()) agent.destroy()
    this.tunnelAgents.clear()
  }

  private delayFor(attempt: number, retryAfterMs: number | undefined): number {
    if (retryAfterMs !== undefined) return Math.min(retryAfterMs, this.maxBackoffMs)
    const ceiling = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** attempt)
    // Jitter spreads the retries of parallel downloads that failed together.
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2)
  }

  /**
   * One attempt, redirects included. Credentials chosen for the first URL follow redirects
   * within its origin only; at another origin only that origin's own credentials (if given) go.
   */
  private async attempt(url: string, options: GetOptions): Promise<TransportResponse> {
    const conditional = options.etag !== undefined || options.lastModified !== undefined
    let current = new URL(url)
    let authOrigin = current.origin
    let authorization = this.auth?.authorizationFor(current)
    for (let hop = 0; ; hop++) {
      const response = await this.request(current, options, authorization)
      if (REDIRECTS.has(response.status) && response.headers.location) {
        if (hop >= MAX_REDIRECTS) {
          throw new AttemptError(`more than ${MAX_REDIRECTS} redirects`, false)
        }
        current = redirectTarget(current, response.headers.location)
        if (current.origin !== authOrigin) {
          authOrigin = current.origin
          authorization = this.auth?.authorizationFor(current)
        }
        continue
      }
      return toTransportResponse(current, response, conditional, authorization !== undefined)
    }
  }

  private async request(
    target: URL,
    options: GetOptions,
    authorization: string | undefined
  ): Promise<RawResponse> {
    const route = this.routeFor(target)
    return new Promise((resolve, reject) => {
      let request: http.ClientRequest
      try {
        request = this.makeRequest(target, route, options, authorization)
      } catch (error) {
        // Nothing was sent (a header Node refuses, say): not the network's fault, no retry, and
        // made before the exchange, so no timer of one is left armed.
        reject(new AttemptError(`cannot send the request: ${(error as Error).message}`, false))
        return
      }
      const limits = { idleMs: this.timeoutMs, deadlineMs: this.deadlineMs }
      const exchange = new Exchange(limits, options, resolve, reject)
      exchange.attach(request)
    })
  }

  private routeFor(target: URL): Route {
    const proxy = proxyFor(target, this.env)
    if (!proxy) return { kind: 'direct' }
    if (target.protocol === 'http:') return { kind: 'proxy', proxy }
    return { kind: 'tunnel', agent: this.tunnelAgent(proxy, target) }
  }

  /**
   * The agent for HTTPS to `target` through `proxy`: each of its connections is a CONNECT tunnel
   * with TLS inside, and like any keep-alive connection it serves the next request, so a build's
   * downloads through a proxy do not each pay a CONNECT and a TLS handshake.
   */
  private tunnelAgent(proxy: URL, target: URL): https.Agent {
    const key = `${proxy.href} ${target.host}`
    const known = this.tunnelAgents.get(key)
    if (known !== undefined) return known
    const agent = new (tunnelAgentClass())(() => this.openTunnel(proxy, target, undefined), this.ca)
    this.tunnelAgents.set(key, agent)
    return agent
  }

  private requestHeaders(options: GetOptions): http.OutgoingHttpHeaders {
    const headers: http.OutgoingHttpHeaders = {
      'User-Agent': this.userAgent,
      Accept: '*/*',
      'Accept-Encoding': 'identity'
    }
    if (options.etag !== undefined) headers['If-None-Match'] = options.etag
    if (options.lastModified !== undefined) headers['If-Modified-Since'] = options.lastModified
    return headers
  }

  private makeRequest(
    target: URL,
    route: Route,
    options: GetOptions,
    authorization: string | undefined
  ): http.ClientRequest {
    const headers = this.requestHeaders(options)
    if (authorization !== undefined) headers.Authorization = authorization
    const host = bareHostname(target)
    const port = Number(portOf(target))
    const path = `${target.pathname}${target.search}`
    if (route.kind === 'tunnel') {
      return lazy.https().request({ host, port, path, headers, agent: route.agent })
    }
    if (route.kind === 'proxy') {
      const auth = proxyAuthorization(route.proxy)
      if (auth) headers['Proxy-Authorization'] = auth
      headers.Host = target.host
      const viaTls = route.proxy.protocol === 'https:'
      return (viaTls ? lazy.https() : lazy.http()).request({
        host: bareHostname(route.proxy),
        port: Number(portOf(route.proxy)),
        path: `${target.origin}${path}`,
        headers,
        agent: viaTls ? this.httpsAgent : this.httpAgent
      })
    }
    const secure = target.protocol === 'https:'
    return (secure ? lazy.https() : lazy.http()).request({
      host,
      port,
      path,
      headers,
      agent: secure ? this.httpsAgent : this.httpAgent
    })
  }

  /** CONNECT host:port through the proxy; resolves with the raw tunnel socket. */
  private openTunnel(
    proxy: URL,
    target: URL,
    signal: AbortSignal | undefined
  ): Promise<net.Socket> {
    const authority = `${target.hostname}:${portOf(target)}`
    const headers: http.OutgoingHttpHeaders = { Host: authority, 'User-Agent': this.userAgent }
    const auth = proxyAuthorization(proxy)
    if (auth) headers['Proxy-Authorization'] = auth
    const viaTls = proxy.protocol === 'https:'
    return new Promise((resolve, reject) => {
      const request = (viaTls ? lazy.https() : lazy.http()).request({
        host: bareHostname(proxy),
        port: Number(portOf(proxy)),
        method: 'CONNECT',
        path: authority,
        headers,
        agent: false,
        ca: viaTls ? this.ca : undefined
      })
      const fail = (error: Error): void => {
        cleanup()
        request.destroy()
        reject(error)
      }
      const timer = setTimeout(
        () =>
          fail(
            new AttemptError(`proxy ${proxy.host} did not answer in ${this.timeoutMs} ms`, true)
          ),
        this.timeoutMs
      )
      const onAbort = (): void => fail(abortedError(signal))
      signal?.addEventListener('abort', onAbort)
      const cleanup = (): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
      }
      request.once('connect', (response, socket, head) => {
        cleanup()
        const status = response.statusCode ?? 0
        if (status !== 200) {
          socket.destroy()
          reject(proxyRefusal(proxy, authority, status))
          return
        }
        if (head.length > 0) socket.unshift(head)
        resolve(socket)
      })
      request.once('error', fail)
      request.end()
    })
  }
}

/** An HTTPS agent whose connections are TLS over a tunnel that `open` makes through a proxy. */
type TunnelAgent = new (
  open: () => Promise<net.Socket>,
  trusted: string | Buffer | Array<string | Buffer> | undefined
) => https.Agent

let tunnelAgent: TunnelAgent | undefined

/** The TunnelAgent class, made once https is loaded: its base class is https.Agent. */
function tunnelAgentClass(): TunnelAgent {
  return (tunnelAgent ??= class extends lazy.https().Agent {
    constructor(
      private readonly open: () => Promise<net.Socket>,
      private readonly trusted: string | Buffer | Array<string | Buffer> | undefined
    ) {
      super({ keepAlive: true, ca: trusted })
    }

    // Node's Agent takes the socket from the callback when createConnection returns nothing.
    createConnection(
      options: http.RequestOptions,
      callback?: (error: Error | null, socket: Duplex) => void
    ): undefined {
      const host = options.host ?? ''
      const servername = lazy.net().isIP(host) === 0 ? host : undefined
      this.open().then(
        (raw) => {
          const socket = lazy.tls().connect({ socket: raw, host, servername, ca: this.trusted })
          socket.once('close', () => raw.destroy())
          callback?.(null, socket)
        },
        // On an error Node's Agent reads no socket.
        (error: Error) => callback?.(error, undefined as unknown as Duplex)
      )
      return undefined
    }
  })
}

/**
 * One request/response: an idle timer reset by every byte, the abort signal, and body checks.
 * Settles exactly once and tears the connection down on failure.
 */
class Exchange {
  private settled = false
  private readonly timer: NodeJS.Timeout
  private readonly deadline: NodeJS.Timeout
  private request?: http.ClientRequest
  private readonly signal: AbortSignal | undefined
  /** GetOptions.file while the body is written to it. */
  private fd?: number
  private readonly onAbort = (): void => this.fail(abortedError(this.signal))

  constructor(
    limits: { idleMs: number; deadlineMs: number },
    private readonly options: GetOptions,
    private readonly resolve: (response: RawResponse) => void,
    private readonly reject: (error: Error) => void
  ) {
    this.signal = options.signal
    this.timer = setTimeout(
      () => this.fail(new AttemptError(`no data for ${limits.idleMs} ms (timed out)`, true)),
      limits.idleMs
    )
    this.deadline = setTimeout(
      () =>
        this.fail(
          new AttemptError(
            `not complete after ${limits.deadlineMs} ms (the server sends too slowly)`,
            true
          )
        ),
      limits.deadlineMs
    )
    this.signal?.addEventListener('abort', this.onAbort)
  }

  attach(request: http.ClientRequest): void {
    this.request = request
    request.on('error', (error) => this.fail(error))
    request.on('response', (response) => this.onResponse(response))
    request.end()
  }

  private touch(): void {
    this.timer.refresh()
  }

  private onResponse(response: http.IncomingMessage): void {
    this.touch()
    const status = response.statusCode ?? 0
    if (status !== 200) {
      response.on('error', (error) => this.fail(error))
      // Only the status and headers matter; drain so the connection can be reused.
      response.resume()
      this.succeed({ status, headers: response.headers, body: Buffer.alloc(0), size: 0 })
      return
    }
    this.collect(response)
  }

  private collect(response: http.IncomingMessage): void {
    const { expectedSize, magic } = this.options
    const limit = expectedSize ?? this.options.maxBytes ?? DEFAULT_MAX_BODY
    const declared = declaredLength(response.headers)
    if (declared !== undefined && declared > limit) {
      this.fail(tooLarge(this.options, limit, `the server announces ${declared} bytes`))
      return
    }
    if (this.options.file !== undefined && !this.openFile(this.options.file)) return
    const chunks: Buffer[] = []
    let received = 0
    // A connection lost mid-body surfaces as 'error' (aborted) or as 'close' without 'end'.
    response.on('error', () => this.fail(truncated(received, declared)))
    response.on('data', (chunk: Buffer) => {
      this.touch()
      received += chunk.length
      // Into the file, the first bytes kept for the magic check; else all kept.
      if (this.fd === undefined || received - chunk.length < (magic?.length ?? 0)) {
        chunks.push(chunk)
      }
      if (this.fd !== undefined) {
        if (!this.writeFile(chunk)) return
        // In the file now: a download to a file passes through memory in such pieces.
        letGo(chunk.length)
      }
      if (received > limit) {
        chunks.length = 0
        const what = `more than ${limit} bytes arrived`
        this.fail(
          expectedSize === undefined
            ? tooLarge(this.options, limit, what)
            : sizeMismatch(`more than the expected ${expectedSize} bytes`)
        )
      } else if (magic && received - chunk.length < magic.length) {
        const head = Buffer.concat(chunks).subarray(0, magic.length)
        if (!magic.subarray(0, head.length).equals(head)) this.fail(notMagic(this.options, head))
      }
    })
    response.on('end', () => {
      if (!response.complete || (declared !== undefined && received !== declared)) {
        this.fail(truncated(received, declared))
      } else if (expectedSize !== undefined && received !== expectedSize) {
        this.fail(sizeMismatch(`${received} bytes where ${expectedSize} were expected`))
      } else {
        const body = this.fd === undefined ? Buffer.concat(chunks) : Buffer.alloc(0)
        this.succeed({ status: 200, headers: response.headers, body, size: received })
      }
    })
    response.on('close', () => {
      if (!response.complete) this.fail(truncated(received, declared))
    })
  }

  private succeed(response: RawResponse): void {
    if (this.settled) return
    this.finish()
    this.resolve(response)
  }

  private fail(error: Error): void {
    if (this.settled) return
    this.finish()
    this.request?.destroy()
    this.reject(error)
  }

  private finish(): void {
    this.settled = true
    clearTimeout(this.timer)
    clearTimeout(this.deadline)
    this.signal?.removeEventListener('abort', this.onAbort)
    if (this.fd !== undefined) fs.closeSync(this.fd)
    this.fd = undefined
  }

  /** Opens GetOptions.file afresh (a retry starts over); false, and failed, when it cannot. */
  private openFile(file: string): boolean {
    try {
      this.fd = fs.openSync(file, 'w', 0o600)
      return true
    } catch (error) {
      this.fail(cannotWrite(file, error))
      return false
    }
  }

  private writeFile(chunk: Buffer): boolean {
    try {
      for (let done = 0; done < chunk.length;) {
        done += fs.writeSync(this.fd as number, chunk, done, chunk.length - done)
      }
      return true
    } catch (error) {
      this.fail(cannotWrite(this.options.file as string, error))
      return false
    }
  }
}

/** The download's file cannot be written (a full disk): not retried. */
function cannotWrite(file: string, error: unknown): AttemptError {
  return new AttemptError(`cannot write ${file}: ${(error as Error).message}`, false, {
    cause: error
  })
}

function declaredLength(headers: http.IncomingHttpHeaders): number | undefined {
  const value = headers['content-length']
  if (value === undefined || headers['transfer-encoding'] !== undefined) return undefined
  const n = Number(value)
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined
}

function truncated(received: number, declared: number | undefined): AttemptError {
  const of = declared === undefined ? '' : ` of ${declared}`
  return new AttemptError(`connection closed after ${received}${of} bytes (truncated body)`, true)
}

/** A body past its bound: a mirror that never ends, or not the file asked for. Not retried. */
function tooLarge(options: GetOptions, limit: number, what: string): AttemptError {
  const thing = options.what ?? 'file'
  const article = /^[aeiou]/.test(thing) ? 'an' : 'a'
  return new AttemptError(
    `${what}; at most ${limit} bytes are taken for ${article} ${thing}: the server sends ` +
      'something else or a body that never ends; check the repository URL and the mirror',
    false
  )
}

/** A body that does not start as the format must (an HTML error page for an index). */
function notMagic(options: GetOptions, head: Buffer): AttemptError {
  const thing = options.what ?? 'file'
  return new AttemptError(
    `the ${thing} does not start like gzip data (first bytes ${head.toString('hex')}): the ` +
      'server answers with something else (an error page?); check the repository URL',
    false
  )
}

function sizeMismatch(what: string): AttemptError {
  return new AttemptError(`received ${what} (truncated or wrong file)`, true)
}

function toTransportResponse(
  url: URL,
  response: RawResponse,
  conditional: boolean,
  authorized: boolean
): TransportResponse {
  const { status, headers } = response
  if (status === 200 || (status === 304 && conditional)) {
    const result: TransportResponse = {
      status,
      body: response.body,
      size: response.size,
      url: url.href
    }
    if (typeof headers.etag === 'string') result.etag = headers.etag
    if (typeof headers['last-modified'] === 'string') result.lastModified = headers['last-modified']
    return result
  }
  throw statusError(url, response, authorized)
}

function statusError(url: URL, response: RawResponse, authorized: boolean): AttemptError {
  const { status, headers } = response
  const reason = lazy.http().STATUS_CODES[status]
  const label = `HTTP ${status}${reason ? ` ${reason}` : ''}`
  if (status >= 500 || status === 408 || status === 429) {
    return new AttemptError(`server answered ${label}`, true, {
      status,
      retryAfterMs: parseRetryAfter(headers['retry-after'])
    })
  }
  const final = finalStatusMessage(url, status, label, authorized)
  return new AttemptError(`server answered ${label}`, false, { status, final })
}

function finalStatusMessage(
  target: URL,
  status: number,
  label: string,
  authorized: boolean
): string {
  const url = target.href
  if (status === 404 || status === 410) {
    return `not found: ${url} — check the repository URL/branch and arch`
  }
  if ((status === 401 || status === 403) && authorized) {
    return `${url} answered ${label}: the credentials given for ${target.host} were refused; check the user and token (and that the token may read this repository)`
  }
  if (status === 401 || status === 403) {
    return `${url} answered ${label}: the server refuses this download without credentials, and none are given for ${target.host}; give them as \`repository-auth\` (${target.host} USER:TOKEN) or in the repository URL (https://USER:TOKEN@host/…), or check the repository URL`
  }
  if (status === 407) {
    return `${url}: the proxy wants credentials (${label}); put them in the proxy URL, e.g. HTTPS_PROXY=http://user:password@proxy:3128`
  }
  return `${url} answered ${label}, which the engine cannot use; check the repository URL`
}

/** Retry-After as delay-seconds or an HTTP date, in ms. */
function parseRetryAfter(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}

function redirectTarget(from: URL, location: string): URL {
  let next: URL
  try {
    next = new URL(location, from)
  } catch {
    throw new AttemptError(`redirect to an invalid location '${location}'`, false)
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') {
    throw new AttemptError(`redirect to unsupported ${next.protocol} URL ${next.href}`, false)
  }
  if (from.protocol === 'https:' && next.protocol === 'http:') {
    throw new AttemptError(
      `redirect from https to ${next.href} refused (a downgrade to plain http)`,
      false,
      {
        final: `${from.href} redirects to ${next.href}: refusing an https→http downgrade; use an https mirror`
      }
    )
  }
  return next
}

function proxyRefusal(proxy: URL, authority: string, status: number): AttemptError {
  const message = `proxy ${proxy.host} answered ${status} to CONNECT ${authority}`
  if (status === 407) {
    return new AttemptError(message, false, {
      status,
      final: `${message}: the proxy wants credentials; put them in the proxy URL, e.g. HTTPS_PROXY=http://user:password@proxy:3128`
    })
  }
  return new AttemptError(message, status >= 500 || status === 408 || status === 429, { status })
}

/** Network failures that will not heal by waiting. */
const PERMANENT_CODES = new Set(['ENOTFOUND', 'ERR_INVALID_URL', 'ERR_TLS_CERT_ALTNAME_INVALID'])

function asAttemptError(error: unknown, url: string): AttemptError {
  if (error instanceof AttemptError) return error
  const err = error as NodeJS.ErrnoException
  const code = typeof err?.code === 'string' ? err.code : ''
  const message =
    code && !String(err.message).includes(code) ? `${err.message} (${code})` : err.message
  const permanent = PERMANENT_CODES.has(code) || /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)
  if (code === 'ENOTFOUND') {
    const host = new URL(url).hostname
    return new AttemptError(message, false, {
      cause: error,
      final: `cannot resolve host ${host} for ${url}: check the repository URL, DNS, or the proxy settings (HTTPS_PROXY, NO_PROXY)`
    })
  }
  return new AttemptError(String(message), !permanent, { cause: error })
}

function finalError(url: string, failure: AttemptError): FetchError {
  const message = failure.extra.final ?? `cannot download ${url}: ${failure.message}`
  return new FetchError(url, message, {
    status: failure.extra.status,
    cause: failure.extra.cause ?? failure
  })
}

function exhaustedError(url: string, failure: AttemptError, attempts: number): FetchError {
  return new FetchError(
    url,
    `cannot download ${url} after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${failure.message}; check the mirror, the network or the proxy settings`,
    { status: failure.extra.status, cause: failure.extra.cause ?? failure }
  )
}

function checkHttpUrl(url: string): void {
  let parsed: URL | undefined
  try {
    parsed = new URL(url)
  } catch {
    parsed = undefined
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new InvalidArgumentError(
      `'${url}' is not an http:// or https:// URL; local repositories are read from disk, not downloaded.`
    )
  }
}

function abortedError(signal: AbortSignal | undefined): AttemptError {
  return new AttemptError('cancelled', false, { cause: signal?.reason })
}

function throwIfAborted(url: string, signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new FetchError(url, `download of ${url} was cancelled`, { cause: signal.reason })
  }
}

function sleep(ms: number, url: string, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(new FetchError(url, `download of ${url} was cancelled`, { cause: signal?.reason }))
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
