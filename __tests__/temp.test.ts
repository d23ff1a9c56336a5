import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { makeWorkDir, removeStale } from '../src/temp.js'

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
    expect(present[0]).toMatch(new RegExp(`^witchery-build-${process.pid}-`))
    expect(process.listenerCount('SIGINT')).toBe(before.int + 1)
    expect(process.listenerCount('SIGTERM')).toBe(before.term + 1)
    const { dir, release } = await made
    expect(fs.statSync(dir).isDirectory()).toBe(true)
    await release()
    expect(fs.existsSync(dir)).toBe(false)
    expect(process.listenerCount('SIGINT')).toBe(before.int)
    expect(process.listenerCount('SIGTERM')).toBe(before.term)
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

  // In a shared /tmp, another user's left folder failed every build with a raw EACCES.
  ;(process.getuid?.() === 0 ? it : it.skip)("leaves another user's, whatever pid it names", () => {
    const theirs = path.join(runnerTemp, 'witchery-build-99999998-abc123')
    fs.mkdirSync(path.join(theirs, 'inner'), { recursive: true })
    fs.chownSync(theirs, 65534, 65534)
    expect(removeStale(runnerTemp, /^witchery-build-(\d+)-/)).toEqual([])
    expect(fs.existsSync(path.join(theirs, 'inner'))).toBe(true)
  })
})
