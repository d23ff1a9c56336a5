/**
 * The apk database an install leaves (lib/apk/db/*, etc/apk/*): which files, and what each
 * holds, formatted by installed-db.ts byte for byte as apk-tools 2.14 writes them.
 */
import { InvalidArgumentError } from '../errors.js'
import { formatInstalled, formatScriptsTar, formatTriggers, formatWorld } from './installed-db.js'
import { maliciousReason } from './paths.js'
import { isRemote } from '../fetch/repository.js'
import type { Plan } from './plan.js'
import type { InstallOptions } from './root-installer.js'

interface DbFileOut {
  rel: string
  content: string | Buffer
}

export function databaseFiles(plan: Plan, options: InstallOptions): DbFileOut[] {
  const out: DbFileOut[] = [
    { rel: 'etc/apk/world', content: formatWorld(options.world) },
    { rel: 'etc/apk/arch', content: `${options.arch}\n` },
    { rel: 'lib/apk/db/installed', content: formatInstalled(plan.packages.map((p) => p.db)) },
    {
      rel: 'lib/apk/db/scripts.tar',
      content: formatScriptsTar(
        plan.packages.map(({ unit }) => ({
          name: unit.pkg.name,
          version: unit.pkg.version,
          checksum: unit.pkg.checksum,
          buildTime: unit.file?.info.buildTime ?? unit.pkg.buildTime,
          scripts: unit.file?.scripts ?? new Map()
        })),
        options.sourceDateEpoch ?? 0
      )
    },
    {
      rel: 'lib/apk/db/triggers',
      content: formatTriggers(
        plan.packages.map(({ unit }) => ({
          checksum: unit.pkg.checksum,
          triggers: unit.file?.info.triggers ?? unit.pkg.triggers
        }))
      )
    }
  ]
  const remote = options.repositories.filter(isRemote)
  if (remote.length > 0) {
    const lines = remote.map((r) => (r.tag ? `@${r.tag} ${r.url}` : r.url))
    out.push({ rel: 'etc/apk/repositories', content: lines.join('\n') + '\n' })
  }
  for (const key of options.keys ?? []) {
    if (maliciousReason(key.name) || key.name.includes('/')) {
      throw new InvalidArgumentError(
        `key name '${key.name}' is not a plain file name; rename the key file.`
      )
    }
    out.push({ rel: `etc/apk/keys/${key.name}`, content: key.pem })
  }
  return out
}
