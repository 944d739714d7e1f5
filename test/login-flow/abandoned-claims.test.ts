/**
 * docs/security.md#case-20 (issue 13, defect 2): a login whose owner stopped mid-exchange. A claim to
 * consume a state carries its owner's deadline in the database row; a delivery of the same callback
 * that finds the state still consuming past it is answered at once with a page offering a fresh login
 * (a 4xx), never a 503 after a wait, in this process or another one on the same file.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { request } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import type { LoginProvider } from '../../runtime/auth/login-provider.ts'
import { openSqliteDatabase } from '../../runtime/db/index.ts'
import { CLAIM_MARGIN_MS, LOGIN_COOKIE } from '../../types/auths/loginTypes/Meta/flow.ts'
import { LoginStateStore } from '../../types/auths/loginTypes/Meta/states.ts'
import { parseState, sha256Hex } from '../../types/auths/loginTypes/Meta/tokens.ts'
import { cleanupTempDirs, tempDir } from '../db/db-helpers.ts'
import {
  type Browser,
  DATABASES,
  INSTANCE,
  LOGIN_TYPES,
  type LoginHarness,
  openLoginHarness,
} from './harness.ts'

// The Instance's provider deadlines (WeChat: a login makes at most two calls, each within
// TOTAL_DEADLINE_MS; the Type says how many of them in LoginProvider.attemptDeadlineMs).
const ATTEMPT_TIMEOUT_MS = 3000
const TOTAL_DEADLINE_MS = 6000

let h: LoginHarness

/** How long a claim of the Instance under test lasts in the row: its provider's deadline and the margin. */
function claimMs(): number {
  return (h.app.getElement(INSTANCE) as LoginProvider).attemptDeadlineMs!() + CLAIM_MARGIN_MS
}

/** Further than any claim of this Instance lasts. */
function pastTheClaimMs(): number {
  return claimMs() + 1000
}

async function pendingCallback(browser: Browser) {
  const { authorizeUrl } = await browser.startLogin('?redirectUrl=%2Fhome')
  return browser.authorize(authorizeUrl)
}

/** Until the token endpoint holds the exchange: by then the delivery has claimed the state. */
async function untilExchangeHangs() {
  await vi.waitFor(() => expect(h.wechatCalls().access_token).toBe(1), { timeout: 20_000, interval: 20 })
}

/** The stored state a callback names. */
async function stateOf(callback: string) {
  const states = LoginStateStore.of(h.app.getElement('databases.Default'))
  const ref = await states.refOf(parseState(new URL(callback, 'http://x').searchParams.get('state')!)!)
  return ref && states.read(ref)
}

/** Delivers `callback` once the server's clock is past the claim of any delivery made before. */
async function deliverAfterTheClaim(browser: Browser, callback: string) {
  const pastMs = pastTheClaimMs()
  h.clock.advance(pastMs)
  try {
    return await browser.get(callback)
  } finally {
    h.clock.advance(-pastMs)
  }
}

function expectFreshLoginPage(response: Awaited<ReturnType<Browser['get']>>) {
  expect(response.statusCode).toBe(400)
  expect(response.body).toContain('This sign-in was interrupted')
  // "Try again" starts a new login towards the same target.
  expect(response.body).toContain('/login?redirectUrl=http%3A%2F%2F127.0.0.1%3A3000%2Fhome">Try again')
}

describe.each(DATABASES)('on %s', (database) => {
  describe.each(LOGIN_TYPES)('with the %s login Type', (loginType) => {
    beforeAll(async () => {
      h = await openLoginHarness({
        database,
        loginType,
        config: { attemptTimeoutMs: ATTEMPT_TIMEOUT_MS, totalDeadlineMs: TOTAL_DEADLINE_MS },
      })
    })
    afterAll(async () => h.close())
    afterEach(() => {
      h.sandbox.clearFaults()
      h.sandbox.resetCounters()
    })

    it('a claim past its deadline: the next delivery gets the fresh-login page at once, no second exchange', async () => {
      h.sandbox.setFault('access_token', { kind: 'hang' })
      const browser = h.browser()
      const callback = await pendingCallback(browser)
      const claimedFromMs = h.clock.now()
      const first = browser.get(callback)
      await untilExchangeHangs()
      const claimedByMs = h.clock.now()

      // The claim, in the row, lasts the Instance's provider deadlines (WeChat's two) and the margin.
      if (loginType !== 'wecom') expect(claimMs()).toBe(2 * TOTAL_DEADLINE_MS + CLAIM_MARGIN_MS)
      const deadlineMs = (await stateOf(callback))?.claimDeadlineMs
      expect(deadlineMs).toBeGreaterThanOrEqual(claimedFromMs + claimMs())
      expect(deadlineMs).toBeLessThanOrEqual(claimedByMs + claimMs())

      const again = await deliverAfterTheClaim(browser, callback)
      expectFreshLoginPage(again)
      expect(h.wechatCalls()).toEqual({ access_token: 1, userinfo: 0 })
      expect(h.appLog.lines.join('\n')).toContain('refused (the delivery that claimed the state stopped')
      expect((await browser.session()).statusCode).toBe(401)
      // The first delivery ends on its own WeChat deadline.
      expect((await first).statusCode).toBe(503)
    })

    it('a delivery waiting on a claim whose owner vanished: the wait ends on the deadline with the fresh-login page', async () => {
      const browser = h.browser()
      const callback = await pendingCallback(browser)
      const query = new URL(callback, 'http://x').searchParams
      // Another process claimed the state with half a second to finish, then vanished.
      const states = LoginStateStore.of(h.app.getElement('databases.Default'))
      const nowMs = h.clock.now()
      const claimed = await states.claim({
        state: (await states.refOf(parseState(query.get('state')!)!))!,
        loginType: INSTANCE,
        browserHash: sha256Hex(browser.cookies.get(LOGIN_COOKIE)!),
        nowMs,
        next: { status: 'consuming', codeHash: sha256Hex(query.get('code')!), deadlineMs: nowMs + 500 },
      })
      expect(claimed).toBeDefined()

      expectFreshLoginPage(await browser.get(callback))
      expect(h.wechatCalls()).toEqual({ access_token: 0, userinfo: 0 })
      expect((await browser.session()).statusCode).toBe(401)
    })

    describe('two processes on one database', () => {
      let child: ChildProcess

      afterAll(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      })

      it('the process exchanging the code is killed: the other answers the next delivery with the fresh-login page', async () => {
        child = fork(
          fileURLToPath(new URL('./fixtures/second-server.ts', import.meta.url)),
          [h.dir, h.database, h.publicUrl],
          {
            execArgv: ['--import', fileURLToPath(new URL('../../bin/register.mjs', import.meta.url))],
            stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
          },
        )
        const [{ port }] = (await once(child, 'message')) as [{ port: number }]
        h.sandbox.setFault('access_token', { kind: 'hang' })
        const browser = h.browser()
        const callback = await pendingCallback(browser)
        const cookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
        // Process A claims the state and waits on WeChat...
        const toA = request(`http://127.0.0.1:${port}${callback}`, { headers: { cookie } }).then(
          () => 'answered',
          () => 'cut',
        )
        await untilExchangeHangs()
        // ...and dies.
        child.kill('SIGKILL')
        await once(child, 'exit')
        expect(await toA).toBe('cut')

        const again = await deliverAfterTheClaim(browser, callback)
        expectFreshLoginPage(again)
        expect(h.wechatCalls()).toEqual({ access_token: 1, userinfo: 0 })
        expect((await browser.session()).statusCode).toBe(401)
      })
    })
  })
})

describe('the states table of the layout before claim deadlines', () => {
  afterAll(cleanupTempDirs)

  it('is replaced when the store opens: its logins start again, and new claims carry their deadline', async () => {
    const db = await openSqliteDatabase({ file: join(tempDir(), 'app.sqlite') })
    try {
      // The previous version's table, with a state a process of that version was consuming.
      await db.kysely.schema
        .createTable('jit_login_states')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('secret_hash', 'varchar(64)', (c) => c.notNull())
        .addColumn('login_type', 'varchar(255)', (c) => c.notNull())
        .addColumn('browser_hash', 'varchar(64)', (c) => c.notNull())
        .addColumn('redirect_target', 'text', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('code_hash', 'varchar(64)')
        .addColumn('outcome_json', 'text')
        .addColumn('finished_at_ms', 'bigint')
        .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
        .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
        .execute()
      const nowMs = Date.now()
      const stuck = {
        secret_hash: 'a'.repeat(64),
        login_type: 'auths.loginTypes.W',
        browser_hash: 'b'.repeat(64),
      }
      await db.kysely
        .insertInto('jit_login_states')
        .values({
          ...stuck,
          redirect_target: '/',
          status: 'consuming',
          created_at_ms: nowMs,
          expires_at_ms: nowMs + 60_000,
        })
        .execute()

      const states = LoginStateStore.of(db)
      const selector = await states.create({
        secretHash: sha256Hex('the new state'),
        loginType: 'auths.loginTypes.W',
        browserHash: 'd'.repeat(64),
        addressHash: 'a'.repeat(64),
        redirectTarget: '/home',
        nowMs,
        caps: { perBrowser: 0, perAddress: 0 },
      })
      const ref = (await states.refOf({ secret: 'the new state', selector: selector! }))!
      expect(await states.read({ rowId: 1, secretHash: stuck.secret_hash })).toBeUndefined()
      const claimed = await states.claim({
        state: ref,
        loginType: 'auths.loginTypes.W',
        browserHash: 'd'.repeat(64),
        nowMs,
        next: { status: 'consuming', codeHash: 'e'.repeat(64), deadlineMs: nowMs + 5000 },
      })
      expect(claimed).toEqual({ redirectTarget: '/home', ticketId: null })
      expect(await states.read(ref)).toMatchObject({ status: 'consuming', claimDeadlineMs: nowMs + 5000 })
    } finally {
      await db.close()
    }
  })
})
