/**
 * The Type against the WeCom sandbox (types/auths/loginTypes/QywxInnerType/sandbox), each test
 * asserting the calls that reached it: the shared token under load, tokens WeCom expires (42001 or
 * 40014, by its clock), a used code, a non-member, and both entry points ending in a session.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  WECOM_SANDBOX_DEMO_APP as DEMO,
  type RunningWecomSandbox,
  startWecomSandbox,
} from '../../types/auths/loginTypes/QywxInnerType/sandbox/index.ts'
import { type FreshDatabase, freshPostgresDatabase } from '../helpers/postgres.ts'
import {
  DESKTOP_UA,
  MODEL,
  openWecomHarness,
  WECOM_UA,
  type WecomBrowser,
  type WecomHarness,
} from './helpers.ts'

let sandbox: RunningWecomSandbox
let h: WecomHarness
afterEach(() => {
  sandbox?.clearFaults()
  sandbox.resetCounters()
  sandbox.setSwitches({ expiredTokenErrcode: 42001 })
})

const count = (endpoint: Parameters<RunningWecomSandbox['calls']>[0]) => sandbox.calls(endpoint).length

/** The callback path WeCom sends the browser to after `person` signed in at the page `entry` named. */
function callbackFor(entry: URL, person: string): string {
  const common = {
    agentid: Number(entry.searchParams.get('agentid')),
    redirectUri: entry.searchParams.get('redirect_uri') ?? '',
    state: entry.searchParams.get('state') ?? '',
  }
  const url = new URL(
    entry.pathname.endsWith('/wwlogin/sso/login')
      ? sandbox.webLogin({ ...common, member: person })
      : sandbox.authorize({ ...common, scope: entry.searchParams.get('scope') ?? undefined, person }),
  )
  return `${url.pathname}${url.search}`
}

async function logIn(browser: WecomBrowser, person: string) {
  const entry = await browser.start()
  const callback = callbackFor(entry, person)
  return { entry, callback, response: await browser.get(callback) }
}

describe.each(['sqlite', 'postgres'] as const)(
  'against the WeCom sandbox, users and token on %s',
  (dialect) => {
    let postgres: FreshDatabase | undefined
    beforeAll(async () => {
      sandbox = await startWecomSandbox()
      postgres = dialect === 'postgres' ? await freshPostgresDatabase('wecom_type') : undefined
      h = await openWecomHarness(sandbox, {
        config: { corpId: DEMO.corpId, corpSecret: DEMO.corpSecret, agentId: DEMO.agentId },
        postgresUrl: postgres?.url,
      })
    })
    afterAll(async () => {
      await h.close()
      await sandbox.close()
      await postgres?.drop()
    })

    it('100 concurrent logins make one gettoken', async () => {
      const browsers = Array.from({ length: 100 }, () => h.browser())
      const callbacks = await Promise.all(
        browsers.map(async (browser, i) => callbackFor(await browser.start(), i % 2 ? 'lina' : 'zhangwei')),
      )
      sandbox.setLatency(300, 'gettoken')
      const responses = await Promise.all(browsers.map((browser, i) => browser.get(callbacks[i])))
      expect(responses.map((response) => response.statusCode)).toEqual(Array(100).fill(302))
      expect(count('gettoken')).toBe(1)
      expect(count('getuserinfo')).toBe(100)
      expect(count('user_get')).toBe(100)
    })

    it.each([42001, 40014] as const)(
      'a token WeCom says expired (%i, by its own clock) is fetched again once, and the login succeeds',
      async (errcode) => {
        sandbox.setSwitches({ expiredTokenErrcode: errcode })
        await logIn(h.browser(), 'lina')
        sandbox.resetCounters()
        // Past the token's 7200 s at WeCom; our cache still holds it, so the first call is refused.
        sandbox.clock.advance(7201)
        const browser = h.browser()
        const { response } = await logIn(browser, 'zhangwei')
        expect(response.statusCode).toBe(302)
        expect((await browser.session()).user?.profile).toMatchObject({ userId: 'ZhangWei' })
        expect(sandbox.calls().map((call) => [call.endpoint, call.errcode])).toEqual([
          ['getuserinfo', errcode],
          ['gettoken', 0],
          ['getuserinfo', 0],
          ['user_get', 0],
        ])
      },
    )

    it('a used code (40029) ends on the expired page after one exchange', async () => {
      const browser = h.browser()
      const entry = await browser.start()
      const callback = callbackFor(entry, 'lina')
      expect((await browser.get(callback)).statusCode).toBe(302)
      // The same code once more, from another browser's login (a second server, a prefetch).
      const other = h.browser()
      const otherEntry = await other.start()
      const reused = new URL(callback, 'http://x')
      reused.searchParams.set('state', otherEntry.searchParams.get('state') ?? '')
      sandbox.resetCounters()
      const response = await other.get(`${reused.pathname}${reused.search}`)
      expect(response.statusCode).toBe(400)
      expect(response.body).toContain('This sign-in link has expired')
      expect(sandbox.calls().map((call) => [call.endpoint, call.errcode])).toEqual([['getuserinfo', 40029]])
      expect((await other.session()).status).toBe(401)
    })

    it('a non-member signs in by openid in WeCom and is never matched to a member', async () => {
      const browser = h.browser(WECOM_UA)
      const { entry, response } = await logIn(browser, 'guest')
      expect(entry.pathname).toBe('/connect/oauth2/authorize')
      expect(response.statusCode).toBe(302)
      const user = (await browser.session()).user
      expect(user?.profile).toMatchObject({ kind: 'non_member', openid: expect.stringMatching(/^o/) })
      expect(count('getuserinfo')).toBe(1)
      expect(count('user_get')).toBe(0)
      const rows = (await h.app.getElement(MODEL).query({ size: 100 })).rowDatas as Array<
        Record<string, unknown>
      >
      const row = rows.find((r) => String(r.id) === user?.userKey)
      expect(row).toMatchObject({ memberKey: null, userId: null })
      expect(rows.filter((r) => r.openid === row?.openid)).toHaveLength(1)
    })

    it('the desktop web login page and the in-client OAuth both end in a session, as the same member', async () => {
      const desktop = h.browser(DESKTOP_UA)
      const web = await logIn(desktop, 'emily')
      expect(web.entry.pathname).toBe('/wwlogin/sso/login')
      const inClient = h.browser(WECOM_UA)
      const oauth = await logIn(inClient, 'emily')
      expect(oauth.entry.pathname).toBe('/connect/oauth2/authorize')
      const [a, b] = [await desktop.session(), await inClient.session()]
      expect(a.status).toBe(200)
      expect(b.status).toBe(200)
      expect(a.user?.userKey).toBe(b.user?.userKey)
      expect(a.user?.profile).toMatchObject({ kind: 'member', userId: 'Emily_Wang' })
      expect(count('getuserinfo')).toBe(2)
    })
  },
)
