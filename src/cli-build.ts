/**
 * `witchery build`: the action's inputs as command-line options of the same names
 * (`--app-dest /app`, `--tags a:1 --tags a:latest`), parsed and validated by the very code the
 * action uses. Positional arguments are added to `packages`.
 */
import { parseArgs } from 'node:util'
import {
  commitEpoch,
  INPUTS,
  needsCommitEpoch,
  readInputs,
  type InputName
} from './action/inputs.js'
import type { Logger } from './apk/types.js'
import { build } from './build/build.js'

type Flags = Record<string, { type: 'string'; multiple: true }>

function flags(): Flags {
  const out: Flags = { 'cache-dir': { type: 'string', multiple: true } }
  for (const name of Object.keys(INPUTS)) out[name] = { type: 'string', multiple: true }
  return out
}

/** The env map the action would see for these options. */
export function inputsFromArgv(argv: string[]): Record<string, string> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: flags(),
    allowPositionals: true
  })
  const env: Record<string, string> = {}
  for (const name of Object.keys(INPUTS) as InputName[]) {
    const given = values[name] as string[] | undefined
    if (given?.length) env[`INPUT_${name.toUpperCase()}`] = given.join('\n')
  }
  if (positionals.length > 0) {
    env.INPUT_PACKAGES = [env.INPUT_PACKAGES ?? '', ...positionals].join('\n').trim()
  }
  return env
}

export async function runBuildCommand(argv: string[], logger: Logger): Promise<void> {
  const inputs = inputsFromArgv(argv)
  const { values } = parseArgs({ args: argv, options: flags(), allowPositionals: true })
  const env = { ...process.env, ...inputs }
  const headEpoch = needsCommitEpoch(env) ? await commitEpoch(process.cwd()) : 0
  const spec = readInputs(env, { commitEpoch: () => headEpoch })
  const cacheDir = (values['cache-dir'] as string[] | undefined)?.at(-1)
  if (cacheDir) spec.cacheDir = cacheDir
  const result = await build(spec, { logger })
  process.stdout.write(
    `${JSON.stringify(
      {
        tarball: result.tarball,
        digest: result.digest,
        imageId: result.imageId,
        size: result.size,
        tags: result.tags,
        packages: result.arches.flatMap((a) => a.packages)
      },
      null,
      2
    )}\n`
  )
}
