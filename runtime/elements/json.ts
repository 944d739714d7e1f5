import { type ErrorCode, JitError } from '../errors.ts'

/**
 * Parses a JSON file's text; a syntax error becomes a JitError with the line and column of the
 * problem, which V8 only reports as a character offset.
 */
export function parseJsonFile(text: string, file: string, code: ErrorCode, element?: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  try {
    return JSON.parse(body)
  } catch (err) {
    const detail = (err as Error).message
    const offsetMatch = /at position (\d+)/.exec(detail)
    const offset = offsetMatch ? Number(offsetMatch[1]) : body.length
    const { line, column } = lineAndColumn(body, offset)
    const reason = detail
      .replace(/ in JSON at position \d+.*$/, '')
      // V8 quotes the text around an unexpected token, which can be part of a secret: never repeat it.
      .replace(/^Unexpected token\b[\s\S]*$/, 'unexpected character')
      .replace(/^Unexpected end of JSON input$/, 'the file ends early')
    const what = body.trim() === '' ? 'the file is empty' : reason
    return new JitError(code, `not valid JSON: ${what} (line ${line}, column ${column})`, {
      file,
      element,
      line,
      column,
    })
  }
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1
  let lineStart = 0
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++
      lineStart = i + 1
    }
  }
  return { line, column: offset - lineStart + 1 }
}
