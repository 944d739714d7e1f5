/**
 * What every database behind a `databases.*` element provides. Models speak only to this interface
 * and to kysely's dialect-neutral builder, so a PostgreSQL Type is one more implementation of it
 * (its own open function and `ModelDialect`), with no change to models or schema sync.
 */
import type {
  ColumnDataType,
  ColumnDefinitionBuilder,
  Expression,
  ExpressionBuilder,
  Kysely,
  SqlBool,
} from 'kysely'
import type { Logger } from '../log.ts'
import type { DataTypeName } from './datatypes.ts'
import type { DatabaseHealthState } from './health.ts'
import type { FieldDefinition } from './model-config.ts'

export type DialectName = 'sqlite' | 'postgres'

export interface CompiledRunResult {
  readonly rows: unknown[]
  readonly numAffectedRows?: bigint
}

/** Turns a field's JS value into what the database stores, and back. Never sees null. */
export interface StorageCodec {
  toStorage(value: unknown): unknown
  fromStorage(stored: unknown): unknown
}

/** A column as the live database describes it. */
export interface LiveColumn {
  readonly name: string
  /** The declared type as the database reports it, lower case (`varchar(64)`, `integer`). */
  readonly declaredType: string
  readonly notNull: boolean
  readonly primaryKey: boolean
}

export interface LiveIndex {
  readonly name: string
  readonly unique: boolean
  readonly columns: readonly string[]
}

export interface LiveTable {
  readonly columns: readonly LiveColumn[]
  /** Indexes created by statements, not the ones the database makes for a primary key on its own. */
  readonly indexes: readonly LiveIndex[]
}

/** A write that broke a constraint, as the dialect reads it from its driver's error. */
export interface ConstraintViolation {
  readonly kind: 'unique' | 'notNull' | 'other'
  /** Column names the database reported, when it reports them (never values). */
  readonly columns: readonly string[]
}

/** The dialect-specific part of models: column types, storage, introspection and locking. */
export interface ModelDialect {
  /** The column type a field is created with. */
  columnType(field: FieldDefinition): ColumnDataType
  /** Whether a live column already stores this field's datatype, so keeping it loses nothing. */
  storesSameType(column: LiveColumn, field: FieldDefinition): boolean
  /**
   * A type to widen a live column to, when it holds the field's datatype but fewer characters than the
   * field now allows (PostgreSQL's `varchar(n)`); undefined when it fits. SQLite does not enforce lengths.
   */
  widerColumnType?(column: LiveColumn, field: FieldDefinition): ColumnDataType | undefined
  /** Makes a column of an `AutoInt` field take generated values (SQLite AUTOINCREMENT, PostgreSQL identity). */
  autoIncrement(column: ColumnDefinitionBuilder): ColumnDefinitionBuilder
  codec(dataType: DataTypeName): StorageCodec
  /**
   * `column LIKE pattern` with jitlite's rule on every dialect: ASCII letters match either case, other
   * characters only themselves, `%` and `_` are the only wildcards (no escape character).
   */
  like(eb: ExpressionBuilder<any, any>, column: string, pattern: unknown): Expression<SqlBool>
  /** Null when the table does not exist. */
  describeTable(db: Kysely<any>, table: string): Promise<LiveTable | null>
  /**
   * Runs `fn` holding the database's write lock, inside one transaction, on one connection, so that
   * two processes syncing the same table at once do the work once and never half of it.
   */
  withSchemaLock<T>(fn: (db: Kysely<any>) => Promise<T>): Promise<T>
  /** Null when `error` is not a constraint violation. */
  readConstraintViolation(error: unknown): ConstraintViolation | null
}

/**
 * An open database: a kysely instance plus what models need from its dialect.
 *
 * @example
 * const db = await openSqliteDatabase({ file: 'data/app.sqlite' })
 * const rows = await db.kysely.selectFrom('notes').selectAll().execute()
 * await db.close()
 */
export interface Database {
  readonly dialect: DialectName
  /** Where the data lives: a file path, `:memory:`, or `postgres://user@host:port/database` (never a password). */
  readonly location: string
  readonly kysely: Kysely<any>
  readonly models: ModelDialect
  /**
   * Runs SQL that kysely compiled for this database, with new parameter values: the same result as
   * `kysely.executeQuery(CompiledQuery.raw(sql, parameters))`, by the shortest safe path the driver has.
   */
  runCompiled(sql: string, parameters: readonly unknown[]): Promise<CompiledRunResult>
  /** Whether the database works, as its last statements found (a full disk, a read-only file). */
  health?(): DatabaseHealthState
  /**
   * Finds out whether the database takes a write now (one small write, at most about once a second;
   * callers in between share the last answer), for `/healthz`.
   */
  checkWritable?(): Promise<DatabaseHealthState>
  /** Where health transitions are logged, when the connection was opened without a logger. */
  useLogger?(log: Logger): void
  /** Hears how long each commit takes (ms) until the returned function is called. */
  observeCommits?(observer: (durationMs: number) => void): () => void
  /** Finishes pending work (for SQLite, checkpoints the WAL into the file) and closes. Idempotent. */
  close(): Promise<void>
}
