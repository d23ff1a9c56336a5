/**
 * The install plan: every path of the root in memory (owner, mode, data, link) as packages are
 * added in install order, with apk 2.14's rules for who owns a path (apk-format.md §5.8) and
 * what mode a shared folder ends with (§3.6). Nothing here touches the disk.
 */
import * as fs from 'node:fs'
import { FileConflictError } from '../errors.js'
import { dependencyMatchesVersion } from '../formats/dependency.js'
import { type Acl, type DbPackage } from './installed-db.js'
import {
  type ApkPackageFile,
  type Dependency,
  type FileMeta,
  type Logger,
  type PackageInfo,
  type RepoPackage,
  type RootTree
} from '../types.js'
import { Extraction } from './extract.js'

export interface InstallUnit {
  /** The index entry the package was chosen as. */
  pkg: RepoPackage
  /** The verified file; may be absent only for packages with nothing to install (`I:0`). */
  file?: ApkPackageFile
}

/** Folders `--initdb` makes that an image needs; apk never re-chmods them (§3.6). */
export const INITDB_DIRS: readonly [string, number][] = [
  ['etc', 0o755],
  ['etc/apk', 0o755],
  ['lib', 0o755],
  ['lib/apk', 0o755],
  ['lib/apk/db', 0o755],
  ['tmp', 0o1777],
  ['var', 0o755]
]

export interface Node {
  type: FileMeta['type']
  mode: number
  uid: number
  gid: number
  /** Index of the owning package in Plan.packages; undefined for the installer's own paths. */
  ownerIndex?: number
  /** The owning package's name (the tree's owner: a node is the tree's entry for its path). */
  owner?: string
  /** The owning package's path for it (its database line's folder and name). */
  dbName?: string
  /** The contents, until the installer has written them (then `written` is set). */
  data?: Buffer
  /** A host file holding the contents instead of `data` (a large file, staged while verified). */
  staged?: string
  /** The installer has written the file in the root (at Plan's root + its path). */
  written?: boolean
  mtime?: number
  /** Symlink target as written, or the root-relative path a hard link points at. */
  linkname?: string
  xattrs?: Map<string, Buffer>
  /**
   * There before any package named it (made by --initdb or by an install script): apk never
   * changes its owner or mode afterwards (§3.6).
   */
  preexisting?: boolean
  /** Directory ACLs of every package that ships this folder (§3.6). */
  instances?: Acl[]
}

export interface PackageHooks {
  before?: (pkg: PlannedPackage) => void
  after?: (pkg: PlannedPackage) => void
}

export interface PlannedPackage {
  unit: InstallUnit
  db: DbPackage
  label: string
}

/**
 * Owner names resolved as apk does: against ROOT/etc/passwd and etc/group as they stand when a
 * package extracts (its own files do not count yet), each answer kept for the whole run.
 */
class IdResolver {
  private readonly cache = new Map<string, number | undefined>()
  private passwd = ''
  private group = ''

  snapshot(plan: Plan): void {
    this.passwd = plan.readFile('etc/passwd')?.toString('utf8') ?? ''
    this.group = plan.readFile('etc/group')?.toString('utf8') ?? ''
  }

  /** apk clears its name cache after every script it runs (a script may add accounts). */
  reset(): void {
    this.cache.clear()
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

export class Plan {
  readonly nodes = new Map<string, Node>()
  readonly packages: PlannedPackage[] = []
  readonly warnings: string[] = []
  readonly ids = new IdResolver()
  /** Paths set since the installer last wrote, in the order they were planned. */
  readonly touched: string[] = []
  /** Bytes of extended attributes (names and values) planned so far (Extraction bounds them). */
  xattrBytes = 0
  /** addgroup/adduser commands applied so far (accounts.ts bounds them). */
  accountCommands = 0
  /** Every folder a package shipped (`/path`), in install order: what triggers are matched to. */
  readonly installedFolders = new Set<string>()
  /** The Acls without xattrs handed out so far: a root's files share a handful. */
  private readonly acls = new Map<number, Acl>()

  /**
   * An owner, group and mode (and xattrs digest) as an Acl, the same object for the same values
   * where there are no xattrs: one object a file took ~50 bytes each for a root of many files.
   * Acls are never changed once made.
   */
  acl(uid: number, gid: number, mode: number, xattrs: string | undefined): Acl {
    if (xattrs !== undefined || uid > 0xffff || gid > 0xffff || mode > 0xffff) {
      return { uid, gid, mode, xattrs }
    }
    const key = (uid * 0x10000 + gid) * 0x10000 + mode
    let acl = this.acls.get(key)
    if (acl === undefined) {
      acl = { uid, gid, mode, xattrs: undefined }
      this.acls.set(key, acl)
    }
    return acl
  }

  set(rel: string, node: Node): void {
    this.nodes.set(rel, node)
    this.touched.push(rel)
  }

  /**
   * @param root Where the installer writes the planned paths, with a trailing `/`: a written
   *   file is read back from there.
   */
  constructor(
    private readonly logger: Logger,
    private readonly root: string
  ) {
    for (const [dir, mode] of INITDB_DIRS) {
      this.nodes.set(dir, { type: 'directory', mode, uid: 0, gid: 0, preexisting: true })
    }
  }

  /**
   * Plans one package: `before` runs once the package is known and before its files (apk's
   * pre-install), `after` once its files are planned (post-install).
   */
  add(unit: InstallUnit, tag: string | undefined, hooks: PackageHooks = {}): void {
    const info = unit.file?.info ?? unit.pkg
    const planned: PlannedPackage = {
      // The entries are needed only while the package is planned: kept, they would hold every
      // package's data in memory until the install ends.
      unit: { pkg: unit.pkg, file: unit.file && { ...unit.file, entries: [] } },
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
    hooks.before?.(planned)
    this.ids.snapshot(this)
    const extraction = new Extraction(this, planned, this.packages.length - 1)
    for (const entry of unit.file?.entries ?? []) extraction.entry(entry)
    extraction.finish()
    hooks.after?.(planned)
  }

  /**
   * The content of the regular file planned at `rel`, or undefined. The one way scripts read
   * the root (accounts, busybox's applet list), whatever keeps the bytes.
   */
  readFile(rel: string): Buffer | undefined {
    const node = this.nodes.get(rel)
    if (node?.type !== 'file') return undefined
    const file = node.staged ?? (node.written ? this.root + rel : undefined)
    if (file !== undefined) return readStaged(file)
    return node.data ?? Buffer.alloc(0)
  }

  warn(message: string): void {
    this.warnings.push(message)
    this.logger.warning(message)
  }

  ownerLabel(node: Node): string {
    return node.ownerIndex === undefined ? 'the installer' : this.packages[node.ownerIndex].label
  }

  /**
   * §5.8: may package `index` put its file where `node` is? 'take' (overwrite and own it),
   * 'skip' (the old owner keeps it), or a FileConflictError.
   */
  decide(node: Node, index: number, rel: string): 'take' | 'skip' {
    if (node.ownerIndex === undefined) return 'take'
    const incoming = this.packages[index]
    const owner = this.packages[node.ownerIndex]
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

  /**
   * Lets go of what only the apk database needed (each package's lines, each folder's ACLs as
   * packages shipped it): for after it is written.
   */
  forgetFileRecords(): void {
    for (const pkg of this.packages) {
      pkg.db.folders = undefined
      pkg.db.removed = undefined
    }
    for (const node of this.nodes.values()) node.instances = undefined
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

export function treeOf(plan: Plan): RootTree {
  // The plan's nodes themselves, in path order: a node is a FileMeta with more fields (those of
  // the database let go of already), where a copy of each took 6 MiB for 80,000 files.
  const paths = [...plan.nodes.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const tree: RootTree = new Map()
  for (const rel of paths) tree.set(rel, plan.nodes.get(rel) as Node)
  return tree
}

/** Scripts read only small files (accounts, applet lists): a staged one past this is refused. */
const MAX_SCRIPT_READ = 16 * 1024 * 1024

/** A staged file's bytes, for the few files scripts read; a huge one reads as absent. */
function readStaged(file: string): Buffer | undefined {
  return fs.statSync(file).size > MAX_SCRIPT_READ ? undefined : fs.readFileSync(file)
}
