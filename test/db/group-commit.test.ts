import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Database } from '../../runtime/db/database.ts'
import { openSqliteDatabaseSync } from '../../runtime/db/index.ts'

const opened: Database[] = []
afterEach(async () => {
  for (const db of opened.splice(0)) await db.close()
})

function openDatabase(): Database {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jitlite-group-'))
  const db = openSqliteDatabaseSync({ file: path.join(dir, 'group.sqlite') })
  opened.push(db)
  return db
}

/** Frames in the WAL now; a complete checkpoint lets the next write start the WAL over. */
async function walFrames(db: Database): Promise<number> {
  const { rows } = await db.runCompiled('pragma wal_checkpoint(PASSIVE)', [])
  return Number((rows[0] as { log: number }).log)
}

describe('group commit: the writes of one event-loop turn share one commit', () => {
  it('gives each write its own result', async () => {
    const db = openDatabase()
    await db.runCompiled('create table t (id integer primary key, n integer not null)', [])
    const inserts = Array.from({ length: 50 }, (_, i) =>
      db.runCompiled('insert into t (id, n) values (?, ?)', [i, i]),
    )
    const results = await Promise.all(inserts)
    expect(results.every((r) => r.numAffectedRows === 1n)).toBe(true)
    const [update, returning] = await Promise.all([
      db.runCompiled('update t set n = n + 100 where id < ?', [10]),
      db.runCompiled('update t set n = -1 where id = ? returning id, n', [42]),
    ])
    expect(update.numAffectedRows).toBe(10n)
    expect(returning.rows).toEqual([{ id: 42, n: -1 }])
    const { rows } = await db.runCompiled('select count(*) as c, sum(n) as s from t', [])
    expect(rows).toEqual([{ c: 50, s: 1225 + 1000 - 42 - 1 }])
  })

  it('writes a page touched by many concurrent writes once, not once per write', async () => {
    const db = openDatabase()
    await db.runCompiled('create table t (id integer primary key, body text)', [])
    await walFrames(db)
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => db.runCompiled('insert into t values (?, ?)', [i, 'x'])),
    )
    const together = await walFrames(db)
    for (let i = 100; i < 200; i++) await db.runCompiled('insert into t values (?, ?)', [i, 'x'])
    const oneByOne = await walFrames(db)
    expect(oneByOne).toBeGreaterThanOrEqual(100)
    expect(together).toBeLessThan(oneByOne / 10)
  })

  it('fails only the failing write; the others are committed', async () => {
    const db = openDatabase()
    await db.runCompiled('create table t (id integer primary key)', [])
    await db.runCompiled('insert into t (id) values (1)', [])
    const outcomes = await Promise.allSettled([
      db.runCompiled('insert into t (id) values (?)', [2]),
      db.runCompiled('insert into t (id) values (?)', [1]),
      db.runCompiled('insert into t (id) values (?)', [3]),
    ])
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect((outcomes[1] as PromiseRejectedResult).reason.code).toBe('SQLITE_CONSTRAINT_PRIMARYKEY')
    const { rows } = await db.runCompiled('select id from t order by id', [])
    expect(rows).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }])
  })

  it('runs the other writes again when a failing write ends the whole transaction', async () => {
    const db = openDatabase()
    await db.runCompiled('create table t (id integer primary key, n integer not null)', [])
    // RAISE(ROLLBACK) undoes the whole transaction, not only the statement that met it.
    await db.runCompiled(
      "create trigger no_negatives before insert on t when new.n < 0 begin select raise(rollback, 'negative'); end",
      [],
    )
    const outcomes = await Promise.allSettled([
      db.runCompiled('insert into t (id, n) values (?, ?)', [1, 10]),
      db.runCompiled('insert into t (id, n) values (?, ?) returning id', [2, 20]),
      db.runCompiled('insert into t (id, n) values (?, ?)', [3, -1]),
      db.runCompiled('insert into t (id, n) values (?, ?)', [4, 40]),
    ])
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled'])
    expect((outcomes[1] as PromiseFulfilledResult<{ rows: unknown[] }>).value.rows).toEqual([{ id: 2 }])
    expect((outcomes[2] as PromiseRejectedResult).reason.message).toBe('negative')
    const { rows } = await db.runCompiled('select id from t order by id', [])
    expect(rows).toEqual([{ id: 1 }, { id: 2 }, { id: 4 }])
  })

  it('commits the writes still waiting for their turn when the database closes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jitlite-group-'))
    const file = path.join(dir, 'close.sqlite')
    const db = openSqliteDatabaseSync({ file })
    await db.runCompiled('create table t (id integer primary key)', [])
    const late = db.runCompiled('insert into t (id) values (?)', [1])
    await db.close()
    expect((await late).numAffectedRows).toBe(1n)
    const again = openSqliteDatabaseSync({ file })
    opened.push(again)
    const { rows } = await again.runCompiled('select id from t', [])
    expect(rows).toEqual([{ id: 1 }])
  })

  it('never lands inside a kysely transaction of the same process', async () => {
    const db = openDatabase()
    await db.runCompiled('create table t (id integer primary key)', [])
    let outside: Promise<unknown> | undefined
    await expect(
      db.kysely.transaction().execute(async (trx) => {
        await trx.insertInto('t').values({ id: 1 }).execute()
        // Issued while the transaction holds the connection: it must wait, and survive the rollback.
        outside = db.runCompiled('insert into t (id) values (?)', [7])
        await new Promise((resolve) => setImmediate(resolve))
        throw new Error('roll back')
      }),
    ).rejects.toThrow('roll back')
    await outside
    const { rows } = await db.runCompiled('select id from t order by id', [])
    expect(rows).toEqual([{ id: 7 }])
  })
})
