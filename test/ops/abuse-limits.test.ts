/**
 * Abuse limits as an operator meets them: a flood of login starts from one address gets 429 pages with
 * Retry-After past its rate, never leaves more live state rows than the cap, and another address still
 * signs in; API routes get JSON 429s; X-Forwarded-For counts only from a trusted proxy; the overload
 * guard answers 503. (`npm run bench flood` runs the 100,000-request version against a real port.)
 */
import { afterEach, describe, expect, it } from 'vitest'
import { NO_LIMITS, type ServerLimits } from '../../runtime/http/limits-config.ts'
import { API, LOGIN_PATH, type LoginHarness, openLoginHarness, SESSION_PATH } from '../login-flow/harness.ts'

let h: LoginHarness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

function limits(overrides: Partial<ServerLimits>): ServerLimits {
  return { ...NO_LIMITS, ...overrides }
}

function rateLimits(perAddress: Partial<ServerLimits['perAddressPerMinute']>) {
  return { ...NO_LIMITS.perAddressPerMinute, ...perAddress }
}

async function liveStateRows(harness: LoginHarness): Promise<number> {
  const db = harness.app.getElement('databases.Default').kysely
  // No login ever started: the table is made by the first.
  const tables = await db.introspection.getTables()
  if (!tables.some((t: { name: string }) => t.name === 'jit_login_states')) return 0
  const row = await db
    .selectFrom('jit_login_states')
    .select((eb: any) => eb.fn.countAll().as('n'))
    .where('status', '=', 'pending')
    .where('expires_at_ms', '>', Date.now())
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** `count` login starts, each from a new browser (no cookie) at `address`: the statuses answered. */
async function flood(harness: LoginHarness, address: string, count: number): Promise<Map<number, number>> {
  const statuses = new Map<number, number>()
  for (let i = 0; i < count; i++) {
    const response = await harness.browser({ address }).get(`${LOGIN_PATH}?redirectUrl=%2F`)
    statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1)
  }
  return statuses
}

async function signsIn(harness: LoginHarness, address: string): Promise<boolean> {
  const browser = harness.browser({ address })
  const { response } = await browser.login()
  if (response.statusCode !== 302) return false
  return (await browser.session()).statusCode === 200
}

describe('a flood of login starts from one address', () => {
  it('meets 429 pages past the rate, leaves at most the cap of live states, and another address signs in', async () => {
    h = await openLoginHarness({
      limits: limits({ perAddressPerMinute: rateLimits({ login: 300 }), liveStatesPerAddress: 25 }),
    })
    const statuses = await flood(h, '203.0.113.7', 600)
    // The first 25 start; the next 275 are within the rate but past the cap; the last 300 past the rate.
    expect(Object.fromEntries(statuses)).toEqual({ 302: 25, 429: 575 })
    expect(await liveStateRows(h)).toBe(25)
    expect(await signsIn(h, '198.51.100.20')).toBe(true)
  })

  it('answers past the rate with a page that says to wait, and Retry-After', async () => {
    h = await openLoginHarness({ limits: limits({ perAddressPerMinute: rateLimits({ login: 3 }) }) })
    await flood(h, '203.0.113.7', 3)
    const refused = await h.browser({ address: '203.0.113.7' }).get(`${LOGIN_PATH}?redirectUrl=%2F`)
    expect(refused.statusCode).toBe(429)
    expect(refused.headers['content-type']).toMatch(/^text\/html/)
    expect(refused.body).toContain('Too many requests')
    const retryAfter = Number(refused.headers['retry-after'])
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(60)
    expect(h.requestLog.lines).toContainEqual(expect.stringMatching(/login 429 \d+ms$/))
    const limitedLines = h.requestLog.records.filter((r) => r.event === 'rate_limit')
    // One line for the address's first refusal in the window, not one per request.
    await flood(h, '203.0.113.7', 5)
    expect(h.requestLog.records.filter((r) => r.event === 'rate_limit')).toHaveLength(limitedLines.length)
    expect(limitedLines).toMatchObject([{ level: 'warn', limit: 'login', address: '203.0.113.7' }])
  })

  it('answers a browser at its cap of unfinished sign-ins with the family page, and lets it go on after one finishes', async () => {
    h = await openLoginHarness({ limits: limits({ liveStatesPerBrowser: 3 }) })
    const browser = h.browser()
    const started = [await browser.startLogin(), await browser.startLogin(), await browser.startLogin()]
    const refused = await browser.get(`${LOGIN_PATH}?redirectUrl=%2F`)
    expect(refused.statusCode).toBe(429)
    expect(refused.headers['retry-after']).toBe('60')
    expect(refused.body).toContain('Too many sign-ins in progress')
    expect(h.appLog.records).toContainEqual(
      expect.objectContaining({ event: 'login_start', outcome: 'limited' }),
    )
    // Finishing one frees its place.
    const callback = browser.authorize(started[0].authorizeUrl)
    expect((await browser.get(callback)).statusCode).toBe(302)
    expect((await browser.get(`${LOGIN_PATH}?redirectUrl=%2F`)).statusCode).toBe(302)
  })
})

describe('rate limits on the other routes', () => {
  it('answers an API route past its rate with JSON and Retry-After', async () => {
    h = await openLoginHarness({ limits: limits({ perAddressPerMinute: rateLimits({ function: 2 }) }) })
    const browser = h.browser({ address: '203.0.113.9' })
    expect((await browser.get(SESSION_PATH)).statusCode).toBe(401)
    expect((await browser.get(SESSION_PATH)).statusCode).toBe(401)
    const refused = await browser.get(SESSION_PATH)
    expect(refused.statusCode).toBe(429)
    expect(refused.json()).toMatchObject({ errcode: 429, code: 'JIT_RATE_LIMITED' })
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
    // Another address is not limited by this one's requests; login starts have their own limit.
    expect((await h.browser({ address: '203.0.113.10' }).get(SESSION_PATH)).statusCode).toBe(401)
    expect((await browser.get(`${LOGIN_PATH}?redirectUrl=%2F`)).statusCode).toBe(302)
  })

  it('limits callbacks per address', async () => {
    h = await openLoginHarness({ limits: limits({ perAddressPerMinute: rateLimits({ callback: 1 }) }) })
    const browser = h.browser({ address: '203.0.113.11' })
    expect((await browser.login()).response.statusCode).toBe(302)
    const second = await browser.login()
    expect(second.response.statusCode).toBe(429)
    expect(second.response.body).toContain('Too many requests')
    expect(h.wechatCalls().access_token).toBe(1)
  })

  it("limits desktop sign-in tickets per address: JSON for the desktop, a page for a phone's scan", async () => {
    h = await openLoginHarness({ limits: limits({ perAddressPerMinute: rateLimits({ ticket: 2 }) }) })
    const actions = `${API}/auths/loginTypes/SandboxLogin`
    const computer = h.browser({ address: '203.0.113.13' })
    const first = await computer.request('POST', `${actions}/desktopStart`)
    expect(first.statusCode).toBe(200)
    const link = new URL(first.json().data.link as string)
    // The phone on the same network (one address) scans: the second ticket write of the minute.
    const phone = h.browser({ address: '203.0.113.13' })
    expect((await phone.get(`${link.pathname}${link.search}`)).statusCode).toBe(302)
    const refused = await computer.request('POST', `${actions}/desktopStart`)
    expect(refused.statusCode).toBe(429)
    expect(refused.json()).toMatchObject({ errcode: 429, code: 'JIT_RATE_LIMITED' })
    const scanAgain = await phone.get(`${link.pathname}${link.search}`)
    expect(scanAgain.statusCode).toBe(429)
    expect(scanAgain.body).toContain('Too many requests')
    // Its status is read, not written: the general API budget.
    expect((await computer.get(`${actions}/desktopStatus`)).statusCode).not.toBe(429)
  })

  it('limits every route of one address together, and login starts of all addresses together', async () => {
    h = await openLoginHarness({ limits: limits({ allPerAddressPerMinute: 3, loginStartsPerMinute: 5 }) })
    const one = h.browser({ address: '203.0.113.12' })
    await one.get('/healthz')
    await one.get(SESSION_PATH)
    await one.get(`${LOGIN_PATH}?redirectUrl=%2F`)
    expect((await one.get('/healthz')).statusCode).toBe(429)
    const others = await Promise.all(
      ['a', 'b', 'c', 'd', 'e'].map((_, i) =>
        h!.browser({ address: `198.51.100.${i + 1}` }).get(`${LOGIN_PATH}`),
      ),
    )
    // The first address used one of the 5 login starts a minute all addresses share.
    expect(others.map((r) => r.statusCode).sort()).toEqual([302, 302, 302, 302, 429])
  })
})

describe('X-Forwarded-For', () => {
  async function startsFrom(harness: LoginHarness, forwardedFor: string) {
    const response = await harness.server.inject({
      method: 'GET',
      url: LOGIN_PATH,
      remoteAddress: '10.0.0.5',
      headers: { 'x-forwarded-for': forwardedFor },
    })
    return response.statusCode
  }

  it('is ignored from a peer that is not a trusted proxy: a client cannot pick its own address', async () => {
    h = await openLoginHarness({ limits: limits({ perAddressPerMinute: rateLimits({ login: 2 }) }) })
    expect([
      await startsFrom(h, '1.1.1.1'),
      await startsFrom(h, '2.2.2.2'),
      await startsFrom(h, '3.3.3.3'),
    ]).toEqual([302, 302, 429])
  })

  it('names the client behind a trusted proxy', async () => {
    h = await openLoginHarness({
      limits: limits({ perAddressPerMinute: rateLimits({ login: 2 }), trustProxy: '10.0.0.5' }),
    })
    expect([
      await startsFrom(h, '1.1.1.1'),
      await startsFrom(h, '2.2.2.2'),
      await startsFrom(h, '3.3.3.3'),
    ]).toEqual([302, 302, 302])
    expect([await startsFrom(h, '1.1.1.1'), await startsFrom(h, '1.1.1.1')]).toEqual([302, 429])
  })
})

describe('the overload guard', () => {
  it('answers 503 with Retry-After (a page for a browser, JSON for the API) while the heap is past its limit', async () => {
    h = await openLoginHarness({
      limits: limits({ overload: { maxEventLoopDelayMs: 60_000, maxHeapUsedBytes: 1 } }),
    })
    // The guard samples the heap on a timer: wait for its first sample.
    let health = await h.server.inject({ method: 'GET', url: '/healthz' })
    while (health.statusCode !== 503) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      health = await h.server.inject({ method: 'GET', url: '/healthz' })
    }
    expect(health.headers['retry-after']).toBe('10')
    expect(health.json()).toMatchObject({ errcode: 503, code: 'JIT_OVERLOADED' })
    const login = await h.browser().get(`${LOGIN_PATH}?redirectUrl=%2F`)
    expect(login.statusCode).toBe(503)
    expect(login.body).toContain('Server busy')
    expect(await liveStateRows(h)).toBe(0)
    expect(h.requestLog.records).toContainEqual(
      expect.objectContaining({ level: 'warn', event: 'overload', reason: 'heapUsedBytes' }),
    )
  })
})

describe('request size limits', () => {
  it('refuses a body past the limit with 413, before any function runs', async () => {
    h = await openLoginHarness({ limits: limits({ bodyLimitBytes: 1024 }) })
    const response = await h.server.inject({
      method: 'POST',
      url: `${API}/auths/logout`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ padding: 'x'.repeat(2048) }),
    })
    expect(response.statusCode).toBe(413)
  })

  it('refuses headers past the limit with 431 on a real port', async () => {
    h = await openLoginHarness({ limits: limits({ headerLimitBytes: 4096 }) })
    const url = await h.server.listen({ port: 0, host: '127.0.0.1' })
    const small = await fetch(`${url}/healthz`, { headers: { 'x-padding': 'x'.repeat(1000) } })
    expect(small.status).toBe(200)
    const large = await fetch(`${url}/healthz`, { headers: { 'x-padding': 'x'.repeat(8000) } })
    expect(large.status).toBe(431)
  })
})
