/**
 * Feeds a RootInstaller in install order from package files that become ready in any order.
 */
import { InvalidArgumentError } from '../errors.js'
import { type ApkPackageFile, type RepoPackage } from '../types.js'
import type { RootInstaller } from './root-installer.js'

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
