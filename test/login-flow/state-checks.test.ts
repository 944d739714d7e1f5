/**
 * docs/security.md#test-cases 1, 2, 4, 5 and 7: every check of the state happens before any call to WeChat.
 * Each test counts the calls that reached the sandbox's token and userinfo endpoints.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { STATE_TTL_MS } from '../../types/auths/loginTypes/Meta/states.ts'
import { newStateSecret } from '../../types/auths/loginTypes/Meta/tokens.ts'
import {
  API,
  type Browser,
  CALLBACK_PATH,
  DATABASES,
  DEMO,
  LOGIN_PATH,
  LOGIN_TYPES,
  type LoginHarness,
  openLoginHarness,
  withParam,
} from './harness.ts'

let h: LoginHarness

const NO_CALLS = { access_token: 0, userinfo: 0 }

/** Runs `step` and returns how many calls it made reach WeChat. */
async function callsDuring(step: () => Promise<unknown>) {
  h.sandbox.resetCounters()
  await step()
  return h.wechatCalls()
}

/** A browser holding a fresh callback (code and state from the sandbox) it has not delivered yet. */
async function pendingCallback(browser: Browser = h.browser()) {
  const { authorizeUrl } = await browser.startLogin()
  return { browser, callback: browser.authorize(authorizeUrl) }
}

function expectNoSession(response: { cookies: Array<{ name: string }> }) {
  expect(response.cookies.map((c) => c.name)).not.toContain('jit_session')
}

describe.each(DATABASES)('on %s', (database) => {
  describe.each(LOGIN_TYPES)('with the %s login Type', (loginType) => {
    beforeAll(async () => {
      h = await openLoginHarness({
        database,
        loginType,
        moreInstances: { OtherLogin: {} },
      })
    })
    afterAll(async () => h.close())

    describe('case 1: a callback without state', () => {
      it('is refused with a page, no call to WeChat and no session cookie', async () => {
        const { browser, callback } = await pendingCallback()
        for (const url of [withParam(callback, 'state', undefined), withParam(callback, 'state', '')]) {
          let response: Awaited<ReturnType<Browser['get']>> | undefined
          expect(
            await callsDuring(async () => {
              response = await browser.get(url)
            }),
          ).toEqual(NO_CALLS)
          expect(response!.statusCode).toBe(400)
          expect(response!.headers['content-type']).toBe('text/html; charset=utf-8')
          expect(response!.body).toContain('This sign-in link is not valid')
          expectNoSession(response!)
        }
        expect((await browser.session()).statusCode).toBe(401)
      })
    })

    describe('case 2: a valid state not bound to this browser', () => {
      it('is refused without the login cookie, and with another browser cookie, with no call to WeChat', async () => {
        const { browser, callback } = await pendingCallback()
        const cookieless = h.browser()
        const other = h.browser()
        await other.startLogin() // has a login cookie of its own
        for (const stranger of [cookieless, other]) {
          let response: Awaited<ReturnType<Browser['get']>> | undefined
          expect(
            await callsDuring(async () => {
              response = await stranger.get(callback)
            }),
          ).toEqual(NO_CALLS)
          expect(response!.statusCode).toBe(403)
          expect(response!.body).toContain('Please finish signing in where you started')
          expectNoSession(response!)
          expect((await stranger.session()).statusCode).toBe(401)
        }
        // The refusals did not spend the state: the browser that started the login still finishes it.
        const own = await browser.get(callback)
        expect(own.statusCode).toBe(302)
        expect((await browser.session()).statusCode).toBe(200)
      })

      it('refuses a state minted for another login Instance of the same app', async () => {
        const browser = h.browser()
        const { authorizeUrl } = await browser.startLogin()
        const callback = browser.authorize(authorizeUrl)
        const atOther = callback.replace('/SandboxLogin/callback', '/OtherLogin/callback')
        let response: Awaited<ReturnType<Browser['get']>> | undefined
        expect(
          await callsDuring(async () => {
            response = await browser.get(atOther)
          }),
        ).toEqual(NO_CALLS)
        expect(response!.statusCode).toBe(400)
        expectNoSession(response!)
      })

      it('refuses a state the server never issued, even with a real code and this browser cookie', async () => {
        const { browser, callback } = await pendingCallback()
        const issued = new URL(callback, 'http://x').searchParams.get('state')!
        // The issued state's selector with another secret, and a selector this server never made.
        for (const forgedState of [
          `${newStateSecret()}${issued.slice(43)}`,
          `${newStateSecret()}${'7'.repeat(32)}`,
        ]) {
          const forged = withParam(callback, 'state', forgedState)
          let response: Awaited<ReturnType<Browser['get']>> | undefined
          expect(
            await callsDuring(async () => {
              response = await browser.get(forged)
            }),
          ).toEqual(NO_CALLS)
          expect(response!.statusCode).toBe(400)
          expect(response!.body).toContain('This sign-in link is not valid')
          expectNoSession(response!)
        }
        // The issued state itself is still good.
        expect((await browser.get(callback)).statusCode).toBe(302)
      })
    })

    describe('case 4: an expired state', () => {
      it('is refused once the clock passes 10 minutes, with no call to WeChat', async () => {
        const { browser, callback } = await pendingCallback()
        h.clock.advance(STATE_TTL_MS + 1000)
        try {
          let response: Awaited<ReturnType<Browser['get']>> | undefined
          expect(
            await callsDuring(async () => {
              response = await browser.get(callback)
            }),
          ).toEqual(NO_CALLS)
          expect(response!.statusCode).toBe(400)
          expect(response!.body).toContain('This sign-in link has expired')
          expectNoSession(response!)
        } finally {
          h.clock.advance(-(STATE_TTL_MS + 1000))
        }
      })

      it('still works a moment before the 10 minutes are up', async () => {
        const { browser, callback } = await pendingCallback()
        h.clock.advance(STATE_TTL_MS - 5000)
        try {
          const response = await browser.get(callback)
          expect(response.statusCode).toBe(302)
        } finally {
          h.clock.advance(-(STATE_TTL_MS - 5000))
        }
      })
    })

    describe('case 5: malformed state or code', () => {
      const tenKilobytes = 'A'.repeat(10 * 1024)
      const badStates: Array<[string, string]> = [
        ['one character short', 'a'.repeat(42)],
        ['one character long', 'a'.repeat(44)],
        ['a dash', `${'a'.repeat(42)}-`],
        ['an underscore', `${'a'.repeat(42)}_`],
        ['non-ASCII', `${'a'.repeat(42)}é`],
        ['an emoji', `${'a'.repeat(41)}🙂`],
        ['a NUL', `${'a'.repeat(42)}\u0000`],
        ['10 KB', tenKilobytes],
        ['markup', `<script>alert(1)</script>${'a'.repeat(18)}`],
      ]
      const badCodes: Array<[string, string]> = [
        ['too short', 'abc'],
        ['10 KB', tenKilobytes],
        ['non-ASCII', `${'c'.repeat(31)}é`],
        ['quotes and markup', `"><img src=x>${'c'.repeat(20)}`],
        ['a space', `${'c'.repeat(16)} ${'c'.repeat(15)}`],
      ]

      it.each(badStates)('refuses a state with %s: 400, a page, no call to WeChat', async (_what, state) => {
        const { browser, callback } = await pendingCallback()
        let response: Awaited<ReturnType<Browser['get']>> | undefined
        expect(
          await callsDuring(async () => {
            response = await browser.get(withParam(callback, 'state', state))
          }),
        ).toEqual(NO_CALLS)
        expect(response!.statusCode).toBe(400)
        expect(response!.body).toContain('<h1>')
        expect(response!.body).not.toContain(state)
        expectNoSession(response!)
      })

      it.each(badCodes)('refuses a code %s: 400, a page, no call to WeChat', async (_what, code) => {
        const { browser, callback } = await pendingCallback()
        let response: Awaited<ReturnType<Browser['get']>> | undefined
        expect(
          await callsDuring(async () => {
            response = await browser.get(withParam(callback, 'code', code))
          }),
        ).toEqual(NO_CALLS)
        expect(response!.statusCode).toBe(400)
        expect(response!.body).not.toContain(code)
        expectNoSession(response!)
      })

      it('refuses repeated parameters, bad percent-escapes, invalid UTF-8 and a huge query with a 4xx, never a 500', async () => {
        const { browser, callback } = await pendingCallback()
        const url = new URL(callback, 'http://x')
        const code = url.searchParams.get('code')!
        const state = url.searchParams.get('state')!
        const variants = [
          `${CALLBACK_PATH}?code=${code}&state=${state}&state=${state}`,
          `${CALLBACK_PATH}?code=${code}&code=${code}&state=${state}`,
          `${CALLBACK_PATH}?code=${code}&state[]=${state}`,
          `${CALLBACK_PATH}?code=${code}&state=${state}%FF`,
          `${CALLBACK_PATH}?code=%E4%BD&state=${state}`,
          `${CALLBACK_PATH}?code=${code}&state=%ZZ${state}`,
          `${CALLBACK_PATH}?code=${code}&state=${state}&padding=${'x'.repeat(9000)}`,
        ]
        for (const variant of variants) {
          let response: Awaited<ReturnType<Browser['get']>> | undefined
          expect(
            await callsDuring(async () => {
              response = await browser.get(variant)
            }),
          ).toEqual(NO_CALLS)
          expect(response!.statusCode, variant.slice(0, 120)).toBeGreaterThanOrEqual(400)
          expect(response!.statusCode, variant.slice(0, 120)).toBeLessThan(500)
          expect(response!.body).not.toMatch(/\bat .+:\d+:\d+/)
          expect(response!.body).not.toContain(code)
          expect(response!.body).not.toContain(state)
        }
        // None of them spent the state.
        expect((await browser.get(callback)).statusCode).toBe(302)
      })

      it('answers malformed login starts with a 400 page and stores nothing', async () => {
        const browser = h.browser()
        for (const query of [
          '?redirectUrl=%2Fa&redirectUrl=%2Fb',
          `?redirectUrl=${'%2F'.repeat(1)}${'x'.repeat(3000)}`,
          '?redirectUrl=%FF',
          '?forcePopup=maybe',
        ]) {
          const response = await browser.get(`${LOGIN_PATH}${query}`)
          expect(response.statusCode, query.slice(0, 60)).toBe(400)
          expect(response.headers['content-type']).toBe('text/html; charset=utf-8')
          expect(response.headers.location).toBeUndefined()
        }
        const post = await browser.request('POST', LOGIN_PATH)
        expect(post.statusCode).toBe(405)
      })
    })

    describe('case 7: states and the authorize URL', () => {
      it('issues 10,000 unique, well-formed states over HTTP, none carrying the post-login target', async () => {
        const browser = h.browser()
        const seen = new Set<string>()
        const batch = 50
        for (let i = 0; i < 10_000; i += batch) {
          const responses = await Promise.all(
            Array.from({ length: batch }, () =>
              h.server.inject({ method: 'GET', url: `${LOGIN_PATH}?redirectUrl=%2Forders%2F42` }),
            ),
          )
          for (const response of responses) {
            const state = new URL(String(response.headers.location)).searchParams.get('state')!
            // A secret of 43 characters (256 bits), then the base-36 id of the state's row.
            expect(state).toMatch(/^[A-Za-z0-9]{43}[0-9a-f]{32}$/)
            seen.add(state)
          }
        }
        expect(seen.size).toBe(10_000)
        const secrets = new Set([...seen].map((state) => state.slice(0, 43)))
        expect(secrets.size).toBe(10_000)
        // Every character of the alphabet turns up in the secrets across 10,000.
        const alphabet = new Set([...secrets].join(''))
        expect(alphabet.size).toBe(62)
        expect(browser.cookies.size).toBe(0)
      })

      it("builds the authorize URL in WeChat's exact order, with the callback from the public URL, not the Host header", async () => {
        const response = await h.server.inject({
          method: 'GET',
          url: `${LOGIN_PATH}?redirectUrl=%2Forders%3Fid%3D7`,
          headers: { host: 'evil.example.net', 'x-forwarded-host': 'evil.example.net' },
        })
        expect(response.statusCode).toBe(302)
        const location = String(response.headers.location)
        const callback = encodeURIComponent(`${h.publicUrl}${CALLBACK_PATH}`)
        expect(location).toMatch(
          new RegExp(
            `^${escapeRegExp(h.sandbox.url)}/connect/oauth2/authorize\\?appid=${DEMO.appId}&redirect_uri=${escapeRegExp(callback)}&response_type=code&scope=snsapi_userinfo&state=[A-Za-z0-9]{43}[0-9a-f]{32}&connect_redirect=1#wechat_redirect$`,
          ),
        )
        expect(location).not.toContain('orders')
        expect(response.headers['cache-control']).toBe('no-store')
        expect(response.headers['referrer-policy']).toBe('no-referrer')
      })

      it('passes forcePopup on', async () => {
        const response = await h.server.inject({ method: 'GET', url: `${LOGIN_PATH}?forcePopup=true` })
        expect(String(response.headers.location)).toMatch(
          /&state=[A-Za-z0-9]{43}[0-9a-f]{32}&forcePopup=true&/,
        )
      })

      it('binds the state with an HttpOnly, SameSite=Lax cookie scoped to the API', async () => {
        const response = await h.server.inject({ method: 'GET', url: LOGIN_PATH })
        const cookie = response.cookies.find((c: { name: string }) => c.name === 'jit_login') as
          | Record<string, unknown>
          | undefined
        expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: API, maxAge: 600 })
        expect(cookie?.secure).toBeUndefined()
      })
    })

    function escapeRegExp(text: string): string {
      return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    }
  })
})
