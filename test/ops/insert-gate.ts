import pg from 'pg'
import type { Dialect } from '../db/db-helpers.ts'

/** The advisory lock of the gate. */
const GATE_LOCK = 4242

/**
 * Runs `burst` so that its inserts into `table` meet. SQLite runs one statement at a time anyway. On
 * PostgreSQL a trigger holds each insert at a gate after its count, until `connections` statements wait
 * (at the gate, or for their address's turn); then the gate opens. Inserts that did not take turns
 * have all counted by then, none seeing the others' rows: a plain burst rarely races this way.
 *
 * @example
 * const made = await meetAtGate({ dialect, url: place().location, table: 'jit_login_tickets', connections: 4 }, () => Promise.all(starts))
 */
export async function meetAtGate<T>(
  where: { dialect: Dialect; url: string; table: string; connections: number },
  burst: () => Promise<T>,
): Promise<T> {
  if (where.dialect === 'sqlite') return burst()
  const gate = new pg.Client({ connectionString: where.url })
  await gate.connect()
  try {
    await gate.query(`create or replace function jit_test_gate() returns trigger language plpgsql as $$
      begin perform pg_advisory_xact_lock_shared(${GATE_LOCK}); return new; end $$`)
    await gate.query(
      `create trigger jit_test_gate before insert on ${where.table} for each row execute function jit_test_gate()`,
    )
    await gate.query(`select pg_advisory_lock(${GATE_LOCK})`)
    const running = burst()
    for (;;) {
      const { rows } = await gate.query(
        'select count(*)::int as n from pg_locks where not granted and database = (select oid from pg_database where datname = current_database())',
      )
      if (rows[0].n >= where.connections) break
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    await gate.query(`select pg_advisory_unlock(${GATE_LOCK})`)
    return await running
  } finally {
    await gate.query(`drop trigger if exists jit_test_gate on ${where.table}`).catch(() => undefined)
    await gate.end()
  }
}
