/**
 * Credentials for private repositories: HTTP basic auth, from a repository URL's userinfo
 * (`https://user:token@host/path`, as apk-tools takes them) or from `HOST[/PATH] USER:TOKEN`
 * lines. A credential belongs to a host (and a path prefix) and is sent only there. Everywhere
 * else (logs, errors, caches, the image's etc/apk/repositories) URLs go without userinfo:
 * repository strings are split into a public URL and credentials the moment they are parsed.
 */
import { InvalidArgumentError } from '../errors.js'

export interface HostCredentials {
  /**
   * `https:`, or `http:` for credentials given in or for an http URL: they are never sent
   * under the other scheme (a redirect to http://host/… must not carry an https token in clear).
   */
  protocol: 'https:' | 'http:'
  /** `hostname[:port]` as `URL.host` spells it (lowercase, default port left out). */
  host: string
  /** Path prefix the credentials are for, ending in `/` (`/` for the whole host). */
  path: string
  username: string
  password: string
}

/** What the transport asks before each request: the `Authorization` value for that URL. */
export interface AuthProvider {
  authorizationFor(url: URL): string | undefined
}

/**
 * `scheme://userinfo@` — userinfo runs to the last `@` before the path; also after `http:` or
 * `https:` with one slash or none, which URL parsers take as `//` (`https:/user:token@host`).
 */
const USERINFO = /([a-zA-Z][a-zA-Z0-9+.-]*:\/\/|\bhttps?:\/?)[^/?#\s]*@/gi

/** The URL without its userinfo (`https://u:p@host/x` → `https://host/x`); other text as is. */
export function publicUrl(text: string): string {
  return text.replace(USERINFO, '$1')
}

/**
 * publicUrl, for text that is to be one URL but may not parse: everything from `scheme://` to
 * the last `@` goes (a password with an unencoded `/` would otherwise be shown from it on).
 */
export function maskedUrl(text: string): string {
  return publicUrl(text).replace(/^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)\S*@/, '$1')
}

/** Percent-decoded userinfo; a malformed escape is kept as written rather than thrown. */
export function decodeUserinfo(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

function withSlash(pathname: string): string {
  return pathname.endsWith('/') ? pathname : `${pathname}/`
}

/**
 * Splits the credentials out of an http(s) repository URL. `url` is the public URL; the
 * credentials hold for the URL's host under the repository's path.
 */
export function splitCredentials(location: string): {
  url: string
  credentials?: HostCredentials
} {
  const url = publicUrl(location)
  const match = /^https?:\/\/([^/?#\s]*)@/i.exec(location)
  if (!match) return { url }
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return { url }
  }
  const userinfo = match[1]
  const colon = userinfo.indexOf(':')
  const username = decodeUserinfo(colon < 0 ? userinfo : userinfo.slice(0, colon))
  const password = decodeUserinfo(colon < 0 ? '' : userinfo.slice(colon + 1))
  if (username === '' && password === '') return { url }
  return {
    url,
    credentials: {
      protocol: parsed.protocol === 'http:' ? 'http:' : 'https:',
      host: parsed.host,
      path: withSlash(parsed.pathname),
      username,
      password
    }
  }
}

/** The credentials written in repository lines (`[@tag ]URL`), for the hosts they name. */
export function repositoryCredentials(lines: string[]): HostCredentials[] {
  const found: HostCredentials[] = []
  for (const line of lines) {
    const location = line.trim().split(/\s+/).at(-1) ?? ''
    const { credentials } = splitCredentials(location)
    if (credentials) found.push(credentials)
  }
  return found
}

const AUTH_FORM = 'HOST USER:TOKEN (e.g. gitlab.example.com deploy-token:…), one per line'

/**
 * Parses `HOST[:PORT][/PATH] USER:TOKEN` lines (blank lines and `#` comments skipped); HOST may
 * also be written as a URL. Messages name the line and the host, never the credentials.
 */
export function parseAuthLines(text: string, source: string): HostCredentials[] {
  const entries: HostCredentials[] = []
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const where = `line ${i + 1} of ${source}`
    const match = /^(\S+)\s+(\S.*)$/.exec(line)
    if (!match) {
      throw new InvalidArgumentError(
        `${where} is not ${AUTH_FORM}: give the host, a space and the credentials.`
      )
    }
    const target = authTarget(match[1], where)
    const credentials = match[2].trim()
    const colon = credentials.indexOf(':')
    if (colon <= 0) {
      throw new InvalidArgumentError(
        `${where} (for ${target.host}): the credentials are not USER:TOKEN; write ${AUTH_FORM}.`
      )
    }
    entries.push({
      ...target,
      username: credentials.slice(0, colon),
      password: credentials.slice(colon + 1)
    })
  }
  return entries
}

function authTarget(
  text: string,
  where: string
): { protocol: 'https:' | 'http:'; host: string; path: string } {
  const written = publicUrl(text)
  let url: URL | undefined
  try {
    url = new URL(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(written) ? written : `https://${written}`)
  } catch {
    url = undefined
  }
  if (!url || url.host === '' || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new InvalidArgumentError(`${where}: '${written}' is not a host; write ${AUTH_FORM}.`)
  }
  // A bare HOST is https: plain http takes a URL that says so.
  return {
    protocol: url.protocol === 'http:' ? 'http:' : 'https:',
    host: url.host,
    path: withSlash(url.pathname)
  }
}

/**
 * The strings a log must never show for these credentials: the secret as given and as it may
 * be written in a URL, and the Authorization value. The password is the secret; with none,
 * the user name is (a token written as `https://TOKEN@host/`).
 */
export function credentialSecrets(credentials: HostCredentials[]): string[] {
  const secrets = new Set<string>()
  for (const c of credentials) {
    const secret = c.password !== '' ? c.password : c.username
    if (secret === '') continue
    secrets.add(secret)
    secrets.add(encodeURIComponent(secret))
    secrets.add(basic(c))
  }
  return [...secrets]
}

function basic(c: HostCredentials): string {
  return Buffer.from(`${c.username}:${c.password}`).toString('base64')
}

/** Basic auth by host and path prefix: the longest prefix of the request's path wins. */
export class RepositoryAuth implements AuthProvider {
  private readonly entries: HostCredentials[] = []

  constructor(credentials: HostCredentials[] = []) {
    for (const c of credentials) this.add(c)
  }

  get size(): number {
    return this.entries.length
  }

  private add(c: HostCredentials): void {
    const same = this.entries.find(
      (e) => e.protocol === c.protocol && e.host === c.host && e.path === c.path
    )
    if (!same) {
      this.entries.push(c)
    } else if (same.username !== c.username || same.password !== c.password) {
      throw new InvalidArgumentError(
        `two different credentials are given for ${c.protocol === 'http:' ? 'http://' : ''}` +
          `${c.host}${c.path}; give one per host and path.`
      )
    }
  }

  /** The credentials for `url`, if any are given for its scheme, host and path. */
  credentialsFor(url: URL): HostCredentials | undefined {
    let best: HostCredentials | undefined
    for (const e of this.entries) {
      if (e.protocol !== url.protocol || e.host !== url.host) continue
      if (!withSlash(url.pathname).startsWith(e.path)) continue
      if (!best || e.path.length > best.path.length) best = e
    }
    return best
  }

  authorizationFor(url: URL): string | undefined {
    const c = this.credentialsFor(url)
    return c ? `Basic ${basic(c)}` : undefined
  }
}
