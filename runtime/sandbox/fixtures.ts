import { readFileSync } from 'node:fs'
import type { z } from 'zod'

export interface FixturesReading {
  /** What the fixtures are called in messages: "WeCom sandbox fixtures". */
  what: string
  /** The sandbox's "fixtures invalid" error. */
  invalid: (message: string, cause?: unknown) => Error
}

/**
 * A sandbox's fixtures (its apps and users) from a JSON file path, a file URL or an object, validated
 * by `schema`. Throws the sandbox's "fixtures invalid" error saying which file and, for a file that
 * does not match, every field that is wrong; a JSON syntax error gives only the position, since the
 * parser's own message can quote the file (secrets included). The result is a copy: changing it never
 * changes the object passed in.
 *
 * @example
 * const fixtures = readFixtures(options.fixtures ?? DEFAULT_FIXTURES_PATH, fixturesSchema, {
 *   what: 'Acme sandbox fixtures',
 *   invalid: (message, cause) => new AcmeSandboxError('ACME_SANDBOX_FIXTURES_INVALID', message, { cause }),
 * })
 */
export function readFixtures<Schema extends z.ZodType>(
  source: string | URL | z.input<Schema>,
  schema: Schema,
  reading: FixturesReading,
): z.output<Schema> {
  const isObject = typeof source === 'object' && source !== null && !(source instanceof URL)
  const where = isObject ? 'the fixtures object' : String(source)
  const parsed = schema.safeParse(isObject ? source : readJsonFile(source as string | URL, reading))
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    )
    throw reading.invalid(
      `${where} is not valid ${reading.what} (${problems.join('; ')}). Fix these fields; fixtures.json beside the sandbox shows the shape.`,
    )
  }
  return structuredClone(parsed.data)
}

function readJsonFile(path: string | URL, reading: FixturesReading): unknown {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (cause) {
    throw reading.invalid(
      `Cannot read the fixtures file ${String(path)}: check the path given to --fixtures or the fixtures option.`,
      cause,
    )
  }
  try {
    return JSON.parse(text)
  } catch (cause) {
    const position = /position (\d+)/.exec(String((cause as Error)?.message))
    throw reading.invalid(
      `The fixtures file ${String(path)} is not valid JSON${position ? ` (at character ${position[1]})` : ''}: fix its syntax.`,
      cause,
    )
  }
}
