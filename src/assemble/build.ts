/**
 * The build, as a short story: check the app, open the repositories and resolve the world for
 * every arch, let the caller restore caches, install each root, finish it, write the image.
 * Shared by the action and the CLI.
 */
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import { findArch, type ArchInfo } from '../arch.js'
import { makeDirs, writeThroughTemp } from '../files.js'
import { makeWorkDir } from '../temp.js'
import { COLLECT_EVERY_ENTRIES, collectNow, shrinkHeap } from '../released-memory.js'
import {
  type EngineOptions,
  firstPackageNamed,
  installResolution,
  type InstallSources,
  installSources,
  LockedPackageError,
  type Logger,
  newFetchStats,
  type OpenRepositories,
  openRepositories,
  providersOf,
  type RepoPackage,
  type Resolution,
  resolveLocked,
  resolveWorld,
  skippedWarning
} from '../apk/engine.js'
import { rfc3339 } from '../oci/documents.js'
import { scanDirectory } from '../oci/tree.js'
import { writeImage } from '../oci/image.js'
import type { ReferrerSpec, WrittenReferrer } from '../oci/referrers.js'
import type { LayerEntry, PlatformImage, WrittenManifest } from '../oci/types.js'
import { checkApp } from './app.js'
import { BuildError, LockError } from './errors.js'
import { imageConfig } from './config.js'
import { DEFAULT_LAYERS, partitionLayers } from './layers.js'
import {
  checkLinks,
  describeProblems,
  LinkCheckError,
  linkCheckMessage,
  type CheckedLayer
} from './link-check.js'
import { ImageView } from './loader.js'
import {
  addedNeeds,
  appNeeds,
  describeAdded,
  readAppFiles,
  worldAdditions,
  type AddedNeed,
  type AppFile,
  type WorldAddition
} from './needs.js'
import {
  archLock,
  diffLocks,
  lockedPackages,
  readLock,
  UPDATE_HINT,
  writeLock,
  type Lock,
  type LockEntry,
  type LockReport
} from './lock.js'
import { alpineRelease, finishRootfs, RELEASE_PACKAGES, UNKNOWN_RELEASE_WARNING } from './rootfs.js'
import {
  hashAppFiles,
  readRootPackages,
  sbomDocuments,
  sbomPath,
  sbomTitle,
  type SbomDocument,
  type SbomInput
} from './sbom/sbom.js'
import type {
  ArchResult,
  BuildResult,
  BuildSpec,
  FetchSummary,
  LockSpec,
  SbomRecord
} from './spec.js'

/** What an arch's SBOM says besides the image digests, which are known only once it is written. */
type SbomSource = Omit<SbomInput, 'image' | 'createdEpoch'>

export interface BuildOptions {
  logger: Logger
  /** Called once every arch is resolved, before any package is fetched. */
  onResolved?: (resolved: { arch: string; packages: RepoPackage[] }[]) => Promise<void>
  /**
   * Called before any repository is read when the build installs from a lock file, with the
   * locked packages of every arch (the action restores its package cache here: a locked package
   * its repository no longer lists can only come from the cache).
   */
  onLocked?: (locked: { arch: string; packages: LockEntry[] }[]) => Promise<void>
  /** Engine settings a test or the CLI may override (transport, Alpine keys URL…). */
  engine?: Partial<EngineOptions>
}

interface ArchPlan {
  arch: ArchInfo
  /** What the install needs of the repositories: their indexes are let go once resolved. */
  sources: InstallSources
  resolution: Resolution
  /** The Alpine release for os-release: the lock's, else from every source (alpineRelease). */
  alpine: string | undefined
  /** The app's layer entries, scanned once before resolving. */
  appEntries?: LayerEntry[]
  /** Packages added to the world for the app's needs. */
  added: AddedNeed[]
}

/** Fails fast, before any download, when the tarball could not be written where asked. */
/**
 * Checks, before any download, that a file can be written where `input` says: the tarball, and
 * a lock the build will write (one found unwritable after the image would fail a finished build).
 */
async function checkWritable(file: string, what: string, input: 'output' | 'lock'): Promise<void> {
  const probe = path.join(path.dirname(file), `.${path.basename(file)}.probe-${process.pid}`)
  try {
    await makeDirs(path.dirname(file))
    await fs.writeFile(probe, '', { flag: 'wx' })
    await fs.rm(probe, { force: true })
  } catch (error) {
    throw new BuildError(
      `cannot write ${what} '${file}': ${(error as Error).message}. Give a path in a ` +
        'writable folder (the workspace or RUNNER_TEMP).',
      input
    )
  }
}

/**
 * Reads the repositories for one arch and resolves its world (the lock's, or the packages and
 * the app's needs). Returns what the install needs, and none of the indexes: the tables and the
 * solver's graph (tens of MiB for main + community) are let go when this returns.
 */
async function planArch(
  spec: BuildSpec,
  arch: ArchInfo,
  locked: Lock | undefined,
  options: BuildOptions
): Promise<ArchPlan> {
  const { logger } = options
  logger.info(`${arch.apk}: reading ${spec.repositories.length} repositories`)
  const engine = engineOptions(spec, arch.apk, options)
  const repos = await openRepositories(engine)
  const appEntries = spec.app
    ? await scanDirectory(appSource(spec.app.source, arch), spec.app.dest.replace(/^\/+/, ''))
    : undefined
  let world = imageWorld(spec.packages)
  // What the world as given resolves to decides which of the app's needs it already meets.
  let given = locked ? undefined : resolveWorld(repos, world)
  let additions: WorldAddition[] = []
  if (spec.app && appEntries && spec.elfNeeds !== false) {
    const base = given?.packages ?? resolvedOrNothing(repos, world)
    additions = appWorldAdditions(spec.app.source, appEntries, arch, repos, base)
    const tokens = additions.map((a) => a.token).filter((t) => !world.includes(t))
    if (tokens.length > 0) {
      world = [...world, ...new Set(tokens)]
      given = undefined
    }
  }
  const resolution = locked
    ? await resolveFromLock(spec, locked, repos, engine, world)
    : (given ?? resolveWorld(repos, world))
  const added = addedNeeds(additions, resolution.packages)
  for (const a of added) logger.info(`${arch.apk}: ${describeAdded(a)}`)
  logger.info(
    `${arch.apk}: ${resolution.packages.length} packages ${locked ? 'locked' : 'resolved'}`
  )
  const found = alpineRelease({
    indexes: repos.indexes,
    repositories: spec.repositories,
    packages: [
      ...resolution.packages,
      ...RELEASE_PACKAGES.flatMap((name) => firstPackageNamed(repos, name) ?? [])
    ]
  })
  const alpine = locked ? (locked.arches[arch.apk]?.alpine ?? found) : found
  // A link check that fails opens the repositories again to name providers.
  return { arch, sources: installSources(repos), resolution, alpine, appEntries, added }
}

export async function build(spec: BuildSpec, options: BuildOptions): Promise<BuildResult> {
  const { logger } = options
  const arches = spec.arches.map(archInfo)
  const musl = !leavesOutMusl(spec.packages)
  for (const arch of arches) {
    if (spec.app) await checkApp(appSource(spec.app.source, arch), arch, { musl })
  }
  await checkWritable(spec.output, 'the tarball', 'output')

  const previous = spec.lock ? await lockBefore(spec.lock, logger) : undefined
  const locked = spec.lock?.update ? undefined : previous
  if (spec.lock && !locked) await checkWritable(spec.lock.path, 'the lock file', 'lock')
  if (locked) {
    logger.info(`installing the packages locked in ${spec.lock?.path}`)
    await options.onLocked?.(
      arches.map((a) => ({ arch: a.apk, packages: locked.arches[a.apk]?.packages ?? [] }))
    )
  }
  const plans: ArchPlan[] = []
  // One arch at a time, each in its own call: nothing of its indexes outlives it.
  for (const arch of arches) plans.push(await planArch(spec, arch, locked, options))
  // Every index and graph let go of: the heap V8 grew to read them goes back too.
  shrinkHeap()
  await options.onResolved?.(
    plans.map((p) => ({ arch: p.arch.apk, packages: p.resolution.packages }))
  )

  const workDir = await makeWorkDir('build')
  const work = workDir.dir
  try {
    const fetch = newFetchStats()
    const images: PlatformImage[] = []
    const layerPackages: (string[] | undefined)[][] = []
    const perArch: Omit<ArchResult, 'manifestDigest' | 'configDigest' | 'layers'>[] = []
    const sboms: SbomSource[] = []
    for (const plan of plans) {
      const built = await buildArch(spec, plan, path.join(work, plan.arch.apk), options, fetch)
      images.push(built.image)
      layerPackages.push(built.layerPackages)
      perArch.push(built.record)
      if (built.sbom) sboms.push(built.sbom)
    }
    logger.info(`writing ${spec.output}`)
    const documents: SbomDocument[] = []
    const written = await writeImage({
      images,
      output: spec.output,
      tags: spec.tags,
      createdEpoch: spec.sourceDateEpoch,
      annotations: spec.image.annotations,
      referrers:
        sboms.length > 0
          ? async ({ manifests }) => {
              documents.push(...makeSboms(spec, plans, sboms, manifests))
              return documents.map((d) => sbomReferrer(spec, d, plans))
            }
          : undefined
    })
    const sbom = await writeSbomFiles(spec, documents, written.referrers)
    const archResults: ArchResult[] = perArch.map((record, i) => ({
      ...record,
      manifestDigest: written.manifests[i].digest,
      configDigest: written.manifests[i].configDigest,
      layers: written.manifests[i].layers.map((layer, j) => ({
        digest: layer.digest,
        diffId: layer.diffId,
        size: layer.size,
        createdBy: images[i].layers[j].createdBy,
        ...(layerPackages[i][j] ? { packages: layerPackages[i][j] } : {})
      }))
    }))
    const lock = spec.lock ? await updateLock(spec, spec.lock, plans, previous) : undefined
    if (lock) logger.info(lockMessage(lock))
    return {
      tarball: written.tarball,
      digest: written.digest,
      imageId: written.manifests[0].configDigest,
      size: written.size,
      tags: spec.tags,
      arches: archResults,
      fetch,
      sbom,
      warnings: archResults.flatMap(archWarnings),
      lock
    }
  } finally {
    await workDir.release()
  }
}

async function buildArch(
  spec: BuildSpec,
  plan: ArchPlan,
  root: string,
  options: BuildOptions,
  fetch: FetchSummary
): Promise<{
  image: PlatformImage
  /** Per layer, the packages it holds (undefined for the app layer). */
  layerPackages: (string[] | undefined)[]
  record: Omit<ArchResult, 'manifestDigest' | 'configDigest' | 'layers'>
  sbom?: SbomSource
}> {
  const { arch, sources, resolution } = plan
  const installed = await installResolution(
    root,
    sources,
    resolution,
    engineOptions(spec, arch.apk, options)
  )
  addFetchStats(fetch, installed.fetch)
  const written = await finishRootfs(root, installed.tree, {
    user: spec.image.user,
    alpineVersion: plan.alpine
  })
  // A root of many files leaves its install's garbage (the database's text, the tree's making)
  // and then its layers' making (entries, sort keys, the database read back for the SBOM) in
  // V8's old generation, which it grows rather than collects: collected here, and after the
  // layers are made (see letGoOfEntries). A root of a few thousand files skips both.
  const many = installed.tree.size > COLLECT_EVERY_ENTRIES
  if (many) collectNow()

  const parts = partitionLayers({
    root,
    tree: installed.tree,
    installed: installed.installed,
    written,
    epoch: spec.sourceDateEpoch,
    layers: spec.layers ?? DEFAULT_LAYERS,
    createdBy: `witchery: apk add ${spec.packages.join(' ')}`
  })
  const layers = parts.map((p) => p.layer)
  const layerPackages: (string[] | undefined)[] = parts.map((p) => p.packages)
  let sbom: SbomSource | undefined
  if (spec.sbom.length > 0) {
    sbom = { ...(await readRootPackages(root)), alpineVersion: plan.alpine }
  }
  if (many) collectNow()
  const checked: CheckedLayer[] = layers.map((layer) => ({
    entries: layer.entries,
    owner: (p: string) => installed.tree.get(p)?.owner ?? 'witchery'
  }))
  if (spec.app && plan.appEntries) {
    const source = appSource(spec.app.source, arch)
    layers.push({
      entries: plan.appEntries,
      createdBy: `witchery: COPY ${path.basename(source)} ${spec.app.dest}`,
      comment: 'app'
    })
    layerPackages.push(undefined)
    checked.push({ entries: plan.appEntries, owner: () => 'app', app: true })
    if (sbom) {
      const name = path.posix.basename(spec.app.dest)
      sbom.app = { name, dest: spec.app.dest, files: await hashAppFiles(plan.appEntries) }
    }
  }
  const linkProblems = await linkCheck(spec, plan, checked, options)
  const hasCaBundle = installed.tree.has('etc/ssl/certs/ca-certificates.crt')
  return {
    image: {
      platform: { architecture: arch.oci, os: 'linux', variant: arch.variant },
      layers,
      config: imageConfig(spec, { hasCaBundle }),
      annotations: spec.image.annotations
    },
    layerPackages,
    record: {
      arch: arch.apk,
      packages: installed.installed.map((p) => ({
        name: p.name,
        version: p.version,
        arch: p.arch ?? arch.apk,
        license: p.license,
        size: p.installedSize
      })),
      scriptsSkipped: installed.scriptsSkipped,
      alpineRelease: plan.alpine,
      appNeeds: plan.added.map((a) => ({
        package: a.package,
        need: a.need,
        neededBy: a.neededBy
      })),
      linkProblems
    },
    sbom
  }
}

/** What a build warns about for one arch: scripts not (fully) applied, an unknown release. */
function archWarnings(a: ArchResult): string[] {
  const warnings: string[] = []
  // In the engine's words, as `witchery install` says it.
  if (a.scriptsSkipped.length > 0) warnings.push(`${a.arch}: ${skippedWarning(a.scriptsSkipped)}`)
  if (a.alpineRelease === undefined) warnings.push(`${a.arch}: ${UNKNOWN_RELEASE_WARNING}`)
  if (a.linkProblems.length > 0) warnings.push(linkCheckMessage(a.arch, a.linkProblems))
  return warnings
}

/** The packages `world` resolves to, or none when it does not resolve (the lock decides then). */
function resolvedOrNothing(repos: OpenRepositories, world: string[]): RepoPackage[] {
  try {
    return resolveWorld(repos, world).packages
  } catch {
    return []
  }
}

/** Every arch's documents, now that each names its image manifest's digest. */
function makeSboms(
  spec: BuildSpec,
  plans: ArchPlan[],
  sources: SbomSource[],
  manifests: WrittenManifest[]
): SbomDocument[] {
  return sources.flatMap((source, i) =>
    sbomDocuments(
      {
        ...source,
        image: {
          arch: plans[i].arch.apk,
          ociArch: plans[i].arch.oci,
          manifestDigest: manifests[i].digest,
          tags: spec.tags
        },
        createdEpoch: spec.sourceDateEpoch
      },
      spec.sbom
    )
  )
}

function sbomReferrer(spec: BuildSpec, document: SbomDocument, plans: ArchPlan[]): ReferrerSpec {
  return {
    subject: plans.findIndex((p) => p.arch.apk === document.arch),
    artifactType: document.mediaType,
    content: document.content,
    title: sbomTitle(document.arch, document.format),
    annotations: { 'org.opencontainers.image.created': rfc3339(spec.sourceDateEpoch) }
  }
}

/**
 * What the app needs that the packages `base` (the world as given, resolved) do not meet, as
 * world tokens. Throws AppError, before any download, for a need no repository meets.
 */
function appWorldAdditions(
  source: string,
  appEntries: LayerEntry[],
  arch: ArchInfo,
  repos: OpenRepositories,
  base: RepoPackage[]
): WorldAddition[] {
  const files = readAppFiles(appEntries)
  const single = appEntries.length === 1
  const from = appSource(source, arch)
  const label = (file: AppFile) =>
    single ? `app '${from}'` : `'${file.path}' of app folder '${from}'`
  const needs = appNeeds(files, new ImageView([appEntries]), arch, label)
  return worldAdditions(needs, base, repos)
}

/**
 * Runs the link check over the image's layers: throws LinkCheckError with `link-check: error`
 * (the default), returns the problems as lines with `warn`, nothing with `off`.
 */
async function linkCheck(
  spec: BuildSpec,
  plan: ArchPlan,
  layers: CheckedLayer[],
  options: BuildOptions
): Promise<string[]> {
  const mode = spec.linkCheck ?? 'error'
  if (mode === 'off') return []
  const { problems, elfFiles } = checkLinks(layers, plan.arch)
  options.logger.info(
    `${plan.arch.apk}: link check: ${elfFiles} ELF files, ${problems.length} missing`
  )
  if (problems.length === 0) return []
  const lines = describeProblems(problems, plan.arch, await providerNames(spec, plan, options))
  if (mode === 'error') throw new LinkCheckError(linkCheckMessage(plan.arch.apk, lines))
  // Warned once, with the build's other warnings (archWarnings).
  return lines
}

/**
 * Names of the packages providing a name, to suggest for a missing library or command. The
 * indexes were let go after resolving, so they are opened again: from the cache or local paths
 * as they are, without revalidating (the suggestions come from what was resolved against where
 * the cache holds it). The suggestions never decide the build: when the indexes cannot be read
 * again, for any reason, the problems are still reported, with a generic hint.
 */
async function providerNames(
  spec: BuildSpec,
  plan: ArchPlan,
  options: BuildOptions
): Promise<((name: string) => string[]) | undefined> {
  let repos: OpenRepositories
  try {
    repos = await openRepositories({
      ...engineOptions(spec, plan.arch.apk, options),
      indexMaxAgeSeconds: Number.MAX_SAFE_INTEGER
    })
  } catch (error) {
    options.logger.warning(
      `${plan.arch.apk}: link check: could not read the repositories again to name the ` +
        `packages to add (${(error as Error).message})`
    )
    return undefined
  }
  return (name) => [...new Set(providersOf(repos, name).map((p) => p.name))]
}

/**
 * Each document beside the tarball. The tarball is already in place, so a failure here takes it
 * (and the documents written so far) away again: a failed build leaves nothing half done.
 */
async function writeSbomFiles(
  spec: BuildSpec,
  documents: SbomDocument[],
  referrers: WrittenReferrer[]
): Promise<SbomRecord[]> {
  const records: SbomRecord[] = []
  try {
    for (const [i, document] of documents.entries()) {
      const file = sbomPath(spec.output, document.arch, document.format)
      await writeThroughTemp(file, (temp) => fs.writeFile(temp, document.content))
      records.push({
        arch: document.arch,
        format: document.format,
        path: file,
        digest: referrers[i].documentDigest,
        referrer: referrers[i].digest
      })
    }
  } catch (error) {
    for (const record of records) await fs.rm(record.path, { force: true })
    await fs.rm(spec.output, { force: true })
    throw new BuildError(
      `cannot write the SBOM beside the tarball '${spec.output}': ${(error as Error).message}. ` +
        'Give an `output` in a writable folder, or set `sbom: none`.',
      'output'
    )
  }
  return records
}

/**
 * The world of an image: the packages asked for, plus musl, which every image carries (the app
 * links against it). `!musl` in the list leaves it out, for fully static apps.
 */
export function imageWorld(packages: string[]): string[] {
  const namesMusl = packages.some((p) => /^!?musl(?:[@<>=~]|$)/.test(p))
  return namesMusl ? packages : [...packages, 'musl']
}

/** Whether the list says `!musl`, so the image has no musl loader for a dynamic app. */
export function leavesOutMusl(packages: string[]): boolean {
  return packages.some((p) => /^!musl(?:@\S+)?$/.test(p))
}

function archInfo(name: string): ArchInfo {
  const arch = findArch(name)
  if (!arch) throw new BuildError(`unknown architecture '${name}'`, 'arch')
  return arch
}

/** `{arch}` in the app path picks the build of each architecture. */
function appSource(source: string, arch: ArchInfo): string {
  return source.replaceAll('{arch}', arch.apk)
}

function engineOptions(spec: BuildSpec, arch: string, options: BuildOptions): EngineOptions {
  return {
    arch,
    repositories: spec.repositories,
    auth: spec.credentials,
    alpineKeysUrl: spec.alpineKeysUrl,
    keyDirs: spec.keyDirs,
    keyFiles: spec.keyFiles,
    allowUntrusted: spec.allowUntrusted,
    fetchAlpineKeys: spec.fetchAlpineKeys,
    cacheDir: spec.cacheDir,
    sourceDateEpoch: spec.sourceDateEpoch,
    scripts: spec.scripts,
    logger: options.logger,
    ...options.engine
  }
}

function addFetchStats(total: FetchSummary, add: Partial<FetchSummary>): void {
  for (const key of Object.keys(total) as (keyof FetchSummary)[]) {
    total[key] += add[key] ?? 0
  }
}

/**
 * The lock as it stands before the build. With `lock-update` an unreadable lock is only the
 * "before" of the change list, so it is replaced with a warning instead of failing the build.
 */
async function lockBefore(lock: LockSpec, logger: Logger): Promise<Lock | undefined> {
  if (!lock.update) return readLock(lock.path)
  try {
    return await readLock(lock.path)
  } catch (error) {
    logger.warning(`${(error as Error).message}; lock-update writes a new one`)
    return undefined
  }
}

/** The locked packages of one arch, as the engine installs them; lock problems as LockError. */
async function resolveFromLock(
  spec: BuildSpec,
  lock: Lock,
  repos: OpenRepositories,
  engine: EngineOptions,
  world: string[]
): Promise<Resolution> {
  const file = spec.lock?.path ?? ''
  const packages = lockedPackages(lock, repos.arch, spec.repositories, file)
  try {
    return await resolveLocked(repos, world, packages, engine)
  } catch (error) {
    if (!(error instanceof LockedPackageError)) throw error
    throw new LockError(
      `${repos.arch}: ${error.message}. ${lockAdvice(error, file)}`,
      error.packages,
      {
        cause: error
      }
    )
  }
}

function lockAdvice(error: LockedPackageError, file: string): string {
  if (/no longer in the repositories/.test(error.message)) {
    return (
      `The lock file '${file}' pins them, but Alpine keeps only the newest build of each ` +
      `package on its mirrors and the cache does not hold these. ${UPDATE_HINT}`
    )
  }
  return `The lock file '${file}' was made for other \`packages\`. ${UPDATE_HINT}`
}

/** Writes the lock after a successful build (when absent, or with `lock-update`). */
async function updateLock(
  spec: BuildSpec,
  lockSpec: LockSpec,
  plans: ArchPlan[],
  previous: Lock | undefined
): Promise<LockReport> {
  if (previous && !lockSpec.update) return { path: lockSpec.path, status: 'used', changes: [] }
  const lock: Lock = { world: spec.packages, arches: {} }
  for (const plan of plans) {
    lock.arches[plan.arch.apk] = archLock(
      plan.resolution.packages,
      spec.repositories,
      lockSpec.path,
      plan.alpine
    )
  }
  await writeLock(lockSpec.path, lock)
  return {
    path: lockSpec.path,
    status: previous ? 'updated' : 'written',
    changes: diffLocks(previous, lock)
  }
}

function lockMessage(lock: LockReport): string {
  if (lock.status === 'used') return `installed exactly what ${lock.path} locks`
  const what = lock.status === 'written' ? 'wrote' : 'updated'
  return `${what} ${lock.path}: ${lock.changes.length} change${lock.changes.length === 1 ? '' : 's'}`
}
