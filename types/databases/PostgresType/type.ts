import { createHash } from 'node:crypto'
import { defineType, JitError, type PrepareContext, secret, z } from 'jitlite'
import type { Database } from 'jitlite/db'
import {
  DEFAULT_PIPELINED_CONNECTIONS,
  DEFAULT_POOL_SIZE,
  openPostgresDatabaseSync,
  type PostgresDatabaseOptions,
  postgresUnreachable,
} from 'jitlite/db/postgres'

const postgresConfig = z
  .object({
    /** `postgres://user:password@host:port/database`; write `"${DATABASE_URL}"`. */
    url: secret(z.string().min(1)).optional(),
    host: z.string().min(1).optional(),
    port: z.number().int().min(1).max(65_535).optional(),
    database: z.string().min(1).optional(),
    user: z.string().min(1).optional(),
    password: secret(z.string().min(1)).optional(),
    /** true: TLS, verifying the server's certificate; or `{ rejectUnauthorized, ca }`. */
    ssl: z
      .union([
        z.boolean(),
        z.object({ rejectUnauthorized: z.boolean().optional(), ca: z.string().optional() }),
      ])
      .optional(),
    /** Connections each node keeps at most. */
    poolSize: z.number().int().min(1).max(1000).default(DEFAULT_POOL_SIZE),
    /**
     * Of those, how many carry single statements pipelined (at most poolSize - 1); 0: every statement
     * takes a pooled connection for its round trip (docs/databases.md#pipelined-statements).
     */
    pipelinedConnections: z.number().int().min(0).max(64).default(DEFAULT_PIPELINED_CONNECTIONS),
    /** The server cancels a statement that runs longer; default: the server's own setting. */
    statementTimeoutMs: z.number().int().min(1).max(3_600_000).optional(),
    /** false behind a pooler that cannot keep prepared statements (PgBouncer in transaction mode before 1.21). */
    prepareStatements: z.boolean().default(true),
  })
  .refine((config) => config.url !== undefined || config.host !== undefined, {
    message: 'give "url" (for example "${DATABASE_URL}") or "host" (with port, database, user, password)',
    path: ['url'],
  })

type PostgresConfig = z.infer<typeof postgresConfig>

function optionsOf(ctx: PrepareContext<PostgresConfig>): PostgresDatabaseOptions {
  const {
    url,
    host,
    port,
    database,
    user,
    password,
    ssl,
    poolSize,
    pipelinedConnections,
    statementTimeoutMs,
    prepareStatements,
  } = ctx.config
  return {
    url,
    host,
    port,
    database,
    user,
    password,
    ssl,
    poolSize,
    pipelinedConnections,
    statementTimeoutMs,
    prepareStatements,
    log: ctx.log,
    onCommit: (durationMs: number) => ctx.metrics.databaseCommit(ctx.element.fullName, durationMs),
  }
}

/**
 * One pool per connection setting, shared across reload generations (a reload that keeps the setting
 * keeps the pool). The key is a digest, so that no password sits in it.
 */
function acquire(ctx: PrepareContext<PostgresConfig>): Database {
  const { log: _log, onCommit: _onCommit, ...setting } = optionsOf(ctx)
  const digest = createHash('sha256').update(JSON.stringify(setting)).digest('hex')
  return ctx.resources.acquire(
    `databases.postgres:${digest}`,
    () => openPostgresDatabaseSync(optionsOf(ctx)),
    (db) => db.close(),
  )
}

/**
 * A PostgreSQL database Instance. `getElement` returns its `Database`. An app moves to PostgreSQL by
 * overriding `databases.Default` with one; no model or login Type changes.
 *
 * @example
 * // app/databases/Default/e.json:     { "title": "Default database", "type": "databases.PostgresType" }
 * // app/databases/Default/Default.json: { "url": "${DATABASE_URL}" }
 * const { kysely } = app.getElement('databases.Default')
 */
export default defineType<PostgresConfig, Database>({
  config: postgresConfig,
  async prepare(ctx) {
    const db = acquire(ctx)
    try {
      await db.runCompiled('select 1', [])
    } catch (error) {
      const unreachable = postgresUnreachable(db.location, error)
      // `jit check` reports it. A node that starts while the server is down serves 503s and recovers
      // with it, rather than staying broken until restarted.
      if (ctx.dryRun) {
        throw new JitError(
          'JIT_DB_UNREACHABLE',
          unreachable.reason,
          { file: ctx.element.configFile, element: ctx.element.fullName },
          { cause: error },
        )
      }
      ctx.log.warn(
        `${ctx.element.fullName}: ${unreachable.reason} Requests that need it answer 503 until it answers.`,
      )
    }
  },
  load: (ctx) => acquire(ctx),
})
