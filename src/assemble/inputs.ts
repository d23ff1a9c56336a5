/**
 * Action inputs → BuildSpec. `readInputs` reads an env map the way @actions/core's getInput
 * does (`INPUT_<NAME>`, trimmed), so the runner, the CLI and tests all go through the same
 * parsing and validation. Every problem is an InputError that names the input and the fix.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { archNames, findArch, hostArch } from '../arch.js'
import {
  alpineRepositories,
  credentialSecrets,
  parseAuthLines,
  parseDependency,
  parseRepository,
  publicUrl,
  repositoryCredentials,
  RepositoryAuth,
  type HostCredentials,
  type ScriptsMode
} from '../apk/engine.js'
import { InputError } from './errors.js'
import { ALPINE_KEYS_URL_VARIABLE, REPOSITORY_AUTH_VARIABLE } from '../variables.js'
import type { AppSpec, BuildSpec, ImageSettings, LinkCheckMode, LockSpec } from './spec.js'
import { LINK_CHECK_MODES } from './link-check.js'
import { SBOM_FORMATS, type SbomFormat } from './sbom/sbom.js'
import { rfc3339 } from '../oci/documents.js'
import { parseImageRef, PATH_COMPONENT, type ImageRef } from '../oci/tags.js'

export interface InputDefinition {
  required?: boolean
  /** The literal default action.yml declares; computed defaults are documented there instead. */
  default?: string
  /** A list (one item per line, or split on spaces and commas): the CLI's option may repeat. */
  list?: true
}

/**
 * The one table of inputs and their literal defaults. action.yml must agree with it (a test
 * checks), because the runner applies action.yml's defaults and direct callers get these.
 */
export const INPUTS = {
  packages: { required: true, list: true },
  app: {},
  'app-dest': {},
  'elf-needs': { default: 'true' },
  'link-check': { default: 'error' },
  entrypoint: {},
  cmd: {},
  env: { list: true },
  workdir: {},
  user: { default: 'nonroot' },
  labels: { list: true },
  annotations: { list: true },
  tags: { list: true },
  branch: { default: 'latest-stable' },
  repositories: { list: true },
  'repository-auth': { list: true },
  keys: { list: true },
  'fetch-alpine-keys': { default: 'true' },
  'allow-untrusted': { default: 'false' },
  arch: { list: true },
  cache: { default: 'true' },
  'source-date-epoch': {},
  output: { default: 'image.tar' },
  lock: {},
  'lock-update': { default: 'false' },
  layers: { default: '8' },
  scripts: { default: 'native' },
  sbom: { default: 'spdx,cyclonedx', list: true }
} as const satisfies Record<string, InputDefinition>

export type InputName = keyof typeof INPUTS

/** The largest epoch a tar header holds (11 octal digits): 2242-03-16. */
export const MAX_EPOCH = 0o77777777777

/** What readInputs cannot know from the env map alone. */
export interface InputContext {
  /** Unix seconds of the last commit; called only when neither the input nor SOURCE_DATE_EPOCH is set. */
  commitEpoch?: () => number
  /** Alpine arch of this machine: the default `arch`. */
  hostArch?: string
}

type Env = Record<string, string | undefined>

/** `getInput` semantics over an env map, plus the table's default for an empty value. */
export function getInput(env: Env, name: InputName): string {
  const value = (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim()
  if (value !== '') return value
  const definition: InputDefinition = INPUTS[name]
  return definition.default ?? ''
}

export function readInputs(env: Env = process.env, context: InputContext = {}): BuildSpec {
  const workspace = env.GITHUB_WORKSPACE || process.cwd()
  const input = (name: InputName) => getInput(env, name)
  // Inputs that hold one path: a line break in one is a mistake, never part of a path.
  const onePath = (name: InputName) => oneLine(name, input(name))
  const packages = parsePackages(input('packages'))
  const arches = parseArches(input('arch'), context.hostArch ?? hostArch())
  const app = parseApp(onePath('app'), onePath('app-dest'), workspace, arches[0])
  const sourceDateEpoch = parseEpoch(input('source-date-epoch'), env, context)
  const keys = parseKeys(input('keys'), workspace)
  const cache = parseBoolean('cache', input('cache'))
  const repositoryLines = splitLines(input('repositories')).map(({ line }) => line)
  return {
    packages,
    app: app?.spec,
    arches,
    repositories: parseRepositories(input('repositories'), input('branch'), workspace),
    credentials: parseCredentials(env, repositoryLines),
    keyFiles: keys.files,
    keyDirs: keys.dirs,
    fetchAlpineKeys: parseBoolean('fetch-alpine-keys', input('fetch-alpine-keys')),
    allowUntrusted: parseBoolean('allow-untrusted', input('allow-untrusted')),
    image: parseImage(env, input, onePath('workdir'), app, sourceDateEpoch),
    tags: parseTags(input('tags'), env.GITHUB_REPOSITORY),
    output: parseOutput(onePath('output'), workspace),
    sourceDateEpoch,
    cacheDir: cache ? path.join(env.RUNNER_TEMP || os.tmpdir(), 'witchery-cache') : undefined,
    lock: parseLockInput(onePath('lock'), input('lock-update'), workspace),
    layers: parseLayers(input('layers')),
    alpineKeysUrl: (env[ALPINE_KEYS_URL_VARIABLE] ?? '').trim() || undefined,
    scripts: parseScripts(input('scripts')),
    elfNeeds: parseBoolean('elf-needs', input('elf-needs')),
    linkCheck: parseLinkCheck(input('link-check')),
    sbom: parseSbom(input('sbom'))
  }
}

function parseLockInput(file: string, update: string, workspace: string): LockSpec | undefined {
  const updating = parseBoolean('lock-update', update)
  if (file === '') {
    if (updating) {
      throw new InputError('lock-update', 'is true but `lock` is not set; give the lock file too')
    }
    return undefined
  }
  const resolved = path.resolve(workspace, file)
  if (file.endsWith('/') || statPath('lock', file, resolved)?.isDirectory()) {
    throw new InputError(
      'lock',
      `'${file}' is a folder; give the lock file's path, e.g. witchery.lock.json`
    )
  }
  return { path: resolved, update: updating }
}

/** The most layers Docker and containerd unpack without trouble is 127; the app takes one more. */
const MAX_LAYERS = 100

function parseLayers(text: string): number {
  const value = Number(text)
  if (!/^\d+$/.test(text) || value < 1 || value > MAX_LAYERS) {
    throw new InputError(
      'layers',
      `'${text}' is not a number of layers from 1 to ${MAX_LAYERS}; 1 puts every package in one layer`
    )
  }
  return value
}

/**
 * Every secret the inputs and variables hold, as the step log must never show it: the
 * credentials of `repositories` URLs, of `repository-auth` and its variable, and of the proxy
 * variables. Never throws: it runs before any input is checked, so a malformed line is masked
 * whole rather than parsed.
 */
export function inputSecrets(env: Env): string[] {
  const secrets = new Set<string>()
  const credentials: HostCredentials[] = []
  const repositories = splitLines(getInput(env, 'repositories')).map(({ line }) => line)
  credentials.push(...repositoryCredentials(repositories))
  const proxies = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'].map(
    (n) => env[n] ?? ''
  )
  credentials.push(...repositoryCredentials(proxies.filter((p) => p.includes('://'))))
  for (const proxy of proxies) {
    // Userinfo that is not one (an unencoded `/` in the password): masked whole, to the last @.
    const userinfo = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/(\S*)@/.exec(proxy.trim())?.[1]
    if (userinfo !== undefined && userinfo.includes('/')) secrets.add(userinfo)
  }
  for (const text of authTexts(env)) {
    for (const { line } of splitLines(text)) {
      const given = /\s/.test(line) ? line.replace(/^\S+\s+/, '') : line
      try {
        credentials.push(...parseAuthLines(line, 'x'))
      } catch {
        if (given !== '') secrets.add(given)
      }
    }
  }
  for (const secret of credentialSecrets(credentials)) secrets.add(secret)
  return [...secrets]
}

function authTexts(env: Env): string[] {
  return [getInput(env, 'repository-auth'), env[REPOSITORY_AUTH_VARIABLE] ?? '']
}

/** `repository-auth` lines (input, then variable) and the credentials in repository URLs. */
function parseCredentials(env: Env, repositoryLines: string[]): HostCredentials[] {
  const credentials: HostCredentials[] = []
  const sources: [string, string][] = [
    [getInput(env, 'repository-auth'), 'input `repository-auth`'],
    [env[REPOSITORY_AUTH_VARIABLE] ?? '', REPOSITORY_AUTH_VARIABLE]
  ]
  for (const [text, source] of sources) {
    try {
      credentials.push(...parseAuthLines(text, source))
    } catch (error) {
      throw new InputError('repository-auth', (error as Error).message)
    }
  }
  credentials.push(...repositoryCredentials(repositoryLines))
  try {
    // Two different credentials for one host and path cannot both be sent.
    new RepositoryAuth(credentials)
  } catch (error) {
    throw new InputError('repository-auth', (error as Error).message)
  }
  return credentials
}

function parseScripts(text: string): ScriptsMode {
  if (text === 'native' || text === 'none') return text
  throw new InputError(
    'scripts',
    `'${text}' is not a scripts mode; use native (apply what install scripts' account and ` +
      'busybox idioms leave) or none (run nothing, as apk --no-scripts)'
  )
}

function parseLinkCheck(text: string): LinkCheckMode {
  const mode = LINK_CHECK_MODES.find((m) => m === text)
  if (mode) return mode
  throw new InputError(
    'link-check',
    `'${text}' is not a link check mode; use error (fail the build), warn or off`
  )
}

/** `spdx`, `cyclonedx`, both (in any order, each once), or `none`. */
function parseSbom(text: string): SbomFormat[] {
  const words = splitList(text).map((w) => w.toLowerCase())
  const fix = 'use spdx, cyclonedx, both (spdx,cyclonedx) or none'
  if (words.length === 1 && words[0] === 'none') return []
  if (words.length === 0) throw new InputError('sbom', `is empty; ${fix}`)
  for (const word of words) {
    if (!(SBOM_FORMATS as readonly string[]).includes(word)) {
      const none = word === 'none' ? ' (none cannot be combined with a format)' : ''
      throw new InputError('sbom', `'${word}' is not an SBOM format${none}; ${fix}`)
    }
  }
  return SBOM_FORMATS.filter((format) => words.includes(format))
}

/** Whether the build epoch must come from the commit: no input and no SOURCE_DATE_EPOCH. */
export function needsCommitEpoch(env: Env): boolean {
  return getInput(env, 'source-date-epoch') === '' && (env.SOURCE_DATE_EPOCH ?? '').trim() === ''
}

/** Splits a list input on whitespace, newlines and commas. */
export function splitList(text: string): string[] {
  return text.split(/[\s,]+/).filter((t) => t !== '')
}

/** Lines of a multiline input, without blank lines and `#` comments. */
export function splitLines(text: string): { line: string; number: number }[] {
  return text
    .split(/\r?\n/)
    .map((line, i) => ({ line: line.trim(), number: i + 1 }))
    .filter(({ line }) => line !== '' && !line.startsWith('#'))
}

function parsePackages(text: string): string[] {
  const tokens = splitList(text)
  if (tokens.length === 0) {
    throw new InputError(
      'packages',
      'no packages given; name at least one Alpine package, e.g. `packages: ca-certificates-bundle`'
    )
  }
  for (const token of tokens) {
    try {
      parseDependency(token)
    } catch (error) {
      throw new InputError(
        'packages',
        `'${token}' is not a package name or apk constraint (${(error as Error).message}); ` +
          'write names like `curl`, `libssl3>=3.3`, `so:libz.so.1` or `!busybox`'
      )
    }
  }
  return tokens
}

function parseArches(text: string, fallback: string): string[] {
  const names = splitList(text)
  const arches: string[] = []
  for (const name of names.length > 0 ? names : [fallback]) {
    const arch = findArch(name)
    if (!arch) {
      const what =
        names.length > 0
          ? `unknown architecture '${name}'`
          : `the runner's architecture '${name}' is not one Alpine builds for`
      throw new InputError('arch', `${what}; use one of ${archNames()}`)
    }
    if (!arches.includes(arch.apk)) arches.push(arch.apk)
  }
  return arches
}

function parseBoolean(name: InputName, text: string): boolean {
  if (['true', 'True', 'TRUE'].includes(text)) return true
  if (['false', 'False', 'FALSE'].includes(text)) return false
  throw new InputError(name, `'${text}' is not a boolean; use true or false`)
}

interface ParsedApp {
  spec: AppSpec
  kind: 'file' | 'folder'
}

function parseApp(
  source: string,
  dest: string,
  workspace: string,
  firstArch: string
): ParsedApp | undefined {
  if (source === '') {
    if (dest !== '') throw new InputError('app-dest', 'is set but `app` is not; give the app too')
    return undefined
  }
  const resolved = path.resolve(workspace, source)
  // A missing app is the build's to report (with how to build it); assume a file meanwhile.
  const stat = statPath('app', source, resolved.replaceAll('{arch}', firstArch))
  const kind = stat?.isDirectory() ? 'folder' : 'file'
  const name = appFileName(resolved)
  const defaultDest = kind === 'folder' ? '/app' : `/usr/bin/${name}`
  // A file's `app-dest` ending in / is the folder it goes in, under its own name (as COPY does).
  const given = kind === 'file' && dest.endsWith('/') ? `${dest}${name}` : dest
  return {
    spec: { source: resolved, dest: absoluteImagePath('app-dest', given || defaultDest) },
    kind
  }
}

/** The app's file name in the image: `{arch}` dropped, so every arch lands at one path. */
function appFileName(source: string): string {
  const name = path
    .basename(source)
    .replaceAll('{arch}', '')
    .replace(/^[-_.]+|[-_.]+$/g, '')
  return name || 'app'
}

function absoluteImagePath(input: InputName, value: string): string {
  if (!value.startsWith('/')) {
    throw new InputError(input, `'${value}' is not an absolute path in the image; start it with /`)
  }
  const normalized = path.posix.normalize(value).replace(/(.)\/+$/, '$1')
  if (normalized === '/' && input === 'app-dest') {
    throw new InputError(input, 'the app cannot replace the image root; give a folder such as /app')
  }
  return normalized
}

function parseEpoch(text: string, env: Env, context: InputContext): number {
  if (text !== '') return epochFrom(text, 'input `source-date-epoch`')
  const fromEnv = (env.SOURCE_DATE_EPOCH ?? '').trim()
  if (fromEnv !== '') return epochFrom(fromEnv, 'environment variable SOURCE_DATE_EPOCH')
  return context.commitEpoch?.() ?? 0
}

function epochFrom(text: string, where: string): number {
  const seconds = Number(text)
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(seconds)) {
    throw new InputError(
      'source-date-epoch',
      `${where} is '${text}', not a number of seconds since 1970; use e.g. 1700000000 or leave it empty for the commit time`
    )
  }
  if (seconds > MAX_EPOCH) {
    throw new InputError(
      'source-date-epoch',
      `${where} is ${text}, past ${MAX_EPOCH} (${rfc3339(MAX_EPOCH)}), the last time a tar header can hold; use a time in seconds, not milliseconds`
    )
  }
  return seconds
}

function parseKeys(text: string, workspace: string): { files: string[]; dirs: string[] } {
  const files: string[] = []
  const dirs: string[] = []
  for (const { line } of splitLines(text)) {
    const resolved = path.resolve(workspace, line)
    const stat = statPath('keys', line, resolved)
    if (!stat) {
      throw new InputError(
        'keys',
        `'${line}' does not exist; give PEM public key files or folders of them, one per line (relative to the workspace)`
      )
    }
    ;(stat.isDirectory() ? dirs : files).push(resolved)
  }
  return { files, dirs }
}

function parseRepositories(text: string, branch: string, workspace: string): string[] {
  const lines = splitLines(text)
  if (lines.length === 0) return alpineRepositories(parseBranch(branch))
  return lines.map(({ line }, i) => parseRepositoryLine(line, i, workspace))
}

function parseBranch(branch: string): string {
  if (/^(?:latest-stable|edge|v\d+\.\d+)$/.test(branch)) return branch
  throw new InputError(
    'branch',
    `'${branch}' is not an Alpine branch; use latest-stable, edge or vX.Y (e.g. v3.22), or give \`repositories\``
  )
}

/**
 * `[@tag ]URL-or-path`, checked by the engine's own parser; a relative path is taken from the
 * workspace rather than the current directory.
 */
function parseRepositoryLine(line: string, index: number, workspace: string): string {
  // Credentials go to spec.credentials; the repository is known by its public URL only.
  const written = publicUrl(line)
  const match = /^(@\S+\s+)?(\S+)$/.exec(written)
  if (match && match[1] === undefined && match[2].startsWith('@')) {
    throw new InputError(
      'repositories',
      `line '${written}' has a tag but no repository; write the tag, a space and the URL or path (e.g. @testing https://dl-cdn.alpinelinux.org/alpine/edge/testing)`
    )
  }
  const isPath = match !== null && !/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(match[2])
  const resolved =
    match && isPath ? `${match[1] ?? ''}${path.resolve(workspace, match[2])}` : written
  try {
    parseRepository(resolved, index)
  } catch (error) {
    throw new InputError('repositories', (error as Error).message)
  }
  return resolved
}

function parseImage(
  env: Env,
  input: (name: InputName) => string,
  workdir: string,
  app: ParsedApp | undefined,
  epoch: number
): ImageSettings {
  const entrypoint = parseCommand('entrypoint', input('entrypoint'))
  const defaultEntrypoint = app?.kind === 'file' ? [app.spec.dest] : undefined
  return {
    entrypoint: entrypoint === undefined ? defaultEntrypoint : emptyToUndefined(entrypoint),
    cmd: emptyToUndefined(parseCommand('cmd', input('cmd'))),
    env: parseEnv(input('env')),
    workdir: workdir === '' ? undefined : absoluteImagePath('workdir', workdir),
    user: parseUser(input('user')),
    labels: parsePairs('labels', input('labels')),
    annotations: {
      ...defaultAnnotations(env, epoch),
      ...parsePairs('annotations', input('annotations'))
    }
  }
}

function emptyToUndefined(words: string[] | undefined): string[] | undefined {
  return words && words.length > 0 ? words : undefined
}

/**
 * A command as a JSON array (`["/app", "--serve"]`) or as words split on whitespace, where
 * '…' and "…" group words. No shell semantics: no escapes, variables or globs.
 */
export function parseCommand(input: InputName, text: string): string[] | undefined {
  if (text === '') return undefined
  if (text.startsWith('[')) return parseJsonCommand(input, text)
  const words: string[] = []
  let word = ''
  let inWord = false
  let quote: string | undefined
  for (const ch of text) {
    if (quote !== undefined) {
      if (ch === quote) quote = undefined
      else word += ch
    } else if (ch === '"' || ch === "'") {
      quote = ch
      inWord = true
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word)
      word = ''
      inWord = false
    } else {
      word += ch
      inWord = true
    }
  }
  if (quote !== undefined) {
    throw new InputError(
      input,
      `unterminated ${quote} in '${text}'; close the quote, or give a JSON array such as ["/app", "--flag"]`
    )
  }
  if (inWord) words.push(word)
  return words
}

function parseJsonCommand(input: InputName, text: string): string[] {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new InputError(
      input,
      `looks like a JSON array but does not parse (${(error as Error).message}); write e.g. ["/app", "--serve"]`
    )
  }
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new InputError(input, `must be a JSON array of strings, e.g. ["/app", "--serve"]`)
  }
  return value
}

function parseEnv(text: string): string[] {
  return splitLines(text).map(({ line, number }) => {
    const eq = line.indexOf('=')
    const name = eq < 0 ? line : line.slice(0, eq)
    if (eq < 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new InputError(
        'env',
        `line ${number} '${line}' is not NAME=value; write one variable per line, e.g. LOG_LEVEL=info`
      )
    }
    return line
  })
}

function parsePairs(input: 'labels' | 'annotations', text: string): Record<string, string> {
  const pairs: Record<string, string> = {}
  for (const { line, number } of splitLines(text)) {
    const eq = line.indexOf('=')
    const key = eq < 0 ? '' : line.slice(0, eq).trim()
    if (key === '' || /\s/.test(key)) {
      throw new InputError(
        input,
        `line ${number} '${line}' is not key=value; write one per line, e.g. org.opencontainers.image.title=app`
      )
    }
    pairs[key] = line.slice(eq + 1).trim()
  }
  return pairs
}

function parseUser(user: string): string {
  if (/^(?:\d+(?::\d+)?|[A-Za-z_][A-Za-z0-9_.-]*(?::[A-Za-z_][A-Za-z0-9_.-]*)?)$/.test(user)) {
    return user
  }
  throw new InputError('user', `'${user}' is not a user; use nonroot, root, a uid or uid:gid`)
}

/** OCI annotations every image gets unless the `annotations` input sets them. */
function defaultAnnotations(env: Env, epoch: number): Record<string, string> {
  const annotations: Record<string, string> = {}
  if (env.GITHUB_REPOSITORY) {
    const server = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '')
    annotations['org.opencontainers.image.source'] = `${server}/${env.GITHUB_REPOSITORY}`
  }
  if (env.GITHUB_SHA) annotations['org.opencontainers.image.revision'] = env.GITHUB_SHA
  annotations['org.opencontainers.image.created'] = rfc3339(epoch)
  return annotations
}

function parseTags(text: string, repository: string | undefined): string[] {
  const given = splitList(text)
  const refs = given.length > 0 ? given : [`${defaultImageName(repository)}:latest`]
  const tags: string[] = []
  for (const ref of refs) {
    const tag = normalizeTag(ref)
    if (!tags.includes(tag)) tags.push(tag)
  }
  return tags
}

/** Checks an image reference and gives it `:latest` when it names no tag. */
function normalizeTag(ref: string): string {
  const fix = 'write e.g. ghcr.io/owner/app:1.0 (lowercase repository, optional registry and tag)'
  if (ref.includes('@')) {
    throw new InputError(
      'tags',
      `'${ref}' has a digest; a tag names the image, give name:tag; ${fix}`
    )
  }
  let parsed: ImageRef
  try {
    if (ref.length > 255) throw new Error('it is longer than 255 characters')
    parsed = parseImageRef(ref)
  } catch (error) {
    const reason = (error as Error).message
    throw new InputError('tags', `'${ref}' is not an image reference; ${fix} (${reason})`)
  }
  return `${parsed.name}:${parsed.tag}`
}

/** The repository's name, made a valid image name (`Owner/My.Repo` → `my.repo`). */
export function defaultImageName(repository: string | undefined): string {
  const name = (repository ?? '')
    .slice((repository ?? '').indexOf('/') + 1)
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/[._-]{2,}/g, '-')
    .replace(/^[._-]+|[._-]+$/g, '')
  return PATH_COMPONENT.test(name) ? name : 'witchery'
}

/** The nearest existing ancestor of `target` when it is not a folder (so nothing goes under it). */
function fileAbove(target: string): string | undefined {
  for (let dir = path.dirname(target); ; dir = path.dirname(dir)) {
    // One that cannot be looked at is left to the caller's own look, which names the input.
    const stat = statOrUndefined(dir)
    if (stat) return stat.isDirectory() ? undefined : dir
    if (path.dirname(dir) === dir) return undefined
  }
}

function statOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file, { throwIfNoEntry: false })
  } catch {
    return undefined
  }
}

/**
 * What is at a path input's path (`given` as written, `resolved` from the workspace): undefined
 * when nothing is. A path under a file, or one this job cannot look at, is the input's error.
 */
function statPath(input: InputName, given: string, resolved: string): fs.Stats | undefined {
  const file = fileAbove(resolved)
  if (file) {
    throw new InputError(
      input,
      `'${given}' lies under ${file}, which is a file, not a folder; give a path in a folder`
    )
  }
  try {
    return fs.statSync(resolved, { throwIfNoEntry: false })
  } catch (error) {
    throw new InputError(
      input,
      `cannot look at '${given}': ${(error as Error).message}; give a path this job can read`
    )
  }
}

/** A one-line input's value; a line break or other control character in it is refused. */
function oneLine(input: InputName, value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new InputError(
      input,
      `${JSON.stringify(value)} holds a line break or another control character; give one ` +
        'path, on one line'
    )
  }
  return value
}

function parseOutput(text: string, workspace: string): string {
  if (text.endsWith('/')) {
    throw new InputError(
      'output',
      `'${text}' is a folder; give the tarball's file path, e.g. image.tar`
    )
  }
  const resolved = path.resolve(workspace, text)
  if (statPath('output', text, resolved)?.isDirectory()) {
    throw new InputError(
      'output',
      `'${text}' is an existing folder; give a file path, e.g. image.tar`
    )
  }
  return resolved
}
