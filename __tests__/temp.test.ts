import { jest } from '@jest/globals'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {
  FOREIGN_STALE_MS,
  makeWorkDir,
  owner,
  OWNER_SOURCE,
  removeStale,
  removeTree
} from '../src/temp.js'

describe('work folders', () => {
  let runnerTemp: string
  const saved = process.env.RUNNER_TEMP

  beforeEach(() => {
    runnerTemp = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-temp-test-'))
    process.env.RUNNER_TEMP = runnerTemp
  })

  afterEach(() => {
    if (saved === undefined) delete process.env.RUNNER_TEMP
    else process.env.RUNNER_TEMP = saved
    fs.rmSync(runnerTemp, { recursive: true, force: true })
  })

  it('exist only with the signal handlers on, from the moment makeWorkDir is called', async () => {
    const before = { int: process.listenerCount('SIGINT'), term: process.listenerCount('SIGTERM') }
    // Not awaited: what a signal arriving right now would find.
    const made = makeWorkDir('build')
    const present = fs.readdirSync(runnerTemp)
    expect(present).toHaveLength(1)
    expect(present[0]).toMatch(new RegExp(`^witchery-build-${owner()}-`))
    expect(process.listenerCount('SIGINT')).toBe(before.int + 1)
    expect(process.listenerCount('SIGTERM')).toBe(before.term + 1)
    const { dir, release } = await made
    expect(fs.statSync(dir).isDirectory()).toBe(true)
    await release()
    expect(fs.existsSync(dir)).toBe(false)
    expect(process.listenerCount('SIGINT')).toBe(before.int)
    expect(process.listenerCount('SIGTERM')).toBe(before.term)
  })

  it('are removed whole, never through a symlink a package left in them', async () => {
    // What a hostile package may leave in a root: links to a folder and a file outside it, a
    // folder without write permission (as root, the installer's user in CI; another user could
    // not empty it with any removal), and many entries in one folder.
    const outside = path.join(runnerTemp, 'outside')
    fs.mkdirSync(outside)
    fs.writeFileSync(path.join(outside, 'keep.txt'), 'kept')
    const { dir, release } = await makeWorkDir('build')
    const root = path.join(dir, 'root')
    fs.mkdirSync(path.join(root, 'usr', 'share', 'many'), { recursive: true })
    for (let i = 0; i < 2000; i++) {
      fs.writeFileSync(path.join(root, 'usr', 'share', 'many', `file-${i}.txt`), `${i}\n`)
    }
    fs.symlinkSync(outside, path.join(root, 'etc'))
    fs.symlinkSync(path.join(outside, 'keep.txt'), path.join(root, 'usr', 'keep.txt'))
    fs.mkdirSync(path.join(root, 'locked'))
    fs.writeFileSync(path.join(root, 'locked', 'inner'), 'x')
    fs.chmodSync(path.join(root, 'locked'), 0o555)
    if (process.getuid?.() !== 0) fs.chmodSync(path.join(root, 'locked'), 0o755)
    await release()
    expect(fs.existsSync(dir)).toBe(false)
    expect(fs.readdirSync(outside)).toEqual(['keep.txt'])
    expect(fs.readFileSync(path.join(outside, 'keep.txt'), 'utf8')).toBe('kept')
    // A missing path is nothing to do.
    expect(() => removeTree(dir)).not.toThrow()
  })

  it('take their handlers off again when the folder cannot be made', async () => {
    const before = process.listenerCount('SIGTERM')
    process.env.RUNNER_TEMP = path.join(runnerTemp, 'missing', 'deeper')
    await expect(makeWorkDir('build')).rejects.toThrow(
      /^cannot make a work folder in .*missing\/deeper \(RUNNER_TEMP\): ENOENT.*Point RUNNER_TEMP \(or TMPDIR\) at a folder that exists/
    )
    expect(process.listenerCount('SIGTERM')).toBe(before)
  })

  it("removes what dead runs left, and not a live run's", () => {
    // Beyond Linux's largest process id: no such process runs.
    const dead = path.join(runnerTemp, 'witchery-build-99999999-abc123')
    const mine = path.join(runnerTemp, `witchery-build-${process.pid}-def456`)
    fs.mkdirSync(dead)
    fs.mkdirSync(mine)
    expect(removeStale(runnerTemp, /^witchery-build-(\d+)-/)).toEqual([dead])
    expect(fs.readdirSync(runnerTemp)).toEqual([path.basename(mine)])
  })

  // Containers sharing a /tmp each number their processes from 1: a live build of another one,
  // whose process id ran nothing here, had its folder removed under it.
  it('names its PID namespace, and leaves a live folder of another one', () => {
    const ns = /^pid:\[(\d+)\]$/.exec(fs.readlinkSync('/proc/self/ns/pid'))?.[1]
    expect(owner()).toBe(`${process.pid}_${ns}`)
    const pattern = new RegExp(`^witchery-build-${OWNER_SOURCE}-`)
    const name = (pid: number, namespace?: string) =>
      path.join(runnerTemp, `witchery-build-${pid}${namespace ? `_${namespace}` : ''}-abc123`)
    const dead = 99999999
    const otherNs = String(Number(ns) + 1)
    const entries = {
      deadHere: name(dead, ns),
      liveHere: name(process.pid, ns),
      // A name without a namespace: an earlier version's, judged by its process id as before.
      deadUnnamed: name(dead),
      foreignFresh: name(dead, otherNs),
      // One of another namespace whose id runs here: only its age counts.
      foreignOld: name(process.pid, otherNs),
      foreignNearlyOld: name(dead, `${otherNs}1`)
    }
    for (const dir of Object.values(entries)) fs.mkdirSync(dir)
    const at = (ms: number) => new Date(Date.now() - ms)
    fs.utimesSync(entries.foreignOld, at(FOREIGN_STALE_MS + 60_000), at(FOREIGN_STALE_MS + 60_000))
    fs.utimesSync(
      entries.foreignNearlyOld,
      at(FOREIGN_STALE_MS - 60_000),
      at(FOREIGN_STALE_MS - 60_000)
    )
    expect(removeStale(runnerTemp, pattern).sort()).toEqual(
      [entries.deadHere, entries.deadUnnamed, entries.foreignOld].sort()
    )
    expect(fs.readdirSync(runnerTemp).sort()).toEqual(
      [entries.liveHere, entries.foreignFresh, entries.foreignNearlyOld]
        .map((e) => path.basename(e))
        .sort()
    )
  })

  it('keeps the times of its live folders current while they are live', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'hrtime'] })
    try {
      const { dir, release } = await makeWorkDir('build')
      const old = new Date(Date.now() - FOREIGN_STALE_MS * 2)
      fs.utimesSync(dir, old, old)
      jest.advanceTimersByTime(5 * 60 * 1000)
      // The times are set asynchronously, on the thread pool: waited for by the real clock
      // (hrtime, left real), as a busy machine takes its time.
      const deadline = process.hrtime.bigint() + 10_000_000_000n
      while (fs.statSync(dir).mtimeMs < Date.now() - 60_000 && process.hrtime.bigint() < deadline) {
        await new Promise((resolve) => setImmediate(resolve))
      }
      expect(Date.now() - fs.statSync(dir).mtimeMs).toBeLessThan(60_000)
      await release()
    } finally {
      jest.useRealTimers()
    }
  }, 30_000)

  // In a shared /tmp, another user's left folder failed every build with a raw EACCES.
  ;(process.getuid?.() === 0 ? it : it.skip)("leaves another user's, whatever pid it names", () => {
    const theirs = path.join(runnerTemp, 'witchery-build-99999998-abc123')
    fs.mkdirSync(path.join(theirs, 'inner'), { recursive: true })
    fs.chownSync(theirs, 65534, 65534)
    expect(removeStale(runnerTemp, /^witchery-build-(\d+)-/)).toEqual([])
    expect(fs.existsSync(path.join(theirs, 'inner'))).toBe(true)
  })
})
