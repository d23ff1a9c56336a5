/**
 * The command line's standard output and error, written with `fs.writeSync` to descriptors 1
 * and 2 rather than through `process.stdout` and `process.stderr`: Node makes those streams on
 * their first use, and for a pipe or a terminal that loads its `net` module (with its
 * diagnostics and performance hooks), 3-4 ms of a cold resolve whose output is read through a
 * pipe. On Windows (where a console takes text through its own calls), and for what a
 * descriptor will not take at once (EAGAIN: a non-blocking pipe whose reader lags), the streams
 * do the writing, and wait for the reader.
 */
import * as fs from 'node:fs'

type Which = 'out' | 'err'

/** Whether each stream took over: its writes may still be queued. */
const streamed: Record<Which, boolean> = { out: false, err: false }

function stream(which: Which): NodeJS.WriteStream {
  streamed[which] = true
  return which === 'out' ? process.stdout : process.stderr
}

function write(fd: number, which: Which, text: string): void {
  if (process.platform === 'win32' || streamed[which]) {
    stream(which).write(text)
    return
  }
  const bytes = Buffer.from(text, 'utf8')
  let at = 0
  try {
    while (at < bytes.length) at += fs.writeSync(fd, bytes, at)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    // The reader has gone (`witchery resolve … | head -1`): what is left has no one to read it.
    if (code === 'EPIPE') return
    if (code !== 'EAGAIN') throw error
    stream(which).write(bytes.subarray(at))
  }
}

/** Where the command line writes: standard output and error. Tests put their own in. */
export const output = {
  out: (text: string): void => write(1, 'out', text),
  err: (text: string): void => write(2, 'err', text)
}

/** Whether output is still queued in a stream (the process must then not end at once). */
export function outputQueued(): boolean {
  return (
    (streamed.out && process.stdout.writableLength > 0) ||
    (streamed.err && process.stderr.writableLength > 0)
  )
}
