import fs from 'node:fs'
import path from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runJit } from '../helpers/jit-process.ts'
import { type ConsoleApp, LOGIN_FOLDER, LOGIN_INSTANCE, startConsoleApp } from './console-app.ts'
import { DESKTOP_VIEWPORT, launchChromium, REPO_ROOT, SCREENSHOTS_DIR, USER_AGENTS } from './demo-server.ts'

/**
 * The development console in real Chromium against a real `jit dev` process: an app with no login
 * Instance gets one from the form, the secret as an environment reference with its value in `.env`,
 * and a user logs in through it against the WeChat sandbox. The tests run in order: each starts where
 * the one before left the app. Saves screenshots of the console beside the demo's (see SCREENSHOTS_DIR).
 */

const STEP_TIMEOUT_MS = 20_000
const TEST_TIMEOUT_MS = 120_000
const WECHAT_TYPE = 'auths.loginTypes.WechatPublicType'
const SESSION_PATH = '/api/demo/wechatLogin/auths/session'

const fixtures = JSON.parse(
  fs.readFileSync(
    path.join(REPO_ROOT, 'types/auths/loginTypes/WechatPublicType/sandbox/fixtures.json'),
    'utf8',
  ),
) as { apps: Array<{ appid: string; secret: string; name: string }> }
const DEMO = fixtures.apps.find((app) => app.name === 'jitlite Demo')!
/** Well-formed, and not the account's secret: the sandbox answers 40125 as WeChat does. */
const WRONG_SECRET = 'a'.repeat(32)

let browser: Browser
let context: BrowserContext
let page: Page
let jit: ConsoleApp

beforeAll(async () => {
  fs.mkdirSync(SCREENSHOTS_DIR, { recursive: true })
  ;[browser, jit] = await Promise.all([launchChromium(), startConsoleApp()])
  context = await browser.newContext({ viewport: DESKTOP_VIEWPORT, locale: 'en-GB' })
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: jit.server.url })
  page = await context.newPage()
}, TEST_TIMEOUT_MS)

afterAll(async () => {
  await context?.close()
  await browser?.close()
  await jit?.close()
})

async function screenshot(name: string): Promise<void> {
  await page.evaluate(() => document.fonts.ready)
  // A toast from the step before is not part of the picture.
  await page.locator('#toast').evaluate((toast) => {
    ;(toast as HTMLElement).hidden = true
  })
  await page.screenshot({ path: path.join(SCREENSHOTS_DIR, name) })
}

async function openConsole(hash = ''): Promise<void> {
  await page.goto(`${jit.server.url}/__jit/${hash}`)
  await page.locator('body[data-ready="true"]').waitFor({ timeout: STEP_TIMEOUT_MS })
}

const field = (path: string) => page.locator(`.field[data-path="${path}"]`)
const input = (name: string) => page.locator(`[name="${name}"]`)
const treeRow = (fullName: string) => page.locator(`.tree-row[data-fullname="${fullName}"]`)
const instanceDir = () => path.join(jit.appDir, LOGIN_FOLDER)
const configFile = () => path.join(instanceDir(), 'MyWechatLogin.json')
const envFile = () => path.join(jit.appDir, '.env')

/** The create form, family and Type chosen, the name and the appId typed. */
async function openCreateForm(appId: string): Promise<void> {
  await openConsole('#/new')
  await page.locator('.choice[data-value="auths.loginTypes"]').click()
  await page.locator(`.choice[data-value="${WECHAT_TYPE}"]`).click()
  await input('name').fill('MyWechatLogin')
  await input('appId').fill(appId)
  await expect(input('appSecret').inputValue()).resolves.toMatch(/^\$\{[A-Z_]+\}$/)
  await input('appSecret').fill('${WECHAT_APP_SECRET}')
}

describe('the development console (jit dev, Chromium)', () => {
  it(
    'shows the app without a login Instance, and refuses a wrong value on its field, writing nothing',
    async () => {
      await openConsole()
      // The framework's families are folded: the rows are there, out of sight.
      await treeRow(WECHAT_TYPE).waitFor({ state: 'attached', timeout: STEP_TIMEOUT_MS })
      expect(await treeRow(LOGIN_INSTANCE).count()).toBe(0)
      // The official Type comes from the framework app: inherited.
      await expect(treeRow(WECHAT_TYPE).locator('.badge-inherited').textContent()).resolves.toBe('inherited')

      await openCreateForm('wx123')
      await input('appSecret.__value').fill(DEMO.secret)
      await page.locator('#create-instance').click()

      const appIdError = field('appId').locator('.field-error')
      await appIdError.waitFor({ timeout: STEP_TIMEOUT_MS })
      expect(await appIdError.textContent()).toMatch(/AppID/)
      await page.getByText('Nothing was written').waitFor()
      expect(fs.existsSync(instanceDir())).toBe(false)
      expect(fs.existsSync(envFile())).toBe(false)
      expect(await page.content()).not.toContain(DEMO.secret)
      await screenshot('console-create-errors.png')
    },
    TEST_TIMEOUT_MS,
  )

  it(
    '"Test connection" reports a wrong secret, then success, and never shows the secret',
    async () => {
      await input('appId').fill(DEMO.appid)
      // Editing a field takes its error away, and the form's "Nothing was written" with it.
      expect(await field('appId').locator('.field-error').isVisible()).toBe(false)
      expect(await page.getByText('Nothing was written').count()).toBe(0)
      await input('appSecret.__value').fill(WRONG_SECRET)
      await page.locator('#test-connection').click({ timeout: STEP_TIMEOUT_MS })
      const result = page.locator('.check-result .notice')
      await page.locator('.check-result .notice-error').waitFor({ timeout: STEP_TIMEOUT_MS })
      expect(await result.textContent()).toMatch(/secret/i)
      expect(await result.textContent()).toContain('40125')

      await input('appSecret.__value').fill(DEMO.secret)
      await page.locator('#test-connection').click()
      await page.locator('.check-result .notice-ok').waitFor({ timeout: STEP_TIMEOUT_MS })
      await page.locator('.check-card').evaluate((card) => card.scrollIntoView({ block: 'center' }))
      const content = await page.content()
      expect(content).not.toContain(DEMO.secret)
      expect(content).not.toContain(WRONG_SECRET)
      expect(fs.existsSync(instanceDir())).toBe(false)
      await screenshot('console-test-connection.png')
    },
    TEST_TIMEOUT_MS,
  )

  it(
    'creates MyWechatLogin with the secret as an env reference; the tree shows it valid',
    async () => {
      await input('appId').fill(DEMO.appid)
      await input('appSecret').fill('${WECHAT_APP_SECRET}')
      await input('appSecret.__value').fill(DEMO.secret)
      await page.locator('#create-instance').click()
      await page.waitForURL(`**/__jit/#/element/${encodeURIComponent(LOGIN_INSTANCE)}`, {
        timeout: STEP_TIMEOUT_MS,
      })
      await page.locator(`.tree-row[data-fullname="${LOGIN_INSTANCE}"][data-valid="true"]`).waitFor({
        timeout: STEP_TIMEOUT_MS,
      })

      const written = JSON.parse(fs.readFileSync(configFile(), 'utf8')) as Record<string, unknown>
      expect(written.appId).toBe(DEMO.appid)
      expect(written.appSecret).toBe('${WECHAT_APP_SECRET}')
      expect(JSON.parse(fs.readFileSync(path.join(instanceDir(), 'e.json'), 'utf8')).type).toBe(WECHAT_TYPE)
      expect(fs.readFileSync(configFile(), 'utf8')).not.toContain(DEMO.secret)
      expect(fs.readFileSync(envFile(), 'utf8')).toMatch(
        new RegExp(`^WECHAT_APP_SECRET=${DEMO.secret}$`, 'm'),
      )
      expect(fs.statSync(envFile()).mode & 0o777).toBe(0o600)

      // The Type's help names this Instance's callback URL, ready to copy into WeChat's backend.
      const callback = page.locator('.help-items dd', { hasText: '/callback' })
      const callbackUrl = `${jit.server.url}/api/demo/wechatLogin/auths/loginTypes/MyWechatLogin/callback`
      await expect(callback.locator('.help-value').textContent()).resolves.toBe(callbackUrl)
      await callback.getByRole('button', { name: /^Copy/ }).click()
      await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(callbackUrl)

      // The stored secret is shown as set, never echoed.
      await field('appSecret').locator('.badge-ok').waitFor({ timeout: STEP_TIMEOUT_MS })
      expect(await input('appSecret.__value').inputValue()).toBe('')
      expect(await page.content()).not.toContain(DEMO.secret)
      await screenshot('console-tree.png')
    },
    TEST_TIMEOUT_MS,
  )

  it(
    'logs a user in through the Instance it created, against the WeChat sandbox',
    async () => {
      const sandbox = (await (await fetch(`${jit.server.url}/__sandbox/wechat/__admin/state`)).json()) as {
        defaultUser: string
        users: Array<{ key: string; nickname: string }>
      }
      const nickname = sandbox.users.find((user) => user.key === sandbox.defaultUser)!.nickname
      const visitor = await browser.newContext({
        userAgent: USER_AGENTS.desktopChrome,
        viewport: DESKTOP_VIEWPORT,
      })
      try {
        const user = await visitor.newPage()
        await user.goto(`${jit.server.url}/`)
        await user.getByRole('link', { name: 'Continue in this browser' }).click({ timeout: STEP_TIMEOUT_MS })
        await user.getByRole('button', { name: '允许' }).click({ timeout: STEP_TIMEOUT_MS })
        await user.getByRole('heading', { level: 1, name: nickname }).waitFor({ timeout: STEP_TIMEOUT_MS })
        expect((await visitor.request.get(`${jit.server.url}${SESSION_PATH}`)).status()).toBe(200)
      } finally {
        await visitor.close()
      }
    },
    TEST_TIMEOUT_MS,
  )

  it(
    'follows the disk: a mistake made in an editor shows as a problem with its place and code, and its fix clears it',
    async () => {
      await openConsole(`#/element/${encodeURIComponent(LOGIN_INSTANCE)}`)
      const good = fs.readFileSync(configFile(), 'utf8')
      const written = JSON.parse(good) as Record<string, unknown>
      fs.writeFileSync(
        configFile(),
        `${JSON.stringify({ ...written, scope: 'snsapi_everything' }, null, 2)}\n`,
      )

      // No reload of the page: the server's event brings the tree and the problem.
      await page
        .locator(`.tree-row[data-fullname="${LOGIN_INSTANCE}"][data-valid="false"]`)
        .waitFor({ timeout: STEP_TIMEOUT_MS })
      const problem = page.locator('.problems .problem')
      await problem.waitFor({ timeout: STEP_TIMEOUT_MS })
      expect(await problem.locator('.problem-place').textContent()).toContain('MyWechatLogin.json')
      await expect(problem.locator('.problem-field').textContent()).resolves.toBe('scope')
      expect(await problem.locator('.problem-message').textContent()).toMatch(/snsapi_userinfo/)
      await expect(problem.locator('.badge-error').textContent()).resolves.toBe('JIT_CONFIG_INVALID')

      fs.writeFileSync(configFile(), good)
      await page
        .locator(`.tree-row[data-fullname="${LOGIN_INSTANCE}"][data-valid="true"]`)
        .waitFor({ timeout: STEP_TIMEOUT_MS })
      await expect.poll(() => problem.count(), { timeout: STEP_TIMEOUT_MS }).toBe(0)
    },
    TEST_TIMEOUT_MS,
  )

  it(
    'shows the diff before saving, saves, and undoes the save',
    async () => {
      await openConsole(`#/element/${encodeURIComponent(LOGIN_INSTANCE)}`)
      await input('state').fill('from_the_console')
      await page.locator('#review').click()
      const diff = page.locator('.diff-file[data-file="MyWechatLogin.json"]')
      await diff.waitFor({ timeout: STEP_TIMEOUT_MS })
      expect(await diff.locator('.diff-add').allTextContents()).toContainEqual(
        expect.stringContaining('from_the_console'),
      )
      expect(fs.readFileSync(configFile(), 'utf8')).not.toContain('from_the_console')
      await screenshot('console-diff.png')

      await page.locator('#save').click()
      await page.locator('#undo').waitFor({ timeout: STEP_TIMEOUT_MS })
      expect(JSON.parse(fs.readFileSync(configFile(), 'utf8')).state).toBe('from_the_console')

      await page.locator('#undo').click()
      await expect
        .poll(() => fs.readFileSync(configFile(), 'utf8'), { timeout: STEP_TIMEOUT_MS })
        .not.toContain('from_the_console')
      await expect.poll(() => input('state').inputValue(), { timeout: STEP_TIMEOUT_MS }).toBe('')
    },
    TEST_TIMEOUT_MS,
  )

  it(
    'detects at save an edit made on disk while the form was open, and reloads what is on disk',
    async () => {
      await openConsole(`#/element/${encodeURIComponent(LOGIN_INSTANCE)}`)
      await input('state').fill('typed_in_the_form')
      const onDisk = JSON.parse(fs.readFileSync(configFile(), 'utf8')) as Record<string, unknown>
      fs.writeFileSync(configFile(), `${JSON.stringify({ ...onDisk, state: 'edited_on_disk' }, null, 2)}\n`)

      await page.locator('#review').click()
      await page.locator('#save').click({ timeout: STEP_TIMEOUT_MS })
      const changed = page.getByText('The files changed on disk since this form loaded them')
      await changed.waitFor({ timeout: STEP_TIMEOUT_MS })
      expect(JSON.parse(fs.readFileSync(configFile(), 'utf8')).state).toBe('edited_on_disk')

      await page.locator('#reload').click()
      await expect
        .poll(() => input('state').inputValue(), { timeout: STEP_TIMEOUT_MS })
        .toBe('edited_on_disk')
      expect(await changed.count()).toBe(0)
    },
    TEST_TIMEOUT_MS,
  )

  it(
    'overrides WechatPublicType in the app with a folder that jit check accepts',
    async () => {
      await openConsole(`#/element/${encodeURIComponent(WECHAT_TYPE)}`)
      // An inherited element's files can be read here, not edited.
      const eJson = page.locator('.files-card .diff-file[data-file="e.json"]')
      await eJson.waitFor({ timeout: STEP_TIMEOUT_MS })
      expect(await eJson.textContent()).toContain('"type": "auths.loginTypes.Meta"')
      await page.locator('#override').click()
      await page.getByText('Override written').waitFor({ timeout: STEP_TIMEOUT_MS })
      const typeFile = path.join(jit.appDir, 'auths', 'loginTypes', 'WechatPublicType', 'type.ts')
      expect(fs.existsSync(typeFile)).toBe(true)
      await page.locator(`.tree-row[data-fullname="${WECHAT_TYPE}"] .badge-overriding`).waitFor({
        timeout: STEP_TIMEOUT_MS,
      })

      // MyWechatLogin's secret is in the app's .env, which jit check reads as jit dev does.
      const { WECHAT_APP_SECRET: _secret, ...env } = process.env
      const check = await runJit(['check', jit.appDir], { env })
      expect(check.output).toMatch(/no problems/)
      expect(check.code).toBe(0)
    },
    TEST_TIMEOUT_MS,
  )

  it(
    'deletes an Instance to the trash after a confirmation, and restores it',
    async () => {
      await openConsole(`#/element/${encodeURIComponent(LOGIN_INSTANCE)}`)
      await page.locator('#delete').click()
      await page.locator('#confirm-ok').click()
      await page.waitForURL('**/__jit/#/trash', { timeout: STEP_TIMEOUT_MS })
      expect(fs.existsSync(instanceDir())).toBe(false)
      const entry = page.locator('.trash-entry', { hasText: LOGIN_INSTANCE })
      await entry.waitFor({ timeout: STEP_TIMEOUT_MS })

      await entry.getByRole('button', { name: 'Restore' }).click()
      await page.locator(`.tree-row[data-fullname="${LOGIN_INSTANCE}"][data-valid="true"]`).waitFor({
        timeout: STEP_TIMEOUT_MS,
      })
      expect(JSON.parse(fs.readFileSync(configFile(), 'utf8')).appId).toBe(DEMO.appid)
    },
    TEST_TIMEOUT_MS,
  )
})
