import type { ChildProcess } from 'node:child_process'
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../helpers/jit-process.ts'
import { ExitedEarly, spawnGroup, startOnFreePort, stopGroup, waitForOutput } from '../helpers/processes.ts'

/** `npm start` exactly as a user types it, and `jit start`, on free ports instead of 3000 (tests share the machine). */

const STARTUP_TIMEOUT_MS = 60_000
const LOGIN = '/api/demo/wechatLogin/auths/loginTypes/MyWechatLogin/login'
/** The process a test started; kept here so that it is stopped even when the test fails or times out. */
let child: ChildProcess | undefined

afterEach(async () => {
  if (child) await stopGroup(child)
  child = undefined
})

/** `at <url>` as a whole word, so that port 3000 is not taken for 30001. */
const printsUrl = (url: string, before = '') => new RegExp(`${before}at ${url.replace(/\./g, '\\.')}\\b`)

describe('npm start', () => {
  it(
    'serves the demo page and prints the URL it is at',
    async () => {
      const { HOST: _host, PUBLIC_URL: _publicUrl, ...env } = process.env
      const { url, output } = await startOnFreePort(
        (port) =>
          (child = spawnGroup('npm', ['start'], { cwd: REPO_ROOT, env: { ...env, PORT: String(port) } })),
        (url) => printsUrl(url),
      )
      expect(output).toContain(`at ${url}`)

      const page = await fetch(`${url}/`)
      expect(page.status).toBe(200)
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
      const html = await page.text()
      expect(html).toContain('Lumen Tea House')
      const script = /<script type="module" src="([^"]+)">/.exec(html)
      expect(script).not.toBeNull()
      expect((await fetch(`${url}${script![1]}`)).status).toBe(200)
      expect((await fetch(`${url}/jit/runtime.js`)).status).toBe(200)

      // The demo Instance talks to the mounted sandbox with no configuration.
      const login = await fetch(`${url}${LOGIN}?redirectUrl=%2F`, { redirect: 'manual' })
      expect(login.status).toBe(302)
      const authorize = String(login.headers.get('location'))
      expect(authorize.startsWith(`${url}/__sandbox/wechat/connect/oauth2/authorize?appid=`)).toBe(true)
      const consent = await fetch(authorize)
      expect(consent.status).toBe(200)
      expect(await consent.text()).toContain('jitlite Demo')
    },
    STARTUP_TIMEOUT_MS + 30_000,
  )
})

describe('jit start', () => {
  it(
    'serves production: no sandbox mounted, the login goes to WeChat itself',
    async () => {
      const {
        HOST: _host,
        PUBLIC_URL: _publicUrl,
        WECHAT_OAUTH_BASE_URL: _o,
        WECHAT_API_BASE_URL: _a,
        WECOM_OAUTH_BASE_URL: _wo,
        WECOM_LOGIN_BASE_URL: _wl,
        WECOM_API_BASE_URL: _wa,
        ...env
      } = process.env
      const { url } = await startOnFreePort(
        (port) =>
          (child = spawnGroup(process.execPath, [`${REPO_ROOT}/bin/jit.mjs`, 'start', 'app'], {
            cwd: REPO_ROOT,
            env: {
              ...env,
              PORT: String(port),
              JIT_SECRET_KEY: 'Kx7z6bq4cVYpHh0m2lTQ1mE6m3r6TqRz8dW9s0gYt3U=',
              WECHAT_APP_SECRET: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
              WECOM_CORP_SECRET: 'Pq7mZ2xK9vT4bN8cR1sW6yH3jL0fD5gA-eU_iO2kM9n',
            },
          })),
        (url) => printsUrl(url, '\\(production\\) '),
      )
      const sandbox = await fetch(`${url}/__sandbox/wechat/connect/oauth2/authorize?appid=x`)
      expect(sandbox.status).toBe(404)
      const login = await fetch(`${url}${LOGIN}?redirectUrl=%2F`, { redirect: 'manual' })
      expect(login.status).toBe(302)
      expect(String(login.headers.get('location'))).toMatch(
        /^https:\/\/open\.weixin\.qq\.com\/connect\/oauth2\/authorize\?appid=wx5a3c7f1e9b2d4680&redirect_uri=/,
      )
    },
    STARTUP_TIMEOUT_MS + 30_000,
  )

  it(
    'stops with JIT_PORT_IN_USE, and says what to do, when the port is taken',
    async () => {
      const taken = net.createServer()
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
      const { port } = taken.address() as net.AddressInfo
      try {
        child = spawnGroup(process.execPath, [`${REPO_ROOT}/bin/jit.mjs`, 'start', 'app'], {
          cwd: REPO_ROOT,
          env: {
            ...process.env,
            HOST: '127.0.0.1',
            PORT: String(port),
            JIT_SECRET_KEY: 'Kx7z6bq4cVYpHh0m2lTQ1mE6m3r6TqRz8dW9s0gYt3U=',
            WECHAT_APP_SECRET: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
            WECOM_CORP_SECRET: 'Pq7mZ2xK9vT4bN8cR1sW6yH3jL0fD5gA-eU_iO2kM9n',
          },
        })
        const exit = await waitForOutput(child, /never printed/).catch((error: unknown) => error)
        expect(exit).toBeInstanceOf(ExitedEarly)
        expect((exit as ExitedEarly).code).toBe(1)
        expect((exit as ExitedEarly).output.trim()).toBe(
          `jit start: 127.0.0.1:${port} is in use: stop what uses it, or set PORT (JIT_PORT_IN_USE)`,
        )
      } finally {
        taken.close()
      }
    },
    STARTUP_TIMEOUT_MS + 30_000,
  )
})
