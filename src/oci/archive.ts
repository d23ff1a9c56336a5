/**
 * The OCI archive file, written front to back in one go: a layer blob streams straight into it
 * as it is compressed, and its tar header, which needs the digest and size known only at the
 * end, is written afterwards into the block kept for it. Nothing is staged and copied again.
 */
import { constants } from 'node:fs'
import * as fs from 'node:fs/promises'
import { ImageSpecError } from './errors.js'
import { END_OF_ARCHIVE, encodeHeader, padding } from './tar-writer.js'

const BLOCK = 512

export type BlobWrite = (chunk: Buffer) => Promise<void>

export class ArchiveWriter {
  private position = 0
  private readonly paths = new Set<string>()

  private constructor(
    private readonly handle: fs.FileHandle,
    private readonly mtime: number
  ) {}

  /**
   * Creates `path` for an archive whose entries all carry `mtime`: made new, never written
   * through a file or link already at that name.
   */
  static async create(path: string, mtime: number): Promise<ArchiveWriter> {
    const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = constants
    return new ArchiveWriter(
      await fs.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644),
      mtime
    )
  }

  /** Whether an entry of this path was written (blobs named by digest are written once). */
  has(path: string): boolean {
    return this.paths.has(path)
  }

  async directory(path: string): Promise<void> {
    this.paths.add(path)
    await this.append(encodeHeader(this.header(path, 'directory', 0o755, 0)))
  }

  async file(path: string, content: Buffer): Promise<void> {
    if (this.paths.has(path)) return
    this.paths.add(path)
    await this.append(encodeHeader(this.header(path, 'file', 0o644, content.length)))
    await this.append(content)
    await this.append(padding(content.length))
  }

  /**
   * A file whose bytes `produce` writes, and whose name it returns once they are all written
   * (a blob's name is its digest). A blob already in the archive is cut off again.
   */
  async blob(produce: (write: BlobWrite) => Promise<string>): Promise<number> {
    const start = this.position
    this.position += BLOCK
    const path = await produce((chunk) => this.append(chunk))
    const size = this.position - start - BLOCK
    if (this.paths.has(path)) {
      await this.handle.truncate(start)
      this.position = start
      return size
    }
    const header = encodeHeader(this.header(path, 'file', 0o644, size))
    if (header.length !== BLOCK) {
      throw new ImageSpecError(
        `blob '${path}' is ${size} bytes, more than a tar header written in place can hold (8 GiB); split the image into smaller layers`
      )
    }
    await this.writeAt(header, start)
    this.paths.add(path)
    await this.append(padding(size))
    return size
  }

  /** Ends the archive and closes the file; returns its size. */
  async close(): Promise<number> {
    await this.append(END_OF_ARCHIVE)
    await this.handle.close()
    return this.position
  }

  /** Closes the file after a failure (the caller removes it). */
  async abandon(): Promise<void> {
    await this.handle.close().catch(() => undefined)
  }

  private header(path: string, type: 'file' | 'directory', mode: number, size: number) {
    return { path, type, mode, uid: 0, gid: 0, size, mtime: this.mtime }
  }

  private async append(bytes: Buffer): Promise<void> {
    await this.writeAt(bytes, this.position)
    this.position += bytes.length
  }

  /** A write may take part of the buffer only: the rest is written too. */
  private async writeAt(bytes: Buffer, position: number): Promise<void> {
    let at = 0
    while (at < bytes.length) {
      const { bytesWritten } = await this.handle.write(bytes, at, bytes.length - at, position + at)
      at += bytesWritten
    }
  }
}
