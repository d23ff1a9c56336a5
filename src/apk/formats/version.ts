/**
 * APK version strings, ordered the way apk-tools 2.14 orders them.
 *
 * Grammar (Gentoo style): `digits{.digits}[letter]{_suffix[digits]}[-rN]`. A version is read as a
 * stream of typed tokens; two versions are compared token by token, by type and then by value.
 * The quirks of apk-tools 2.14 are kept on purpose, because the solver must pick exactly the
 * package apk would pick:
 * - after a `.`, a number with leading zeros is read as a negative "zero run" token (a `0` followed
 *   by k more zeros is worth −k) and then the remaining digits, so `1.0 > 1.00` and `1.05 < 1.5`;
 * - when one version runs out first, it is the smaller one unless the other continues with a
 *   pre-release suffix (`_alpha`, `_beta`, `_pre`, `_rc`), or with an unknown suffix;
 * - an invalid token ends the comparison with the same ad-hoc result apk gives;
 * - fuzzy matching (`~`) succeeds whenever every token compared so far was equal.
 */

/** Token types, in the order apk-tools numbers them: a later type may not precede an earlier one. */
const enum Tok {
  Invalid = -1,
  DigitOrZero = 0,
  Digit = 1,
  Letter = 2,
  Suffix = 3,
  SuffixNo = 4,
  RevisionNo = 5,
  End = 6
}

const PRE_SUFFIXES = ['alpha', 'beta', 'pre', 'rc']
const POST_SUFFIXES = ['cvs', 'svn', 'git', 'hg', 'p']

/** A token value; numbers too long for a double stay exact as bigint. */
type TokenValue = number | bigint

/** Bits a comparison yields; they match VersionOp in types.ts so a result can be tested against a mask. */
const LESS = 1
const EQUAL = 2
const GREATER = 4

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39
}

function isLower(c: number): boolean {
  return c >= 0x61 && c <= 0x7a
}

/** Whether token type `next` may follow `prev` even though it numbers lower. */
function mayGoBack(next: Tok, prev: Tok): boolean {
  return (
    (next === Tok.DigitOrZero && prev === Tok.Digit) ||
    (next === Tok.Suffix && prev === Tok.SuffixNo) ||
    (next === Tok.Digit && prev === Tok.Letter)
  )
}

/** Reads one version string token by token, keeping apk's state machine. */
class VersionReader {
  type: Tok = Tok.Digit
  private pos = 0

  constructor(private readonly text: string) {}

  /** Decides the type of the token that starts at the cursor (consuming its separator). */
  private advanceType(): void {
    const s = this.text
    const c = s.charCodeAt(this.pos)
    let next: Tok
    if (this.pos >= s.length) {
      next = Tok.End
    } else if ((this.type === Tok.Digit || this.type === Tok.DigitOrZero) && isLower(c)) {
      next = Tok.Letter
    } else if (this.type === Tok.Letter && isDigit(c)) {
      next = Tok.Digit
    } else if (this.type === Tok.Suffix && isDigit(c)) {
      next = Tok.SuffixNo
    } else {
      next = this.separatorType()
      this.pos++
    }
    if (next < this.type && !mayGoBack(next, this.type)) next = Tok.Invalid
    this.type = next
  }

  private separatorType(): Tok {
    const s = this.text
    switch (s[this.pos]) {
      case '.':
        return Tok.DigitOrZero
      case '_':
        return Tok.Suffix
      case '-':
        if (s[this.pos + 1] === 'r') {
          this.pos++
          return Tok.RevisionNo
        }
        return Tok.Invalid
      default:
        return Tok.Invalid
    }
  }

  private readNumber(): TokenValue {
    const s = this.text
    const start = this.pos
    while (this.pos < s.length && isDigit(s.charCodeAt(this.pos))) this.pos++
    const digits = s.slice(start, this.pos)
    if (digits.length === 0) return 0
    // apk-tools 2.14 compares these as 64-bit integers; past 15 digits a double would round.
    return digits.length <= 15 ? Number(digits) : longNumber(digits)
  }

  /** A run of zeros after `.`: every zero that another zero follows counts −1, the rest is a number. */
  private readZeroRun(): number {
    const s = this.text
    let zeros = 0
    while (this.pos + zeros + 1 < s.length && s[this.pos + zeros + 1] === '0') zeros++
    this.pos += zeros
    return -zeros
  }

  private readSuffix(): TokenValue | undefined {
    const rest = this.text.slice(this.pos)
    const pre = PRE_SUFFIXES.findIndex((p) => rest.startsWith(p))
    if (pre >= 0) {
      this.pos += PRE_SUFFIXES[pre].length
      return pre - PRE_SUFFIXES.length
    }
    const post = POST_SUFFIXES.findIndex((p) => rest.startsWith(p))
    if (post >= 0) {
      this.pos += POST_SUFFIXES[post].length
      return post
    }
    return undefined
  }

  /** Reads the value of the current token and moves on to the next one. */
  next(): TokenValue {
    if (this.pos >= this.text.length) {
      this.type = Tok.End
      return 0
    }
    let value: TokenValue
    let forced: Tok | undefined
    switch (this.type) {
      case Tok.DigitOrZero:
        if (this.text[this.pos] === '0') {
          value = this.readZeroRun()
          forced = Tok.Digit
          break
        }
        value = this.readNumber()
        break
      case Tok.Digit:
      case Tok.SuffixNo:
      case Tok.RevisionNo:
        value = this.readNumber()
        break
      case Tok.Letter:
        value = this.text.charCodeAt(this.pos++)
        break
      case Tok.Suffix: {
        const suffix = this.readSuffix()
        if (suffix === undefined) {
          this.type = Tok.Invalid
          return -1
        }
        value = suffix
        break
      }
      default:
        this.type = Tok.Invalid
        return -1
    }
    if (this.pos >= this.text.length) this.type = Tok.End
    else if (forced !== undefined) this.type = forced
    else this.advanceType()
    return value
  }

  /** A copy at the same position, to peek at the next token's value. */
  clone(): VersionReader {
    const copy = new VersionReader(this.text)
    copy.type = this.type
    copy.pos = this.pos
    return copy
  }
}

/**
 * Compares two versions and returns apk's result bit: 1 (LESS), 2 (EQUAL) or 4 (GREATER).
 * With `fuzzy`, versions whose compared tokens are all equal count as EQUAL whichever runs out.
 */
export function compareVersionBits(a: string, b: string, fuzzy = false): number {
  const ra = new VersionReader(a)
  const rb = new VersionReader(b)
  let av: TokenValue = 0
  let bv: TokenValue = 0
  while (ra.type === rb.type && ra.type !== Tok.End && ra.type !== Tok.Invalid && av == bv) {
    av = ra.next()
    bv = rb.next()
  }
  if (av < bv) return LESS
  if (av > bv) return GREATER
  if (ra.type === rb.type || fuzzy) return EQUAL
  return ranOutFirst(ra, rb)
}

/** The leading tokens are equal and one side goes on: it is greater unless it goes on with a pre-release. */
function ranOutFirst(ra: VersionReader, rb: VersionReader): number {
  if (ra.type === Tok.Suffix && ra.clone().next() < 0) return LESS
  if (rb.type === Tok.Suffix && rb.clone().next() < 0) return GREATER
  if (ra.type > rb.type) return LESS
  if (rb.type > ra.type) return GREATER
  return EQUAL
}

/** Orders two versions as apk-tools 2.14 does: -1 if a < b, 0 if equal, 1 if a > b. */
/**
 * Long digit runs as BigInts, made once each: a hostile index repeats one in every comparison,
 * and making a BigInt of 200,000 digits each time took a minute over 2,000 providers.
 */
const longNumbers = new Map<string, bigint>()
const LONG_NUMBERS_KEPT = 4096

function longNumber(digits: string): bigint {
  let value = longNumbers.get(digits)
  if (value === undefined) {
    if (longNumbers.size >= LONG_NUMBERS_KEPT) longNumbers.clear()
    value = BigInt(digits)
    longNumbers.set(digits, value)
  }
  return value
}

export function compareVersions(a: string, b: string): -1 | 0 | 1 {
  const r = compareVersionBits(a, b)
  return r === LESS ? -1 : r === GREATER ? 1 : 0
}

/** Whether apk-tools 2.14 accepts `v` as a version (it reads to the end without an invalid token). */
export function isValidVersion(v: string): boolean {
  const r = new VersionReader(v)
  while (r.type !== Tok.End && r.type !== Tok.Invalid) r.next()
  return r.type === Tok.End
}

/** The `~` test of apk-tools 2.14: true when every token both versions share is equal (`1.2 ~ 1.2.3`). */
export function fuzzyMatch(a: string, b: string): boolean {
  return compareVersionBits(a, b, true) === EQUAL
}
