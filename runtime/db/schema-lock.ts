/**
 * The lock that makes table creation safe when several nodes start at once on one database. SQLite
 * needs none beyond its write lock (`CREATE TABLE IF NOT EXISTS` is atomic there). PostgreSQL's
 * `IF NOT EXISTS` is not: two sessions creating one table at the same moment can both pass the check,
 * and the second fails on the catalog's unique index. So on PostgreSQL every schema change of jitlite
 * runs in a transaction holding one transaction-level advisory lock, the same key on every node.
 */
import { type Kysely, PostgresAdapter, sql } from 'kysely'

/** The advisory lock key of jitlite's schema changes ("jitlit" in ASCII), shared by every node. */
export const SCHEMA_LOCK_KEY = 0x6a69746c6974

/** Whether `db` talks to PostgreSQL (a Kysely instance knows its dialect by its adapter). */
export function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter
}

/** Takes the schema lock inside a PostgreSQL transaction (released when it ends). */
export async function takeSchemaLock(trx: Kysely<any>): Promise<void> {
  await sql`select pg_advisory_xact_lock(${sql.lit(SCHEMA_LOCK_KEY)})`.execute(trx)
}

/**
 * Runs `fn` so that no other node changes jitlite's schema meanwhile: on PostgreSQL in one transaction
 * holding the lock (all of `fn` commits or none), on SQLite as it is.
 *
 * @example
 * await withSchemaChangeLock(db, (locked) => locked.schema.createTable('t').ifNotExists().addColumn('id', 'integer').execute())
 */
export async function withSchemaChangeLock<T>(
  db: Kysely<any>,
  fn: (db: Kysely<any>) => Promise<T>,
): Promise<T> {
  if (!isPostgres(db)) return fn(db)
  if (db.isTransaction) {
    await takeSchemaLock(db)
    return fn(db)
  }
  return db.transaction().execute(async (trx) => {
    await takeSchemaLock(trx)
    return fn(trx)
  })
}
