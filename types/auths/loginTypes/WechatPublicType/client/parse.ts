/**
 * WeChat's JSON, read leniently: whatever the Content-Type says (often text/plain), with raw control
 * characters inside strings (nicknames have carried U+0014 next to an emoji; strict JSON forbids them).
 */

export type BodyProblem = 'empty' | 'not_json'

export type ParsedBody = { ok: true; value: Record<string, unknown> } | { ok: false; problem: BodyProblem }

/**
 * Parses a WeChat answer into a plain object, or says why it cannot. The body is never echoed.
 *
 * @example
 * parseWechatBody('{"nickname":"A\u0014B"}') // { ok: true, value: { nickname: 'A\u0014B' } }
 * parseWechatBody('<html>busy</html>')        // { ok: false, problem: 'not_json' }
 */
export function parseWechatBody(text: string): ParsedBody {
  let start = 0
  if (text.charCodeAt(0) === 0xfeff) start = 1
  while (start < text.length && isJsonWhitespace(text.charCodeAt(start))) start++
  if (start === text.length) return { ok: false, problem: 'empty' }
  // Only an object is an answer; this also turns HTML pages away before any parsing.
  if (text.charCodeAt(start) !== 0x7b /* { */) return { ok: false, problem: 'not_json' }
  const value = parseObject(start === 0 ? text : text.slice(start))
  return value === undefined ? { ok: false, problem: 'not_json' } : { ok: true, value }
}

/** A raw U+0000..U+001F anywhere: legal whitespace between tokens, or a character strict JSON refuses. */
const CONTROL_CHARACTER = /[\u0000-\u001f]/

function parseObject(text: string): Record<string, unknown> | undefined {
  // The native parser alone when the body has no control character at all (most bodies); otherwise
  // the repair pass first, rather than a throw from the strict parser (a throw costs more than the pass).
  let parsed: unknown
  try {
    parsed = JSON.parse(CONTROL_CHARACTER.test(text) ? escapeControlCharactersInStrings(text) : text)
  } catch {
    return undefined
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined
  return parsed as Record<string, unknown>
}

function isJsonWhitespace(char: number): boolean {
  return char === 0x20 || char === 0x0a || char === 0x0d || char === 0x09
}

/**
 * Rewrites each raw U+0000..U+001F inside a JSON string as its `\u00XX` escape, so the value keeps the
 * character. Outside strings nothing changes (whitespace there is legal, anything else stays an error).
 */
export function escapeControlCharactersInStrings(text: string): string {
  let out = ''
  let copiedUpTo = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i)
    if (!inString) {
      if (char === 0x22 /* " */) inString = true
      continue
    }
    if (char === 0x5c /* \ */) {
      i++
      continue
    }
    if (char === 0x22) {
      inString = false
      continue
    }
    if (char < 0x20) {
      out += `${text.slice(copiedUpTo, i)}\\u${char.toString(16).padStart(4, '0')}`
      copiedUpTo = i + 1
    }
  }
  return copiedUpTo === 0 ? text : out + text.slice(copiedUpTo)
}
