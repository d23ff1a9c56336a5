/**
 * A whole file read on this thread, from a folder that may be hostile (a local repository's
 * index, the command line's code cache). files.ts's readRegularFile is the same for async code.
 */
import * as fs from 'node:fs'

/**
 * The bytes of `file` if `accept` takes its stat (it may throw to refuse with its own error),
 * else undefined; what it held when opened (a file still growing is cut there). It is opened
 * without waiting, since a FIFO put there would block a read for ever, and with `noFollow` not
 * through a last link; `accept` must refuse what is not a regular file (a device such as
 * /dev/zero, of size 0, would never end). An error opening it is thrown as it is.
 */
export function readFileSyncIf(
  file: string,
  accept: (stat: fs.Stats) => boolean,
  options: { noFollow?: boolean } = {}
): Buffer | undefined {
  const { O_RDONLY, O_NOFOLLOW = 0, O_NONBLOCK = 0 } = fs.constants
  const fd = fs.openSync(file, O_RDONLY | O_NONBLOCK | (options.noFollow ? O_NOFOLLOW : 0))
  try {
    const stat = fs.fstatSync(fd)
    if (!accept(stat)) return undefined
    const bytes = Buffer.allocUnsafe(stat.size)
    let read = 0
    while (read < bytes.length) {
      const n = fs.readSync(fd, bytes, read, bytes.length - read, read)
      if (n === 0) break
      read += n
    }
    return bytes.subarray(0, read)
  } finally {
    fs.closeSync(fd)
  }
}
