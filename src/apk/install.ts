/**
 * What `apk --root ROOT --initdb add` does once the packages are chosen and verified: lay their
 * files into ROOT and write the apk database, as apk-tools 2.14 does (apk-format.md §1.6, §3,
 * §5.8). Two phases: the whole install is planned in memory first (names checked, symlinks on
 * the way resolved inside the root, ownership conflicts decided), so a bad package fails the
 * run before anything is written; then the plan is written out.
 *
 * Choices (apk-format.md §9): byte-exact with 2.14's database; `--initdb` makes only what an
 * image needs (no dev nodes, proc, var/cache or lock file, as `apk --no-cache` in a container
 * build); install scripts are never run (as apko); device nodes and FIFOs are refused.
 */
import * as crypto from 'node:crypto'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import { mapLimit } from './concurrency.js'
import {
  FileConflictError,
  InvalidArgumentError,
  PathEscapeError,
  UnsupportedEntryError
} from './errors.js'
import { dependencyMatchesVersion } from './dependency.js'
import {
  compareDbPackages,
  formatInstalled,
  formatScriptsTar,
  formatTriggers,
  formatWorld,
  type Acl,
  type DbDir,
  type DbFile,
  type DbPackage
} from './installed-db.js'
import { baseOf, maliciousReason, parentOf, resolveInRoot } from './install-paths.js'
import { isRemote } from './repository.js'
import {
  silentLogger,
  type ApkPackageFile,
  type Dependency,
  type FileMeta,
  type Logger,
  type PackageInfo,
  type RepoPackage,
  type Repository,
  type RootTree,
  type TarEntry
} from './types.js'
import { makeDirs } from '../mkdirs.js'

export interface InstallUnit {
  /** The index entry the package was chosen as. */
  pkg: RepoPackage
  /** The verified file; may be absent only for packages with nothing to install (`I:0`). */
  file?: ApkPackageFile
}

export interface InstallKey {
  name: string
  pem: string
}

export interface InstallOptions {
  arch: string
  /** The world as asked for (written to etc/apk/world). */
  world: Dependency[]
  /** Written to etc/apk/repositories (remote ones only: a runner's folder means nothing inside). */
  repositories: Repository[]
  /** Public keys copied to etc/apk/keys, so `apk` in a derived image trusts the same repositories. */
  keys?: InstallKey[]
  /** Repository tag per package (`s:` lines), from the solver. */
  tags?: Map<RepoPackage, string>
  /** chown files on disk to the package owners; default: only when running as root. */
  chown?: boolean
  /** mtime of scripts.tar entries for packages without a build date. Default 0. */
  sourceDateEpoch?: number
  /** Files written at once. */
  concurrency?: number
  logger?: Logger
}

export interface InstallResult {
  /** Every path made in the root, with owners and modes from the packages. */
  tree: RootTree
  /** Installed packages (index entries), sorted by name. */
  installed: PackageInfo[]
  /** Packages that carry install scripts, which were not run. */
  scriptsSkipped: string[]
  warnings: string[]
}

/** Folders `--initdb` makes that an image needs; apk never re-chmods them (§3.6). */
const INITDB_DIRS: readonly [string, number][] = [
  ['etc', 0o755],
  ['etc/apk', 0o755],
  ['lib', 0o755],
  ['lib/apk', 0o755],
  ['lib/apk/db', 0o755],
  ['tmp', 0o1777],
  ['var', 0o755]
]

interface Node {
  type: FileMeta['type']
  mode: number
  uid: number
  gid: number
  /** Index of the owning package in Plan.packages; undefined for the installer's own paths. */
  owner?: number
  dbFile?: DbFile
  data?: Buffer
  mtime?: number
  /** Symlink target as written, or the root-relative path a hard link points at. */
  linkname?: string
  xattrs?: Map<string, Buffer>
  /** Made by --initdb: its mode is never changed by packages. */
  preexisting?: boolean
  /** Directory ACLs of every package that ships this folder (§3.6). */
  instances?: Acl[]
}

interface PlannedPackage {
  unit: InstallUnit
  db: DbPackage
  label: string
}

/** `Q1` + base64 of a hex digest. */
function q1(hex: string): string {
  return `Q1${Buffer.from(hex, 'hex').toString('base64')}`
}

/** apk's xattr digest: SHA-1 over (len, name, len, value), names in byte order. */
function xattrDigest(xattrs: Map<string, Buffer>): string | undefined {
  if (xattrs.size === 0) return undefined
  const hash = crypto.createHash('sha1')
  for (const name of [...xattrs.keys()].sort()) {
    const value = xattrs.get(name) as Buffer
    const nameBytes = Buffer.from(name)
    const len = Buffer.alloc(4)
    len.writeUInt32BE(nameBytes.length)
    hash.update(len).update(nameBytes)
    len.writeUInt32BE(value.length)
    hash.update(len).update(value)
  }
  return `Q1${hash.digest('base64')}`
}

/**
 * Owner names resolved as apk does: against ROOT/etc/passwd and etc/group as they stand when a
 * package extracts (its own files do not count yet), each answer kept for the whole run.
 */
class IdResolver {
  private readonly cache = new Map<string, number | undefined>()
  private passwd = ''
  private group = ''

  snapshot(nodes: Map<string, Node>): void {
    this.passwd = nodes.get('etc/passwd')?.data?.toString('utf8') ?? ''
    this.group = nodes.get('etc/group')?.data?.toString('utf8') ?? ''
  }

  uid(name: string, fallback: number): number {
    return this.lookup(`u:${name}`, name, this.passwd, fallback)
  }

  gid(name: string, fallback: number): number {
    return this.lookup(`g:${name}`, name, this.group, fallback)
  }

  private lookup(key: string, name: string, table: string, fallback: number): number {
    if (name === '') return fallback
    if (!this.cache.has(key)) this.cache.set(key, findId(table, name))
    return this.cache.get(key) ?? fallback
  }
}

function findId(table: string, name: string): number | undefined {
  for (const line of table.split('\n')) {
    const fields = line.split(':')
    if (fields[0] === name && fields.length >= 3 && /^\d+$/.test(fields[2]))
      return Number(fields[2])
  }
  return undefined
}

function replacesMatch(replaces: Dependency[], pkg: PackageInfo): boolean {
  return replaces.some((dep) => dep.name === pkg.name && dependencyMatchesVersion(dep, pkg.version))
}

class Plan {
  readonly nodes = new Map<string, Node>()
  readonly packages: PlannedPackage[] = []
  readonly warnings: string[] = []
  readonly ids = new IdResolver()

  constructor(private readonly logger: Logger) {
    for (const [dir, mode] of INITDB_DIRS) {
      this.nodes.set(dir, { type: 'directory', mode, uid: 0, gid: 0, preexisting: true })
    }
  }

  add(unit: InstallUnit, tag: string | undefined): void {
    const info = unit.file?.info ?? unit.pkg
    const planned: PlannedPackage = {
      unit,
      label: `${unit.pkg.name}-${unit.pkg.version}`,
      db: {
        info: unit.pkg,
        replaces: info.replaces,
        replacesPriority: info.replacesPriority,
        tag,
        flags: '',
        dirs: []
      }
    }
    this.packages.push(planned)
    this.ids.snapshot(this.nodes)
    const extraction = new Extraction(this, planned, this.packages.length - 1)
    for (const entry of unit.file?.entries ?? []) extraction.entry(entry)
    extraction.finish()
  }

  warn(message: string): void {
    this.warnings.push(message)
    this.logger.warning(message)
  }

  ownerLabel(node: Node): string {
    return node.owner === undefined ? 'the installer' : this.packages[node.owner].label
  }

  /**
   * §5.8: may package `index` put its file where `node` is? 'take' (overwrite and own it),
   * 'skip' (the old owner keeps it), or a FileConflictError.
   */
  decide(node: Node, index: number, rel: string): 'take' | 'skip' {
    if (node.owner === undefined) return 'take'
    const incoming = this.packages[index]
    const owner = this.packages[node.owner]
    const n = incoming.unit.pkg
    const o = owner.unit.pkg
    if (n.name === o.name) return 'take'
    if (n.origin && n.origin === o.origin) return 'take'
    const oPrio = replacesMatch(owner.db.replaces, n) ? owner.db.replacesPriority : -1
    const nPrio = replacesMatch(incoming.db.replaces, o) ? incoming.db.replacesPriority : -1
    if (oPrio > nPrio) return 'skip'
    if (nPrio >= 0) return 'take'
    throw new FileConflictError(
      `${incoming.label}: trying to overwrite /${rel} owned by ${owner.label}. The two packages ` +
        `ship the same file and neither replaces the other: install only one of ${n.name} and ${o.name}.`
    )
  }

  /** §3.6: a folder apk made gets the smallest owner and the AND of that owner's modes. */
  settleDirectories(): void {
    for (const node of this.nodes.values()) {
      if (node.type !== 'directory' || node.preexisting || !node.instances?.length) continue
      const owner = node.instances.reduce((a, b) =>
        b.uid < a.uid || (b.uid === a.uid && b.gid < a.gid) ? b : a
      )
      const same = node.instances.filter((i) => i.uid === owner.uid && i.gid === owner.gid)
      node.uid = owner.uid
      node.gid = owner.gid
      node.mode = same.reduce((mode, i) => mode & i.mode, 0o7777)
    }
  }
}

/** One package's archive, entry by entry, as apk_db_install_archive_entry sees it. */
class Extraction {
  private readonly dirs = new Map<string, DbDir>()
  /** Package path → what a later hard link in the same package needs. */
  private readonly files = new Map<string, { digest?: string; at: string }>()
  private missingChecksum = false

  constructor(
    private readonly plan: Plan,
    private readonly pkg: PlannedPackage,
    private readonly index: number
  ) {}

  entry(entry: TarEntry): void {
    const name = entry.name
    const label = this.pkg.label
    // apk 2.14 skips `../x` silently as a dot name and only warns about the rest; we refuse
    // every such name, so a hostile package fails the build instead of half-installing.
    const reason = maliciousReason(name)
    if (reason) {
      throw new PathEscapeError(
        `${label}: refusing entry '${name}': ${reason}. The package is malformed or hostile: ` +
          'remove it from the package list.'
      )
    }
    if (name.startsWith('.')) return
    const base = baseOf(name)
    if (entry.type !== 'directory' && base.startsWith('.keep_') && base.length > 6) return
    if (entry.type === 'chardev' || entry.type === 'blockdev' || entry.type === 'fifo') {
      const kind = entry.type === 'fifo' ? 'a FIFO' : 'a device node'
      throw new UnsupportedEntryError(
        `${label}: /${name} is ${kind}; witchery does not create ${kind}s (a container runtime ` +
          'provides /dev). Leave the package out, or use one that does not ship it.'
      )
    }
    const ids = this.plan.ids
    const acl: Acl = {
      uid: ids.uid(entry.uname, entry.uid),
      gid: ids.gid(entry.gname, entry.gid),
      mode: entry.mode,
      xattrs: xattrDigest(entry.xattrs)
    }
    if (entry.type === 'directory') this.directory(entry, acl)
    else this.file(entry, acl)
  }

  private directory(entry: TarEntry, acl: Acl): void {
    let dir = this.dirs.get(entry.name)
    if (!dir) {
      dir = { path: entry.name, acl, files: [] }
      this.dirs.set(entry.name, dir)
      this.pkg.db.dirs.push(dir)
    }
    dir.acl = acl
    const at = resolveInRoot(entry.name, this.plan.nodes, true, this.pkg.label)
    this.ensureParents(at)
    const existing = this.plan.nodes.get(at)
    if (!existing) {
      this.plan.nodes.set(at, {
        type: 'directory',
        mode: acl.mode,
        uid: acl.uid,
        gid: acl.gid,
        owner: this.index,
        instances: [acl],
        xattrs: entry.xattrs.size ? entry.xattrs : undefined
      })
    } else if (existing.type === 'directory') {
      existing.instances?.push(acl)
    } else {
      throw new FileConflictError(
        `${this.pkg.label}: /${entry.name} is a folder, but ${this.plan.ownerLabel(existing)} ` +
          `installed a ${existing.type} at /${at}. Install only one of the two packages.`
      )
    }
  }

  /** A folder reached through a symlink may need its parents; apk would fail, we make them. */
  private ensureParents(at: string): void {
    const parent = parentOf(at)
    if (parent === '' || this.plan.nodes.has(parent)) return
    this.ensureParents(parent)
    this.plan.nodes.set(parent, { type: 'directory', mode: 0o755, uid: 0, gid: 0 })
  }

  private file(entry: TarEntry, acl: Acl): void {
    const label = this.pkg.label
    // Where it would land first: a way out through a symlink fails even without a dirent.
    const at = resolveInRoot(entry.name, this.plan.nodes, false, label)
    const dirPath = parentOf(entry.name)
    let dir = this.dirs.get(dirPath)
    if (!dir && dirPath === '') {
      dir = { path: '', acl: { uid: 0, gid: 0, mode: 0o755 }, files: [] }
      this.dirs.set('', dir)
      this.pkg.db.dirs.push(dir)
    }
    if (!dir) {
      this.broken(
        `${label}: /${entry.name}: no dirent in archive (its folder comes later or not at all); skipped`
      )
      return
    }
    let digest = entry.sha1 ? q1(entry.sha1) : undefined
    let linkTarget: string | undefined
    if (entry.type === 'hardlink') {
      const reason = maliciousReason(entry.linkname)
      if (reason) {
        throw new PathEscapeError(
          `${label}: hard link /${entry.name} points at '${entry.linkname}': ${reason}. The ` +
            'package is malformed or hostile: remove it from the package list.'
        )
      }
      const target = this.files.get(entry.linkname)
      if (!target) {
        this.broken(
          `${label}: /${entry.name}: no hard link target /${entry.linkname} earlier in the package; skipped`
        )
        return
      }
      digest = target.digest
      linkTarget = target.at
    } else if (!entry.sha1) {
      this.missingChecksum = true
    }
    const parent = parentOf(at)
    if (parent !== '' && this.plan.nodes.get(parent)?.type !== 'directory') {
      throw new FileConflictError(
        `${label}: /${entry.name} would land in /${parent}, which is not a folder in the root ` +
          '(a symlink on the way points at nothing). Fix or leave out the package that ships it.'
      )
    }
    const existing = this.plan.nodes.get(at)
    if (existing?.type === 'directory') {
      throw new FileConflictError(
        `${label}: /${entry.name} is a ${entry.type}, but /${at} is a folder` +
          `${existing.owner === undefined ? '' : ` of ${this.plan.ownerLabel(existing)}`}. ` +
          'Install only one of the two packages.'
      )
    }
    if (existing && this.plan.decide(existing, this.index, at) === 'skip') return
    if (existing?.dbFile) existing.dbFile.removed = true
    const dbFile: DbFile = { name: baseOf(entry.name), acl, digest }
    dir.files.push(dbFile)
    this.files.set(entry.name, { digest, at })
    this.plan.nodes.set(at, {
      type: entry.type === 'file' ? 'file' : entry.type === 'symlink' ? 'symlink' : 'hardlink',
      mode: acl.mode,
      uid: acl.uid,
      gid: acl.gid,
      owner: this.index,
      dbFile,
      data: entry.type === 'file' ? entry.data : undefined,
      mtime: entry.mtime,
      linkname: entry.type === 'symlink' ? entry.linkname : linkTarget,
      xattrs: entry.xattrs.size ? entry.xattrs : undefined
    })
  }

  private broken(message: string): void {
    this.pkg.db.flags = 'f'
    this.plan.warn(message)
  }

  finish(): void {
    if (this.missingChecksum) {
      this.broken(
        `${this.pkg.label}: files without embedded checksums (packages built without them are ` +
          'deprecated by apk); marked f:f in the database'
      )
    }
  }
}

function planInstall(units: InstallUnit[], options: InstallOptions, logger: Logger): Plan {
  const plan = new Plan(logger)
  for (const unit of units) {
    if (!unit.file && unit.pkg.installedSize > 0) {
      throw new InvalidArgumentError(
        `${unit.pkg.name}-${unit.pkg.version}: no package file was given to install.`
      )
    }
    plan.add(unit, options.tags?.get(unit.pkg))
  }
  plan.settleDirectories()
  return plan
}

async function ensureEmptyRoot(root: string): Promise<void> {
  const stat = await fs.lstat(root).catch(() => undefined)
  if (stat && !stat.isDirectory()) {
    throw new InvalidArgumentError(
      `root ${root} exists and is not a folder: give an empty or missing folder.`
    )
  }
  if (stat && (await fs.readdir(root)).length > 0) {
    throw new InvalidArgumentError(
      `root ${root} is not empty: witchery installs into a fresh root (as apk --initdb); give an ` +
        'empty or missing folder.'
    )
  }
  await makeDirs(root)
}

/** Writes the planned tree: folders (writable while filling), files, links, then final modes. */
async function writePlan(root: string, plan: Plan, options: InstallOptions): Promise<void> {
  const chown = options.chown ?? process.getuid?.() === 0
  const entries = [...plan.nodes.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const dirs = entries.filter(([, n]) => n.type === 'directory')
  for (const [rel] of dirs) await fs.mkdir(path.join(root, rel), { mode: 0o755 })
  const files = entries.filter(([, n]) => n.type === 'file')
  await mapLimit(files, options.concurrency ?? 8, async ([rel, node]) => {
    const handle = await fs.open(path.join(root, rel), 'wx', 0o600)
    try {
      await handle.writeFile(node.data ?? Buffer.alloc(0))
      if (chown) await handle.chown(node.uid, node.gid)
      await handle.chmod(node.mode)
      if (node.mtime !== undefined) await handle.utimes(node.mtime, node.mtime)
    } finally {
      await handle.close()
    }
  })
  for (const [rel, node] of entries) {
    const at = path.join(root, rel)
    if (node.type === 'symlink') {
      await fs.symlink(node.linkname ?? '', at)
      if (chown) await fs.lchown(at, node.uid, node.gid)
    } else if (node.type === 'hardlink') {
      await fs.link(path.join(root, node.linkname ?? ''), at)
    }
  }
  for (const [rel, node] of dirs.reverse()) {
    const at = path.join(root, rel)
    if (chown) await fs.chown(at, node.uid, node.gid)
    await fs.chmod(at, node.mode)
  }
}

interface DbFileOut {
  rel: string
  content: string | Buffer
}

function databaseFiles(plan: Plan, options: InstallOptions): DbFileOut[] {
  const out: DbFileOut[] = [
    { rel: 'etc/apk/world', content: formatWorld(options.world) },
    { rel: 'etc/apk/arch', content: `${options.arch}\n` },
    { rel: 'lib/apk/db/installed', content: formatInstalled(plan.packages.map((p) => p.db)) },
    {
      rel: 'lib/apk/db/scripts.tar',
      content: formatScriptsTar(
        plan.packages.map(({ unit }) => ({
          name: unit.pkg.name,
          version: unit.pkg.version,
          checksum: unit.pkg.checksum,
          buildTime: unit.file?.info.buildTime ?? unit.pkg.buildTime,
          scripts: unit.file?.scripts ?? new Map()
        })),
        options.sourceDateEpoch ?? 0
      )
    },
    {
      rel: 'lib/apk/db/triggers',
      content: formatTriggers(
        plan.packages.map(({ unit }) => ({
          checksum: unit.pkg.checksum,
          triggers: unit.file?.info.triggers ?? unit.pkg.triggers
        }))
      )
    }
  ]
  const remote = options.repositories.filter(isRemote)
  if (remote.length > 0) {
    const lines = remote.map((r) => (r.tag ? `@${r.tag} ${r.url}` : r.url))
    out.push({ rel: 'etc/apk/repositories', content: lines.join('\n') + '\n' })
  }
  for (const key of options.keys ?? []) {
    if (maliciousReason(key.name) || key.name.includes('/')) {
      throw new InvalidArgumentError(
        `key name '${key.name}' is not a plain file name; rename the key file.`
      )
    }
    out.push({ rel: `etc/apk/keys/${key.name}`, content: key.pem })
  }
  return out
}

async function writeDatabase(root: string, plan: Plan, options: InstallOptions): Promise<void> {
  const files = databaseFiles(plan, options)
  if (files.some((f) => f.rel.startsWith('etc/apk/keys/')) && !plan.nodes.has('etc/apk/keys')) {
    plan.nodes.set('etc/apk/keys', { type: 'directory', mode: 0o755, uid: 0, gid: 0 })
    await fs.mkdir(path.join(root, 'etc/apk/keys'), { mode: 0o755 })
    await fs.chmod(path.join(root, 'etc/apk/keys'), 0o755)
  }
  for (const file of files) {
    const existing = plan.nodes.get(file.rel)
    // A package's own copy of a key wins (alpine-keys ships them); the db files are ours.
    if (existing && file.rel.startsWith('etc/apk/keys/')) continue
    if (existing && existing.type !== 'file') {
      throw new FileConflictError(
        `${plan.ownerLabel(existing)} ships /${file.rel} as a ${existing.type}; the apk database ` +
          'needs that path. Leave the package out.'
      )
    }
    const at = path.join(root, file.rel)
    await fs.rm(at, { force: true })
    await fs.writeFile(at, file.content, { mode: 0o644, flag: 'wx' })
    await fs.chmod(at, 0o644)
    plan.nodes.set(file.rel, { type: 'file', mode: 0o644, uid: 0, gid: 0 })
  }
}

function treeOf(plan: Plan): RootTree {
  const tree: RootTree = new Map()
  const sorted = [...plan.nodes.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  for (const [rel, node] of sorted) {
    const meta: FileMeta = { type: node.type, mode: node.mode, uid: node.uid, gid: node.gid }
    if (node.linkname !== undefined) meta.linkname = node.linkname
    if (node.xattrs) meta.xattrs = node.xattrs
    if (node.owner !== undefined) meta.owner = plan.packages[node.owner].unit.pkg.name
    tree.set(rel, meta)
  }
  return tree
}

function scriptCarriers(plan: Plan): string[] {
  return plan.packages
    .filter(({ unit }) => (unit.file?.scripts.size ?? 0) > 0)
    .map(({ unit }) => `${unit.pkg.name} (${[...(unit.file?.scripts.keys() ?? [])].join(', ')})`)
}

/**
 * Installs `units` (in install order, verified) into `root`, which must be empty or missing,
 * and writes the apk database. Throws before writing anything when a package would escape the
 * root, ships a device node, or conflicts with another package's file.
 */
export async function installPackages(
  root: string,
  units: InstallUnit[],
  options: InstallOptions
): Promise<InstallResult> {
  const logger = options.logger ?? silentLogger
  const plan = planInstall(units, options, logger)
  await ensureEmptyRoot(root)
  await writePlan(root, plan, options)
  await writeDatabase(root, plan, options)
  const scriptsSkipped = scriptCarriers(plan)
  if (scriptsSkipped.length > 0) {
    plan.warn(`install scripts were not run (as in apko): ${scriptsSkipped.join(', ')}`)
  }
  const installed = plan.packages.map((p) => p.unit.pkg as PackageInfo)
  installed.sort(compareDbPackages)
  return { tree: treeOf(plan), installed, scriptsSkipped, warnings: plan.warnings }
}
