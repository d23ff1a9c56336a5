/**
 * The warning for install scripts not run, apart from the installer: the command line and the
 * build report it, and a resolve, which loads no installer, shares their code.
 */
import type { SkippedScript } from './scripts-native.js'

/** The warning for script commands (or, with `scripts: none`, whole scripts) not run. */
export function skippedWarning(skipped: SkippedScript[]): string {
  if (skipped.every((s) => s.command === undefined)) {
    const byPackage = new Map<string, string[]>()
    for (const s of skipped)
      byPackage.set(s.package, [...(byPackage.get(s.package) ?? []), s.script])
    const list = [...byPackage].map(([pkg, types]) => `${pkg} (${types.join(', ')})`)
    return `install scripts were not run (scripts: none): ${list.join(', ')}`
  }
  const list = skipped.map((s) => `${s.package}.${s.script}: ${s.command ?? '(whole script)'}`)
  return `install script commands not run (no shell; only account and busybox idioms are applied): ${list.join('; ')}`
}
