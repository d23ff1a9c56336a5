/**
 * The app's needs become the world. Every ELF file of the app names its libraries (DT_NEEDED);
 * those the app carries itself (beside it, or through a RUNPATH such as `$ORIGIN/../lib`) are
 * met, musl's own names are met by musl, and every other one becomes `so:NAME`, the name
 * Alpine's packages provide (`p:so:libz.so.1=1.3.1`). A script's `#!` interpreter becomes the
 * package that provides its path (`/bin/sh` → busybox-binsh, `p:/bin/sh`) or `cmd:NAME`
 * (`/usr/bin/env python3` → `cmd:python3`).
 *
 * Needs the world as given already meets add nothing; a need no repository meets fails the
 * build before anything is downloaded, naming the library and the file.
 */
import * as path from 'node:path'
import type { ArchInfo } from '../arch.js'
import { providersOf, type OpenRepositories, type RepoPackage } from '../apk/engine.js'
import type { LayerEntry } from '../oci/types.js'
import { glibcMessage } from './app.js'
import { readElfFile, readShebang, type ElfInfo, type Shebang } from './elf.js'
import { AppError } from './errors.js'
import { ImageView, isGlibcLibrary, locateLibrary, systemLibraryPath } from './loader.js'
import * as fs from 'node:fs'

/** One regular file of the app, with what a loader or the kernel reads of it. */
export interface AppFile {
  /** Absolute path in the image. */
  path: string
  /** The host file. */
  source: string
  /** Mode in the image. */
  mode: number
  elf?: ElfInfo
  /** The `#!` line of an executable file. */
  shebang?: Shebang
}

/** Reads the ELF facts and `#!` lines of the app's layer entries. */
export function readAppFiles(entries: LayerEntry[]): AppFile[] {
  const files: AppFile[] = []
  for (const entry of entries) {
    if (entry.type !== 'file' || entry.source === undefined) continue
    const file: AppFile = { path: `/${entry.path}`, source: entry.source, mode: entry.mode }
    file.elf = readElfFile(entry.source)
    // Only a file the kernel would run is a script: `#!` in a data file means nothing.
    if (!file.elf && (entry.mode & 0o111) !== 0) file.shebang = readShebang(entry.source)
    files.push(file)
  }
  return files
}

export type NeedKind = 'library' | 'interpreter' | 'command'

/** Something the app needs from the packages. */
export interface Need {
  kind: NeedKind
  /** `so:libz.so.1`, `/bin/sh`, `cmd:python3`. */
  name: string
  /** Image paths of the app files that need it, in order. */
  neededBy: string[]
}

/** A need the build added to the world, and the package that meets it. */
export interface AddedNeed {
  /** The package installed for it. */
  package: string
  /** What was needed: `so:libz.so.1`, `/bin/sh`, `cmd:python3`. */
  need: string
  /** The app files that need it (image paths). */
  neededBy: string[]
  /** The token added to the world (`so:libz.so.1`, `busybox-binsh`, `cmd:python3`). */
  token: string
}

/** `zlib: so:libz.so.1, needed by /usr/bin/server` */
export function describeAdded(added: AddedNeed): string {
  return `${added.package}: ${added.need}, needed by ${added.neededBy.join(', ')}`
}

function addNeed(needs: Map<string, Need>, kind: NeedKind, name: string, by: string): void {
  const need = needs.get(name) ?? { kind, name, neededBy: [] }
  if (!need.neededBy.includes(by)) need.neededBy.push(by)
  needs.set(name, need)
}

/**
 * What the app needs that it does not carry. `view` holds the app's files only (at their image
 * paths); `label` names an app file in messages. Throws AppError for a file that needs glibc.
 */
export function appNeeds(
  files: AppFile[],
  view: ImageView,
  arch: ArchInfo,
  label: (file: AppFile) => string
): Need[] {
  const needs = new Map<string, Need>()
  const systemPath = systemLibraryPath(view, arch, (f) => fs.readFileSync(f, 'latin1'))
  for (const file of files) {
    if (file.elf) elfNeeds(file, file.elf, view, arch, systemPath, label, needs)
    else if (file.shebang) scriptNeeds(file, file.shebang, view, needs)
  }
  return [...needs.values()]
}

function elfNeeds(
  file: AppFile,
  elf: ElfInfo,
  view: ImageView,
  arch: ArchInfo,
  systemPath: string[],
  label: (file: AppFile) => string,
  needs: Map<string, Need>
): void {
  // checkApp has refused foreign machines and foreign loaders; a static file needs nothing.
  if (elf.machine !== arch.elfMachine || elf.elfClass !== arch.elfClass) return
  for (const name of elf.needed) {
    if (isGlibcLibrary(name)) {
      throw new AppError(
        glibcMessage(`${label(file)} is linked against glibc (it needs ${name}), but`, arch)
      )
    }
    const located = locateLibrary(view, { path: file.path, elf }, name, {
      systemPath,
      muslLoader: true
    })
    if (located.found === undefined) addNeed(needs, 'library', `so:${name}`, file.path)
  }
}

function scriptNeeds(file: AppFile, shebang: Shebang, view: ImageView, needs: Map<string, Need>) {
  if (shebang.crlf) return
  const interpreter = shebang.interpreter
  // An interpreter the app carries (`#!/app/bin/python`) is the app's own business.
  if (view.isFile(interpreter)) return
  addNeed(needs, 'interpreter', interpreter, file.path)
  if (path.posix.basename(interpreter) !== 'env') return
  // A line that cannot run needs nothing a package gives: the link check reports it.
  const command = envTarget(shebang.argument ?? '').command
  if (command === undefined) return
  if (command.includes('/')) {
    if (!view.isFile(command)) addNeed(needs, 'interpreter', command, file.path)
  } else {
    addNeed(needs, 'command', `cmd:${command}`, file.path)
  }
}

/**
 * The command `env` runs for a `#!/usr/bin/env ARGUMENT` line, or why it runs none. Linux passes
 * ARGUMENT as one argument, so `python3 -u` is one command name to env, which finds no such
 * file (busybox's env and GNU's alike); GNU env's `-S` splits it again.
 */
export function envTarget(argument: string): { command?: string; problem?: string } {
  if (!/[ \t]/.test(argument) || argument.startsWith('-S')) {
    const words = argument.replace(/^-S[ \t]*/, '').split(/[ \t]+/)
    return { command: words.find((w) => w !== '' && !w.startsWith('-') && !w.includes('=')) }
  }
  return {
    problem:
      `env is given '${argument}' as one argument (Linux passes the rest of a #! line whole), ` +
      "so it looks for a command of that name; name the interpreter's path (#!/usr/bin/python3 " +
      "-u), or use GNU env's -S (busybox's env has none)"
  }
}

/** Whether a resolved package meets `name`: it is its name, or in its `p:` list. */
function meets(pkg: RepoPackage, name: string): boolean {
  return pkg.name === name || pkg.provides.some((p) => p.name === name)
}

/** Packages of untagged repositories that provide `name` (a tagged one needs `name@tag`). */
function untaggedProviders(repos: OpenRepositories, name: string): RepoPackage[] {
  return providersOf(repos, name).filter((p) => repos.repositories[p.repository]?.tag === undefined)
}

/** A token to add to the world, and the need it meets. */
export interface WorldAddition {
  need: Need
  token: string
}

/**
 * The world tokens that meet `needs` the resolved world (`resolved`) leaves unmet. Throws
 * AppError naming every need no repository meets, before anything is downloaded.
 */
export function worldAdditions(
  needs: Need[],
  resolved: RepoPackage[],
  repos: OpenRepositories
): WorldAddition[] {
  const met = (name: string) => resolved.some((p) => meets(p, name))
  const choices: WorldAddition[] = []
  const unmet: string[] = []
  for (const need of needs) {
    if (met(need.name)) continue
    if (need.kind === 'interpreter') {
      // A path is provided by a package's `p:` entry (busybox-binsh: `p:/bin/sh`); pick the one
      // apk prefers (highest provider_priority, then repository order).
      const byPath = untaggedProviders(repos, need.name)
      if (byPath.length > 0) {
        const best = [...byPath].sort((a, b) => b.providerPriority - a.providerPriority)[0]
        choices.push({ need, token: best.name })
        continue
      }
      const command = `cmd:${path.posix.basename(need.name)}`
      if (met(command)) continue
      if (untaggedProviders(repos, command).length > 0) {
        choices.push({ need, token: command })
        continue
      }
    } else if (untaggedProviders(repos, need.name).length > 0) {
      choices.push({ need, token: need.name })
      continue
    }
    unmet.push(unmetMessage(need, repos))
  }
  if (unmet.length > 0) {
    throw new AppError(
      `${unmet.join('; ')}. Put what is missing in the app folder (a library beside the ` +
        "program, or in a folder its RUNPATH names, e.g. -Wl,-rpath,'$ORIGIN/../lib'), link it " +
        'statically, add the repository that has it to `repositories`, or set `elf-needs: false`.'
    )
  }
  return choices
}

function unmetMessage(need: Need, repos: OpenRepositories): string {
  const by = need.neededBy.join(', ')
  const tagged = providersOf(repos, need.name)
    .map((p) => `${p.name}@${repos.repositories[p.repository]?.tag}`)
    .filter((name) => !name.endsWith('@undefined'))
  const onlyTagged =
    tagged.length > 0 ? ` (only ${tagged.join(', ')} has it: add that to \`packages\`)` : ''
  if (need.kind === 'library') {
    const library = need.name.slice('so:'.length)
    return `the app file ${by} needs the library ${library}, which no package of the repositories provides (no ${need.name})${onlyTagged}`
  }
  if (need.kind === 'command') {
    return `the app script ${by} runs ${need.name.slice('cmd:'.length)}, which no package of the repositories provides (no ${need.name})${onlyTagged}`
  }
  const command = `cmd:${path.posix.basename(need.name)}`
  return `the app script ${by} needs the interpreter ${need.name}, which no package of the repositories provides (neither ${need.name} nor ${command})${onlyTagged}`
}

/** What each added token brought in: the package of the resolution that meets it. */
export function addedNeeds(choices: WorldAddition[], resolved: RepoPackage[]): AddedNeed[] {
  return choices.map(({ need, token }) => {
    const pkg = resolved.find((p) => meets(p, token))
    return {
      package: pkg?.name ?? token,
      need: need.name,
      neededBy: need.neededBy,
      token
    }
  })
}
