/**
 * Tables of short-lived rows the runtime and the login family keep (login states, sessions): written
 * at the end (an increasing integer id), looked up by that id, swept by expiry. A client holds a row's
 * id only as its selector, encrypted (`RowSelectors`), so that ids handed out do not tell how many rows
 * came before.
 */
import { type Cipher, createCipheriv, createDecipheriv, type Decipher, randomBytes } from 'node:crypto'
import { type CreateTableBuilder, type Kysely, sql } from 'kysely'
import { isPostgres, withSchemaChangeLock } from './schema-lock.ts'

/** The keys of `RowSelectors`, one per table, shared by every process that opens the database. */
const KEY_TABLE = 'jit_row_keys'
/** A selector is one AES block: 10 zero bytes, then the row id in 6 bytes (ids below 2^48). */
const ID_OFFSET = 10
const BLOCK_BYTES = 16
/** 32 lower-case hex characters: within the characters WeChat returns verbatim in a state. */
export const SELECTOR_PATTERN = '[0-9a-f]{32}'
const SELECTOR = new RegExp(`^${SELECTOR_PATTERN}$`)

/**
 * The selectors of one table's rows: each row id encrypted under the table's own key (AES-128 on a
 * single block, a keyed permutation), in hex. Consecutive rows get unrelated selectors, so a user who
 * logs in twice learns nothing about the logins in between. The zero bytes around the id authenticate
 * it: a made-up selector decrypts to non-zero padding (all but a 2^-80 chance) and is refused before
 * any lookup. The key lives in the database, beside the rows it hides the ids of: whoever can read it
 * can count the rows anyway.
 *
 * @example
 * const selectors = await RowSelectors.load(db, 'jit_sessions')
 * selectors.selectorOf(42)               // '9c1f...' (32 hex characters)
 * selectors.rowIdOf(selectors.selectorOf(42)) // 42
 */
export class RowSelectors {
  readonly #encrypt: Cipher
  readonly #decrypt: Decipher

  private constructor(key: Buffer) {
    // ECB on one block is the block cipher itself: with padding off, each update is one independent
    // block in and out, so the two contexts are made once and reused.
    this.#encrypt = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false)
    this.#decrypt = createDecipheriv('aes-128-ecb', key, null).setAutoPadding(false)
  }

  /** The selectors of `table`, with its key read from the database (made on first use). */
  static async load(db: Kysely<any>, table: string): Promise<RowSelectors> {
    await withSchemaChangeLock(db, (locked) =>
      locked.schema
        .createTable(KEY_TABLE)
        .ifNotExists()
        .addColumn('name', 'varchar(255)', (c) => c.primaryKey())
        .addColumn('key', isPostgres(db) ? 'bytea' : 'blob', (c) => c.notNull())
        .execute(),
    )
    // Of two processes making the key at once, the first insert wins and both read it.
    await db
      .insertInto(KEY_TABLE)
      .values({ name: table, key: randomBytes(16) })
      .onConflict((conflict) => conflict.column('name').doNothing())
      .execute()
    const row = await db
      .selectFrom(KEY_TABLE)
      .select('key')
      .where('name', '=', table)
      .executeTakeFirstOrThrow()
    return new RowSelectors(Buffer.from(row.key as Uint8Array))
  }

  /** The selector a client holds for row `rowId` (a positive integer below 2^48). */
  selectorOf(rowId: number): string {
    const block = Buffer.alloc(BLOCK_BYTES)
    block.writeUIntBE(rowId, ID_OFFSET, BLOCK_BYTES - ID_OFFSET)
    return this.#encrypt.update(block).toString('hex')
  }

  /** The row id of a selector `selectorOf` made; undefined for anything else. */
  rowIdOf(selector: string): number | undefined {
    // Exactly one whole block goes in: a partial one would stay behind in the reused context.
    if (!SELECTOR.test(selector)) return undefined
    const block = this.#decrypt.update(Buffer.from(selector, 'hex'))
    for (let i = 0; i < ID_OFFSET; i++) if (block[i] !== 0) return undefined
    const rowId = block.readUIntBE(ID_OFFSET, BLOCK_BYTES - ID_OFFSET)
    return rowId > 0 ? rowId : undefined
  }
}

/**
 * Creates (if missing) a table of expiring rows: `id` (given by the database; a client holds it as a
 * selector), `secret_hash`,
 * the caller's columns, `created_at_ms` and `expires_at_ms`. A table of an earlier layout (one that
 * lacks any of these columns) is replaced first (see `dropEarlierLayout`): a new column is the whole
 * migration. Several nodes starting at once on one database create it once (the schema lock).
 *
 * @example
 * await createExpiringTable(db, 'jit_sessions', (t) => t.addColumn('user_json', 'text', (c) => c.notNull()))
 */
export async function createExpiringTable(
  db: Kysely<any>,
  table: string,
  columns: (builder: CreateTableBuilder<string, string>) => CreateTableBuilder<string, string>,
): Promise<void> {
  await withSchemaChangeLock(db, async (locked) => {
    // The id is given by the database: SQLite's INTEGER PRIMARY KEY is the rowid, PostgreSQL's an identity.
    const start = isPostgres(db)
      ? locked.schema
          .createTable(table)
          .ifNotExists()
          .addColumn('id', 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity())
      : locked.schema
          .createTable(table)
          .ifNotExists()
          .addColumn('id', 'integer', (c) => c.primaryKey())
    const create = columns(start.addColumn('secret_hash', 'varchar(64)', (c) => c.notNull()))
      .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
      .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
    const names = create.toOperationNode().columns.map((definition) => definition.column.column.name)
    await dropEarlierLayout(locked, table, names)
    await create.execute()
  })
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
 * Drops `table` if it exists without one of `columns`: the layout of an earlier version, whose rows the
 * current code cannot find or use. Only for tables of short-lived rows, where starting empty is the
 * whole migration.
 */
export async function dropEarlierLayout(
  db: Kysely<any>,
  table: string,
  columns: readonly string[],
): Promise<void> {
  const existing = (await db.introspection.getTables()).find((t) => t.name === table)
  if (existing && !columns.every((column) => existing.columns.some((c) => c.name === column)))
    await db.schema.dropTable(table).ifExists().execute()
}
