/**
 * The SQL of the desktop sign-in ticket table (`jit_login_tickets`): its layout and the statements the
 * store runs, each built with kysely once per database (so it is that database's own dialect) and run
 * again with new values. Every move of a ticket is one conditional UPDATE: of two phones, two tabs or
 * two nodes, exactly one gets a row back.
 */
import { compileShape, createExpiringTable, slot } from 'jitlite/db'
import type { Kysely } from 'kysely'
import type { TicketStatus } from './tickets.ts'

export const TABLE = 'jit_login_tickets'

/** A row as the database returns it (bigint columns may come back as bigints or numbers). */
export interface TicketRow {
  id: number
  login_type: string
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
        })
        .returning('id'),
    ),
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

export async function createTable(db: Kysely<any>): Promise<void> {
  await createExpiringTable(db, TABLE, (table) =>
    table
      .addColumn('desktop_hash', 'varchar(64)', (c) => c.notNull())
      .addColumn('login_type', 'varchar(255)', (c) => c.notNull())
      .addColumn('browser_label', 'varchar(64)', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('phone_hash', 'varchar(64)')
      .addColumn('confirm_hash', 'varchar(64)')
      .addColumn('user_json', 'text')
      .addColumn('updated_at_ms', 'bigint', (c) => c.notNull()),
  )
}
