/**
 * The lock through the action as the runner runs it (dist/index.js), with the real
 * @actions/cache against a loopback cache service: each run has a fresh RUNNER_TEMP, so a
 * locked package the mirror has dropped can only come from the Actions cache entry the lock's
 * key restores.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { buildApk } from './support/apk-builder.js'
import { startCacheService, type CacheService } from './support/cache-service.js'
import { startServer, type TestServer } from './support/http-server.js'
import { generateSigningKey, writeKeysDir } from './support/keys.js'
import { baselayoutDataPackage, helloPackage, muslPackage } from './support/packages.js'
import { buildRepository } from './support/repo-builder.js'
import { runAction, type RunActionResult } from './support/run-action.js'

const DIST = path.resolve('dist/index.js')

let work: string
let server: TestServer
let cache: CacheService
let keysDir: string
let repoA: string
let repoB: string

function tmp(name: string): string {
  return path.join(work, name)
}

function serve(repo: string): void {
  fs.rmSync(tmp('mirror/x86_64'), { recursive: true, force: true })
  fs.cpSync(path.join(repo, 'x86_64'), tmp('mirror/x86_64'), { recursive: true })
}

async function run(name: string, inputs: Record<string, string> = {}): Promise<RunActionResult> {
  const result = await runAction(DIST, {
    inputs: {
      packages: 'hello',
      repositories: server.url,
      keys: keysDir,
      'fetch-alpine-keys': 'false',
      arch: 'x86_64',
      cache: 'true',
      'source-date-epoch': '1750000000',
      tags: 'localhost/witchery-lock:1.0',
      output: tmp(`out/${name}.tar`),
      lock: tmp('repo-checkout/witchery.lock.json'),
      ...inputs
    },
    env: { ...cache.env(), RUNNER_TEMP: tmp(`runner-${name}`) }
  })
  expect(result.stdout).not.toMatch(/::error/)
  expect(result.code).toBe(0)
  return result
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-e2e-lock-'))
  const key = generateSigningKey()
  keysDir = tmp('keys')
  writeKeysDir(keysDir, [key])
  const common = [muslPackage(), baselayoutDataPackage()].map((s) => buildApk(s, key))
  const a = [...common, buildApk(helloPackage('1.0-r0'), key)]
  const b = [...common, buildApk(helloPackage('1.1-r0'), key)]
  repoA = buildRepository(tmp('repo-a'), 'x86_64', a, key, { description: 'v3.22.1-0-a' }).url
  repoB = buildRepository(tmp('repo-b'), 'x86_64', b, key, { description: 'v3.22.2-0-b' }).url
  fs.mkdirSync(tmp('mirror'))
  serve(repoA)
  server = await startServer({ root: tmp('mirror') })
  cache = await startCacheService()
}, 120000)

afterAll(async () => {
  await server?.close()
  await cache?.close()
  if (work) fs.rmSync(work, { recursive: true, force: true })
})

describe('the action with a lock file and the Actions cache', () => {
  it('writes the lock, pins it from the cache after the mirror moved on, and updates it', async () => {
    serve(repoA)
    const first = await run('first')
    const added = JSON.parse(first.outputs['lock-changes']) as { name: string; change: string }[]
    expect(added.map((c) => `${c.name}:${c.change}`)).toEqual([
      'alpine-baselayout-data:added',
      'hello:added',
      'musl:added'
    ])
    expect(first.summary).toContain('<h3>Lock</h3>')
    expect(JSON.parse(first.outputs.metadata).lock.status).toBe('written')
    const lock = fs.readFileSync(tmp('repo-checkout/witchery.lock.json'), 'utf8')
    expect(lock).toMatch(/"name":"hello","version":"1\.0-r0"/)

    // hello 1.0 is gone from the mirror; a fresh runner has only the Actions cache.
    serve(repoB)
    const pinned = await run('pinned')
    expect(pinned.outputs.digest).toBe(first.outputs.digest)
    expect(pinned.outputs['cache-hit']).toBe('true')
    expect(pinned.outputs['lock-changes']).toBe('[]')
    expect(pinned.stdout).toMatch(/::warning.*hello-1\.0-r0 is no longer in/)
    expect(fs.readFileSync(tmp('repo-checkout/witchery.lock.json'), 'utf8')).toBe(lock)

    const updated = await run('updated', { 'lock-update': 'true' })
    expect(JSON.parse(updated.outputs['lock-changes'])).toEqual([
      { arch: 'x86_64', name: 'hello', change: 'upgraded', from: '1.0-r0', to: '1.1-r0' }
    ])
    expect(updated.summary).toMatch(/<td>hello<\/td><td>upgraded<\/td>/)
    expect(updated.outputs.digest).not.toBe(first.outputs.digest)
    expect(fs.readFileSync(tmp('repo-checkout/witchery.lock.json'), 'utf8')).toMatch(
      /"name":"hello","version":"1\.1-r0"/
    )
  }, 240000)
})
