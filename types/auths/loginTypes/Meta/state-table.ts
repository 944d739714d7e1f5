/**
 * The SQL of the login-state table (`jit_login_states`): its layout and the statements the store runs,
 * each built with kysely once per database (so it is that database's own dialect) and run again with
 * new values. Every change of a state's status is one conditional UPDATE: of two callers, on one node
 * or two, exactly one gets a row back.
 */
import {
  type CompiledShape,
  compileShape,
  createExpiringTable,
  createTurnFunction,
  insertWhen,
  inTurns,
  slot,
  type TurnStatement,
  withSchemaChangeLock,
} from 'jitlite/db'
import { type Kysely, sql } from 'kysely'
import type { StateStatus } from './states.ts'

export const TABLE = 'jit_login_states'

/** A row as the database returns it (bigint columns may come back as bigints or numbers). */
export interface StateRow {
  id: number
  secret_hash: string
  login_type: string
  browser_hash: string
  address_hash: string
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
  // Live states of one browser (or address): pending and unexpired, counted through a partial index.
  const live = (column: 'browser_hash' | 'address_hash', value: number) =>
    db
      .selectFrom(TABLE)
      .select((eb) => eb.fn.countAll().as('live'))
      .where(column, '=', v(value))
      // A literal, not a parameter: only then may the planner use the index of pending rows.
      .where('status', '=', sql.lit('pending'))
      .where('expires_at_ms', '>', v(5))
  const insertCapped = compileShape(
    insertWhen(
      db,
      TABLE,
      {
        secret_hash: [v(0), 'varchar(255)'],
        login_type: [v(1), 'varchar(255)'],
        browser_hash: [v(2), 'varchar(255)'],
        address_hash: [v(3), 'varchar(255)'],
        redirect_target: [v(4), 'text'],
        status: ['pending', 'varchar(16)'],
        created_at_ms: [v(5), 'bigint'],
        expires_at_ms: [v(6), 'bigint'],
        ticket_id: [v(7), 'bigint'],
      },
      (eb) => eb.and([eb(live('browser_hash', 2), '<', v(8)), eb(live('address_hash', 3), '<', v(9))]),
    ).returning('id'),
  )
  const cappedTurn = insertCappedTurn(insertCapped)
  return {
    insert: compileShape(
      db
        .insertInto(TABLE)
        .values({
          secret_hash: v(0),
          login_type: v(1),
          browser_hash: v(2),
          address_hash: v(3),
          redirect_target: v(4),
          status: 'pending',
          created_at_ms: v(5),
          expires_at_ms: v(6),
          ticket_id: v(7),
        })
        .returning('id'),
    ),
    // The same row, only while the browser and the address hold fewer live states than v(8) and v(9).
    // On PostgreSQL one address's inserts take turns, in the function createTable makes of it.
    insertCapped: inTurns(db, cappedTurn),
    insertCappedTurn: cappedTurn,
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

/**
 * On PostgreSQL concurrent capped inserts would each count without the others' uncommitted rows: one
 * address's inserts take turns (an advisory lock on its hash), in a function of the table (jitlite/db's
 * turn statements), so that a start stays one round trip.
 */
function insertCappedTurn(insertCapped: CompiledShape): TurnStatement {
  return { name: `${TABLE}_insert_capped`, shape: insertCapped, keyValue: 3, returns: { id: 'bigint' } }
}

export async function createTable(db: Kysely<any>): Promise<void> {
  // Pending states are minutes old: a table of an earlier layout (keyed by the state's hash, or without
  // claim deadlines, or without desktop tickets) is replaced rather than migrated; a login in flight across the upgrade starts again.
  await createExpiringTable(db, TABLE, (table) =>
    table
      .addColumn('login_type', 'varchar(255)', (c) => c.notNull())
      .addColumn('browser_hash', 'varchar(64)', (c) => c.notNull())
      .addColumn('address_hash', 'varchar(64)', (c) => c.notNull())
      .addColumn('redirect_target', 'text', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('code_hash', 'varchar(64)')
      .addColumn('claim_deadline_ms', 'bigint')
      .addColumn('outcome_json', 'text')
      .addColumn('finished_at_ms', 'bigint')
      .addColumn('ticket_id', 'bigint'),
  )
  await withSchemaChangeLock(db, async (locked) => {
    // The caps count a browser's and an address's live states: indexes of pending rows only, so that a
    // count reads the live states it counts and a claimed state leaves them.
    for (const column of ['browser_hash', 'address_hash'] as const) {
      await locked.schema
        .createIndex(`${TABLE}_pending_by_${column}`)
        .ifNotExists()
        .on(TABLE)
        .columns([column, 'expires_at_ms'])
        .where(sql.ref('status'), '=', 'pending')
        .execute()
    }
    await createTurnFunction(locked, compileStatements(db).insertCappedTurn)
  })
}
