/**
 * The main job, offline: makes a signed APK repository from real binaries (Debian's musl loader,
 * a program compiled with musl-gcc, Debian's CA bundle), then builds a distroless image from it
 * with the same pipeline the action runs, and shows what came out.
 *
 *   bash scripts/setup && npm run demo
 */
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { build } from '../src/assemble/build.js'
import type { BuildSpec } from '../src/assemble/spec.js'
import { stderrLogger } from '../src/cli-log.js'
import { generateSigningKey, writeKeysDir } from '../__tests__/support/keys.js'
import { buildApk } from '../__tests__/support/apk-builder.js'
import { buildRepository } from '../__tests__/support/repo-builder.js'
import {
  baselayoutDataPackage,
  caBundlePackage,
  compileMusl,
  helloPackage,
  muslPackage
} from '../__tests__/support/packages.js'

const APP_SOURCE = `#include <stdio.h>
int main(void) { puts("hello from a witchery image"); return 0; }
`

async function main(): Promise<void> {
  const out = path.resolve('demo-output')
  fs.mkdirSync(out, { recursive: true })
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-demo-'))
  try {
    console.log('1. a signed APK repository from real binaries')
    const key = generateSigningKey()
    const keysDir = path.join(work, 'keys')
    writeKeysDir(keysDir, [key])
    const specs = [muslPackage(), helloPackage(), caBundlePackage(), baselayoutDataPackage()]
    const apks = specs.map((spec) => buildApk(spec, key))
    const repo = buildRepository(path.join(work, 'repo'), 'x86_64', apks, key, {
      description: 'witchery demo repository'
    })
    for (const apk of apks) console.log(`   ${apk.fileName}`)

    console.log('2. the app, compiled with musl-gcc')
    const app = compileMusl(APP_SOURCE, path.join(work, 'greet'))

    console.log('3. the image')
    const spec: BuildSpec = {
      packages: ['musl', 'ca-certificates-bundle'],
      app: { source: app, dest: '/usr/bin/greet' },
      arches: ['x86_64'],
      repositories: [repo.url],
      keyFiles: [],
      keyDirs: [keysDir],
      fetchAlpineKeys: false,
      allowUntrusted: false,
      image: {
        entrypoint: ['/usr/bin/greet'],
        env: [],
        user: 'nonroot',
        labels: { 'org.opencontainers.image.title': 'witchery demo' },
        annotations: {}
      },
      tags: ['witchery-demo:latest'],
      output: path.join(out, 'image.tar'),
      sourceDateEpoch: 1700000000,
      cacheDir: path.join(out, 'cache'),
      scripts: 'native',
      sbom: ['spdx', 'cyclonedx']
    }
    const result = await build(spec, { logger: stderrLogger() })
    console.log(`   tarball  ${result.tarball} (${result.size} bytes)`)
    console.log(`   digest   ${result.digest}`)
    console.log(`   image id ${result.imageId}`)
    for (const pkg of result.arches[0].packages) {
      console.log(`   package  ${pkg.name}-${pkg.version} (${pkg.license})`)
    }
    for (const layer of result.arches[0].layers) {
      console.log(`   layer    ${layer.digest} ${layer.size} bytes: ${layer.createdBy}`)
    }
    for (const sbom of result.sbom) {
      console.log(`   sbom     ${sbom.format} ${sbom.path} (referrer ${sbom.referrer})`)
    }

    console.log('4. checked by skopeo')
    try {
      const inspect = execFileSync('skopeo', ['inspect', `oci-archive:${result.tarball}:latest`], {
        encoding: 'utf8'
      })
      const parsed = JSON.parse(inspect) as { Digest: string; Architecture: string }
      console.log(`   skopeo sees ${parsed.Architecture} ${parsed.Digest}`)
    } catch (error) {
      console.log(`   (skopeo not available: ${(error as Error).message.split('\n')[0]})`)
    }
    console.log(
      `\npush it:  skopeo copy oci-archive:${result.tarball}:latest docker://REGISTRY/NAME:TAG`
    )
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
}

main().catch((error: Error) => {
  console.error(`demo failed: ${error.message}`)
  process.exit(1)
})
