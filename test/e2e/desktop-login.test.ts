import fs from 'node:fs'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeQrPng } from '../frontend/qr-decode.ts'
import {
  DESKTOP_VIEWPORT,
  type DemoServer,
  startDemoServer,
  USER_AGENTS,
  useChromium,
} from './demo-server.ts'

/**
 * Desktop sign-in by scanning (docs/security.md#case-18), in real Chromium: a desktop context shows
 * the demo's code; a second context with a WeChat User-Agent stands in for the phone, opens the
 * decoded link, consents at the sandbox and confirms; the desktop signs in without a reload. Saves
 * screenshots of the desktop's and the phone's states (see SCREENSHOTS_DIR).
 */

const STEP_TIMEOUT_MS = 20_000
const TEST_TIMEOUT_MS = 120_000
const ACTIONS = '/api/demo/wechatLogin/auths/loginTypes/MyWechatLogin'
const SESSION_PATH = '/api/demo/wechatLogin/auths/session'

const chromium = useChromium()
const { screenshot } = chromium
const phone = chromium.phoneInWechat

async function desktop(options: { withoutEventSource?: boolean } = {}): Promise<Page> {
  const context = await chromium.newContext({
    userAgent: USER_AGENTS.desktopChrome,
    viewport: DESKTOP_VIEWPORT,
  })
  // A browser (or a proxy) without server-sent events: the page falls back to polling.
  if (options.withoutEventSource)
    await context.addInitScript(() => Reflect.deleteProperty(window, 'EventSource'))
  return context.newPage()
}

/** The desktop's page once its code shows; counts its navigations (a reload would be one more). */
async function desktopShowingCode(demo: DemoServer, options?: { withoutEventSource?: boolean }) {
  const page = await desktop(options)
  let navigations = 0
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) navigations++
  })
  await page.goto(`${demo.url}/`)
  await page.locator('.qr svg').waitFor({ timeout: STEP_TIMEOUT_MS })
  await page.getByRole('status').filter({ hasText: 'Scan with WeChat' }).waitFor({ timeout: STEP_TIMEOUT_MS })
  const link = decodeQrPng(await page.locator('.qr').screenshot())
  expect(link).toMatch(new RegExp(`^${demo.url}${ACTIONS}/scan\\?t=[A-Za-z0-9]{43}[0-9a-f]{32}$`))
  return { page, link: link!, navigations: () => navigations }
}

/** The phone opens the link and allows at the sandbox: the confirmation page. */
async function phoneAtConfirmation(link: string, shoot = false): Promise<Page> {
  const page = await phone()
  await page.goto(link)
  const allow = page.getByRole('button', { name: '允许' })
  await allow.waitFor({ timeout: STEP_TIMEOUT_MS })
  await allow.click()
  await page.getByRole('heading', { name: 'Sign in on the computer?' }).waitFor({ timeout: STEP_TIMEOUT_MS })
  if (shoot) await screenshot(page, 'phone-confirm.png')
  return page
}

async function sessionStatus(page: Page, demo: DemoServer): Promise<number> {
  return (await page.context().request.get(`${demo.url}${SESSION_PATH}`)).status()
}

async function defaultNickname(demo: DemoServer): Promise<string> {
  const state = (await (await fetch(`${demo.url}/__sandbox/wechat/__admin/state`)).json()) as {
    defaultUser: string
    users: Array<{ key: string; nickname: string }>
  }
  return state.users.find((user) => user.key === state.defaultUser)!.nickname
}

describe('desktop sign-in by scanning with WeChat', () => {
  let demo: DemoServer
  beforeAll(async () => {
    demo = await startDemoServer()
  })
  afterAll(async () => {
    await demo?.close()
  })

  it(
    'the phone opens the code, consents and confirms; the desktop is signed in without a reload',
    async () => {
      const nickname = await defaultNickname(demo)
      const computer = await desktopShowingCode(demo)

      const handset = await phoneAtConfirmation(computer.link, true)
      expect(await handset.content()).toContain('Chrome on Windows')
      await computer.page
        .getByRole('status')
        .filter({ hasText: 'Scanned: confirm on your phone' })
        .waitFor({ timeout: STEP_TIMEOUT_MS })
      await screenshot(computer.page, 'desktop-scanned.png')

      await handset.getByRole('button', { name: 'Confirm' }).click()
      await handset
        .getByRole('heading', { name: 'You are signed in on the computer' })
        .waitFor({ timeout: STEP_TIMEOUT_MS })
      await screenshot(handset, 'phone-confirmed.png')

      await computer.page
        .getByRole('heading', { level: 1, name: nickname })
        .waitFor({ timeout: STEP_TIMEOUT_MS })
      expect(computer.navigations()).toBe(1)
      expect(await sessionStatus(computer.page, demo)).toBe(200)
      await screenshot(computer.page, 'desktop-signed-in.png')

      // The phone holds no session at all, so none of the desktop's.
      const desktopSession = (await computer.page.context().cookies()).find((c) => c.name === 'jit_session')
      expect(desktopSession).toBeDefined()
      const phoneCookies = await handset.context().cookies()
      expect(phoneCookies.map((c) => c.name)).not.toContain('jit_session')
      expect(phoneCookies.map((c) => c.value)).not.toContain(desktopSession!.value)
      expect(await sessionStatus(handset, demo)).toBe(401)
    },
    TEST_TIMEOUT_MS,
  )

  it(
    'Cancel on the phone leaves the desktop signed out, saying so, with a way to a new code',
    async () => {
      const computer = await desktopShowingCode(demo)
      const handset = await phoneAtConfirmation(computer.link)
      await handset.getByRole('button', { name: 'Cancel' }).click()
      await handset.getByRole('heading', { name: 'Sign-in cancelled' }).waitFor({ timeout: STEP_TIMEOUT_MS })
      await computer.page
        .getByRole('status')
        .filter({ hasText: 'Sign-in cancelled' })
        .waitFor({ timeout: STEP_TIMEOUT_MS })
      await computer.page.getByText('It was cancelled on the phone').waitFor()
      await screenshot(computer.page, 'desktop-cancelled.png')
      expect(await sessionStatus(computer.page, demo)).toBe(401)

      await computer.page.getByRole('button', { name: 'Show a new code' }).click()
      await computer.page
        .getByRole('status')
        .filter({ hasText: 'Scan with WeChat' })
        .waitFor({ timeout: STEP_TIMEOUT_MS })
      const fresh = decodeQrPng(await computer.page.locator('.qr').screenshot())
      expect(fresh).not.toBe(computer.link)
      expect(computer.navigations()).toBe(1)
    },
    TEST_TIMEOUT_MS,
  )

  it(
    'works by polling where the browser has no server-sent events',
    async () => {
      const nickname = await defaultNickname(demo)
      const computer = await desktopShowingCode(demo, { withoutEventSource: true })
      const handset = await phoneAtConfirmation(computer.link)
      await handset.getByRole('button', { name: 'Confirm' }).click()
      await computer.page
        .getByRole('heading', { level: 1, name: nickname })
        .waitFor({ timeout: STEP_TIMEOUT_MS })
      expect(computer.navigations()).toBe(1)
    },
    TEST_TIMEOUT_MS,
  )
})

describe('a code that expires', () => {
  let demo: DemoServer
  beforeAll(async () => {
    demo = await startDemoServer({
      edit: (appDir) => {
        const file = path.join(appDir, 'auths/loginTypes/MyWechatLogin/MyWechatLogin.json')
        const config = JSON.parse(fs.readFileSync(file, 'utf8'))
        fs.writeFileSync(file, JSON.stringify({ ...config, desktopLoginTtlSeconds: 5 }, null, 2))
      },
    })
  })
  afterAll(async () => {
    await demo?.close()
  })

  it(
    'is replaced on the page by a new one; the old link tells the phone it expired',
    async () => {
      const computer = await desktopShowingCode(demo)
      // The page swaps the code when the server says it expired (5 s here).
      await computer.page.waitForFunction(
        (first) => (document.querySelector('.qr') as HTMLElement | null)?.dataset.link !== first,
        computer.link,
        { timeout: STEP_TIMEOUT_MS },
      )
      await computer.page
        .getByRole('status')
        .filter({ hasText: 'Scan with WeChat' })
        .waitFor({ timeout: STEP_TIMEOUT_MS })
      const fresh = decodeQrPng(await computer.page.locator('.qr').screenshot())
      expect(fresh).toMatch(new RegExp(`^${demo.url}${ACTIONS}/scan\\?t=`))
      expect(fresh).not.toBe(computer.link)
      expect(computer.navigations()).toBe(1)

      const handset = await phone()
      await handset.goto(computer.link)
      await handset
        .getByRole('heading', { name: 'This code has expired' })
        .waitFor({ timeout: STEP_TIMEOUT_MS })
      await screenshot(handset, 'phone-expired.png')
      expect(await sessionStatus(computer.page, demo)).toBe(401)
    },
    TEST_TIMEOUT_MS,
  )
})
