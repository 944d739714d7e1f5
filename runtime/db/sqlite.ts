/**
 * Opens SQLite through better-sqlite3 and kysely, set up for a web server that shares its file with
 * other processes: WAL (readers never block the writer), a busy timeout (writers wait for each other
 * instead of failing with SQLITE_BUSY), foreign keys on, and synchronous=NORMAL (safe with WAL: a crash
 * can lose the last commits, never corrupt the file).
 */
import { mkdirSync, realpathSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { CompiledQuery, Kysely, type SqliteDatabase, SqliteDialect, type SqliteStatement } from 'kysely'
import { JitError } from '../errors.ts'
import type { Logger } from '../log.ts'
import { type Checkpointer, DEFAULT_WAL_LIMIT_BYTES, startCheckpointer } from './checkpointer.ts'
import type { CompiledRunResult, Database } from './database.ts'
import { GroupCommit, WRITE_STATEMENT } from './group-commit.ts'
import { DatabaseHealth } from './health.ts'
import { createSqliteModelDialect } from './sqlite-columns.ts'
import { writeProbe } from './write-probe.ts'

export { DEFAULT_WAL_LIMIT_BYTES }
export const MEMORY_DATABASE = ':memory:'
export const DEFAULT_BUSY_TIMEOUT_MS = 5000
/** Enough for every statement shape a few dozen models use; the oldest is dropped beyond it. */
const STATEMENT_CACHE_SIZE = 500

export interface SqliteDatabaseOptions {
  /** A file path (its folder is created if missing) or `':memory:'`. */
  file: string
  /** How long a write waits for another connection's write lock before failing. */
  busyTimeoutMs?: number
  /**
   * The size the WAL file is kept under (default 64 MB): this process's commits wait a few ms while
   * the WAL is reset past a quarter of it, and a commit that finds the file near it waits for the file
   * to be emptied. 0 turns the bound off (checkpoints then never reset a WAL that writes keep busy).
   */
  walLimitBytes?: number
  /** Where a storage fault (disk full, read-only file) is logged when it starts and when it ends. */
  log?: Logger
  /** Hears how long each commit took (ms), while this handle is open: the app's metrics. */
  onCommit?: (durationMs: number) => void
}

const CACHEABLE = /^\s*(select|insert|update|delete|with|begin|commit|rollback|savepoint|release)\b/i
const SCHEMA_CHANGE = /^\s*(create|alter|drop)\b/i

/**
 * kysely's SQLite driver prepares every statement it runs. Preparing costs about as much as running a
 * small upsert, so this keeps prepared statements by SQL text. Only one statement runs at a time (the
 * driver holds a single connection behind a mutex), so sharing one is safe. A schema change clears
 * the cache: SQLite would re-prepare them anyway, but `select *` must see new columns. It also counts
 * open result streams, during which the connection may run nothing else.
 */
class StatementCachingDatabase implements SqliteDatabase {
  readonly #raw: BetterSqlite3.Database
  readonly #statements = new Map<string, SqliteStatement>()
  readonly #failed: (error: unknown) => void
  #openStreams = 0

  /** `failed` hears every error a statement throws (the connection's health sorts out storage faults). */
  constructor(raw: BetterSqlite3.Database, failed: (error: unknown) => void) {
    this.#raw = raw
    this.#failed = failed
  }

  /** Whether a `stream()` is part-way through its rows. */
  get streaming(): boolean {
    return this.#openStreams > 0
  }

  prepare(sqlText: string): SqliteStatement {
    const cached = this.#statements.get(sqlText)
    if (cached) return cached
    if (SCHEMA_CHANGE.test(sqlText)) this.#statements.clear()
    let raw: BetterSqlite3.Statement
    try {
      raw = this.#raw.prepare(sqlText)
    } catch (error) {
      this.#failed(error)
      throw error
    }
    const statement: SqliteStatement = {
      reader: raw.reader,
      all: (parameters) => {
        try {
          return raw.all(parameters)
        } catch (error) {
          this.#failed(error)
          throw error
        }
      },
      run: (parameters) => {
        try {
          return raw.run(parameters)
        } catch (error) {
          this.#failed(error)
          throw error
        }
      },
      iterate: (parameters) => this.#counted(raw.iterate(parameters)),
    }
    if (CACHEABLE.test(sqlText)) {
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) {
        this.#statements.delete(this.#statements.keys().next().value as string)
      }
      this.#statements.set(sqlText, statement)
    }
    return statement
  }

  close(): void {
    this.#statements.clear()
    this.#raw.close()
  }

  *#counted(rows: IterableIterator<unknown>): IterableIterator<unknown> {
    this.#openStreams++
    try {
      yield* rows
    } catch (error) {
      this.#failed(error)
      throw error
    } finally {
      this.#openStreams--
    }
  }
}

function openFile(location: string, busyTimeoutMs: number): BetterSqlite3.Database {
  const raw = new BetterSqlite3(location, { timeout: busyTimeoutMs })
  try {
    // busy_timeout first: switching to WAL needs a lock another process may hold for a moment.
    raw.pragma(`busy_timeout = ${busyTimeoutMs}`)
    raw.pragma('journal_mode = WAL')
    raw.pragma('synchronous = NORMAL')
    raw.pragma('foreign_keys = ON')
    return raw
  } catch (error) {
    raw.close()
    throw error
  }
}

/**
 * Files open in this process, by real path. better-sqlite3 waits for a lock synchronously, so a second
 * connection to a file in the same process would block the event loop while the first holds a write
 * transaction across an await, and neither could go on until the busy timeout ran out. So each file
 * gets one connection per process, shared by every `openSqliteDatabase` call that names it.
 */
const openFiles = new Map<string, { database: Database; handles: number }>()

function locate(file: string): string {
  if (file === MEMORY_DATABASE) return MEMORY_DATABASE
  const location = resolve(file)
  mkdirSync(dirname(location), { recursive: true })
  return join(realpathSync(dirname(location)), basename(location))
}

function openFailed(location: string, error: unknown): JitError {
  return new JitError(
    'JIT_DB_OPEN_FAILED',
    `could not open the SQLite database at ${location}: ${(error as Error).message}. ` +
      'Check that the folder exists or can be created, that this process may write to it, and that the file is a SQLite database.',
    { file: location },
    { cause: error },
  )
}

function connect(
  location: string,
  busyTimeoutMs: number,
  walLimitBytes: number,
  log: Logger | undefined,
): Database {
  let raw: BetterSqlite3.Database
  try {
    raw = openFile(location, busyTimeoutMs)
  } catch (error) {
    throw openFailed(location, error)
  }
  const health = new DatabaseHealth(location, log)
  const commitObservers = new Set<(durationMs: number) => void>()
  const failed = (error: unknown) => health.failed(error)
  const statements = new StatementCachingDatabase(raw, failed)
  const kysely = new Kysely<any>({ dialect: new SqliteDialect({ database: statements }) })
  let closing: Promise<void> | undefined
  // Checkpoints fsync; a worker thread runs them, so that no commit of this thread waits for one.
  let checkpointer: Checkpointer | undefined
  if (location !== MEMORY_DATABASE) {
    raw.pragma('wal_autocheckpoint = 0')
    checkpointer = startCheckpointer(location, busyTimeoutMs, {
      walLimitBytes,
      canHold: () => !raw.inTransaction && !statements.streaming,
      onFailure: () => {
        if (raw.open) raw.pragma('wal_autocheckpoint = 1000')
      },
    })
  }

  /**
   * kysely's executor costs about 4 µs a query (connection mutex, several promise hops), close to a
   * tenth of a small upsert. better-sqlite3 runs a statement synchronously, so nothing can interleave
   * inside one; the only states that span a kysely caller's awaits are an open transaction (including
   * the schema lock) and a result stream being read. Outside those, the statement runs here at once;
   * during one, it queues on kysely's mutex like any query, so it never lands in someone else's
   * transaction.
   */
  const queue = (sqlText: string, parameters: readonly unknown[]) =>
    kysely.executeQuery(CompiledQuery.raw(sqlText, [...parameters]))
  const writes = new GroupCommit({
    raw,
    prepare: (sqlText) => statements.prepare(sqlText),
    busy: () => raw.inTransaction || statements.streaming,
    queue,
    hold: () => checkpointer?.holdCommits(),
    failed,
    committed: () => health.committed(),
    timed: (durationMs) => {
      for (const observe of commitObservers) observe(durationMs)
    },
  })

  async function runCompiled(sqlText: string, parameters: readonly unknown[]): Promise<CompiledRunResult> {
    if (raw.inTransaction || statements.streaming || !raw.open) return queue(sqlText, parameters)
    if (WRITE_STATEMENT.test(sqlText)) return writes.run(sqlText, parameters)
    const statement = statements.prepare(sqlText)
    if (statement.reader) return { rows: statement.all(parameters) }
    return { rows: [], numAffectedRows: BigInt(statement.run(parameters).changes) }
  }

  const checkWritable = writeProbe(runCompiled, health)

  return {
    dialect: 'sqlite',
    location,
    kysely,
    models: createSqliteModelDialect(kysely),
    runCompiled,
    health: () => health.state,
    checkWritable,
    useLogger: (log) => health.useLogger(log),
    observeCommits: (observer) => {
      commitObservers.add(observer)
      return () => commitObservers.delete(observer)
    },
    close() {
      closing ??= (async () => {
        // Writes issued this turn and not awaited (a login records its outcome after answering) commit first.
        writes.flushNow()
        // Fold the WAL back into the main file so that a copied or backed-up file is whole. Another
        // process holding a read lock makes it fail or stop short; the WAL then stays, complete and
        // valid, for the next open, so there is nothing to report.
        await checkpointer?.stop()
        if (raw.open && location !== MEMORY_DATABASE) {
          try {
            raw.pragma('wal_checkpoint(TRUNCATE)')
          } catch {}
        }
        await kysely.destroy()
      })()
      return closing
    },
  }
}

/**
 * Opens (creating if missing) a SQLite database and returns it as a `Database`. Opening a file this
 * process already has open shares that connection (the first open's busy timeout and WAL limit apply); each
 * handle's `close()` releases its share, and the last one closes the file.
 *
 * @example
 * const db = await openSqliteDatabase({ file: 'data/app.sqlite' })
 * try {
 *   await db.kysely.selectFrom('notes').selectAll().execute()
 * } finally {
 *   await db.close()
 * }
 */
export async function openSqliteDatabase(options: SqliteDatabaseOptions): Promise<Database> {
  return openSqliteDatabaseSync(options)
}

/** `openSqliteDatabase` for callers that cannot await (a Type's synchronous `load`). */
export function openSqliteDatabaseSync(options: SqliteDatabaseOptions): Database {
  let location: string
  try {
    location = locate(options.file)
  } catch (error) {
    throw openFailed(resolve(options.file), error)
  }
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS
  const walLimitBytes = options.walLimitBytes ?? DEFAULT_WAL_LIMIT_BYTES
  if (location === MEMORY_DATABASE) {
    const database = connect(location, busyTimeoutMs, walLimitBytes, options.log)
    if (options.onCommit) database.observeCommits?.(options.onCommit)
    return database
  }

  let entry = openFiles.get(location)
  if (!entry) {
    entry = { database: connect(location, busyTimeoutMs, walLimitBytes, options.log), handles: 0 }
    openFiles.set(location, entry)
  } else if (options.log) {
    entry.database.useLogger?.(options.log)
  }
  entry.handles++
  const shared = entry
  const stopObserving = options.onCommit && shared.database.observeCommits?.(options.onCommit)
  let released = false
  return {
    ...shared.database,
    close: async () => {
      if (released) return
      released = true
      stopObserving?.()
      shared.handles--
      if (shared.handles > 0) return
      openFiles.delete(location)
      await shared.database.close()
    },
  }
}
