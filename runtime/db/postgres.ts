/**
 * Opens PostgreSQL through pg's pool and kysely's own PostgresDialect, for a web server that shares the
 * database with other nodes. Nothing of SQLite's machinery comes along: the server commits, checkpoints
 * and locks. The runtime's single statements go over a few pipelined connections (postgres-pipeline.ts),
 * transactions and kysely's queries take a pooled one; both reconnect on their own after the server
 * restarts.
 */
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely'
import pg from 'pg'
import type { Logger } from '../log.ts'
import type { CompiledRunResult, Database } from './database.ts'
import { DatabaseHealth } from './health.ts'
import { createPostgresModelDialect } from './postgres-columns.ts'
import { markPostgresError, postgresUnreachable } from './postgres-errors.ts'
import { PipelinedConnections } from './postgres-pipeline.ts'
import { postgresTypes } from './postgres-types.ts'
import { writeProbe } from './write-probe.ts'

export const DEFAULT_POOL_SIZE = 10
/** Of the pool's connections, how many carry single statements pipelined (postgres-pipeline.ts). */
export const DEFAULT_PIPELINED_CONNECTIONS = 2
/** How long a statement waits for a connection (a new one, or a free one of a busy pool). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000

export interface PostgresDatabaseOptions {
  /** `postgres://user:password@host:port/database?sslmode=...`; or the separate fields below. */
  url?: string
  host?: string
  port?: number
  database?: string
  user?: string
  password?: string
  /** true (verify the server's certificate), or pg's TLS options; default: no TLS unless the url asks. */
  ssl?: boolean | pg.ConnectionConfig['ssl']
  /** Connections this process keeps at most (default 10). */
  poolSize?: number
  /**
   * How many of those connections carry the runtime's single statements pipelined (default 2; 0: each
   * statement takes a pooled connection for its round trip). At most `poolSize - 1`: transactions keep
   * at least one connection of their own.
   */
  pipelinedConnections?: number
  /** The server cancels a statement that runs longer (default: the server's setting). */
  statementTimeoutMs?: number
  connectTimeoutMs?: number
  /**
   * Runs the runtime's statements as named prepared statements (default true): the server parses and
   * plans each shape once per connection. Turn off behind a pooler that cannot keep them (PgBouncer in
   * transaction mode before 1.21).
   */
  prepareStatements?: boolean
  /** Where the database's faults (server down, disk full) are logged when they start and end. */
  log?: Logger
  /** Hears how long each write took (ms): each is its own commit. The app's metrics. */
  onCommit?: (durationMs: number) => void
}

/** `postgres://user@host:port/database`: where the data lives, without the password. */
export function postgresLocation(options: PostgresDatabaseOptions): string {
  let user = options.user
  let host = options.host
  let port = options.port
  let database = options.database
  if (options.url) {
    try {
      const url = new URL(options.url)
      user ??= decodeURIComponent(url.username) || undefined
      host ??= url.hostname || undefined
      port ??= url.port ? Number(url.port) : undefined
      database ??= decodeURIComponent(url.pathname.replace(/^\//, '')) || undefined
    } catch {
      // Not a URL pg understands either; the connection reports it.
    }
  }
  const who = user ? `${encodeURIComponent(user)}@` : ''
  return `postgres://${who}${host ?? 'localhost'}:${port ?? 5432}/${database ?? user ?? 'postgres'}`
}

/** How many connections pipeline single statements, and how many the pool keeps for the rest. */
function connectionSplit(options: PostgresDatabaseOptions): { pipelined: number; pooled: number } {
  const total = options.poolSize ?? DEFAULT_POOL_SIZE
  const pipelined = Math.max(
    0,
    Math.min(options.pipelinedConnections ?? DEFAULT_PIPELINED_CONNECTIONS, total - 1),
  )
  return { pipelined, pooled: total - pipelined }
}

function poolConfig(options: PostgresDatabaseOptions): pg.PoolConfig {
  return {
    connectionString: options.url,
    host: options.host,
    port: options.port,
    database: options.database,
    user: options.user,
    password: options.password,
    ...(options.ssl === undefined ? {} : { ssl: options.ssl === true ? {} : options.ssl }),
    max: connectionSplit(options).pooled,
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    keepAlive: true,
    types: postgresTypes,
  }
}

const WRITE_COMMANDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE'])
/** Distinct statements given a name; beyond it, the rarer shapes run unnamed. */
const MAX_NAMED_STATEMENTS = 2000
/** "cached plan must not change result type": a `select *` or `returning *` prepared before a column was added. */
const PLAN_RESULT_CHANGED = '0A000'

/**
 * Names for the runtime's statements, by SQL text. A schema change (a column added by this node or by
 * another) makes the server refuse a prepared `*` statement before running it; the names then start
 * over, so each connection prepares the new shape once, and the statement is run again.
 */
class StatementNames {
  #names = new Map<string, string>()
  #epoch = 0

  nameOf(text: string): string | undefined {
    let name = this.#names.get(text)
    if (name === undefined && this.#names.size < MAX_NAMED_STATEMENTS) {
      name = `jit_${this.#epoch}_${this.#names.size}`
      this.#names.set(text, name)
    }
    return name
  }

  startOver(): void {
    this.#epoch++
    this.#names = new Map()
  }
}

/**
 * The pool as kysely sees it: every error a connection or a statement meets is marked as PostgreSQL's,
 * so that a broken connection reads as the database being down (503), not as a failed query.
 */
function markingPool(pool: pg.Pool, failed: (error: unknown) => void): PostgresPool {
  const fail = (error: unknown) => {
    markPostgresError(error)
    failed(error)
    throw error
  }
  return {
    connect: async (): Promise<PostgresPoolClient> => {
      const client = await pool.connect().catch(fail)
      // The pool listens to its idle connections only: one checked out that the server closes (a
      // crash, a restart, an idle connection taken just as the server went away) emits an error
      // besides failing its query, which with no listener would end the process.
      const onError = (error: unknown) => failed(markPostgresError(error))
      client.on('error', onError)
      return {
        query: ((...args: Parameters<pg.PoolClient['query']>) => {
          const result = (client.query as (...a: unknown[]) => unknown)(...args)
          return result instanceof Promise ? result.catch(fail) : result
        }) as PostgresPoolClient['query'],
        release: () => {
          client.removeListener('error', onError)
          client.release()
        },
      }
    },
    end: () => pool.end(),
  }
}

/**
 * Opens a pool to a PostgreSQL database and returns it as a `Database`, without connecting yet: the
 * first statement connects (a Type's synchronous `load` can call this). `openPostgresDatabase` also
 * checks that the server answers.
 */
export function openPostgresDatabaseSync(options: PostgresDatabaseOptions): Database {
  const location = postgresLocation(options)
  const health = new DatabaseHealth(location, options.log)
  const failed = (error: unknown) => health.failed(error)
  const pool = new pg.Pool(poolConfig(options))
  // An idle connection the server closes (a restart) errors outside any query; the pool drops it and
  // opens a new one when asked. Without a listener the process would exit on it.
  pool.on('error', (error) => failed(markPostgresError(error)))
  const kysely = new Kysely<any>({ dialect: new PostgresDialect({ pool: markingPool(pool, failed) }) })
  let closing: Promise<void> | undefined

  const names = options.prepareStatements === false ? undefined : new StatementNames()
  const { pipelined: pipelinedCount } = connectionSplit(options)
  const { max: _max, ...clientConfig } = poolConfig(options)
  const pipelined =
    pipelinedCount > 0
      ? new PipelinedConnections(clientConfig, pipelinedCount, {
          failed,
          pooled: (query) => pool.query(query),
        })
      : undefined
  const run = (text: string, values: unknown[]) => {
    const query = { name: names?.nameOf(text), text, values }
    return pipelined ? pipelined.query(query) : pool.query(query)
  }

  const commitObservers = new Set<(durationMs: number) => void>()
  if (options.onCommit) commitObservers.add(options.onCommit)

  async function runCompiled(sqlText: string, parameters: readonly unknown[]): Promise<CompiledRunResult> {
    const startedMs = performance.now()
    let result: pg.QueryResult
    try {
      try {
        result = await run(sqlText, parameters as unknown[])
      } catch (error) {
        if (!names || (error as { code?: unknown }).code !== PLAN_RESULT_CHANGED) throw error
        names.startOver()
        result = await run(sqlText, parameters as unknown[])
      }
    } catch (error) {
      markPostgresError(error)
      failed(error)
      throw error
    }
    if (WRITE_COMMANDS.has(result.command)) {
      const durationMs = performance.now() - startedMs
      for (const observe of commitObservers) observe(durationMs)
      health.committed()
      return { rows: result.rows ?? [], numAffectedRows: BigInt(result.rowCount ?? 0) }
    }
    return { rows: result.rows ?? [] }
  }

  return {
    dialect: 'postgres',
    location,
    kysely,
    models: createPostgresModelDialect(kysely),
    runCompiled,
    health: () => health.state,
    checkWritable: writeProbe(runCompiled, health, Date.now, 'postgres'),
    useLogger: (log) => health.useLogger(log),
    observeCommits: (observer) => {
      commitObservers.add(observer)
      return () => commitObservers.delete(observer)
    },
    close() {
      // kysely's destroy ends the pool, after the statements in flight.
      closing ??= Promise.all([kysely.destroy(), pipelined?.end()]).then(() => undefined)
      return closing
    },
  }
}

/**
 * Opens a pool to a PostgreSQL database, checks that the server answers (`JIT_DB_UNREACHABLE`, without
 * the password, when it does not) and returns it as a `Database`.
 *
 * @example
 * const db = await openPostgresDatabase({ url: process.env.DATABASE_URL })
 * try {
 *   await db.kysely.selectFrom('notes').selectAll().execute()
 * } finally {
 *   await db.close()
 * }
 */
export async function openPostgresDatabase(options: PostgresDatabaseOptions): Promise<Database> {
  const db = openPostgresDatabaseSync(options)
  try {
    await db.runCompiled('select 1', [])
  } catch (error) {
    await db.close()
    throw postgresUnreachable(db.location, error)
  }
  return db
}
