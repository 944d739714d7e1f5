import { accessSync, constants, existsSync, statSync } from 'node:fs'
import path from 'node:path'
import { defineType, JitError, type PrepareContext, z } from 'jitlite'
import type { Database } from 'jitlite/db'
import {
  DEFAULT_BUSY_TIMEOUT_MS,
  DEFAULT_WAL_LIMIT_BYTES,
  MEMORY_DATABASE,
  openSqliteDatabaseSync,
} from 'jitlite/db/sqlite'

const MB = 1024 * 1024

const sqliteConfig = z.object({
  /** Relative to the app root; default `data/<fullName>.sqlite`. `:memory:` keeps nothing on disk. */
  file: z.string().min(1).optional(),
  busyTimeoutMs: z.number().int().min(0).max(600_000).default(DEFAULT_BUSY_TIMEOUT_MS),
  /** The WAL file is kept under this many MB (commits wait a moment while it is emptied); 0: no bound. */
  walLimitMb: z
    .number()
    .min(0)
    .max(1_000_000)
    .default(DEFAULT_WAL_LIMIT_BYTES / MB),
})

type SqliteConfig = z.infer<typeof sqliteConfig>

function fileOf({
  config,
  element,
  app,
}: Pick<PrepareContext<SqliteConfig>, 'config' | 'element' | 'app'>): string {
  const file = config.file ?? path.join('data', `${element.fullName}.sqlite`)
  return file === MEMORY_DATABASE ? file : path.resolve(app.dir, file)
}

/**
 * The connection is a shared resource, so a hot reload that keeps the file keeps the connection, and
 * the last generation holding it closes it (checkpointing the WAL into the file).
 */
function acquire(ctx: PrepareContext<SqliteConfig>): Database {
  const file = fileOf(ctx)
  if (ctx.dryRun && file !== MEMORY_DATABASE && !existsSync(file)) {
    // `jit check` creates no file: it checks that the file could be created, and an empty database in
    // memory stands in for it (the models then report the tables they would create).
    checkCreatable(file)
    return ctx.resources.acquire(
      `databases.sqlite-dry-run:${file}`,
      () => openSqliteDatabaseSync({ file: MEMORY_DATABASE }),
      (db) => db.close(),
    )
  }
  return ctx.resources.acquire(
    `databases.sqlite:${file}`,
    () =>
      openSqliteDatabaseSync({
        file,
        busyTimeoutMs: ctx.config.busyTimeoutMs,
        walLimitBytes: Math.round(ctx.config.walLimitMb * MB),
        log: ctx.log,
        onCommit: (durationMs) => ctx.metrics.databaseCommit(ctx.element.fullName, durationMs),
      }),
    (db) => db.close(),
  )
}

/** Throws what opening would when `file` could not be created: its nearest existing folder is unusable. */
function checkCreatable(file: string): void {
  let dir = path.dirname(file)
  while (!existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir)
  try {
    if (!statSync(dir).isDirectory()) throw new Error(`${dir} is not a folder`)
    accessSync(dir, constants.W_OK)
  } catch (error) {
    throw new JitError(
      'JIT_DB_OPEN_FAILED',
      `could not create the SQLite database at ${file}: ${(error as Error).message}. ` +
        'Check that the folder exists or can be created, and that this process may write to it.',
      { file },
      { cause: error },
    )
  }
}

/**
 * A SQLite database Instance. `getElement('databases.Default')` returns its `Database`. The framework
 * supplies `databases.Default` (types/databases/Default: `data/app.sqlite` under the app that runs); an
 * app's own `databases/Default` overrides it.
 *
 * @example
 * // app/databases/Default/e.json: { "title": "Default database", "type": "databases.SqliteType" }
 * // app/databases/Default/Default.json: { "file": "data/app.sqlite" }
 * const { kysely } = app.getElement('databases.Default')
 */
export default defineType<SqliteConfig, Database>({
  config: sqliteConfig,
  // At start an unusable file (JIT_DB_OPEN_FAILED) is reported before any request needs it: an
  // existing file is opened, a missing one only checked, so that it is created on first use.
  prepare(ctx) {
    const file = fileOf(ctx)
    if (file !== MEMORY_DATABASE && !existsSync(file)) checkCreatable(file)
    else acquire(ctx)
  },
  load: (ctx) => acquire(ctx),
})
