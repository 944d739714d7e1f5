import type { CreateTableBuilder } from 'kysely'
import { describe, expect, it } from 'vitest'
import {
  createExpiringTable,
  deleteExpiredPrefix,
  dropEarlierLayout,
  RowSelectors,
} from '../../runtime/db/expiring-rows.ts'
import type { Database } from '../../runtime/db/index.ts'
import { DIALECTS, eachTestPlace } from './db-helpers.ts'

describe.each(DIALECTS)('expiring rows on %s', (dialect) => {
  const place = eachTestPlace(dialect)

  /** An id the database gives, as createExpiringTable makes it. */
  const withId = (table: CreateTableBuilder<string, string>) =>
    dialect === 'postgres'
      ? table.addColumn('id', 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity())
      : table.addColumn('id', 'integer', (c) => c.primaryKey())

  async function openWithRows(expiries: number[]) {
    const db = await place().open()
    await withId(db.kysely.schema.createTable('t'))
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

  describe('dropEarlierLayout', () => {
    it('drops a table of an earlier layout and keeps one of the current layout', async () => {
      const db = await place().open()
      try {
        await db.kysely.schema
          .createTable('old')
          .addColumn('id_hash', 'varchar(64)', (c) => c.primaryKey())
          .execute()
        await withId(db.kysely.schema.createTable('current')).execute()
        await db.kysely.insertInto('current').values({ id: 7 }).execute()
        await dropEarlierLayout(db.kysely, 'old', ['id'])
        await dropEarlierLayout(db.kysely, 'current', ['id'])
        await dropEarlierLayout(db.kysely, 'missing', ['id'])
        const names = (await db.kysely.introspection.getTables()).map((t) => t.name)
        expect(names).toEqual(['current'])
        expect(await db.kysely.selectFrom('current').selectAll().execute()).toEqual([{ id: 7 }])
      } finally {
        await db.close()
      }
    })
  })

  describe('createExpiringTable', () => {
    const layout =
      (withNote: boolean) => (table: Parameters<Parameters<typeof createExpiringTable>[2]>[0]) => {
        const withColor = table.addColumn('color', 'text')
        return withNote ? withColor.addColumn('note', 'text') : withColor
      }

    it('replaces a table that lacks a column of the layout, and keeps the rows of a table that has them all', async () => {
      const db = await place().open()
      try {
        const row = { secret_hash: 'h', color: 'red', created_at_ms: 1, expires_at_ms: 2 }
        await createExpiringTable(db.kysely, 't', layout(false))
        await db.kysely.insertInto('t').values(row).execute()
        // Opened again by the same version: the row stays.
        await createExpiringTable(db.kysely, 't', layout(false))
        expect(await db.kysely.selectFrom('t').select('color').execute()).toEqual([{ color: 'red' }])
        // A version whose layout has one more column: the table starts again, with that column.
        await createExpiringTable(db.kysely, 't', layout(true))
        expect(await db.kysely.selectFrom('t').selectAll().execute()).toEqual([])
        await db.kysely
          .insertInto('t')
          .values({ ...row, note: 'n' })
          .execute()
        expect(await db.kysely.selectFrom('t').select('note').execute()).toEqual([{ note: 'n' }])
      } finally {
        await db.close()
      }
    })
  })

  /** Runs `use` on the test's database, closed afterwards. */
  async function withDatabase(use: (db: Database) => Promise<void>) {
    const db = await place().open()
    try {
      await use(db)
    } finally {
      await db.close()
    }
  }

  describe('two nodes starting at once', () => {
    it('create each expiring table and each key once, without an error, and agree on the keys', async () => {
      const [a, b] = await Promise.all([place().open(), place().open()])
      try {
        const tables = ['jit_a', 'jit_b', 'jit_c', 'jit_d']
        const start = (db: Database) =>
          Promise.all(
            tables.map(async (table) => {
              await createExpiringTable(db.kysely, table, (t) => t.addColumn('color', 'text'))
              return (await RowSelectors.load(db.kysely, table)).selectorOf(5)
            }),
          )
        const [fromA, fromB] = await Promise.all([start(a), start(b)])
        expect(fromB).toEqual(fromA)
        // The id is the database's to give, on either node.
        const row = { secret_hash: 'h', color: 'red', created_at_ms: 1, expires_at_ms: 2 }
        await a.kysely.insertInto('jit_a').values(row).execute()
        await b.kysely.insertInto('jit_a').values(row).execute()
        expect(await a.kysely.selectFrom('jit_a').select('id').orderBy('id').execute()).toEqual([
          { id: 1 },
          { id: 2 },
        ])
      } finally {
        await Promise.all([a.close(), b.close()])
      }
    })
  })

  describe('RowSelectors', () => {
    it('hides row ids: consecutive rows get unrelated selectors that read back to their ids', () =>
      withDatabase(async (db) => {
        const selectors = await RowSelectors.load(db.kysely, 'jit_sessions')
        const ids = [1, 2, 3, 1000, 2 ** 40, 2 ** 48 - 1]
        const made = ids.map((id) => selectors.selectorOf(id))
        for (const selector of made) expect(selector).toMatch(/^[0-9a-f]{32}$/)
        expect(made.map((selector) => selectors.rowIdOf(selector))).toEqual(ids)
        // Neighbours share no prefix or suffix worth the name, and no selector shows its id.
        expect(made[0].slice(0, 8)).not.toBe(made[1].slice(0, 8))
        expect(made[1].slice(-8)).not.toBe(made[2].slice(-8))
        expect(made.some((selector) => selector.endsWith('000001'))).toBe(false)
      }))

    it('refuses selectors it did not make, and stays correct after refusing them', () =>
      withDatabase(async (db) => {
        const selectors = await RowSelectors.load(db.kysely, 'jit_login_states')
        const good = selectors.selectorOf(7)
        const flipped = `${good.slice(0, 31)}${good[31] === '0' ? '1' : '0'}`
        for (const bad of [
          flipped,
          '0'.repeat(32),
          'f'.repeat(32),
          good.slice(1),
          `${good}0`,
          good.toUpperCase(),
          'zz',
        ])
          expect(selectors.rowIdOf(bad)).toBeUndefined()
        expect(selectors.rowIdOf(good)).toBe(7)
      }))

    it('keeps one key per table in the database: every process reads the same, other tables differ', async () => {
      let selector = ''
      await withDatabase(async (db) => {
        const sessions = await RowSelectors.load(db.kysely, 'jit_sessions')
        const states = await RowSelectors.load(db.kysely, 'jit_login_states')
        selector = sessions.selectorOf(42)
        expect(states.selectorOf(42)).not.toBe(selector)
        expect(states.rowIdOf(selector)).toBeUndefined()
      })
      await withDatabase(async (db) => {
        expect((await RowSelectors.load(db.kysely, 'jit_sessions')).rowIdOf(selector)).toBe(42)
      })
    })
  })
})
