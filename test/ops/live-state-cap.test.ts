/**
 * The cap on live login states on each database: a burst of starts in one turn (one group commit on
 * SQLite, concurrent statements on PostgreSQL) leaves at most the cap per browser and per address; a
 * state that is claimed or expired leaves room; another address is not held back.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { Database } from '../../runtime/db/index.ts'
import { LoginStateStore, STATE_TTL_MS } from '../../types/auths/loginTypes/Meta/states.ts'
import { sha256Hex } from '../../types/auths/loginTypes/Meta/tokens.ts'
import { DIALECTS, eachTestPlace } from '../db/db-helpers.ts'
import { meetAtGate } from './insert-gate.ts'

const LOGIN_TYPE = 'auths.loginTypes.W'
/** The pool of a test place's PostgreSQL database (db-helpers.ts). */
const POOL_SIZE = 4

describe.each(DIALECTS)('the cap on live login states on %s', (dialect) => {
  const place = eachTestPlace(dialect)
  let db: Database | undefined
  afterEach(async () => {
    await db?.close()
    db = undefined
  })

  let browsers = 0
  function start(
    store: LoginStateStore,
    address: string,
    options: { browser?: string; nowMs?: number } = {},
  ) {
    const secret = `secret-${++browsers}`
    return store
      .create({
        secretHash: sha256Hex(secret),
        loginType: LOGIN_TYPE,
        browserHash: sha256Hex(options.browser ?? `browser-${browsers}`),
        addressHash: sha256Hex(address),
        redirectTarget: '/',
        nowMs: options.nowMs ?? Date.now(),
        caps: { perBrowser: 3, perAddress: 5 },
      })
      .then((selector) => (selector === undefined ? undefined : { selector, secret }))
  }

  async function liveRows(): Promise<number> {
    const [row] = await place().rows<{ n: number | string }>(
      `select count(*) as n from jit_login_states where status = 'pending' and expires_at_ms > ${Date.now()}`,
    )
    return Number(row.n)
  }

  it('leaves at most the cap per address of a burst, and lets another address start', async () => {
    db = await place().open()
    const store = LoginStateStore.of(db)
    // The table made (the gate's trigger goes on it) before the burst.
    expect(await start(store, '198.51.100.10')).toBeDefined()
    // Its inserts meet at a gate after their counts (PostgreSQL): only taking turns keeps them to the cap.
    const burst = await meetAtGate(
      { dialect, url: place().location, table: 'jit_login_states', connections: POOL_SIZE },
      () => Promise.all(Array.from({ length: 40 }, () => start(store, '203.0.113.7'))),
    )
    expect(burst.filter(Boolean)).toHaveLength(5)
    expect(await liveRows()).toBe(6)
    expect(await start(store, '198.51.100.20')).toBeDefined()
  })

  it('holds one browser to its cap, and a claimed or expired state frees a place', async () => {
    db = await place().open()
    const store = LoginStateStore.of(db)
    const nowMs = Date.now()
    const started = [
      await start(store, '203.0.113.8', { browser: 'one' }),
      await start(store, '203.0.113.8', { browser: 'one', nowMs: nowMs - STATE_TTL_MS - 1 }),
      await start(store, '203.0.113.8', { browser: 'one' }),
      await start(store, '203.0.113.8', { browser: 'one' }),
    ]
    // The second expired at once: three live, the cap.
    expect(started.every(Boolean)).toBe(true)
    expect(await start(store, '203.0.113.8', { browser: 'one' })).toBeUndefined()
    const first = started[0]!
    const claimed = await store.claim({
      state: (await store.refOf(first))!,
      loginType: LOGIN_TYPE,
      browserHash: sha256Hex('one'),
      nowMs,
      next: { status: 'consuming', codeHash: sha256Hex('code'), deadlineMs: nowMs + 30_000 },
    })
    expect(claimed).toBeDefined()
    expect(await start(store, '203.0.113.8', { browser: 'one' })).toBeDefined()
  })
})
