import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type Database,
  openModel,
  openSqliteDatabase,
  parseModelConfig,
  syncModelSchema,
} from '../../runtime/db/index.ts'
import { caught, cleanupTempDirs, inspect, tempDir, userConfig, userFields } from './db-helpers.ts'

afterEach(cleanupTempDirs)

interface ColumnInfo {
  name: string
  type: string
  notnull: number
  pk: number
}

const columnsOf = (file: string, table = 'users') =>
  inspect<ColumnInfo>(file, 'select name, type, "notnull", pk from pragma_table_info(?)', table)
const indexesOf = (file: string, table = 'users') =>
  inspect<{ name: string; unique: number }>(
    file,
    'select name, "unique" from pragma_index_list(?) where origin = ?',
    table,
    'c',
  )
    .map((index) => `${index.name}${index.unique ? ' (unique)' : ''}`)
    .sort()

/** Opens the file, syncs one model config, closes: as an app start would. */
async function syncOnce(file: string, config: object) {
  const db = await openSqliteDatabase({ file })
  try {
    let report: unknown
    const model = await openModel(db, config, { onSync: (r) => (report = r) })
    return { report, model, db }
  } finally {
    await db.close()
  }
}

async function withDb<T>(file: string, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openSqliteDatabase({ file })
  try {
    return await fn(db)
  } finally {
    await db.close()
  }
}

describe('schema sync', () => {
  it('creates the table from the fields, with keys, NOT NULL, defaults and indexes', async () => {
    const file = join(tempDir(), 'app.sqlite')
    const { report } = await syncOnce(file, {
      ...userConfig,
      fields: [
        ...userFields,
        { name: 'city', dataType: 'Stext', dbIndex: true },
        { name: 'score', dataType: 'Integer', default: 10 },
      ],
    })
    expect(report).toMatchObject({ table: 'users', createdTable: true, addedColumns: [] })
    expect(columnsOf(file)).toEqual([
      { name: 'id', type: 'INTEGER', notnull: 0, pk: 1 },
      { name: 'appId', type: 'varchar(32)', notnull: 1, pk: 0 },
      { name: 'openid', type: 'varchar(64)', notnull: 1, pk: 0 },
      { name: 'nickname', type: 'varchar(64)', notnull: 0, pk: 0 },
      { name: 'sex', type: 'REAL', notnull: 0, pk: 0 },
      { name: 'createdAt', type: 'datetime', notnull: 0, pk: 0 },
      { name: 'updatedAt', type: 'datetime', notnull: 0, pk: 0 },
      { name: 'city', type: 'varchar(255)', notnull: 0, pk: 0 },
      { name: 'score', type: 'INTEGER', notnull: 0, pk: 0 },
    ])
    expect(indexesOf(file)).toEqual(['jit_ix_users_city', 'jit_uq_users_appId_openid (unique)'])
    const [table] = inspect<{ sql: string }>(file, "select sql from sqlite_master where name = 'users'")
    expect(table.sql).toMatch(/"id" integer primary key autoincrement/i)
  })

  it('adds a new field as a column and keeps every existing row', async () => {
    const file = join(tempDir(), 'app.sqlite')
    await withDb(file, async (db) => {
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
    await withDb(file, async (db) => {
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
    expect(columnsOf(file).map((c) => c.name)).toEqual([
      ...userFields.map((f) => f.name),
      'city',
      'level',
      'vip',
    ])
  })

  it('changes nothing on a second load of the same config', async () => {
    const file = join(tempDir(), 'app.sqlite')
    await syncOnce(file, userConfig)
    const { report } = await syncOnce(file, userConfig)
    expect(report).toEqual({
      table: 'users',
      createdTable: false,
      addedColumns: [],
      createdIndexes: [],
      droppedIndexes: [],
    })
  })

  it('refuses a removed field with JIT_MODEL_DESTRUCTIVE_CHANGE and leaves table and rows as they were', async () => {
    const file = join(tempDir(), 'app.sqlite')
    await withDb(file, async (db) => {
      const users = await openModel(db, userConfig)
      await users.create({ appId: 'wx1', openid: 'o1', nickname: 'Li' })
    })
    const before = inspect(file, 'select * from users')
    const withoutNickname = { ...userConfig, fields: userFields.filter((f) => f.name !== 'nickname') }

    const error = await caught(() => syncOnce(file, withoutNickname))
    expect(error.code).toBe('JIT_MODEL_DESTRUCTIVE_CHANGE')
    expect(error.message).toContain('field "nickname" was removed')
    expect(error.message).toContain('ALTER TABLE "users" DROP COLUMN "nickname";')
    expect(inspect(file, 'select * from users')).toEqual(before)
    expect(columnsOf(file).map((c) => c.name)).toContain('nickname')
  })

  it('refuses a retyped field, and a new field in the same change is not added either', async () => {
    const file = join(tempDir(), 'app.sqlite')
    await withDb(file, async (db) => {
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
    const error = await caught(() => syncOnce(file, retyped))
    expect(error.code).toBe('JIT_MODEL_DESTRUCTIVE_CHANGE')
    expect(error.message).toContain('field "sex" is now Stext but column "sex" is real')
    expect(error.message).toContain('ALTER TABLE "users" RENAME COLUMN "sex" TO "sex_old";')
    expect(columnsOf(file).map((c) => c.name)).not.toContain('city')
    expect(inspect(file, 'select openid, sex from users')).toEqual([{ openid: 'o1', sex: 2 }])
  })

  it('suggests the RENAME when one field disappears and another appears', async () => {
    const file = join(tempDir(), 'app.sqlite')
    await syncOnce(file, userConfig)
    const renamed = {
      ...userConfig,
      fields: userFields.map((f) => (f.name === 'nickname' ? { ...f, name: 'nickName' } : f)),
    }
    const error = await caught(() => syncOnce(file, renamed))
    expect(error.code).toBe('JIT_MODEL_DESTRUCTIVE_CHANGE')
    expect(error.message).toContain('ALTER TABLE "users" RENAME COLUMN "nickname" TO "nickName";')
  })

  it('treats Stext and Ltext as one storage, so widening a text field is allowed', async () => {
    const file = join(tempDir(), 'app.sqlite')
    await syncOnce(file, userConfig)
    const widened = {
      ...userConfig,
      fields: userFields.map((f) =>
        f.name === 'nickname' ? { ...f, dataType: 'Ltext', maxLen: undefined } : f,
      ),
    }
    const { report } = await syncOnce(file, widened)
    expect(report).toMatchObject({ createdTable: false, addedColumns: [] })
  })

  it('refuses a new primary key', async () => {
    const file = join(tempDir(), 'app.sqlite')
    await syncOnce(file, userConfig)
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
    const error = await caught(() => syncOnce(file, newKey))
    expect(error.code).toBe('JIT_MODEL_DESTRUCTIVE_CHANGE')
    expect(error.message).toContain('the primary key is now "openid"')
  })

  it('drops its own index when the declaration no longer has it, and keeps indexes made by hand', async () => {
    const file = join(tempDir(), 'app.sqlite')
    await syncOnce(file, { ...userConfig, indexes: [['nickname']] })
    await withDb(file, (db) =>
      db.kysely.schema.createIndex('by_hand_sex').on('users').column('sex').execute(),
    )
    const { report } = await syncOnce(file, userConfig)
    expect(report).toMatchObject({ droppedIndexes: ['jit_ix_users_nickname'] })
    expect(indexesOf(file)).toEqual(['by_hand_sex', 'jit_uq_users_appId_openid (unique)'])
  })

  it('refuses a new unique key over duplicate rows with JIT_MODEL_SYNC_FAILED, all or nothing', async () => {
    const file = join(tempDir(), 'app.sqlite')
    await withDb(file, async (db) => {
      const users = await openModel(db, userConfig)
      await users.create({ appId: 'wx1', openid: 'o1', nickname: 'Li' })
      await users.create({ appId: 'wx1', openid: 'o2', nickname: 'Li' })
    })
    const stricter = {
      ...userConfig,
      fields: [...userFields, { name: 'city', dataType: 'Stext' }],
      unique: [['appId', 'openid'], ['nickname']],
    }
    const error = await caught(() => syncOnce(file, stricter))
    expect(error.code).toBe('JIT_MODEL_SYNC_FAILED')
    expect(error.message).toContain('(nickname)')
    expect(columnsOf(file).map((c) => c.name)).not.toContain('city')
    expect(inspect(file, 'select count(*) as n from users')).toEqual([{ n: 2 }])
  })

  it('lets two opens of one file sync the same new table at once: one creates it, the other finds it', async () => {
    const file = join(tempDir(), 'app.sqlite')
    const [a, b] = await Promise.all([openSqliteDatabase({ file }), openSqliteDatabase({ file })])
    // One connection per file per process: a second one would wait synchronously for the first's
    // schema lock and block the event loop the first needs to finish.
    expect(a.kysely).toBe(b.kysely)
    try {
      const reports: { createdTable: boolean }[] = []
      const onSync = (r: { createdTable: boolean }) => reports.push(r)
      await Promise.all([openModel(a, userConfig, { onSync }), openModel(b, userConfig, { onSync })])
      expect(reports.map((r) => r.createdTable).sort()).toEqual([false, true])
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })

  it('a dry run reports and checks every change, then leaves the file as it was', async () => {
    const file = join(tempDir(), 'app.sqlite')
    await withDb(file, async (db) => {
      const fresh = await syncModelSchema(db, parseModelConfig(userConfig), { dryRun: true })
      expect(fresh).toMatchObject({ createdTable: true, createdIndexes: ['jit_uq_users_appId_openid'] })
    })
    expect(columnsOf(file)).toEqual([])

    await withDb(file, async (db) => {
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
    expect(columnsOf(file).map((c) => c.name)).not.toContain('city')
    expect(indexesOf(file)).toEqual(['jit_uq_users_appId_openid (unique)'])
  })
})
