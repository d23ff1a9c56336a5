/**
 * SHA digests of many ranges of one buffer, computed on a worker thread: per-file checksums of a
 * package's data are the main thread's largest cost, and Node's only off-thread hash (WebCrypto)
 * measured five times slower than createHash. The buffer is transferred, not copied, and comes
 * back with the answer. The worker is unref'd: it never keeps a process alive.
 */
import type { Worker } from 'node:worker_threads'
import { workerThreads } from '../../lazy-builtins.js'
import { workerStarted } from '../../released-memory.js'

// Plain CommonJS, run by `new Worker(…, { eval: true })`: nothing to bundle or find on disk.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const { createHash } = require('node:crypto')
parentPort.on('message', (job) => {
  const bytes = new Uint8Array(job.buffer)
  const digests = job.ranges.map(([start, length]) =>
    createHash(job.algorithm).update(bytes.subarray(start, start + length)).digest('hex'))
  parentPort.postMessage({ id: job.id, digests, buffer: job.buffer }, [job.buffer])
})
`

interface Answer {
  id: number
  digests: string[]
  buffer: ArrayBuffer
}

interface Pending {
  resolve: (answer: Answer) => void
  reject: (error: Error) => void
}

class HashWorker {
  private worker: Worker | undefined
  private nextId = 0
  private readonly pending = new Map<number, Pending>()

  /** Hex digests of `ranges` ([start, length] in `buffer`); the buffer is lent and returned. */
  digest(
    algorithm: 'sha1' | 'sha256',
    buffer: ArrayBuffer,
    ranges: [number, number][]
  ): Promise<Answer> {
    const worker = this.start()
    const id = this.nextId++
    return new Promise<Answer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      worker.ref()
      worker.postMessage({ id, algorithm, buffer, ranges }, [buffer])
    })
  }

  private start(): Worker {
    if (this.worker) return this.worker
    const worker = new (workerThreads().Worker)(WORKER_SOURCE, { eval: true })
    worker.on('message', (answer: Answer) => this.settle(answer))
    worker.on('error', (error: Error) => this.fail(error))
    worker.on('exit', () => this.fail(new Error('the hashing thread stopped')))
    worker.once('online', workerStarted)
    worker.unref()
    this.worker = worker
    return worker
  }

  private settle(answer: Answer): void {
    const pending = this.pending.get(answer.id)
    this.pending.delete(answer.id)
    if (this.pending.size === 0) this.worker?.unref()
    pending?.resolve(answer)
  }

  private fail(error: Error): void {
    this.worker = undefined
    for (const pending of this.pending.values()) pending.reject(error)
    this.pending.clear()
  }
}

export const hashWorker = new HashWorker()
