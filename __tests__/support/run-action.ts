/**
 * Runs an action entry (normally dist/index.js) the way the runner does: a child node process
 * with INPUT_* variables (action.yml's defaults applied), GITHUB_OUTPUT / GITHUB_STATE /
 * GITHUB_ENV / GITHUB_PATH / GITHUB_STEP_SUMMARY files, RUNNER_TEMP and a workspace. Spawned
 * asynchronously: a fake service living in the test process must keep answering meanwhile.
 */
import { spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { parse } from 'yaml'

export interface ActionInputSpec {
  description: string
  required: boolean
  default?: string
}

export interface ActionYml {
  inputs: Record<string, ActionInputSpec>
  outputs: Record<string, { description: string }>
}

/** The `inputs:` and `outputs:` of an action.yml, read with a YAML parser. */
export function readActionYml(file = path.resolve('action.yml')): ActionYml {
  const raw = parse(fs.readFileSync(file, 'utf8')) as {
    inputs?: Record<string, { description?: string; required?: boolean; default?: string }>
    outputs?: Record<string, { description?: string }>
  }
  const inputs: Record<string, ActionInputSpec> = {}
  for (const [name, p] of Object.entries(raw.inputs ?? {})) {
    inputs[name] = {
      description: p.description ?? '',
      required: p.required === true,
      default: p.default
    }
  }
  const outputs: Record<string, { description: string }> = {}
  for (const [name, p] of Object.entries(raw.outputs ?? {}))
    outputs[name] = { description: p.description ?? '' }
  return { inputs, outputs }
}

export interface RunActionOptions {
  /** Inputs by their action.yml name (hyphens kept), as `with:` gives them. */
  inputs?: Record<string, string>
  /** Extra environment; overrides the runner-like defaults (e.g. RUNNER_TEMP, cache service). */
  env?: Record<string, string>
  /** STATE_* values, for a post step. */
  state?: Record<string, string>
  /** Node binary (default: this process's). */
  node?: string
  /** action.yml whose defaults apply (default: ./action.yml). */
  actionYml?: string
  timeoutMs?: number
}

export interface RunActionResult {
  code: number
  outputs: Record<string, string>
  state: Record<string, string>
  summary: string
  stdout: string
  stderr: string
  /** Workflow command lines (`::error …`, `::group::…`) the step printed. */
  commands: string[]
  /** The temp folder holding workspace, runner temp and the command files. */
  dir: string
}

/** Parses `name<<DELIM\nvalue\nDELIM` blocks (and plain `name=value` lines) of a command file. */
export function parseCommandFile(text: string): Record<string, string> {
  const values: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^=<]+)<<(.+)$/.exec(lines[i])
    if (heredoc) {
      const end = lines.indexOf(heredoc[2], i + 1)
      if (end < 0) throw new Error(`unterminated ${heredoc[1]}<<${heredoc[2]} in command file`)
      values[heredoc[1]] = lines.slice(i + 1, end).join('\n')
      i = end
    } else if (lines[i].includes('=')) {
      const eq = lines[i].indexOf('=')
      values[lines[i].slice(0, eq)] = lines[i].slice(eq + 1)
    }
  }
  return values
}

/** Every runner folder a test file made, removed once its tests are done (the bench removes its own). */
const runnerDirs: string[] = []
if (typeof afterAll === 'function') {
  afterAll(() => {
    for (const dir of runnerDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
  })
}

/** The parent's environment minus anything a runner sets, so nothing leaks into the step. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined) continue
    if (/^(INPUT_|STATE_|GITHUB_|RUNNER_|ACTIONS_)/.test(name)) continue
    if (name === 'SOURCE_DATE_EPOCH' || name === 'CI' || name === 'NODE_OPTIONS') continue
    env[name] = value
  }
  return env
}

/**
 * The environment the runner gives an action's process, with its command files, workspace and
 * temporary folders made in a new folder (`dir`): INPUT_* (action.yml's defaults, then
 * `options.inputs`), STATE_*, then `options.env`.
 */
export function runnerEnv(options: RunActionOptions = {}): {
  env: Record<string, string>
  dir: string
} {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-run-'))
  runnerDirs.push(dir)
  const file = (name: string) => path.join(dir, name)
  for (const name of ['output', 'state', 'env', 'path', 'summary']) fs.writeFileSync(file(name), '')
  for (const name of ['workspace', 'temp', 'tool-cache']) fs.mkdirSync(file(name))

  const env: Record<string, string> = {
    ...baseEnv(),
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_OUTPUT: file('output'),
    GITHUB_STATE: file('state'),
    GITHUB_ENV: file('env'),
    GITHUB_PATH: file('path'),
    GITHUB_STEP_SUMMARY: file('summary'),
    GITHUB_WORKSPACE: file('workspace'),
    GITHUB_REPOSITORY: 'witchery-dev/example-app',
    GITHUB_REPOSITORY_OWNER: 'witchery-dev',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: 'https://api.github.com',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_EVENT_NAME: 'push',
    GITHUB_WORKFLOW: 'image',
    GITHUB_JOB: 'image',
    GITHUB_RUN_ID: '1',
    GITHUB_RUN_NUMBER: '1',
    GITHUB_ACTION: 'witchery',
    GITHUB_ACTOR: 'octocat',
    RUNNER_TEMP: file('temp'),
    RUNNER_TOOL_CACHE: file('tool-cache'),
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: process.arch === 'arm64' ? 'ARM64' : 'X64',
    RUNNER_NAME: 'witchery-test-runner'
  }
  const yml = readActionYml(options.actionYml)
  const inputs: Record<string, string> = {}
  for (const [name, spec] of Object.entries(yml.inputs)) {
    if (spec.default !== undefined) inputs[name] = spec.default
  }
  Object.assign(inputs, options.inputs)
  for (const [name, value] of Object.entries(inputs)) {
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  }
  for (const [name, value] of Object.entries(options.state ?? {})) env[`STATE_${name}`] = value
  Object.assign(env, options.env)
  return { env, dir }
}

export async function runAction(
  entry: string,
  options: RunActionOptions = {}
): Promise<RunActionResult> {
  const { env, dir } = runnerEnv(options)
  const file = (name: string) => path.join(dir, name)
  const { code, stdout, stderr } = await spawnNode(options.node ?? process.execPath, entry, {
    env,
    cwd: env.GITHUB_WORKSPACE,
    timeoutMs: options.timeoutMs ?? 300_000
  })
  return {
    code,
    outputs: parseCommandFile(fs.readFileSync(file('output'), 'utf8')),
    state: parseCommandFile(fs.readFileSync(file('state'), 'utf8')),
    summary: fs.readFileSync(file('summary'), 'utf8'),
    stdout,
    stderr,
    commands: stdout.split('\n').filter((line) => line.startsWith('::')),
    dir
  }
}

function spawnNode(
  node: string,
  entry: string,
  options: { env: Record<string, string>; cwd: string; timeoutMs: number }
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, [entry], {
      env: options.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const stderr = Buffer.concat(err).toString('utf8')
      resolve({
        code: code ?? 128,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: signal ? `${stderr}\n[killed by ${signal}]` : stderr
      })
    })
  })
}
