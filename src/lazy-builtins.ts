/**
 * Node's built-in modules that only some runs need, loaded on first use. Loading `node:https`
 * (which brings tls, net and http) takes 8-12 ms of a cold start, on Node 20 and 24: a resolve or
 * a build from local repositories opens no connection. `node:crypto` (4-9 ms, OpenSSL's set-up)
 * hashes packages and cache entries, and nothing in a resolve from a local repository. `node:v8`
 * (0.5-1 ms once zlib's streams are loaded) sets a flag or reaches the collector only for large
 * indexes and builds.
 */
import { createRequire } from 'node:module'
import type * as Crypto from 'node:crypto'
import type * as Http from 'node:http'
import type * as Https from 'node:https'
import type * as Net from 'node:net'
import type * as Tls from 'node:tls'
import type * as V8 from 'node:v8'
import type * as Vm from 'node:vm'

const load = createRequire(import.meta.url)

/** A getter for module `id`: loaded by the first call, the same module after. */
function lazy<T>(id: string): () => T {
  let loaded: T | undefined
  return () => (loaded ??= load(id) as T)
}

export const crypto = lazy<typeof Crypto>('node:crypto')
export const http = lazy<typeof Http>('node:http')
export const https = lazy<typeof Https>('node:https')
export const net = lazy<typeof Net>('node:net')
export const tls = lazy<typeof Tls>('node:tls')
export const v8 = lazy<typeof V8>('node:v8')
export const vm = lazy<typeof Vm>('node:vm')
