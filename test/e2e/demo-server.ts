import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { sandboxOverrides } from '../../runtime/http/sandboxes.ts'
import { buildServer } from '../../runtime/http/server.ts'
import { createApp, type JitApp } from '../../runtime/index.ts'
import { memoryLogger } from '../../runtime/log.ts'
import { freePort } from '../helpers/free-port.ts'

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
/**
 * Where the e2e run saves a screenshot of each state of the demo. test/.tmp/screenshots by default, so
 * that a test run leaves the checkout clean (the QR code holds the run's port); refresh the committed
 * ones with `JIT_SCREENSHOTS_DIR=docs/screenshots npx vitest run test/e2e`.
 */
export const SCREENSHOTS_DIR = path.resolve(
  REPO_ROOT,
  process.env.JIT_SCREENSHOTS_DIR || path.join('test', '.tmp', 'screenshots'),
)

/** Real User-Agents (docs/wechat-protocol.md#browsers). */
export const USER_AGENTS = {
  wechatIos:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.42(0x18002a2d) NetType/WIFI Language/en',
  desktopChrome:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
} as const

export const PHONE_VIEWPORT = { width: 390, height: 844 }
export const DESKTOP_VIEWPORT = { width: 1280, height: 800 }

export interface DemoServer {
  readonly url: string
  readonly appDir: string
  readonly app: JitApp
  readonly server: FastifyInstance
  readonly log: ReturnType<typeof memoryLogger>
  /** POSTs JSON to the WeChat sandbox's admin API. */
  sandboxAdmin(route: string, body?: unknown): Promise<unknown>
  close(): Promise<void>
}

export interface DemoServerOptions {
  /** Changes the copy of the app before it loads (another scope, another account). */
  edit?: (appDir: string) => void
  /** Environment variables over the process's. */
  env?: Record<string, string>
}

/**
 * The demo app as `jit dev` serves it (WeChat sandbox mounted, the login Instance pointed at it), from
 * a copy of `app/` in a temp folder with its own database, on a free loopback port.
 */
export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const appDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jitlite-e2e-'))
  fs.cpSync(path.join(REPO_ROOT, 'app'), appDir, {
    recursive: true,
    filter: (source) => !/(?:^|[\\/])(?:data|\.jitlite)(?:[\\/]|$)/.test(path.relative(REPO_ROOT, source)),
  })
  options.edit?.(appDir)
  const { url, log, app, server } = await listenOnFreePort(appDir, options)
  return {
    url,
    appDir,
    app,
    server,
    log,
    async sandboxAdmin(route, body) {
      const response = await fetch(`${url}/__sandbox/wechat/__admin${route}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body ?? {}),
      })
      if (!response.ok) throw new Error(`sandbox admin ${route}: ${response.status} ${await response.text()}`)
      return response.json()
    },
    async close() {
      await server.close()
      await app.close()
      fs.rmSync(appDir, { recursive: true, force: true })
    },
  }
}

/** Debian's Chromium, headless. Missing Chromium fails the run: the browser tests never skip. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/**
 * One Chromium for a test file (launched before its tests, closed after) and a context per page,
 * closed after each test: the pages a browser test opens, as a desktop or as a phone in WeChat.
 */
export function useChromium() {
  let browser: Browser
  const contexts: BrowserContext[] = []
  beforeAll(async () => {
    browser = await launchChromium()
    fs.mkdirSync(SCREENSHOTS_DIR, { recursive: true })
  })
  afterAll(async () => {
    await browser?.close()
  })
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close()
  })
  const newContext = async (options: Parameters<Browser['newContext']>[0]): Promise<BrowserContext> => {
    const context = await browser.newContext({ locale: 'en-GB', ...options })
    contexts.push(context)
    return context
  }
  const newPage = async (options: Parameters<Browser['newContext']>[0]): Promise<Page> =>
    (await newContext(options)).newPage()
  return {
    newContext,
    newPage,
    phoneInWechat: () =>
      newPage({
        userAgent: USER_AGENTS.wechatIos,
        viewport: PHONE_VIEWPORT,
        deviceScaleFactor: 2,
        isMobile: true,
        hasTouch: true,
      }),
    desktop: (userAgent: string = USER_AGENTS.desktopChrome) =>
      newPage({ userAgent, viewport: DESKTOP_VIEWPORT }),
    /** A screenshot under SCREENSHOTS_DIR, once the page's fonts are in. */
    async screenshot(page: Page, name: string): Promise<void> {
      await page.evaluate(() => document.fonts.ready)
      await page.screenshot({ path: path.join(SCREENSHOTS_DIR, name) })
    },
  }
}

/**
 * The app and its server on a free port. The public URL names the port, so the port is chosen before
 * the app loads; another process may take it in between, and then the next free port is tried.
 */
async function listenOnFreePort(appDir: string, options: DemoServerOptions) {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    const log = memoryLogger()
    const app = await createApp({
      appDir,
      database: path.join(appDir, 'e2e.sqlite'),
      env: { ...process.env, JIT_SECRET_KEY: randomBytes(32).toString('base64'), ...options.env },
      publicUrl: url,
      logger: log,
      configOverrides: sandboxOverrides(url),
    })
    const server = await buildServer(app, { sandboxes: true, log })
    try {
      await server.listen({ port, host: '127.0.0.1' })
      return { url, log, app, server }
    } catch (error) {
      await server.close()
      await app.close()
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 5) throw error
    }
  }
}
