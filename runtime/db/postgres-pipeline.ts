/**
 * Single statements over a few pipelined PostgreSQL connections.
 *
 * A statement on a pooled connection is a round trip that holds the connection: the node writes it,
 * waits, reads the answer, and only then sends the next. Each write wakes a server process that went to
 * sleep after its last answer, and each answer wakes the node. A login makes five such statements, and
 * on a busy node those wake-ups, not the SQL, are most of its database cost (docs/databases.md).
 *
 * Pipelined (pg's `pipeline` mode), a connection takes the next statement while earlier ones are still
 * in flight: statements from concurrent requests go out back to back, the server works through them
 * without sleeping in between, and their answers come back together. Each statement still ends with its
 * own Sync, so it is its own transaction and fails alone. Transactions and kysely's queries keep using
 * the pool: a transaction needs a connection of its own. The statements sent in one turn of the event
 * loop leave in one write at its end (the socket is corked until then): one wake-up of the server for
 * all of them.
 *
 * A statement waits behind the ones sent before it on its connection, so one that waits must not wait
 * long: a new statement goes to the connection with the fewest in flight, never to one whose oldest
 * statement has run past STALLED_AFTER_MS (a slow query, a row locked by someone's transaction); when
 * every one has, it takes a pooled connection as it would without pipelining. A statement that waits
 * for a lock past LOCK_TIMEOUT_MS gives up its place (the server cancels it before it changed anything)
 * and runs again on a pooled connection, where it may wait as long as it needs: so a transaction that
 * holds a lock and waits for a statement queued behind one waiting for that lock is never stuck.
 * A connection that breaks (the server restarted) fails what it had in flight, as a pooled one would,
 * and is opened again by the next statement.
 */
import pg from 'pg'

/** A connection whose oldest statement has run this long takes no new ones until it answers. */
export const STALLED_AFTER_MS = 100
/** How long a pipelined statement waits for a lock before it moves to a pooled connection. */
export const LOCK_TIMEOUT_MS = 1000
/** lock_not_available: the server's answer to a wait past `lock_timeout`. */
const LOCK_NOT_AVAILABLE = '55P03'

interface Slot {
  client: pg.Client | undefined
  connecting: Promise<pg.Client> | undefined
  /** When each statement in flight was sent, oldest first (a connection answers in order). */
  sentAtMs: number[]
  /** Whether the socket holds this turn's statements, to write them together at its end. */
  corked: boolean
}

export interface PipelineOptions {
  /** Hears a connection's own errors (outside any statement). */
  failed(error: unknown): void
  /** Runs a statement on a pooled connection. */
  pooled(query: pg.QueryConfig): Promise<pg.QueryResult>
}

export class PipelinedConnections {
  readonly #config: pg.ClientConfig
  readonly #slots: Slot[]
  readonly #options: PipelineOptions
  #ended = false

  /** `count` connections, opened on first use with `config`. */
  constructor(config: pg.ClientConfig, count: number, options: PipelineOptions) {
    this.#config = { ...config, pipeline: true, lock_timeout: LOCK_TIMEOUT_MS } as pg.ClientConfig
    this.#slots = Array.from({ length: count }, () => ({
      client: undefined,
      connecting: undefined,
      sentAtMs: [],
      corked: false,
    }))
    this.#options = options
  }

  /** Runs one statement (a `pg` query config, a prepared statement's name included). */
  async query(config: pg.QueryConfig): Promise<pg.QueryResult> {
    if (this.#ended) throw new Error('the database was closed')
    const slot = this.#pick()
    if (!slot) return this.#options.pooled(config)
    slot.sentAtMs.push(performance.now())
    try {
      const client = slot.client ?? (await this.#open(slot))
      this.#holdWritesForThisTurn(slot, client)
      return await client.query(config)
    } catch (error) {
      if ((error as { code?: unknown }).code !== LOCK_NOT_AVAILABLE) throw error
      return this.#options.pooled(config)
    } finally {
      slot.sentAtMs.shift()
    }
  }

  /** Ends every connection after the statements already sent on it. */
  async end(): Promise<void> {
    this.#ended = true
    await Promise.all(
      this.#slots.map(async (slot) => {
        const client = slot.client ?? (await slot.connecting?.catch(() => undefined))
        slot.client = undefined
        await client?.end().catch(() => undefined)
      }),
    )
  }

  #holdWritesForThisTurn(slot: Slot, client: pg.Client): void {
    if (slot.corked) return
    const socket = client.connection.stream
    slot.corked = true
    socket.cork()
    setImmediate(() => {
      slot.corked = false
      socket.uncork()
    })
  }

  /** The connection with the fewest statements in flight, of those not stalled; none if all are. */
  #pick(): Slot | undefined {
    const stalledBefore = performance.now() - STALLED_AFTER_MS
    let best: Slot | undefined
    for (const slot of this.#slots) {
      if (slot.sentAtMs.length > 0 && slot.sentAtMs[0] < stalledBefore) continue
      if (!best || slot.sentAtMs.length < best.sentAtMs.length) best = slot
    }
    return best
  }

  #open(slot: Slot): Promise<pg.Client> {
    slot.connecting ??= (async () => {
      const client = new pg.Client(this.#config)
      const forget = () => {
        if (slot.client === client) slot.client = undefined
      }
      // A connection the server closes (a restart, an idle timeout) errors outside any statement; its
      // statements in flight fail with the same error. Without a listener the process would exit.
      client.on('error', (error) => {
        forget()
        this.#options.failed(error)
      })
      client.on('end', forget)
      await client.connect()
      if (this.#ended) {
        await client.end().catch(() => undefined)
        throw new Error('the database was closed')
      }
      slot.client = client
      return client
    })().finally(() => {
      slot.connecting = undefined
    })
    return slot.connecting
  }
}
