/**
 * A loopback fake of the Actions cache service v2, enough for the real @actions/cache: the three
 * twirp calls, blob upload (single PUT, or blocks + block list) and download. It demands the
 * bearer token and can fail on request, to test that cache trouble never fails a build.
 */
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'

const TWIRP = '/twirp/github.actions.results.api.v1.CacheService/'

export type CacheOperation =
  | 'CreateCacheEntry'
  | 'FinalizeCacheEntryUpload'
  | 'GetCacheEntryDownloadURL'
  | 'upload'
  | 'download'

/** A status code, a twirp `{ok: false}` answer, or a dropped connection (no retries follow). */
export type CacheFault = { status: number } | { ok: false; message?: string } | { drop: true }

export interface CacheEntry {
  id: number
  key: string
  version: string
  finalized: boolean
  data: Buffer
}

export interface CacheService {
  /** http://127.0.0.1:PORT (no trailing slash). */
  url: string
  token: string
  entries: CacheEntry[]
  /** Every call: operation (or method + path) and the status answered. */
  calls: { operation: string; status: number; key?: string }[]
  fault(operation: CacheOperation, fault: CacheFault, times?: number): void
  /** The variables that point @actions/cache here. */
  env(): Record<string, string>
  close(): Promise<void>
}

export async function startCacheService(options: { token?: string } = {}): Promise<CacheService> {
  const token = options.token ?? 'witchery-test-token'
  const entries: CacheEntry[] = []
  const blocks = new Map<string, Buffer>()
  const faults = new Map<string, { fault: CacheFault; times: number }>()
  const calls: CacheService['calls'] = []
  let base = ''

  const send = (res: http.ServerResponse, status: number, body: unknown, headers = {}) => {
    const bytes = Buffer.isBuffer(body)
      ? body
      : Buffer.from(body === '' ? '' : JSON.stringify(body))
    res.writeHead(status, { 'content-length': bytes.length, ...headers }).end(bytes)
  }
  const takeFault = (operation: string) => {
    const f = faults.get(operation)
    if (!f || f.times <= 0) return undefined
    f.times--
    return f.fault
  }
  const twirp = (operation: string, req: Record<string, unknown>): unknown => {
    const key = String(req.key ?? '')
    const version = String(req.version ?? '')
    if (operation === 'CreateCacheEntry') {
      if (entries.some((e) => e.key === key && e.version === version)) {
        return { ok: false, message: `cache entry ${key} already exists` }
      }
      const entry = {
        id: entries.length + 1,
        key,
        version,
        finalized: false,
        data: Buffer.alloc(0)
      }
      entries.push(entry)
      return { ok: true, signed_upload_url: `${base}/blob/${entry.id}?sig=upload` }
    }
    if (operation === 'FinalizeCacheEntryUpload') {
      const entry = entries.find((e) => e.key === key && e.version === version && !e.finalized)
      if (!entry || entry.data.length !== Number(req.size_bytes))
        return { ok: false, message: 'size mismatch' }
      entry.finalized = true
      return { ok: true, entry_id: String(entry.id) }
    }
    const usable = entries.filter((e) => e.finalized && e.version === version).reverse()
    const restoreKeys = (req.restore_keys as string[] | undefined) ?? []
    const match =
      usable.find((e) => e.key === key) ??
      restoreKeys
        .map((k) => usable.find((e) => e.key === k) ?? usable.find((e) => e.key.startsWith(k)))
        .find((e) => e !== undefined)
    if (!match) return { ok: false, signed_download_url: '', matched_key: '' }
    return {
      ok: true,
      signed_download_url: `${base}/blob/${match.id}?sig=download`,
      matched_key: match.key
    }
  }
  const blob = (url: URL, body: Buffer): number => {
    const entry = entries.find((e) => e.id === Number(url.pathname.split('/')[2]))
    if (!entry) return 404
    const comp = url.searchParams.get('comp')
    if (comp === 'block') blocks.set(`${entry.id}/${url.searchParams.get('blockid')}`, body)
    else if (comp === 'blocklist') {
      const ids = [...body.toString('utf8').matchAll(/<(?:Latest|Uncommitted|Committed)>([^<]*)</g)]
      entry.data = Buffer.concat(
        ids.map((m) => blocks.get(`${entry.id}/${m[1]}`) ?? Buffer.alloc(0))
      )
    } else entry.data = body
    return 201
  }

  type Answer = { status: number; body: unknown; headers?: Record<string, string>; key?: string }
  const handle = (
    req: http.IncomingMessage,
    operation: string,
    url: URL,
    body: Buffer
  ): Answer | 'drop' => {
    const fault = takeFault(operation)
    if (fault && 'drop' in fault) return 'drop'
    if (fault && 'status' in fault) return { status: fault.status, body: { msg: 'injected fault' } }
    if (url.pathname.startsWith(TWIRP)) {
      if (req.headers.authorization !== `Bearer ${token}`)
        return { status: 401, body: { code: 'unauthenticated' } }
      const request = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>
      const answer = fault
        ? { ok: false, message: fault.message ?? 'injected fault' }
        : twirp(operation, request)
      return {
        status: 200,
        body: answer,
        headers: { 'content-type': 'application/json' },
        key: String(request.key)
      }
    }
    if (operation === 'upload') {
      const headers = {
        etag: `"${calls.length}"`,
        'last-modified': new Date().toUTCString(),
        'x-ms-request-id': String(calls.length)
      }
      return { status: blob(url, body), body: '', headers }
    }
    const entry = entries.find((e) => e.id === Number(url.pathname.split('/')[2]))
    if (operation !== 'download' || !entry) return { status: 404, body: { msg: 'not found' } }
    return {
      status: 200,
      body: entry.data,
      headers: { 'content-type': 'application/octet-stream' },
      key: entry.key
    }
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', base)
      const operation = url.pathname.startsWith(TWIRP)
        ? url.pathname.slice(TWIRP.length)
        : url.pathname.startsWith('/blob/')
          ? req.method === 'PUT'
            ? 'upload'
            : 'download'
          : `${req.method} ${url.pathname}`
      const answer = handle(req, operation, url, Buffer.concat(chunks))
      if (answer === 'drop') {
        calls.push({ operation, status: 0 })
        req.socket.destroy()
        return
      }
      calls.push({ operation, status: answer.status, key: answer.key })
      send(res, answer.status, answer.body, answer.headers)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url: base,
    token,
    entries,
    calls,
    fault: (operation, fault, times = 1) => void faults.set(operation, { fault, times }),
    env: () => ({
      ACTIONS_CACHE_SERVICE_V2: 'true',
      ACTIONS_RESULTS_URL: `${base}/`,
      ACTIONS_RUNTIME_TOKEN: token
    }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
