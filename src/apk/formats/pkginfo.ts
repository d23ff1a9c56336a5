/**
 * `.PKGINFO`, the control file of a package: `key = value` lines, split at the first ` = `.
 * Comments (`#`), lines without ` = ` and unknown keys are ignored, as apk does. Dependency
 * keys (`depend`, `provides`, `install_if`, `replaces`) accumulate over lines; each `triggers`
 * line replaces the list.
 */
import { parseDependencies } from './dependency.js'
import { FormatError } from '../errors.js'
import { emptyPackageInfo, type PackageInfo } from '../types.js'

/** apk reads numbers as leading decimal digits; anything else counts as 0. */
export function leadingUint(text: string): number {
  let value = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i) - 0x30
    if (c < 0 || c > 9) break
    value = value * 10 + c
  }
  return value
}

function applyLine(info: PackageInfo, key: string, value: string): void {
  switch (key) {
    case 'pkgname':
      info.name = value
      break
    case 'pkgver':
      info.version = value
      break
    case 'pkgdesc':
      info.description = value
      break
    case 'url':
      info.url = value
      break
    case 'builddate':
      info.buildTime = leadingUint(value)
      break
    case 'size':
      info.installedSize = leadingUint(value)
      break
    case 'arch':
      info.arch = value
      break
    case 'origin':
      info.origin = value
      break
    case 'commit':
      info.commit = value
      break
    case 'maintainer':
      info.maintainer = value
      break
    case 'license':
      info.license = value
      break
    case 'depend':
      info.depends.push(...parseDependencies(value))
      break
    case 'provides':
      info.provides.push(...parseDependencies(value))
      break
    case 'install_if':
      info.installIf.push(...parseDependencies(value))
      break
    case 'replaces':
      info.replaces.push(...parseDependencies(value))
      break
    case 'provider_priority':
      info.providerPriority = leadingUint(value)
      break
    case 'replaces_priority':
      info.replacesPriority = leadingUint(value)
      break
    case 'triggers':
      info.triggers = value.split(' ').filter((glob) => glob !== '')
      break
    case 'datahash':
      info.datahash = value.toLowerCase()
      break
    // packager and unknown keys: ignored, as apk does.
  }
}

/**
 * Parses `.PKGINFO` text. `checksum` is '' and `size` 0: they describe the .apk file, which the
 * caller knows. Throws FormatError when pkgname or pkgver is missing.
 */
export function parsePkginfo(text: string): PackageInfo {
  const info = emptyPackageInfo()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const split = line.indexOf(' = ')
    if (split < 0) continue
    applyLine(info, line.slice(0, split), line.slice(split + 3))
  }
  if (!info.name) throw new FormatError('.PKGINFO has no pkgname line')
  if (!info.version) throw new FormatError(`.PKGINFO of ${info.name} has no pkgver line`)
  return info
}
