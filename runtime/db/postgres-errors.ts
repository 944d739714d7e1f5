/**
 * PostgreSQL's side of database errors: which of them mean the database cannot be used right now (the
 * server is down, restarting, out of disk or connections), as opposed to a query's own fault, and the
 * coded error `jit check` reports for a server it cannot reach.
 *
 * A connection error is a plain Node error (`ECONNREFUSED`), which a WeChat call can meet too; only
 * errors that came out of one of our PostgreSQL pools are marked, and only marked ones count as faults.
 */
import { JitError } from '../errors.ts'
import type { StorageFault } from './database-errors.ts'

const fromPostgres = new WeakSet<object>()

/** Records that `error` came from a PostgreSQL connection of ours; returns it, for `throw mark(e)`. */
export function markPostgresError<T>(error: T): T {
  if (typeof error === 'object' && error !== null) fromPostgres.add(error)
  return error
}

const SERVER_DOWN = {
  reason: 'the PostgreSQL server cannot be reached or closed the connection',
  fix: 'Check that the server is running and reachable from this node; the connection pool reconnects on its own when it is back',
}

// Node's codes for a connection that could not open or broke.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
])

// SQLSTATE codes (https://www.postgresql.org/docs/15/errcodes-appendix.html) that say the server, not
// the query, is the problem.
const SQLSTATE_FAULTS: ReadonlyMap<string, Omit<StorageFault, 'code'>> = new Map([
  ['57P01', { reason: 'the PostgreSQL server was shut down by an administrator', fix: SERVER_DOWN.fix }],
  ['57P02', { reason: 'the PostgreSQL server crashed', fix: SERVER_DOWN.fix }],
  ['57P03', { reason: 'the PostgreSQL server is starting up or shutting down', fix: SERVER_DOWN.fix }],
  ['53100', { reason: 'the PostgreSQL server is out of disk space', fix: 'Free space on the server’s disk' }],
  ['53200', { reason: 'the PostgreSQL server is out of memory', fix: 'Check the server’s memory settings' }],
  [
    '53300',
    {
      reason: 'the PostgreSQL server has no connection slot left',
      fix: 'Lower poolSize on the nodes or raise max_connections on the server',
    },
  ],
  [
    '25006',
    {
      reason: 'the PostgreSQL server takes no writes (a read-only standby)',
      fix: 'Point the url at the primary server',
    },
  ],
])

// What pg throws, without a code, for a connection that ended or never came.
const DRIVER_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /^Client has encountered a connection error/,
  /^Client was closed/,
]

function faultOf(error: Error): StorageFault | undefined {
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code)) return { code, ...SERVER_DOWN }
    const known = SQLSTATE_FAULTS.get(code)
    if (known) return { code, ...known }
    // Class 08: connection exceptions.
    if (/^08[0-9A-Z]{3}$/.test(code)) return { code, ...SERVER_DOWN }
    return undefined
  }
  if (DRIVER_MESSAGES.some((pattern) => pattern.test(error.message)))
    return { code: 'PG_CONNECTION_LOST', ...SERVER_DOWN }
  return undefined
}

/** The fault behind a marked PostgreSQL error, or undefined (unmarked, or the query's own error). */
export function postgresFaultOf(error: Error): StorageFault | undefined {
  return fromPostgres.has(error) ? faultOf(error) : undefined
}

// SQLSTATE codes of failed queries that are neither the input's fault nor the server being away,
// with what to do about each.
const QUERY_HINTS: ReadonlyMap<string, string> = new Map([
  [
    '57014',
    'The server canceled it past its statement timeout: make it cheaper (an index), or raise statementTimeoutMs in the database config.',
  ],
  [
    '55P03',
    'A lock it needed was not granted within lock_timeout: look for a long transaction holding it (pg_stat_activity).',
  ],
  ['40P01', 'It deadlocked with another transaction, which went on: retry it.'],
  ['40001', 'A concurrent transaction changed the same rows: retry it.'],
  [
    '42P01',
    'Its table is missing (dropped or renamed outside jitlite): restart the node, or save the model in jit dev, to create it.',
  ],
  [
    '42703',
    'A column is missing (changed outside jitlite): restart the node, or save the model in jit dev, to add it.',
  ],
  ['42501', "The database user lacks a privilege on the table: GRANT it, or connect as the table's owner."],
])

/** What to do about a query PostgreSQL failed, by its SQLSTATE (never the server's own text). */
export function postgresQueryHint(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  const known = typeof code === 'string' ? QUERY_HINTS.get(code) : undefined
  if (known) return known
  const shown = typeof code === 'string' ? ` ${code}` : ''
  return `Look up SQLSTATE${shown} in PostgreSQL's error codes, and the server's log at that time.`
}

/** Why a first connection failed, in words; never the server's own text, which may echo the URL. */
function connectFailure(error: unknown): string {
  const code = (error as { code?: unknown })?.code
  switch (code) {
    case '28P01':
    case '28000':
      return 'the server refused the user or password (check user and password, or the url)'
    case '3D000':
      return 'the database does not exist on that server (create it, or fix the database name)'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name does not resolve (check host, or the url)'
    case 'ECONNREFUSED':
      return 'nothing accepts connections at that address (is the server running, on that port?)'
    default: {
      const fault = error instanceof Error ? faultOf(error) : undefined
      if (fault) return `${fault.reason} (${fault.code})`
      const shown = typeof code === 'string' ? ` (${code})` : ''
      return `the connection failed${shown}; check the url, ssl and the server's pg_hba.conf`
    }
  }
}

/**
 * The error `jit check` and a first connection report for a database that could not be reached,
 * naming where (`location` never holds the password) and what to check.
 */
export function postgresUnreachable(location: string, error: unknown): JitError {
  return new JitError(
    'JIT_DB_UNREACHABLE',
    `could not connect to the PostgreSQL database ${location}: ${connectFailure(error)}.`,
    {},
    { cause: error },
  )
}
