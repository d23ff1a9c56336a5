/**
 * A signed local repository whose packages add up to an image of a chosen size, for measuring
 * a build's memory against the image's size (the memory test and `npm run bench -- cold`).
 * Each package holds four files of 512 KiB, half random (incompressible) and half text, so its
 * layers compress about as real ones do. Packages are written one at a time: making a repository
 * of any size holds one package in memory.
 */
import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { PackageInfo } from '../../src/apk/types.js'
import { buildApk } from './apk-builder.js'
import { generateSigningKey, writeKeysDir } from './keys.js'
import { buildIndex } from './repo-builder.js'

const FILES = 4
const FILE_BYTES = 512 * 1024
const WORDS = 'musl alpine witchery distroless layer index package signed apk tar gzip\n'
const TEXT = Buffer.from(WORDS.repeat(Math.ceil(FILE_BYTES / WORDS.length))).subarray(0, FILE_BYTES)

export interface SyntheticRepository {
  /** The repository folder (DIR/repo, holding x86_64/). */
  repo: string
  /** A keys folder with the key that signed it. */
  keys: string
  /** Every package's name: the world that installs them all. */
  names: string[]
  /** Bytes of files the packages install. */
  bytes: number
}

/** A file of a package (ApkSpec's). */
type PackageFile = { path: string; content: Buffer }

/**
 * Writes DIR/repo (signed, x86_64) and DIR/keys: `count` packages named `prefix0`, `prefix1`…,
 * each holding the files `filesOf` gives for its name, written one at a time (only one package is
 * ever in memory). Returns the repository and each package's index entry.
 */
function writeRepository(
  dir: string,
  count: number,
  prefix: string,
  filesOf: (name: string) => PackageFile[]
): Omit<SyntheticRepository, 'bytes'> & { infos: PackageInfo[] } {
  const key = generateSigningKey()
  const repo = path.join(dir, 'repo')
  const archDir = path.join(repo, 'x86_64')
  fs.mkdirSync(archDir, { recursive: true })
  const infos: PackageInfo[] = []
  for (let i = 0; i < count; i++) {
    const name = `${prefix}${i}`
    const apk = buildApk({ name, version: '1.0-r0', arch: 'x86_64', files: filesOf(name) }, key)
    fs.writeFileSync(path.join(archDir, apk.fileName), apk.bytes)
    infos.push(apk.info)
  }
  fs.writeFileSync(path.join(archDir, 'APKINDEX.tar.gz'), buildIndex(infos, key))
  const keys = writeKeysDir(path.join(dir, 'keys'), [key])
  return { repo, keys, names: infos.map((p) => p.name), infos }
}

/** Writes DIR/repo and DIR/keys: packages holding about `megabytes` MB (10^6 bytes) of files. */
export function syntheticRepository(dir: string, megabytes: number): SyntheticRepository {
  const count = Math.max(1, Math.round((megabytes * 1e6) / (FILES * FILE_BYTES)))
  const { repo, keys, names } = writeRepository(dir, count, 'synthetic', (name) =>
    Array.from({ length: FILES }, (_, j) => ({
      path: `usr/share/${name}/file${j}.bin`,
      content: j % 2 === 0 ? randomBytes(FILE_BYTES) : TEXT
    }))
  )
  return { repo, keys, names, bytes: count * FILES * FILE_BYTES }
}

/**
 * Writes DIR/repo and DIR/keys: `packages` packages of `files` one-line files each, for a root of
 * many files (a build's memory grows with them, not with their bytes).
 */
export function manyFilesRepository(
  dir: string,
  packages: number,
  files: number
): SyntheticRepository {
  const { repo, keys, names, infos } = writeRepository(dir, packages, 'many', (name) =>
    Array.from({ length: files }, (_, j) => ({
      path: `usr/share/${name}/some-folder/file-number-${j}.txt`,
      content: Buffer.from(`${j}\n`)
    }))
  )
  return { repo, keys, names, bytes: infos.reduce((sum, p) => sum + p.installedSize, 0) }
}

/** `witchery build` arguments for the whole repository (no musl, no app, no link check). */
export function syntheticBuildArgs(repository: SyntheticRepository, output: string): string[] {
  return [
    'build',
    '--output',
    output,
    '--repositories',
    repository.repo,
    '--keys',
    repository.keys,
    '--fetch-alpine-keys',
    'false',
    '--source-date-epoch',
    '0',
    '--link-check',
    'off',
    ...repository.names,
    '!musl'
  ]
}
