/**
 * Real native files for the ELF tests: programs and libraries compiled with musl-gcc and given
 * Alpine's library names with patchelf, and an image tarball unpacked to a folder a chroot can
 * run.
 */
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { gunzipSync } from 'node:zlib'

/** The libc name Alpine's programs carry in DT_NEEDED (Debian's musl-gcc writes `libc.so`). */
export const ALPINE_LIBC = 'libc.musl-x86_64.so.1'

function run(tool: string, args: string[]): string {
  return execFileSync(tool, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

/**
 * Compiles C `source` with musl-gcc (`extra` are more flags and inputs, such as a `.so` to link
 * against or `-shared`), then names libc as Alpine's programs do. Returns `out`.
 */
export function muslBuild(source: string, out: string, extra: string[] = []): string {
  fs.mkdirSync(path.dirname(out), { recursive: true })
  const c = `${out}.c`
  fs.writeFileSync(c, source)
  try {
    run('musl-gcc', ['-Os', '-o', out, c, ...extra])
  } finally {
    fs.rmSync(c, { force: true })
  }
  run('patchelf', ['--replace-needed', 'libc.so', ALPINE_LIBC, out])
  return out
}

/** A shared library `soname` made of `source`, written to `out`. */
export function muslLibrary(source: string, out: string, soname: string): string {
  return muslBuild(source, out, ['-shared', '-fPIC', `-Wl,-soname,${soname}`])
}

/** What `readelf` says of a file: interpreter, NEEDED, RUNPATH, RPATH, SONAME. */
export function readelf(file: string): {
  interpreter?: string
  needed: string[]
  runpath?: string
  rpath?: string
  soname?: string
} {
  const text = run('readelf', ['-ldW', file])
  const interp = /\[Requesting program interpreter: ([^\]]+)\]/.exec(text)?.[1]
  const needed = [...text.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]*)\]/g)].map((m) => m[1])
  const runpath = /\(RUNPATH\)\s+Library runpath: \[([^\]]*)\]/.exec(text)?.[1]
  const rpath = /\(RPATH\)\s+Library rpath: \[([^\]]*)\]/.exec(text)?.[1]
  const soname = /\(SONAME\)\s+Library soname: \[([^\]]*)\]/.exec(text)?.[1]
  return { interpreter: interp, needed, runpath, rpath, soname }
}

/** Unpacks the (single-platform) image in `tarball` into `rootfs`, layers in order, with tar. */
export function unpackImage(tarball: string, rootfs: string): void {
  const layout = `${rootfs}.layout`
  fs.mkdirSync(layout, { recursive: true })
  fs.mkdirSync(rootfs, { recursive: true })
  execFileSync('tar', ['-xf', tarball, '-C', layout])
  const [manifest] = JSON.parse(fs.readFileSync(path.join(layout, 'manifest.json'), 'utf8'))
  for (const layer of manifest.Layers as string[]) {
    const tar = path.join(layout, `${path.basename(layer)}.tar`)
    fs.writeFileSync(tar, gunzipSync(fs.readFileSync(path.join(layout, layer))))
    execFileSync('tar', ['-xpf', tar, '-C', rootfs])
  }
  fs.rmSync(layout, { recursive: true, force: true })
}

/**
 * Runs `argv` in a chroot of `rootfs`, with /proc mounted in a private mount namespace (musl
 * reads /proc/self/exe for a program's $ORIGIN). Needs root.
 */
export function runInChroot(
  rootfs: string,
  argv: string[]
): { status: number | null; stdout: string; stderr: string } {
  fs.mkdirSync(path.join(rootfs, 'proc'), { recursive: true })
  const script = 'mount -t proc proc "$1/proc" && exec chroot "$@"'
  try {
    const stdout = execFileSync(
      'unshare',
      ['--mount', '--fork', 'sh', '-c', script, 'sh', rootfs, ...argv],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }
    )
    return { status: 0, stdout, stderr: '' }
  } catch (error) {
    const e = error as { status: number | null; stdout: string; stderr: string }
    return { status: e.status, stdout: String(e.stdout), stderr: String(e.stderr) }
  }
}
