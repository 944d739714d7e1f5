/**
 * Named leases in a database: "I am doing X until T", for work that every node behind a balancer could
 * start at once and exactly one should do (a token refresh WeChat counts against a quota). A lease is
 * one row; taking it is one conditional upsert, so two nodes asking at the same moment get one yes.
 * An owner that dies holds it only until its deadline.
 */
import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from './database.ts'
import { withSchemaChangeLock } from './schema-lock.ts'
import { SetupOnce } from './setup-once.ts'

const TABLE = 'jit_leases'

/**
 * @example
 * const leases = Leases.of(app.getElement('databases.Default'))
 * const lease = await leases.take('wechat-refresh:wx1:o6_b', { nowMs: Date.now(), forMs: 15_000 })
 * if (lease) try { await refresh() } finally { await lease.release() }
 */
export class Leases {
  static readonly #leases = new WeakMap<Kysely<any>, Leases>()

  /** The leases of a database, their table created on first use. */
  static of(database: Pick<Database, 'kysely'>): Leases {
    let leases = Leases.#leases.get(database.kysely)
    if (!leases) {
      leases = new Leases(database.kysely)
      Leases.#leases.set(database.kysely, leases)
    }
    return leases
  }

  readonly #db: Kysely<any>
  readonly #setup: SetupOnce<void>

  private constructor(db: Kysely<any>) {
    this.#db = db
    this.#setup = new SetupOnce(() =>
      withSchemaChangeLock(db, async (trx) => {
        await trx.schema
          .createTable(TABLE)
          .ifNotExists()
          .addColumn('name', 'varchar(255)', (c) => c.primaryKey())
          .addColumn('owner', 'varchar(64)', (c) => c.notNull())
          .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
          .execute()
      }),
    )
    void this.#ready
  }

  /** The table, created with the first `of` (retried after a failure: SetupOnce). */
  get #ready(): Promise<void> {
    return this.#setup.get()
  }

  /**
   * Takes lease `name` until `nowMs + forMs` if nobody holds it (no row, or the holder's deadline has
   * passed); undefined when someone else does.
   */
  async take(name: string, options: { nowMs: number; forMs: number }): Promise<Lease | undefined> {
    await this.#ready
    const owner = randomUUID()
    // Insert, or take over an expired row: one statement, so of two takers exactly one gets a row back.
    const taken = await this.#db
      .insertInto(TABLE)
      .values({ name, owner, expires_at_ms: options.nowMs + options.forMs })
      .onConflict((conflict) =>
        conflict
          .column('name')
          .doUpdateSet((eb) => ({
            owner: eb.ref('excluded.owner'),
            expires_at_ms: eb.ref('excluded.expires_at_ms'),
          }))
          .where(`${TABLE}.expires_at_ms`, '<=', options.nowMs),
      )
      .returning('owner')
      .executeTakeFirst()
    if (taken?.owner !== owner) return undefined
    return {
      release: async () => {
        await this.#db.deleteFrom(TABLE).where('name', '=', name).where('owner', '=', owner).execute()
      },
    }
  }
}

export interface Lease {
  /** Ends the lease now (only if it is still this owner's). */
  release(): Promise<void>
}
