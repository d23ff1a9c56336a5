/**
 * The few files a distroless image needs beyond its packages: accounts for the default
 * `nonroot` user, its home, and os-release so scanners know the distribution. Files a package
 * already ships are kept; accounts are appended, never replaced.
 */
import type { RootTree } from '../apk/engine.js'
import { RootWriter } from '../root-writer.js'
import { BuildError } from './errors.js'

export const NONROOT = { name: 'nonroot', uid: 65532, gid: 65532, home: 'home/nonroot' }

export interface RootfsOptions {
  /** The image user as configured: `nonroot`, `root`, `uid[:gid]` or a name. */
  user: string
  /** Alpine release, e.g. `3.22.2`, when known from the index or the branch. */
  alpineVersion?: string
}

/** What the config's `User` field should say for a user setting. */
export function configUser(user: string): string {
  if (user === NONROOT.name) return `${NONROOT.uid}:${NONROOT.gid}`
  if (user === 'root') return '0:0'
  return user
}

/**
 * Writes accounts, home and os-release into `root` and records them in `tree`
 * (owners and modes for the image come from the tree, never from the host). Returns the paths
 * it made or changed: they belong with the image's metadata, not with any package's layer.
 */
export async function finishRootfs(
  root: string,
  tree: RootTree,
  options: RootfsOptions
): Promise<Set<string>> {
  const writer = writerFor(root, tree)
  const written = new Set<string>()
  const note = (rel: string, changed: boolean) => changed && written.add(rel)
  note('etc', ensureDir(writer, tree, 'etc', 0o755))
  note('etc/passwd', appendLines(writer, tree, 'etc/passwd', passwdLines(options.user), 0o644))
  note('etc/group', appendLines(writer, tree, 'etc/group', groupLines(options.user), 0o644))
  if (options.user === NONROOT.name) {
    note('home', ensureDir(writer, tree, 'home', 0o755))
    note(NONROOT.home, ensureDir(writer, tree, NONROOT.home, 0o755, NONROOT.uid, NONROOT.gid))
  }
  const osReleaseText = osRelease(options.alpineVersion)
  note('etc/os-release', writeIfAbsent(writer, tree, 'etc/os-release', osReleaseText))
  if (options.alpineVersion) {
    const release = `${options.alpineVersion}\n`
    note('etc/alpine-release', writeIfAbsent(writer, tree, 'etc/alpine-release', release))
  }
  return written
}

function passwdLines(user: string): string[] {
  const lines = ['root:x:0:0:root:/root:/sbin/nologin']
  if (user === NONROOT.name) {
    lines.push(`nonroot:x:${NONROOT.uid}:${NONROOT.gid}:nonroot:/${NONROOT.home}:/sbin/nologin`)
  }
  return lines
}

function groupLines(user: string): string[] {
  const lines = ['root:x:0:root']
  if (user === NONROOT.name) lines.push(`nonroot:x:${NONROOT.gid}:`)
  return lines
}

function osRelease(version?: string): string {
  const lines = ['NAME="Alpine Linux"', 'ID=alpine']
  if (version) {
    const [major, minor] = version.split('.')
    lines.push(`VERSION_ID=${version}`, `PRETTY_NAME="Alpine Linux v${major}.${minor}"`)
  } else {
    lines.push('PRETTY_NAME="Alpine Linux"')
  }
  lines.push(
    'HOME_URL="https://alpinelinux.org/"',
    'BUG_REPORT_URL="https://gitlab.alpinelinux.org/alpine/aports/-/issues"'
  )
  return lines.join('\n') + '\n'
}

/** What the Alpine release can be read from, strongest first. */
export interface ReleaseSources {
  /** Each index's DESCRIPTION and the key that signed it. */
  indexes: { description: string; signer?: string }[]
  /** Repository URLs or paths, in order. */
  repositories: string[]
  /** Packages the repositories offer (or the image installs): `alpine-release`, `alpine-base`. */
  packages: { name: string; version: string }[]
}

const ALPINE_SIGNER = /^alpine-devel@lists\.alpinelinux\.org-/

/** The packages whose version is Alpine's release, in the order they are asked. */
export const RELEASE_PACKAGES = ['alpine-release', 'alpine-base']

/**
 * Alpine's release, from every source there is: an index DESCRIPTION (`v3.22.2-206-g…`, or a
 * bare `3.19.1` from an index Alpine signed, as a release repository's is), the version of the
 * `alpine-release` or `alpine-base` package (`3.19.1-r0`), else a branch URL (`/v3.22/`).
 * Undefined when none names it: scanners then cannot tell which Alpine the image is.
 */
export function alpineRelease(sources: ReleaseSources): string | undefined {
  for (const { description, signer } of sources.indexes) {
    const text = description.trim()
    const tagged = /^v(\d+\.\d+(?:\.\d+)?)(?:[-_]|$)/.exec(text)
    if (tagged) return tagged[1]
    const bare = /^(\d+\.\d+(?:\.\d+)?)(?:-|$)/.exec(text)
    if (bare && signer && ALPINE_SIGNER.test(signer)) return bare[1]
  }
  for (const name of RELEASE_PACKAGES) {
    const pkg = sources.packages.find((p) => p.name === name)
    const version = pkg && /^(\d+\.\d+(?:\.\d+)?(?:_[a-z]+\d*)?)-r\d+$/.exec(pkg.version)
    if (version) return version[1]
  }
  for (const repo of sources.repositories) {
    const fromUrl = /\/v(\d+\.\d+)\//.exec(repo.endsWith('/') ? repo : `${repo}/`)
    if (fromUrl) return fromUrl[1]
  }
  return undefined
}

/** The warning a build gives when no source names the Alpine release. */
export const UNKNOWN_RELEASE_WARNING =
  'the Alpine release is unknown (no index DESCRIPTION, alpine-release or alpine-base package, ' +
  'or /vX.Y/ repository URL names it), so /etc/os-release has no VERSION_ID and there is no ' +
  '/etc/alpine-release: scanners such as Trivy will not detect the OS and will skip its ' +
  "packages. Use Alpine's repositories (a /vX.Y/ branch URL) or a repository that carries " +
  'alpine-release.'

/**
 * The writer for `root`: every write goes through the one guard (src/root-writer.ts), which
 * refuses a symlink or file where a folder or plain file must be — a package may ship
 * `etc/passwd -> /etc/passwd`, and writing through it would touch the host. Every `user`
 * setting writes root's accounts, so only leaving the package out helps.
 */
function writerFor(root: string, tree: RootTree): RootWriter {
  return new RootWriter(root, {
    refuse: ({ rel, at, found }) => {
      const owner = tree.get(at)?.owner
      const shipper = owner ? `package ${owner}` : 'a package'
      const what =
        found === 'missing' ? 'missing' : `a ${found === 'other' ? 'special file' : found}`
      return new BuildError(
        `cannot write /${rel} in the image: /${at} is ${what} shipped by ${shipper}, and the ` +
          `image's accounts are written for every \`user\`, root included. Leave ${
            owner ?? 'that package'
          } out of the image: remove it, or the package that depends on it, from \`packages\`.`
      )
    }
  })
}

function ensureDir(
  writer: RootWriter,
  tree: RootTree,
  rel: string,
  mode: number,
  uid = 0,
  gid = 0
): boolean {
  if (tree.has(rel)) return false
  writer.mkdirs(rel)
  tree.set(rel, { type: 'directory', mode, uid, gid })
  return true
}

/** Appends each line whose account name is not yet in the file. */
function appendLines(
  writer: RootWriter,
  tree: RootTree,
  rel: string,
  lines: string[],
  mode: number
): boolean {
  // Bytes, not text: a package's line that is not UTF-8 stays as it was (latin1 maps each byte
  // to one character, enough to find the names, which are ASCII).
  const existing = writer.readFile(rel) ?? Buffer.alloc(0)
  const names = new Set(
    existing
      .toString('latin1')
      .split('\n')
      .map((l) => l.split(':')[0])
  )
  const missing = lines.filter((l) => !names.has(l.split(':')[0]))
  if (missing.length === 0) return false
  const newline = existing.length === 0 || existing[existing.length - 1] === 0x0a ? '' : '\n'
  const added = Buffer.from(`${newline}${missing.join('\n')}\n`)
  const onDisk = tree.get(rel)?.mode ?? mode
  writer.writeFile(rel, Buffer.concat([existing, added]), { mode: onDisk }, true)
  if (!tree.has(rel)) tree.set(rel, { type: 'file', mode, uid: 0, gid: 0 })
  return true
}

function writeIfAbsent(writer: RootWriter, tree: RootTree, rel: string, text: string): boolean {
  if (tree.has(rel)) return false
  writer.writeFile(rel, text, { mode: 0o644 }, true)
  tree.set(rel, { type: 'file', mode: 0o644, uid: 0, gid: 0 })
  return true
}
