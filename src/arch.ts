/**
 * The one table of architectures: Alpine's names, OCI platform names, the musl loader
 * and the ELF machine number of each. Shared by the engine, the image writer and the action.
 */

export interface ArchInfo {
  /** Alpine's name (`apk --arch`, the repository folder). */
  apk: string
  /** OCI `architecture`. */
  oci: string
  /** OCI `variant`, where the platform needs one. */
  variant?: string
  /** File name of musl's dynamic loader, under /lib. */
  muslLoader: string
  /** ELF e_machine of binaries for this arch. */
  elfMachine: number
  /** ELF class: 1 = 32-bit, 2 = 64-bit. */
  elfClass: 1 | 2
}

export const ARCHES: readonly ArchInfo[] = [
  { apk: 'x86_64', oci: 'amd64', muslLoader: 'ld-musl-x86_64.so.1', elfMachine: 62, elfClass: 2 },
  { apk: 'x86', oci: '386', muslLoader: 'ld-musl-i386.so.1', elfMachine: 3, elfClass: 1 },
  {
    apk: 'aarch64',
    oci: 'arm64',
    variant: 'v8',
    muslLoader: 'ld-musl-aarch64.so.1',
    elfMachine: 183,
    elfClass: 2
  },
  {
    apk: 'armv7',
    oci: 'arm',
    variant: 'v7',
    muslLoader: 'ld-musl-armhf.so.1',
    elfMachine: 40,
    elfClass: 1
  },
  {
    apk: 'armhf',
    oci: 'arm',
    variant: 'v6',
    muslLoader: 'ld-musl-armhf.so.1',
    elfMachine: 40,
    elfClass: 1
  },
  {
    apk: 'ppc64le',
    oci: 'ppc64le',
    muslLoader: 'ld-musl-powerpc64le.so.1',
    elfMachine: 21,
    elfClass: 2
  },
  { apk: 's390x', oci: 's390x', muslLoader: 'ld-musl-s390x.so.1', elfMachine: 22, elfClass: 2 },
  {
    apk: 'riscv64',
    oci: 'riscv64',
    muslLoader: 'ld-musl-riscv64.so.1',
    elfMachine: 243,
    elfClass: 2
  },
  {
    apk: 'loongarch64',
    oci: 'loong64',
    muslLoader: 'ld-musl-loongarch64.so.1',
    elfMachine: 258,
    elfClass: 2
  }
]

/** Node's `process.arch` → Alpine arch, for the "runner's arch" default. */
const NODE_ARCH: Record<string, string> = {
  x64: 'x86_64',
  ia32: 'x86',
  arm64: 'aarch64',
  arm: 'armv7',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loongarch64'
}

/**
 * Looks an arch up by Alpine name, or by OCI name (`amd64`, `arm64`, `linux/arm/v7`).
 * Returns undefined for an unknown name.
 */
export function findArch(name: string): ArchInfo | undefined {
  const n = name.trim().replace(/^linux\//, '')
  const byApk = ARCHES.find((a) => a.apk === n)
  if (byApk) return byApk
  const [oci, variant] = n.split('/')
  return ARCHES.find(
    (a) =>
      a.oci === oci && (variant === undefined || a.variant === variant || (!a.variant && !variant))
  )
}

/** The Alpine arch of the machine this runs on. */
export function hostArch(): string {
  return NODE_ARCH[process.arch] ?? process.arch
}

export function archNames(): string {
  return ARCHES.map((a) => a.apk).join(', ')
}
