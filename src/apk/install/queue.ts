/**
 * Feeds a RootInstaller in install order from package files that become ready in any order,
 * and holds back downloads while too much package data waits in memory.
 */
import { InvalidArgumentError } from '../errors.js'
import { inMemoryBudget, STREAM_ABOVE } from '../formats/package-file.js'
import { type ApkPackageFile, type RepoPackage } from '../types.js'
import type { RootInstaller } from './root-installer.js'
import { letGo } from '../../released-memory.js'

/**
 * The most package data (compressed files, and what they inflate to in memory) a build holds
 * between starting to fetch packages and installing them. Downloads wait for room, so a build's
 * memory does not grow with the number or size of its packages; a package that weighs more than
 * this on its own is fetched alone.
 */
export const MEMORY_WINDOW = 8 * 1024 * 1024

/**
 * What a package may hold in memory while it is fetched, verified and waits for its turn: its
 * file, and the data readApkPackageAsync keeps in memory (inMemoryBudget; more is staged).
 */
export function memoryWeight(pkg: RepoPackage): number {
  return Math.min(MEMORY_WINDOW, Math.max(0, pkg.size) + inMemoryBudget(pkg.installedSize))
}

interface Waiting {
  weight: number
  resolve: () => void
  reject: (error: unknown) => void
}

/**
 * Feeds an installer in install order from files that become ready in any order (downloads
 * finish as they finish). `admit` is awaited before each package is fetched, in install order;
 * `ready` is called once per package file; `done` waits for the rest.
 */
export class InstallQueue {
  private next = 0
  private readonly files = new Map<string, ApkPackageFile>()
  private chain: Promise<void> = Promise.resolve()
  /** Weight admitted and not installed yet, by package identity. */
  private readonly admitted = new Map<string, number>()
  private held = 0
  private readonly waiting: Waiting[] = []
  private failure: { error: unknown } | undefined

  constructor(
    private readonly installer: RootInstaller,
    private readonly order: RepoPackage[],
    private readonly window = MEMORY_WINDOW
  ) {
    this.kick()
  }

  /**
   * Resolves once `pkg` may be fetched: when what the packages admitted before it hold, plus
   * its own weight, fits the window (or nothing is held). Call it in install order: admissions
   * are granted first come, first served, so the package the installer waits for is never held
   * back behind a later one. Rejects once the install failed or `signal` aborts.
   */
  admit(pkg: RepoPackage, signal?: AbortSignal): Promise<void> {
    if (this.failure) return Promise.reject(this.failure.error)
    if (signal?.aborted) return Promise.reject(signal.reason)
    const weight = Math.min(this.window, memoryWeight(pkg))
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const at = this.waiting.indexOf(entry)
        if (at >= 0) this.waiting.splice(at, 1)
        reject(signal?.reason)
        this.grant()
      }
      const entry: Waiting = {
        weight,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort)
          this.admitted.set(pkg.checksum, (this.admitted.get(pkg.checksum) ?? 0) + weight)
          this.held += weight
          resolve()
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort)
          reject(error)
        }
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.waiting.push(entry)
      this.grant()
    })
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
    // Seen later by done(); until then the failure must not count as unhandled. Admissions
    // still waiting fail with it, so no download waits for room that will never come.
    this.chain.catch((error: unknown) => this.fail(error))
  }

  private async pump(): Promise<void> {
    while (this.next < this.order.length) {
      const pkg = this.order[this.next]
      const file = this.files.get(pkg.checksum)
      if (pkg.installedSize > 0 && !file) return
      this.next++
      // Installed packages' bytes are on disk: letting go of the file frees its memory.
      this.files.delete(pkg.checksum)
      await this.installer.add({ pkg, file })
      this.release(pkg)
      // Its compressed and inflated bytes went through memory whole (a larger package's pieces
      // are counted as they pass).
      if (pkg.installedSize <= STREAM_ABOVE) letGo(pkg.size + pkg.installedSize)
    }
  }

  private release(pkg: RepoPackage): void {
    const weight = this.admitted.get(pkg.checksum)
    if (weight === undefined) return
    this.admitted.delete(pkg.checksum)
    this.held -= weight
    this.grant()
  }

  /** Admits waiting packages in order while the first of them fits. */
  private grant(): void {
    while (this.waiting.length > 0) {
      const first = this.waiting[0]
      if (this.held > 0 && this.held + first.weight > this.window) return
      this.waiting.shift()
      first.resolve()
    }
  }

  private fail(error: unknown): void {
    this.failure ??= { error }
    for (const entry of this.waiting.splice(0)) entry.reject(this.failure.error)
  }
}
