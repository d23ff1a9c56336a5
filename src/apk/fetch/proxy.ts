/**
 * Proxy selection as CI runners configure it, with the curl/wget conventions (HTTPS_PROXY,
 * HTTP_PROXY, NO_PROXY, lower case first), and the credentials a proxy URL carries.
 */
import { InvalidArgumentError } from '../errors.js'
import { decodeUserinfo, maskedUrl } from './auth.js'
import { net } from '../../lazy-builtins.js'

/** The proxy for `target`, or undefined for a direct connection. */
export function proxyFor(target: URL, env: NodeJS.ProcessEnv): URL | undefined {
  const name = target.protocol === 'https:' ? 'https_proxy' : 'http_proxy'
  const raw = (env[name] ?? env[name.toUpperCase()] ?? '').trim()
  if (raw === '') return undefined
  if (bypassesProxy(target, env.no_proxy ?? env.NO_PROXY ?? '')) return undefined
  return parseProxyUrl(raw, name)
}

function parseProxyUrl(raw: string, variable: string): URL {
  // Messages show the proxy without the password it may carry.
  const written = raw.includes('://') ? raw : `http://${raw}`
  const shown = maskedUrl(written)
  let proxy: URL
  try {
    proxy = new URL(written)
  } catch {
    throw new InvalidArgumentError(
      `${variable}='${shown}' is not a URL: write http://[user:password@]host:port.`
    )
  }
  if (proxy.protocol !== 'http:' && proxy.protocol !== 'https:') {
    throw new InvalidArgumentError(
      `${variable}='${shown}' uses ${proxy.protocol}//, which is not supported: use an http:// or https:// proxy.`
    )
  }
  return proxy
}

/** `Proxy-Authorization` value for credentials written in the proxy URL. */
export function proxyAuthorization(proxy: URL): string | undefined {
  if (proxy.username === '' && proxy.password === '') return undefined
  const user = decodeUserinfo(proxy.username)
  const password = decodeUserinfo(proxy.password)
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
}

export function bareHostname(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase()
}

export function portOf(url: URL): string {
  return url.port || (url.protocol === 'https:' ? '443' : '80')
}

/**
 * NO_PROXY: comma- or space-separated entries; `*` matches everything; `example.com` and
 * `.example.com` match the domain and its subdomains; `host:port` matches that port only; IP
 * addresses match exactly, and `a.b.c.d/n` matches an IPv4 range.
 */
export function bypassesProxy(target: URL, noProxy: string): boolean {
  const host = bareHostname(target)
  const port = portOf(target)
  return noProxy
    .split(/[\s,]+/)
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== '')
    .some((entry) => entry === '*' || entryMatches(parseEntry(entry), host, port))
}

interface NoProxyEntry {
  host: string
  port?: string
}

function parseEntry(entry: string): NoProxyEntry {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry)
  if (bracketed) return { host: bracketed[1], port: bracketed[2] }
  const hostPort = /^([^:]+):(\d+)$/.exec(entry)
  if (hostPort) return { host: hostPort[1], port: hostPort[2] }
  return { host: entry }
}

function entryMatches(entry: NoProxyEntry, host: string, port: string): boolean {
  if (entry.port !== undefined && entry.port !== port) return false
  if (entry.host.includes('/')) return inIpv4Range(host, entry.host)
  if (net().isIP(host) !== 0) return host === entry.host
  const domain = entry.host.replace(/^\*?\./, '')
  return host === domain || host.endsWith(`.${domain}`)
}

function inIpv4Range(host: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/')
  const bits = Number(bitsText)
  if (
    !net().isIPv4(host) ||
    !net().isIPv4(base) ||
    !Number.isInteger(bits) ||
    bits < 0 ||
    bits > 32
  ) {
    return false
  }
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0
  return (ipv4ToInt(host) & mask) >>> 0 === (ipv4ToInt(base) & mask) >>> 0
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => ((n << 8) | Number(part)) >>> 0, 0)
}
