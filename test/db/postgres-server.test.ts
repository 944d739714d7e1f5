import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { freshPostgresDatabase } from '../helpers/postgres.ts'

describe('the test run’s PostgreSQL server', () => {
  const dropped: Array<() => Promise<void>> = []
  afterAll(async () => {
    for (const drop of dropped) await drop()
  })

  it('gives each caller its own empty database', async () => {
    const a = await freshPostgresDatabase()
    const b = await freshPostgresDatabase()
    dropped.push(a.drop, b.drop)
    expect(a.name).not.toBe(b.name)
    const client = new pg.Client({ connectionString: a.url })
    await client.connect()
    try {
      await client.query('CREATE TABLE t (id integer)')
      const version = await client.query('SHOW server_version')
      expect(version.rows[0].server_version).toMatch(/^15\./)
    } finally {
      await client.end()
    }
    const other = new pg.Client({ connectionString: b.url })
    await other.connect()
    try {
      const tables = await other.query(`SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 't'`)
      expect(tables.rows[0].n).toBe(0)
    } finally {
      await other.end()
    }
  })
})
