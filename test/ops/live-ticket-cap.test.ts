/**
 * The cap on live desktop sign-in tickets per address, on each database: a burst of new codes in one
 * turn (one group commit on SQLite, concurrent statements on PostgreSQL) leaves at most the cap; a
 * ticket used, cancelled or expired leaves room, a scanned one still holds its place; another address
 * is not held back. Over HTTP the desktop past the cap gets a 429 it can show, with Retry-After.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { Database } from '../../runtime/db/index.ts'
import { NO_LIMITS } from '../../runtime/http/limits-config.ts'
import { DESKTOP_COOKIE } from '../../types/auths/loginTypes/Meta/desktop.ts'
import { DEFAULT_TICKET_TTL_MS, TicketStore } from '../../types/auths/loginTypes/Meta/tickets.ts'
import { sha256Hex } from '../../types/auths/loginTypes/Meta/tokens.ts'
import { DIALECTS, eachTestPlace } from '../db/db-helpers.ts'
import { API, type LoginHarness, openLoginHarness } from '../login-flow/harness.ts'
import { meetAtGate } from './insert-gate.ts'

const LOGIN_TYPE = 'auths.loginTypes.W'
const ACTIONS = `${API}/auths/loginTypes/SandboxLogin`
/** The pool of a test place's PostgreSQL database (db-helpers.ts). */
const POOL_SIZE = 4

describe.each(DIALECTS)('the cap on live desktop tickets on %s', (dialect) => {
  const place = eachTestPlace(dialect)
  let db: Database | undefined
  afterEach(async () => {
    await db?.close()
    db = undefined
  })

  let made = 0
  function show(store: TicketStore, address: string, options: { nowMs?: number; cap?: number } = {}) {
    const scanSecret = `scan-${++made}`
    return store
      .create({
        scanSecret,
        desktopSecret: `desktop-${made}`,
        loginType: LOGIN_TYPE,
        browserLabel: 'Chrome on Windows',
        addressHash: sha256Hex(address),
        capPerAddress: options.cap ?? 5,
        nowMs: options.nowMs ?? Date.now(),
        ttlMs: DEFAULT_TICKET_TTL_MS,
      })
      .then((created) => created && { ...created, scanSecret, desktopSecret: `desktop-${made}` })
  }

  async function liveRows(): Promise<number> {
    const [row] = await place().rows<{ n: number | string }>(
      `select count(*) as n from jit_login_tickets where status in ('waiting', 'scanned', 'confirmed') and expires_at_ms > ${Date.now()}`,
    )
    return Number(row.n)
  }

  const meeting = <T>(burst: () => Promise<T>) =>
    meetAtGate({ dialect, url: place().location, table: 'jit_login_tickets', connections: POOL_SIZE }, burst)

  it('leaves at most the cap of a burst from one address, and lets another address show a code', async () => {
    db = await place().open()
    const store = TicketStore.of(db)
    // The table made (the gate's trigger goes on it) and swept once before the burst.
    expect(await show(store, '198.51.100.10')).toBeDefined()
    // A cap below the pool's size: the first statements to meet all count zero unless they take turns.
    const burst = await meeting(() =>
      Promise.all(Array.from({ length: 40 }, () => show(store, '203.0.113.7', { cap: 3 }))),
    )
    expect(burst.filter(Boolean)).toHaveLength(3)
    expect(await liveRows()).toBe(4)
    expect(await show(store, '198.51.100.20')).toBeDefined()
  })

  it('a cancelled or expired ticket frees a place, a scanned one holds it; cap 0 is no cap', async () => {
    db = await place().open()
    const store = TicketStore.of(db)
    const nowMs = Date.now()
    const address = '203.0.113.8'
    const shown = [
      await show(store, address, { cap: 3 }),
      await show(store, address, { cap: 3, nowMs: nowMs - DEFAULT_TICKET_TTL_MS - 1 }),
      await show(store, address, { cap: 3 }),
      await show(store, address, { cap: 3 }),
    ]
    // The second expired at once: three live, the cap.
    expect(shown.every(Boolean)).toBe(true)
    expect(await show(store, address, { cap: 3 })).toBeUndefined()

    const [first, , third] = shown
    const scan = await store.refOf({ secret: third!.scanSecret, selector: third!.selector })
    expect(await store.scan(scan!, LOGIN_TYPE, sha256Hex('phone'), nowMs)).toBe(true)
    expect(await show(store, address, { cap: 3 })).toBeUndefined()

    const desktop = await store.refOf({ secret: first!.desktopSecret, selector: first!.selector })
    expect(await store.cancelByDesktop(desktop!, nowMs)).toBe(true)
    expect(await show(store, address, { cap: 3 })).toBeDefined()
    expect(await show(store, address, { cap: 3 })).toBeUndefined()
    expect(await show(store, address, { cap: 0 })).toBeDefined()
  })
})

describe.each(DIALECTS)('a desktop past the cap of live tickets, on %s', (dialect) => {
  let h: LoginHarness | undefined
  afterEach(async () => {
    await h?.close()
    h = undefined
  })

  it('gets a 429 it can show, with Retry-After and no secret; its own code renews; expiry frees the address', async () => {
    h = await openLoginHarness({ database: dialect, limits: { ...NO_LIMITS, liveTicketsPerAddress: 3 } })
    const desktops = Array.from({ length: 10 }, () => h!.browser({ address: '203.0.113.9' }))
    const answers = await Promise.all(desktops.map((d) => d.request('POST', `${ACTIONS}/desktopStart`)))
    expect(answers.map((a) => a.statusCode).sort()).toEqual([
      200, 200, 200, 429, 429, 429, 429, 429, 429, 429,
    ])

    const refused = answers.find((a) => a.statusCode === 429)!
    expect(refused.headers['retry-after']).toBe('60')
    expect(refused.headers['cache-control']).toBe('no-store')
    expect(refused.json()).toEqual({
      errcode: 429,
      errmsg:
        'Too many sign-in codes are showing from your network without being used. Try again in 1 minute.',
      code: 'JIT_LIVE_TICKETS_CAPPED',
    })
    expect(refused.headers['set-cookie']).toBeUndefined()
    expect(h.appLog.records).toContainEqual(
      expect.objectContaining({ event: 'desktop_login', errorCode: 'JIT_LIVE_TICKETS_CAPPED' }),
    )

    // A desktop showing a code may show a new one: it replaces its own.
    const holder = desktops[answers.findIndex((a) => a.statusCode === 200)]
    const renewed = await holder.request('POST', `${ACTIONS}/desktopStart`)
    expect(renewed.statusCode).toBe(200)
    expect(holder.cookies.get(DESKTOP_COOKIE)).toBeDefined()

    // Another address is not held back; this one shows codes again once its tickets expire.
    expect(
      (await h.browser({ address: '198.51.100.30' }).request('POST', `${ACTIONS}/desktopStart`)).statusCode,
    ).toBe(200)
    const late = h.browser({ address: '203.0.113.9' })
    expect((await late.request('POST', `${ACTIONS}/desktopStart`)).statusCode).toBe(429)
    h.clock.advance(DEFAULT_TICKET_TTL_MS)
    expect((await late.request('POST', `${ACTIONS}/desktopStart`)).statusCode).toBe(200)
  })
})
