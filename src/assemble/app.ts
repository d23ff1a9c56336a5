/**
 * Checks that the user's app can run in a musl image of the target arch, before any download:
 * an ELF for another machine, or one that asks for glibc's loader, would only fail at `docker run`.
 */
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import type { ArchInfo } from '../arch.js'
import { readElfFile, type ElfInfo } from './elf.js'
import { AppError } from './errors.js'
import { UnsupportedFileError } from '../oci/errors.js'
import { folderNames } from '../oci/tree.js'

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
  if (glibc) {
    throw new AppError(
      glibcMessage(
        `${label} is linked against glibc (its ELF interpreter is ${elf.interpreter}), but`,
        arch
      )
    )
  }
  throw new AppError(
    `${label} is dynamically linked (its ELF interpreter is ${elf.interpreter}), but the image ` +
      `has musl (/lib/${arch.muslLoader}) and no glibc. ${buildAdvice(arch)}`
  )
}

/**
 * The message for an app built against glibc: `what` says how we know (`app '…' is linked
 * against glibc (its ELF interpreter is …), but`), the rest says what to do.
 */
export function glibcMessage(what: string, arch: ArchInfo): string {
  return `${what} the image has musl (/lib/${arch.muslLoader}) and no glibc. ${buildAdvice(arch)}`
}

function buildAdvice(arch: ArchInfo): string {
  return (
    `Build it for musl (musl-gcc, Alpine's toolchain, Rust target ${rustTarget(arch)}) or ` +
    'statically (Go: CGO_ENABLED=0; Rust: target *-unknown-linux-musl; C: -static).'
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
    const elf = readElfFile(source)
    if (elf) checkElf(elf, arch, `app '${source}'`, options)
    return 'file'
  }
  if (!stat.isDirectory()) {
    throw new AppError(`app '${source}' is neither a file nor a folder.`)
  }
  for (const file of await listFiles(source)) {
    const elf = readElfFile(file)
    if (elf) {
      checkElf(elf, arch, `'${path.relative(source, file)}' in app folder '${source}'`, options)
    }
  }
  return 'folder'
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  let names: string[]
  try {
    names = await folderNames(dir)
  } catch (error) {
    if (error instanceof UnsupportedFileError) throw new AppError(`app: ${error.message}`)
    throw error
  }
  for (const name of names) {
    const full = path.join(dir, name)
    const stat = await fs.lstat(full)
    if (stat.isDirectory()) out.push(...(await listFiles(full)))
    else if (stat.isFile()) out.push(full)
  }
  return out.sort()
}
