/**
 * WebAssembly modules of the engine (the index scan, the solver graph's build, the solver's
 * discovery): compiled once a process from their base64 (a few KB: about a millisecond),
 * instantiated per use, with no imports.
 */

/** The part of the WebAssembly API used here (Node's global; its types come with the DOM's). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object, imports: object) => { exports: unknown }
  compile(bytes: Uint8Array): Promise<object>
  /** What a trap throws: in these modules, only memory past a limit (their `unreachable`). */
  RuntimeError: new () => Error
}

const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly

/** Starts each module's compilation off the main thread (compileWasmAhead). */
const ahead: (() => void)[] = []

/**
 * A function that makes a new instance of the module in `base64`: compiled on first use, unless
 * compileWasmAhead had it compiled already.
 */
export function instantiateWasm<T>(base64: string): () => T {
  let compiled: object | undefined
  let started = false
  ahead.push(() => {
    if (started || compiled !== undefined) return
    started = true
    // A failure here is met again, and reported, by the compilation on first use.
    wasmApi.compile(Buffer.from(base64, 'base64')).then(
      (module) => (compiled ??= module),
      () => {}
    )
  })
  return () => {
    compiled ??= new wasmApi.Module(Buffer.from(base64, 'base64'))
    return new wasmApi.Instance(compiled, {}).exports as T
  }
}

/**
 * Has V8 compile every module on its own threads while the main thread does something else
 * (reads keys and verifies an index before the first module is needed): 1.5-2 ms of a cold
 * resolve's main thread, compiled there otherwise.
 */
export function compileWasmAhead(): void {
  for (const start of ahead) start()
}

/** Whether `error` is a module's trap. */
export function wasmTrapped(error: unknown): boolean {
  return error instanceof wasmApi.RuntimeError
}
