/**
 * Checks that the user's app can run in a musl image of the target arch, before any download:
 * an ELF for another machine, or one that asks for glibc's loader, would only fail at `docker run`.
 */
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import type { ArchInfo } from '../arch.js'
import { AppError } from './errors.js'

export interface ElfInfo {
  /** 1 = 32-bit, 2 = 64-bit. */
  elfClass: number
  machine: number
  /** PT_INTERP, e.g. `/lib/ld-musl-x86_64.so.1`; undefined for a static binary. */
  interpreter?: string
}

const PT_INTERP = 3
/** Enough for the ELF header and the program headers of any sane binary. */
const HEADER_BYTES = 64 * 1024

/** Reads the ELF header and interpreter from the start of a file; undefined if not an ELF. */
export function parseElf(head: Buffer): ElfInfo | undefined {
  if (head.length < 52 || head.readUInt32BE(0) !== 0x7f454c46) return undefined
  const elfClass = head[4]
  const little = head[5] === 1
  const u16 = (o: number) => (little ? head.readUInt16LE(o) : head.readUInt16BE(o))
  const u32 = (o: number) => (little ? head.readUInt32LE(o) : head.readUInt32BE(o))
  const word = (o: number) =>
    elfClass === 2 ? Number(little ? head.readBigUInt64LE(o) : head.readBigUInt64BE(o)) : u32(o)
  const machine = u16(18)
  const phoff = word(elfClass === 2 ? 32 : 28)
  const phentsize = u16(elfClass === 2 ? 54 : 42)
  const phnum = u16(elfClass === 2 ? 56 : 44)
  let interpreter: string | undefined
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize
    if (ph + phentsize > head.length) break
    if (u32(ph) !== PT_INTERP) continue
    const offset = word(elfClass === 2 ? ph + 8 : ph + 4)
    const size = word(elfClass === 2 ? ph + 32 : ph + 16)
    if (offset + size <= head.length) {
      interpreter = head
        .subarray(offset, offset + size)
        .toString('latin1')
        .replace(/\0+$/, '')
    }
  }
  return { elfClass, machine, interpreter }
}

async function readHead(file: string): Promise<Buffer> {
  const handle = await fs.open(file, 'r')
  try {
    const buf = Buffer.alloc(HEADER_BYTES)
    const { bytesRead } = await handle.read(buf, 0, HEADER_BYTES, 0)
    return buf.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}

export interface AppCheckOptions {
  /** Whether the image has musl; false when the package list says `!musl`. Default true. */
  musl?: boolean
}

/** Throws AppError when one ELF file cannot run on `arch` with musl. */
export function checkElf(
  elf: ElfInfo,
  arch: ArchInfo,
  label: string,
  options: AppCheckOptions = {}
): void {
  if (elf.machine !== arch.elfMachine || elf.elfClass !== arch.elfClass) {
    throw new AppError(
      `${label} is built for another machine (ELF machine ${elf.machine}, ${elf.elfClass * 32}-bit), ` +
        `not for ${arch.apk}. Build the app for ${arch.apk}, or set \`arch\` to the app's architecture.`
    )
  }
  if (elf.interpreter === undefined) return
  const musl = `/lib/${arch.muslLoader}`
  if (elf.interpreter === musl) {
    if (options.musl === false) {
      throw new AppError(
        `${label} is linked against musl dynamically (its ELF interpreter is ${musl}), but ` +
          '`!musl` in `packages` leaves musl out of the image, so it could not start. Drop ' +
          '`!musl`, or build the app statically (Go: CGO_ENABLED=0; Rust: target ' +
          `${rustTarget(arch)} with -C target-feature=+crt-static; C: -static).`
      )
    }
    return
  }
  const glibc = /ld-linux|ld64\.so|ld\.so/.test(elf.interpreter)
  throw new AppError(
    `${label} is ${glibc ? 'linked against glibc' : 'dynamically linked'} (its ELF interpreter is ` +
      `${elf.interpreter}), but the image has musl (${musl}) and no glibc. Build it for musl ` +
      `(musl-gcc, Alpine's toolchain, Rust target ${rustTarget(arch)}) or statically ` +
      `(Go: CGO_ENABLED=0; Rust: target *-unknown-linux-musl; C: -static).`
  )
}

function rustTarget(arch: ArchInfo): string {
  const cpu: Record<string, string> = { x86_64: 'x86_64', aarch64: 'aarch64', x86: 'i686' }
  return `${cpu[arch.apk] ?? arch.apk}-unknown-linux-musl`
}

/**
 * Checks the app file, or every ELF file in the app folder. Throws AppError for a missing app,
 * a foreign arch, a glibc loader, or musl's loader when the image leaves musl out.
 */
export async function checkApp(
  source: string,
  arch: ArchInfo,
  options: AppCheckOptions = {}
): Promise<'file' | 'folder'> {
  const stat = await fs.stat(source).catch(() => undefined)
  if (!stat) {
    throw new AppError(
      `app '${source}' does not exist. Build the app in an earlier step and give its path ` +
        `(relative to the workspace) in \`app\`.`
    )
  }
  if (stat.isFile()) {
    const elf = parseElf(await readHead(source))
    if (elf) checkElf(elf, arch, `app '${source}'`, options)
    return 'file'
  }
  if (!stat.isDirectory()) {
    throw new AppError(`app '${source}' is neither a file nor a folder.`)
  }
  for (const file of await listFiles(source)) {
    const elf = parseElf(await readHead(file))
    if (elf) {
      checkElf(elf, arch, `'${path.relative(source, file)}' in app folder '${source}'`, options)
    }
  }
  return 'folder'
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await listFiles(full)))
    else if (entry.isFile()) out.push(full)
  }
  return out.sort()
}
