/**
 * The login pages as a person sees them, in real Chromium at a phone width and a desktop width: the
 * words and buttons are on screen, nothing overflows sideways, and clicking through ends at the
 * callback with a code for the person picked. Screenshots go to JIT_SCREENSHOTS_DIR (default
 * test/.tmp/wecom-sandbox-screens).
 */
import fs from 'node:fs'
import path from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningWecomSandbox } from '../../types/auths/loginTypes/QywxInnerType/sandbox/index.ts'
import { launchChromium } from '../e2e/demo-server.ts'
import { APPS, CORP_ID, cgi, DEMO, tokenFor, useSandbox, WECOM_UA } from './helpers.ts'

const SHOTS = process.env.JIT_SCREENSHOTS_DIR ?? path.join('test', '.tmp', 'wecom-sandbox-screens')
const PHONE = { width: 390, height: 844 }
const DESKTOP = { width: 1280, height: 800 }

let sandbox: RunningWecomSandbox
useSandbox((started) => {
  sandbox = started
})
let browser: Browser
// The app's callback: a real server on a free loopback port (the fixture apps trust 127.0.0.1 on any port).
let callbackServer: FastifyInstance
let CALLBACK = ''
beforeAll(async () => {
  fs.mkdirSync(SHOTS, { recursive: true })
  browser = await launchChromium()
  callbackServer = Fastify({ logger: false })
  callbackServer.get('/auth/callback', async () => 'callback reached')
  await callbackServer.listen({ port: 0, host: '127.0.0.1' })
  const address = callbackServer.server.address()
  CALLBACK = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/auth/callback`
})
afterAll(async () => {
  await browser?.close()
  await callbackServer?.close()
})

async function openPage(viewport: { width: number; height: number }, userAgent?: string): Promise<Page> {
  const context = await browser.newContext({ viewport, userAgent, deviceScaleFactor: 1 })
  const page = await context.newPage()
  return page
}

/** Text and buttons inside the viewport's width; the page does not scroll sideways. */
async function expectFitsWidth(page: Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  expect(overflow).toBeLessThanOrEqual(0)
  for (const button of await page.locator('button').all()) {
    const box = await button.boundingBox()
    expect(box, await button.innerText()).not.toBeNull()
    expect(box!.x).toBeGreaterThanOrEqual(0)
    expect(box!.x + box!.width).toBeLessThanOrEqual(page.viewportSize()!.width)
  }
}

/** The browser reached the app's callback (the in-client link's #wechat_redirect fragment stays on). */
const atCallback = (url: URL) => url.href.startsWith(`${CALLBACK}?`)

const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true })

function webLoginUrl(agentid: number = DEMO.agentId, lang?: string): string {
  const query = new URLSearchParams({
    login_type: 'CorpApp',
    appid: CORP_ID,
    agentid: String(agentid),
    redirect_uri: CALLBACK,
    state: 'web1',
  })
  if (lang) query.set('lang', lang)
  return `${sandbox.loginBaseUrl}/wwlogin/sso/login?${query}`
}

function oauthUrl(scope: string, agentid: number = DEMO.agentId, redirectUri = CALLBACK): string {
  const query = new URLSearchParams({
    appid: CORP_ID,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope,
    state: 'ic1',
    agentid: String(agentid),
  })
  return `${sandbox.oauthBaseUrl}/connect/oauth2/authorize?${query}#wechat_redirect`
}

async function identityOf(url: string) {
  const code = new URL(url).searchParams.get('code')!
  return cgi(sandbox, 'auth/getuserinfo', { access_token: await tokenFor(sandbox), code })
}

describe('web login page in Chromium', () => {
  for (const [name, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    it(`${name}: QR code, picker and buttons on screen; picking a member and Log in ends at the callback`, async () => {
      const page = await openPage(viewport)
      await page.goto(webLoginUrl())
      await expect(page.getByText('使用企业微信扫码登录').isVisible()).resolves.toBe(true)
      const qr = page.locator('.qr img')
      expect(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true)
      await expectFitsWidth(page)
      await shot(page, `web-login-${name}`)
      await page.getByText('Emily Wang').click()
      await page.getByRole('button', { name: '确认登录 Log in' }).click()
      await page.waitForURL(atCallback)
      expect(await identityOf(page.url())).toMatchObject({ userid: 'Emily_Wang' })
      await page.context().close()
    })
  }

  it('English (lang=en) and the "无权限" page for a member outside the visible range', async () => {
    const page = await openPage(DESKTOP)
    await page.goto(webLoginUrl(APPS.salesOnly.agentId, 'en'))
    expect(await page.locator('html').getAttribute('lang')).toBe('en')
    await page.getByText('张伟').click()
    await page.getByRole('button', { name: '桌面端一键登录 · Desktop login' }).click()
    await expect(page.getByRole('heading', { name: '无权限' }).isVisible()).resolves.toBe(true)
    await expectFitsWidth(page)
    await shot(page, 'web-login-no-permission')
    await page.context().close()
  })
})

describe('in-client OAuth pages in Chromium (WeCom User-Agent)', () => {
  it('privateinfo consent sheet at phone width: fields, picker, Allow ends at the callback with a ticket', async () => {
    const page = await openPage(PHONE, WECOM_UA)
    await page.goto(oauthUrl('snsapi_privateinfo'))
    await expect(page.getByText('获取你的敏感信息').isVisible()).resolves.toBe(true)
    await expect(page.getByRole('button', { name: '允许 Allow' }).isVisible()).resolves.toBe(true)
    await expectFitsWidth(page)
    await shot(page, 'oauth-consent-phone')
    await page.getByText('李娜').click()
    await page.getByRole('button', { name: '允许 Allow' }).click()
    await page.waitForURL(atCallback)
    const identity = await identityOf(page.url())
    expect(identity.userid).toBe('lina')
    expect(identity.user_ticket).toBeDefined()
    await page.context().close()
  })

  it('the consent sheet at desktop width (the PC client) stays a centred sheet', async () => {
    const page = await openPage(DESKTOP, WECOM_UA)
    await page.goto(oauthUrl('snsapi_privateinfo'))
    const sheet = await page.locator('form.sheet').boundingBox()
    expect(sheet!.width).toBeLessThanOrEqual(520)
    await expectFitsWidth(page)
    await shot(page, 'oauth-consent-desktop')
    await page.context().close()
  })

  it('snsapi_base is silent: straight to the callback', async () => {
    const page = await openPage(PHONE, WECOM_UA)
    await page.goto(oauthUrl('snsapi_base'))
    await page.waitForURL(atCallback)
    expect((await identityOf(page.url())).userid).toBe('ZhangWei')
    await page.context().close()
  })

  it('error pages: untrusted domain, not in the client, visible range', async () => {
    const untrusted = await openPage(PHONE, WECOM_UA)
    await untrusted.goto(oauthUrl('snsapi_base', DEMO.agentId, 'https://evil.example/cb'))
    await expect(
      untrusted.getByRole('heading', { name: 'redirect_uri需使用应用可信域名' }).isVisible(),
    ).resolves.toBe(true)
    await expectFitsWidth(untrusted)
    await shot(untrusted, 'oauth-untrusted-domain')
    await untrusted.context().close()

    const desktop = await openPage(DESKTOP)
    await desktop.goto(oauthUrl('snsapi_base'))
    await expect(desktop.getByRole('heading', { name: '请在微信客户端打开链接' }).isVisible()).resolves.toBe(
      true,
    )
    await shot(desktop, 'oauth-open-in-client')
    await desktop.context().close()

    const outside = await openPage(PHONE, WECOM_UA)
    await outside.goto(oauthUrl('snsapi_privateinfo', APPS.salesOnly.agentId))
    await outside.getByRole('button', { name: '允许 Allow' }).click()
    await expect(outside.getByRole('heading', { name: '无权限' }).isVisible()).resolves.toBe(true)
    await shot(outside, 'oauth-no-permission')
    await outside.context().close()
  })
})
