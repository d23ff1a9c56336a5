/**
 * The build, as a short story: check the app, open the repositories and resolve the world for
 * every arch, let the caller restore caches, install each root, finish it, write the image.
 * Shared by the action and the CLI.
 */
import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { findArch, type ArchInfo } from '../arch.js'
import { makeDirs } from '../files.js'
import {
  type EngineOptions,
  installResolution,
  type Logger,
  newFetchStats,
  type OpenRepositories,
  openRepositories,
  type RepoPackage,
  type Resolution,
  resolveWorld
} from '../apk/engine.js'
import { scanDirectory, treeToLayerEntries } from '../oci/tree.js'
import { writeImage } from '../oci/image.js'
import type { PlatformImage } from '../oci/types.js'
import { checkApp } from './app.js'
import { BuildError } from './errors.js'
import { imageConfig } from './config.js'
import { alpineVersionFrom, finishRootfs } from './rootfs.js'
import type { ArchResult, BuildResult, BuildSpec, FetchSummary } from './spec.js'

export interface BuildOptions {
  logger: Logger
  /** Called once every arch is resolved, before any package is fetched. */
  onResolved?: (resolved: { arch: string; packages: RepoPackage[] }[]) => Promise<void>
  /** Engine settings a test or the CLI may override (transport, Alpine keys URL…). */
  engine?: Partial<EngineOptions>
}

interface ArchPlan {
  arch: ArchInfo
  repos: OpenRepositories
  resolution: Resolution
}

/** Fails fast, before any download, when the tarball could not be written where asked. */
async function checkOutput(output: string): Promise<void> {
  const probe = path.join(path.dirname(output), `.${path.basename(output)}.probe-${process.pid}`)
  try {
    await makeDirs(path.dirname(output))
    await fs.writeFile(probe, '', { flag: 'wx' })
    await fs.rm(probe, { force: true })
  } catch (error) {
    throw new BuildError(
      `cannot write the tarball '${output}': ${(error as Error).message}. Give a path in a ` +
        'writable folder (the workspace or RUNNER_TEMP).',
      'output'
    )
  }
}

export async function build(spec: BuildSpec, options: BuildOptions): Promise<BuildResult> {
  const { logger } = options
  const arches = spec.arches.map(archInfo)
  const musl = !leavesOutMusl(spec.packages)
  for (const arch of arches) {
    if (spec.app) await checkApp(appSource(spec.app.source, arch), arch, { musl })
  }
  await checkOutput(spec.output)

  const plans: ArchPlan[] = []
  for (const arch of arches) {
    logger.info(`${arch.apk}: reading ${spec.repositories.length} repositories`)
    const repos = await openRepositories(engineOptions(spec, arch.apk, options))
    const resolution = resolveWorld(repos, imageWorld(spec.packages))
    logger.info(`${arch.apk}: ${resolution.packages.length} packages resolved`)
    plans.push({ arch, repos, resolution })
  }
  await options.onResolved?.(
    plans.map((p) => ({ arch: p.arch.apk, packages: p.resolution.packages }))
  )

  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'witchery-'))
  try {
    const fetch = newFetchStats()
    const images: PlatformImage[] = []
    const perArch: Omit<ArchResult, 'manifestDigest' | 'configDigest' | 'layers'>[] = []
    for (const plan of plans) {
      const built = await buildArch(spec, plan, path.join(work, plan.arch.apk), options, fetch)
      images.push(built.image)
      perArch.push(built.record)
    }
    logger.info(`writing ${spec.output}`)
    const written = await writeImage({
      images,
      output: spec.output,
      tags: spec.tags,
      createdEpoch: spec.sourceDateEpoch,
      annotations: spec.image.annotations
    })
    const archResults: ArchResult[] = perArch.map((record, i) => ({
      ...record,
      manifestDigest: written.manifests[i].digest,
      configDigest: written.manifests[i].configDigest,
      layers: written.manifests[i].layers.map((layer, j) => ({
        digest: layer.digest,
        diffId: layer.diffId,
        size: layer.size,
        createdBy: images[i].layers[j].createdBy
      }))
    }))
    return {
      tarball: written.tarball,
      digest: written.digest,
      imageId: written.manifests[0].configDigest,
      size: written.size,
      tags: spec.tags,
      arches: archResults,
      fetch,
      warnings: archResults.flatMap((a) =>
        a.scriptsSkipped.length > 0
          ? [`${a.arch}: install scripts not run for ${a.scriptsSkipped.join(', ')}`]
          : []
      )
    }
  } finally {
    await fs.rm(work, { recursive: true, force: true })
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
  record: Omit<ArchResult, 'manifestDigest' | 'configDigest' | 'layers'>
}> {
  const { arch, repos, resolution } = plan
  const installed = await installResolution(
    root,
    repos,
    resolution,
    engineOptions(spec, arch.apk, options)
  )
  addFetchStats(fetch, installed.fetch)
  const description = repos.indexes.map((i) => i.description).find((d) => d) ?? ''
  await finishRootfs(root, installed.tree, {
    user: spec.image.user,
    alpineVersion: alpineVersionFrom(description, spec.repositories)
  })

  const layers = [
    {
      entries: treeToLayerEntries(root, installed.tree),
      createdBy: `witchery: apk add ${spec.packages.join(' ')}`,
      comment: `${installed.installed.length} Alpine packages`
    }
  ]
  if (spec.app) {
    const source = appSource(spec.app.source, arch)
    layers.push({
      entries: await scanDirectory(source, spec.app.dest.replace(/^\/+/, '')),
      createdBy: `witchery: COPY ${path.basename(source)} ${spec.app.dest}`,
      comment: 'app'
    })
  }
  const hasCaBundle = installed.tree.has('etc/ssl/certs/ca-certificates.crt')
  return {
    image: {
      platform: { architecture: arch.oci, os: 'linux', variant: arch.variant },
      layers,
      config: imageConfig(spec, { hasCaBundle }),
      annotations: spec.image.annotations
    },
    record: {
      arch: arch.apk,
      packages: installed.installed.map((p) => ({
        name: p.name,
        version: p.version,
        arch: p.arch ?? arch.apk,
        license: p.license,
        size: p.installedSize
      })),
      scriptsSkipped: installed.scriptsSkipped
    }
  }
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
    keyDirs: spec.keyDirs,
    keyFiles: spec.keyFiles,
    allowUntrusted: spec.allowUntrusted,
    fetchAlpineKeys: spec.fetchAlpineKeys,
    cacheDir: spec.cacheDir,
    sourceDateEpoch: spec.sourceDateEpoch,
    logger: options.logger,
    ...options.engine
  }
}

function addFetchStats(total: FetchSummary, add: Partial<FetchSummary>): void {
  for (const key of Object.keys(total) as (keyof FetchSummary)[]) {
    total[key] += add[key] ?? 0
  }
}
