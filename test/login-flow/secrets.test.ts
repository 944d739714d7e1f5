/**
 * docs/security.md#case-14 and the crawl: over a successful login and every failure path, neither the app's
 * log nor the server's request log holds the app secret, a code, a state, a token, a login nonce or a
 * session id; and no route of the app (API, pages, browser runtime and bundles, element metadata)
 * answers with the app secret, a token or a code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SESSION_COOKIE } from '../../runtime/http/sessions.ts'
import { STATE_TTL_MS } from '../../types/auths/loginTypes/Meta/states.ts'
import {
  API,
  type Browser,
  CALLBACK_PATH,
  DATABASES,
  LOGIN_PATH,
  LOGIN_TYPES,
  LOGOUT_PATH,
  type LoginHarness,
  openLoginHarness,
  SESSION_PATH,
  withParam,
} from './harness.ts'

let h: LoginHarness
/** Every secret value the scenarios met: codes, states, tokens, nonces, session ids. */
const secrets = new Set<string>()
/** Every response the scenarios got, for the crawl's checks. */
const bodies: string[] = []

function remember<T extends string>(value: T): T {
  secrets.add(value)
  return value
}

/** A browser whose cookies and states are remembered as secrets. */
function watchedBrowser(): Browser {
  const browser = h.browser()
  const request = browser.request.bind(browser)
  browser.request = async (method, url) => {
    const response = await request(method, url)
    for (const cookie of response.cookies as Array<{ value: string }>)
      if (cookie.value) remember(cookie.value)
    const location = response.headers.location
    if (typeof location === 'string' && location.includes('state=')) {
      remember(new URL(location).searchParams.get('state')!)
    }
    bodies.push(response.body)
    return response
  }
  return browser
}

async function callbackFor(browser: Browser, instance = 'SandboxLogin', user?: string) {
  const started = await browser.get(LOGIN_PATH.replace('SandboxLogin', instance))
  return browser.authorize(new URL(String(started.headers.location)), user)
}

const scenarios: Record<string, () => Promise<unknown>> = {
  'a successful login, the session, logout, and the callback again': async () => {
    const browser = watchedBrowser()
    const callback = await callbackFor(browser)
    await browser.get(callback)
    await browser.get(SESSION_PATH)
    await browser.request('POST', LOGOUT_PATH)
    await browser.get(callback)
  },
  'no state': async () => {
    const browser = watchedBrowser()
    await browser.get(withParam(await callbackFor(browser), 'state', undefined))
  },
  'a malformed state and code': async () => {
    const browser = watchedBrowser()
    const callback = await callbackFor(browser)
    await browser.get(withParam(callback, 'state', `${'x'.repeat(40)}-_é`))
    await browser.get(withParam(callback, 'code', 'short'))
    await browser.get(`${callback}&state=again`)
  },
  'another browser': async () => {
    const browser = watchedBrowser()
    await watchedBrowser().get(await callbackFor(browser))
  },
  'an expired state': async () => {
    const browser = watchedBrowser()
    const callback = await callbackFor(browser)
    h.clock.advance(STATE_TTL_MS + 1000)
    try {
      await browser.get(callback)
    } finally {
      h.clock.advance(-(STATE_TTL_MS + 1000))
    }
  },
  'a denial': async () => {
    const browser = watchedBrowser()
    await browser.get(withParam(await callbackFor(browser), 'code', undefined))
  },
  'a snapshot user': async () => {
    const browser = watchedBrowser()
    await browser.get(await callbackFor(browser, 'SandboxLogin', 'visitor'))
  },
  'WeChat errors on the exchange and on userinfo': async () => {
    for (const errcode of [40029, 40163, 40125, 40003, -1, 45011]) {
      h.sandbox.setFault('access_token', { kind: 'errcode', errcode, errmsg: `failed, rid: ${errcode}` })
      const browser = watchedBrowser()
      await browser.get(await callbackFor(browser))
    }
    h.sandbox.setFault('userinfo', { kind: 'errcode', errcode: 40001 }, { times: 3 })
    const browser = watchedBrowser()
    await browser.get(await callbackFor(browser))
  },
  'an HTML answer, an empty body and a 502 from WeChat': async () => {
    for (const fault of [
      { kind: 'body', body: '<html>gateway</html>', contentType: 'text/html' },
      { kind: 'body', body: '' },
      { kind: 'status', status: 502 },
    ] as const) {
      h.sandbox.setFault('access_token', fault)
      const browser = watchedBrowser()
      await browser.get(await callbackFor(browser))
    }
  },
  'a hanging token endpoint': async () => {
    h.sandbox.setFault('access_token', { kind: 'hang' })
    const browser = watchedBrowser()
    await browser.get(await callbackFor(browser, 'QuickLogin'))
  },
  'a replay and a double delivery': async () => {
    const browser = watchedBrowser()
    const callback = await callbackFor(browser)
    await Promise.all([browser.get(callback), browser.get(callback)])
    await browser.get(callback)
    await watchedBrowser().get(callback)
  },
  'malformed login starts': async () => {
    const browser = watchedBrowser()
    await browser.get(`${LOGIN_PATH}?redirectUrl=a&redirectUrl=b`)
    await browser.get(`${LOGIN_PATH}?redirectUrl=%FF`)
    await browser.request('POST', CALLBACK_PATH)
  },
}

describe.each(DATABASES)('on %s', (database) => {
  describe.each(LOGIN_TYPES)('with the %s login Type', (loginType) => {
    beforeAll(async () => {
      h = await openLoginHarness({
        database,
        loginType,
        moreInstances: { QuickLogin: { attemptTimeoutMs: 300, totalDeadlineMs: 800 } },
      })
      // Record what the sandbox issues (the sandbox is an injected fake; its answers are what we watch for).
      h.sandbox.watchIssued(remember)
      secrets.add(h.sandbox.appSecret)
    })
    afterAll(async () => h.close())

    describe('case 14: logs over success and every failure path', () => {
      beforeAll(async () => {
        for (const run of Object.values(scenarios)) {
          await run()
          h.sandbox.clearFaults()
        }
      })

      it('met the values it looks for', () => {
        // A code, a state, an access and a refresh token per exchange, nonces and session ids: many dozens.
        expect(secrets.size).toBeGreaterThan(60)
        expect(h.requestLog.lines.length).toBeGreaterThan(30)
        expect(h.appLog.lines.some((line) => line.includes('refused'))).toBe(true)
      })

      it('logs none of them, in the app log or the request log, in a message or a field', () => {
        // The JSON lines as `jit start` prints them: messages, request ids, every structured field.
        const lines = [...h.appLog.output, ...h.requestLog.output]
        for (const secret of secrets) {
          const leaking = lines.find((line) => line.includes(secret))
          expect(leaking, 'a log line holds a secret value').toBeUndefined()
        }
      })

      it('logs no query string', () => {
        for (const line of [...h.appLog.output, ...h.requestLog.output])
          expect(line).not.toMatch(/\?[^\s"]*=/)
      })

      it('logs each callback as one event:login line with its outcome, under the request id, and counts it', async () => {
        const callbacks = h.requestLog.records.filter(
          (r) => r.event === 'request' && r.method === 'GET' && String(r.path).endsWith('/callback'),
        )
        const logins = h.appLog.records.filter((r) => r.event === 'login')
        expect(callbacks.length).toBeGreaterThan(20)
        for (const request of callbacks) {
          const lines = logins.filter((r) => r.reqId === request.reqId)
          expect(lines, `${request.reqId} ${request.status}`).toHaveLength(1)
          const instance = String(request.path).split('/').slice(-2)[0]
          expect(lines[0]).toMatchObject({
            element: `auths.loginTypes.${instance}`,
            durationMs: expect.any(Number),
          })
        }
        expect(logins).toHaveLength(callbacks.length)
        const outcomes = new Set(logins.map((r) => r.outcome))
        for (const outcome of [
          'success',
          'repeat_delivery',
          'cancelled',
          'expired',
          'replay',
          'bad_state',
          'bad_request',
          'other_browser',
          // WeChat's snapshot-page visitor; WeCom has none (its nearest person signs in as a non-member).
          ...(loginType === 'wecom' ? [] : ['snapshot']),
          'provider_error',
          'provider_unavailable',
        ]) {
          expect(outcomes, outcome).toContain(outcome)
        }
        // The metric counts what the log says, outcome by outcome.
        const counted = new Map<string, number>()
        for (const { labels, value } of (
          await h.app.metrics.registry.getSingleMetric('jit_login_completions_total')!.get()
        ).values)
          counted.set(String(labels.outcome), (counted.get(String(labels.outcome)) ?? 0) + value)
        for (const outcome of outcomes) {
          expect(counted.get(outcome!), outcome).toBe(logins.filter((r) => r.outcome === outcome).length)
        }
      })

      it('logs callbacks by path only', () => {
        const callbacks = h.requestLog.lines.filter((line) => line.includes('/callback'))
        expect(callbacks.length).toBeGreaterThan(10)
        for (const line of callbacks) expect(line).toMatch(/^info (GET|POST) \S+\/callback \d{3} \d+ms$/)
      })

      it('shows none of them in a page or JSON answer', () => {
        for (const body of bodies) {
          for (const secret of secrets) expect(body.includes(secret)).toBe(false)
        }
      })
    })

    describe('the crawl: every route of the app', () => {
      it('answers no route with the app secret, a token or a code', async () => {
        const urls = new Set<string>([
          '/',
          '/healthz',
          '/nothing-here',
          '/jit/runtime.js',
          '/jit/runtime.js.map',
        ])
        urls.add('/jit/app.json')
        for (const element of h.app.listElements()) {
          urls.add(`/jit/elements/${element.fullName}.json`)
          urls.add(`/jit/bundles/${element.fullName}.js`)
          urls.add(`/jit/bundles/${element.fullName}.js.map`)
          if (element.layer === 'Instance') {
            const path = `${API}/${element.fullName.split('.').join('/')}`
            for (const action of ['login', 'callback', 'nothing']) urls.add(`${path}/${action}`)
          }
        }
        urls.add(SESSION_PATH)
        const answered: Array<{ url: string; status: number; text: string }> = []
        const browser = watchedBrowser()
        await browser.get(await callbackFor(browser)) // crawl logged in, too
        for (const url of urls) {
          for (const method of ['GET', 'POST'] as const) {
            const response = await h.server.inject({
              method,
              url,
              headers: { cookie: `${SESSION_COOKIE}=${browser.cookies.get(SESSION_COOKIE)}` },
            })
            const headers = Object.entries(response.headers)
              .filter(([name]) => name !== 'set-cookie' && name !== 'location')
              .map(([name, value]) => `${name}: ${value}`)
              .join('\n')
            answered.push({
              url: `${method} ${url}`,
              status: response.statusCode,
              text: `${headers}\n${response.body}`,
            })
          }
        }
        expect(answered.some((a) => a.url === 'GET /jit/app.json' && a.status === 200)).toBe(true)
        expect(answered.some((a) => a.url.startsWith('GET /jit/elements/') && a.status === 200)).toBe(true)
        expect(answered.find((a) => a.url === 'GET /jit/runtime.js')?.status).toBe(200)
        if (loginType === 'wechat') {
          // The WeChat Type ships a browser bundle: it was crawled, and holds no secret either.
          expect(answered.some((a) => /^GET \/jit\/bundles\/.+\.js$/.test(a.url) && a.status === 200)).toBe(
            true,
          )
        }
        for (const { url, status, text } of answered) {
          expect(status, url).not.toBe(500)
          for (const secret of secrets)
            expect(text.includes(secret), `${url} answers with a secret value`).toBe(false)
        }
      })
    })
  })
})
