/**
 * What installResolution (engine.ts) does, loaded when it is first called: the packages fetched
 * and verified while earlier ones install, in install order, into `root`.
 */
import type { EngineInstallResult, EngineOptions, InstallSources, Resolution } from '../engine.js'
import { makeWorkDir } from '../../temp.js'
import { PackageCache } from '../fetch/cache.js'
import { fetchPackages } from '../fetch/fetch-packages.js'
import type { HttpTransport } from '../fetch/transport.js'
import { silentLogger } from '../types.js'
import { InstallQueue } from './queue.js'
import { RootInstaller } from './root-installer.js'

/** Installs `resolution` into `root`, its packages fetched through `transport`. */
export async function installFetched(
  root: string,
  repos: InstallSources,
  resolution: Resolution,
  options: EngineOptions,
  transport: HttpTransport
): Promise<EngineInstallResult> {
  const logger = options.logger ?? silentLogger
  const fetch = repos.stats
  // The keys that signed the indexes go into etc/apk/keys, so apk in a derived image trusts them.
  const signers = [...new Set(repos.indexes.map((i) => i.signer).filter((s) => s !== undefined))]
  const keys = signers
    .map((name) => ({ name, pem: repos.keyring.pemOf(name) ?? '' }))
    .filter((k) => k.pem !== '')
  const installer = await RootInstaller.begin(root, {
    arch: repos.arch,
    world: resolution.world,
    repositories: repos.repositories,
    keys,
    tags: resolution.tags,
    sourceDateEpoch: options.sourceDateEpoch,
    scripts: options.scripts,
    logger
  })
  // Packages go in, in install order, while later ones are still downloading and verifying.
  const queue = new InstallQueue(installer, resolution.packages)
  // Large files stream here while they verify, and move into the root from here.
  const staging = await makeWorkDir('stage')
  try {
    await fetchPackages(resolution.packages, repos.repositories, repos.arch, {
      transport,
      cache: options.cacheDir ? new PackageCache(options.cacheDir) : undefined,
      concurrency: options.concurrency,
      logger,
      stats: fetch,
      staging: staging.dir,
      // Downloads wait while the verified packages not installed yet fill the memory window.
      admit: (pkg, signal) => queue.admit(pkg, signal),
      onVerified: (pkg, file) => queue.ready(pkg, file)
    })
    await queue.done()
    return { ...(await installer.finish()), fetch }
  } catch (error) {
    await queue.settled()
    await installer.abort()
    throw error
  } finally {
    await staging.release()
  }
}
