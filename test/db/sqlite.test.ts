import { existsSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { MEMORY_DATABASE, openSqliteDatabase } from '../../runtime/db/index.ts'
import { caught, cleanupTempDirs, inspect, tempDir } from './db-helpers.ts'

afterEach(cleanupTempDirs)

describe('openSqliteDatabase', () => {
  it('creates the missing folder and file, in WAL mode with a busy timeout and foreign keys on', async () => {
    const file = join(tempDir(), 'nested', 'deeper', 'app.sqlite')
    const db = await openSqliteDatabase({ file })
    try {
      expect(existsSync(file)).toBe(true)
      const pragma = async (name: string) => {
        const { rows } = await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(db.kysely)
        return Object.values(rows[0])[0]
      }
      expect(await pragma('journal_mode')).toBe('wal')
      expect(await pragma('busy_timeout')).toBe(5000)
      expect(await pragma('foreign_keys')).toBe(1)
      expect(await pragma('synchronous')).toBe(1) // NORMAL
      expect(db.dialect).toBe('sqlite')
      expect(db.location).toBe(file)
      // WAL is a property of the file: a plain outside connection sees it too.
      expect(inspect(file, 'pragma journal_mode')).toEqual([{ journal_mode: 'wal' }])
    } finally {
      await db.close()
    }
  })

  it('opens an in-memory database', async () => {
    const db = await openSqliteDatabase({ file: MEMORY_DATABASE, busyTimeoutMs: 100 })
    await db.kysely.schema.createTable('t').addColumn('x', 'integer').execute()
    await db.kysely.insertInto('t').values({ x: 7 }).execute()
    expect(await db.kysely.selectFrom('t').selectAll().execute()).toEqual([{ x: 7 }])
    expect(db.location).toBe(':memory:')
    await db.close()
  })

  it('folds the WAL back into the file on close, and close is idempotent', async () => {
    const file = join(tempDir(), 'app.sqlite')
    const db = await openSqliteDatabase({ file })
    await db.kysely.schema.createTable('t').addColumn('x', 'text').execute()
    for (let i = 0; i < 50; i++)
      await db.kysely
        .insertInto('t')
        .values({ x: 'row'.repeat(50) })
        .execute()
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(0)
    await Promise.all([db.close(), db.close()])
    expect(existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0).toBe(0)
  })

  it('checkpoints a growing WAL from a worker thread, not in the commits that serve requests', async () => {
    const file = join(tempDir(), 'busy.sqlite')
    const db = await openSqliteDatabase({ file })
    try {
      const { rows } = await db.runCompiled('pragma wal_autocheckpoint', [])
      expect(rows).toEqual([{ wal_autocheckpoint: 0 }])
      await db.runCompiled('create table t (id integer primary key, body text)', [])
      const body = 'x'.repeat(1000)
      for (let batch = 0; batch < 60; batch++) {
        await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            db.runCompiled('insert into t (id, body) values (?, ?)', [batch * 100 + i, body]),
          ),
        )
      }
      // About 6 MB went into the WAL; the worker copies it into the database file by itself.
      await expect
        .poll(() => statSync(file).size, { timeout: 10_000, interval: 100 })
        .toBeGreaterThan(5_000_000)
    } finally {
      await db.close()
    }
  })

  it('refuses a file that is not a SQLite database with JIT_DB_OPEN_FAILED', async () => {
    const file = join(tempDir(), 'notes.sqlite')
    writeFileSync(file, 'these are my notes, not a database '.repeat(40))
    const error = await caught(() => openSqliteDatabase({ file }))
    expect(error.code).toBe('JIT_DB_OPEN_FAILED')
    expect(error.message).toContain(file)
    expect(error.message).toMatch(/SQLite database/)
  })

  it('refuses a path whose folder cannot be created with JIT_DB_OPEN_FAILED', async () => {
    const blocker = join(tempDir(), 'a-file')
    writeFileSync(blocker, 'x')
    const error = await caught(() => openSqliteDatabase({ file: join(blocker, 'db.sqlite') }))
    expect(error.code).toBe('JIT_DB_OPEN_FAILED')
  })
})
