/**
 * WebAssembly modules (the engine's index scan, solver graph's build and solver's discovery, and
 * the digests of sha.ts): compiled once a process from their base64 (a few KB: about a
 * millisecond), instantiated per use, with no imports.
 */

/** The part of the WebAssembly API used here (Node's global; its types come with the DOM's). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object, imports: object) => { exports: unknown }
  /** What a trap throws: in these modules, only memory past a limit (their `unreachable`). */
  RuntimeError: new () => Error
}

const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly

/** A function that makes a new instance of the module in `base64`, compiled on first use. */
export function instantiateWasm<T>(base64: string): () => T {
  let compiled: object | undefined
  return () => {
    compiled ??= new wasmApi.Module(Buffer.from(base64, 'base64'))
    return new wasmApi.Instance(compiled, {}).exports as T
  }
}

/** Whether `error` is a module's trap. */
export function wasmTrapped(error: unknown): boolean {
  return error instanceof wasmApi.RuntimeError
}
