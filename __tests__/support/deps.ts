/**
 * Dependency tokens and version ordering for the test builders, written independently of
 * src/apk (the code under test). Only what the builders need: parse `[!]name[@tag][OP ver]`
 * into the shared Dependency shape, print it back the way `apk index` does, and order
 * versions well enough to sort index stanzas.
 */
import type { Dependency } from '../../src/apk/types.js'

// apk's operator bits (src/apk/types.ts VersionOp; repeated here: types.ts may only be imported as types).
const LESS = 1
const EQUAL = 2
const GREATER = 4
const FUZZY = 8
const ANY = LESS | EQUAL | GREATER

const TOKEN = /^(!?)([^\s<>=~@!]+)(?:@([^\s<>=~]+))?(?:([<>=~]+)(\S+))?$/

/** Parses one dependency token; throws on something that is not one. */
export function toDependency(token: string): Dependency {
  const match = TOKEN.exec(token)
  if (!match) throw new Error(`test support: not a dependency token: '${token}'`)
  const [, bang, name, tag, ops, version] = match
  const dep: Dependency = { name, op: ANY, conflict: bang === '!' }
  if (tag) dep.tag = tag
  if (ops) {
    let op = 0
    for (const c of ops)
      op |= c === '<' ? LESS : c === '>' ? GREATER : c === '=' ? EQUAL : FUZZY | EQUAL
    dep.op = op
    dep.version = version
  }
  return dep
}

/** Splits space/newline separated tokens (each list entry may itself hold several). */
export function toDependencies(list: readonly string[] = []): Dependency[] {
  return list.flatMap((entry) => entry.split(/\s+/).filter(Boolean)).map(toDependency)
}

function opString(op: number): string {
  switch (op) {
    case LESS:
      return '<'
    case LESS | EQUAL:
      return '<='
    case EQUAL | FUZZY:
    case FUZZY:
      return '~'
    case EQUAL:
      return '='
    case GREATER | EQUAL:
      return '>='
    case GREATER:
      return '>'
    case LESS | GREATER:
      return '><'
    default:
      return '?'
  }
}

/** apk's serialisation; the index form has no `@tag`. */
export function dependencyText(dep: Dependency, withTag = false): string {
  let text = `${dep.conflict ? '!' : ''}${dep.name}`
  if (withTag && dep.tag) text += `@${dep.tag}`
  if (dep.version !== undefined && dep.op !== ANY) text += `${opString(dep.op)}${dep.version}`
  return text
}

const SUFFIX_RANK: Record<string, number> = {
  alpha: 0,
  beta: 1,
  pre: 2,
  rc: 3,
  cvs: 5,
  svn: 6,
  git: 7,
  hg: 8,
  p: 9
}
const NO_SUFFIX = 4

interface VersionKey {
  numbers: number[]
  letter: string
  suffixes: Array<[number, number]>
  revision: number
}

function versionKey(version: string): VersionKey {
  const match =
    /^([0-9]+(?:\.[0-9]+)*)([a-z]?)((?:_[a-z]+[0-9]*)*)(?:~[0-9a-f]+)?(?:-r([0-9]+))?$/.exec(
      version
    )
  if (!match) return { numbers: [], letter: version, suffixes: [], revision: 0 }
  const suffixes = [...match[3].matchAll(/_([a-z]+)([0-9]*)/g)].map((s): [number, number] => [
    SUFFIX_RANK[s[1]] ?? -1,
    Number(s[2] || 0)
  ])
  return {
    numbers: match[1].split('.').map(Number),
    letter: match[2],
    suffixes,
    revision: Number(match[4] ?? -1)
  }
}

function cmp(a: number | string, b: number | string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * Orders two versions the way apk does for well-formed versions (numbers, letter, `_suffix`,
 * `-rN`). Good enough to sort test indexes; the real comparison lives in src/apk/formats/version.ts.
 */
export function compareVersionsLoose(a: string, b: string): number {
  const ka = versionKey(a)
  const kb = versionKey(b)
  for (let i = 0; i < Math.max(ka.numbers.length, kb.numbers.length); i++) {
    if (i >= ka.numbers.length) return -1
    if (i >= kb.numbers.length) return 1
    const c = cmp(ka.numbers[i], kb.numbers[i])
    if (c) return c
  }
  const letter = cmp(ka.letter, kb.letter)
  if (letter) return letter
  for (let i = 0; i < Math.max(ka.suffixes.length, kb.suffixes.length); i++) {
    const sa = ka.suffixes[i] ?? [NO_SUFFIX, 0]
    const sb = kb.suffixes[i] ?? [NO_SUFFIX, 0]
    const c = cmp(sa[0], sb[0]) || cmp(sa[1], sb[1])
    if (c) return c
  }
  return cmp(ka.revision, kb.revision)
}
