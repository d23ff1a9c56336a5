/**
 * Fixtures and runners for attack tests: a data member holding one large file of zeros, made
 * streaming (1 GiB compresses to about 1 MB and never sits in memory, here or in the fixture),
 * and the CLI run as a child process whose peak memory (VmHWM) is reported.
 */
import { spawn } from 'node:child_process'
import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import * as zlib from 'node:zlib'
import {
  END_OF_ARCHIVE,
  padding,
  paxRecord,
  tarHeader,
  tarRecord,
  type TarHeader
} from './tar-writer.js'
import { walkTree } from './walk.js'

export const MIB = 1024 * 1024
export const GIB = 1024 * MIB

const ZEROS = Buffer.alloc(MIB)

/** SHA-1 of `size` zero bytes, hashed a MiB at a time. */
function sha1OfZeros(size: number): string {
  const hash = crypto.createHash('sha1')
  for (let left = size; left > 0; left -= ZEROS.length) {
    hash.update(left >= ZEROS.length ? ZEROS : ZEROS.subarray(0, left))
  }
  return hash.digest('hex')
}

function header(name: string, type: TarHeader['type'], size: number, mtime: number): TarHeader {
  const mode = type === 'dir' ? 0o755 : 0o644
  return { name, type, mode, uid: 0, gid: 0, uname: 'root', gname: 'root', size, mtime }
}

/**
 * The gzip data member of a package with one file `file` of `size` zero bytes (and its parent
 * folders), as abuild writes it: PAX checksum record, header, data, end of archive. `tar` is
 * left empty: the inflated tar is never made.
 */
export async function zeroFileMember(
  file: string,
  size: number,
  mtime = 1700000000
): Promise<{ member: Buffer; tar: Buffer }> {
  return fileMember(file, size, mtime, sha1OfZeros(size), zeroChunks(size))
}

/**
 * Like zeroFileMember, with `size` bytes that do not compress (an AES-CTR keystream, the same on
 * every run), so the member is as large as the file: a package whose compressed bytes must not
 * sit whole in memory either.
 */
export async function randomFileMember(
  file: string,
  size: number,
  mtime = 1700000000
): Promise<{ member: Buffer; tar: Buffer }> {
  const keystream = function* (): Generator<Buffer> {
    const cipher = crypto.createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16))
    for (const zeros of zeroChunks(size)) yield cipher.update(zeros)
  }
  const sha1 = crypto.createHash('sha1')
  for (const chunk of keystream()) sha1.update(chunk)
  return fileMember(file, size, mtime, sha1.digest('hex'), keystream())
}

/** `size` zero bytes, in chunks. */
function* zeroChunks(size: number): Generator<Buffer> {
  for (let left = size; left > 0; left -= ZEROS.length) {
    yield left >= ZEROS.length ? ZEROS : ZEROS.subarray(0, left)
  }
}

/**
 * The gzip data member of one file (and its parent folders) whose `size` bytes come in
 * `chunks` and hash to `sha1`, compressed as they come: the inflated tar is never made whole.
 */
async function fileMember(
  file: string,
  size: number,
  mtime: number,
  sha1: string,
  chunks: Iterable<Buffer>
): Promise<{ member: Buffer; tar: Buffer }> {
  const gzip = zlib.createGzip({ level: 1 })
  const out: Buffer[] = []
  gzip.on('data', (chunk: Buffer) => out.push(chunk))
  const ended = new Promise<void>((resolve, reject) => {
    gzip.on('end', resolve)
    gzip.on('error', reject)
  })
  const write = async (chunk: Buffer): Promise<void> => {
    if (!gzip.write(chunk)) await new Promise((resolve) => gzip.once('drain', resolve))
  }
  const parts = file.split('/')
  for (let i = 1; i < parts.length; i++) {
    await write(tarRecord(header(`${parts.slice(0, i).join('/')}/`, 'dir', 0, mtime)))
  }
  const entry = header(file, 'file', size, mtime)
  await write(paxRecord(entry, [['APK-TOOLS.checksum.SHA1', sha1]]))
  await write(tarHeader(entry))
  for (const chunk of chunks) await write(chunk)
  await write(Buffer.concat([padding(size), END_OF_ARCHIVE]))
  gzip.end()
  await ended
  return { member: Buffer.concat(out), tar: Buffer.alloc(0) }
}

/** A data tar with a PAX global header (`g`) in front of a plain file. */
export function globalHeaderTar(file: string, content: string, mtime = 1700000000): Buffer {
  const data = Buffer.from(content)
  const entry = header(file, 'file', data.length, mtime)
  const sha1 = crypto.createHash('sha1').update(data).digest('hex')
  return Buffer.concat([
    tarRecord(
      header('pax_global_header', 'paxGlobal', 0, mtime),
      Buffer.from('20 comment=hostile\n')
    ),
    paxRecord(entry, [['APK-TOOLS.checksum.SHA1', sha1]]),
    tarRecord(entry, data),
    END_OF_ARCHIVE
  ])
}

export interface CliRun {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** Peak resident memory of the child (VmHWM), in bytes; undefined if it was not reported. */
  peakBytes?: number
  /** Node's built-in modules the child loaded (`http`, `zlib`, `internal/…`), in load order. */
  builtins?: string[]
  /** The size of V8's young generation (new space) when the child exited, in bytes. */
  newSpaceBytes?: number
}

/**
 * Writes the preload that reports, on exit, the child's VmHWM to WITCHERY_TEST_PEAK_FILE, the
 * built-in modules it loaded to the same path with `.builtins` added, the size of its young
 * generation with `.new-space`.
 */
function peakPreload(dir: string): string {
  const file = path.join(dir, 'report-peak.cjs')
  fs.writeFileSync(
    file,
    `const fs = require('node:fs')
process.on('exit', () => {
  const report = process.env.WITCHERY_TEST_PEAK_FILE
  if (!report) return
  const status = fs.readFileSync('/proc/self/status', 'utf8')
  const match = /^VmHWM:\\s+(\\d+) kB$/m.exec(status)
  if (match) fs.writeFileSync(report, String(Number(match[1]) * 1024))
  const builtins = process.moduleLoadList
    .filter((m) => m.startsWith('NativeModule '))
    .map((m) => m.slice('NativeModule '.length))
  fs.writeFileSync(report + '.builtins', builtins.join('\\n'))
  const newSpace = require('node:v8')
    .getHeapSpaceStatistics()
    .find((space) => space.space_name === 'new_space')
  if (newSpace) fs.writeFileSync(report + '.new-space', String(newSpace.space_size))
})
`
  )
  return file
}

export interface CliOptions {
  /** A folder for the preload and the peak report. */
  work: string
  env?: Record<string, string>
  cwd?: string
  /** The child is killed (SIGKILL) after this long; the run then reports signal SIGKILL. */
  killAfterMs?: number
  /** Called once the child runs, e.g. to send it a signal later. */
  onSpawn?: (pid: number) => void
}

/** Runs `node dist/cli/index.js ARGS` (bundle first) and reports its exit and peak memory. */
export function runCli(args: string[], options: CliOptions): Promise<CliRun> {
  const peakFile = path.join(options.work, `peak-${crypto.randomBytes(4).toString('hex')}`)
  const preload = peakPreload(options.work)
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.env,
    WITCHERY_TEST_PEAK_FILE: peakFile
  }
  delete env.NODE_OPTIONS
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--require', preload, path.resolve('dist/cli/index.js'), ...args],
      { env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] }
    )
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 120_000)
    if (child.pid !== undefined) options.onSpawn?.(child.pid)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      // What the preload wrote, if it did.
      const reported = (suffix: string) => {
        const file = `${peakFile}${suffix}`
        return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined
      }
      const peak = reported('')
      const builtins = reported('.builtins')
      const newSpace = reported('.new-space')
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        peakBytes: peak === undefined ? undefined : Number(peak),
        builtins: builtins?.split('\n'),
        newSpaceBytes: newSpace === undefined ? undefined : Number(newSpace)
      })
    })
  })
}

/** Every file and folder under `dir`, relative, sorted (empty when it is missing). */
export function listTree(dir: string): string[] {
  if (!fs.existsSync(dir)) return []
  return walkTree(dir).sort()
}
