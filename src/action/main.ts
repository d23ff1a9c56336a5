/**
 * The action, as a short story: read the inputs, restore the caches, build, save the caches,
 * set the outputs, write the job summary. Any failure becomes one annotation whose title says
 * what kind of problem it is, and a failed step.
 */
import * as core from '@actions/core'
import type { ApkErrorCode, Logger } from '../apk/engine.js'
import { build } from '../assemble/build.js'
import { AppError, BuildError, LockError } from '../assemble/errors.js'
import { WitcheryError } from '../errors.js'
import type { ImageErrorCode } from '../oci/errors.js'
import type { BuildSpec } from '../assemble/spec.js'
import { BuildCache } from './cache.js'
import { inputSecrets, needsCommitEpoch, readInputs } from '../assemble/inputs.js'
import { commitTimeWarning } from '../assemble/commit-time.js'
import { actionCommitTime } from './commit-time.js'
import { outputValues, setOutputs } from './outputs.js'
import { writeSummary } from './summary.js'

export async function run(): Promise<void> {
  try {
    // First of all: the runner hides these from every later line of the log.
    for (const secret of inputSecrets(process.env)) core.setSecret(secret)
    const workspace = process.env.GITHUB_WORKSPACE || process.cwd()
    const headEpoch = needsCommitEpoch(process.env) ? await commitEpoch(workspace) : 0
    const spec = readInputs(process.env, { commitEpoch: () => headEpoch })
    await core.group('Inputs', async () => logSpec(spec))

    const cache = await BuildCache.open(spec)
    if (cache.enabled) await core.group('Restore index cache', () => cache.restoreIndexes())
    const result = await core.group('Build', () =>
      build(spec, {
        logger: actionLogger(),
        onLocked: (locked) => cache.restorePackages(locked),
        onResolved: (resolved) => cache.restorePackages(resolved)
      })
    )
    if (cache.enabled) await core.group('Save cache', () => cache.save())

    const cacheHit = cache.hit(result.fetch)
    await core.group('Outputs', async () => setOutputs(outputValues(result, cacheHit)))
    for (const warning of result.warnings) core.warning(warning, { title: 'witchery' })
    await writeSummary(result, { cacheHit }).catch((error: Error) =>
      core.warning(`could not write the job summary: ${error.message}`)
    )
  } catch (error) {
    fail(error)
  }
}

/** HEAD's commit time, or 0 with a warning: a silent 1970 epoch would surprise. */
async function commitEpoch(workspace: string): Promise<number> {
  const head = await actionCommitTime(workspace)
  if (head.seconds !== undefined) return head.seconds
  core.warning(commitTimeWarning(workspace, head.problem), { title: 'witchery' })
  return 0
}

/** The engine's and the build's messages, in the step log. */
export function actionLogger(): Logger {
  return {
    info: (message) => core.info(message),
    warning: (message) => core.warning(message, { title: 'witchery' }),
    debug: (message) => core.debug(message)
  }
}

function logSpec(spec: BuildSpec): void {
  core.info(`packages: ${spec.packages.join(' ')}`)
  core.info(`arch: ${spec.arches.join(', ')}`)
  core.info(`repositories: ${spec.repositories.join(', ')}`)
  if (spec.app) core.info(`app: ${spec.app.source} → ${spec.app.dest}`)
  core.info(`tags: ${spec.tags.join(', ')}`)
  core.info(`output: ${spec.output}`)
  core.info(`source date epoch: ${spec.sourceDateEpoch}`)
  core.info(`cache: ${spec.cacheDir ?? 'off'}`)
  core.info(`layers: ${spec.layers ?? 'default'}`)
  if (spec.lock) core.info(`lock: ${spec.lock.path}${spec.lock.update ? ' (update)' : ''}`)
  if (spec.allowUntrusted) core.warning('allow-untrusted is on: signatures are not checked')
}

/** Annotation titles by error code, over every layer's errors (src/errors.ts). */
const TITLES: Record<ApkErrorCode | ImageErrorCode, string> = {
  FORMAT: 'malformed repository data',
  INDEX_SIGNATURE: 'repository index not trusted',
  PACKAGE_INTEGRITY: 'package failed verification',
  UNTRUSTED_KEY: 'signing key not trusted',
  FETCH: 'download failed',
  UNSATISFIABLE: 'packages cannot be installed together',
  PATH_ESCAPE: 'package path escapes the image root',
  FILE_CONFLICT: 'packages conflict',
  UNSUPPORTED_ENTRY: 'unsupported package entry',
  INVALID_ARGUMENT: 'invalid setting',
  LOCKED_PACKAGE: 'the lock file cannot be installed',
  IMAGE_SPEC: 'invalid image setting',
  IMAGE_PATH_ESCAPE: 'image path escapes the image root',
  IMAGE_UNSUPPORTED_FILE: 'unsupported file in the app'
}

/** The annotation title: the kind of problem, so the checks page reads at a glance. */
export function errorTitle(error: unknown): string {
  if (error instanceof AppError) return 'witchery: the app cannot run in the image'
  if (!(error instanceof WitcheryError)) return 'witchery failed'
  if (error.input) return `witchery: invalid input \`${error.input}\``
  if (error instanceof BuildError) return 'witchery: build failed'
  if (error instanceof LockError) return `witchery: ${TITLES.LOCKED_PACKAGE}`
  return `witchery: ${TITLES[error.code as keyof typeof TITLES] ?? 'error'}`
}

/** setFailed with a title: one error annotation and a failed step. */
function fail(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error)
  if (error instanceof Error && error.stack) core.debug(error.stack)
  core.error(message, { title: errorTitle(error) })
  process.exitCode = core.ExitCode.Failure
}
