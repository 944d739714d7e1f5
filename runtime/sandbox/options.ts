import { z } from 'zod'

export interface OptionParser {
  /** Validates a value with its schema, throwing the sandbox's "option invalid" error that names the fields. */
  parseOption<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T>
  /** The sandbox's "option invalid" error for `what`, from a ZodError (its fields) or any other error. */
  optionError(what: string, cause: unknown): Error
}

/**
 * Option validation for a sandbox's programmatic control and admin routes: every malformed option,
 * switch, fault or admin body becomes one error (made by `invalid`) whose message lists each field
 * and what is wrong with it, e.g. `Invalid fault: kind: Invalid input.`
 *
 * @example
 * export const { parseOption, optionError } = optionParser(
 *   (message, cause) => new AcmeSandboxError('ACME_SANDBOX_OPTION_INVALID', message, { cause }),
 * )
 */
export function optionParser(invalid: (message: string, cause: unknown) => Error): OptionParser {
  const optionError = (what: string, cause: unknown): Error => {
    const detail =
      cause instanceof z.ZodError
        ? cause.issues.map((issue) => `${issue.path.join('.') || what}: ${issue.message}`).join('; ')
        : String((cause as Error)?.message ?? cause)
    return invalid(`Invalid ${what}: ${detail}.`, cause)
  }
  return {
    optionError,
    parseOption<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
      const parsed = schema.safeParse(value)
      if (!parsed.success) throw optionError(what, parsed.error)
      return parsed.data
    },
  }
}
