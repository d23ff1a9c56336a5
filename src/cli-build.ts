/**
 * `witchery build`: the action's inputs as command-line options of the same names
 * (`--app-dest /app`, `--tags a:1 --tags a:latest`), parsed and validated by the very code the
 * action uses. Positional arguments are added to `packages`.
 */
import { execFile } from 'node:child_process'
import { parseArgs } from 'node:util'
import {
  commitTimeArgs,
  commitTimeWarning,
  parseCommitTime,
  type CommitTimeReader
} from './assemble/commit-time.js'
import {
  INPUTS,
  needsCommitEpoch,
  readInputs,
  type InputDefinition,
  type InputName
} from './assemble/inputs.js'
import { InputError } from './assemble/errors.js'
import type { Logger } from './apk/engine.js'
import { build } from './assemble/build.js'
import { output } from './cli-output.js'

type Flags = Record<string, { type: 'string'; multiple: true }>

/** Inputs that take true/false: on the command line also bare flags, like `install`'s. */
const BOOLEAN_INPUTS = new Set<string>([
  'allow-untrusted',
  'fetch-alpine-keys',
  'cache',
  'lock-update',
  'elf-needs'
])

function flags(): Flags {
  const out: Flags = { 'cache-dir': { type: 'string', multiple: true } }
  for (const name of Object.keys(INPUTS)) out[name] = { type: 'string', multiple: true }
  return out
}

/**
 * Words after a bare boolean option that read as an attempt at its value rather than a package
 * (`--cache maybe`, `--cache no`): taken as the value, so the input check refuses them (exit 2)
 * instead of a build that looks for a package named `maybe`.
 */
const BOOLEAN_LOOKALIKES = /^(?:yes|no|y|n|on|off|t|f|1|0|enabled?|disabled?|maybe|none|null)$/i

/**
 * `--allow-untrusted` alone means true; `--allow-untrusted false` and `--allow-untrusted=false`
 * still work. Rewritten to the `=` form so parseArgs never takes a package as the value.
 */
export function expandBooleanFlags(argv: string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--') {
      out.push(...argv.slice(i))
      break
    }
    const name = arg.startsWith('--') ? arg.slice(2) : ''
    if (!BOOLEAN_INPUTS.has(name)) {
      out.push(arg)
    } else if (
      /^(?:true|false)$/i.test(argv[i + 1] ?? '') ||
      BOOLEAN_LOOKALIKES.test(argv[i + 1] ?? '')
    ) {
      out.push(`${arg}=${argv[++i]}`)
    } else {
      out.push(`${arg}=true`)
    }
  }
  return out
}

function parse(argv: string[]) {
  return parseArgs({ args: expandBooleanFlags(argv), options: flags(), allowPositionals: true })
}

/** The env map the action would see for these options. */
export function inputsFromArgv(argv: string[]): Record<string, string> {
  const { values, positionals } = parse(argv)
  const env: Record<string, string> = {}
  for (const name of Object.keys(INPUTS) as InputName[]) {
    const given = values[name] as string[] | undefined
    if (!given?.length) continue
    // Joined, two values of a one-value option would read as one (`--output a --output b`).
    const definition: InputDefinition = INPUTS[name]
    if (given.length > 1 && !definition.list) {
      throw new InputError(name, `--${name} is given ${given.length} times; give it once`)
    }
    env[`INPUT_${name.toUpperCase()}`] = given.join('\n')
  }
  if (positionals.length > 0) {
    env.INPUT_PACKAGES = [env.INPUT_PACKAGES ?? '', ...positionals].join('\n').trim()
  }
  return env
}

/** The CLI's commit-time reader: git through node:child_process (no @actions/* in the CLI). */
export const cliCommitTime: CommitTimeReader = (dir) =>
  new Promise((resolve) => {
    execFile('git', commitTimeArgs(dir), { cwd: dir }, (error, stdout, stderr) => {
      if (error && typeof error.code === 'string') {
        resolve({ problem: `cannot run git in ${dir}: ${error.message}` })
        return
      }
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
      resolve(parseCommitTime(code, String(stdout ?? ''), String(stderr ?? '')))
    })
  })

export async function runBuildCommand(argv: string[], logger: Logger): Promise<void> {
  const inputs = inputsFromArgv(argv)
  const { values } = parse(argv)
  const env = { ...process.env, ...inputs }
  let headEpoch = 0
  if (needsCommitEpoch(env)) {
    const head = await cliCommitTime(process.cwd())
    if (head.seconds === undefined) logger.warning(commitTimeWarning(process.cwd(), head.problem))
    headEpoch = head.seconds ?? 0
  }
  const spec = readInputs(env, { commitEpoch: () => headEpoch })
  const cacheDirs = (values['cache-dir'] as string[] | undefined) ?? []
  if (cacheDirs.length > 1) {
    throw new InputError('cache', `--cache-dir is given ${cacheDirs.length} times; give it once`)
  }
  const cacheDir = cacheDirs[0]
  if (cacheDir) spec.cacheDir = cacheDir
  const result = await build(spec, { logger })
  for (const warning of result.warnings) logger.warning(warning)
  output.out(
    `${JSON.stringify(
      {
        tarball: result.tarball,
        digest: result.digest,
        imageId: result.imageId,
        size: result.size,
        tags: result.tags,
        packages: result.arches.flatMap((a) => a.packages),
        sbom: result.sbom,
        ...(result.lock ? { lockChanges: result.lock.changes } : {})
      },
      null,
      2
    )}\n`
  )
}
