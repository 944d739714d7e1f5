/**
 * The app token's shared cache on both dialects: caches that share nothing but the database (as two
 * processes or nodes do) make one gettoken between them; a refused token is replaced once; a changed
 * secret never reuses the old token; a claim whose process died is taken over.
 */

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { FieldCipher } from '../../runtime/crypto.ts'
import { openSqliteDatabase } from '../../runtime/db/sqlite.ts'
import { APP_TOKEN_TABLE, AppTokenCache } from '../../types/auths/loginTypes/QywxInnerType/app-token.ts'
import { freshPostgresDatabase } from '../helpers/postgres.ts'

const cipher = new FieldCipher([{ id: 't', key: Buffer.alloc(32, 7) }])
const closers: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

async function openDatabase(dialect: 'sqlite' | 'postgres'): Promise<Kysely<any>> {
  if (dialect === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jitlite-wecom-token-'))
    const db = await openSqliteDatabase({ file: path.join(dir, 'app.sqlite') })
    closers.push(() => db.close())
    return db.kysely
  }
  const fresh = await freshPostgresDatabase('wecom_token')
  const kysely = new Kysely<any>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: fresh.url, max: 4 }) }),
  })
  closers.push(() => fresh.drop())
  closers.push(() => kysely.destroy())
  return kysely
}

/** A gettoken that counts its calls and answers when `release()` is called (or at once). */
function tokenServer(options: { held?: boolean } = {}) {
  let calls = 0
  let release: () => void = () => {}
  let gate = options.held ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve()
  return {
    calls: () => calls,
    release: () => release(),
    hold() {
      gate = new Promise<void>((resolve) => (release = resolve))
    },
    fetch: async () => {
      calls++
      const n = calls
      await gate
      return { accessToken: `token-${n}`, expiresInSeconds: 7200 }
    },
  }
}

function cacheOn(
  db: Kysely<any>,
  fetch: () => Promise<{ accessToken: string; expiresInSeconds: number }>,
  extra: Partial<ConstructorParameters<typeof AppTokenCache>[0]> = {},
) {
  return new AppTokenCache({
    db: () => db,
    cipher,
    corpId: 'ww0a1b2c3d4e5f6a7b',
    agentId: '1000002',
    corpSecret: 'secret-one-0123456789',
    apiBaseUrl: 'http://127.0.0.1:1',
    fetch,
    claimMs: 10_000,
    waitMs: 30_000,
    ...extra,
  })
}

describe.each(['sqlite', 'postgres'] as const)('on %s', (dialect) => {
  it('two caches on one database (two processes) and 100 concurrent callers make one gettoken', async () => {
    const db = await openDatabase(dialect)
    const server = tokenServer({ held: true })
    const a = cacheOn(db, server.fetch)
    const b = cacheOn(db, server.fetch)
    const waiting = Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? a : b).get())
    // Let both caches reach the database before WeCom answers: one holds the claim, the other waits.
    await vi.waitFor(() => expect(server.calls()).toBe(1))
    server.release()
    const tokens = await Promise.all(waiting)
    expect(new Set(tokens)).toEqual(new Set(['token-1']))
    expect(server.calls()).toBe(1)
    const row = await db.selectFrom(APP_TOKEN_TABLE).selectAll().executeTakeFirstOrThrow()
    // At rest the token is encrypted.
    expect(row.token).not.toContain('token-1')
    expect(row.fetching_until_ms).toBeNull()
  })

  it('a refused token is dropped and fetched again once, and a stale refusal keeps the newer token', async () => {
    const db = await openDatabase(dialect)
    const server = tokenServer()
    const a = cacheOn(db, server.fetch)
    const b = cacheOn(db, server.fetch)
    const first = await a.get()
    expect(await b.get()).toBe(first)
    await a.invalidate(first)
    const second = await a.get()
    expect(second).toBe('token-2')
    // b still held token-1 in memory; WeCom refuses it; its refusal must not drop token-2.
    await b.invalidate(first)
    expect(await b.get()).toBe('token-2')
    expect(server.calls()).toBe(2)
  })

  it('a changed secret never reuses the token fetched with the old one, and drops its row', async () => {
    const db = await openDatabase(dialect)
    const server = tokenServer()
    await cacheOn(db, server.fetch).get()
    const renewed = cacheOn(db, server.fetch, { corpSecret: 'secret-two-0123456789' })
    expect(await renewed.get()).toBe('token-2')
    const rows = await db.selectFrom(APP_TOKEN_TABLE).select('cache_key').execute()
    expect(rows.map((row) => row.cache_key)).toEqual([renewed.key])
  })

  it('a failed gettoken releases the claim: the next caller fetches at once', async () => {
    const db = await openDatabase(dialect)
    let calls = 0
    const cache = cacheOn(db, async () => {
      calls++
      if (calls === 1) throw new Error('WeCom busy')
      return { accessToken: 'after-failure', expiresInSeconds: 7200 }
    })
    await expect(cache.get()).rejects.toThrow('WeCom busy')
    expect(await cacheOn(db, async () => ({ accessToken: 'x', expiresInSeconds: 1 })).get()).toBe('x')
    expect(calls).toBe(1)
  })

  it('a claim left by a process that died is taken over once it lapses', async () => {
    const db = await openDatabase(dialect)
    let nowMs = Date.now()
    const now = () => nowMs
    const dead = tokenServer({ held: true })
    const dying = cacheOn(db, dead.fetch, { now, claimMs: 5000 })
    void dying.get()
    await vi.waitFor(() => expect(dead.calls()).toBe(1))
    // That process is gone; its claim holds the row for 5 s of the shared clock.
    const server = tokenServer()
    const survivor = cacheOn(db, server.fetch, { now, waitMs: 60_000 })
    const got = survivor.get()
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(server.calls()).toBe(0)
    nowMs += 5001
    expect(await got).toBe('token-1')
    expect(server.calls()).toBe(1)
  })

  it('a token near its expiry is fetched again', async () => {
    const db = await openDatabase(dialect)
    let nowMs = Date.now()
    const server = tokenServer()
    const cache = cacheOn(db, server.fetch, { now: () => nowMs })
    expect(await cache.get()).toBe('token-1')
    nowMs += (7200 - 200) * 1000 - 1
    expect(await cache.get()).toBe('token-1')
    nowMs += 1
    expect(await cache.get()).toBe('token-2')
  })
})
