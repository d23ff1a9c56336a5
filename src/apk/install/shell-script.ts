/**
 * A deliberately small reader of install scripts. An image has no shell, so witchery never runs
 * one; it reads a script into top-level commands and recognises only plain commands made of
 * literal words, simple variables set earlier in the script, `2>/dev/null`-style redirections
 * and a trailing `|| true`. Everything else (pipes, `&&`, `;`, command substitution, globs,
 * `if`/`case`/loops, functions, here-documents) stays one opaque command that is reported as
 * not run. Reading too little is safe; reading too much would apply what the script never did.
 */

/** One top-level command of a script, as written (continuation lines joined). */
export interface ScriptCommand {
  text: string
  /** True for `if`/`case`/loops/functions/here-documents: never read into words. */
  compound: boolean
}

/** A plain command read into words. */
export interface SimpleCommand {
  words: string[]
  /** `|| true` / `|| :` at the end: the command's failure does not matter. */
  orTrue: boolean
  /** `exec CMD`: the script ends with this command. */
  exec: boolean
}

const OPENERS = new Set(['if', 'case', 'for', 'while', 'until', '{', '('])
const CLOSERS = new Set(['fi', 'esac', 'done', '}', ')'])
/** Redirections that only silence output; they change nothing in the root. */
const SILENT_REDIRECTIONS = new Set([
  '2>/dev/null',
  '>/dev/null',
  '1>/dev/null',
  '2>&1',
  '&>/dev/null'
])
/**
 * The longest word read, variables expanded: install scripts' words are names, paths and short
 * values. Past it the command is not read (`a=$a$a` twenty-odd times once took 256 MiB).
 */
export const MAX_WORD = 4096
/** Characters that may appear unquoted in a word we read; anything else is shell syntax. */
const PLAIN = /^[A-Za-z0-9_./:,@%+=-]$/

/** Splits a script into top-level commands; comments and blank lines between them are dropped. */
export function splitScript(text: string): ScriptCommand[] {
  const lines = text.replace(/\\\n/g, '').split('\n')
  const commands: ScriptCommand[] = []
  let current: string[] = []
  let depth = 0
  let compound = false
  let heredoc: { word: string; tabs: boolean } | undefined
  const flush = () => {
    if (current.length > 0) commands.push({ text: current.join('\n'), compound })
    current = []
    compound = false
    depth = 0
  }
  for (const line of lines) {
    if (heredoc) {
      current.push(line)
      const end = heredoc.tabs ? line.replace(/^\t+/, '') : line
      if (end === heredoc.word) {
        heredoc = undefined
        if (depth <= 0) flush()
      }
      continue
    }
    const trimmed = line.trim()
    if (current.length === 0 && (trimmed === '' || trimmed.startsWith('#'))) continue
    current.push(line)
    for (const token of trimmed.split(/[\s;&|]+/)) {
      if (OPENERS.has(token)) {
        depth++
        compound = true
      } else if (CLOSERS.has(token)) {
        depth--
      } else if (/^[A-Za-z_][A-Za-z0-9_]*\(\)/.test(token)) {
        // `name() {`: the body that follows opens and closes the depth itself.
        compound = true
        if (token.endsWith('{')) depth++
      }
    }
    // `name()` with its body on the next line: keep reading.
    const bodyFollows = /^[A-Za-z_][A-Za-z0-9_]*\s*\(\)\s*$/.test(trimmed)
    const here = /<<(-?)\s*['"]?([A-Za-z0-9_]+)['"]?/.exec(trimmed)
    if (here) {
      heredoc = { word: here[2], tabs: here[1] === '-' }
      compound = true
      continue
    }
    if (depth <= 0 && !bodyFollows) flush()
  }
  if (current.length > 0) {
    compound = true
    flush()
  }
  return commands
}

/** How a command is shown in warnings: its first line, `…` when it goes on. */
export function commandLabel(command: ScriptCommand): string {
  const lines = command.text.split('\n')
  const first = lines[0].trim()
  return lines.length > 1 ? `${first} …` : first
}

/**
 * Reads a plain command into words, expanding `$name`/`${name}` from `vars`. Returns undefined
 * for anything that is not a plain command of literal words.
 */
export function readSimpleCommand(
  command: ScriptCommand,
  vars: ReadonlyMap<string, string>
): SimpleCommand | undefined {
  if (command.compound) return undefined
  const tokens = tokenize(command.text.trim(), vars)
  if (!tokens) return undefined
  let words = tokens.filter((t) => !(t.raw && SILENT_REDIRECTIONS.has(t.text)))
  let orTrue = false
  const n = words.length
  if (n >= 2 && words[n - 2].raw && words[n - 2].text === '||') {
    const last = words[n - 1]
    if (!last.raw || (last.text !== 'true' && last.text !== ':')) return undefined
    orTrue = true
    words = words.slice(0, n - 2)
  }
  if (words.some((w) => w.raw && !w.plain)) return undefined
  let exec = false
  if (words.length > 1 && words[0].raw && words[0].text === 'exec') {
    exec = true
    words = words.slice(1)
  }
  if (words.length === 0) return undefined
  return { words: words.map((w) => w.text), orTrue, exec }
}

/** `name=value` alone on a line: a shell variable the rest of the script may use. */
export function readAssignment(
  command: ScriptCommand,
  vars: ReadonlyMap<string, string>
): [string, string] | undefined {
  if (command.compound) return undefined
  const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(command.text.trim())
  if (!match) return undefined
  if (match[2] === '') return [match[1], '']
  const value = tokenize(match[2], vars)
  if (!value || value.length !== 1 || (value[0].raw && !value[0].plain)) return undefined
  return [match[1], value[0].text]
}

interface Token {
  text: string
  /** Came from unquoted text only (so `||` or `2>/dev/null` are operators, not strings). */
  raw: boolean
  /** Every unquoted character was a plain word character. */
  plain: boolean
}

/** Whitespace-separated words with '…', "…" and $name expansion; undefined for other syntax. */
function tokenize(text: string, vars: ReadonlyMap<string, string>): Token[] | undefined {
  const tokens: Token[] = []
  let i = 0
  while (i < text.length) {
    while (i < text.length && /[ \t]/.test(text[i])) i++
    if (i >= text.length) break
    if (text[i] === '#') break
    let word = ''
    let raw = true
    let plain = true
    while (i < text.length && !/[ \t]/.test(text[i])) {
      const ch = text[i]
      if (ch === "'") {
        const end = text.indexOf("'", i + 1)
        if (end < 0) return undefined
        word += text.slice(i + 1, end)
        raw = false
        i = end + 1
      } else if (ch === '"') {
        const end = text.indexOf('"', i + 1)
        if (end < 0) return undefined
        const inner = expandQuoted(text.slice(i + 1, end), vars)
        if (inner === undefined) return undefined
        word += inner
        raw = false
        i = end + 1
      } else if (ch === '$') {
        const match = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/.exec(
          text.slice(i)
        )
        const value = match ? vars.get(match[1] ?? match[2]) : undefined
        // Unknown variables, positional parameters and unquoted values that would split: no.
        if (!match || value === undefined || /\s/.test(value) || value === '') return undefined
        word += value
        raw = false
        i += match[0].length
      } else {
        if (!PLAIN.test(ch)) plain = false
        word += ch
        i++
      }
      if (word.length > MAX_WORD) return undefined
    }
    // Quoted or expanded text mixed with shell syntax (`"$x"|y`): not a plain word.
    if (!raw && !plain) return undefined
    tokens.push({ text: word, raw, plain })
  }
  return tokens
}

/** Text inside "…": only $name / ${name} of known variables; `$(`, backquotes, `\` refused. */
function expandQuoted(text: string, vars: ReadonlyMap<string, string>): string | undefined {
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (ch === '`' || ch === '\\') return undefined
    if (ch !== '$') {
      out += ch
      continue
    }
    const match = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/.exec(text.slice(i))
    const value = match ? vars.get(match[1] ?? match[2]) : undefined
    if (!match || value === undefined) return undefined
    out += value
    if (out.length > MAX_WORD) return undefined
    i += match[0].length - 1
  }
  return out
}
