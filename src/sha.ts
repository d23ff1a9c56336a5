/**
 * SHA-1, SHA-256 and SHA-512 of bytes at hand, in WebAssembly (assembly/sha.ts), for what a
 * resolve hashes: an index's signed bytes (0.5-2 MB) and its keys. `node:crypto` does the same
 * faster, but its first load is OpenSSL's set-up, 4-9 ms of a cold start on Node 20 and 24, which
 * a resolve from a local repository otherwise never needs. The module (a few KB) is compiled on
 * first use and kept for the process; one digest is made at a time (the calls are synchronous).
 */
import { SHA_WASM } from './sha-wasm.js'
import { instantiateWasm } from './wasm.js'

export type ShaAlgorithm = 'sha1' | 'sha256' | 'sha512'

interface Exports {
  memory: { buffer: ArrayBuffer }
  inputAt(): number
  chunkSize(): number
  start(kind: number): void
  update(length: number): void
  finish(): number
}

const KIND: Record<ShaAlgorithm, number> = { sha1: 1, sha256: 256, sha512: 512 }

/** Each digest's length in bytes. */
export const SHA_LENGTH: Readonly<Record<ShaAlgorithm, number>> = {
  sha1: 20,
  sha256: 32,
  sha512: 64
}

const instantiate = instantiateWasm<Exports>(SHA_WASM)

/** The one instance, made on first use. */
let loaded: { exports: Exports; memory: Uint8Array; input: number; chunk: number } | undefined

function instance() {
  if (loaded) return loaded
  const exports = instantiate()
  // The module's memory never grows, so one view of it serves every call.
  loaded = {
    exports,
    memory: new Uint8Array(exports.memory.buffer),
    input: exports.inputAt(),
    chunk: exports.chunkSize()
  }
  return loaded
}

/** The digest of `data` (the pieces in order, as one message). */
export function shaDigest(alg: ShaAlgorithm, data: Uint8Array | readonly Uint8Array[]): Buffer {
  const { exports, memory, input, chunk } = instance()
  exports.start(KIND[alg])
  for (const piece of Array.isArray(data) ? data : [data as Uint8Array]) {
    for (let at = 0; at < piece.length; at += chunk) {
      const length = Math.min(chunk, piece.length - at)
      memory.set(piece.subarray(at, at + length), input)
      exports.update(length)
    }
  }
  const out = exports.finish()
  return Buffer.from(memory.subarray(out, out + SHA_LENGTH[alg]))
}
