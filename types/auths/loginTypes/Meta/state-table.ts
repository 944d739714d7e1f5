/**
 * The SQL of the login-state table (`jit_login_states`): its layout and the statements the store runs,
 * each built with kysely once per database (so it is that database's own dialect) and run again with
 * new values. Every change of a state's status is one conditional UPDATE: of two callers, on one node
 * or two, exactly one gets a row back.
 */
import { compileShape, createExpiringTable, slot } from 'jitlite/db'
import type { Kysely } from 'kysely'
import type { StateStatus } from './states.ts'

export const TABLE = 'jit_login_states'

/** A row as the database returns it (bigint columns may come back as bigints or numbers). */
export interface StateRow {
  id: number
  secret_hash: string
  login_type: string
  browser_hash: string
  redirect_target: string
  status: StateStatus
  code_hash: string | null
  outcome_json: string | null
  created_at_ms: number | bigint
  expires_at_ms: number | bigint
  claim_deadline_ms: number | bigint | null
  finished_at_ms: number | bigint | null
  ticket_id: number | bigint | null
}

/** The store's statements, with `v(i)` standing for the i-th value a call passes. */
export function compileStatements(db: Kysely<any>) {
  const v = (index: number) => slot(index) as string
  // The key's values, in the order of this chain: the state, its secret, its Instance, its browser, now.
  const claimable = (offset: number) =>
    db
      .updateTable(TABLE)
      .where('id', '=', v(offset))
      .where('secret_hash', '=', v(offset + 1))
      .where('status', '=', 'pending')
      .where('login_type', '=', v(offset + 2))
      .where('browser_hash', '=', v(offset + 3))
      .where('expires_at_ms', '>', v(offset + 4))
  return {
    insert: compileShape(
      db
        .insertInto(TABLE)
        .values({
          secret_hash: v(0),
          login_type: v(1),
          browser_hash: v(2),
          redirect_target: v(3),
          status: 'pending',
          created_at_ms: v(4),
          expires_at_ms: v(5),
          ticket_id: v(6),
        })
        .returning('id'),
    ),
    claimToConsume: compileShape(
      claimable(2)
        .set({ status: 'consuming', code_hash: v(0), claim_deadline_ms: v(1) })
        .returning(['redirect_target', 'ticket_id']),
    ),
    claimAsFailed: compileShape(
      claimable(2)
        .set({ status: 'failed', outcome_json: v(0), finished_at_ms: v(1) })
        .returning(['redirect_target', 'ticket_id']),
    ),
    setOutcome: compileShape(
      db
        .updateTable(TABLE)
        .set({ status: v(0), outcome_json: v(1), finished_at_ms: v(2) })
        .where('id', '=', v(3))
        .where('status', '=', 'consuming'),
    ),
    read: compileShape(
      db.selectFrom(TABLE).selectAll().where('id', '=', v(0)).where('secret_hash', '=', v(1)),
    ),
  }
}

export async function createTable(db: Kysely<any>): Promise<void> {
  // Pending states are minutes old: a table of an earlier layout (keyed by the state's hash, or without
  // claim deadlines, or without desktop tickets) is replaced rather than migrated; a login in flight across the upgrade starts again.
  await createExpiringTable(db, TABLE, (table) =>
    table
      .addColumn('login_type', 'varchar(255)', (c) => c.notNull())
      .addColumn('browser_hash', 'varchar(64)', (c) => c.notNull())
      .addColumn('redirect_target', 'text', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('code_hash', 'varchar(64)')
      .addColumn('claim_deadline_ms', 'bigint')
      .addColumn('outcome_json', 'text')
      .addColumn('finished_at_ms', 'bigint')
      .addColumn('ticket_id', 'bigint'),
  )
}
