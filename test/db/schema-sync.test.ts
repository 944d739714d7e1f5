import { describe, expect, it } from 'vitest'
import { type Database, openModel, parseModelConfig, syncModelSchema } from '../../runtime/db/index.ts'
import { caught, DIALECTS, eachTestPlace, type TestPlace, userConfig, userFields } from './db-helpers.ts'

interface ColumnInfo {
  name: string
  type: string
  notNull: boolean
  pk: boolean
}

/** The table's columns as the database's own catalog tells an outside tool. */
async function columnsOf(place: TestPlace, table = 'users'): Promise<ColumnInfo[]> {
  if (place.dialect === 'sqlite') {
    const rows = await place.rows<{ name: string; type: string; notnull: number; pk: number }>(
      `select name, type, "notnull", pk from pragma_table_info('${table}')`,
    )
    return rows.map((row) => ({ name: row.name, type: row.type, notNull: row.notnull === 1, pk: row.pk > 0 }))
  }
  return place.rows<ColumnInfo>(`
    select c.column_name as name,
      c.data_type || coalesce('(' || c.character_maximum_length || ')', '') as type,
      c.is_nullable = 'NO' as "notNull",
      exists (select 1 from information_schema.table_constraints t
              join information_schema.key_column_usage k on k.constraint_name = t.constraint_name
              where t.table_name = c.table_name and t.constraint_type = 'PRIMARY KEY'
                and k.column_name = c.column_name) as pk
    from information_schema.columns c where c.table_name = '${table}' order by c.ordinal_position`)
}

/** The indexes made by statements (not the primary key's), as `name` or `name (unique)`. */
async function indexesOf(place: TestPlace, table = 'users'): Promise<string[]> {
  const rows =
    place.dialect === 'sqlite'
      ? await place.rows<{ name: string; unique: number | boolean }>(
          `select name, "unique" from pragma_index_list('${table}') where origin = 'c'`,
        )
      : await place.rows<{ name: string; unique: boolean }>(
          `select indexname as name, indexdef like 'CREATE UNIQUE%' as "unique" from pg_indexes
           where tablename = '${table}' and indexname <> '${table}_pkey'`,
        )
  return rows.map((index) => `${index.name}${index.unique ? ' (unique)' : ''}`).sort()
}

describe.each(DIALECTS)('schema sync on %s', (dialect) => {
  const currentPlace = eachTestPlace(dialect)

  /** Opens the database, syncs one model config, closes: as an app start would. */
  async function syncOnce(config: object) {
    const db = await currentPlace().open()
    try {
      let report: unknown
      const model = await openModel(db, config, { onSync: (r) => (report = r) })
      return { report, model, db }
    } finally {
      await db.close()
    }
  }

  async function withDb<T>(fn: (db: Database) => Promise<T>): Promise<T> {
    const db = await currentPlace().open()
    try {
      return await fn(db)
    } finally {
      await db.close()
    }
  }

  it('creates the table from the fields, with keys, NOT NULL, defaults and indexes', async () => {
    const place = currentPlace()
    const { report } = await syncOnce({
      ...userConfig,
      fields: [
        ...userFields,
        { name: 'city', dataType: 'Stext', dbIndex: true },
        { name: 'score', dataType: 'Integer', default: 10 },
      ],
    })
    expect(report).toMatchObject({ table: 'users', createdTable: true, addedColumns: [] })
    const sqlite = dialect === 'sqlite'
    const column = (name: string, type: string, notNull = false, pk = false) => ({ name, type, notNull, pk })
    expect(await columnsOf(place)).toEqual([
      column('id', sqlite ? 'INTEGER' : 'bigint', !sqlite, true),
      column('appId', sqlite ? 'varchar(32)' : 'character varying(32)', true),
      column('openid', sqlite ? 'varchar(64)' : 'character varying(64)', true),
      column('nickname', sqlite ? 'varchar(64)' : 'character varying(64)'),
      column('sex', sqlite ? 'REAL' : 'double precision'),
      column('createdAt', sqlite ? 'datetime' : 'timestamp with time zone'),
      column('updatedAt', sqlite ? 'datetime' : 'timestamp with time zone'),
      column('city', sqlite ? 'varchar(255)' : 'character varying(255)'),
      column('score', sqlite ? 'INTEGER' : 'bigint'),
    ])
    expect(await indexesOf(place)).toEqual(['jit_ix_users_city', 'jit_uq_users_appId_openid (unique)'])
    if (sqlite) {
      const [table] = await place.rows<{ sql: string }>("select sql from sqlite_master where name = 'users'")
      expect(table.sql).toMatch(/"id" integer primary key autoincrement/i)
    } else {
      const [id] = await place.rows(
        "select is_identity, identity_generation from information_schema.columns where table_name = 'users' and column_name = 'id'",
      )
      expect(id).toEqual({ is_identity: 'YES', identity_generation: 'BY DEFAULT' })
    }
  })

  it('adds a new field as a column and keeps every existing row', async () => {
    const place = currentPlace()
    await withDb(async (db) => {
      const users = await openModel(db, userConfig)
      await users.create({ appId: 'wx1', openid: 'o1', nickname: 'Li' })
      await users.create({ appId: 'wx1', openid: 'o2', nickname: 'Wang' })
    })

    const extended = {
      ...userConfig,
      fields: [
        ...userFields,
        { name: 'city', dataType: 'Stext' },
        { name: 'level', dataType: 'Integer', required: true, default: 1 },
        { name: 'vip', dataType: 'Checkbox', unique: true },
      ],
    }
    await withDb(async (db) => {
      let report: unknown
      const users = await openModel(db, extended, { onSync: (r) => (report = r) })
      expect(report).toMatchObject({
        createdTable: false,
        addedColumns: ['city', 'level', 'vip'],
        createdIndexes: ['jit_uq_users_vip'],
      })
      const { rowDatas, totalCount } = await users.query({ orderList: [['id', 1]] })
      expect(totalCount).toBe(2)
      expect(rowDatas.map((u) => [u.openid, u.nickname, u.city, u.level])).toEqual([
        ['o1', 'Li', null, 1],
        ['o2', 'Wang', null, 1],
      ])
      await users.updateByPK(rowDatas[0].id, { city: 'Hangzhou' })
      expect((await users.get({ openid: 'o1' }))?.city).toBe('Hangzhou')
    })
    expect((await columnsOf(place)).map((c) => c.name)).toEqual([
      ...userFields.map((f) => f.name),
      'city',
      'level',
      'vip',
    ])
  })

  it('changes nothing on a second load of the same config', async () => {
    await syncOnce(userConfig)
    const { report } = await syncOnce(userConfig)
    expect(report).toEqual({
      table: 'users',
      createdTable: false,
      addedColumns: [],
      createdIndexes: [],
      droppedIndexes: [],
    })
  })

  it('refuses a removed field with JIT_MODEL_DESTRUCTIVE_CHANGE and leaves table and rows as they were', async () => {
    const place = currentPlace()
    await withDb(async (db) => {
      const users = await openModel(db, userConfig)
      await users.create({ appId: 'wx1', openid: 'o1', nickname: 'Li' })
    })
    const before = await place.rows('select * from users')
    const withoutNickname = { ...userConfig, fields: userFields.filter((f) => f.name !== 'nickname') }

    const error = await caught(() => syncOnce(withoutNickname))
    expect(error.code).toBe('JIT_MODEL_DESTRUCTIVE_CHANGE')
    expect(error.message).toContain('field "nickname" was removed')
    expect(error.message).toContain('ALTER TABLE "users" DROP COLUMN "nickname";')
    expect(await place.rows('select * from users')).toEqual(before)
    expect((await columnsOf(place)).map((c) => c.name)).toContain('nickname')
  })

  it('refuses a retyped field, and a new field in the same change is not added either', async () => {
    const place = currentPlace()
    await withDb(async (db) => {
      const users = await openModel(db, userConfig)
      await users.create({ appId: 'wx1', openid: 'o1', sex: 2 })
    })
    const retyped = {
      ...userConfig,
      fields: [
        ...userFields.map((f) => (f.name === 'sex' ? { ...f, dataType: 'Stext' } : f)),
        { name: 'city', dataType: 'Stext' },
      ],
    }
    const error = await caught(() => syncOnce(retyped))
    expect(error.code).toBe('JIT_MODEL_DESTRUCTIVE_CHANGE')
    expect(error.message).toContain(
      `field "sex" is now Stext but column "sex" is ${dialect === 'sqlite' ? 'real' : 'double precision'}`,
    )
    expect(error.message).toContain('ALTER TABLE "users" RENAME COLUMN "sex" TO "sex_old";')
    expect((await columnsOf(place)).map((c) => c.name)).not.toContain('city')
    expect(await place.rows('select openid, sex from users')).toEqual([{ openid: 'o1', sex: 2 }])
  })

  it('suggests the RENAME when one field disappears and another appears', async () => {
    await syncOnce(userConfig)
    const renamed = {
      ...userConfig,
      fields: userFields.map((f) => (f.name === 'nickname' ? { ...f, name: 'nickName' } : f)),
    }
    const error = await caught(() => syncOnce(renamed))
    expect(error.code).toBe('JIT_MODEL_DESTRUCTIVE_CHANGE')
    expect(error.message).toContain('ALTER TABLE "users" RENAME COLUMN "nickname" TO "nickName";')
  })

  it('treats Stext and Ltext as one storage, so widening a text field is allowed and takes longer values', async () => {
    await syncOnce(userConfig)
    const widened = {
      ...userConfig,
      fields: userFields.map((f) =>
        f.name === 'nickname'
          ? { ...f, dataType: 'Ltext', maxLen: undefined }
          : f.name === 'openid'
            ? { ...f, maxLen: 128 }
            : f,
      ),
    }
    const { report } = await syncOnce(widened)
    expect(report).toMatchObject({ createdTable: false, addedColumns: [] })
    // PostgreSQL enforces a varchar's length: the columns were widened in place, rows kept.
    await withDb(async (db) => {
      const users = await openModel(db, widened)
      const row = await users.create({ appId: 'wx1', openid: 'o'.repeat(128), nickname: 'n'.repeat(500) })
      expect(row).toMatchObject({ openid: 'o'.repeat(128), nickname: 'n'.repeat(500) })
    })
  })

  it('refuses a new primary key', async () => {
    await syncOnce(userConfig)
    const newKey = {
      ...userConfig,
      fields: userFields.map((f) =>
        f.name === 'id'
          ? { name: 'id', dataType: 'Integer' }
          : f.name === 'openid'
            ? { ...f, primaryKey: true }
            : f,
      ),
    }
    const error = await caught(() => syncOnce(newKey))
    expect(error.code).toBe('JIT_MODEL_DESTRUCTIVE_CHANGE')
    expect(error.message).toContain('the primary key is now "openid"')
  })

  it('drops its own index when the declaration no longer has it, and keeps indexes made by hand', async () => {
    const place = currentPlace()
    await syncOnce({ ...userConfig, indexes: [['nickname']] })
    await withDb((db) => db.kysely.schema.createIndex('by_hand_sex').on('users').column('sex').execute())
    const { report } = await syncOnce(userConfig)
    expect(report).toMatchObject({ droppedIndexes: ['jit_ix_users_nickname'] })
    expect(await indexesOf(place)).toEqual(['by_hand_sex', 'jit_uq_users_appId_openid (unique)'])
  })

  it('refuses a new unique key over duplicate rows with JIT_MODEL_SYNC_FAILED, all or nothing', async () => {
    const place = currentPlace()
    await withDb(async (db) => {
      const users = await openModel(db, userConfig)
      await users.create({ appId: 'wx1', openid: 'o1', nickname: 'Li' })
      await users.create({ appId: 'wx1', openid: 'o2', nickname: 'Li' })
    })
    const stricter = {
      ...userConfig,
      fields: [...userFields, { name: 'city', dataType: 'Stext' }],
      unique: [['appId', 'openid'], ['nickname']],
    }
    const error = await caught(() => syncOnce(stricter))
    expect(error.code).toBe('JIT_MODEL_SYNC_FAILED')
    expect(error.message).toContain('(nickname)')
    expect((await columnsOf(place)).map((c) => c.name)).not.toContain('city')
    expect(await place.rows('select count(*) as n from users')).toEqual([{ n: 2 }])
  })

  it('lets two opens of one database sync the same new tables at once: one creates each, the other finds it', async () => {
    const place = currentPlace()
    const [a, b] = await Promise.all([place.open(), place.open()])
    // SQLite: one connection per file per process (a second one would wait synchronously for the
    // first's schema lock and block the event loop the first needs). PostgreSQL: two pools, as two
    // nodes have, which wait for each other on the schema lock.
    if (dialect === 'sqlite') expect(a.kysely).toBe(b.kysely)
    else expect(a.kysely).not.toBe(b.kysely)
    try {
      const reports: { table: string; createdTable: boolean }[] = []
      const onSync = (r: { table: string; createdTable: boolean }) => reports.push(r)
      const configs = ['users', 'orders', 'tags'].map((table) => ({ ...userConfig, table }))
      await Promise.all(
        configs.flatMap((config) => [openModel(a, config, { onSync }), openModel(b, config, { onSync })]),
      )
      for (const table of ['users', 'orders', 'tags']) {
        const created = reports.filter((r) => r.table === table).map((r) => r.createdTable)
        expect(created.sort(), table).toEqual([false, true])
        expect(await indexesOf(place, table)).toEqual([`jit_uq_${table}_appId_openid (unique)`])
      }
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })

  it('a dry run reports and checks every change, then leaves the file as it was', async () => {
    const place = currentPlace()
    await withDb(async (db) => {
      const fresh = await syncModelSchema(db, parseModelConfig(userConfig), { dryRun: true })
      expect(fresh).toMatchObject({ createdTable: true, createdIndexes: ['jit_uq_users_appId_openid'] })
    })
    expect(await columnsOf(place)).toEqual([])

    await withDb(async (db) => {
      const users = await openModel(db, userConfig)
      await users.create({ appId: 'wx1', openid: 'o1', nickname: 'Li' })
      await users.create({ appId: 'wx1', openid: 'o2', nickname: 'Li' })
      const extended = parseModelConfig({
        ...userConfig,
        fields: [...userFields, { name: 'city', dataType: 'Stext' }],
      })
      expect(await syncModelSchema(db, extended, { dryRun: true })).toMatchObject({ addedColumns: ['city'] })
      const duplicated = parseModelConfig({ ...userConfig, unique: [['appId', 'openid'], ['nickname']] })
      const error = await caught(() =>
        syncModelSchema(db, duplicated, { dryRun: true, where: { file: 'User.json' } }),
      )
      expect(error).toMatchObject({ code: 'JIT_MODEL_SYNC_FAILED', file: 'User.json' })
    })
    expect((await columnsOf(place)).map((c) => c.name)).not.toContain('city')
    expect(await indexesOf(place)).toEqual(['jit_uq_users_appId_openid (unique)'])
  })
})
