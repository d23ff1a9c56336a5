/**
 * A build as GitHub's hosted runners run it: not as root. The files a build writes stay the
 * runner user's, so a package file its own mode makes unreadable (busybox-suid's 04111
 * /bin/bbsuid) must still be read back for the link check and the layer, while the image keeps
 * the package's mode. The built CLI runs as uid/gid 65534 (setpriv, needs root to switch), on
 * a copy of the real Alpine 3.19.1 repository in a folder that user owns.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { FIXTURES, haveShared, SHARED } from './support/shared.js'

const NOBODY = 65534
const isRoot = process.getuid?.() === 0
const sharedHere = haveShared('fixtures/real-alpine')
const haveSetpriv = spawnSync('setpriv', ['--version']).status === 0

let work: string

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-non-root-'))
})

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true })
})

/** Every entry of every layer of the tarball's image, as `tar -tvz` lists them. */
function layerListing(tarball: string): string {
  const layout = path.join(work, 'layout')
  fs.mkdirSync(layout)
  execFileSync('tar', ['-xf', tarball, '-C', layout])
  const blobs = path.join(layout, 'blobs', 'sha256')
  return fs
    .readdirSync(blobs)
    .map((blob) => spawnSync('tar', ['-tvzf', path.join(blobs, blob)], { encoding: 'utf8' }))
    .filter((listed) => listed.status === 0)
    .map((listed) => listed.stdout)
    .join('')
}

;(sharedHere && isRoot && haveSetpriv ? describe : describe.skip)('a build without root', () => {
  it('reads back a package file whose mode denies its owner, and keeps that mode in the image', () => {
    // Everything the unprivileged build reads or writes lives in a folder it owns: a CI clone
    // may sit under a folder other users cannot enter.
    const repo = path.join(work, 'repo')
    fs.cpSync(path.join(FIXTURES, 'real-alpine', 'v3.19.1'), repo, { recursive: true })
    fs.cpSync(path.join(SHARED, 'alpine-keys'), path.join(work, 'keys'), { recursive: true })
    fs.cpSync(path.resolve('dist/cli'), path.join(work, 'cli'), { recursive: true })
    const output = path.join(work, 'out', 'image.tar')
    fs.mkdirSync(path.dirname(output))
    execFileSync('chown', ['-R', `${NOBODY}:${NOBODY}`, work])

    const built = spawnSync(
      'setpriv',
      [
        `--reuid=${NOBODY}`,
        `--regid=${NOBODY}`,
        '--clear-groups',
        process.execPath,
        path.join(work, 'cli', 'index.js'),
        'build',
        '--repositories',
        repo,
        '--keys',
        path.join(work, 'keys'),
        '--fetch-alpine-keys',
        'false',
        '--arch',
        'x86_64',
        '--cache',
        'false',
        '--source-date-epoch',
        '1700000000',
        '--output',
        output,
        'busybox',
        'busybox-suid'
      ],
      {
        cwd: work,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, HOME: work, TMPDIR: work }
      }
    )
    expect(built.stderr).not.toMatch(/EACCES|witchery failed/)
    expect(built.status).toBe(0)
    expect(fs.statSync(output).uid).toBe(NOBODY)
    // The image has the package's 04111, owned by 0:0, whatever the disk had.
    expect(layerListing(output)).toMatch(/^---s--x--x 0\/0 .* bin\/bbsuid$/m)
  }, 120000)
})
