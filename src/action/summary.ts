/**
 * The job summary: what is in the image, how big it is, where its bytes came from and how to
 * push it. GitHub takes at most 1 MiB per step, so the package table is cut to fit and points
 * at the `packages` output for the full list.
 */
import * as core from '@actions/core'
import * as fs from 'node:fs'
import type { BuildResult } from '../assemble/spec.js'
import { parseImageRef } from '../oci/tags.js'
import type { CacheHit } from './cache.js'

/** GitHub's per-step limit, minus room for what other writers may add to the file. */
export const SUMMARY_LIMIT = 1024 * 1024 - 16 * 1024

export interface SummaryContext {
  cacheHit: CacheHit
  /** Bytes the summary may take; defaults to SUMMARY_LIMIT minus what the file already holds. */
  maxBytes?: number
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(1)} ${units[unit]}`
}

function cell(text: string): string {
  return `<td>${text === '' ? '-' : escapeHtml(text)}</td>`
}

function table(headers: string[], rows: string[][]): string {
  const head = `<tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`
  return `<table>${head}${rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('')}</table>\n`
}

/** One row per package; a package built for several arches shows them in one cell. */
export function packageRows(result: BuildResult): string[][] {
  const rows = new Map<
    string,
    { name: string; version: string; license: string; arches: string[] }
  >()
  for (const arch of result.arches) {
    for (const p of arch.packages) {
      const key = `${p.name}\0${p.version}\0${p.license}`
      const row = rows.get(key) ?? {
        name: p.name,
        version: p.version,
        license: p.license,
        arches: []
      }
      if (!row.arches.includes(p.arch)) row.arches.push(p.arch)
      rows.set(key, row)
    }
  }
  return [...rows.values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((r) => [r.name, r.version, r.arches.join(', '), r.license])
}

/**
 * The commands a later step runs to publish or load the tarball. With several tags, or SBOM
 * referrers, index.json holds more than one entry and skopeo asks which: `oci-archive:FILE:TAG`
 * picks it by its `org.opencontainers.image.ref.name`, which the writer sets to the tag part of
 * the reference (and never on a referrer).
 */
export function pushCommands(result: BuildResult): string[] {
  const all = result.arches.length > 1 ? ' --all' : ''
  const source = (tag: string) =>
    result.tags.length > 1 || result.sbom.length > 0
      ? `oci-archive:${result.tarball}:${parseImageRef(tag).tag}`
      : `oci-archive:${result.tarball}`
  const commands = result.tags.map((tag) => `skopeo copy${all} ${source(tag)} docker://${tag}`)
  if (result.arches.length === 1) commands.push(`docker load -i ${result.tarball}`)
  return commands
}

/**
 * The package count of the overview: the rows of the package table (a package built for two
 * arches is one row), with each platform's own count when there are several.
 */
function packageCount(result: BuildResult, distinct: number): string {
  if (result.arches.length === 1) return String(distinct)
  const perArch = result.arches.map((a) => `${a.arch} ${a.packages.length}`).join(', ')
  return `${distinct} (per platform: ${perArch})`
}

function overview(result: BuildResult, cacheHit: CacheHit, distinct: number): string {
  const rows = [
    ['Digest', result.digest],
    ['Image ID', result.imageId],
    ['Platforms', result.arches.map((a) => a.arch).join(', ')],
    ['Tags', result.tags.join(', ')],
    ['Tarball', `${result.tarball} (${formatBytes(result.size)})`],
    ['Packages', packageCount(result, distinct)],
    ['Cache hit', cacheHit]
  ]
  return `<table>${rows.map(([k, v]) => `<tr><th>${k}</th>${cell(v)}</tr>`).join('')}</table>\n`
}

function layersSection(result: BuildResult): string {
  const rows = result.arches.flatMap((a) =>
    a.layers.map((l) => [a.arch, l.digest, formatBytes(l.size), l.createdBy])
  )
  return `<h3>Layers</h3>\n${table(['Arch', 'Digest', 'Size', 'Created by'], rows)}`
}

/** What the build did with the lock file; with lock-update, a table of the changes. */
function lockSection(result: BuildResult): string {
  const lock = result.lock
  if (!lock) return ''
  const what = {
    used: 'Installed exactly the packages locked in',
    written: 'Wrote',
    updated: 'Updated'
  }[lock.status]
  const head = `<h3>Lock</h3>\n<p>${what} <code>${escapeHtml(lock.path)}</code>.</p>\n`
  if (lock.status === 'used') return head
  if (lock.changes.length === 0) return `${head}<p>No package changed.</p>\n`
  const rows = lock.changes.map((c) => [c.arch, c.name, c.change, c.from ?? '', c.to ?? ''])
  return head + table(['Arch', 'Package', 'Change', 'From', 'To'], rows)
}

function fetchSection(result: BuildResult): string {
  const f = result.fetch
  const items = [
    `Downloaded ${formatBytes(f.downloadedBytes)}`,
    `Packages: ${f.packagesFromCache} from the cache, ${f.packagesDownloaded} downloaded`,
    `Indexes: ${f.indexesRevalidated} revalidated, ${f.indexesDownloaded} downloaded`
  ]
  return `<h3>Fetch</h3>\n<ul>${items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>\n`
}

function pushSection(result: BuildResult): string {
  const code = escapeHtml(pushCommands(result).join('\n'))
  return `<h3>Push</h3>\n<pre lang="sh"><code>${code}</code></pre>\n`
}

/** Where each SBOM is: the file beside the tarball, and its referrer inside it. */
function sbomSection(result: BuildResult): string {
  if (result.sbom.length === 0) return ''
  const rows = result.sbom.map((s) => [s.arch, s.format, s.path, s.digest, s.referrer])
  const note =
    '<p>Each document is also in the tarball, attached to its architecture&#39;s image as an OCI ' +
    'referrer (<code>subject</code> = the image manifest). The <code>sbom</code> output lists ' +
    'the files.</p>\n'
  return `<h3>SBOM</h3>\n${table(['Arch', 'Format', 'File', 'Digest', 'Referrer'], rows)}${note}`
}

function warningsSection(result: BuildResult): string {
  if (result.warnings.length === 0) return ''
  const items = result.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')
  return `<h3>Warnings</h3>\n<ul>${items}</ul>\n`
}

/** The packages added for the app's needs, and why: `zlib: so:libz.so.1, needed by /usr/bin/server`. */
function appNeedsSection(result: BuildResult): string {
  const several = result.arches.length > 1
  const items = result.arches.flatMap((a) =>
    a.appNeeds.map(
      (n) =>
        `${several ? `${a.arch}: ` : ''}${n.package}: ${n.need}, needed by ${n.neededBy.join(', ')}`
    )
  )
  if (items.length === 0) return ''
  const list = items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')
  return `<h3>Added for the app</h3>\n<ul>${list}</ul>\n`
}

function packagesSection(rows: string[][], shown: number): string {
  const heading = `<h3>Packages (${rows.length})</h3>\n`
  const body = table(['Name', 'Version', 'Arch', 'License'], rows.slice(0, shown))
  const more =
    shown < rows.length
      ? `<p>… and ${rows.length - shown} more: the full list is the <code>packages</code> output.</p>\n`
      : ''
  return heading + body + more
}

/** The summary's HTML, cut to `maxBytes` by dropping package rows from the end. */
export function renderSummary(result: BuildResult, context: SummaryContext): string {
  const maxBytes = context.maxBytes ?? SUMMARY_LIMIT
  const title = `<h2>witchery: ${escapeHtml(result.tags[0] ?? 'image')}</h2>\n`
  const rows = packageRows(result)
  const before =
    title +
    overview(result, context.cacheHit, rows.length) +
    pushSection(result) +
    sbomSection(result) +
    warningsSection(result) +
    lockSection(result) +
    appNeedsSection(result)
  const after = layersSection(result) + fetchSection(result)
  const render = (shown: number) => before + packagesSection(rows, shown) + after
  let shown = rows.length
  let html = render(shown)
  while (Buffer.byteLength(html) > maxBytes && shown > 0) {
    const excess = Buffer.byteLength(html) - maxBytes
    const perRow = Buffer.byteLength(table(['', '', '', ''], rows.slice(0, shown))) / shown
    shown = Math.max(0, shown - Math.max(1, Math.ceil(excess / perRow)))
    html = render(shown)
  }
  return html
}

function existingSummaryBytes(): number {
  const file = process.env.GITHUB_STEP_SUMMARY
  return file ? (fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0) : 0
}

/** Appends the summary to GITHUB_STEP_SUMMARY; outside a runner, says so at debug level. */
export async function writeSummary(result: BuildResult, context: SummaryContext): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) {
    core.debug('summary: GITHUB_STEP_SUMMARY is not set, no job summary written')
    return
  }
  const maxBytes = context.maxBytes ?? SUMMARY_LIMIT - existingSummaryBytes()
  await core.summary.addRaw(renderSummary(result, { ...context, maxBytes })).write()
}
