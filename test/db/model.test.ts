import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest'
import { type Database, type ModelHandle, openModel } from '../../runtime/db/index.ts'
import {
  caught,
  DIALECTS,
  eachTestPlace,
  type TestPlace,
  type User,
  userConfig,
  userFields,
} from './db-helpers.ts'

describe.each(DIALECTS)('models on %s', (dialect) => {
  let place: TestPlace
  let db: Database
  let users: ModelHandle<User>
  const currentPlace = eachTestPlace(dialect)
  const count = async (table = 'users') =>
    await place.rows<{ n: number }>(`select count(*) as n from ${table}`)

  beforeEach(async () => {
    place = currentPlace()
    db = await place.open()
    users = await openModel<User>(db, userConfig, { label: 'models.User' })
  })

  afterEach(async () => {
    await db.close()
  })

  async function seed(count: number) {
    for (let i = 1; i <= count; i++) {
      await users.create({
        appId: i % 2 ? 'wxOdd' : 'wxEven',
        openid: `o${String(i).padStart(3, '0')}`,
        nickname: i % 5 === 0 ? null : `user${i}`,
        sex: i % 3,
        createdAt: new Date(Date.UTC(2024, 0, 1, 0, 0, i)),
      })
    }
  }

  describe('ModelHandle writes', () => {
    it('create returns the stored row with its generated id and timestamps', async () => {
      const before = Date.now()
      const a = await users.create({ appId: 'wx1', openid: 'o1', nickname: 'Li' })
      const b = await users.create({ appId: 'wx1', openid: 'o2' })
      expect(a).toMatchObject({ id: 1, appId: 'wx1', openid: 'o1', nickname: 'Li', sex: null })
      expect(b.id).toBe(2)
      expect(a.createdAt).toBeInstanceOf(Date)
      expect(a.createdAt.getTime()).toBeGreaterThanOrEqual(before)
      expect(a.updatedAt.getTime()).toBe(a.createdAt.getTime())
      expectTypeOf(a.createdAt).toEqualTypeOf<Date>()
    })

    it('round-trips a Datetime as the same instant, stored as sortable ISO 8601 UTC text', async () => {
      const at = new Date('2024-02-29T23:59:58.123+08:00')
      const created = await users.create({ appId: 'wx1', openid: 'o1', createdAt: at })
      expect(created.createdAt.getTime()).toBe(at.getTime())
      await db.close()
      // SQLite keeps ISO 8601 UTC text (it sorts as time does); PostgreSQL a timestamptz.
      expect(await place.rows('select "createdAt" from users')).toEqual([
        { createdAt: dialect === 'sqlite' ? '2024-02-29T15:59:58.123Z' : at },
      ])
      db = await place.open()
      users = await openModel<User>(db, userConfig)
      const read = await users.get({ openid: 'o1' })
      expect(read?.createdAt).toEqual(at)
      expect(read?.createdAt).toBeInstanceOf(Date)
      // An ISO string or epoch milliseconds are accepted too, and come back as Dates.
      const fromText = await users.create({
        appId: 'wx1',
        openid: 'o2',
        createdAt: '2024-03-01T00:00:00Z' as never,
      })
      expect(fromText.createdAt).toEqual(new Date(Date.UTC(2024, 2, 1)))
      const fromMs = await users.create({ appId: 'wx1', openid: 'o3', createdAt: 0 as never })
      expect(fromMs.createdAt).toEqual(new Date(0))
    })

    it('updateByPK changes the given fields, moves updatedAt, and returns null for a missing key', async () => {
      const created = await users.create({
        appId: 'wx1',
        openid: 'o1',
        nickname: 'Li',
        createdAt: new Date(1000),
        updatedAt: new Date(1000),
      })
      const updated = await users.updateByPK(created.id, { nickname: 'Wang', sex: null })
      expect(updated).toMatchObject({ id: created.id, nickname: 'Wang', sex: null, openid: 'o1' })
      expect(updated?.createdAt).toEqual(new Date(1000))
      expect(updated!.updatedAt.getTime()).toBeGreaterThan(1000)
      expect(await users.updateByPK(999, { nickname: 'x' })).toBeNull()
      expect(await users.updateByPK(String(created.id), {})).toMatchObject({ nickname: 'Wang' })
    })

    it('deleteByPK removes the row and says whether there was one', async () => {
      const created = await users.create({ appId: 'wx1', openid: 'o1' })
      expect(await users.deleteByPK(created.id)).toBe(true)
      expect(await users.deleteByPK(created.id)).toBe(false)
      expect(await users.get({ openid: 'o1' })).toBeNull()
    })

    it('upsert inserts, then updates the same row in place, keeping id and createdAt', async () => {
      const first = await users.upsert(
        { appId: 'wx1', openid: 'o1', nickname: 'Li', sex: 1 },
        { conflict: ['appId', 'openid'] },
      )
      await new Promise((r) => setTimeout(r, 5))
      const second = await users.upsert(
        { appId: 'wx1', openid: 'o1', nickname: 'Wang' },
        { conflict: ['openid', 'appId'] },
      )
      expect(second.id).toBe(first.id)
      expect(second.nickname).toBe('Wang')
      expect(second.sex).toBe(1) // not given, so not overwritten
      expect(second.createdAt).toEqual(first.createdAt)
      expect(second.updatedAt.getTime()).toBeGreaterThan(first.updatedAt.getTime())
      expect(await count()).toEqual([{ n: 1 }])
    })

    it('upsert overwrites only the columns in `update`', async () => {
      await users.upsert(
        { appId: 'wx1', openid: 'o1', nickname: 'Li', sex: 1 },
        { conflict: ['appId', 'openid'] },
      )
      const row = await users.upsert(
        { appId: 'wx1', openid: 'o1', nickname: 'Wang', sex: 2 },
        { conflict: ['appId', 'openid'], update: ['sex'] },
      )
      expect(row).toMatchObject({ nickname: 'Li', sex: 2 })
    })

    it('upsert with nothing to update still returns the existing row', async () => {
      const plain = await openModel(db, {
        table: 'tags',
        fields: [
          { name: 'id', dataType: 'AutoInt', primaryKey: true },
          { name: 'name', dataType: 'Stext', required: true, unique: true },
        ],
      })
      const a = await plain.upsert({ name: 'red' }, { conflict: ['name'] })
      const b = await plain.upsert({ name: 'red' }, { conflict: ['name'] })
      expect(b).toEqual(a)
    })

    it('20 concurrent upserts of one key leave one row', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          users.upsert(
            { appId: 'wx1', openid: 'oSame', nickname: `n${i}` },
            { conflict: ['appId', 'openid'] },
          ),
        ),
      )
      expect(new Set(results.map((r) => r.id)).size).toBe(1)
      expect(await count()).toEqual([{ n: 1 }])
      const [row] = await place.rows<{ nickname: string }>('select nickname from users')
      expect(results.map((r) => r.nickname)).toContain(row.nickname)
    })

    it('refuses an upsert key that is not a unique key with JIT_MODEL_UPSERT_KEY_INVALID', async () => {
      const error = await caught(() => users.upsert({ appId: 'wx1', openid: 'o1' }, { conflict: ['openid'] }))
      expect(error.code).toBe('JIT_MODEL_UPSERT_KEY_INVALID')
      expect(error.message).toContain('[id], [appId, openid]')
    })

    it('turns a repeated unique key on create into JIT_MODEL_CONSTRAINT_VIOLATION naming the columns, not the values', async () => {
      await users.create({ appId: 'wxSecretish', openid: 'oPrivate1' })
      const error = await caught(() => users.create({ appId: 'wxSecretish', openid: 'oPrivate1' }))
      expect(error.code).toBe('JIT_MODEL_CONSTRAINT_VIOLATION')
      expect(error.message).toContain('(appId, openid)')
      expect(error.message).not.toContain('oPrivate1')
    })

    it('keeps Checkbox, JSON, Date, Integer and Ltext values as JS values', async () => {
      const things = await openModel(db, {
        table: 'things',
        fields: [
          { name: 'id', dataType: 'AutoInt', primaryKey: true },
          { name: 'done', dataType: 'Checkbox' },
          { name: 'meta', dataType: 'JSON' },
          { name: 'day', dataType: 'Date' },
          { name: 'count', dataType: 'Integer', default: 3 },
          { name: 'body', dataType: 'Ltext' },
        ],
      })
      const row = await things.create({
        done: true,
        meta: { tags: ['a', 'b'], n: 1.5 },
        day: '2024-02-29',
        body: 'x'.repeat(10_000),
      })
      expect(row).toEqual({
        id: 1,
        done: true,
        meta: { tags: ['a', 'b'], n: 1.5 },
        day: '2024-02-29',
        count: 3,
        body: 'x'.repeat(10_000),
      })
      const bare = await things.create({ done: 0, meta: 42 })
      expect(bare).toMatchObject({ done: false, meta: 42, day: null, count: 3 })
      expect((await things.query({ filter: { done: true } })).rowDatas.map((r) => r.id)).toEqual([1])
      expect(
        (await things.query({ filter: { meta: { isNull: false }, day: null } })).rowDatas.map((r) => r.id),
      ).toEqual([2])
      const jsonEquality = await caught(() => things.get({ meta: 42 }))
      expect(jsonEquality.code).toBe('JIT_MODEL_QUERY_INVALID')
    })
  })

  describe('ModelHandle reads', () => {
    it('get returns the first matching row in key order, or null', async () => {
      await seed(6)
      expect((await users.get({ appId: 'wxEven' }))?.openid).toBe('o002')
      expect(await users.get({ appId: 'nobody' })).toBeNull()
      expect((await users.get())?.id).toBe(1)
    })

    it('query pages in the given order and counts every match', async () => {
      await seed(25)
      const page2 = await users.query({ orderList: [['createdAt', -1]], page: 2, size: 10 })
      expect(page2.totalCount).toBe(25)
      expect(page2.rowDatas.map((u) => u.openid)).toEqual(
        Array.from({ length: 10 }, (_, i) => `o${String(15 - i).padStart(3, '0')}`),
      )
      const page3 = await users.query({ orderList: [['createdAt', -1]], page: 3, size: 10 })
      expect(page3.rowDatas.map((u) => u.openid)).toEqual(['o005', 'o004', 'o003', 'o002', 'o001'])
      const beyond = await users.query({ page: 9, size: 10 })
      expect(beyond).toEqual({ rowDatas: [], totalCount: 25 })
      const defaults = await users.query()
      expect(defaults.rowDatas).toHaveLength(20)
      expect(defaults.rowDatas[0].id).toBe(1)
    })

    it('orders by several fields, ties broken by the primary key', async () => {
      await seed(9)
      const { rowDatas } = await users.query({
        orderList: [
          ['sex', 1],
          ['appId', -1],
        ],
      })
      expect(rowDatas.map((u) => [u.sex, u.appId, u.id])).toEqual([
        [0, 'wxOdd', 3],
        [0, 'wxOdd', 9],
        [0, 'wxEven', 6],
        [1, 'wxOdd', 1],
        [1, 'wxOdd', 7],
        [1, 'wxEven', 4],
        [2, 'wxOdd', 5],
        [2, 'wxEven', 2],
        [2, 'wxEven', 8],
      ])
    })

    it('filters with operators, null, and/or lists, converting values by datatype', async () => {
      await seed(12)
      const ids = async (filter: object) =>
        (await users.query({ filter: filter as never, size: 100 })).rowDatas.map((u) => u.id)
      expect(await ids({ appId: 'wxOdd', sex: { gte: 1 } })).toEqual([1, 5, 7, 11])
      expect(await ids({ id: { in: [2, '4', 99] } })).toEqual([2, 4])
      expect(await ids({ id: { in: [] } })).toEqual([])
      expect(await ids({ nickname: null })).toEqual([5, 10])
      expect(await ids({ nickname: { isNull: false }, id: { lte: 4 } })).toEqual([1, 2, 3, 4])
      expect(await ids({ nickname: { like: 'user1%' } })).toEqual([1, 11, 12])
      expect(await ids({ id: { ne: 1, lt: 4 } })).toEqual([2, 3])
      expect(await ids({ or: [{ id: 1 }, { and: [{ sex: 0 }, { appId: 'wxEven' }] }] })).toEqual([1, 6, 12])
      expect(await ids({ or: [] })).toEqual([])
      expect(await ids({ createdAt: { gt: new Date(Date.UTC(2024, 0, 1, 0, 0, 10)) } })).toEqual([11, 12])
      expect(await ids({ createdAt: { lte: '2024-01-01T00:00:02Z' } })).toEqual([1, 2])
    })

    it('like folds ASCII letters only, and has no escape character: the same answer on every dialect', async () => {
      const names = ['Li Ming', 'li ming', 'LI MING', 'Émile', 'émile', '50% off', '50x off', 'a\\b', 'a_b']
      for (const [i, nickname] of names.entries())
        await users.create({ appId: 'wx1', openid: `o${i}`, nickname })
      const matching = async (like: string) =>
        (await users.query({ filter: { nickname: { like } }, size: 100 })).rowDatas.map((u) => u.nickname)
      expect(await matching('li ming')).toEqual(['Li Ming', 'li ming', 'LI MING'])
      expect(await matching('%MING')).toEqual(['Li Ming', 'li ming', 'LI MING'])
      // Outside ASCII, a letter matches only itself (SQLite's rule, whatever PostgreSQL's locale says).
      expect(await matching('émile')).toEqual(['émile'])
      expect(await matching('_mile')).toEqual(['Émile', 'émile'])
      // % and _ are wildcards wherever they stand; a backslash is an ordinary character.
      expect(await matching('50% off')).toEqual(['50% off', '50x off'])
      expect(await matching('a\\b')).toEqual(['a\\b'])
      expect(await matching('a\\_')).toEqual(['a\\b'])
      expect(await matching('a_b')).toEqual(['a\\b', 'a_b'])
    })

    it('refuses a filter, order or value on an unknown field with JIT_MODEL_UNKNOWN_FIELD', async () => {
      const inFilter = await caught(() => users.query({ filter: { nickName: 'Li' } as never }))
      expect(inFilter.code).toBe('JIT_MODEL_UNKNOWN_FIELD')
      expect(inFilter.message).toContain('models.User has no field "nickName"')
      expect(inFilter.message).toContain('did you mean "nickname"?')
      expect(inFilter.field).toBe('nickName')

      const nested = await caught(() => users.get({ or: [{ openid: 'o1' }, { unionid: 'u1' }] } as never))
      expect(nested.code).toBe('JIT_MODEL_UNKNOWN_FIELD')
      const inOrder = await caught(() => users.query({ orderList: [['created', -1]] as never }))
      expect(inOrder.code).toBe('JIT_MODEL_UNKNOWN_FIELD')
      const inValues = await caught(() => users.create({ appId: 'wx1', openid: 'o1', city: 'x' } as never))
      expect(inValues.code).toBe('JIT_MODEL_UNKNOWN_FIELD')
      const inUpsertKey = await caught(() =>
        users.upsert({ appId: 'wx1', openid: 'o1' }, { conflict: ['appid', 'openid'] as never }),
      )
      expect(inUpsertKey.code).toBe('JIT_MODEL_UNKNOWN_FIELD')
      expect(await count()).toEqual([{ n: 0 }])
    })

    it('refuses malformed queries with JIT_MODEL_QUERY_INVALID', async () => {
      const cases: object[] = [
        { page: 0 },
        { size: 5000 },
        { size: 2.5 },
        { orderList: [['id', 'desc']] },
        { orderList: 'id' },
        { filter: { id: { between: [1, 2] } } },
        { filter: { sex: { like: '1%' } } },
        { filter: { id: { in: 'x' } } },
        { filter: { or: { id: 1 } } },
        { filter: 'id = 1' },
      ]
      for (const options of cases) {
        const error = await caught(() => users.query(options as never))
        expect(error.code, JSON.stringify(options)).toBe('JIT_MODEL_QUERY_INVALID')
      }
    })
  })

  describe('ModelHandle value checks', () => {
    it.each([
      [
        'text over maxLen',
        { appId: 'wx1', openid: 'o'.repeat(65) },
        'openid',
        'text of at most 64 characters',
      ],
      ['a number for text', { appId: 'wx1', openid: 12345 }, 'openid', 'text'],
      ['a bad Datetime', { appId: 'wx1', openid: 'o1', createdAt: 'yesterday-ish' }, 'createdAt', 'ISO 8601'],
      ['a non-number Numeric', { appId: 'wx1', openid: 'o1', sex: 'male' }, 'sex', 'a finite number'],
      ['a missing required field', { appId: 'wx1' }, 'openid', 'required'],
      ['null for a required field', { appId: 'wx1', openid: null }, 'openid', 'required'],
    ])(
      'refuses %s with JIT_MODEL_VALUE_INVALID, without echoing the value',
      async (_name, values, field, words) => {
        const error = await caught(() => users.create(values as never))
        expect(error.code).toBe('JIT_MODEL_VALUE_INVALID')
        expect(error.field).toBe(field)
        expect(error.message).toContain(words)
        for (const value of Object.values(values)) {
          if (typeof value === 'string' && value.length > 3) expect(error.message).not.toContain(value)
        }
        expect(await count()).toEqual([{ n: 0 }])
      },
    )

    it('counts characters, not UTF-16 units, against maxLen', async () => {
      const emoji = '😀'.repeat(64)
      const row = await users.create({ appId: 'wx1', openid: emoji })
      expect(row.openid).toBe(emoji)
    })

    it('refuses changing the primary key through updateByPK', async () => {
      const created = await users.create({ appId: 'wx1', openid: 'o1' })
      const error = await caught(() => users.updateByPK(created.id, { id: 5 }))
      expect(error.code).toBe('JIT_MODEL_VALUE_INVALID')
      const badKey = await caught(() => users.deleteByPK('not-a-number'))
      expect(badKey.code).toBe('JIT_MODEL_VALUE_INVALID')
    })
  })

  describe('ModelHandle and schema', () => {
    it('sees a column added by a later sync on the same connection', async () => {
      await users.create({ appId: 'wx1', openid: 'o1' })
      const extended = await openModel(db, {
        ...userConfig,
        fields: [...userFields, { name: 'city', dataType: 'Stext' }],
      })
      await extended.updateByPK(1, { city: 'Suzhou' })
      expect(await extended.get({ openid: 'o1' })).toMatchObject({ city: 'Suzhou' })
      expect((await users.get({ openid: 'o1' })) as object).toMatchObject({ city: 'Suzhou' })
    })

    // SQLite has one connection per file: a write issued meanwhile must queue, not land inside
    // someone's transaction or stream.
    if (dialect === 'sqlite') {
      it('a model write issued during an open transaction waits for it instead of joining it', async () => {
        const order: string[] = []
        const transaction = db.kysely.transaction().execute(async (trx) => {
          await trx.insertInto('users').values({ appId: 'wx1', openid: 'inTx' }).execute()
          order.push('tx-insert')
          await new Promise((r) => setTimeout(r, 50))
          order.push('tx-end')
          throw new Error('roll back')
        })
        await new Promise((r) => setTimeout(r, 10))
        const upsert = users
          .upsert({ appId: 'wx1', openid: 'outside' }, { conflict: ['appId', 'openid'] })
          .then((row) => {
            order.push('upsert')
            return row
          })
        await expect(transaction).rejects.toThrow('roll back')
        await upsert
        expect(order).toEqual(['tx-insert', 'tx-end', 'upsert'])
        expect(await place.rows('select openid from users')).toEqual([{ openid: 'outside' }])
      })

      it('a model write issued while a kysely stream is being read waits for the stream to finish', async () => {
        for (let i = 0; i < 3; i++) await users.create({ appId: 'wx1', openid: `o${i}` })
        const order: string[] = []
        let upsert: Promise<unknown> | undefined
        for await (const row of db.kysely.selectFrom('users').select('openid').orderBy('id').stream()) {
          order.push(`row ${row.openid}`)
          upsert ??= users
            .upsert({ appId: 'wx1', openid: 'late' }, { conflict: ['appId', 'openid'] })
            .then(() => order.push('upsert'))
          await new Promise((r) => setTimeout(r, 5))
        }
        await upsert
        expect(order).toEqual(['row o0', 'row o1', 'row o2', 'upsert'])
      })
    } else {
      it('a model write issued during an open transaction commits on its own connection, not inside it', async () => {
        let insertedInTx!: () => void
        const inserted = new Promise<void>((resolve) => {
          insertedInTx = resolve
        })
        let finishTx!: () => void
        const finish = new Promise<void>((resolve) => {
          finishTx = resolve
        })
        const transaction = db.kysely.transaction().execute(async (trx) => {
          await trx.insertInto('users').values({ appId: 'wx1', openid: 'inTx' }).execute()
          insertedInTx()
          await finish
          throw new Error('roll back')
        })
        await inserted
        const outside = await users.upsert(
          { appId: 'wx1', openid: 'outside' },
          { conflict: ['appId', 'openid'] },
        )
        // Committed already, while the transaction is still open: it did not join it.
        expect(await place.rows('select openid from users')).toEqual([{ openid: 'outside' }])
        finishTx()
        await expect(transaction).rejects.toThrow('roll back')
        expect(await place.rows('select id, openid from users')).toEqual([
          { id: outside.id, openid: 'outside' },
        ])
      })
    }
  })
})
