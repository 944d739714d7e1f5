import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { deleteExpiredPrefix, dropIfWithoutColumn } from '../../runtime/db/expiring-rows.ts'
import { openSqliteDatabase } from '../../runtime/db/index.ts'
import { cleanupTempDirs, tempDir } from './db-helpers.ts'

afterEach(cleanupTempDirs)

async function openWithRows(expiries: number[]) {
  const db = await openSqliteDatabase({ file: join(tempDir(), 'rows.sqlite') })
  await db.kysely.schema
    .createTable('t')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
    .execute()
  for (const expires_at_ms of expiries) await db.kysely.insertInto('t').values({ expires_at_ms }).execute()
  const ids = async () =>
    (await db.kysely.selectFrom('t').select('id').orderBy('id').execute()).map((row) => row.id)
  return { db, ids }
}

describe('deleteExpiredPrefix', () => {
  it('deletes the expired rows before the first live one; a row that expired out of order waits', async () => {
    // Row 3 lives longer than the rows around it (a longer lifetime, a clock step).
    const { db, ids } = await openWithRows([100, 200, 900, 400, 1000])
    try {
      await deleteExpiredPrefix(db.kysely, 't', 450)
      expect(await ids()).toEqual([3, 4, 5])
      await deleteExpiredPrefix(db.kysely, 't', 950)
      expect(await ids()).toEqual([5])
      await deleteExpiredPrefix(db.kysely, 't', 5000)
      expect(await ids()).toEqual([])
    } finally {
      await db.close()
    }
  })

  it('never deletes a live row', async () => {
    const { db, ids } = await openWithRows([500, 100, 600])
    try {
      await deleteExpiredPrefix(db.kysely, 't', 300)
      expect(await ids()).toEqual([1, 2, 3])
    } finally {
      await db.close()
    }
  })
})

describe('dropIfWithoutColumn', () => {
  it('drops a table of an earlier layout and keeps one of the current layout', async () => {
    const db = await openSqliteDatabase({ file: join(tempDir(), 'layout.sqlite') })
    try {
      await db.kysely.schema
        .createTable('old')
        .addColumn('id_hash', 'varchar(64)', (c) => c.primaryKey())
        .execute()
      await db.kysely.schema
        .createTable('current')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .execute()
      await db.kysely.insertInto('current').values({ id: 7 }).execute()
      await dropIfWithoutColumn(db.kysely, 'old', 'id')
      await dropIfWithoutColumn(db.kysely, 'current', 'id')
      await dropIfWithoutColumn(db.kysely, 'missing', 'id')
      const names = (await db.kysely.introspection.getTables()).map((t) => t.name)
      expect(names).toEqual(['current'])
      expect(await db.kysely.selectFrom('current').selectAll().execute()).toEqual([{ id: 7 }])
    } finally {
      await db.close()
    }
  })
})
