import { JitError } from '../errors.ts'
import type { ConstraintViolation } from './database.ts'

/**
 * A database error met by a model call, as the coded error its user sees: a constraint the write broke
 * (naming columns, never values), or a failure that is not the input's fault.
 *
 * @example
 * throw translateDatabaseError(error, db.models.readConstraintViolation(error), 'models.User')
 */
export function translateDatabaseError(
  error: unknown,
  violation: ConstraintViolation | null,
  label: string,
): JitError {
  if (violation?.kind === 'unique') {
    return new JitError(
      'JIT_MODEL_CONSTRAINT_VIOLATION',
      `${label}: a row with the same (${violation.columns.join(', ')}) already exists. ` +
        'Use upsert with that key to update it, or give a different value.',
      { field: violation.columns.join(',') },
      { cause: error },
    )
  }
  if (violation) {
    const what =
      violation.kind === 'notNull'
        ? `"${violation.columns.join(', ')}" cannot be empty`
        : 'a constraint failed'
    return new JitError(
      'JIT_MODEL_CONSTRAINT_VIOLATION',
      `${label}: the database refused the write (${what}). Give every required field a value.`,
      {},
      { cause: error },
    )
  }
  return new JitError(
    'JIT_DB_QUERY_FAILED',
    `${label}: the database failed the query (${(error as Error)?.message ?? 'unknown error'}). ` +
      'If it says the database is locked, another process held it longer than the busy timeout; retry or look for a stuck writer.',
    {},
    { cause: error },
  )
}
