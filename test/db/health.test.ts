import { join } from 'node:path'
import { sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { openSqliteDatabase } from '../../runtime/db/index.ts'
import { memoryLogger } from '../../runtime/log.ts'
import { cleanupTempDirs, tempDir } from './db-helpers.ts'

afterEach(cleanupTempDirs)

async function openNotes() {
  const log = memoryLogger()
  const db = await openSqliteDatabase({ file: join(tempDir(), 'app.sqlite'), log })
  await db.kysely.schema
    .createTable('notes')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('text', 'text', (c) => c.unique())
    .execute()
  const insert = (id: number, text: string) =>
    db.runCompiled('insert into notes (id, text) values (?, ?)', [id, text])
  return { db, log, insert }
}

describe("a connection's health", () => {
  it('a query that is wrong (a repeated unique key) says nothing about the database', async () => {
    const { db, log, insert } = await openNotes()
    try {
      await insert(1, 'a')
      await expect(insert(2, 'a')).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE' })
      expect(db.health?.()).toEqual({ status: 'ok' })
      expect(await db.checkWritable?.()).toEqual({ status: 'ok' })
      expect(log.lines).toEqual([])
    } finally {
      await db.close()
    }
  })

  it('a file SQLite will not write (query_only: SQLITE_READONLY) fails it once, and a commit heals it', async () => {
    const { db, log, insert } = await openNotes()
    try {
      await insert(1, 'a')
      await sql`pragma query_only = 1`.execute(db.kysely)
      for (let id = 2; id < 6; id++) {
        await expect(insert(id, `n${id}`)).rejects.toMatchObject({ code: 'SQLITE_READONLY' })
      }
      expect(db.health?.()).toMatchObject({ status: 'failing', fault: { code: 'SQLITE_READONLY' } })
      expect(await db.checkWritable?.()).toMatchObject({ status: 'failing' })
      expect(log.lines).toHaveLength(1)
      expect(log.lines[0]).toMatch(
        /^error database .*app\.sqlite: the database file is read-only \(SQLITE_READONLY\)\. Make /,
      )
      // Reads still work, and prove nothing about writes.
      expect(await db.kysely.selectFrom('notes').select('text').execute()).toEqual([{ text: 'a' }])
      expect(db.health?.()).toMatchObject({ status: 'failing' })

      await sql`pragma query_only = 0`.execute(db.kysely)
      expect(await db.checkWritable?.()).toEqual({ status: 'ok' })
      expect(log.lines).toHaveLength(2)
      expect(log.lines[1]).toMatch(
        /^info database .*app\.sqlite: writes succeed again, after \d+\.\d s of failures$/,
      )
      await insert(7, 'b')
      expect(log.lines).toHaveLength(2)
    } finally {
      await db.close()
    }
  })
})
