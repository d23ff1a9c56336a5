/**
 * The witchery command line: the engine and the image build, for local use and for tests.
 *   witchery install --root DIR --arch A --repository R… [--keys-dir K] [--allow-untrusted] [--cache-dir C] WORLD…
 *   witchery resolve --arch A --repository R… [--keys-dir K] [--allow-untrusted] WORLD…
 *   witchery build [action inputs as --name value] PACKAGE…
 */
import { parseArgs } from 'node:util'
import { hostArch } from './arch.js'
import {
  ApkError,
  type EngineOptions,
  installResolution,
  openRepositories,
  parseAuthLines,
  resolveWorld,
  skippedWarning
} from './apk/engine.js'
import { InputError } from './assemble/errors.js'
import { ALPINE_KEYS_URL_VARIABLE, REPOSITORY_AUTH_VARIABLE } from './variables.js'
import { stderrLogger } from './cli-log.js'
import { output } from './cli-output.js'
import { keepYoungGenerationSmall } from './released-memory.js'

const USAGE = `usage:
  witchery install --root DIR --arch ARCH --repository REPO... [--keys-dir DIR]... [--key FILE]...
                   [--allow-untrusted] [--cache-dir DIR] [--no-alpine-keys] [--no-scripts] WORLD...
  witchery resolve --arch ARCH --repository REPO... [--keys-dir DIR]... [--key FILE]...
                   [--allow-untrusted] [--cache-dir DIR] [--no-alpine-keys] WORLD...
  witchery build [--output FILE] [--app PATH] [--arch ARCH] [--repositories REPO]... [--branch B]
                 [--entrypoint ...] [--cmd ...] [--env K=V]... [--tags REF]... PACKAGE...
                 (every action input is an option of the same name; see the README)

WORLD is a package name or apk constraint: curl, libssl3>=3.3, so:libz.so.1, !busybox.`

const engineFlags = {
  root: { type: 'string' },
  arch: { type: 'string' },
  repository: { type: 'string', short: 'X', multiple: true },
  'keys-dir': { type: 'string', multiple: true },
  key: { type: 'string', multiple: true },
  'allow-untrusted': { type: 'boolean' },
  'cache-dir': { type: 'string' },
  'no-alpine-keys': { type: 'boolean' },
  'no-scripts': { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' }
} as const

class UsageError extends Error {}

function engineOptionsFrom(argv: string[]): {
  options: EngineOptions
  world: string[]
  root?: string
} {
  const { values, positionals } = parseArgs({
    args: argv,
    options: engineFlags,
    allowPositionals: true
  })
  if (!values.repository?.length) throw new UsageError('give at least one --repository')
  if (positionals.length === 0) throw new UsageError('give at least one package to add')
  return {
    world: positionals,
    root: values.root,
    options: {
      arch: values.arch ?? hostArch(),
      repositories: values.repository,
      // Like apk, credentials may be in a repository URL; this variable keeps them off the command line.
      auth: parseAuthLines(process.env[REPOSITORY_AUTH_VARIABLE] ?? '', REPOSITORY_AUTH_VARIABLE),
      keyDirs: values['keys-dir'],
      keyFiles: values.key,
      allowUntrusted: values['allow-untrusted'],
      cacheDir: values['cache-dir'],
      fetchAlpineKeys: !values['no-alpine-keys'],
      scripts: values['no-scripts'] ? 'none' : 'native',
      alpineKeysUrl: process.env[ALPINE_KEYS_URL_VARIABLE],
      logger: stderrLogger(values.quiet)
    }
  }
}

async function resolveCommand(argv: string[]): Promise<void> {
  // install's own options mean nothing to a resolve: refused rather than ignored.
  for (const flag of ['--root', '--no-scripts']) {
    if (argv.some((a) => a === flag || a.startsWith(`${flag}=`))) {
      throw new UsageError(`${flag} is an option of install, not of resolve`)
    }
  }
  const { options, world } = engineOptionsFrom(argv)
  // Names and versions are all it shows: the packages' other lines are not kept.
  const repos = await openRepositories({ ...options, packageDetails: false })
  const resolution = resolveWorld(repos, world)
  const lines = resolution.packages.map((p) => `${p.name}-${p.version}`).sort()
  output.out(lines.map((l) => `${l}\n`).join(''))
}

async function installCommand(argv: string[]): Promise<void> {
  const { options, world, root } = engineOptionsFrom(argv)
  if (!root) throw new UsageError('give --root DIR, the folder to install into')
  const repos = await openRepositories(options)
  const resolution = resolveWorld(repos, world)
  const result = await installResolution(root, repos, resolution, options)
  for (const pkg of result.installed) options.logger?.info(`installed ${pkg.name}-${pkg.version}`)
  if (result.scriptsSkipped.length > 0) {
    options.logger?.warning(skippedWarning(result.scriptsSkipped))
  }
  options.logger?.info(`OK: ${result.installed.length} packages in ${root}`)
}

/** Runs one command line; the exit code: 0 success, 1 the work failed, 2 a usage error. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  try {
    const known = ['install', 'resolve', 'build'].includes(command ?? '')
    if (known && rest.some((a) => a === '--help' || a === '-h')) {
      output.out(`${USAGE}\n`)
      return 0
    }
    // A build's or an install's peak matters more than its start: V8's young generation is kept
    // small from here on. A resolve leaves it to readApkindex (young-generation.ts says why).
    if (command === 'build' || command === 'install') keepYoungGenerationSmall()
    switch (command) {
      case 'install':
        await installCommand(rest)
        return 0
      case 'resolve':
        await resolveCommand(rest)
        return 0
      case 'build': {
        // Loaded for `build` only: the image assembly is most of the command line's code.
        const { runBuildCommand } = await import('./cli-build.js')
        await runBuildCommand(rest, stderrLogger())
        return 0
      }
      case '--help':
      case '-h':
      case 'help':
        output.out(`${USAGE}\n`)
        return 0
      default:
        throw new UsageError(command ? `unknown command '${command}'` : 'no command given')
    }
  } catch (error) {
    return report(error)
  }
}

/** Wrong or missing options and values: the parser's errors, ours, and bad input values. */
function isUsageError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code
  return (
    error instanceof UsageError ||
    error instanceof InputError ||
    (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_'))
  )
}

function report(error: unknown): number {
  const message = error instanceof Error ? error.message : String(error)
  if (isUsageError(error)) {
    output.err(`witchery: ${oneLine(message)} (witchery --help shows the usage)\n`)
    return 2
  }
  output.err(`ERROR: ${message}\n`)
  if (process.env.WITCHERY_DEBUG && error instanceof Error && !(error instanceof ApkError)) {
    output.err(`${error.stack}\n`)
  }
  return 1
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ')
}
