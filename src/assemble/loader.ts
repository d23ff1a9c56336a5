/**
 * Where musl's dynamic loader finds a program's libraries, over the files an image will hold.
 * The rules are musl's `ldso/dynlink.c` (load_library, fixup_rpath, path_open):
 *
 * - names `libc.*`, `libpthread.*`, `librt.*`, `libm.*`, `libdl.*`, `libutil.*`, `libxnet.*`
 *   are the loader itself (musl is libc, libm, libpthread… in one file);
 * - a name with a `/` is opened as a path;
 * - otherwise the RUNPATH (else RPATH) of the file that needs it is searched, then those of the
 *   files that loaded that one, up to the program; `$ORIGIN` / `${ORIGIN}` is the folder of the
 *   file (of the program: its real path); a path with any other `$` token is ignored;
 * - then `/etc/ld-musl-ARCH.path` (entries split on `:` and newlines) if the image has it,
 *   else `/lib:/usr/local/lib:/usr/lib`.
 *
 * The view is built from layer entries (the packages' tree and the app), later layers over
 * earlier ones, and resolves symlinks inside the image as the kernel would inside a container.
 */
import * as path from 'node:path'
import type { ArchInfo } from '../arch.js'
import type { LayerEntry } from '../oci/types.js'
import type { ElfInfo } from './elf.js'
import { searchPath } from './elf.js'

export const DEFAULT_LIBRARY_PATH = ['/lib', '/usr/local/lib', '/usr/lib']
const MAX_SYMLINKS = 40

/** The files of an image, by absolute path, from its layer entries. */
export class ImageView {
  private readonly entries = new Map<string, LayerEntry>()
  private readonly dirs = new Set<string>(['/'])

  constructor(layers: LayerEntry[][]) {
    for (const layer of layers) {
      for (const entry of layer) this.add(entry)
    }
  }

  private add(entry: LayerEntry): void {
    const p = `/${entry.path}`
    this.entries.set(p, entry)
    for (let dir = path.posix.dirname(p); !this.dirs.has(dir); dir = path.posix.dirname(dir)) {
      this.dirs.add(dir)
    }
  }

  /** The entry at exactly this path, without following a symlink there. */
  entry(p: string): LayerEntry | undefined {
    return this.entries.get(p)
  }

  /** Every entry with its absolute path. */
  *all(): Iterable<[string, LayerEntry]> {
    yield* this.entries
  }

  /**
   * The path `p` leads to after following symlinks (in every component, the last one too), or
   * undefined when a component is missing, a loop or too many links are met, or a file is in
   * the way. The result is an absolute path without symlinks, of a file, hardlink or folder.
   */
  resolve(p: string): { path: string; entry?: LayerEntry } | undefined {
    let pending = splitPath(p)
    let current = '/'
    let hops = 0
    while (pending.length > 0) {
      const part = pending.shift() as string
      if (part === '.' || part === '') continue
      if (part === '..') {
        current = path.posix.dirname(current)
        continue
      }
      const next = path.posix.join(current, part)
      const entry = this.entries.get(next)
      if (entry?.type === 'symlink') {
        if (++hops > MAX_SYMLINKS) return undefined
        const target = entry.linkname ?? ''
        pending = [...splitPath(target), ...pending]
        if (target.startsWith('/')) current = '/'
        continue
      }
      if (entry === undefined && !this.dirs.has(next)) return undefined
      if (entry !== undefined && entry.type !== 'directory' && pending.some((x) => x !== '')) {
        return undefined
      }
      current = next
    }
    return { path: current, entry: this.entries.get(current) }
  }

  /** Whether `p` leads to a regular file (or a hardlink to one). */
  isFile(p: string): boolean {
    const found = this.resolve(p)
    return found?.entry?.type === 'file' || found?.entry?.type === 'hardlink'
  }
}

function splitPath(p: string): string[] {
  return p.split('/').filter((part) => part !== '')
}

/** musl's LDSO_ARCH, the middle of the loader's name (`ld-musl-x86_64.so.1` → `x86_64`). */
export function ldsoArch(arch: ArchInfo): string {
  return arch.muslLoader.replace(/^ld-musl-/, '').replace(/\.so\.1$/, '')
}

/** Whether musl's loader answers `name` itself, without looking for a file. */
export function isMuslReserved(name: string): boolean {
  return /^lib(?:c|pthread|rt|m|dl|util|xnet)\./.test(name)
}

/** glibc's own libraries: a program that needs one was built against glibc. */
export function isGlibcLibrary(name: string): boolean {
  return name === 'libc.so.6' || /^ld-linux.*\.so\.\d+$/.test(name) || name === 'ld64.so.2'
}

/**
 * The folders the loader searches after the RUNPATHs: `/etc/ld-musl-ARCH.path` when the image
 * has it (an empty file means none), else musl's default.
 */
export function systemLibraryPath(
  view: ImageView,
  arch: ArchInfo,
  read: (file: string) => string
): string[] {
  const file = `/etc/ld-musl-${ldsoArch(arch)}.path`
  const found = view.resolve(file)
  const source = found?.entry?.type === 'file' ? found.entry.source : undefined
  if (source === undefined) return DEFAULT_LIBRARY_PATH
  return [
    ...new Set(
      read(source)
        .split(/[:\n]/)
        .filter((dir) => dir !== '')
    )
  ].slice(0, MAX_PATH_FOLDERS)
}

/** The most folders of `/etc/ld-musl-ARCH.path` looked in (a real one lists a few). */
const MAX_PATH_FOLDERS = 256
/** The most of that file read (the rest is ignored): a package's file is hostile like any other. */
export const MAX_PATH_FILE_BYTES = 64 * 1024

/**
 * The folders of one RUNPATH or RPATH, with `$ORIGIN` expanded to `origin` (the folder of the
 * file that carries it). Empty when the path uses another `$` token: musl then ignores it.
 */
export function expandRunpath(runpath: string, origin: string): string[] {
  if (/\$(?!ORIGIN|\{ORIGIN\})/.test(runpath)) return []
  return runpath
    .replace(/\$\{ORIGIN\}|\$ORIGIN/g, origin)
    .split(/[:\n]/)
    .filter((dir) => dir !== '')
}

/** A file that needs libraries: its path in the image and its ELF facts. */
export interface Needer {
  /** Absolute path in the image (its real path: $ORIGIN is taken from it). */
  path: string
  elf: ElfInfo
}

export interface Located {
  /** Where the loader finds the library: a path, or `loader` for musl's own names. */
  found?: string
  /** The folders searched, in order (for messages). */
  searched: string[]
}

/**
 * Finds the library `name` that `needer` needs, as musl would. `loaders` are the files that
 * load `needer` (nearest first), whose RUNPATHs are searched after its own. A library (a file
 * with no interpreter) also finds the libraries beside it: the programs that load such private
 * libraries load their neighbours through their own RUNPATH, which a file-by-file check cannot
 * follow, so that case is taken as met rather than reported falsely.
 */
export function locateLibrary(
  view: ImageView,
  needer: Needer,
  name: string,
  options: { systemPath: string[]; muslLoader: boolean; loaders?: Needer[] }
): Located {
  if (options.muslLoader && isMuslReserved(name)) return { found: 'loader', searched: [] }
  if (name.includes('/')) {
    const p = name.startsWith('/') ? name : path.posix.join(path.posix.dirname(needer.path), name)
    return { found: view.isFile(p) ? p : undefined, searched: [] }
  }
  // Each folder once, in order (a folder seen before finds nothing new), and no spread of a list
  // a hostile file makes long: RUNPATH `/:/:…` or a path file of 130,000 folders once overflowed.
  const seen = new Set<string>()
  const add = (dirs: string[]) => {
    for (const dir of dirs) seen.add(dir)
  }
  for (const file of [needer, ...(options.loaders ?? [])]) {
    const runpath = searchPath(file.elf)
    if (runpath) add(expandRunpath(runpath, path.posix.dirname(file.path)))
  }
  if (needer.elf.interpreter === undefined) add([path.posix.dirname(needer.path)])
  add(options.systemPath)
  const searched = [...seen]
  for (const dir of searched) {
    const candidate = path.posix.join(dir.startsWith('/') ? dir : `/${dir}`, name)
    if (view.isFile(candidate)) return { found: candidate, searched }
  }
  return { searched }
}
