import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import { writeImage } from '../src/oci/image.js'
import { BLOCK } from '../src/oci/parallel-gzip.js'
import { scanDirectory } from '../src/oci/tree.js'
import { FIXTURES, haveShared } from './support/shared.js'

/**
 * Layer digests are what registries and users pin, so the bytes of a layer must not move unseen.
 * They depend on our tar writer, the compression scheme (blocks of BLOCK bytes deflated apart,
 * see parallel-gzip.ts) and the zlib that Node bundles. This pins one layer of real Alpine files
 * and the zlibs seen to make it: a change of any of them fails here. A zlib not listed fails
 * too, until someone runs this on it: if the digest holds, add it to the list; if not, layer
 * digests move with that Node, which CHANGELOG.md must say. Change the pins only on purpose,
 * with a note in CHANGELOG.md.
 */
const ZLIBS_OF_PINNED_DIGEST: Record<string, string> = {
  '1.3.1-e00f703': 'Node 20.20.2',
  '1.3.2.1-motley-285e94b': 'Node 24.22.3, which the action runs on'
}
const PINNED_DIGEST = 'sha256:936f0cc08dace65547f972e1dd7c50120976a98f025b36a134a19b6514eda766'
const PINNED_DIFF_ID = 'sha256:85957333ede10856de012289e85f316d91962d6bd3f5e1c31c5826afe1753abe'

const sharedHere = haveShared()
const PACKAGES = ['musl-1.2.4_git20230717-r4.apk', 'libcrypto3-3.1.4-r5.apk']

;(sharedHere ? describe : describe.skip)('layer bytes are pinned', () => {
  let work: string
  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-pin-'))
  })
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }))

  it('one layer of real Alpine files has the digest it had when the scheme was pinned', async () => {
    const root = path.join(work, 'root')
    fs.mkdirSync(root)
    for (const apk of PACKAGES) {
      const file = path.join(FIXTURES, 'real-alpine/v3.19.1/x86_64', apk)
      execFileSync('tar', ['-xzf', file, '-C', root, '--exclude=.*'], { stdio: 'pipe' })
    }
    const entries = await scanDirectory(root, '')
    const output = path.join(work, 'image.tar')
    const written = await writeImage({
      images: [
        {
          platform: { architecture: 'amd64', os: 'linux' },
          layers: [{ entries, createdBy: 'pin' }],
          config: {}
        }
      ],
      output,
      tags: ['pin:latest'],
      createdEpoch: 0
    })
    const layer = written.manifests[0].layers[0]
    // Several blocks, so the joins between blocks are pinned too.
    expect(layer.uncompressedSize).toBeGreaterThan(4 * BLOCK)
    // The zlib rides along, so a failure says which one made the bytes.
    expect({ zlib: process.versions.zlib, digest: layer.digest, diffId: layer.diffId }).toEqual({
      zlib: process.versions.zlib,
      digest: PINNED_DIGEST,
      diffId: PINNED_DIFF_ID
    })
    expect(Object.keys(ZLIBS_OF_PINNED_DIGEST)).toContain(process.versions.zlib)
    // And it is plain gzip: gunzip gives back the tar whose hash is the diff_id.
    const blob = execFileSync('tar', ['-xOf', output, `blobs/sha256/${layer.digest.slice(7)}`], {
      maxBuffer: 64 * 1024 * 1024
    })
    expect(zlib.gunzipSync(blob).length).toBe(layer.uncompressedSize)
  })
})
