import type { Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  DESKTOP_VIEWPORT,
  type DemoServer,
  PHONE_VIEWPORT,
  startDemoServer,
  USER_AGENTS,
  useChromium,
} from './demo-server.ts'

/**
 * The demo's staff sign-in in real Chromium, against the real server with the WeCom sandbox mounted:
 * a desktop browser through the sandbox's web login page, a WeCom User-Agent through the in-client
 * OAuth with its consent sheet. Saves screenshots (see SCREENSHOTS_DIR) for the README.
 */

const STEP_TIMEOUT_MS = 20_000
const TEST_TIMEOUT_MS = 90_000
const SESSION_PATH = '/api/demo/wechatLogin/auths/session'
const WECOM_IOS =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 wxwork/4.1.30 MicroMessenger/7.0.1 Language/zh ColorScheme/Light wwmver/3.26.13.714'

const { newPage, screenshot } = useChromium()
let demo: DemoServer

beforeAll(async () => {
  demo = await startDemoServer()
})
afterAll(async () => {
  await demo?.close()
})
afterEach(async () => {
  await fetch(`${demo.url}/__sandbox/wecom/__admin/counters/reset`, { method: 'POST' })
})

async function sandboxCalls(): Promise<Record<string, number>> {
  return (await (await fetch(`${demo.url}/__sandbox/wecom/__admin/counters`)).json()) as Record<
    string,
    number
  >
}

async function session(page: Page): Promise<{ status: number; user?: Record<string, any> }> {
  const res = await page.context().request.get(`${demo.url}${SESSION_PATH}`)
  return { status: res.status(), user: res.ok() ? (await res.json()).data?.user : undefined }
}

describe('staff sign-in with WeCom', () => {
  it(
    'a desktop browser signs in through the web login page and lands on its profile',
    async () => {
      const page = await newPage({ userAgent: USER_AGENTS.desktopChrome, viewport: DESKTOP_VIEWPORT })
      await page.goto(`${demo.url}/`)
      const staff = page.getByRole('button', { name: 'Staff sign-in with WeCom' })
      await staff.waitFor({ timeout: STEP_TIMEOUT_MS })
      await screenshot(page, 'wecom-desktop-start.png')

      await staff.click()
      const confirm = page.getByRole('button', { name: '确认登录 Log in' })
      await confirm.waitFor({ timeout: STEP_TIMEOUT_MS })
      expect(page.url()).toMatch(`${demo.url}/__sandbox/wecom/wwlogin/sso/login?login_type=CorpApp&`)
      await screenshot(page, 'wecom-web-login.png')

      await confirm.click()
      await page.getByText('Signed in with WeCom').waitFor({ timeout: STEP_TIMEOUT_MS })
      expect(new URL(page.url()).pathname).toBe('/')
      const signedIn = await session(page)
      expect(signedIn.status).toBe(200)
      expect(signedIn.user).toMatchObject({
        loginType: 'auths.loginTypes.StaffLogin',
        profile: { kind: 'member', corpId: 'wwefc6edd10b62a340' },
      })
      const name = signedIn.user?.displayName as string
      await page.getByRole('heading', { level: 1, name }).waitFor({ timeout: STEP_TIMEOUT_MS })
      await screenshot(page, 'wecom-desktop-profile.png')
      // One gettoken, one code exchange, one profile; the web login never yields a user_ticket.
      const calls = await sandboxCalls()
      expect(calls).toMatchObject({
        web_login: expect.any(Number),
        gettoken: 1,
        getuserinfo: 1,
        user_get: 1,
        getuserdetail: 0,
      })
    },
    TEST_TIMEOUT_MS,
  )

  it(
    'a WeCom User-Agent signs in through the in-client OAuth and its consent sheet',
    async () => {
      const page = await newPage({
        userAgent: WECOM_IOS,
        viewport: PHONE_VIEWPORT,
        deviceScaleFactor: 2,
        isMobile: true,
        hasTouch: true,
      })
      await page.goto(`${demo.url}/`)
      const staff = page.getByRole('button', { name: 'Staff sign-in with WeCom' })
      await staff.waitFor({ timeout: STEP_TIMEOUT_MS })
      await screenshot(page, 'wecom-login.png')
      await staff.click()
      const allow = page.getByRole('button', { name: '允许 Allow' })
      await allow.waitFor({ timeout: STEP_TIMEOUT_MS })
      expect(page.url()).toMatch(`${demo.url}/__sandbox/wecom/connect/oauth2/authorize?`)
      expect(new URL(page.url()).searchParams.get('scope')).toBe('snsapi_privateinfo')
      await screenshot(page, 'wecom-consent.png')

      await allow.click()
      await page.getByText('Signed in with WeCom').waitFor({ timeout: STEP_TIMEOUT_MS })
      const signedIn = await session(page)
      expect(signedIn.status).toBe(200)
      expect(signedIn.user).toMatchObject({
        loginType: 'auths.loginTypes.StaffLogin',
        profile: { kind: 'member' },
      })
      await screenshot(page, 'wecom-profile.png')
      // The consent yields a user_ticket: its sensitive fields are read once.
      expect(await sandboxCalls()).toMatchObject({ getuserinfo: 1, getuserdetail: 1, user_get: 1 })
    },
    TEST_TIMEOUT_MS,
  )
})
