/**
 * Tables of short-lived rows the runtime and the login family keep (login states, sessions): written
 * at the end (an increasing integer id), looked up by that id, swept by expiry.
 */
import { type CreateTableBuilder, type Kysely, sql } from 'kysely'

/**
 * Creates (if missing) a table of expiring rows: `id` (the selector a client holds), `secret_hash`,
 * the caller's columns, `created_at_ms` and `expires_at_ms`. A table of an earlier layout, without
 * `id`, is replaced first (see `dropIfWithoutColumn`).
 *
 * @example
 * await createExpiringTable(db, 'jit_sessions', (t) => t.addColumn('user_json', 'text', (c) => c.notNull()))
 */
export async function createExpiringTable(
  db: Kysely<any>,
  table: string,
  columns: (builder: CreateTableBuilder<string, string>) => CreateTableBuilder<string, string>,
): Promise<void> {
  await dropIfWithoutColumn(db, table, 'id')
  const start = db.schema
    .createTable(table)
    .ifNotExists()
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('secret_hash', 'varchar(64)', (c) => c.notNull())
  await columns(start)
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
    .execute()
}

/**
 * Deletes the rows of `table` expired by `cutoffMs` (`expires_at_ms <= cutoffMs`) that come before its
 * first unexpired row. Rows are written in expiry order (one lifetime, an increasing `id`), so the
 * expired ones are a prefix of the table: this reads only them and the row after, without an index on
 * the expiry that every insert would have to update. A row that expired out of order (a clock step, a
 * changed lifetime) waits for the rows before it; readers check the expiry anyway.
 *
 * @example
 * await deleteExpiredPrefix(db, 'jit_sessions', Date.now())
 */
export async function deleteExpiredPrefix(db: Kysely<any>, table: string, cutoffMs: number): Promise<void> {
  const firstLive = db
    .selectFrom(table)
    .select('id')
    .where('expires_at_ms', '>', cutoffMs)
    .orderBy('id')
    .limit(1)
  await db
    .deleteFrom(table)
    .where('expires_at_ms', '<=', cutoffMs)
    .where(sql<boolean>`id < coalesce((${firstLive}), (select max(id) + 1 from ${sql.table(table)}))`)
    .execute()
}

/**
 * Drops `table` if it exists without `column`: the layout of an earlier version, whose rows the current
 * code cannot find. Only for tables of short-lived rows, where starting empty is the whole migration.
 */
export async function dropIfWithoutColumn(db: Kysely<any>, table: string, column: string): Promise<void> {
  const existing = (await db.introspection.getTables()).find((t) => t.name === table)
  if (existing && !existing.columns.some((c) => c.name === column))
    await db.schema.dropTable(table).ifExists().execute()
}
