/**
 * What the runtime's own tables (login states, sessions, row keys, leases) need to know of the
 * database under a kysely instance: whether it is PostgreSQL, and how to create tables there when
 * several nodes start at once.
 */
import { type ColumnDataType, type Kysely, PostgresAdapter, sql } from 'kysely'

/** Whether `db` speaks to PostgreSQL (kysely's own adapter, or one built on it). */
export function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter
}

/** The column type of raw bytes: `blob` in SQLite, `bytea` in PostgreSQL. */
export function bytesColumn(db: Kysely<any>): ColumnDataType {
  return isPostgres(db) ? 'bytea' : 'blob'
}

// Any constant the runtime's tables agree on: it names the one advisory lock they take.
const TABLE_CREATION_LOCK = 0x6a69_746c

/**
 * Runs `create` (introspection, CREATE TABLE IF NOT EXISTS, a DROP of an earlier layout) so that two
 * nodes doing it at once do it once. SQLite serialises DDL under its write lock already. PostgreSQL
 * does not: two concurrent `CREATE TABLE IF NOT EXISTS` of one table can both pass the check and one
 * fails on the catalog's unique index, so there it runs in a transaction holding an advisory lock.
 */
export async function creatingTables(
  db: Kysely<any>,
  create: (db: Kysely<any>) => Promise<void>,
): Promise<void> {
  if (!isPostgres(db)) return create(db)
  await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${sql.lit(TABLE_CREATION_LOCK)})`.execute(trx)
    await create(trx)
  })
}
