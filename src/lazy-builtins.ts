/**
 * Node's built-in modules that only some runs need, loaded on first use. Loading `node:https`
 * (which brings tls, net and http) takes 8-12 ms of a cold start, on Node 20 and 24: a resolve or
 * a build from local repositories opens no connection.
 */
import { createRequire } from 'node:module'
import type * as Http from 'node:http'
import type * as Https from 'node:https'
import type * as Net from 'node:net'
import type * as Tls from 'node:tls'

const load = createRequire(import.meta.url)

/** A getter for module `id`: loaded by the first call, the same module after. */
function lazy<T>(id: string): () => T {
  let loaded: T | undefined
  return () => (loaded ??= load(id) as T)
}

export const http = lazy<typeof Http>('node:http')
export const https = lazy<typeof Https>('node:https')
export const net = lazy<typeof Net>('node:net')
export const tls = lazy<typeof Tls>('node:tls')
