#!/usr/bin/env node
/**
 * Finishes ncc's bundles (`npm run bundle` runs it over dist/, the bench over its own): each
 * module's function compiled as the bundle is (eagerModules), and every character above 0x7f
 * written as an escape that means the same (asciiOnly).
 *
 * ncc writes each module as an arrow function, which V8 compiles lazily: it pre-parses the
 * function with the script, then parses it again in full when the module is first required. A
 * function in parentheses, `(function (…) {…})`, V8 takes for one about to be called and compiles
 * with the script, once. The command line's engine is one module of 330 KB: written so, a cold
 * resolve on v3.22 main took 0.92-0.94× the time on Node 20 (21 pairs; the same on Node 24), and
 * the action reached its first input in 0.86×. Only a module's arrow that does not use `this`,
 * `arguments` or `new.target` of its own is rewritten (none does: ncc's code and ours), and each
 * is checked to be the same function after.
 *
 * ASCII: V8 keeps a script's source for as long as the script lives, and a source with one
 * character above 0x7f (a `×` in a comment, a `…` in a message) is held two bytes per
 * character: dist/index.js, 1.7 MB, took 3.4 MiB of heap from start to end, and the cache's
 * chunk 4.9 MiB more.
 *
 * Where each character is decides its escape: in a comment, any text; in a string, template or
 * regular expression, `\uXXXX` (`\u{…}` in a regular expression with the u or v flag); in a
 * name, `\u{…}`. Nothing is escaped where an escape would change what the program sees: a tagged
 * template's raw text, a character after a backslash; those, and any other place, stop the
 * bundle with an error. Each file is parsed again after, and its strings, templates, names and
 * regular expressions checked to be the same.
 *
 *   node scripts/finish-bundle.mjs FILE...
 */
import * as acorn from 'acorn'
import * as fs from 'node:fs'
import { fileURLToPath } from 'node:url'

const PARSE = { ecmaVersion: 'latest', sourceType: 'module', allowHashBang: true }

/** Every node of `ast`, depth first. */
function* nodes(node) {
  if (node === null || typeof node !== 'object') return
  if (Array.isArray(node)) {
    for (const item of node) yield* nodes(item)
    return
  }
  if (typeof node.type === 'string') yield node
  for (const [key, value] of Object.entries(node)) {
    if (key !== 'regex' && key !== 'value') yield* nodes(value)
  }
}

function hasNonAscii(text) {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return true
  return false
}

const hex = (n) => n.toString(16).padStart(4, '0')

/** `\uXXXX` escapes of a code point (a surrogate pair above 0xffff). */
function unitEscapes(code) {
  if (code <= 0xffff) return `\\u${hex(code)}`
  const c = code - 0x10000
  return `\\u${hex(0xd800 + (c >> 10))}\\u${hex(0xdc00 + (c & 0x3ff))}`
}

/** Whether the character at `at` follows an odd run of backslashes (is itself escaped). */
function escaped(source, at) {
  let n = 0
  while (at - n - 1 >= 0 && source[at - n - 1] === '\\') n++
  return n % 2 === 1
}

/** What a source means, less how it is written: compared before and after. */
function meaning(source) {
  const out = []
  for (const node of nodes(acorn.parse(source, PARSE))) {
    if (node.type === 'Literal') {
      out.push(
        node.regex ? `/${unescapeNonAscii(node.regex.pattern)}/${node.regex.flags}` : node.value
      )
    } else if (node.type === 'TemplateElement') out.push(node.value.cooked)
    else if (node.type === 'Identifier' || node.type === 'PrivateIdentifier') out.push(node.name)
    else out.push(node.type)
  }
  return JSON.stringify(out, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))
}

/** A regular expression's pattern with the escapes this script writes read back. */
function unescapeNonAscii(pattern) {
  return pattern
    .replace(/\\u\{([0-9a-f]+)\}/g, (m, h) =>
      parseInt(h, 16) > 0x7f ? String.fromCodePoint(parseInt(h, 16)) : m
    )
    .replace(/\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})/g, (m, a, b) =>
      String.fromCharCode(parseInt(a, 16), parseInt(b, 16))
    )
    .replace(/\\u([0-9a-f]{4})/g, (m, h) =>
      parseInt(h, 16) > 0x7f ? String.fromCharCode(parseInt(h, 16)) : m
    )
}

/** Whether `node`'s own code (not nested ordinary functions') uses `this`, `arguments`, `new.target`. */
function usesOwnThis(node) {
  let found = false
  const visit = (n) => {
    if (found || n === null || typeof n !== 'object') return
    if (Array.isArray(n)) return n.forEach(visit)
    if (n.type === 'ThisExpression' || n.type === 'Super') found = true
    else if (n.type === 'Identifier' && n.name === 'arguments') found = true
    else if (n.type === 'MetaProperty' && n.meta.name === 'new') found = true
    // An ordinary function or a class has its own; an arrow shares its parent's.
    if (n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression') return
    if (n.type === 'ClassDeclaration' || n.type === 'ClassExpression') {
      visit(n.superClass)
      for (const member of n.body.body) if (member.computed) visit(member.key)
      return
    }
    for (const [key, value] of Object.entries(n)) {
      if (key !== 'type' && key !== 'start' && key !== 'end') visit(value)
    }
  }
  visit(node.body)
  visit(node.params)
  return found
}

/**
 * The module functions of ncc's table of modules in `ast`: `__webpack_modules__` in a bundle's
 * main file (at its top as an ES module, inside its bootstrap function as CommonJS), the
 * exported `modules` in a chunk loaded later (`export const modules`, `exports.modules =`).
 */
function moduleFunctions(ast) {
  const table = (object) => (object?.type === 'ObjectExpression' ? object : undefined)
  for (const node of nodes(ast)) {
    let found
    if (node.type === 'VariableDeclarator' && node.id.type === 'Identifier') {
      if (node.id.name === '__webpack_modules__') found = table(node.init)
      // A chunk written as an ES module: `export const modules = {…}`, at its top.
      if (
        node.id.name === 'modules' &&
        ast.body.some((s) => s.declaration?.declarations?.includes(node))
      ) {
        found = table(node.init)
      }
    } else if (
      // A chunk written as CommonJS: `exports.modules = {…}`, at its top.
      node.type === 'AssignmentExpression' &&
      ast.body.some((s) => s.expression === node) &&
      node.left.type === 'MemberExpression' &&
      node.left.object.type === 'Identifier' &&
      node.left.object.name === 'exports' &&
      !node.left.computed &&
      node.left.property.name === 'modules'
    ) {
      found = table(node.right)
    }
    if (found) return found.properties.map((property) => property.value)
  }
  return []
}

/**
 * `source` with each module's arrow function, `((…) => {…})`, written `(function (…) {…})`, which
 * V8 compiles with the script; throws if a rewritten one is not the same function after.
 */
export function eagerModules(source, file = 'the bundle') {
  const ast = acorn.parse(source, PARSE)
  const arrows = moduleFunctions(ast).filter(
    (f) =>
      f.type === 'ArrowFunctionExpression' &&
      f.body.type === 'BlockStatement' &&
      !f.async &&
      source[f.start - 1] === '(' &&
      !usesOwnThis(f)
  )
  if (arrows.length === 0) return source
  let out = ''
  let last = 0
  for (const f of arrows) {
    const params = source.slice(f.params[0]?.start ?? f.start, f.params.at(-1)?.end ?? f.start)
    out += source.slice(last, f.start) + `function (${params}) `
    last = f.body.start
  }
  out += source.slice(last)
  // The same modules, each the same parameters and body, now ordinary functions.
  const after = moduleFunctions(acorn.parse(out, PARSE))
  const before = moduleFunctions(ast)
  const same = (a, b) =>
    out.slice(a.body.start, a.body.end) === source.slice(b.body.start, b.body.end) &&
    a.params.length === b.params.length
  for (let i = 0; i < before.length; i++) {
    const changed = arrows.includes(before[i])
    const ok = changed
      ? after[i]?.type === 'FunctionExpression' && same(after[i], before[i])
      : after[i]?.type === before[i].type && same(after[i], before[i])
    if (!ok || after.length !== before.length) {
      throw new Error(`${file}: module ${i} is not the same function after the rewrite`)
    }
  }
  return out
}

/** `source` with every character above 0x7f escaped; throws where that cannot be done. */
export function asciiOnly(source, file = 'the bundle') {
  if (!hasNonAscii(source)) return source
  // Where each token and comment is, and which templates are tagged.
  const places = []
  const ast = acorn.parse(source, {
    ...PARSE,
    onToken: (token) =>
      places.push({ start: token.start, end: token.end, kind: token.type.label, token }),
    onComment: (block, text, start, end) => places.push({ start, end, kind: 'comment' })
  })
  places.sort((a, b) => a.start - b.start)
  const tagged = []
  for (const node of nodes(ast)) {
    if (node.type === 'TaggedTemplateExpression') tagged.push([node.quasi.start, node.quasi.end])
  }
  let out = ''
  let last = 0
  let p = 0
  for (let at = 0; at < source.length;) {
    const code = source.codePointAt(at)
    const width = code > 0xffff ? 2 : 1
    if (code <= 0x7f) {
      at += width
      continue
    }
    while (p < places.length && places[p].end <= at) p++
    const place = p < places.length && places[p].start <= at ? places[p] : undefined
    const where = () => {
      const line = source.slice(0, at).split('\n').length
      return `${file}, line ${line}: U+${hex(code).toUpperCase()}`
    }
    let escape
    switch (place?.kind) {
      case 'comment':
        escape = `\\u{${code.toString(16)}}`
        break
      case 'string':
      case 'template':
        if (tagged.some(([s, e]) => s <= at && at < e)) {
          throw new Error(
            `${where()} is in a tagged template, whose raw text an escape would change`
          )
        }
        if (escaped(source, at)) throw new Error(`${where()} follows a backslash`)
        escape = unitEscapes(code)
        break
      case 'regexp': {
        if (escaped(source, at)) throw new Error(`${where()} follows a backslash`)
        const flags = place.token.value.flags
        escape = /[uv]/.test(flags) ? `\\u{${code.toString(16)}}` : unitEscapes(code)
        break
      }
      case 'name':
      case 'privateId':
        escape = `\\u{${code.toString(16)}}`
        break
      default:
        // Between tokens, only white space or a line end can be: one of ASCII means the same.
        if (!/\s/u.test(String.fromCodePoint(code))) {
          throw new Error(`${where()} is outside any string, comment or name`)
        }
        escape = code === 0x2028 || code === 0x2029 ? '\n' : ' '
    }
    out += source.slice(last, at) + escape
    at += width
    last = at
  }
  out += source.slice(last)
  if (meaning(out) !== meaning(source)) throw new Error(`${file}: escaping changed what it means`)
  return out
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    for (const file of process.argv.slice(2)) {
      const source = fs.readFileSync(file, 'utf8')
      const finished = asciiOnly(eagerModules(source, file), file)
      if (finished !== source) fs.writeFileSync(file, finished)
    }
  } catch (error) {
    console.error(`finish-bundle: ${error.message}`)
    process.exit(1)
  }
}
