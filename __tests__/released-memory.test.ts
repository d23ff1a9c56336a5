import { setImmediate as nextTurn } from 'node:timers/promises'
import {
  COLLECT_AFTER,
  COLLECT_AT_ONCE,
  COLLECT_EVERY_ENTRIES,
  collectionsRun,
  letGo,
  letGoAtOnce,
  letGoOfEntries,
  mappedBuffer,
  shrinkHeap
} from '../src/released-memory.js'

/** A Buffer nothing refers to but a WeakRef (made in a function, so no local keeps it). */
function droppedBuffer(): WeakRef<Buffer> {
  return new WeakRef(Buffer.alloc(4 * 1024 * 1024, 1))
}

describe('letGo', () => {
  it('collects once the bytes let go of add up to COLLECT_AFTER, and not before', async () => {
    const before = collectionsRun()
    letGo(COLLECT_AFTER - 1)
    letGo(0)
    letGo(-5)
    letGo(NaN)
    expect(collectionsRun()).toBe(before)
    letGo(1)
    expect(collectionsRun()).toBe(before + 1)
    // The count starts again from nothing.
    letGo(COLLECT_AFTER / 2)
    expect(collectionsRun()).toBe(before + 1)
  })

  it("returns a dropped Buffer's memory then, not at V8's leisure", async () => {
    letGo(COLLECT_AFTER) // whatever was counted before starts again from nothing
    const dropped = droppedBuffer()
    // A WeakRef holds its target until the current job ends: the collection comes in the next.
    await nextTurn()
    letGo(COLLECT_AFTER)
    await nextTurn()
    expect(dropped.deref()).toBeUndefined()
  })

  it('leaves `gc` out of the program and of later contexts', async () => {
    const vm = await import('node:vm')
    letGo(COLLECT_AFTER)
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined()
    expect(vm.runInNewContext('typeof gc')).toBe('undefined')
  })
})

describe('letGoAtOnce', () => {
  it('collects once COLLECT_AT_ONCE bytes are let go of, counting what letGo counted', async () => {
    letGo(COLLECT_AFTER) // whatever was counted before starts again from nothing
    const before = collectionsRun()
    letGoAtOnce(COLLECT_AT_ONCE - 2)
    letGoAtOnce(-1)
    expect(collectionsRun()).toBe(before)
    letGo(1)
    expect(collectionsRun()).toBe(before)
    const dropped = droppedBuffer()
    await nextTurn()
    letGoAtOnce(1)
    expect(collectionsRun()).toBe(before + 1)
    await nextTurn()
    expect(dropped.deref()).toBeUndefined()
    // The count starts again from nothing, for letGo too.
    letGo(COLLECT_AFTER - 1)
    expect(collectionsRun()).toBe(before + 1)
  })
})

describe('shrinkHeap', () => {
  it('collects at once, whatever letGo has counted', async () => {
    const dropped = droppedBuffer()
    await nextTurn()
    const before = collectionsRun()
    shrinkHeap()
    expect(collectionsRun()).toBe(before + 1)
    await nextTurn()
    expect(dropped.deref()).toBeUndefined()
  })
})

describe('letGoOfEntries', () => {
  it('collects once COLLECT_EVERY_ENTRIES entries are counted, apart from letGo', () => {
    // Whatever either counted before starts again from nothing.
    letGoOfEntries(COLLECT_EVERY_ENTRIES)
    letGo(COLLECT_AFTER)
    const before = collectionsRun()
    for (let i = 1; i < COLLECT_EVERY_ENTRIES; i++) letGoOfEntries(1)
    letGo(COLLECT_AFTER - 1)
    expect(collectionsRun()).toBe(before)
    letGoOfEntries(1)
    expect(collectionsRun()).toBe(before + 1)
    letGoOfEntries(COLLECT_EVERY_ENTRIES - 1)
    expect(collectionsRun()).toBe(before + 1)
    letGo(1) // letGo's own count goes on
    expect(collectionsRun()).toBe(before + 2)
  })
})

describe('mappedBuffer', () => {
  it('is a Buffer of its size over a resizable ArrayBuffer of that size (mapped, not malloc)', () => {
    const bytes = mappedBuffer(3 * 1024 * 1024 + 5)
    expect(Buffer.isBuffer(bytes)).toBe(true)
    expect(bytes).toHaveLength(3 * 1024 * 1024 + 5)
    const buffer = bytes.buffer as ArrayBuffer & { resizable: boolean; maxByteLength: number }
    expect(buffer.resizable).toBe(true)
    expect(buffer.maxByteLength).toBe(bytes.length)
    bytes.fill(7, 1000, 2000)
    expect(bytes.subarray(999, 2001)).toEqual(Buffer.from([0, ...Array(1000).fill(7), 0]))
    expect(mappedBuffer(0)).toHaveLength(0)
  })
})
