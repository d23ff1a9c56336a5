/**
 * The runner-like harness (support/run-action.ts) that the end-to-end tests drive dist/ with,
 * checked on a tiny action script that uses the real @actions/core.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseCommandFile, readActionYml, runAction } from './support/run-action.js'

let work: string
let script: string

const SCRIPT = (coreUrl: string) => `
import * as core from '${coreUrl}'
const inputs = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('INPUT_')))
core.setOutput('inputs', JSON.stringify(inputs))
core.setOutput('multi', 'line one\\nline two')
core.setOutput('context', JSON.stringify({
  cwd: process.cwd(),
  workspace: process.env.GITHUB_WORKSPACE,
  temp: process.env.RUNNER_TEMP,
  actions: process.env.GITHUB_ACTIONS,
  results: process.env.ACTIONS_RESULTS_URL ?? null,
  epoch: process.env.SOURCE_DATE_EPOCH ?? null,
  nodeOptions: process.env.NODE_OPTIONS ?? null,
  phase: core.getState('phase')
}))
core.saveState('phase', 'main')
core.warning('careful', { title: 'T' })
core.startGroup('g')
core.info('inside')
core.endGroup()
process.stderr.write('to stderr\\n')
await core.summary.addHeading('Hello summary').write()
if (core.getInput('fail') === 'true') core.setFailed('it broke')
`

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-harness-'))
  script = path.join(work, 'action.mjs')
  const coreUrl = pathToFileURL(path.resolve('node_modules/@actions/core/lib/core.js')).href
  fs.writeFileSync(script, SCRIPT(coreUrl))
})

afterAll(() => fs.rmSync(work, { recursive: true, force: true }))

describe('runAction', () => {
  it('runs a step like the runner: inputs with action.yml defaults, files, outputs, summary', async () => {
    const saved = { ...process.env }
    // Variables of the process running the tests must not leak into the step.
    process.env.ACTIONS_RESULTS_URL = 'http://leak.example/'
    process.env.SOURCE_DATE_EPOCH = '1'
    try {
      const run = await runAction(script, {
        inputs: { packages: 'curl', cache: 'false' },
        state: { phase: 'pre' },
        env: { RUNNER_TEMP: path.join(work, 'custom-temp') }
      })
      expect(run.stderr).toBe('to stderr\n')
      expect(run.code).toBe(0)

      const inputs = JSON.parse(run.outputs.inputs) as Record<string, string>
      const yml = readActionYml()
      const expected: Record<string, string> = {}
      for (const [name, spec] of Object.entries(yml.inputs)) {
        if (spec.default !== undefined) expected[`INPUT_${name.toUpperCase()}`] = spec.default
      }
      Object.assign(expected, { INPUT_PACKAGES: 'curl', INPUT_CACHE: 'false' })
      expect(inputs).toEqual(expected)
      expect(inputs['INPUT_FETCH-ALPINE-KEYS']).toBe('true')

      expect(run.outputs.multi).toBe('line one\nline two')
      const context = JSON.parse(run.outputs.context)
      expect(context).toEqual({
        cwd: path.join(run.dir, 'workspace'),
        workspace: path.join(run.dir, 'workspace'),
        temp: path.join(work, 'custom-temp'),
        actions: 'true',
        results: null,
        epoch: null,
        nodeOptions: null,
        phase: 'pre'
      })
      expect(run.state).toEqual({ phase: 'main' })
      expect(run.summary).toBe('<h1>Hello summary</h1>\n')
      expect(run.commands).toEqual(['::warning title=T::careful', '::group::g', '::endgroup::'])
      expect(run.stdout).toContain('inside\n')
      fs.rmSync(run.dir, { recursive: true })
    } finally {
      for (const name of ['ACTIONS_RESULTS_URL', 'SOURCE_DATE_EPOCH']) {
        if (saved[name] === undefined) delete process.env[name]
        else process.env[name] = saved[name]
      }
    }
  })

  it('reports a failed step with its exit code and error command', async () => {
    const run = await runAction(script, {
      inputs: { packages: 'curl', fail: 'true' },
      node: process.execPath
    })
    expect(run.code).toBe(1)
    expect(run.commands).toContain('::error::it broke')
    fs.rmSync(run.dir, { recursive: true })
  })

  it('kills a step that runs past its time limit', async () => {
    const hang = path.join(work, 'hang.mjs')
    fs.writeFileSync(hang, 'setInterval(() => {}, 1000)\n')
    const run = await runAction(hang, { timeoutMs: 300 })
    expect(run.code).not.toBe(0)
    expect(run.stderr).toContain('[killed by SIGKILL]')
    fs.rmSync(run.dir, { recursive: true })
  })
})

describe('parseCommandFile', () => {
  it('reads heredoc blocks, including empty and multi-line values, and plain lines', () => {
    const text =
      'a<<ghadelimiter_1\nx\nghadelimiter_1\n' +
      'b<<ghadelimiter_2\n\nghadelimiter_2\n' +
      'c<<EOF\none\ntwo\nEOF\n' +
      'd=plain=value\n'
    expect(parseCommandFile(text)).toEqual({ a: 'x', b: '', c: 'one\ntwo', d: 'plain=value' })
  })

  it('refuses an unterminated block', () => {
    expect(() => parseCommandFile('a<<EOF\nx\n')).toThrow(/unterminated a<<EOF/)
  })
})

describe('readActionYml', () => {
  it('reads folded descriptions, quoted defaults and required flags', () => {
    const file = path.join(work, 'action.yml')
    fs.writeFileSync(
      file,
      [
        'name: x',
        'inputs:',
        '  one:',
        '    description: >-',
        '      first line',
        '      second line',
        '    required: true',
        '  two:',
        '    description: plain',
        "    default: 'it''s'",
        '  three:',
        '    description: "quoted: yes"',
        '    default: "a\\tb"',
        'outputs:',
        '  out:',
        '    description: an output',
        'runs:',
        '  using: node24',
        ''
      ].join('\n')
    )
    expect(readActionYml(file)).toEqual({
      inputs: {
        one: { description: 'first line second line', required: true, default: undefined },
        two: { description: 'plain', required: false, default: "it's" },
        three: { description: 'quoted: yes', required: false, default: 'a\tb' }
      },
      outputs: { out: { description: 'an output' } }
    })
  })
})
