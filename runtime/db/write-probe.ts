import type { CompiledRunResult, DialectName } from './database.ts'
import type { DatabaseHealth, DatabaseHealthState } from './health.ts'

/** While the database is healthy, a probe runs at most this often; callers in between share its answer. */
const PROBE_INTERVAL_MS = 1000
const TABLE = 'jit_write_probe'
// bigint: epoch milliseconds do not fit PostgreSQL's 4-byte integer (SQLite's INTEGER is 8 bytes anyway).
const CREATE = `CREATE TABLE IF NOT EXISTS ${TABLE} (id INTEGER PRIMARY KEY, probed_at_ms BIGINT NOT NULL)`
// An update of one row in place: it appends a page to the WAL, as any commit must, and grows nothing.
const upsertWith = (placeholder: string) =>
  `INSERT INTO ${TABLE} (id, probed_at_ms) VALUES (1, ${placeholder}) ` +
  'ON CONFLICT (id) DO UPDATE SET probed_at_ms = excluded.probed_at_ms'

/**
 * Whether the database takes a write now, for `/healthz`: a load balancer must see a full disk before
 * users do, and see it clear while no request reaches the node. One small write runs (through the same
 * group commit as every write, so the connection's health hears its outcome), concurrent checks share
 * it, and while the database is healthy a write committed within the interval answers instead.
 *
 * @example
 * const checkWritable = writeProbe(runCompiled, health)
 * if ((await checkWritable()).status === 'failing') reply.code(503)
 */
export function writeProbe(
  run: (sql: string, parameters: readonly unknown[]) => Promise<CompiledRunResult>,
  health: DatabaseHealth,
  now: () => number = Date.now,
  dialect: DialectName = 'sqlite',
): () => Promise<DatabaseHealthState> {
  const upsert = upsertWith(dialect === 'postgres' ? '$1' : '?')
  let tableReady = false
  let lastProbeMs = Number.NEGATIVE_INFINITY
  let probing: Promise<void> | undefined

  const probe = async () => {
    try {
      if (!tableReady) {
        await run(CREATE, [])
        tableReady = true
      }
      await run(upsert, [now()])
    } catch {
      // The connection's health has heard it (a storage fault) or it is not one: the state says which.
    }
  }

  return async () => {
    const nowMs = now()
    if (health.state.status === 'ok') {
      // A write committed (or a probe ran) moments ago answers for itself.
      if (nowMs - Math.max(health.lastCommitMs, lastProbeMs) < PROBE_INTERVAL_MS) return health.state
    }
    // While failing, every check probes (a failing write costs next to nothing): the first one that
    // commits ends the episode, with no request needed to find out.
    if (!probing) {
      lastProbeMs = nowMs
      probing = probe().finally(() => {
        probing = undefined
      })
    }
    await probing
    return health.state
  }
}
