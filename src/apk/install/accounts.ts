/**
 * busybox's `addgroup` and `adduser` (Alpine's build, busybox 1.36), applied to the install plan
 * instead of a chroot: the same ids picked, the same lines in /etc/passwd, /etc/group and
 * /etc/shadow, the same backup files (`passwd-`, …) and the same failures. Facts from busybox's
 * loginutils/adduser.c, addgroup.c and libbb/update_passwd.c, with Alpine's patch that gives
 * system accounts /sbin/nologin; account lookups behave as musl's getpwnam/getgrgid on the root.
 */
import { resolveInRoot, parentOf } from './paths.js'
import type { Node, Plan } from './plan.js'

const FIRST_SYSTEM_ID = 100
const LAST_SYSTEM_ID = 999
const LAST_ID = 60000
const PASSWD = 'etc/passwd'
const GROUP = 'etc/group'
const SHADOW = 'etc/shadow'
const GSHADOW = 'etc/gshadow'
/**
 * The most addgroup/adduser commands one install applies: an image's packages make a few dozen
 * accounts. Each command reads and rewrites the account files, so thousands (a hostile script)
 * took minutes; past this they are reported as not run.
 */
export const MAX_ACCOUNT_COMMANDS = 512

/** What a command did: its exit status, or 'unsupported' when witchery cannot apply it. */
export type Outcome = number | 'unsupported'

export interface AccountOptions {
  /** Days since 1970 written as the shadow's last password change (busybox uses today). */
  day: number
}

interface PasswdEntry {
  name: string
  uid: number
  gid: number
  shell: string
}

interface GroupEntry {
  name: string
  gid: number
  members: string[]
}

/** busybox's getopt32 for the short and long options an applet takes. */
function getopt(
  args: string[],
  withValue: string,
  flags: string,
  long: Record<string, string>
): { opts: Map<string, string>; positional: string[] } | undefined {
  const opts = new Map<string, string>()
  let i = 0
  for (; i < args.length; i++) {
    const arg = args[i]
    if (arg === '--') {
      i++
      break
    }
    if (!arg.startsWith('-') || arg === '-') break
    if (arg.startsWith('--')) {
      const [name, value] = arg.slice(2).split(/=(.*)/s, 2)
      const short = long[name]
      if (!short) return undefined
      if (withValue.includes(short)) {
        const v = value ?? args[++i]
        if (v === undefined) return undefined
        opts.set(short, v)
      } else {
        if (value !== undefined) return undefined
        opts.set(short, '')
      }
      continue
    }
    for (let j = 1; j < arg.length; j++) {
      const ch = arg[j]
      if (withValue.includes(ch)) {
        const v = j + 1 < arg.length ? arg.slice(j + 1) : args[++i]
        if (v === undefined) return undefined
        opts.set(ch, v)
        break
      }
      if (!flags.includes(ch)) return undefined
      opts.set(ch, '')
    }
  }
  const positional = args.slice(i)
  // Options after a name would be permuted by GNU getopt; such scripts are not ours to guess.
  if (positional.some((p) => p.startsWith('-'))) return undefined
  return { opts, positional }
}

/** Names busybox accepts and that cannot make a path or a line of the files do odd things. */
function plainName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_.-]*\$?$/.test(name) && name.length <= 32
}

/** The account files as they stand in the plan. */
class AccountFiles {
  constructor(private readonly plan: Plan) {}

  lines(rel: string): string[] | undefined {
    const data = this.plan.readFile(rel)
    if (data === undefined) return undefined
    const text = data.toString('utf8')
    const lines = text.split('\n')
    if (lines[lines.length - 1] === '') lines.pop()
    return lines
  }

  passwd(): PasswdEntry[] {
    const entries: PasswdEntry[] = []
    for (const line of this.lines(PASSWD) ?? []) {
      const f = line.split(':')
      if (f.length < 7 || !/^\d+$/.test(f[2]) || !/^\d+$/.test(f[3])) continue
      entries.push({ name: f[0], uid: Number(f[2]), gid: Number(f[3]), shell: f[6] })
    }
    return entries
  }

  group(): GroupEntry[] {
    const entries: GroupEntry[] = []
    for (const line of this.lines(GROUP) ?? []) {
      const f = line.split(':')
      if (f.length < 4 || !/^\d+$/.test(f[2])) continue
      const members = f
        .slice(3)
        .join(':')
        .split(',')
        .filter((m) => m !== '')
      entries.push({ name: f[0], gid: Number(f[2]), members })
    }
    return entries
  }

  /**
   * libbb's update_passwd: rewrites FILE with the line for `name` replaced (add: `name:rest`
   * appended when no line changed) or `member` added to it; the old file stays as `FILE-`.
   * Returns the number of lines changed, or -1 when FILE is missing (0 for a missing shadow).
   */
  update(rel: string, name: string, rest: string | undefined, member: string | undefined): number {
    const node = this.plan.nodes.get(rel)
    const shadow = rel.includes('shadow')
    if (node?.type !== 'file') return shadow ? 0 : -1
    const old = this.lines(rel) ?? []
    const out: string[] = []
    let changed = 0
    for (const line of old) {
      if (!line.startsWith(`${name}:`)) {
        out.push(line)
      } else if (member !== undefined) {
        out.push(`${line}${line.endsWith(':') ? '' : ','}${member}`)
        changed++
      }
      // adding: an old line for the same name is dropped, and the new one appended below
    }
    if (changed === 0 && member === undefined && rest !== undefined) {
      out.push(`${name}:${rest}`)
      changed++
    }
    const backup: Node = {
      type: 'file',
      mode: node.mode,
      uid: node.uid,
      gid: node.gid,
      data: this.plan.readFile(rel),
      mtime: node.mtime
    }
    this.plan.set(`${rel}-`, backup)
    this.plan.set(rel, {
      ...node,
      mode: node.mode & 0o777,
      data: Buffer.from(out.map((l) => `${l}\n`).join('')),
      // The new content is in memory; a staged copy of the old one must not be moved in.
      staged: undefined,
      written: undefined,
      mtime: undefined
    })
    return changed
  }
}

/**
 * busybox follows symlinks to the account files; witchery never writes through one, so a
 * root where etc or an account file is a link is not one it applies accounts to.
 */
function linkedAccountFiles(plan: Plan): boolean {
  return ['etc', PASSWD, GROUP, SHADOW, GSHADOW].some((rel) => {
    const type = plan.nodes.get(rel)?.type
    return type === 'symlink' || type === 'hardlink'
  })
}

/** `addgroup [-g GID] [-S] GROUP` or `addgroup USER GROUP`. */
export function addgroup(plan: Plan, args: string[]): Outcome {
  if (linkedAccountFiles(plan) || ++plan.accountCommands > MAX_ACCOUNT_COMMANDS) {
    return 'unsupported'
  }
  const parsed = getopt(args, 'g', 'S', { gid: 'g', system: 'S' })
  if (!parsed || parsed.positional.length < 1 || parsed.positional.length > 2) return 'unsupported'
  const { opts, positional } = parsed
  if (!positional.every(plainName)) return 'unsupported'
  const files = new AccountFiles(plan)
  if (positional.length === 2) {
    if (opts.has('g')) return 1
    return addMember(files, positional[0], positional[1])
  }
  let gid: number
  if (opts.has('g')) {
    if (!/^\d+$/.test(opts.get('g') as string)) return 'unsupported'
    gid = Number(opts.get('g'))
    if (gid > LAST_ID) return 1
  } else {
    gid = opts.has('S') ? FIRST_SYSTEM_ID : LAST_SYSTEM_ID + 1
  }
  return newGroup(files, positional[0], gid, opts.has('g'), opts.has('S'))
}

function newGroup(
  files: AccountFiles,
  name: string,
  wanted: number,
  fixed: boolean,
  system: boolean
): number {
  const groups = files.group()
  if (groups.some((g) => g.name === name)) return 1
  const max = fixed ? Infinity : system ? LAST_SYSTEM_ID : LAST_ID
  const taken = new Set(groups.map((g) => g.gid))
  let gid = wanted
  while (taken.has(gid)) {
    if (fixed || gid === max) return 1
    gid++
  }
  if (files.update(GROUP, name, `x:${gid}:`, undefined) < 0) return 1
  files.update(GSHADOW, name, '!::', undefined)
  return 0
}

function addMember(files: AccountFiles, user: string, group: string): number {
  if (!files.passwd().some((p) => p.name === user)) return 1
  const entry = files.group().find((g) => g.name === group)
  if (!entry) return 1
  if (entry.members.includes(user)) return 0
  if (files.update(GROUP, group, undefined, user) < 0) return 1
  files.update(GSHADOW, group, undefined, user)
  return 0
}

/**
 * `adduser [-h DIR] [-g GECOS] [-s SHELL] [-G GROUP] [-D] [-S] [-H] [-u UID] [-k SKEL] USER
 * [GROUP]`. A home that would need /etc/skel copied is not applied.
 */
export function adduser(plan: Plan, args: string[], options: AccountOptions): Outcome {
  if (linkedAccountFiles(plan) || ++plan.accountCommands > MAX_ACCOUNT_COMMANDS) {
    return 'unsupported'
  }
  const parsed = getopt(args, 'hgsGuk', 'DSH', {
    home: 'h',
    gecos: 'g',
    shell: 's',
    ingroup: 'G',
    'disabled-password': 'D',
    'empty-password': 'D',
    system: 'S',
    'no-create-home': 'H',
    uid: 'u',
    skel: 'k'
  })
  if (!parsed || parsed.positional.length < 1 || parsed.positional.length > 2) return 'unsupported'
  const { opts, positional } = parsed
  if (!positional.every(plainName)) return 'unsupported'
  const files = new AccountFiles(plan)
  if (opts.size === 0 && positional.length === 2) {
    return addMember(files, positional[0], positional[1])
  }
  const system = opts.has('S')
  // Without -D (which -S implies) busybox asks for a password on the terminal.
  if (!system && !opts.has('D')) return 'unsupported'
  if (opts.has('k')) return 'unsupported'
  const gecos = opts.get('g') ?? 'Linux User,,,'
  for (const value of [gecos, opts.get('h') ?? '', opts.get('s') ?? '']) {
    if (value.includes(':') || value.includes('\n')) return 'unsupported'
  }
  const name = positional[0]
  const home = opts.get('h') ?? `/home/${name}`
  const makeHome = !opts.has('H')
  if (makeHome && !homeSupported(plan, home)) return 'unsupported'
  let uid: number | undefined
  if (opts.has('u')) {
    if (!/^\d+$/.test(opts.get('u') as string)) return 'unsupported'
    uid = Number(opts.get('u'))
    if (uid > LAST_ID) return 1
  }

  const passwd = files.passwd()
  const rootShell = passwd.find((p) => p.uid === 0)?.shell
  let shell = opts.get('s') ?? (rootShell ? rootShell : '/bin/sh')
  let usegroup = opts.get('G')
  if (system) {
    usegroup ??= 'nogroup'
    if (!opts.has('s')) shell = '/sbin/nologin'
  }
  let gid = -1
  if (usegroup !== undefined) {
    const group = files.group().find((g) => g.name === usegroup)
    if (!group) return 1
    gid = group.gid
  }

  // passwd_study: the name must be free; then the first free uid (and gid, for a new group).
  if (passwd.some((p) => p.name === name)) return 1
  const groups = files.group()
  const max = system ? LAST_SYSTEM_ID : LAST_ID
  let id = uid ?? (system ? FIRST_SYSTEM_ID : LAST_SYSTEM_ID + 1)
  const uids = new Set(passwd.map((p) => p.uid))
  const gids = new Set(groups.map((g) => g.gid))
  while (uids.has(id) || (gid === -1 && gids.has(id))) {
    if (uid !== undefined || id === max) return 1
    id++
  }
  if (gid === -1) {
    gid = id
    if (groups.some((g) => g.name === name)) return 1
  }

  if (files.update(PASSWD, name, `x:${id}:${gid}:${gecos}:${home}:${shell}`, undefined) < 0) {
    return 1
  }
  files.update(SHADOW, name, `!:${options.day}:0:99999:7:::`, undefined)
  if (usegroup !== undefined) addMember(files, name, usegroup)
  else newGroup(files, name, gid, true, false)
  if (makeHome) makeHomeDir(plan, home, id, gid)
  return 0
}

/** Whether witchery can make `home` as adduser would: an absolute path, no /etc/skel to copy. */
function homeSupported(plan: Plan, home: string): boolean {
  if (!/^\/[A-Za-z0-9_.\-/]*$/.test(home) || /(^|\/)\.\.?(\/|$)/.test(home)) return false
  const skel = [...plan.nodes.keys()].some((rel) => rel.startsWith('etc/skel/'))
  if (skel) return false
  const at = locate(plan, home)
  const existing = at === undefined ? undefined : plan.nodes.get(at)
  return existing === undefined || existing.type === 'directory'
}

/** Where an absolute path lands in the root, its parents' symlinks followed. */
function locate(plan: Plan, absolute: string): string | undefined {
  const rel = absolute.replace(/^\/+/, '').replace(/\/+$/, '')
  if (rel === '') return ''
  try {
    return resolveInRoot(rel, plan.nodes, false, 'adduser')
  } catch {
    return undefined
  }
}

/**
 * mkdir(home, 0755) then chown and chmod 02755; with the folder already there only the chown and
 * chmod; with its parent missing, nothing (busybox prints the error and goes on).
 */
function makeHomeDir(plan: Plan, home: string, uid: number, gid: number): void {
  const at = locate(plan, home)
  if (at === undefined || at === '') return
  const existing = plan.nodes.get(at)
  if (!existing && plan.nodes.get(parentOf(at))?.type !== 'directory' && parentOf(at) !== '') {
    return
  }
  const node: Node = existing ?? { type: 'directory', mode: 0o755, uid: 0, gid: 0 }
  node.uid = uid
  node.gid = gid
  node.mode = 0o2755
  // apk never re-chmods a folder that was there before a package first named it (§3.6).
  node.preexisting = true
  plan.set(at, node)
}
