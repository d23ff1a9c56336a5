/**
 * The image config from the spec: the user's settings plus the defaults a distroless image
 * needs (PATH, SSL_CERT_FILE where a CA bundle is installed, the nonroot user).
 */
import type { ImageConfigSpec } from '../oci/types.js'
import { configUser } from './rootfs.js'
import type { BuildSpec } from './spec.js'

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
export const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt'

export function imageConfig(spec: BuildSpec, facts: { hasCaBundle: boolean }): ImageConfigSpec {
  const env = [...spec.image.env]
  const has = (name: string) => env.some((e) => e.startsWith(`${name}=`))
  if (!has('PATH')) env.unshift(`PATH=${DEFAULT_PATH}`)
  if (facts.hasCaBundle && !has('SSL_CERT_FILE')) env.push(`SSL_CERT_FILE=${CA_BUNDLE}`)
  return {
    entrypoint: spec.image.entrypoint,
    cmd: spec.image.cmd,
    env,
    workdir: spec.image.workdir,
    user: configUser(spec.image.user),
    labels: spec.image.labels
  }
}
