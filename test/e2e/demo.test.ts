import fs from 'node:fs'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeQrPng } from '../frontend/qr-decode.ts'
import { type DemoServer, REPO_ROOT, startDemoServer, useChromium } from './demo-server.ts'

/**
 * The demo app in real Chromium, against the real server with the WeChat sandbox mounted: what a
 * user sees and clicks, from the page to the consent sheet and back. Saves a screenshot of each state
 * of the demo (see SCREENSHOTS_DIR; the README shows the ones committed in docs/screenshots/).
 */

const STEP_TIMEOUT_MS = 20_000
const TEST_TIMEOUT_MS = 90_000
const SCAN_PATH = '/api/demo/wechatLogin/auths/loginTypes/MyWechatLogin/scan'
const SESSION_PATH = '/api/demo/wechatLogin/auths/session'

const { phoneInWechat, desktop, screenshot } = useChromium()

/** What the session API says to this browser (its cookies). */
async function sessionStatus(page: Page, demo: DemoServer): Promise<number> {
  const res = await page.context().request.get(`${demo.url}${SESSION_PATH}`)
  return res.status()
}

async function defaultSandboxUser(demo: DemoServer): Promise<{ nickname: string }> {
  const state = (await (await fetch(`${demo.url}/__sandbox/wechat/__admin/state`)).json()) as {
    defaultUser: string
    users: Array<{ key: string; nickname: string }>
  }
  return state.users.find((user) => user.key === state.defaultUser)!
}

async function sandboxCounters(demo: DemoServer): Promise<Record<string, number>> {
  const res = await fetch(`${demo.url}/__sandbox/wechat/__admin/counters`)
  return (await res.json()) as Record<string, number>
}

function sandboxApp(name: string): { appid: string; secret: string } {
  const file = path.join(REPO_ROOT, 'types/auths/loginTypes/WechatPublicType/sandbox/fixtures.json')
  const fixtures = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    apps: Array<{ appid: string; secret: string; name: string }>
  }
  return fixtures.apps.find((app) => app.name === name)!
}

describe('inside WeChat (a WeChat User-Agent on a phone)', () => {
  let demo: DemoServer
  beforeAll(async () => {
    demo = await startDemoServer()
  })
  afterAll(async () => {
    await demo?.close()
  })

  it(
    'logs in through the consent sheet, shows the nickname and avatar from the session, and logs out',
    async () => {
      const user = await defaultSandboxUser(demo)
      const page = await phoneInWechat()
      await page.goto(`${demo.url}/`)
      const login = page.getByRole('button', { name: 'Log in with WeChat' })
      await login.waitFor({ timeout: STEP_TIMEOUT_MS })
      await screenshot(page, 'wechat-login.png')

      await login.click()
      const allow = page.getByRole('button', { name: '允许' })
      await allow.waitFor({ timeout: STEP_TIMEOUT_MS })
      expect(page.url()).toMatch(`${demo.url}/__sandbox/wechat/connect/oauth2/authorize?`)
      await screenshot(page, 'wechat-consent.png')

      await allow.click()
      const nickname = page.getByRole('heading', { level: 1, name: user.nickname })
      await nickname.waitFor({ timeout: STEP_TIMEOUT_MS })
      expect(new URL(page.url()).pathname).toBe('/')
      expect(new URL(page.url()).search).toBe('')
      const avatar = page.getByRole('img', { name: `${user.nickname}'s profile photo` })
      await avatar.waitFor({ timeout: STEP_TIMEOUT_MS })
      await page.waitForFunction(
        () => (document.querySelector('img.avatar') as HTMLImageElement | null)?.complete === true,
      )
      const avatarState = await avatar.evaluate((img: HTMLImageElement) => ({
        src: img.src,
        width: img.naturalWidth,
      }))
      expect(avatarState.src.startsWith(`${demo.url}/__sandbox/wechat/`)).toBe(true)
      expect(avatarState.width).toBeGreaterThan(0)
      expect(await sessionStatus(page, demo)).toBe(200)
      await screenshot(page, 'wechat-profile.png')

      await page.getByRole('button', { name: 'Log out' }).click()
      await login.waitFor({ timeout: STEP_TIMEOUT_MS })
      expect(await sessionStatus(page, demo)).toBe(401)
      await page.reload()
      await login.waitFor({ timeout: STEP_TIMEOUT_MS })
    },
    TEST_TIMEOUT_MS,
  )

  it(
    "Deny in today's WeChat leaves the user on WeChat's page and the app never hears of it",
    async () => {
      const page = await phoneInWechat()
      await page.goto(`${demo.url}/`)
      await page.getByRole('button', { name: 'Log in with WeChat' }).click()
      await page.getByRole('button', { name: '拒绝' }).click()
      await page.getByText('你已拒绝授权').waitFor({ timeout: STEP_TIMEOUT_MS })
      expect(page.url()).toContain('/__sandbox/wechat/')
      expect(await sessionStatus(page, demo)).toBe(401)
    },
    TEST_TIMEOUT_MS,
  )

  it(
    'Deny that comes back to the app (older WeChat) ends on the cancelled page, not logged in',
    async () => {
      await demo.sandboxAdmin('/switches', { denyMode: 'legacyRedirect' })
      try {
        const page = await phoneInWechat()
        await page.goto(`${demo.url}/`)
        await page.getByRole('button', { name: 'Log in with WeChat' }).click()
        const callback = page.waitForResponse((res) => new URL(res.url()).pathname.endsWith('/callback'))
        await page.getByRole('button', { name: '拒绝' }).click()
        expect((await callback).status()).toBe(403)
        await page.getByRole('heading', { name: 'Sign-in cancelled' }).waitFor({ timeout: STEP_TIMEOUT_MS })
        expect(await sessionStatus(page, demo)).toBe(401)
        await screenshot(page, 'login-cancelled.png')
      } finally {
        await demo.sandboxAdmin('/switches', { denyMode: 'stay' })
      }
    },
    TEST_TIMEOUT_MS,
  )
})

describe('an snsapi_base Instance', () => {
  let demo: DemoServer
  beforeAll(async () => {
    const silent = sandboxApp('jitlite Silent')
    demo = await startDemoServer({
      edit: (appDir) => {
        const file = path.join(appDir, 'auths/loginTypes/MyWechatLogin/MyWechatLogin.json')
        fs.writeFileSync(
          file,
          JSON.stringify({ appId: silent.appid, appSecret: silent.secret, scope: 'snsapi_base' }, null, 2),
        )
      },
    })
  })
  afterAll(async () => {
    await demo?.close()
  })

  it(
    'logs in silently: no consent sheet, no userinfo call, straight back to the page logged in',
    async () => {
      const page = await phoneInWechat()
      const authorizeAnswers: number[] = []
      page.on('response', (res) => {
        if (new URL(res.url()).pathname.endsWith('/connect/oauth2/authorize'))
          authorizeAnswers.push(res.status())
      })
      await page.goto(`${demo.url}/`)
      await page.getByText('We receive only an anonymous member ID').waitFor({ timeout: STEP_TIMEOUT_MS })
      await page.getByRole('button', { name: 'Log in with WeChat' }).click()
      await page.getByRole('button', { name: 'Log out' }).waitFor({ timeout: STEP_TIMEOUT_MS })
      expect(authorizeAnswers).toEqual([302])
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Tea Club member')
      await page.getByText('You were signed in silently').waitFor()
      expect(await sessionStatus(page, demo)).toBe(200)
      expect(await sandboxCounters(demo)).toMatchObject({ authorize: 1, access_token: 1, userinfo: 0 })
      await screenshot(page, 'wechat-silent-profile.png')
    },
    TEST_TIMEOUT_MS,
  )
})

describe('outside WeChat (a desktop browser)', () => {
  let demo: DemoServer
  beforeAll(async () => {
    demo = await startDemoServer()
  })
  afterAll(async () => {
    await demo?.close()
  })

  it(
    'shows a code to scan with WeChat that decodes to a sign-in link for this computer',
    async () => {
      const page = await desktop()
      await page.goto(`${demo.url}/`)
      await page
        .getByRole('heading', { name: 'Scan with WeChat to sign in here' })
        .waitFor({ timeout: STEP_TIMEOUT_MS })
      expect(await page.getByRole('button', { name: 'Log in with WeChat' }).count()).toBe(0)
      const qr = page.locator('.qr svg')
      await qr.waitFor({ timeout: STEP_TIMEOUT_MS })
      const link = decodeQrPng(await page.locator('.qr').screenshot())
      expect(link).toMatch(new RegExp(`^${demo.url}${SCAN_PATH}\\?t=[A-Za-z0-9]{43}[0-9a-f]{32}$`))
      await screenshot(page, 'desktop-qr.png')
    },
    TEST_TIMEOUT_MS,
  )

  it(
    'lets a developer continue in this browser through the sandbox, all the way to the profile',
    async () => {
      const user = await defaultSandboxUser(demo)
      const page = await desktop()
      await page.goto(`${demo.url}/`)
      await page.getByRole('link', { name: 'Continue in this browser' }).click()
      await page.getByRole('button', { name: '允许' }).click()
      await page.getByRole('heading', { level: 1, name: user.nickname }).waitFor({ timeout: STEP_TIMEOUT_MS })
      await screenshot(page, 'desktop-profile.png')
    },
    TEST_TIMEOUT_MS,
  )

  it(
    'tells a WeCom user that the login is for WeChat',
    async () => {
      const wecom =
        'Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/53.0.2785.116 Safari/537.36 NetType/WIFI MicroMessenger/7.0.20.1781(0x6700143B) WindowsWechat(0x63010200) wxwork/4.0.20 (MicroMessenger/6.2) WindowsWechat'
      const page = await desktop(wecom)
      await page.goto(`${demo.url}/`)
      await page.getByText("You're in WeCom").waitFor({ timeout: STEP_TIMEOUT_MS })
      expect(await page.locator('.qr svg').count()).toBe(1)
    },
    TEST_TIMEOUT_MS,
  )
})
