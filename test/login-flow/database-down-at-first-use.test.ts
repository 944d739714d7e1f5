/**
 * A database that cannot be used when a running server first needs its login tables (sessions, login
 * states, desktop tickets): those requests answer 503, and once the database is back the next login
 * works in the same process, with no restart. On PostgreSQL the server is stopped; on SQLite the WAL
 * file is made immutable (chattr: it binds root too, and tests run as root).
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { SESSION_COOKIE } from '../../runtime/http/sessions.ts'
import { type PostgresServer, startPostgres } from '../helpers/postgres-server.ts'
import { API, LOGIN_PATH, type LoginHarness, openLoginHarness } from './harness.ts'

const ACTIONS = `${API}/auths/loginTypes/SandboxLogin`
const DESKTOP_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'
/** A well-formed session id of no session: reading it needs the sessions table. */
const UNKNOWN_SESSION = `${'A'.repeat(43)}${'B'.repeat(22)}`

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** What a user meets while the database is away at the first login, and that the next login works after. */
async function expectDownThenRecovered(harness: LoginHarness, fault: { start(): void; clear(): void }) {
  fault.start()

  const start = await harness.browser().get(LOGIN_PATH)
  expect(start.statusCode).toBe(503)
  expect(start.headers['retry-after']).toBe('30')
  expect(start.body).toContain('<h1>Sign-in is unavailable right now</h1>')

  const visitor = harness.browser()
  visitor.cookies.set(SESSION_COOKIE, UNKNOWN_SESSION)
  const session = await visitor.session()
  expect(session.statusCode).toBe(503)
  expect(session.json()).toMatchObject({ code: 'JIT_DB_UNAVAILABLE' })

  const computer = harness.browser()
  computer.userAgent = DESKTOP_UA
  const ticket = await computer.request('POST', `${ACTIONS}/desktopStart`)
  expect(ticket.statusCode).toBe(503)
  expect(ticket.json()).toMatchObject({ code: 'JIT_DB_UNAVAILABLE' })

  fault.clear()

  // Same process, no restart: the tables are created now, and the login goes through.
  const browser = harness.browser()
  const { response } = await browser.login({ query: '?redirectUrl=%2Fcart' })
  expect(response.statusCode).toBe(302)
  expect(response.headers.location).toBe(`${harness.publicUrl}/cart`)
  const signedIn = await browser.session()
  expect(signedIn.statusCode).toBe(200)
  expect(signedIn.json().data.user.loginType).toBe('auths.loginTypes.SandboxLogin')
  expect((await visitor.session()).statusCode).toBe(401)
  expect((await computer.request('POST', `${ACTIONS}/desktopStart`)).statusCode).toBe(200)
  // Never a 500: every failure above was the database's, answered as such.
  expect(harness.requestLog.lines.filter((line) => line.startsWith('error '))).toEqual([])
}

describe('on PostgreSQL, a server stopped when the first login comes and started again', () => {
  let server: PostgresServer
  beforeAll(async () => {
    server = await startPostgres()
  })
  afterAll(() => server?.stop())

  /** A new database on this test's own server (which the tests stop and start). */
  async function databaseOnServer(): Promise<string> {
    const name = `jit_first_use_${Date.now()}`
    const admin = new pg.Client({ connectionString: server.url })
    await admin.connect()
    try {
      await admin.query(`create database "${name}"`)
    } finally {
      await admin.end()
    }
    const url = new URL(server.url)
    url.pathname = `/${name}`
    return url.toString()
  }

  function openPostgresHarness(url: string): Promise<LoginHarness> {
    return openLoginHarness({
      moreFiles: {
        'databases/Default/e.json': { title: 'Default database', type: 'databases.PostgresType' },
        'databases/Default/Default.json': { url, poolSize: 2 },
      },
    })
  }

  it('answers 503 while it is down, then signs in without a restart', async () => {
    const harness = await openPostgresHarness(await databaseOnServer())
    cleanups.push(() => harness.close())
    expect(harness.app.getElement('databases.Default').dialect).toBe('postgres')
    await expectDownThenRecovered(harness, { start: () => server.crash(), clear: () => server.start() })
  })

  it('the same when it was already down as the node started (its models sync once it is back)', async () => {
    const url = await databaseOnServer()
    server.crash()
    let down = true
    cleanups.push(() => down && server.start())
    const harness = await openPostgresHarness(url)
    cleanups.push(() => harness.close())
    await expectDownThenRecovered(harness, {
      start: () => {},
      clear: () => {
        server.start()
        down = false
      },
    })
    expect(await harness.storedUsers()).toHaveLength(1)
  })
})

describe('on SQLite, a file that cannot be written at the first login and then can', () => {
  it('answers 503 while the WAL file is immutable, then signs in without a restart', async () => {
    const harness = await openLoginHarness()
    cleanups.push(() => harness.close())
    const wal = `${harness.database}-wal`
    // The models' tables were created at start: the WAL file is there to lock.
    expect(fs.existsSync(wal)).toBe(true)
    let immutable = false
    const setImmutable = (on: boolean) => {
      execFileSync('chattr', [on ? '+i' : '-i', wal])
      immutable = on
    }
    cleanups.push(() => immutable && setImmutable(false))
    await expectDownThenRecovered(harness, {
      start: () => setImmutable(true),
      clear: () => setImmutable(false),
    })
  })
})
