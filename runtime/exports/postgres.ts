/** `jitlite/db/postgres`: the PostgreSQL driver (pg's pool through kysely), for database Types. */
export {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_PIPELINED_CONNECTIONS,
  DEFAULT_POOL_SIZE,
  openPostgresDatabase,
  openPostgresDatabaseSync,
  type PostgresDatabaseOptions,
  postgresLocation,
} from '../db/postgres.ts'
export { postgresUnreachable } from '../db/postgres-errors.ts'
