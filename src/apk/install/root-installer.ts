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
 * build); install scripts are never run, but what their known idioms leave (accounts, busybox's
 * links) is planned at the moment apk would run them (scripts-native.ts); device nodes and
 * FIFOs are refused.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { FileConflictError, InvalidArgumentError, PathEscapeError } from '../errors.js'
import { compareDbPackages } from './installed-db.js'
import { parentOf } from './paths.js'
import {
  silentLogger,
  type Dependency,
  type Logger,
  type PackageInfo,
  type RepoPackage,
  type Repository,
  type RootTree
} from '../types.js'
import { makeDirs, NotAFolderError } from '../../files.js'
import { RootWriter, type Refusal } from '../../root-writer.js'
import { emptyOnSignal, removeOnSignal, removeTree } from '../../temp.js'
import { COLLECT_EVERY_ENTRIES, collectNow } from '../../released-memory.js'
import { databaseFiles } from './database.js'
import { INITDB_DIRS, Plan, treeOf, type InstallUnit, type Node } from './plan.js'
import { NativeScripts, type ScriptsMode, type SkippedScript } from './scripts-native.js'
import { skippedWarning } from './skipped.js'

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
  /**
   * mtime of scripts.tar entries for packages without a build date, and the day new shadow
   * lines record. Default 0.
   */
  sourceDateEpoch?: number
  /**
   * `native` (default): apply what install scripts' known idioms leave (accounts, busybox's
   * links), report every other command; `none`: as `apk --no-scripts`.
   */
  scripts?: ScriptsMode
  logger?: Logger
}

export interface InstallResult {
  /** Every path made in the root, with owners and modes from the packages. */
  tree: RootTree
  /** Installed packages (index entries), sorted by name. */
  installed: PackageInfo[]
  /** Script commands not run (native), or whole scripts not run (`scripts: none`). */
  scriptsSkipped: SkippedScript[]
  warnings: string[]
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
  try {
    return await makeDirs(root)
  } catch (error) {
    if (!(error instanceof NotAFolderError)) throw error
    throw new InvalidArgumentError(
      `cannot make the root ${root}: ${error.message}. Give an empty or missing folder whose ` +
        'parents are folders.'
    )
  }
}

/**
 * Installs packages one at a time, in install order, writing each as soon as it is planned, so
 * a build can install the first packages while later ones are still being verified. Any
 * failure empties the root again (abort): what was written never outlives a failed install.
 */
export class RootInstaller {
  private readonly plan: Plan
  private readonly scripts: NativeScripts
  private readonly onDisk = new Set<string>(INITDB_DIRS.map(([dir]) => dir))
  private readonly chown: boolean
  private readonly writer: RootWriter

  /** Takes the root's signal handling off (begin put it on). */
  private readonly forget: () => void

  private constructor(
    private readonly root: string,
    private readonly options: InstallOptions,
    /** The topmost folder begin() made, when it made the root. */
    private readonly made: string | undefined
  ) {
    // Stopped by SIGINT or SIGTERM meanwhile, the root is left as it was found (a half-made
    // one made a second `install --root` fail with "not empty").
    this.forget = made !== undefined ? removeOnSignal(made) : emptyOnSignal(root)
    this.plan = new Plan(options.logger ?? silentLogger, path.join(root, '/'))
    const day = Math.floor((options.sourceDateEpoch ?? 0) / 86400)
    this.scripts = new NativeScripts(this.plan, options.scripts ?? 'native', day)
    this.chown = options.chown ?? process.getuid?.() === 0
    this.writer = new RootWriter(root, { refuse: (refusal) => this.refusal(refusal) })
    for (const [dir] of INITDB_DIRS) this.writer.mkdir(dir)
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
    this.plan.add(unit, this.options.tags?.get(unit.pkg), {
      before: (pkg) => this.scripts.preInstall(pkg),
      after: (pkg) => this.scripts.postInstall(pkg)
    })
    this.writeTouched()
  }

  /** Settles folder modes, writes the apk database, and returns what was installed. */
  async finish(): Promise<InstallResult> {
    this.scripts.triggers()
    this.plan.settleDirectories()
    this.writeDatabase()
    this.settleOnDisk()
    const plan = this.plan
    // The database is on disk: its records of every file (names, digests) go before the tree
    // is made, so that a root of many files never holds both (80,000 files: 70 MiB of heap as
    // the tree was made, 47 without them).
    plan.forgetFileRecords()
    if (plan.nodes.size > COLLECT_EVERY_ENTRIES) collectNow()
    const scriptsSkipped = this.scripts.skipped
    // Returned, not logged: the caller reports it once, in its own words and place (the build
    // in its warnings and summary, `witchery install` after installing).
    if (scriptsSkipped.length > 0) plan.warnings.push(skippedWarning(scriptsSkipped))
    const installed = plan.packages.map((p) => p.unit.pkg as PackageInfo).sort(compareDbPackages)
    this.forget()
    return { tree: treeOf(plan), installed, scriptsSkipped, warnings: plan.warnings }
  }

  /** Takes away everything this install wrote: the root as it was found (missing or empty). */
  async abort(): Promise<void> {
    this.forget()
    if (this.made) {
      removeTree(this.made)
      return
    }
    for (const name of await fs.promises.readdir(this.root).catch(() => [])) {
      removeTree(path.join(this.root, name))
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
      const folder = plan.nodes.get(parent)
      if (!folder) {
        plan.set(parent, { type: 'directory', mode: 0o755, uid: 0, gid: 0 })
      } else if (folder.type !== 'directory') {
        throw new PathEscapeError(
          `${plan.ownerLabel(folder)} ships /${parent} as a ${folder.type}, where the apk ` +
            `database needs a folder (for /${file.rel}); witchery does not write through it. ` +
            `Leave ${plan.ownerLabel(folder)} out.`
        )
      }
      const data = typeof file.content === 'string' ? Buffer.from(file.content) : file.content
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
    const writer = this.writer
    for (const [rel, node] of nodes) {
      if (node.type !== 'directory' || this.onDisk.has(rel)) continue
      writer.mkdir(rel)
      this.onDisk.add(rel)
    }
    for (const [rel, node] of nodes) {
      if (node.type !== 'file') continue
      this.replace(rel)
      if (node.staged) writer.moveIn(rel, node.staged, this.attributes(node))
      else writer.writeFile(rel, node.data ?? Buffer.alloc(0), this.attributes(node))
      // From here the root holds the bytes: memory holds no package's data past its install.
      node.written = true
      node.staged = undefined
      node.data = undefined
    }
    for (const [rel, node] of nodes) {
      if (node.type !== 'symlink') continue
      this.replace(rel)
      writer.symlink(rel, node.linkname ?? '', this.owner(node))
    }
    for (const [rel, node] of nodes) {
      if (node.type !== 'hardlink') continue
      this.replace(rel)
      writer.hardlink(rel, node.linkname ?? '')
    }
  }

  /** A path a later package takes over: the old file goes first (never written through). */
  private replace(rel: string): void {
    if (this.onDisk.has(rel)) this.writer.remove(rel)
    this.onDisk.add(rel)
  }

  private owner(node: Node): { uid: number; gid: number } | undefined {
    return this.chown ? { uid: node.uid, gid: node.gid } : undefined
  }

  private attributes(node: Node) {
    return { mode: this.diskMode(node), owner: this.owner(node), mtime: node.mtime }
  }

  /**
   * The mode on disk. As root it is the package's. Without root the files stay the runner
   * user's, so they keep that user's read and write bits (a folder its search bit too), or a
   * file such as busybox-suid's 04111 /bin/bbsuid could not be read back to check or pack it.
   * The image never sees this: layers take their modes from the plan, not from the disk.
   */
  private diskMode(node: Node): number {
    if (this.chown) return node.mode
    return node.mode | (node.type === 'directory' ? 0o700 : 0o600)
  }

  /** The error for a write the root writer refused: who put what in the way. */
  private refusal(refusal: Refusal): Error {
    const inTheWay = this.plan.nodes.get(refusal.at)
    const who = inTheWay ? this.plan.ownerLabel(inTheWay) : 'something outside witchery'
    const what = inTheWay ? `a ${inTheWay.type}` : `${refusal.found}`
    return new PathEscapeError(
      `refusing to write /${refusal.rel}: /${refusal.at} is ${what} (from ${who}), not a folder ` +
        'inside the root, and writing through it could land outside the root. The package is ' +
        'malformed or hostile: remove it from the package list.'
    )
  }

  /** Final folder owners and modes, deepest first (a folder may be read-only for its owner). */
  private settleOnDisk(): void {
    // The folders' paths alone, deepest first (not a [path, node] pair for every path).
    const dirs: string[] = []
    for (const [rel, node] of this.plan.nodes) {
      if (node.type === 'directory' && rel !== '') dirs.push(rel)
    }
    dirs.sort((a, b) => (a < b ? 1 : a > b ? -1 : 0))
    for (const rel of dirs) {
      const node = this.plan.nodes.get(rel) as Node
      this.writer.settleFolder(rel, { mode: this.diskMode(node), owner: this.owner(node) })
    }
  }
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
