/**
 * The SQL of the desktop sign-in ticket table (`jit_login_tickets`): its layout and the statements the
 * store runs, each built with kysely once per database (so it is that database's own dialect) and run
 * again with new values. Every move of a ticket is one conditional UPDATE: of two phones, two tabs or
 * two nodes, exactly one gets a row back.
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
import type { TicketStatus } from './tickets.ts'

export const TABLE = 'jit_login_tickets'

/** Statuses a ticket can still move on from: unexpired, such a ticket holds a place of its address's cap. */
const LIVE_STATUSES = ['waiting', 'scanned', 'confirmed'] as const

/** A row as the database returns it (bigint columns may come back as bigints or numbers). */
export interface TicketRow {
  id: number
  login_type: string
  address_hash: string
  status: Exclude<TicketStatus, 'expired'>
  phone_hash: string | null
  user_json: string | null
  browser_label: string
  created_at_ms: number | bigint
  expires_at_ms: number | bigint
}

/** The store's statements, with `v(i)` standing for the i-th value a call passes. */
export function compileStatements(db: Kysely<any>) {
  const v = (index: number) => slot(index) as string
  const live = (offset: number) => (eb: any) => eb('expires_at_ms', '>', v(offset))
  // The live tickets of one address, counted through the partial index of live rows (createTable).
  const liveOfAddress = db
    .selectFrom(TABLE)
    .select((eb) => eb.fn.countAll().as('live'))
    .where('address_hash', '=', v(6))
    // Literals, not parameters: only then may the planner use the partial index.
    .where(
      'status',
      'in',
      LIVE_STATUSES.map((status) => sql.lit(status)),
    )
    .where('expires_at_ms', '>', v(4))
  const insertCapped = compileShape(
    insertWhen(
      db,
      TABLE,
      {
        secret_hash: [v(0), 'varchar(255)'],
        desktop_hash: [v(1), 'varchar(255)'],
        login_type: [v(2), 'varchar(255)'],
        browser_label: [v(3), 'varchar(255)'],
        address_hash: [v(6), 'varchar(255)'],
        status: ['waiting', 'varchar(16)'],
        created_at_ms: [v(4), 'bigint'],
        expires_at_ms: [v(5), 'bigint'],
        updated_at_ms: [v(4), 'bigint'],
      },
      (eb) => eb(liveOfAddress, '<', v(7)),
    ).returning('id'),
  )
  const cappedTurn = insertCappedTurn(insertCapped)
  return {
    insert: compileShape(
      db
        .insertInto(TABLE)
        .values({
          secret_hash: v(0),
          desktop_hash: v(1),
          login_type: v(2),
          browser_label: v(3),
          status: 'waiting',
          created_at_ms: v(4),
          expires_at_ms: v(5),
          updated_at_ms: v(4),
          address_hash: v(6),
        })
        .returning('id'),
    ),
    // The same row, only while the address holds fewer live tickets than v(7).
    // On PostgreSQL one address's inserts take turns, in the function createTable makes of it.
    insertCapped: inTurns(db, cappedTurn),
    insertCappedTurn: cappedTurn,
    readForDesktop: compileShape(
      db
        .selectFrom(TABLE)
        .select(['status', 'expires_at_ms'])
        .where('id', '=', v(0))
        .where('desktop_hash', '=', v(1)),
    ),
    readForScan: compileShape(
      db
        .selectFrom(TABLE)
        .select(['status', 'expires_at_ms', 'login_type'])
        .where('id', '=', v(0))
        .where('secret_hash', '=', v(1)),
    ),
    readForPhone: compileShape(
      db
        .selectFrom(TABLE)
        .select(['status', 'expires_at_ms'])
        .where('id', '=', v(0))
        .where('phone_hash', '=', v(1)),
    ),
    // The first phone binds a waiting ticket; the same phone may open the link again while it is scanned.
    scan: compileShape(
      db
        .updateTable(TABLE)
        .set({ status: 'scanned', phone_hash: v(0), updated_at_ms: v(1) })
        .where('id', '=', v(2))
        .where('secret_hash', '=', v(3))
        .where('login_type', '=', v(4))
        .where(live(1))
        .where((eb) =>
          eb.or([
            eb('status', '=', 'waiting'),
            eb.and([eb('status', '=', 'scanned'), eb('phone_hash', '=', v(0))]),
          ]),
        )
        .returning('id'),
    ),
    attachUser: compileShape(
      db
        .updateTable(TABLE)
        .set({ user_json: v(0), updated_at_ms: v(3) })
        .where('id', '=', v(1))
        .where('phone_hash', '=', v(2))
        .where('status', '=', 'scanned')
        .where(live(3))
        .returning('id'),
    ),
    prepareConfirmation: compileShape(
      db
        .updateTable(TABLE)
        .set({ confirm_hash: v(0) })
        .where('id', '=', v(1))
        .where('phone_hash', '=', v(2))
        .where('status', '=', 'scanned')
        .where('user_json', 'is not', null)
        .where(live(3))
        .returning(['created_at_ms', 'browser_label', 'user_json']),
    ),
    decide: compileShape(
      db
        .updateTable(TABLE)
        .set({ status: v(0), confirm_hash: null, updated_at_ms: v(4) })
        .where('id', '=', v(1))
        .where('phone_hash', '=', v(2))
        .where('confirm_hash', '=', v(3))
        .where('status', '=', 'scanned')
        .where('user_json', 'is not', null)
        .where(live(4))
        .returning('id'),
    ),
    cancelByDesktop: compileShape(
      db
        .updateTable(TABLE)
        .set({ status: 'cancelled', updated_at_ms: v(0) })
        .where('id', '=', v(1))
        .where('desktop_hash', '=', v(2))
        .where('status', 'in', ['waiting', 'scanned', 'confirmed'])
        // An expired ticket stays expired: its link tells a late phone so.
        .where(live(0))
        .returning('id'),
    ),
    claim: compileShape(
      db
        .updateTable(TABLE)
        .set({ status: 'consumed', updated_at_ms: v(0) })
        .where('id', '=', v(1))
        .where('desktop_hash', '=', v(2))
        .where('login_type', '=', v(3))
        .where('status', '=', 'confirmed')
        .where(live(4))
        .returning('user_json'),
    ),
  }
}

/**
 * On PostgreSQL concurrent capped inserts would each count without the others' uncommitted rows: one
 * address's inserts take turns (an advisory lock on its hash), in a function of the table (jitlite/db's
 * turn statements), so that a new code stays one round trip.
 */
function insertCappedTurn(insertCapped: CompiledShape): TurnStatement {
  return { name: `${TABLE}_insert_capped`, shape: insertCapped, keyValue: 6, returns: { id: 'bigint' } }
}

export async function createTable(db: Kysely<any>): Promise<void> {
  // Tickets are minutes old: a table of an earlier layout (without addresses) is replaced, not migrated.
  await createExpiringTable(db, TABLE, (table) =>
    table
      .addColumn('desktop_hash', 'varchar(64)', (c) => c.notNull())
      .addColumn('login_type', 'varchar(255)', (c) => c.notNull())
      .addColumn('browser_label', 'varchar(64)', (c) => c.notNull())
      .addColumn('address_hash', 'varchar(64)', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('phone_hash', 'varchar(64)')
      .addColumn('confirm_hash', 'varchar(64)')
      .addColumn('user_json', 'text')
      .addColumn('updated_at_ms', 'bigint', (c) => c.notNull()),
  )
  await withSchemaChangeLock(db, async (locked) => {
    // The cap counts an address's live tickets: an index of live rows only, so that the count reads
    // little more than them (a used or cancelled ticket leaves it; an expired one stays until swept).
    await locked.schema
      .createIndex(`${TABLE}_live_by_address_hash`)
      .ifNotExists()
      .on(TABLE)
      .columns(['address_hash', 'expires_at_ms'])
      .where(sql.ref('status'), 'in', [...LIVE_STATUSES])
      .execute()
    await createTurnFunction(locked, compileStatements(db).insertCappedTurn)
  })
}
