import { type ErrorLocation, JitError } from '../errors.ts'
import type { ConstraintViolation, DialectName } from './database.ts'
import { postgresFaultOf, postgresQueryHint } from './postgres-errors.ts'

/** What an answer 503 tells a client about when to come back, in seconds (`Retry-After`). */
export const DATABASE_RETRY_AFTER_SECONDS = 30

/**
 * A failure of the database itself rather than of a query: the file or disk cannot take a write (or a
 * read), whatever the request. Requests that meet one answer 503; the database's health tracks it.
 */
export interface StorageFault {
  /** The driver's code: `SQLITE_FULL`, `SQLITE_READONLY`, `SQLITE_IOERR_WRITE`, `ECONNREFUSED`, `57P01`, ... */
  readonly code: string
  /** What is wrong, for an operator: "the disk is full". */
  readonly reason: string
  /** What to do about it. */
  readonly fix: string
}

// By the primary result code (the part before any extended suffix), as SQLite reports them.
const STORAGE_FAULTS: ReadonlyMap<string, Omit<StorageFault, 'code'>> = new Map([
  ['SQLITE_FULL', { reason: 'the disk is full', fix: 'Free space on the disk that holds the database' }],
  [
    'SQLITE_READONLY',
    {
      reason: 'the database file is read-only',
      fix: 'Make the database file, its -wal and -shm files and their folder writable by this process',
    },
  ],
  [
    'SQLITE_IOERR',
    {
      reason: 'the disk reported an I/O error',
      fix: 'Check the disk, and that the database file and its -wal file are writable (not immutable)',
    },
  ],
  [
    'SQLITE_CANTOPEN',
    {
      reason: 'a file of the database cannot be opened',
      fix: 'Check that the database folder exists and this process may write to it',
    },
  ],
  [
    'SQLITE_BUSY',
    {
      reason: 'another connection held the write lock longer than the busy timeout',
      fix: 'Look for a stuck writer (another process with a long transaction on the same file)',
    },
  ],
  [
    'SQLITE_CORRUPT',
    { reason: 'the database file is damaged', fix: 'Restore the database file from a backup' },
  ],
  [
    'SQLITE_NOTADB',
    { reason: 'the database file is not a SQLite database', fix: 'Restore the database file from a backup' },
  ],
])

/**
 * The storage fault behind `error` (a driver error, or a JitError caused by one), or undefined when
 * the error is the query's own (a constraint, bad SQL) or not the database's at all.
 *
 * @example
 * const fault = storageFaultOf(error)
 * if (fault) reply.code(503).header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS))
 */
export function storageFaultOf(error: unknown): StorageFault | undefined {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 8; depth++) {
    const code = (cause as { code?: unknown }).code
    if (typeof code === 'string' && code.startsWith('SQLITE_')) {
      const known = STORAGE_FAULTS.get(code.split('_').slice(0, 2).join('_'))
      return known && { code, ...known }
    }
    const postgres = postgresFaultOf(cause)
    if (postgres) return postgres
    cause = cause.cause
  }
  return undefined
}

/** The coded error a caller of the database meets when `fault` stops it. */
export function databaseUnavailable(
  fault: StorageFault,
  label: string,
  cause: unknown,
  where: ErrorLocation = {},
): JitError {
  return new JitError(
    'JIT_DB_UNAVAILABLE',
    `${label}: the database cannot be used: ${fault.reason} (${fault.code}). ${fault.fix}; ` +
      'requests that need it answer 503 until it recovers.',
    where,
    { cause },
  )
}

/** What to do about a query the database failed, in terms of the database it ran on. */
function queryFailedHint(error: unknown, dialect: DialectName): string {
  if (dialect === 'postgres') return postgresQueryHint(error)
  return 'If it says the database is locked, another process held it longer than the busy timeout; retry or look for a stuck writer.'
}

/**
 * A database error met by a model call, as the coded error its user sees: a constraint the write broke
 * (naming columns, never values), or a failure that is not the input's fault.
 *
 * @example
 * throw translateDatabaseError(error, db.models.readConstraintViolation(error), 'models.User', db.dialect)
 */
export function translateDatabaseError(
  error: unknown,
  violation: ConstraintViolation | null,
  label: string,
  dialect: DialectName,
): JitError {
  const fault = storageFaultOf(error)
  if (fault) return databaseUnavailable(fault, label, error)
  const code = (error as { code?: unknown } | null)?.code
  // PostgreSQL's text and jsonb cannot hold U+0000 (SQLite's can): the value's fault, not the database's.
  if (code === '22021' || code === '22P05') {
    return new JitError(
      'JIT_MODEL_VALUE_INVALID',
      `${label}: a text or JSON value holds the character U+0000 (NUL), which PostgreSQL cannot store. Remove it from the value.`,
      {},
      { cause: error },
    )
  }
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
    `${label}: the database failed the query (${(error as Error)?.message ?? 'unknown error'}). ${queryFailedHint(error, dialect)}`,
    {},
    { cause: error },
  )
}
