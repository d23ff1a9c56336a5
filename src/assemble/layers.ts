/**
 * The Alpine part of an image in layers chosen from the dependency graph, so an update moves few
 * bytes: packages of one origin (one aports build, updated together) share a group; the groups
 * that weigh most, by installed size times how many packages depend on them (in the spirit of
 * Nix's popularity layering and apko's origin budget), get layers of their own, the rest share
 * one; the apk database and the files witchery writes in /etc go in a small layer on top, since
 * they change with any package.
 *
 * Whatever the split, the layers unpack to the same tree as one layer would: every path is in
 * exactly one layer, except folders, which appear with the tree's mode and owner in each layer
 * that holds something under them; a hard link goes in the layer of the file it links to.
 *
 * Times: a package's files carry the package's build time (clamped to the build epoch, as
 * reproducible builds do), folders the fixed time 0, and only what witchery and the installer
 * write carries the build epoch. So a package's layer is the same bytes in every build that
 * installs that package build into the same folders, whatever the commit: registries and nodes
 * keep it once, and a push uploads only the layers whose packages changed.
 */
import type { PackageInfo, RootTree } from '../apk/engine.js'
import { treeToLayerEntries } from '../oci/tree.js'
import type { LayerEntry, LayerSpec } from '../oci/types.js'

/** The default of the `layers` input; README says why. */
export const DEFAULT_LAYERS = 8

/** The time of every folder of the Alpine part: fixed, so a folder is the same in every layer. */
export const FOLDER_MTIME = 0

export interface PartitionInput {
  /** The installed root: regular files are read from here when the layer is written. */
  root: string
  tree: RootTree
  /** The installed packages (index entries). */
  installed: PackageInfo[]
  /** Paths witchery wrote or rewrote after the install (accounts, os-release…). */
  written: ReadonlySet<string>
  /** The build epoch (SOURCE_DATE_EPOCH). */
  epoch: number
  /** Most layers the packages may take (1: everything in one layer, the database included). */
  layers: number
  /** created_by of the single layer when `layers` is 1. */
  createdBy: string
}

export interface PartitionLayer {
  layer: LayerSpec
  /** Names of the packages whose files the layer holds (sorted). */
  packages: string[]
}

interface Group {
  /** Origin, or the package's name when it has none. */
  key: string
  packages: PackageInfo[]
  size: number
  popularity: number
}

/** The layers of the Alpine part, bottom first. */
export function partitionLayers(input: PartitionInput): PartitionLayer[] {
  const { entries, owners } = datedEntries(input)
  if (input.layers <= 1) {
    return [
      {
        layer: {
          entries,
          createdBy: input.createdBy,
          comment: `${input.installed.length} Alpine packages`
        },
        packages: input.installed.map((p) => p.name).sort()
      }
    ]
  }
  const groups = rankGroups(input.installed)
  const own = groups.length <= input.layers ? groups : groups.slice(0, input.layers - 1)
  const shared = groups.slice(own.length)
  const layerOfPackage = new Map<string, number>()
  own.forEach((g, i) => g.packages.forEach((p) => layerOfPackage.set(p.name, i)))
  shared.forEach((g) => g.packages.forEach((p) => layerOfPackage.set(p.name, own.length)))
  const metaLayer = own.length + (shared.length > 0 ? 1 : 0)

  // Each entry's layer by its place in `entries`: arrays, where maps and sets of every path
  // took 37 MiB of heap for a root of 80,000 files.
  const layerOf = new Int32Array(entries.length)
  entries.forEach((entry, i) => {
    const owner = owners[i]
    layerOf[i] =
      owner === undefined || input.written.has(entry.path)
        ? metaLayer
        : (layerOfPackage.get(owner) ?? metaLayer)
  })
  moveHardlinks(entries, layerOf)

  const folders = new Map<string, number>()
  entries.forEach((entry, i) => {
    if (entry.type === 'directory') folders.set(entry.path, i)
  })
  const specs: PartitionLayer[] = []
  const groupsOf = (i: number) => (i < own.length ? [own[i]] : i === metaLayer ? [] : shared)
  for (let i = 0; i <= metaLayer; i++) {
    const layerEntries = withFolders(entries, layerOf, i, folders)
    if (layerEntries.length === 0) continue
    const packages = groupsOf(i)
      .flatMap((g) => g.packages.map((p) => p.name))
      .sort()
    specs.push({
      layer: {
        entries: layerEntries,
        createdBy:
          i === metaLayer
            ? 'witchery: apk database and /etc'
            : `witchery: apk add ${packages.join(' ')}`,
        comment: i === metaLayer ? 'metadata' : `${packages.length} Alpine packages`
      },
      packages: i === metaLayer ? [] : packages
    })
  }
  return specs
}

/**
 * Every path of the tree as a layer entry (in the tree's order), with the time the policy above
 * gives it, and beside each the package that owns it (undefined: witchery or the installer).
 */
function datedEntries(input: PartitionInput): {
  entries: LayerEntry[]
  owners: (string | undefined)[]
} {
  const buildTime = new Map(input.installed.map((p) => [p.name, p.buildTime]))
  const entries = treeToLayerEntries(input.root, input.tree)
  const owners = entries.map((entry) => input.tree.get(entry.path)?.owner)
  entries.forEach((entry, i) => {
    const owner = owners[i]
    if (entry.type === 'directory') entry.mtime = FOLDER_MTIME
    else if (owner === undefined || input.written.has(entry.path)) entry.mtime = input.epoch
    else entry.mtime = Math.min(buildTime.get(owner) || input.epoch, input.epoch)
  })
  return { entries, owners }
}

/**
 * Groups by origin, heaviest first: installed size times (1 + the number of installed packages
 * that depend on the group, directly or not). Ties go by origin name, so the order is stable.
 */
export function rankGroups(installed: PackageInfo[]): Group[] {
  const popularity = dependents(installed)
  const byKey = new Map<string, Group>()
  for (const pkg of installed) {
    if (pkg.installedSize === 0) continue
    const key = pkg.origin || pkg.name
    const group = byKey.get(key) ?? { key, packages: [], size: 0, popularity: 0 }
    group.packages.push(pkg)
    group.size += pkg.installedSize
    group.popularity = Math.max(group.popularity, popularity.get(pkg.name) ?? 0)
    byKey.set(key, group)
  }
  const score = (g: Group) => g.size * (1 + g.popularity)
  return [...byKey.values()].sort(
    (a, b) => score(b) - score(a) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  )
}

/** For each package, how many installed packages need it, directly or through others. */
function dependents(installed: PackageInfo[]): Map<string, number> {
  const provider = new Map<string, string>()
  for (const pkg of installed) {
    for (const p of pkg.provides) if (!provider.has(p.name)) provider.set(p.name, pkg.name)
  }
  for (const pkg of installed) provider.set(pkg.name, pkg.name)
  const needs = new Map<string, string[]>()
  for (const pkg of installed) {
    const deps = pkg.depends
      .filter((d) => !d.conflict)
      .map((d) => provider.get(d.name))
      .filter((n): n is string => n !== undefined && n !== pkg.name)
    needs.set(pkg.name, deps)
  }
  const count = new Map<string, number>()
  for (const pkg of installed) {
    const seen = new Set<string>()
    const stack = [...(needs.get(pkg.name) ?? [])]
    while (stack.length > 0) {
      const name = stack.pop() as string
      if (seen.has(name)) continue
      seen.add(name)
      stack.push(...(needs.get(name) ?? []))
    }
    for (const name of seen) count.set(name, (count.get(name) ?? 0) + 1)
  }
  return count
}

/** A hard link goes where the file it links to goes: a layer can only link to its own files. */
function moveHardlinks(entries: LayerEntry[], layerOf: Int32Array): void {
  if (!entries.some((entry) => entry.type === 'hardlink')) return
  const indexOf = new Map<string, number>()
  entries.forEach((entry, i) => indexOf.set(entry.path, i))
  entries.forEach((entry, i) => {
    if (entry.type !== 'hardlink') return
    let target = entry.linkname === undefined ? undefined : indexOf.get(entry.linkname)
    const seen = new Set<number>([i])
    while (target !== undefined && entries[target].type === 'hardlink' && !seen.has(target)) {
      seen.add(target)
      const next = entries[target].linkname
      target = next === undefined ? undefined : indexOf.get(next)
    }
    if (target !== undefined) layerOf[i] = layerOf[target]
  })
}

/**
 * The entries of layer `layer` plus every folder above them (`folders`: each folder entry's
 * place), in the order of `entries`.
 */
function withFolders(
  entries: LayerEntry[],
  layerOf: Int32Array,
  layer: number,
  folders: Map<string, number>
): LayerEntry[] {
  const picked = new Uint8Array(entries.length)
  for (let i = 0; i < entries.length; i++) {
    if (layerOf[i] !== layer) continue
    picked[i] = 1
    const p = entries[i].path
    for (let cut = p.lastIndexOf('/'); cut > 0; cut = p.lastIndexOf('/', cut - 1)) {
      const parent = folders.get(p.slice(0, cut))
      if (parent === undefined) continue
      if (picked[parent] === 1) break
      picked[parent] = 1
    }
  }
  const out: LayerEntry[] = []
  for (let i = 0; i < entries.length; i++) if (picked[i] === 1) out.push(entries[i])
  return out
}
