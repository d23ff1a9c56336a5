/**
 * What a test's code prints to stdout (for the action: @actions/core's workflow commands and
 * log lines), kept line by line instead of written, until restore().
 */
export interface StdoutCapture {
  /** Each non-empty line printed so far. */
  lines: string[]
  restore(): void
}

export function captureStdout(): StdoutCapture {
  const lines: string[] = []
  const realWrite = process.stdout.write
  process.stdout.write = ((chunk: string | Uint8Array) => {
    lines.push(
      ...String(chunk)
        .split(/\r?\n/)
        .filter((l) => l !== '')
    )
    return true
  }) as typeof process.stdout.write
  return {
    lines,
    restore: () => {
      process.stdout.write = realWrite
    }
  }
}
