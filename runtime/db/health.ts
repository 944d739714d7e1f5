import type { Logger } from '../log.ts'
import { type StorageFault, storageFaultOf } from './database-errors.ts'

/** Whether a database works, as its last statements found. */
export type DatabaseHealthState =
  | { readonly status: 'ok' }
  | { readonly status: 'failing'; readonly fault: StorageFault; readonly sinceMs: number }

/**
 * Follows one connection's storage faults: failing from the first statement that meets one (a full
 * disk, a read-only file), ok again from the first write that commits. It logs the two transitions,
 * not each failed request: a full disk under load would otherwise write a line per request.
 *
 * @example
 * const health = new DatabaseHealth('data/app.sqlite', log)
 * try { commit() ; health.committed() } catch (error) { health.failed(error); throw error }
 */
export class DatabaseHealth {
  readonly #location: string
  readonly #now: () => number
  #log: Logger | undefined
  #state: DatabaseHealthState = { status: 'ok' }
  #lastCommitMs = Number.NEGATIVE_INFINITY

  constructor(location: string, log?: Logger, now: () => number = Date.now) {
    this.#location = location
    this.#log = log
    this.#now = now
  }

  get state(): DatabaseHealthState {
    return this.#state
  }

  /** When a write last committed (ms since the epoch); -Infinity before the first. */
  get lastCommitMs(): number {
    return this.#lastCommitMs
  }

  /** Where the transitions are logged, when the connection was opened without a logger. */
  useLogger(log: Logger): void {
    this.#log ??= log
  }

  /** A statement failed: a storage fault starts (or continues) an episode; other errors are the query's. */
  failed(error: unknown): void {
    if (this.#state.status === 'failing') return
    const fault = storageFaultOf(error)
    if (!fault) return
    this.#state = { status: 'failing', fault, sinceMs: this.#now() }
    this.#log?.error(
      `database ${this.#location}: ${fault.reason} (${fault.code}). ${fault.fix}. Until a write ` +
        'succeeds again, requests that need the database answer 503 and /healthz reports it failing ' +
        '(JIT_DB_UNAVAILABLE); this is logged once, and again when it recovers.',
    )
  }

  /** A write committed: the database takes writes (again). */
  committed(): void {
    const nowMs = this.#now()
    this.#lastCommitMs = nowMs
    if (this.#state.status === 'ok') return
    const seconds = ((nowMs - this.#state.sinceMs) / 1000).toFixed(1)
    this.#state = { status: 'ok' }
    this.#log?.info(`database ${this.#location}: writes succeed again, after ${seconds} s of failures`)
  }
}
