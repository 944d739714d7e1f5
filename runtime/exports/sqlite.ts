/** `jitlite/db/sqlite`: the SQLite driver (better-sqlite3 through kysely), for database Types. */
export {
  DEFAULT_BUSY_TIMEOUT_MS,
  DEFAULT_WAL_LIMIT_BYTES,
  MEMORY_DATABASE,
  openSqliteDatabase,
  openSqliteDatabaseSync,
  type SqliteDatabaseOptions,
} from '../db/sqlite.ts'
