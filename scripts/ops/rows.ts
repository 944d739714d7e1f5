/**
 * What a crash may have left in the login tables, read straight from the database file or server
 * (SQLite or PostgreSQL), in SQL both accept: rows no finished write would leave.
 */
import BetterSqlite3 from 'better-sqlite3'
import pg from 'pg'
import type { TargetDatabase } from './target.ts'

export interface RowReport {
  /** `PRAGMA integrity_check` on SQLite ('ok' when sound); PostgreSQL has none to run: 'n/a'. */
  integrity: string
  users: number
  sessions: number
  states: number
  /** Rows no finished write leaves, by table. All must be 0. */
  halfWritten: { users: number; sessions: number; states: number }
}

const COUNTS = {
  users: 'select count(*) as n from wechat_public_auth',
  sessions: 'select count(*) as n from jit_sessions',
  states: 'select count(*) as n from jit_login_states',
  // A user written without the profile the login fetched.
  halfUsers: `select count(*) as n from wechat_public_auth where openid = '' or nickname is null or "createdAt" is null`,
  // A session whose user row is not there.
  halfSessions: `select count(*) as n from jit_sessions s where not exists
    (select 1 from wechat_public_auth u where cast(u.id as varchar(32)) = s.user_key)`,
  // A state in no known status, finished without its outcome, or claimed without its code.
  halfStates: `select count(*) as n from jit_login_states where
    status not in ('pending', 'consuming', 'done', 'failed')
    or (status in ('done', 'failed') and (outcome_json is null or finished_at_ms is null))
    or (status = 'consuming' and (code_hash is null or claim_deadline_ms is null))`,
} as const

/** Opens the database as the restarted service would (a SQLite WAL is recovered) and reads it. */
export async function inspectRows(database: TargetDatabase, sqliteFile?: string): Promise<RowReport> {
  if (database.kind === 'sqlite') {
    const db = new BetterSqlite3(sqliteFile!)
    try {
      const count = (sql: string) => Number((db.prepare(sql).get() as { n: number }).n)
      return {
        integrity: String(db.pragma('integrity_check', { simple: true })),
        ...counted(count),
      }
    } finally {
      db.close()
    }
  }
  const client = new pg.Client({ connectionString: database.url })
  await client.connect()
  try {
    const results = new Map<string, number>()
    for (const [name, sql] of Object.entries(COUNTS))
      results.set(name, Number((await client.query(sql)).rows[0].n))
    return { integrity: 'n/a', ...counted((sql) => results.get(nameOf(sql))!) }
  } finally {
    await client.end()
  }
}

function nameOf(sql: string): string {
  return Object.entries(COUNTS).find(([, text]) => text === sql)![0]
}

function counted(count: (sql: string) => number): Omit<RowReport, 'integrity'> {
  return {
    users: count(COUNTS.users),
    sessions: count(COUNTS.sessions),
    states: count(COUNTS.states),
    halfWritten: {
      users: count(COUNTS.halfUsers),
      sessions: count(COUNTS.halfSessions),
      states: count(COUNTS.halfStates),
    },
  }
}
