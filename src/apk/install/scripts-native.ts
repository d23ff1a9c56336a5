/**
 * Install scripts without a shell. apk-tools runs `.pre-install` before a package's files,
 * `.post-install` after them and `.trigger` at the end of the commit, each with the root's
 * /bin/sh in a chroot. An image has no shell to spare, so witchery reads each script
 * (shell-script.ts) and applies, in the same order, only the commands it knows exactly: busybox's
 * `addgroup`/`adduser` (accounts.ts), `busybox --install -s`, `mkdir -p`, busybox's own trigger
 * (busybox-links.ts), `exit`, `true`, variables. Every other command is not run and is reported.
 * A command is applied only where the real one would run: the script's interpreter and the
 * command must be in the root at that moment (busybox's applet links, for `adduser`).
 */
import * as crypto from 'node:crypto'
import { addgroup, adduser, type Outcome } from './accounts.js'
import {
  BBSUID,
  BUSYBOX,
  installBbsuidLinks,
  installBusyboxLinks,
  makeDirsP
} from './busybox-links.js'
import { resolveInRoot } from './paths.js'
import type { Plan, PlannedPackage } from './plan.js'
import {
  commandLabel,
  readAssignment,
  readSimpleCommand,
  splitScript,
  type ScriptCommand
} from './shell-script.js'
import type { ScriptType } from '../types.js'

export type ScriptsMode = 'native' | 'none'

/** A script command witchery did not run (or, with `command` absent, a whole script). */
export interface SkippedScript {
  /** `name-version` of the package. */
  package: string
  script: ScriptType
  command?: string
}

/** The scripts of a fresh install, in the order apk runs them. */
const FRESH_INSTALL: ScriptType[] = ['pre-install', 'post-install', 'trigger']

/** Shell builtins: they run without any file in the root, so they are never "not found". */
const BUILTINS = new Set(
  (
    '. : [ [[ alias bg break cd chdir command continue echo eval exec exit export false fg ' +
    'getopts hash help history jobs kill let local printf pwd read readonly return set shift ' +
    'source test times trap true type ulimit umask unalias unset wait'
  ).split(' ')
)

/** SHA-256 of busybox's `.trigger` in Alpine 3.19 (busybox 1.36.1-r15), applied as a whole. */
const KNOWN_BUSYBOX_TRIGGERS = new Set([
  '0d63b08ed79c5a2348548852c9674c5c947abe2c97691162bd94a887ebd7d1f0'
])

const EXEC_DIR = 'lib/apk/exec'
const SEARCH_PATH = ['usr/sbin', 'usr/bin', 'sbin', 'bin']

export class NativeScripts {
  readonly skipped: SkippedScript[] = []

  constructor(
    private readonly plan: Plan,
    private readonly mode: ScriptsMode,
    /** Days since 1970 for new shadow lines (the build epoch, so builds repeat). */
    private readonly day: number
  ) {}

  preInstall(pkg: PlannedPackage): void {
    this.run(pkg, 'pre-install', [])
  }

  postInstall(pkg: PlannedPackage): void {
    this.run(pkg, 'post-install', [])
  }

  /** Every package's `.trigger` whose globs match a folder packages installed into. */
  triggers(): void {
    const dirs = this.plan.installedFolders
    for (const pkg of this.plan.packages) {
      const globs = pkg.unit.file?.info.triggers ?? pkg.unit.pkg.triggers
      const matched = [...dirs].filter((dir) => globs.some((glob) => globMatches(glob, dir)))
      if (matched.length > 0) this.run(pkg, 'trigger', matched)
    }
  }

  private run(pkg: PlannedPackage, type: ScriptType, args: string[]): void {
    const script = pkg.unit.file?.scripts.get(type)
    if (!script || !FRESH_INSTALL.includes(type)) return
    if (this.mode === 'none') {
      this.skipped.push({ package: pkg.label, script: type })
      return
    }
    // apk writes the script into lib/apk/exec (made 0700) before it runs it.
    if (!this.plan.nodes.has(EXEC_DIR)) {
      this.plan.set(EXEC_DIR, { type: 'directory', mode: 0o700, uid: 0, gid: 0, preexisting: true })
    }
    new ScriptRun(this.plan, pkg, type, this.day, this.skipped).run(script, args)
    // apk forgets the owner names it looked up: a script may have added accounts.
    this.plan.ids.reset()
  }
}

/** One script's run. */
class ScriptRun {
  private readonly vars = new Map<string, string>()

  constructor(
    private readonly plan: Plan,
    private readonly pkg: PlannedPackage,
    private readonly type: ScriptType,
    private readonly day: number,
    private readonly skipped: SkippedScript[]
  ) {}

  run(script: Buffer, args: string[]): void {
    const text = script.toString('utf8')
    const interpreter = /^#!\s*(\S+)(?:[ \t]+(\S+))?/.exec(text)
    const shell = interpreter ? this.resolve(interpreter[1]) : undefined
    if (!interpreter || (interpreter[1] !== '/bin/sh' && interpreter[2] !== 'sh')) {
      this.skip(interpreter ? `${interpreter[0]} (not a /bin/sh script)` : '(no #! line)')
      return
    }
    if (shell !== BUSYBOX) {
      // apk-tools cannot run it either: exec of the interpreter fails in the chroot.
      this.skip(
        `${interpreter[0]} (no busybox shell in the root yet, so apk-tools could not run it either)`
      )
      return
    }
    if (this.type === 'trigger' && this.isKnownBusyboxTrigger(script)) {
      this.busyboxTrigger(args)
      return
    }
    for (const command of splitScript(text)) {
      if (this.command(command) === 'stop') return
    }
  }

  private skip(command: string): void {
    this.skipped.push({ package: this.pkg.label, script: this.type, command })
  }

  private command(command: ScriptCommand): 'stop' | 'next' {
    const assignment = readAssignment(command, this.vars)
    if (assignment) {
      this.vars.set(assignment[0], assignment[1])
      return 'next'
    }
    const simple = readSimpleCommand(command, this.vars)
    if (!simple) {
      this.skip(commandLabel(command))
      return 'next'
    }
    const [name, ...rest] = simple.words
    if (name === 'exit' && rest.length <= 1 && /^\d*$/.test(rest[0] ?? '')) return 'stop'
    if (name === 'true' || name === ':') return simple.exec ? 'stop' : 'next'
    const outcome = this.external(name, rest)
    if (outcome === 'unsupported') this.skip(commandLabel(command))
    return simple.exec ? 'stop' : 'next'
  }

  /** A command found through PATH (or given as a path) in the root, if it is busybox's. */
  private external(name: string, args: string[]): Outcome {
    if (!name.includes('/') && BUILTINS.has(name)) return 'unsupported'
    const found = name.includes('/') ? this.resolveCommand(name) : this.search(name)
    // Not in the root: the shell says "not found" and the script goes on, as under apk-tools.
    if (!found) return 127
    if (found.target !== BUSYBOX || this.plan.nodes.get(BUSYBOX)?.ownerIndex === undefined) {
      return 'unsupported'
    }
    const applet = found.invokedAs === 'busybox' ? args.shift() : found.invokedAs
    return this.applet(applet ?? '', args)
  }

  private applet(applet: string, args: string[]): Outcome {
    switch (applet) {
      case 'addgroup':
        return addgroup(this.plan, args)
      case 'adduser':
        return adduser(this.plan, args, { day: this.day })
      case 'mkdir':
        if (args[0] !== '-p' || args.length < 2) return 'unsupported'
        return makeDirsP(this.plan, args.slice(1)) ? 0 : 'unsupported'
      case '--install':
        if (args.length !== 1 || args[0] !== '-s') return 'unsupported'
        return installBusyboxLinks(this.plan) ? 0 : 'unsupported'
      default:
        return 'unsupported'
    }
  }

  /**
   * busybox's trigger: for folders under /lib/modules it would run depmod (not applied);
   * for any other folder it runs `bbsuid --install` (busybox-suid), `busybox-extras --install
   * -s` and `busybox --install -s`, each only when that binary is in the root.
   */
  private busyboxTrigger(args: string[]): void {
    let install = false
    for (const dir of args) {
      if (globMatches('/lib/modules/*', dir)) {
        if (this.plan.nodes.get(dir.slice(1))?.type === 'directory') {
          this.skip(`/bin/busybox depmod ${dir.slice('/lib/modules/'.length)}`)
        }
      } else {
        install = true
      }
    }
    if (!install) return
    if (this.plan.nodes.has(BBSUID)) installBbsuidLinks(this.plan)
    if (this.plan.nodes.has('bin/busybox-extras')) this.skip('/bin/busybox-extras --install -s')
    if (!installBusyboxLinks(this.plan)) this.skip('/bin/busybox --install -s')
  }

  private isKnownBusyboxTrigger(script: Buffer): boolean {
    if (this.pkg.unit.pkg.name !== 'busybox') return false
    const digest = crypto.createHash('sha256').update(script).digest('hex')
    return KNOWN_BUSYBOX_TRIGGERS.has(digest)
  }

  /** PATH=/usr/sbin:/usr/bin:/sbin:/bin, as apk sets it for scripts. */
  private search(name: string): { target: string; invokedAs: string } | undefined {
    if (!/^[A-Za-z0-9_.+[-]+$/.test(name)) return undefined
    for (const dir of SEARCH_PATH) {
      const found = this.resolveCommand(`/${dir}/${name}`)
      if (found) return found
    }
    return undefined
  }

  private resolveCommand(path: string): { target: string; invokedAs: string } | undefined {
    const target = this.resolve(path)
    if (target === undefined || this.plan.nodes.get(target)?.type !== 'file') return undefined
    return { target, invokedAs: path.slice(path.lastIndexOf('/') + 1) }
  }

  /** Where an absolute path ends up in the root, every symlink followed; undefined if nowhere. */
  private resolve(path: string): string | undefined {
    if (!path.startsWith('/')) return undefined
    const rel = path.replace(/^\/+/, '')
    try {
      const at = resolveInRoot(rel, this.plan.nodes, true, this.pkg.label)
      return this.plan.nodes.has(at) ? at : undefined
    } catch {
      return undefined
    }
  }
}

/** fnmatch(3) with FNM_PATHNAME for apk's trigger globs: `*`, `?` and `[…]` stop at `/`. */
export function globMatches(glob: string, path: string): boolean {
  let pattern = '^'
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]
    if (ch === '*') pattern += '[^/]*'
    else if (ch === '?') pattern += '[^/]'
    else if (ch === '[') {
      const end = glob.indexOf(']', i + 2)
      if (end < 0) pattern += '\\['
      else {
        const body = glob
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')
        pattern += `(?!/)[${body}]`
        i = end
      }
    } else pattern += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`${pattern}$`).test(path)
}
