/**
 * The link check: after install, every ELF program and library of the image (the packages' and
 * the app's) has its interpreter and each DT_NEEDED library where musl's loader looks, and every
 * script of the app its `#!` interpreter. What would fail at `docker run` with "Error loading
 * shared library" fails the build instead, naming the file, the library and the package that
 * would provide it.
 *
 * Fast by construction: the file list is the layers' entries (no walk of the disk), and of each
 * file only the ELF header, program headers and dynamic strings are read.
 */
import * as path from 'node:path'
import type { ArchInfo } from '../arch.js'
import type { LayerEntry } from '../oci/types.js'
import { readElfFile, readHead, readShebang } from './elf.js'
import { BuildError } from './errors.js'
import type { LinkCheckMode } from './spec.js'
import {
  ImageView,
  isMuslReserved,
  ldsoArch,
  locateLibrary,
  MAX_PATH_FILE_BYTES,
  systemLibraryPath
} from './loader.js'
import { envTarget } from './needs.js'

export type { LinkCheckMode }
export const LINK_CHECK_MODES: readonly LinkCheckMode[] = ['error', 'warn', 'off']

/** The PATH a script's `env` searches (the image's default PATH). */
const COMMAND_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']

export interface LinkProblem {
  /** Absolute path in the image of the file that cannot start or load. */
  file: string
  /** The package that installed it, or `app`. */
  owner: string
  /** `unrunnable`: Linux refuses the file whatever the image holds (`detail` says why). */
  kind: 'interpreter' | 'library' | 'command' | 'unrunnable'
  /** The interpreter path, library name or command missing. */
  name: string
  /** Where the loader looked, for a library. */
  searched: string[]
  /** Why it cannot start, for `unrunnable`. */
  detail?: string
}

/** A layer to check: its entries, and who put them there. */
export interface CheckedLayer {
  entries: LayerEntry[]
  /** The package owning a path (`usr/bin/ssh` → openssh-client-default); `app` for the app. */
  owner: (entryPath: string) => string
  /** The app layer: its scripts are checked too (the packages' own depend on their packages). */
  app?: boolean
}

export interface LinkCheckResult {
  problems: LinkProblem[]
  /** ELF files of the target machine that were checked. */
  elfFiles: number
}

/** Every missing interpreter, library and command of the image made of `layers`. */
export function checkLinks(layers: CheckedLayer[], arch: ArchInfo): LinkCheckResult {
  const view = new ImageView(layers.map((l) => l.entries))
  const systemPath = systemLibraryPath(view, arch, (f) =>
    readHead(f, MAX_PATH_FILE_BYTES).toString('latin1')
  )
  const muslLoader = view.isFile(`/lib/${arch.muslLoader}`)
  const problems: LinkProblem[] = []
  let elfFiles = 0
  for (const layer of layers) {
    for (const entry of layer.entries) {
      const p = `/${entry.path}`
      // A file a later layer replaced is not in the image.
      if (entry.type !== 'file' || entry.source === undefined || view.entry(p) !== entry) continue
      const owner = layer.owner(entry.path)
      const elf = readElfFile(entry.source)
      if (elf) {
        // Firmware and other machines' binaries are never loaded here.
        if (elf.machine !== arch.elfMachine || elf.elfClass !== arch.elfClass) continue
        elfFiles++
        if (elf.interpreterProblem !== undefined) {
          problems.push({
            file: p,
            owner,
            kind: 'unrunnable',
            name: elf.interpreter ?? '',
            searched: [],
            detail: elf.interpreterProblem
          })
        } else if (elf.interpreter !== undefined && !view.isFile(elf.interpreter)) {
          problems.push({
            file: p,
            owner,
            kind: 'interpreter',
            name: elf.interpreter,
            searched: []
          })
        }
        for (const name of elf.needed) {
          const located = locateLibrary(view, { path: p, elf }, name, { systemPath, muslLoader })
          if (located.found === undefined) {
            problems.push({ file: p, owner, kind: 'library', name, searched: located.searched })
          }
        }
      } else if (layer.app && (entry.mode & 0o111) !== 0) {
        problems.push(...scriptProblems(view, p, owner, entry.source))
      }
    }
  }
  return { problems, elfFiles }
}

function scriptProblems(
  view: ImageView,
  file: string,
  owner: string,
  source: string
): LinkProblem[] {
  const shebang = readShebang(source)
  if (!shebang) return []
  const unrunnable = (name: string, detail: string): LinkProblem[] => [
    { file, owner, kind: 'unrunnable', name, searched: [], detail }
  ]
  if (shebang.crlf) {
    return unrunnable(
      shebang.interpreter,
      `its #! line ends in a carriage return (CRLF line endings), which Linux takes as part of ` +
        `'${shebang.argument ?? shebang.interpreter}'; save it with LF line endings`
    )
  }
  if (!view.isFile(shebang.interpreter)) {
    return [{ file, owner, kind: 'interpreter', name: shebang.interpreter, searched: [] }]
  }
  if (path.posix.basename(shebang.interpreter) !== 'env') return []
  const target = envTarget(shebang.argument ?? '')
  if (target.problem !== undefined) return unrunnable(shebang.interpreter, target.problem)
  const command = target.command
  if (command === undefined) return []
  const found = command.includes('/')
    ? view.isFile(command)
    : COMMAND_PATH.some((dir) => view.isFile(`${dir}/${command}`))
  return found ? [] : [{ file, owner, kind: 'command', name: command, searched: COMMAND_PATH }]
}

/** The name a package provides for what a problem misses (`so:libz.so.1`, `/bin/sh`…), best first. */
export function providedNames(problem: LinkProblem, arch: ArchInfo): string[] {
  if (problem.kind === 'unrunnable') return []
  if (problem.kind === 'library') return [`so:${problem.name}`]
  if (problem.kind === 'command') return [`cmd:${problem.name}`]
  // musl's loader is in no `p:` list; the package that provides its libc name ships it.
  if (problem.name === `/lib/${arch.muslLoader}`) return [`so:libc.musl-${ldsoArch(arch)}.so.1`]
  return [problem.name, `cmd:${path.posix.basename(problem.name)}`]
}

/**
 * One line per missing thing: `/usr/bin/server (app) needs libz.so.1, not found in /lib,
 * /usr/local/lib, /usr/lib; add zlib to `packages` (so:libz.so.1)`. Without `providers` (the
 * repositories could not be read again), the line asks for a package providing the name.
 */
export function describeProblems(
  problems: LinkProblem[],
  arch: ArchInfo,
  providers: ((name: string) => string[]) | undefined
): string[] {
  return problems.map((problem) => {
    if (problem.kind === 'unrunnable') {
      return `${problem.file} (${problem.owner}) cannot start: ${problem.detail ?? 'Linux refuses it'}`
    }
    const what =
      problem.kind === 'library'
        ? `needs ${problem.name}, not found in ${problem.searched.join(', ') || 'any folder'}`
        : problem.kind === 'command'
          ? `runs ${problem.name} through env, not found in ${problem.searched.join(', ')}`
          : `needs the interpreter ${problem.name}, which is not in the image`
    const names = providedNames(problem, arch)
    let offer =
      providers === undefined
        ? `add a package that provides ${names.join(' or ')} to \`packages\` (apk takes the name itself too)`
        : `no package of the repositories provides ${names.join(' or ')}`
    for (const name of names) {
      const packages = providers?.(name) ?? []
      if (packages.length > 0) {
        offer = `add ${packages.join(' or ')} to \`packages\` (${name})`
        break
      }
    }
    if (problem.kind === 'library' && isMuslReserved(problem.name)) {
      offer = `it is musl's own library: keep musl in the image (drop \`!musl\`)`
    }
    return `${problem.file} (${problem.owner}) ${what}; ${offer}`
  })
}

/** The build stops: a program of the image could not start. */
export class LinkCheckError extends BuildError {}

/** At most this many lines in an error or warning; the rest is counted. */
const MAX_LINES = 20

export function linkCheckMessage(arch: string, lines: string[]): string {
  const shown = lines.slice(0, MAX_LINES)
  const more = lines.length > shown.length ? `\n… and ${lines.length - shown.length} more` : ''
  return (
    `${arch}: link check: ${lines.length} missing; these files of the image would fail to start ` +
    `or load (Error loading shared library):\n${shown.join('\n')}${more}\n` +
    'Add the packages named, or put the library in the app folder; `link-check: warn` builds ' +
    'anyway, `link-check: off` skips this check.'
  )
}
