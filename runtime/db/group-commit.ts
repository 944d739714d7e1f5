import type BetterSqlite3 from 'better-sqlite3'
import type { SqliteStatement } from 'kysely'
import type { CompiledRunResult } from './database.ts'

interface PendingWrite {
  sql: string
  parameters: readonly unknown[]
  resolve: (result: CompiledRunResult) => void
  reject: (error: unknown) => void
}

interface Connection {
  raw: BetterSqlite3.Database
  prepare(sql: string): SqliteStatement
  /** Whether the connection is held across awaits (a kysely transaction or result stream). */
  busy(): boolean
  /** Runs one statement behind whatever holds the connection. */
  queue(sql: string, parameters: readonly unknown[]): Promise<CompiledRunResult>
  /** A promise while commits must wait (the WAL is being reset), else undefined. */
  hold?(): Promise<void> | undefined
  /** Hears BEGIN and COMMIT failures (statements report their own), for the connection's health. */
  failed?(error: unknown): void
  /** A commit of writes that all succeeded: the database takes writes. */
  committed?(): void
  /** How long a commit took, from its BEGIN (or its one statement) to its end, in ms. */
  timed?(durationMs: number): void
}

/**
 * Group commit: the writes issued during one turn of the event loop are committed together in one
 * transaction at the end of the turn. A login makes half a dozen small writes (a state, its claim,
 * the user, the session); each alone is a commit that appends its pages to the WAL, and the WAL's
 * checkpoints stall the event loop on fsync. Together, a page touched by many writes is written once.
 *
 * A failing write fails alone and the others commit: SQLite undoes a failed statement by itself (a
 * constraint error aborts the statement, not the transaction), so no savepoint per write is needed.
 * The rare error that ends the whole transaction (a `RAISE(ROLLBACK)`, a full disk) undoes the writes
 * run before it too; those are then run again, one by one, each in its own commit. A write's promise
 * settles after the commit: what it reports is durable as far as the journal mode promises. While a
 * kysely transaction or stream holds the connection, writes queue behind it one by one instead, so none
 * ever lands inside someone else's transaction. While the connection asks commits to wait (`hold`), writes
 * gather and commit together when it lets them go; the event loop serves on meanwhile.
 */
export class GroupCommit {
  readonly #connection: Connection
  #pending: PendingWrite[] = []
  readonly #begin: BetterSqlite3.Statement
  readonly #commit: BetterSqlite3.Statement
  readonly #rollback: BetterSqlite3.Statement
  #held = false

  constructor(connection: Connection) {
    this.#connection = connection
    const { raw } = connection
    this.#begin = raw.prepare('BEGIN IMMEDIATE')
    this.#commit = raw.prepare('COMMIT')
    this.#rollback = raw.prepare('ROLLBACK')
  }

  /** Runs a write (INSERT, UPDATE, DELETE, with or without RETURNING) in this turn's commit. */
  run(sql: string, parameters: readonly unknown[]): Promise<CompiledRunResult> {
    return new Promise((resolve, reject) => {
      if (this.#pending.length === 0) setImmediate(() => this.#flush())
      this.#pending.push({ sql, parameters, resolve, reject })
    })
  }

  /** Commits the writes waiting for the end of this turn now (before the connection closes), held or not. */
  flushNow(): void {
    this.#flush(true)
  }

  #flush(now = false): void {
    const writes = this.#pending
    // Nothing left when flushNow ran before this turn's scheduled flush.
    if (writes.length === 0) return
    if (!now) {
      const hold = this.#connection.hold?.()
      if (hold) {
        if (!this.#held) {
          this.#held = true
          hold.then(() => {
            this.#held = false
            this.#flush()
          })
        }
        return
      }
    }
    this.#pending = []
    const connection = this.#connection
    if (connection.busy() || !connection.raw.open) {
      for (const write of writes)
        connection.queue(write.sql, write.parameters).then(write.resolve, write.reject)
      return
    }
    if (writes.length === 1) this.#runAlone(writes[0])
    else this.#commitTogether(writes)
  }

  #commitTogether(writes: PendingWrite[]): void {
    const startedMs = performance.now()
    try {
      this.#begin.run()
    } catch (error) {
      this.#connection.failed?.(error)
      for (const write of writes) write.reject(error)
      return
    }
    const raw = this.#connection.raw
    const outcomes: Array<{ ok: true; result: CompiledRunResult } | { ok: false; error: unknown }> = []
    for (let i = 0; i < writes.length; i++) {
      try {
        outcomes.push({ ok: true, result: this.#execute(writes[i]) })
      } catch (error) {
        outcomes.push({ ok: false, error })
        if (!raw.inTransaction) {
          // The error ended the transaction and undid the writes before it: run those, and the writes
          // after it, each alone.
          writes[i].reject(error)
          for (const write of [...writes.slice(0, i), ...writes.slice(i + 1)]) this.#runAlone(write)
          return
        }
      }
    }
    try {
      this.#commit.run()
    } catch (error) {
      this.#connection.failed?.(error)
      try {
        if (raw.inTransaction) this.#rollback.run()
      } catch {}
      for (const write of writes) write.reject(error)
      return
    }
    // Only a commit that wrote something shows the database takes writes (a commit of updates that
    // matched no row writes nothing); and not when one of its writes failed, perhaps for a full disk.
    this.#connection.timed?.(performance.now() - startedMs)
    if (outcomes.every((outcome) => outcome.ok) && outcomes.some((outcome) => wroteSomething(outcome.result)))
      this.#connection.committed?.()
    writes.forEach((write, i) => {
      const outcome = outcomes[i]
      if (outcome.ok) write.resolve(outcome.result)
      else write.reject(outcome.error)
    })
  }

  /** One write in its own (implicit) transaction. */
  #runAlone(write: PendingWrite): void {
    const startedMs = performance.now()
    let result: CompiledRunResult
    try {
      result = this.#execute(write)
    } catch (error) {
      write.reject(error)
      return
    }
    this.#connection.timed?.(performance.now() - startedMs)
    if (wroteSomething(result)) this.#connection.committed?.()
    write.resolve(result)
  }

  #execute(write: PendingWrite): CompiledRunResult {
    const statement = this.#connection.prepare(write.sql)
    if (statement.reader) return { rows: statement.all(write.parameters) }
    return { rows: [], numAffectedRows: BigInt(statement.run(write.parameters).changes) }
  }
}

function wroteSomething(result: CompiledRunResult): boolean {
  return result.rows.length > 0 || (result.numAffectedRows ?? 0n) > 0n
}

/** Statements that change data; those go through group commit. */
export const WRITE_STATEMENT = /^\s*(insert|update|delete|replace)\b/i
