/**
 * The runtime's single statements on PostgreSQL go over pipelined connections: many at once come back
 * each with its own answer over a couple of connections; a statement stuck behind a lock or a slow one
 * never keeps the others waiting for long, and a transaction waiting for a statement queued behind one
 * that waits for its lock is never stuck; a broken connection is opened again by the next statement.
 */
import { sql } from 'kysely'
import pg from 'pg'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Database } from '../../runtime/db/database.ts'
import { openPostgresDatabase, type PostgresDatabaseOptions } from '../../runtime/db/postgres.ts'
import { type FreshDatabase, freshPostgresDatabase } from '../helpers/postgres.ts'

let fresh: FreshDatabase
const opened: Database[] = []
beforeEach(async () => {
  fresh = await freshPostgresDatabase()
  const setup = new pg.Client({ connectionString: fresh.url })
  await setup.connect()
  await setup.query('create table counters (id bigint primary key, n bigint not null)')
  await setup.query('insert into counters values (1, 0), (2, 0)')
  await setup.end()
})
afterEach(async () => {
  for (const db of opened.splice(0)) await db.close()
  await fresh.drop()
})

async function open(options: Partial<PostgresDatabaseOptions> = {}): Promise<Database> {
  const db = await openPostgresDatabase({ url: fresh.url, ...options })
  opened.push(db)
  return db
}

/** This database's connections (other than the asking one), as the server lists them. */
async function connections(): Promise<number> {
  const client = new pg.Client({ connectionString: fresh.url })
  await client.connect()
  try {
    const { rows } = await client.query(
      'select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
    )
    return rows[0].n
  } finally {
    await client.end()
  }
}

describe('pipelined statements (PostgreSQL)', () => {
  it('answers 500 statements at once, each with its own rows, over the pipelined connections', async () => {
    const db = await open({ poolSize: 10, pipelinedConnections: 2 })
    const answers = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        db.runCompiled('update counters set n = n + 1 where id = $1 returning $2::int as asked', [
          1 + (i % 2),
          i,
        ]),
      ),
    )
    expect(answers.map((answer) => (answer.rows[0] as { asked: number }).asked)).toEqual(
      Array.from({ length: 500 }, (_, i) => i),
    )
    expect(answers.every((answer) => answer.numAffectedRows === 1n)).toBe(true)
    const { rows } = await db.runCompiled('select n from counters order by id', [])
    expect(rows).toEqual([{ n: 250 }, { n: 250 }])
    // Two pipelined connections carried them all; the pool opened none (select 1 at open included).
    expect(await connections()).toBe(2)
  })

  it('does not leave a transaction stuck on a statement queued behind one that waits for its lock', async () => {
    const db = await open({ poolSize: 4, pipelinedConnections: 1 })
    await db.runCompiled('select 1', [])
    let blockedDone = false
    const outcome = await db.kysely.transaction().execute(async (trx) => {
      await sql`update counters set n = 100 where id = 1`.execute(trx)
      // Another request's write of the same row: it waits for this transaction's lock, on the one
      // pipelined connection.
      const blocked = db.runCompiled('update counters set n = n + 1 where id = 1', []).then((result) => {
        blockedDone = true
        return result
      })
      // This transaction's own next step goes through the runtime's statements: it must get an answer
      // although the statement sent before it waits for this transaction to end.
      const { rows } = await db.runCompiled('select n from counters where id = 2', [])
      return { rows, blocked, blockedDoneBeforeCommit: blockedDone }
    })
    expect(outcome.rows).toEqual([{ n: 0 }])
    expect(outcome.blockedDoneBeforeCommit).toBe(false)
    expect((await outcome.blocked).numAffectedRows).toBe(1n)
    expect((await db.runCompiled('select n from counters where id = 1', [])).rows).toEqual([{ n: 101 }])
  })

  it('sends no new statement behind a slow one: it takes a pooled connection and answers first', async () => {
    const db = await open({ poolSize: 4, pipelinedConnections: 1 })
    await db.runCompiled('select 1', [])
    const order: string[] = []
    const slow = db.runCompiled('select pg_sleep(2)', []).then(() => order.push('slow'))
    await new Promise((resolve) => setTimeout(resolve, 300))
    await db.runCompiled('update counters set n = 7 where id = 2', []).then(() => order.push('quick'))
    await slow
    expect(order).toEqual(['quick', 'slow'])
  })

  it('opens a connection again after the server ended it, and the statements after it succeed', async () => {
    const db = await open({ poolSize: 4, pipelinedConnections: 2 })
    await Promise.all(Array.from({ length: 20 }, () => db.runCompiled('select 1', [])))
    const admin = new pg.Client({ connectionString: fresh.url })
    await admin.connect()
    await admin.query(
      'select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
    )
    await admin.end()
    // The first statements may meet the ended connections (a storage fault, as a pooled one gives);
    // the ones after them are answered on new connections.
    const settle = async () =>
      Promise.allSettled(Array.from({ length: 10 }, () => db.runCompiled('select 1 as one', [])))
    let results = await settle()
    for (let attempt = 0; attempt < 5 && results.some((r) => r.status === 'rejected'); attempt++) {
      results = await settle()
    }
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true)
    expect((await db.runCompiled('select n from counters where id = 1', [])).rows).toEqual([{ n: 0 }])
  })

  it('runs every statement on a pooled connection with pipelinedConnections: 0', async () => {
    const db = await open({ poolSize: 3, pipelinedConnections: 0 })
    await Promise.all(
      Array.from({ length: 30 }, () => db.runCompiled('update counters set n = n + 1 where id = 1', [])),
    )
    expect((await db.runCompiled('select n from counters where id = 1', [])).rows).toEqual([{ n: 30 }])
    expect(await connections()).toBeGreaterThan(1)
  })
})
