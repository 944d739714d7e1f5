/**
 * How a login ends: logged in (session, cookie flags, redirect target), or on a page
 * (docs/security.md#test-cases 6, 8, 9, 10, 12), with the calls that reached WeChat counted each time.
 */
import fs from 'node:fs'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { SESSION_COOKIE } from '../../runtime/http/sessions.ts'
import {
  API,
  type Browser,
  DATABASES,
  LOGIN_PATH,
  LOGIN_TYPES,
  LOGOUT_PATH,
  type LoginHarness,
  openLoginHarness,
  SESSION_PATH,
  withParam,
} from './harness.ts'

let h: LoginHarness
afterEach(() => {
  h.sandbox.clearFaults()
  h.sandbox.resetCounters()
})

type Response = Awaited<ReturnType<Browser['get']>>

function sessionCookieOf(response: Response) {
  return (response.cookies as Array<Record<string, any>>).find((c) => c.name === SESSION_COOKIE)
}

async function expectLoggedOut(browser: Browser) {
  expect((await browser.session()).statusCode).toBe(401)
}

/** docs/wechat-protocol.md#error-moves; WeChat's explicit busy answers (-1, 45011) are retried twice. */
const WECHAT_EXCHANGE_ERRORS: Array<[number, number]> = [
  -1, 45011, 45009, 40029, 40163, 42003, 41008, 42001, 40001, 40014, 40030, 42002, 42007, 40013, 40125, 41002,
  41004, 48001, 40003,
].map((errcode) => [errcode, errcode === -1 || errcode === 45011 ? 3 : 1])

/** docs/wecom-protocol.md#error-moves: -1 retried 3 times; a refused token fetched again once. */
const WECOM_EXCHANGE_ERRORS: Array<[number, number]> = [
  -1, 45009, 45033, 40029, 41008, 42001, 40014, 40001, 50001, 60020, 40013, 40091, 41002, 41004, 40056, 60011,
  60111, 40003,
].map((errcode) => [errcode, errcode === -1 ? 4 : [42001, 40014, 40001].includes(errcode) ? 2 : 1])

describe.each(DATABASES)('on %s', (database) => {
  describe.each(LOGIN_TYPES)('with the %s login Type', (loginType) => {
    beforeAll(async () => {
      h = await openLoginHarness({
        database,
        loginType,
        config: { allowedRedirectOrigins: ['https://shop.example.com'] },
        // Short WeChat timeouts, so that the hanging-endpoint case ends quickly.
        moreInstances: { QuickLogin: { attemptTimeoutMs: 300, totalDeadlineMs: 800 } },
      })
    })
    afterAll(async () => h.close())

    describe('a successful login', () => {
      it('ends with a clean 302 to the saved target, a session, and the user (never a token) from /auths/session', async () => {
        const browser = h.browser()
        const { callback, response } = await browser.login({ query: '?redirectUrl=%2Forders%3Fid%3D7%23top' })
        expect(response.statusCode).toBe(302)
        expect(response.headers.location).toBe('http://127.0.0.1:3000/orders?id=7#top')
        expect(response.headers['cache-control']).toBe('no-store')
        expect(response.headers['referrer-policy']).toBe('no-referrer')
        expect(response.body).toBe('')
        expect(h.wechatCalls()).toEqual({ access_token: 1, userinfo: 1 })

        const code = new URL(callback, 'http://x').searchParams.get('code')!
        expect(String(response.headers.location)).not.toContain(code)
        const session = await browser.session()
        expect(session.statusCode).toBe(200)
        expect(session.headers['cache-control']).toBe('no-store')
        const users = await h.storedUsers()
        const lin = users.find((u) => u.nickname === h.sandbox.displayName())!
        expect(session.json()).toMatchObject({
          errcode: 0,
          data: {
            user: {
              loginType: 'auths.loginTypes.SandboxLogin',
              userKey: String(lin.id),
              displayName: h.sandbox.displayName(),
            },
          },
        })
        expect(session.body).not.toMatch(/token|secret/i)
      })

      it('keeps a same-origin or allowed target, and sends anything else to the start page', async () => {
        const start = 'http://127.0.0.1:3000/'
        const cases: Array<[string, string]> = [
          ['/', start],
          ['/a/b?c=d', 'http://127.0.0.1:3000/a/b?c=d'],
          ['http://127.0.0.1:3000/settings', 'http://127.0.0.1:3000/settings'],
          ['https://shop.example.com/cart', 'https://shop.example.com/cart'],
          ['https://evil.example.net/', start],
          ['//evil.example.net/x', start],
          ['/\\evil.example.net/x', start],
          ['https://127.0.0.1:3000.evil.example.net/', start],
          ['http://127.0.0.1:3001/', start],
          ['https://127.0.0.1:3000/', start],
          ['http://user:pass@127.0.0.1:3000/', start],
          ['javascript:alert(1)', start],
          ['data:text/html,hi', start],
          ['https://shop.example.com.evil.example.net/', start],
          ['http://shop.example.com/', start],
          ['', start],
        ]
        for (const [requested, expected] of cases) {
          const browser = h.browser()
          const { response } = await browser.login({ query: `?redirectUrl=${encodeURIComponent(requested)}` })
          expect(response.statusCode, requested).toBe(302)
          expect(response.headers.location, requested).toBe(expected)
        }
        // A path that the browser would read as another host is made absolute on the app's origin.
        const browser = h.browser()
        const { response } = await browser.login({
          query: `?redirectUrl=${encodeURIComponent('http://127.0.0.1:3000//evil.example.net/x')}`,
        })
        expect(response.headers.location).toBe('http://127.0.0.1:3000//evil.example.net/x')
      })
    })

    describe('case 15: sessions', () => {
      it('gives a new session id at every login and never promotes a cookie planted before it', async () => {
        const browser = h.browser()
        const planted = 'planted-by-an-attacker-0123456789abcdefghijklmnop'
        browser.cookies.set(SESSION_COOKIE, planted)
        const first = await browser.login()
        const firstId = sessionCookieOf(first.response)!.value
        expect(firstId).not.toBe(planted)
        // A secret of 32 random bytes, then the base-36 id of the session's row.
        expect(firstId).toMatch(/^[A-Za-z0-9_-]{43}[0-9a-f]{32}$/)

        const second = await browser.login({ user: 'kai' })
        const secondId = sessionCookieOf(second.response)!.value
        expect(secondId).not.toBe(firstId)
        expect((await browser.session()).json().data.user.displayName).toBe(h.sandbox.displayName('kai'))

        // The planted and the replaced ids open nothing, nor does the live session's row id with another secret.
        const guessed = `${'A'.repeat(43)}${secondId.slice(43)}`
        for (const stale of [planted, firstId, guessed]) {
          const other = h.browser()
          other.cookies.set(SESSION_COOKIE, stale)
          await expectLoggedOut(other)
        }
      })

      it('sets the session cookie HttpOnly, SameSite=Lax, path /, without Secure over http', async () => {
        const { response } = await h.browser().login()
        expect(sessionCookieOf(response)).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' })
        expect(sessionCookieOf(response)!.secure).toBeUndefined()
      })

      it('sets Secure on both cookies when the public URL is https', async () => {
        const secure = await openLoginHarness({ database, loginType, publicUrl: 'https://app.example.com' })
        try {
          const browser = secure.browser()
          const { response: start } = await browser.startLogin()
          const loginCookie = (start.cookies as Array<Record<string, any>>).find(
            (c) => c.name === 'jit_login',
          )
          expect(loginCookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: true, path: API })
          const { response } = await browser.login()
          expect(response.headers.location).toBe('https://app.example.com/')
          expect(sessionCookieOf(response)).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: true })
        } finally {
          await secure.close()
        }
      })

      it('ends the session at logout, and after its expiry', async () => {
        const browser = h.browser()
        await browser.login()
        expect((await browser.session()).statusCode).toBe(200)
        const logout = await browser.request('POST', LOGOUT_PATH)
        expect(logout.statusCode).toBe(200)
        expect(sessionCookieOf(logout)).toMatchObject({ value: '' })
        await expectLoggedOut(browser)

        const later = h.browser()
        await later.login()
        h.clock.advance(7 * 24 * 3600 * 1000 + 1000)
        try {
          await expectLoggedOut(later)
        } finally {
          h.clock.advance(-(7 * 24 * 3600 * 1000 + 1000))
        }
      })

      it('answers /auths/session with 401 for no cookie, a garbage one and an oversized one', async () => {
        for (const value of [undefined, 'garbage', 'x'.repeat(4000)]) {
          const browser = h.browser()
          if (value) browser.cookies.set(SESSION_COOKIE, value)
          const response = await browser.get(SESSION_PATH)
          expect(response.statusCode).toBe(401)
        }
      })
    })

    describe('case 6: the user denies', () => {
      it('shows a cancelled page, calls WeChat 0 times, and consumes the state', async () => {
        const browser = h.browser()
        const { authorizeUrl } = await browser.startLogin()
        const callback = browser.authorize(authorizeUrl)
        const denied = withParam(callback, 'code', undefined)
        const response = await browser.get(denied)
        expect(response.statusCode).toBe(403)
        expect(response.body).toContain('Sign-in cancelled')
        expect(response.body).toContain(`href="${LOGIN_PATH}?redirectUrl=`)
        expect(response.headers['referrer-policy']).toBe('no-referrer')
        expect(h.wechatCalls()).toEqual({ access_token: 0, userinfo: 0 })
        await expectLoggedOut(browser)

        // The state is spent: the code that comes later for it is refused, still without a call.
        const late = await browser.get(callback)
        expect(late.statusCode).toBe(400)
        expect(late.body).toContain('already used')
        expect(h.wechatCalls()).toEqual({ access_token: 0, userinfo: 0 })
      })

      it('also when WeChat sends the legacy redirect with an empty code', async () => {
        const browser = h.browser()
        const { authorizeUrl } = await browser.startLogin()
        const response = await browser.get(withParam(browser.authorize(authorizeUrl), 'code', ''))
        expect(response.statusCode).toBe(403)
        expect(h.wechatCalls()).toEqual({ access_token: 0, userinfo: 0 })
      })
    })

    /**
     * What each error asks of the client, as the exchange can answer them: docs/wechat-protocol.md#error-moves
     * for the WeChat Types, docs/wecom-protocol.md for WeCom, and how many times each makes the code go out.
     */
    const EXCHANGE_ERRORS: Record<typeof loginType, Array<[number, number]>> = {
      wechat: WECHAT_EXCHANGE_ERRORS,
      fixture: WECHAT_EXCHANGE_ERRORS,
      // WeCom: -1 is retried 3 times; a refused app token is fetched again once and the code presented
      // again (the refusal was of the token: the code was never taken up).
      wecom: WECOM_EXCHANGE_ERRORS,
    }
    /** A used code, a wrong setting, a refusal: the errcodes of each protocol. */
    const PAGE_ERRORS =
      loginType === 'wecom'
        ? { used: 40029, setting: 60020, refused: 60011 }
        : { used: 40163, setting: 40125, refused: 40003 }

    describe('case 8: every error of the protocol on the code exchange', () => {
      it.each(EXCHANGE_ERRORS[loginType])(
        'errcode %i (on every try): the code goes out %i time(s), no user row, no session',
        async (errcode, calls) => {
          const before = (await h.storedUsers()).length
          h.sandbox.setFault('access_token', { kind: 'errcode', errcode }, { times: 'always' })
          const browser = h.browser()
          const { response } = await browser.login({ user: 'ada' })
          expect(h.wechatCalls()).toEqual({ access_token: calls, userinfo: 0 })
          expect(response.headers['content-type']).toBe('text/html; charset=utf-8')
          expect([400, 502, 503]).toContain(response.statusCode)
          expect(sessionCookieOf(response)).toBeUndefined()
          expect((await h.storedUsers()).length).toBe(before)
          await expectLoggedOut(browser)
        },
      )

      it('shows the page the failure asks for', async () => {
        const pageFor = async (errcode: number) => {
          h.sandbox.setFault('access_token', { kind: 'errcode', errcode })
          return (await h.browser().login()).response
        }
        const usedCode = await pageFor(PAGE_ERRORS.used)
        expect(usedCode.statusCode).toBe(400)
        expect(usedCode.body).toContain('This sign-in link has expired')
        const wrongSetting = await pageFor(PAGE_ERRORS.setting)
        expect(wrongSetting.statusCode).toBe(503)
        expect(wrongSetting.body).toContain('Sign-in is not set up correctly')
        expect(
          h.appLog.lines.some((line) =>
            line.startsWith('error login auths.loginTypes.SandboxLogin: misconfigured'),
          ),
        ).toBe(true)
        const refused = await pageFor(PAGE_ERRORS.refused)
        expect(refused.statusCode).toBe(502)
        expect(refused.body).toContain('Sign-in failed')
      })
    })

    describe('case 9: the token endpoint hangs', () => {
      it('ends within the deadline with a 503 page, after one call, logged out', async () => {
        h.sandbox.setFault('access_token', { kind: 'hang' }, { times: 'always' })
        const browser = h.browser()
        const response = await browser.get(
          await (async () => {
            const started = await browser.get(LOGIN_PATH.replace('SandboxLogin', 'QuickLogin'))
            return browser.authorize(new URL(String(started.headers.location)))
          })(),
        )
        expect(response.statusCode).toBe(503)
        expect(response.body).toContain('Sign-in is unavailable right now')
        // A client or a balancer told when to come back, as with the database's 503.
        expect(response.headers['retry-after']).toBe('30')
        expect(h.wechatCalls()).toEqual({ access_token: 1, userinfo: 0 })
        await expectLoggedOut(browser)
      })
    })

    describe('case 10: retries', () => {
      it('retries userinfo once after -1, and the login succeeds', async () => {
        h.sandbox.setFault('userinfo', { kind: 'busy' })
        const browser = h.browser()
        const { response } = await browser.login({ user: 'momo' })
        expect(response.statusCode).toBe(302)
        expect(h.wechatCalls()).toEqual({ access_token: 1, userinfo: 2 })
        expect((await browser.session()).statusCode).toBe(200)
      })

      it('-1 then success on the exchange: one retry, the login succeeds', async () => {
        h.sandbox.setFault('access_token', { kind: 'busy' })
        const browser = h.browser()
        const { response } = await browser.login({ user: 'momo' })
        expect(response.statusCode).toBe(302)
        expect(h.wechatCalls()).toEqual({ access_token: 2, userinfo: 1 })
        expect((await browser.session()).statusCode).toBe(200)
      })

      it.each([40029, 40163, 40125])(
        'never presents a code twice: %i on the exchange makes one call',
        async (errcode) => {
          h.sandbox.setFault('access_token', { kind: 'errcode', errcode })
          const { response } = await h.browser().login()
          expect(response.statusCode).not.toBe(302)
          expect(h.wechatCalls().access_token).toBe(1)
        },
      )
    })

    if (loginType === 'wecom') {
      describe('case 12 (WeCom): a non-member, whom WeCom names by openid', () => {
        it("signs in on a row of its own, never a member's, with no profile call", async () => {
          const before = await h.storedUsers()
          const browser = h.browser()
          // In WeCom's own browser: the web login page is for members only.
          const { response } = await browser.login({ user: 'guest', query: '?entry=client' })
          expect(response.statusCode).toBe(302)
          expect(h.wechatCalls()).toEqual({ access_token: 1, userinfo: 0 })
          const session = (await browser.session()).json().data.user
          expect(session.profile).toMatchObject({ kind: 'non_member', openid: expect.any(String) })
          expect(session.profile.userId).toBeUndefined()
          const after = await h.storedUsers()
          expect(after).toHaveLength(before.length + 1)
          expect(after.find((row) => String(row.id) === session.userKey)?.openid).toBeNull()
        })
      })
    } else {
      describe('case 12: a snapshot-page user', () => {
        it('gets a page that says what to do; no row, no session, no userinfo call', async () => {
          const before = await h.storedUsers()
          const browser = h.browser()
          const { response } = await browser.login({ user: 'visitor' })
          expect(response.statusCode).toBe(403)
          expect(response.body).toContain('Open the full page to sign in')
          expect(response.body).toContain('Use full service')
          expect(h.wechatCalls()).toEqual({ access_token: 1, userinfo: 0 })
          expect(sessionCookieOf(response)).toBeUndefined()
          expect(await h.storedUsers()).toEqual(before)
          await expectLoggedOut(browser)
        })
      })
    }

    describe('case 13: what the database holds', () => {
      it('never holds a state, code, login nonce, session id or WeChat token in plain text (SQLite: file and WAL; PostgreSQL: every row)', async () => {
        const tokens: string[] = []
        const stopWatching = h.sandbox.watchIssued((value) => tokens.push(value))
        const browser = h.browser()
        let callback: string
        try {
          const { authorizeUrl } = await browser.startLogin()
          callback = browser.authorize(authorizeUrl)
          expect((await browser.get(callback)).statusCode).toBe(302)
        } finally {
          stopWatching()
        }
        const query = new URL(callback, 'http://x').searchParams
        const secrets = [
          query.get('code')!,
          query.get('state')!,
          browser.cookies.get('jit_login')!,
          browser.cookies.get(SESSION_COOKIE)!,
          ...tokens,
        ]
        // The code, and the tokens the provider issued for it (WeChat: access and refresh; WeCom: the app token, unless cached).
        expect(tokens.length).toBeGreaterThanOrEqual(1)
        const bytes = await storedBytes(h)
        // The login did reach the file: its user is there (the nickname, as UTF-8 bytes).
        expect(bytes.includes(Buffer.from(h.sandbox.displayName()).toString('latin1'))).toBe(true)
        for (const secret of secrets) {
          expect(secret.length).toBeGreaterThan(20)
          expect(bytes.includes(secret)).toBe(false)
        }
      })
    })
  })
})

/**
 * What the database holds, as latin1 text of its bytes: the SQLite file and its WAL, or every row of
 * every table of the PostgreSQL database as JSON (UTF-8).
 */
async function storedBytes(harness: LoginHarness): Promise<string> {
  if (harness.dialect === 'sqlite') {
    return ['', '-wal']
      .map((suffix) => `${harness.database}${suffix}`)
      .filter((file) => fs.existsSync(file))
      .map((file) => fs.readFileSync(file).toString('latin1'))
      .join('\n')
  }
  const kysely = harness.app.getElement('databases.Default').kysely
  const tables = await kysely.introspection.getTables()
  const dumps = await Promise.all(
    tables.map(async (table: { name: string }) =>
      JSON.stringify(await kysely.selectFrom(table.name).selectAll().execute()),
    ),
  )
  return Buffer.from(dumps.join('\n')).toString('latin1')
}
