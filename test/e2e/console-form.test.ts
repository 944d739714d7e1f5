import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type JitServer, REPO_ROOT, startJitServer } from '../helpers/jit-process.ts'
import { spawnGroup, startOnFreePort } from '../helpers/processes.ts'
import { appJson, writeTree } from '../helpers/temp-app.ts'
import { DESKTOP_VIEWPORT, launchChromium } from './demo-server.ts'

/**
 * The console's form is the Type's own config schema: an app of one Type whose schema has every shape
 * the form draws (text with metadata, an enum, an integer, a boolean, a list, a nested object with a
 * secret), created from the form in Chromium against a real `jit dev`.
 */

const STEP_TIMEOUT_MS = 20_000
const TEST_TIMEOUT_MS = 120_000
const HOOK_TOKEN = 'tok-3b9e1f7a2c5d8e0f4a6b'

const webhookType = `
import { defineType, secret, z } from 'jitlite'

export default defineType({
  config: z.object({
    url: z.string().url().meta({
      title: 'Webhook URL',
      description: 'Where each event is POSTed.',
      placeholder: 'https://hooks.example.com/orders',
    }),
    method: z.enum(['POST', 'PUT']).default('POST'),
    retries: z.int().min(0).max(5).default(2),
    enabled: z.boolean().default(true),
    events: z.array(z.string()).default([]),
    auth: z
      .object({
        user: z.string(),
        token: secret(z.string()),
      })
      .optional(),
  }),
  load: ({ config }) => ({ url: config.url }),
})
`

let browser: Browser
let page: Page
let server: JitServer
let appDir: string

beforeAll(async () => {
  appDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'jitlite-console-form-')), 'hooks')
  writeTree(appDir, {
    'app.json': appJson('hooks'),
    'notifiers/Meta/e.json': { title: 'Notifiers', type: '' },
    'notifiers/WebhookType/e.json': { title: 'Webhook', type: 'notifiers.Meta' },
    'notifiers/WebhookType/type.ts': webhookType,
  })
  const { WECHAT_APP_SECRET: _s, HOOK_TOKEN: _t, ...env } = process.env
  ;[browser, server] = await Promise.all([launchChromium(), startJitServer('dev', appDir, env)])
  page = await browser.newPage({ viewport: DESKTOP_VIEWPORT })
}, TEST_TIMEOUT_MS)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
  if (appDir) fs.rmSync(path.dirname(appDir), { recursive: true, force: true })
})

const field = (fieldPath: string) => page.locator(`.field[data-path="${fieldPath}"]`)
const input = (name: string) => page.locator(`[name="${name}"]`)

describe('the console form of a Type', () => {
  it(
    'draws each shape of the schema with its metadata and defaults, and writes what was filled in',
    async () => {
      await page.goto(`${server.url}/__jit/#/new`)
      await page.locator('.choice[data-value="notifiers"]').click({ timeout: STEP_TIMEOUT_MS })
      // The family's only Type is chosen for the user.
      await input('url').waitFor({ timeout: STEP_TIMEOUT_MS })

      // Title, description and placeholder from the schema's metadata; required marked.
      await expect(field('url').locator('.field-title').textContent()).resolves.toBe('Webhook URL')
      await expect(field('url').locator('.field-help').textContent()).resolves.toBe(
        'Where each event is POSTed.',
      )
      await expect(input('url').getAttribute('placeholder')).resolves.toBe('https://hooks.example.com/orders')
      expect(await field('url').locator('.required').count()).toBe(1)
      expect(await field('method').locator('.required').count()).toBe(0)
      // An enum is a select; defaults are prefilled.
      expect(await input('method').evaluate((node) => node.tagName)).toBe('SELECT')
      expect(await input('method').locator('option').allTextContents()).toEqual(['POST', 'PUT'])
      await expect(input('method').locator('option:checked').textContent()).resolves.toBe('POST')
      await expect(input('retries').inputValue()).resolves.toBe('2')
      await expect(input('enabled').isChecked()).resolves.toBe(true)
      // A nested object, with its secret as an environment reference.
      expect(await page.locator('fieldset.field-object[data-path="auth"]').count()).toBe(1)
      expect(await field('auth.user').locator('.required').count()).toBe(1)

      await input('name').fill('OrderHook')
      // Choosing again what is chosen keeps what was typed.
      await page.locator('.choice[data-value="notifiers.WebhookType"]').click()
      await page.locator('.choice[data-value="notifiers"]').click()
      await expect(input('name').inputValue()).resolves.toBe('OrderHook')
      await input('url').fill('https://hooks.example.com/orders')
      await input('method').selectOption({ label: 'PUT' })
      await field('events').getByRole('button', { name: 'Add item' }).click()
      await page.locator('[name="events[]"]').last().fill('order.paid')
      await field('events').getByRole('button', { name: 'Add item' }).click()
      await page.locator('[name="events[]"]').last().fill('order.refunded')
      await input('auth.user').fill('bot')
      await input('auth.token').fill('${HOOK_TOKEN}')
      await input('auth.token.__value').fill(HOOK_TOKEN)
      await page.locator('#create-instance').click()

      await page
        .locator('.tree-row[data-fullname="notifiers.OrderHook"][data-valid="true"]')
        .waitFor({ timeout: STEP_TIMEOUT_MS })
      const written = JSON.parse(
        fs.readFileSync(path.join(appDir, 'notifiers/OrderHook/OrderHook.json'), 'utf8'),
      )
      // Defaults left as they were are not written: the file stays what a person would write.
      expect(written).toEqual({
        url: 'https://hooks.example.com/orders',
        method: 'PUT',
        events: ['order.paid', 'order.refunded'],
        auth: { user: 'bot', token: '${HOOK_TOKEN}' },
      })
      expect(fs.readFileSync(path.join(appDir, '.env'), 'utf8')).toMatch(
        new RegExp(`^HOOK_TOKEN=${HOOK_TOKEN}$`, 'm'),
      )
      // The edit form shows the stored secret as set, and its value nowhere.
      await field('auth.token').locator('.badge-ok').waitFor({ timeout: STEP_TIMEOUT_MS })
      expect(await page.content()).not.toContain(HOOK_TOKEN)
    },
    TEST_TIMEOUT_MS,
  )

  it(
    'edits in the source view and shows an error the server finds in a list item on its field',
    async () => {
      await page.goto(`${server.url}/__jit/#/element/notifiers.OrderHook`)
      await input('url').waitFor({ timeout: STEP_TIMEOUT_MS })
      await page.getByRole('tab', { name: 'Source' }).click()
      const source = JSON.parse(await page.locator('#config-source').inputValue())
      expect(source.events).toEqual(['order.paid', 'order.refunded'])
      await page.locator('#config-source').fill(JSON.stringify({ ...source, retries: 9 }, null, 2))
      await page.getByRole('tab', { name: 'Form' }).click()
      await expect(input('retries').inputValue()).resolves.toBe('9')

      await page.locator('#review').click()
      // The diff may already refuse the config; else the save does.
      await page.locator('#save, .field.has-error').first().waitFor({ timeout: STEP_TIMEOUT_MS })
      if (await page.locator('#save').isVisible()) await page.locator('#save').click()
      const error = field('retries').locator('.field-error')
      await error.waitFor({ timeout: STEP_TIMEOUT_MS })
      expect(await error.textContent()).toMatch(/5/)
      await page.getByText('Nothing was saved').waitFor()
      expect(
        JSON.parse(fs.readFileSync(path.join(appDir, 'notifiers/OrderHook/OrderHook.json'), 'utf8')).retries,
      ).toBe(undefined)
    },
    TEST_TIMEOUT_MS,
  )
})

describe('the console of a jit dev that listens beyond loopback', () => {
  it(
    'says so in its header',
    async () => {
      const { HOST: _host, PUBLIC_URL: _publicUrl, ...env } = process.env
      const wide = await startOnFreePort((port) =>
        spawnGroup(process.execPath, [path.join(REPO_ROOT, 'bin', 'jit.mjs'), 'dev', appDir], {
          cwd: REPO_ROOT,
          env: { ...env, PORT: String(port), HOST: '0.0.0.0' },
        }),
      )
      try {
        await page.goto(`${wide.url}/__jit/`)
        await page.locator('body[data-ready="true"]').waitFor({ timeout: STEP_TIMEOUT_MS })
        const warning = page.locator('#bind-warning')
        expect(await warning.isVisible()).toBe(true)
        expect(await warning.textContent()).toContain('0.0.0.0')
      } finally {
        await wide.stop()
      }
      // Loopback, the default: no warning.
      await page.goto(`${server.url}/__jit/`)
      await page.locator('body[data-ready="true"]').waitFor({ timeout: STEP_TIMEOUT_MS })
      expect(await page.locator('#bind-warning').isVisible()).toBe(false)
    },
    TEST_TIMEOUT_MS,
  )
})
