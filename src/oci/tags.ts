/**
 * Image references as the OCI distribution spec and docker spell them:
 * `[registry[:port]/]path[:tag]`. Checked here, before any layer is written, so a bad tag fails
 * in a second with the rule it broke.
 */
import { ImageSpecError } from './errors.js'

export interface ImageRef {
  /** Registry and repository path as written, e.g. `ghcr.io/o/app` or `app`. */
  name: string
  /** The tag; `latest` when the reference names none. */
  tag: string
}

const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/
/** One component of a repository path (`ghcr.io/owner/app` has two). */
export const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]+)?$/
const MAX_NAME = 255

const TAG_RULE = 'a tag is 1 to 128 characters of A-Z a-z 0-9 _ . - and does not start with . or -'
const PATH_RULE =
  'each part of the repository path is lowercase letters and digits, separated by ., _, __ or -'

/** Splits and checks `[registry[:port]/]path[:tag]`; throws ImageSpecError naming the rule. */
export function parseImageRef(ref: string): ImageRef {
  if (ref.includes('@')) {
    throw new ImageSpecError(
      `image reference '${ref}' has a digest; an image is tagged by name:tag, not by digest`
    )
  }
  const lastSlash = ref.lastIndexOf('/')
  const colon = ref.indexOf(':', lastSlash + 1)
  const name = colon === -1 ? ref : ref.slice(0, colon)
  const tag = colon === -1 ? 'latest' : ref.slice(colon + 1)
  if (!TAG.test(tag)) {
    throw new ImageSpecError(`invalid tag '${tag}' in image reference '${ref}': ${TAG_RULE}`)
  }
  checkName(name, ref)
  return { name, tag }
}

function checkName(name: string, ref: string): void {
  if (name === '') {
    throw new ImageSpecError(`image reference '${ref}' has no repository name`)
  }
  if (name.length > MAX_NAME) {
    throw new ImageSpecError(
      `image reference '${ref}': the repository name is longer than ${MAX_NAME} characters`
    )
  }
  const parts = name.split('/')
  const host = hasRegistry(parts) ? parts.shift() : undefined
  if (host !== undefined && !HOST.test(host)) {
    throw new ImageSpecError(
      `invalid registry '${host}' in image reference '${ref}': give a host name with an optional :port`
    )
  }
  for (const part of parts) {
    if (PATH_COMPONENT.test(part)) continue
    const hint = part !== part.toLowerCase() ? ' (the repository path must be lowercase)' : ''
    throw new ImageSpecError(
      `invalid repository path '${parts.join('/')}' in image reference '${ref}'${hint}: ${PATH_RULE}`
    )
  }
}

/** Docker's rule: the first part names a registry when it has a `.` or `:` or is `localhost`. */
function hasRegistry(parts: string[]): boolean {
  if (parts.length < 2) return false
  const first = parts[0]
  return first.includes('.') || first.includes(':') || first === 'localhost'
}

/**
 * The fully qualified name containerd stores (`io.containerd.image.name`): docker's short names
 * get their implied registry, `app` → `docker.io/library/app`.
 */
export function qualifiedName(ref: ImageRef): string {
  const parts = ref.name.split('/')
  let name = ref.name
  if (!hasRegistry(parts))
    name = parts.length === 1 ? `docker.io/library/${name}` : `docker.io/${name}`
  return `${name}:${ref.tag}`
}
