/**
 * docs/security.md#case-3 and docs/wechat-protocol.md#double-redirect: one callback delivered again,
 * concurrently or later, by the same browser or another one, in the same process or a second one on
 * the same database. The code is exchanged once; the same browser ends logged in; another browser is
 * refused.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { request } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { SESSION_COOKIE } from '../../runtime/http/sessions.ts'
import { REPEAT_DELIVERY_WINDOW_MS } from '../../types/auths/loginTypes/Meta/flow.ts'
import { parseState, sha256Hex } from '../../types/auths/loginTypes/Meta/tokens.ts'
import {
  type Browser,
  DATABASES,
  INSTANCE,
  LOGIN_TYPES,
  LOGOUT_PATH,
  type LoginHarness,
  openLoginHarness,
} from './harness.ts'

let h: LoginHarness
afterEach(() => {
  h.sandbox.clearFaults()
  h.sandbox.resetCounters()
})

type Response = Awaited<ReturnType<Browser['get']>>

async function pendingCallback(browser: Browser = h.browser(), user?: string) {
  const { authorizeUrl } = await browser.startLogin('?redirectUrl=%2Fhome')
  return { browser, callback: browser.authorize(authorizeUrl, user) }
}

function sessionIdOf(response: Response) {
  return (response.cookies as Array<{ name: string; value: string }>).find((c) => c.name === SESSION_COOKIE)
    ?.value
}

describe.each(DATABASES)('on %s', (database) => {
  describe.each(LOGIN_TYPES)('with the %s login Type', (loginType) => {
    beforeAll(async () => {
      h = await openLoginHarness({ database, loginType })
    })
    afterAll(async () => h.close())

    describe('case 3: the same callback delivered twice', () => {
      it('by the same browser at once: one exchange, and both answers log the browser in', async () => {
        h.sandbox.setLatency(200, 'access_token')
        const { browser, callback } = await pendingCallback()
        const answers = await Promise.all(Array.from({ length: 5 }, () => browser.get(callback)))
        expect(h.wechatCalls()).toEqual({ access_token: 1, userinfo: 1 })
        for (const answer of answers) {
          expect(answer.statusCode).toBe(302)
          expect(answer.headers.location).toBe('http://127.0.0.1:3000/home')
        }
        // Whichever answer reaches the browser, its session works, for the same user.
        const ids = answers.map(sessionIdOf)
        expect(new Set(ids).size).toBe(5)
        for (const id of ids) {
          const holder = h.browser()
          holder.cookies.set(SESSION_COOKIE, id!)
          expect((await holder.session()).json().data.user.displayName).toBe('林小雨')
        }
      })

      it('by the same browser after the first finished (its answer was lost): no second exchange, logged in', async () => {
        const { browser, callback } = await pendingCallback()
        const first = await browser.get(callback)
        expect(first.statusCode).toBe(302)
        browser.cookies.delete(SESSION_COOKIE) // the first answer never arrived
        h.sandbox.resetCounters()
        const again = await browser.get(callback)
        expect(again.statusCode).toBe(302)
        expect(again.headers.location).toBe('http://127.0.0.1:3000/home')
        expect(h.wechatCalls()).toEqual({ access_token: 0, userinfo: 0 })
        expect((await browser.session()).statusCode).toBe(200)
      })

      it('by the same browser after it logged out: refused as used, no exchange, still logged out', async () => {
        const { browser, callback } = await pendingCallback()
        expect((await browser.get(callback)).statusCode).toBe(302)
        expect((await browser.request('POST', LOGOUT_PATH)).statusCode).toBe(200)
        h.sandbox.resetCounters()
        const replay = await browser.get(callback)
        expect(replay.statusCode).toBe(400)
        expect(replay.body).toContain('This sign-in link was already used')
        expect(sessionIdOf(replay)).toBeUndefined()
        expect(h.wechatCalls()).toEqual({ access_token: 0, userinfo: 0 })
        expect((await browser.session()).statusCode).toBe(401)
      })

      it('by the same browser after the repeat window: refused as used, no exchange', async () => {
        const { browser, callback } = await pendingCallback()
        expect((await browser.get(callback)).statusCode).toBe(302)
        h.sandbox.resetCounters()
        h.clock.advance(REPEAT_DELIVERY_WINDOW_MS + 1000)
        try {
          const replay = await browser.get(callback)
          expect(replay.statusCode).toBe(400)
          expect(replay.body).toContain('This sign-in link was already used')
          expect(sessionIdOf(replay)).toBeUndefined()
          expect(h.wechatCalls()).toEqual({ access_token: 0, userinfo: 0 })
        } finally {
          h.clock.advance(-(REPEAT_DELIVERY_WINDOW_MS + 1000))
        }
      })

      it('by another browser, during or after the first: refused, no exchange, no session', async () => {
        h.sandbox.setLatency(200, 'access_token')
        const { browser, callback } = await pendingCallback()
        const attacker = h.browser()
        await attacker.startLogin() // holds a login cookie of its own
        const [own, during] = await Promise.all([browser.get(callback), attacker.get(callback)])
        const after = await attacker.get(callback)
        expect(own.statusCode).toBe(302)
        for (const refused of [during, after]) {
          expect(refused.statusCode).toBe(403)
          expect(sessionIdOf(refused)).toBeUndefined()
        }
        expect(h.wechatCalls()).toEqual({ access_token: 1, userinfo: 1 })
        expect((await attacker.session()).statusCode).toBe(401)
      })

      it('with the same state but another code: refused as used, no exchange', async () => {
        const { browser, callback } = await pendingCallback()
        expect((await browser.get(callback)).statusCode).toBe(302)
        h.sandbox.resetCounters()
        const url = new URL(callback, 'http://x')
        url.searchParams.set('code', 'Z'.repeat(32))
        const response = await browser.get(`${url.pathname}${url.search}`)
        expect(response.statusCode).toBe(400)
        expect(h.wechatCalls()).toEqual({ access_token: 0, userinfo: 0 })
      })

      it('when the first delivery failed: the same page again, no second exchange', async () => {
        h.sandbox.setLatency(200, 'access_token')
        h.sandbox.setFault('access_token', { kind: 'errcode', errcode: 40003 })
        const { browser, callback } = await pendingCallback()
        const [first, second] = await Promise.all([browser.get(callback), browser.get(callback)])
        const third = await browser.get(callback)
        for (const answer of [first, second, third]) {
          expect(answer.statusCode).toBe(502)
          expect(answer.body).toContain('Sign-in failed')
        }
        expect(h.wechatCalls()).toEqual({ access_token: 1, userinfo: 0 })
        expect((await browser.session()).statusCode).toBe(401)
      })

      it('waits on the database for a login another process is finishing', async () => {
        const { browser, callback } = await pendingCallback()
        const query = new URL(callback, 'http://x').searchParams
        const kysely = h.app.getElement('databases.Default').kysely
        const state = parseState(query.get('state')!)!
        // Another process has claimed the state and is exchanging the code, with a minute left on its claim.
        const claimed = await kysely
          .updateTable('jit_login_states')
          .set({
            status: 'consuming',
            code_hash: sha256Hex(query.get('code')!),
            claim_deadline_ms: h.clock.now() + 60_000,
          })
          .where('secret_hash', '=', sha256Hex(state.secret))
          .executeTakeFirst()
        expect(claimed.numUpdatedRows).toBe(1n)
        const delivery = browser.get(callback)
        await new Promise((resolve) => setTimeout(resolve, 300))
        // ...and finishes it: the session it opened, then the state done.
        const user = { userKey: '4242', displayName: 'Finished elsewhere' }
        const secretHash = sha256Hex('the secret of the session id the other process gave its answer')
        const session = await kysely
          .insertInto('jit_sessions')
          .values({
            secret_hash: secretHash,
            login_type: INSTANCE,
            user_key: user.userKey,
            user_json: JSON.stringify({ ...user, loginType: INSTANCE }),
            created_at_ms: h.clock.now(),
            expires_at_ms: h.clock.now() + 3_600_000,
          })
          .returning('id')
          .executeTakeFirstOrThrow()
        await kysely
          .updateTable('jit_login_states')
          .set({
            status: 'done',
            finished_at_ms: h.clock.now(),
            outcome_json: JSON.stringify({ user, sessionRef: `${session.id}:${secretHash}` }),
          })
          .where('secret_hash', '=', sha256Hex(state.secret))
          .execute()
        const response = await delivery
        expect(response.statusCode).toBe(302)
        expect(h.wechatCalls()).toEqual({ access_token: 0, userinfo: 0 })
        expect((await browser.session()).json().data.user).toEqual({
          userKey: '4242',
          displayName: 'Finished elsewhere',
          loginType: INSTANCE,
        })
      })
    })

    describe('case 3 across two processes on one database', () => {
      let child: ChildProcess
      let childPort: number
      beforeAll(async () => {
        child = fork(
          fileURLToPath(new URL('./fixtures/second-server.ts', import.meta.url)),
          [h.dir, h.database, h.publicUrl],
          {
            execArgv: ['--import', fileURLToPath(new URL('../../bin/register.mjs', import.meta.url))],
            stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
          },
        )
        const [message] = (await once(child, 'message')) as [{ port: number }]
        childPort = message.port
      })
      afterAll(async () => {
        if (child.exitCode !== null) return
        child.send('close')
        await once(child, 'exit')
      })

      it('exchanges the code once when both processes get the callback at once', async () => {
        h.sandbox.setLatency(300, 'access_token')
        const { browser, callback } = await pendingCallback()
        const cookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
        const [here, there] = await Promise.all([
          browser.get(callback),
          request(`http://127.0.0.1:${childPort}${callback}`, { headers: { cookie } }),
        ])
        await there.body.text()
        expect(h.wechatCalls()).toEqual({ access_token: 1, userinfo: 1 })
        expect(here.statusCode).toBe(302)
        expect(there.statusCode).toBe(302)
        expect(there.headers.location).toBe('http://127.0.0.1:3000/home')
        // The session the second process opened is in the shared database: this process honours it.
        const setCookie = [there.headers['set-cookie']].flat().join('\n')
        const childSession = /jit_session=([A-Za-z0-9_-]+)/.exec(setCookie)?.[1]
        expect(childSession).toBeDefined()
        const viaChild = h.browser()
        viaChild.cookies.set(SESSION_COOKIE, childSession!)
        expect((await viaChild.session()).json().data.user.displayName).toBe('林小雨')
      })

      it('refuses, in the second process, a callback from a browser other than the one that started it', async () => {
        const { callback } = await pendingCallback()
        const stranger = await request(`http://127.0.0.1:${childPort}${callback}`)
        await stranger.body.text()
        expect(stranger.statusCode).toBe(403)
        expect(h.wechatCalls()).toEqual({ access_token: 0, userinfo: 0 })
      })
    })
  })
})
