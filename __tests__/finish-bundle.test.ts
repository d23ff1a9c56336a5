/**
 * scripts/finish-bundle.mjs, which `npm run bundle` runs over dist/: each module's function
 * written so V8 compiles it with the script, and every character above 0x7f escaped so the
 * program means the same (V8 holds a source with any such character two bytes per character,
 * for as long as the program runs), and refused where an escape would not.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import * as acorn from 'acorn'

const SCRIPT = path.join(process.cwd(), 'scripts/finish-bundle.mjs')

let dir: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'witchery-ascii-'))
})
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

/** Runs the script over a file holding `source`; returns the file's text after and the run. */
function escape(source: string) {
  const file = path.join(dir, 'bundle.mjs')
  fs.writeFileSync(file, source)
  const run = spawnSync(process.execPath, [SCRIPT, file], { encoding: 'utf8' })
  return { text: fs.readFileSync(file, 'utf8'), status: run.status, stderr: run.stderr, file }
}

const PROGRAM = `#!/usr/bin/env node
// A comment with × and → and an astral 😀, and a line separator\u2028const separated = 1
/* a block comment: … */
const café = 'caf\u00e9 — ok'
const é = "double \u201cquoted\u201d"
const plain = \`template × \${café.length} 😀\`
const pattern = /[à-ü]+|😀/
const unicode = /😀{2}|[α-ω]/u
class Box { #größe = 3; get größe() { return this.#größe } }
const matches = [pattern.test('ü'), pattern.test('x'), unicode.test('😀😀'), unicode.test('β')]
console.log(JSON.stringify([café, é, plain, matches, new Box().größe, separated]))
`

describe('finish-bundle: ASCII', () => {
  it('escapes every character above 0x7f, and the program does the same', () => {
    const original = path.join(dir, 'original.mjs')
    fs.writeFileSync(original, PROGRAM)
    const before = execFileSync(process.execPath, [original], { encoding: 'utf8' })
    const { text, status, file } = escape(PROGRAM)
    expect(status).toBe(0)
    expect([...text].every((c) => c.charCodeAt(0) <= 0x7f)).toBe(true)
    expect(text).toContain(String.raw`const caf\u{e9} = 'caf\u00e9 \u2014 ok'`)
    expect(text).toContain(String.raw`/[\u00e0-\u00fc]+|\ud83d\ude00/`)
    expect(text).toContain(String.raw`/\u{1f600}{2}|[\u{3b1}-\u{3c9}]/u`)
    expect(execFileSync(process.execPath, [file], { encoding: 'utf8' })).toBe(before)
    expect(JSON.parse(before)).toEqual([
      'café — ok',
      'double “quoted”',
      'template × 9 😀',
      [true, false, true, true],
      3,
      1
    ])
  })

  it('leaves a file with nothing to escape as it is', () => {
    const source = "console.log('plain')\n"
    expect(escape(source)).toMatchObject({ text: source, status: 0 })
  })

  it.each([
    ['a tagged template, whose raw text would change', 'String.raw`€`', 'is in a tagged template'],
    ['a character after a backslash', "const s = '\\€'", 'follows a backslash']
  ])('refuses %s, and leaves the file as it was', (_, source, reason) => {
    const run = escape(`${source}\n`)
    expect(run.status).not.toBe(0)
    expect(run.stderr).toMatch(/^finish-bundle: \S+bundle\.mjs, line 1: U\+20AC /)
    expect(run.stderr).toContain(reason)
    expect(run.text).toBe(`${source}\n`)
  })
})

/** A bundle as ncc writes one: its modules as arrows in a table, required by number. */
const BUNDLE = `var __webpack_modules__ = ({
/***/ 1:
/***/ ((module) => {
module.exports = { twice: (x) => 2 * x, args: function () { return arguments.length } }
/***/ }),
/***/ 2:
/***/ ((__unused_webpack_module, exports, require) => {
const { twice } = require(1)
exports.value = twice(21)
exports.arrow = (() => typeof this)()
/***/ }),
/***/ 3:
/***/ ((module, exports) => {
class Box { get self() { return this } }
exports.box = new Box().self instanceof Box
module.exports.nested = [1, 2].map(function (x) { return this.k * x }, { k: 3 })
/***/ })
});
const cache = {}
function require(id) {
  if (cache[id]) return cache[id].exports
  const module = (cache[id] = { exports: {} })
  __webpack_modules__[id](module, module.exports, require)
  return module.exports
}
console.log(JSON.stringify([require(2), require(3), require(1).args(1, 2)]))
`

describe('finish-bundle: modules compiled with the script', () => {
  it('writes each module arrow as a function in parentheses, unless it uses its own this', () => {
    const original = path.join(dir, 'original.mjs')
    fs.writeFileSync(original, BUNDLE)
    const before = execFileSync(process.execPath, [original], { encoding: 'utf8' })
    const { text, status, file } = escape(BUNDLE)
    expect(status).toBe(0)
    expect(text).toContain('/***/ 1:\n/***/ (function (module) {\n')
    expect(text).toContain('/***/ 3:\n/***/ (function (module, exports) {\n')
    // Module 2's arrow reads `this` (an arrow inside shares it): left as it is.
    expect(text).toContain('/***/ 2:\n/***/ ((__unused_webpack_module, exports, require) => {\n')
    expect(execFileSync(process.execPath, [file], { encoding: 'utf8' })).toBe(before)
    expect(JSON.parse(before)).toEqual([
      { value: 42, arrow: 'undefined' },
      { box: true, nested: [3, 6] },
      2
    ])
  })

  it("rewrites a chunk's exported modules too", () => {
    const chunk =
      'export const id = 7;\nexport const modules = {\n/***/ 7:\n/***/ ((m) => {\nm.exports = 1\n/***/ })\n};\n'
    const { text, status } = escape(chunk)
    expect(status).toBe(0)
    expect(text).toBe(chunk.replace('((m) => {', '(function (m) {'))
  })

  it('rewrites a CommonJS bundle (its table inside the bootstrap function) and chunk', () => {
    const wrapped = `(() => {\n${BUNDLE.replace('console.log', 'globalThis.out = ')}})()\nconsole.log(globalThis.out)\n`
    const original = path.join(dir, 'original.cjs')
    fs.writeFileSync(original, wrapped)
    const before = execFileSync(process.execPath, [original], { encoding: 'utf8' })
    const { text, status, file } = escape(wrapped)
    expect(status).toBe(0)
    expect(text).toContain('/***/ 1:\n/***/ (function (module) {\n')
    expect(text).toContain('/***/ 2:\n/***/ ((__unused_webpack_module, exports, require) => {\n')
    const cjs = `${file}.cjs`
    fs.renameSync(file, cjs)
    expect(execFileSync(process.execPath, [cjs], { encoding: 'utf8' })).toBe(before)

    const chunk =
      'exports.id = 7;\nexports.modules = {\n/***/ 7:\n/***/ ((m) => {\nm.exports = 1\n/***/ })\n};\n'
    const rewritten = escape(chunk)
    expect(rewritten.status).toBe(0)
    expect(rewritten.text).toBe(chunk.replace('((m) => {', '(function (m) {'))
    // Only the table at a chunk's top: a module's own `exports.modules` is not one.
    const inner =
      '(() => {\nexports.modules = {\n/***/ 7:\n/***/ ((m) => {\nm.exports = 1\n/***/ })\n};\n})()\n'
    expect(escape(inner).text).toBe(inner)
  })
})

describe('dist/', () => {
  it('holds the command line as CommonJS, the action as an ES module', () => {
    const type = (dir: string) =>
      JSON.parse(fs.readFileSync(path.join(process.cwd(), dir, 'package.json'), 'utf8')).type
    expect(type('dist')).toBe('module')
    expect(type('dist/cli')).toBe('commonjs')
  })

  it('the command line calls no import(): the program runs it as a script, which has none', () => {
    // dist/cli/index.js compiles main.js with vm.Script (src/code-cache.ts), which gives a
    // script no way to load an ES module; ncc turns our own import() into chunk loads.
    const dir = path.join(process.cwd(), 'dist/cli')
    const files = fs.readdirSync(dir).filter((name) => name.endsWith('.js'))
    expect(files).toContain('main.js')
    for (const name of files) {
      const source = fs.readFileSync(path.join(dir, name), 'utf8')
      const ast = acorn.parse(source, { ecmaVersion: 'latest', allowHashBang: true })
      const calls: string[] = []
      acornWalk(ast, (node) => {
        if (node.type === 'ImportExpression') calls.push(`${name}:${node.start}`)
      })
      expect(calls).toEqual([])
    }
  })

  it.each(['dist/index.js', 'dist/cli/main.js'])(
    '%s is ASCII, its modules compiled with the script',
    (file) => {
      const bytes = fs.readFileSync(path.join(process.cwd(), file))
      expect(bytes.findIndex((byte) => byte > 0x7f)).toBe(-1)
      const text = bytes.toString('latin1')
      expect(text).toMatch(/^\/\*{3}\/ \(function \(/m)
      expect(text).not.toMatch(/^\/\*{3}\/ \(\([\w, ]*\) => \{$/m)
    }
  )
})

/** Calls `visit` on every node of `node`, depth first. */
function acornWalk(node: unknown, visit: (node: acorn.Node) => void): void {
  if (node === null || typeof node !== 'object') return
  if (Array.isArray(node)) {
    for (const item of node) acornWalk(item, visit)
    return
  }
  const record = node as Record<string, unknown>
  if (typeof record.type === 'string') visit(node as acorn.Node)
  for (const [key, value] of Object.entries(record)) {
    if (key !== 'regex' && key !== 'value') acornWalk(value, visit)
  }
}
