import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { storageFaultOf } from '../../runtime/db/database-errors.ts'
import { openModel } from '../../runtime/db/index.ts'
import { Leases } from '../../runtime/db/leases.ts'
import { openPostgresDatabase, postgresLocation } from '../../runtime/db/postgres.ts'
import type { JitError } from '../../runtime/errors.ts'
import { memoryLogger } from '../../runtime/log.ts'
import { freePort } from '../helpers/free-port.ts'
import { type FreshDatabase, freshPostgresDatabase } from '../helpers/postgres.ts'
import { type PostgresServer, startPostgres } from '../helpers/postgres-server.ts'
import { caught, userConfig, userFields } from './db-helpers.ts'

const databases: FreshDatabase[] = []
afterEach(async () => {
  for (const database of databases.splice(0)) await database.drop()
})

async function fresh(): Promise<string> {
  const database = await freshPostgresDatabase()
  databases.push(database)
  return database.url
}

describe('openPostgresDatabase', () => {
  it('names where the data lives without the password', () => {
    expect(
      postgresLocation({ url: 'postgres://shop:pw-S3cret@db.internal:6543/orders?sslmode=require' }),
    ).toBe('postgres://shop@db.internal:6543/orders')
    expect(postgresLocation({ host: '10.0.0.5', user: 'app', password: 'pw-S3cret', database: 'main' })).toBe(
      'postgres://app@10.0.0.5:5432/main',
    )
  })

  it('reads counts, bigint ids, numerics and dates as SQLite gives them, without touching pg’s global parsers', async () => {
    const url = await fresh()
    const db = await openPostgresDatabase({ url })
    try {
      const { rows } = await db.runCompiled(
        `select count(*) as n, 9007199254740991::bigint as big, 2.5::numeric as num, '2024-02-29'::date as day,
           '2024-02-29T15:59:58.123Z'::timestamptz as at, true as yes, '{"a":[1]}'::jsonb as doc`,
        [],
      )
      expect(rows).toEqual([
        {
          n: 1,
          big: Number.MAX_SAFE_INTEGER,
          num: 2.5,
          day: '2024-02-29',
          at: new Date('2024-02-29T15:59:58.123Z'),
          yes: true,
          doc: { a: [1] },
        },
      ])
      // Another library's plain client in the same process still gets pg's defaults.
      const plain = new pg.Client({ connectionString: url })
      await plain.connect()
      try {
        expect((await plain.query('select count(*) as n')).rows).toEqual([{ n: '1' }])
      } finally {
        await plain.end()
      }
    } finally {
      await db.close()
    }
  })

  it('cancels a statement past statementTimeoutMs: the query fails, the database stays healthy', async () => {
    const db = await openPostgresDatabase({ url: await fresh(), statementTimeoutMs: 100 })
    try {
      await expect(db.runCompiled('select pg_sleep(5)', [])).rejects.toMatchObject({ code: '57014' })
      expect(db.health?.()).toEqual({ status: 'ok' })
      expect((await db.runCompiled('select 1 as one', [])).rows).toEqual([{ one: 1 }])
    } finally {
      await db.close()
    }
  })

  it('says what to do about a failed model query in PostgreSQL’s terms, never SQLite’s busy timeout', async () => {
    const url = await fresh()
    const db = await openPostgresDatabase({ url, statementTimeoutMs: 200 })
    const other = new pg.Client({ connectionString: url })
    await other.connect()
    try {
      const users = await openModel(db, userConfig, { label: 'models.User' })
      // Another session holds the table: the model's query waits until the server cancels it.
      await other.query('begin')
      await other.query(`lock table "${userConfig.table}" in access exclusive mode`)
      const canceled = await caught(() => users.query())
      await other.query('rollback')
      expect(canceled.code).toBe('JIT_DB_QUERY_FAILED')
      expect(canceled.message).toContain('models.User: the database failed the query')
      expect(canceled.message).toContain('raise statementTimeoutMs in the database config')
      expect(db.health?.()).toEqual({ status: 'ok' })

      await other.query(`drop table "${userConfig.table}"`)
      const missing = await caught(() => users.get({ openid: 'o1' }))
      expect(missing.code).toBe('JIT_DB_QUERY_FAILED')
      expect(missing.message).toContain('Its table is missing')
      for (const error of [canceled, missing]) expect(error.message).not.toMatch(/busy timeout|locked/)
    } finally {
      await other.end()
      await db.close()
    }
  })

  it('prepares the runtime’s statements once per connection, and a column added meanwhile shows in them', async () => {
    const db = await openPostgresDatabase({ url: await fresh(), poolSize: 1 })
    try {
      const users = await openModel(db, userConfig)
      await users.create({ appId: 'wx1', openid: 'o1' })
      expect(await users.get({ openid: 'o1' })).not.toHaveProperty('city')
      const prepared = await db.runCompiled('select count(*) as n from pg_prepared_statements', [])
      expect((prepared.rows[0] as { n: number }).n).toBeGreaterThanOrEqual(2)
      // Another model handle (another node's hot reload) adds a column: the prepared `select *` and
      // `returning *` of this one would now be refused by the server; they are prepared again.
      await openModel(db, { ...userConfig, fields: [...userFields, { name: 'city', dataType: 'Stext' }] })
      expect(await users.get({ openid: 'o1' })).toMatchObject({ openid: 'o1', city: null })
      expect(await users.create({ appId: 'wx1', openid: 'o2' })).toMatchObject({ openid: 'o2', city: null })
    } finally {
      await db.close()
    }
  })

  it('reports a server it cannot reach with JIT_DB_UNREACHABLE, without the password', async () => {
    const port = await freePort()
    const error = await caught(() =>
      openPostgresDatabase({
        url: `postgres://app:pw-S3cret@127.0.0.1:${port}/shop`,
        connectTimeoutMs: 2000,
      }),
    )
    expect(error.code).toBe('JIT_DB_UNREACHABLE')
    expect(error.message).toContain(`postgres://app@127.0.0.1:${port}/shop`)
    expect(error.message).not.toContain('pw-S3cret')
  })

  it('names a missing database and refused credentials in words', async () => {
    const url = new URL(await fresh())
    url.pathname = '/no_such_database'
    const missing = await caught(() => openPostgresDatabase({ url: url.toString() }))
    expect(missing.code).toBe('JIT_DB_UNREACHABLE')
    expect(missing.message).toContain('the database does not exist')
  })
})

describe('a PostgreSQL server that goes away and comes back', () => {
  let server: PostgresServer
  beforeAll(async () => {
    server = await startPostgres()
  })
  afterAll(() => server?.stop())

  it('fails model calls with JIT_DB_UNAVAILABLE while it is down, logs it once, and recovers on its own', async () => {
    const log = memoryLogger()
    const db = await openPostgresDatabase({ url: server.url, log, connectTimeoutMs: 3000 })
    try {
      const notes = await openModel(
        db,
        {
          table: 'notes',
          fields: [
            { name: 'id', dataType: 'AutoInt', primaryKey: true },
            { name: 'body', dataType: 'Ltext' },
          ],
        },
        { label: 'models.Note' },
      )
      await notes.create({ body: 'before' })
      expect(await db.checkWritable?.()).toEqual({ status: 'ok' })

      server.crash()
      const down = (await caught(() => notes.create({ body: 'during' }))) as JitError
      expect(down.code).toBe('JIT_DB_UNAVAILABLE')
      expect(storageFaultOf(down)).toBeDefined()
      expect(down.message).toContain('models.Note: the database cannot be used')
      await expect(notes.query()).rejects.toMatchObject({ code: 'JIT_DB_UNAVAILABLE' })
      expect((await db.checkWritable?.())?.status).toBe('failing')
      expect(log.lines.filter((line) => line.startsWith('error'))).toHaveLength(1)
      expect(log.lines.join('\n')).toContain(`database ${postgresLocation({ url: server.url })}`)

      server.start()
      // The pool drops the dead connections and opens new ones: no restart of this process.
      expect(await notes.create({ body: 'after' })).toMatchObject({ body: 'after' })
      expect(await db.checkWritable?.()).toEqual({ status: 'ok' })
      expect((await notes.query()).rowDatas.map((note) => note.body)).toEqual(['before', 'after'])
      expect(log.lines.filter((line) => line.startsWith('info'))).toEqual([
        expect.stringContaining('writes succeed again'),
      ])
    } finally {
      await db.close()
    }
  })

  it('leases whose table could not be created while it was down are taken once it is back, with no restart', async () => {
    const url = new URL(server.url)
    url.pathname = `/leases_${Date.now()}`
    const admin = new pg.Client({ connectionString: server.url })
    await admin.connect()
    await admin.query(`create database "${url.pathname.slice(1)}"`).finally(() => admin.end())
    const db = await openPostgresDatabase({ url: url.toString(), log: memoryLogger() })
    try {
      server.crash()
      const down = await caught(() => Leases.of(db).take('refresh:o1', { nowMs: Date.now(), forMs: 15_000 }))
      expect(storageFaultOf(down)).toBeDefined()
      server.start()
      const lease = await Leases.of(db).take('refresh:o1', { nowMs: Date.now(), forMs: 15_000 })
      expect(lease).toBeDefined()
      await lease?.release()
    } finally {
      await db.close()
    }
  })

  it('a kysely statement on a connection the server closed fails as the database being down, and the process lives on', async () => {
    const db = await openPostgresDatabase({ url: server.url, poolSize: 2, log: memoryLogger() })
    const selectOne = (on: typeof db.kysely) => sql<{ n: number }>`select 1 as n`.execute(on)
    // What would end a real process: an error event of a connection with no listener.
    const uncaught: Error[] = []
    const record = (error: Error) => uncaught.push(error)
    process.on('uncaughtException', record)
    try {
      await Promise.all([selectOne(db.kysely), selectOne(db.kysely)])
      // A transaction holds its connection while the server goes; the other one waits idle in the pool.
      const transaction = db.kysely.transaction().execute(async (trx) => {
        await selectOne(trx)
        server.crash()
        await selectOne(trx)
      })
      const inTransaction = await caught(() => transaction)
      expect(storageFaultOf(inTransaction)).toBeDefined()
      // The idle connection is taken before the pool has heard that it closed.
      const taken = await caught(() => selectOne(db.kysely))
      expect(storageFaultOf(taken)).toBeDefined()
      expect(db.health?.().status).toBe('failing')

      server.start()
      expect((await selectOne(db.kysely)).rows).toEqual([{ n: 1 }])
      expect(uncaught.map((error) => error.message)).toEqual([])
    } finally {
      process.off('uncaughtException', record)
      await db.close()
    }
  })
})
