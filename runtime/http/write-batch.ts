import { CompiledQuery, type Kysely } from 'kysely'
import type { CompiledRunResult, Database } from '../db/database.ts'

/**
 * Group commit for the small writes of logins and sessions. Every write a request makes (a state
 * inserted, claimed, finished; a session opened) would otherwise be a transaction of its own, and on
 * SQLite each commit appends its pages to the WAL, whose checkpoints stall the event loop on fsync.
 * Writes issued during one turn of the event loop are run together in one transaction at the end of
 * the turn instead; each still gets its own result, and a failure inside a batch re-runs its writes one
 * by one, so that only the failing write fails.
 *
 * The transaction holds the database's connection (kysely's mutex) from BEGIN to COMMIT, so no other
 * query of this process can land inside it; another process waits on SQLite's lock as for any write.
 *
 * @example
 * const batch = WriteBatch.of(app.getElement('databases.Default'))
 * const { numAffectedRows } = await batch.run('update t set a = ? where id = ?', [1, 7])
 */
export class WriteBatch {
  static readonly #batches = new WeakMap<Kysely<any>, WriteBatch>()

  /** The batch of a database (one per kysely instance). */
  static of(database: Pick<Database, 'kysely' | 'runCompiled'>): WriteBatch {
    let batch = WriteBatch.#batches.get(database.kysely)
    if (!batch) {
      batch = new WriteBatch(database)
      WriteBatch.#batches.set(database.kysely, batch)
    }
    return batch
  }

  readonly #database: Pick<Database, 'kysely' | 'runCompiled'>
  #pending: PendingWrite[] = []

  private constructor(database: Pick<Database, 'kysely' | 'runCompiled'>) {
    this.#database = database
  }

  /** Runs one write (or a write with RETURNING) in the current turn's transaction. */
  run(sql: string, parameters: readonly unknown[]): Promise<CompiledRunResult> {
    return new Promise((resolve, reject) => {
      if (this.#pending.length === 0) setImmediate(() => void this.#flush())
      this.#pending.push({ sql, parameters, resolve, reject })
    })
  }

  async #flush(): Promise<void> {
    const writes = this.#pending
    this.#pending = []
    if (writes.length === 1) return this.#runAlone(writes[0])
    let results: CompiledRunResult[]
    try {
      results = await this.#database.kysely.transaction().execute(async (trx) => {
        const out: CompiledRunResult[] = []
        for (const write of writes) {
          const result = await trx.executeQuery(CompiledQuery.raw(write.sql, [...write.parameters]))
          out.push({ rows: result.rows, numAffectedRows: result.numAffectedRows })
        }
        return out
      })
    } catch {
      // Rolled back: none of them happened. Alone, each gets its own outcome.
      for (const write of writes) await this.#runAlone(write)
      return
    }
    for (const [i, write] of writes.entries()) write.resolve(results[i])
  }

  async #runAlone(write: PendingWrite): Promise<void> {
    try {
      write.resolve(await this.#database.runCompiled(write.sql, write.parameters))
    } catch (error) {
      write.reject(error)
    }
  }
}

interface PendingWrite {
  sql: string
  parameters: readonly unknown[]
  resolve: (result: CompiledRunResult) => void
  reject: (error: unknown) => void
}
