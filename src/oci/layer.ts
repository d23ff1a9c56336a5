/**
 * Writes one layer blob in a single pass: the tar stream is hashed (diff_id) on its way into
 * gzip, which deflates blocks on every core (parallel-gzip.ts), and the gzip stream is hashed
 * (digest) on its way to a temporary file, which is then renamed to its digest. No byte is read
 * twice.
 */
import { createHash, randomBytes } from 'node:crypto'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import { ParallelGzip } from './parallel-gzip.js'
import { tarStream } from './tar-writer.js'
import type { LayerEntry, WrittenLayer } from './types.js'
/**
 * zlib's own default. Measured on 52 MB of libraries, binaries and docs (2 shared cores, whole
 * writeImage): level 1 took 1.2 s (43 MB/s) for a blob of 39.6%, level 6 1.6 s (33 MB/s) for
 * 36.5%, level 9 5.3 s (10 MB/s) for 36.4%. 6 is 8% smaller than 1 for a third more time; 9 buys
 * nothing. Layers are pulled far more often than they are built.
 */
export const DEFAULT_GZIP_LEVEL = 6

/**
 * Writes the tar of `entries` (already normalized and ordered) gzipped into `blobsDir` as
 * `<hex digest>`, and returns its digests and sizes.
 */
export async function writeLayer(
  entries: LayerEntry[],
  blobsDir: string,
  options: { mtime: number; gzipLevel: number }
): Promise<WrittenLayer> {
  const tarHash = createHash('sha256')
  const gzipHash = createHash('sha256')
  let uncompressedSize = 0
  let size = 0
  const temp = path.join(blobsDir, `.layer-${process.pid}-${randomBytes(6).toString('hex')}.tmp`)
  const file = await fs.open(temp, 'wx')
  try {
    const gzip = new ParallelGzip(options.gzipLevel, async (chunk) => {
      gzipHash.update(chunk)
      size += chunk.length
      await writeAll(file, chunk)
    })
    for await (const chunk of tarStream(entries, options.mtime)) {
      tarHash.update(chunk)
      uncompressedSize += chunk.length
      await gzip.write(chunk)
    }
    await gzip.end()
    await file.close()
    const hex = gzipHash.digest('hex')
    await fs.rename(temp, path.join(blobsDir, hex))
    return {
      digest: `sha256:${hex}`,
      diffId: `sha256:${tarHash.digest('hex')}`,
      size,
      uncompressedSize,
      entries: entries.length
    }
  } catch (error) {
    await file.close().catch(() => undefined)
    await fs.rm(temp, { force: true })
    throw error
  }
}

/** A write to a file may take only part of the buffer: write the rest too. */
async function writeAll(file: fs.FileHandle, chunk: Buffer): Promise<void> {
  let at = 0
  while (at < chunk.length) {
    const { bytesWritten } = await file.write(chunk, at, chunk.length - at)
    at += bytesWritten
  }
}
