/**
 * What `apk --root ROOT --initdb add` does once the packages are chosen and verified: lay their
 * files into ROOT and write the apk database, as apk-tools 2.14 does (apk-format.md §1.6, §3,
 * §5.8). Package by package in install order, each is planned in memory first (names checked,
 * symlinks on the way resolved inside the root, ownership conflicts decided) and only then
 * written, so nothing is ever written through a path that leaves the root; a failure later on
 * takes away everything written (RootInstaller.abort), leaving the root as it was found.
 *
 * Choices (apk-format.md §9): byte-exact with 2.14's database; `--initdb` makes only what an
 * image needs (no dev nodes, proc, var/cache or lock file, as `apk --no-cache` in a container
 * build); install scripts are never run (as apko); device nodes and FIFOs are refused.
 */
import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import {
  FileConflictError,
  InvalidArgumentError,
  PathEscapeError,
  UnsupportedEntryError
} from '../errors.js'
import { dependencyMatchesVersion } from '../formats/dependency.js'
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
import { baseOf, maliciousReason, parentOf, resolveInRoot } from './paths.js'
import { isRemote } from '../fetch/repository.js'
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
} from '../types.js'
import { makeDirs } from '../../files.js'

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
  /** Paths set since the installer last wrote, in the order they were planned. */
  readonly touched: string[] = []

  set(rel: string, node: Node): void {
    this.nodes.set(rel, node)
    this.touched.push(rel)
  }

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
      this.plan.set(at, {
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
    this.plan.set(parent, { type: 'directory', mode: 0o755, uid: 0, gid: 0 })
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
    this.plan.set(at, {
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

/**
 * Creates the root (it must be empty or missing) and what `--initdb` makes. Returns the topmost
 * folder made on the way (the root or a parent), so a failed install can take it away again.
 */
async function initRoot(root: string): Promise<string | undefined> {
  const stat = await fs.promises.lstat(root).catch(() => undefined)
  if (stat && !stat.isDirectory()) {
    throw new InvalidArgumentError(
      `root ${root} exists and is not a folder: give an empty or missing folder.`
    )
  }
  if (stat && (await fs.promises.readdir(root)).length > 0) {
    throw new InvalidArgumentError(
      `root ${root} is not empty: witchery installs into a fresh root (as apk --initdb); give an ` +
        'empty or missing folder.'
    )
  }
  const made = await makeDirs(root)
  for (const [dir] of INITDB_DIRS) await fs.promises.mkdir(path.join(root, dir), { mode: 0o755 })
  return made
}

/**
 * Installs packages one at a time, in install order, writing each as soon as it is planned, so
 * a build can install the first packages while later ones are still being verified. Any
 * failure empties the root again (abort): what was written never outlives a failed install.
 */
export class RootInstaller {
  private readonly plan: Plan
  private readonly onDisk = new Set<string>(INITDB_DIRS.map(([dir]) => dir))
  private readonly chown: boolean

  private constructor(
    private readonly root: string,
    private readonly options: InstallOptions,
    /** The topmost folder begin() made, when it made the root. */
    private readonly made: string | undefined
  ) {
    this.plan = new Plan(options.logger ?? silentLogger)
    this.chown = options.chown ?? process.getuid?.() === 0
  }

  /** Prepares `root`, which must be empty or missing. */
  static async begin(root: string, options: InstallOptions): Promise<RootInstaller> {
    return new RootInstaller(root, options, await initRoot(root))
  }

  /** Plans one package (the next in install order) and writes what it adds or takes over. */
  async add(unit: InstallUnit): Promise<void> {
    if (!unit.file && unit.pkg.installedSize > 0) {
      throw new InvalidArgumentError(
        `${unit.pkg.name}-${unit.pkg.version}: no package file was given to install.`
      )
    }
    this.plan.add(unit, this.options.tags?.get(unit.pkg))
    this.writeTouched()
  }

  /** Settles folder modes, writes the apk database, and returns what was installed. */
  async finish(): Promise<InstallResult> {
    this.plan.settleDirectories()
    this.writeDatabase()
    this.settleOnDisk()
    const plan = this.plan
    const scriptsSkipped = scriptCarriers(plan)
    if (scriptsSkipped.length > 0) {
      plan.warn(`install scripts were not run (as in apko): ${scriptsSkipped.join(', ')}`)
    }
    const installed = plan.packages.map((p) => p.unit.pkg as PackageInfo).sort(compareDbPackages)
    return { tree: treeOf(plan), installed, scriptsSkipped, warnings: plan.warnings }
  }

  /** Takes away everything this install wrote: the root as it was found (missing or empty). */
  async abort(): Promise<void> {
    if (this.made) {
      await fs.promises.rm(this.made, { recursive: true, force: true })
      return
    }
    for (const name of await fs.promises.readdir(this.root).catch(() => [])) {
      await fs.promises.rm(path.join(this.root, name), { recursive: true, force: true })
    }
  }

  /**
   * The apk database files: planned as the installer's own paths and written like any other,
   * over a package's copy of the same path (a package's own key file is kept).
   */
  private writeDatabase(): void {
    const plan = this.plan
    for (const file of databaseFiles(plan, this.options)) {
      const existing = plan.nodes.get(file.rel)
      if (existing && file.rel.startsWith('etc/apk/keys/')) continue
      if (existing && existing.type !== 'file') {
        throw new FileConflictError(
          `${plan.ownerLabel(existing)} ships /${file.rel} as a ${existing.type}; the apk ` +
            'database needs that path. Leave the package out.'
        )
      }
      const parent = parentOf(file.rel)
      if (!plan.nodes.has(parent)) {
        plan.set(parent, { type: 'directory', mode: 0o755, uid: 0, gid: 0 })
      }
      const data = Buffer.from(file.content)
      plan.set(file.rel, { type: 'file', mode: 0o644, uid: 0, gid: 0, data })
    }
    this.writeTouched()
  }

  /**
   * Writes the paths planned since the last call: folders, then files, then links. The calls
   * are synchronous: one package's files in one go between two turns of the event loop, which
   * leaves the thread pool to the inflating and measured cheaper than five trips to it a file.
   */
  private writeTouched(): void {
    const rels = [...new Set(this.plan.touched.splice(0))]
    const nodes = rels.map((rel) => [rel, this.plan.nodes.get(rel) as Node] as const)
    for (const [rel, node] of nodes) {
      if (node.type !== 'directory' || this.onDisk.has(rel)) continue
      fs.mkdirSync(this.at(rel), { mode: 0o755 })
      this.onDisk.add(rel)
    }
    for (const [rel, node] of nodes) if (node.type === 'file') this.writeFile(rel, node)
    for (const [rel, node] of nodes) {
      if (node.type === 'symlink') {
        this.replace(rel)
        fs.symlinkSync(node.linkname ?? '', this.at(rel))
        if (this.chown) fs.lchownSync(this.at(rel), node.uid, node.gid)
      }
    }
    for (const [rel, node] of nodes) {
      if (node.type !== 'hardlink') continue
      this.replace(rel)
      fs.linkSync(this.at(node.linkname ?? ''), this.at(rel))
    }
  }

  private at(rel: string): string {
    return path.join(this.root, rel)
  }

  /** A path a later package takes over: the old file goes first (never written through). */
  private replace(rel: string): void {
    if (this.onDisk.has(rel)) fs.rmSync(this.at(rel), { force: true })
    this.onDisk.add(rel)
  }

  private writeFile(rel: string, node: Node): void {
    this.replace(rel)
    const fd = fs.openSync(this.at(rel), 'wx', 0o600)
    try {
      const data = node.data ?? Buffer.alloc(0)
      for (let done = 0; done < data.length;) {
        done += fs.writeSync(fd, data, done, data.length - done)
      }
      if (this.chown) fs.fchownSync(fd, node.uid, node.gid)
      fs.fchmodSync(fd, node.mode)
      if (node.mtime !== undefined) fs.futimesSync(fd, node.mtime, node.mtime)
    } finally {
      fs.closeSync(fd)
    }
  }

  /** Final folder owners and modes, deepest first (a folder may be read-only for its owner). */
  private settleOnDisk(): void {
    const dirs = [...this.plan.nodes.entries()]
      .filter(([, node]) => node.type === 'directory')
      .sort(([a], [b]) => (a < b ? 1 : a > b ? -1 : 0))
    for (const [rel, node] of dirs) {
      if (this.chown) fs.chownSync(this.at(rel), node.uid, node.gid)
      fs.chmodSync(this.at(rel), node.mode)
    }
  }
}

/**
 * Feeds an installer in install order from files that become ready in any order (downloads
 * finish as they finish). `ready` is called once per package file; `done` waits for the rest.
 */
export class InstallQueue {
  private next = 0
  private readonly files = new Map<string, ApkPackageFile>()
  private chain: Promise<void> = Promise.resolve()

  constructor(
    private readonly installer: RootInstaller,
    private readonly order: RepoPackage[]
  ) {
    this.kick()
  }

  ready(pkg: RepoPackage, file: ApkPackageFile): void {
    this.files.set(pkg.checksum, file)
    this.kick()
  }

  /** Resolves when every package is installed; rejects with the first install failure. */
  async done(): Promise<void> {
    this.kick()
    await this.chain
    if (this.next < this.order.length) {
      const pkg = this.order[this.next]
      throw new InvalidArgumentError(
        `${pkg.name}-${pkg.version}: its package file never arrived; nothing was installed.`
      )
    }
  }

  /** Resolves once no package is being written any more, failed or not. */
  async settled(): Promise<void> {
    await this.chain.catch(() => undefined)
  }

  private kick(): void {
    this.chain = this.chain.then(() => this.pump())
    // Seen later by done(); until then the failure must not count as unhandled.
    this.chain.catch(() => undefined)
  }

  private async pump(): Promise<void> {
    while (this.next < this.order.length) {
      const pkg = this.order[this.next]
      const file = this.files.get(pkg.checksum)
      if (pkg.installedSize > 0 && !file) return
      this.next++
      await this.installer.add({ pkg, file })
    }
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
 * and writes the apk database. On any failure (a package that would escape the root, a device
 * node, a file conflict) the root is left as it was found.
 */
export async function installPackages(
  root: string,
  units: InstallUnit[],
  options: InstallOptions
): Promise<InstallResult> {
  const installer = await RootInstaller.begin(root, options)
  try {
    for (const unit of units) await installer.add(unit)
    return await installer.finish()
  } catch (error) {
    await installer.abort()
    throw error
  }
}
