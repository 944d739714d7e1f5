/**
 * docs/security.md#case-19 and #case-20 over two real `jit start` processes on one database: what a
 * login writes is shared by every node (states, sessions, users, tokens), and no step depends on
 * landing on the node that took the step before it.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { BrowserResponse, CookieBrowser } from './cookie-browser.ts'
import {
  LOGIN_PATH,
  LOGIN_TABLES,
  LOGOUT_PATH,
  NODE_DATABASES,
  type Node,
  openTwoNodes,
  PROFILE_PATH,
  SESSION_PATH,
  type TwoNodes,
} from './two-nodes.ts'

/** Starts a login on `node`: the provider's authorize URL (the login cookie is in the jar). */
async function startLogin(browser: CookieBrowser, node: Node, redirect = '/home'): Promise<URL> {
  const started = await browser.get(`${node.url}${LOGIN_PATH}?redirectUrl=${encodeURIComponent(redirect)}`)
  expect(started.status).toBe(302)
  return new URL(started.location!)
}

/** What the sandbox's Allow sends the browser to: the callback's path and query. */
function allow(nodes: TwoNodes, authorizeUrl: URL, user = 'lin'): string {
  const query = authorizeUrl.searchParams
  const redirect = new URL(
    nodes.sandbox.authorize({
      appid: query.get('appid') ?? '',
      redirectUri: query.get('redirect_uri') ?? '',
      scope: query.get('scope') ?? '',
      state: query.get('state') ?? '',
      user,
    }),
  )
  return `${redirect.pathname}${redirect.search}`
}

async function sessionUser(browser: CookieBrowser, node: Node) {
  const answer = await browser.get(`${node.url}${SESSION_PATH}`)
  return { status: answer.status, user: answer.status === 200 ? JSON.parse(answer.body).data.user : null }
}

/** A finished login on `node`: the browser holds its session. */
async function logIn(nodes: TwoNodes, browser: CookieBrowser, node: Node, user = 'lin') {
  const finished = await browser.get(`${node.url}${allow(nodes, await startLogin(browser, node), user)}`)
  expect(finished.status).toBe(302)
}

function expectFreshLoginPage(answer: BrowserResponse) {
  expect(answer.status).toBe(400)
  expect(answer.body).toContain('This sign-in was interrupted')
  expect(answer.body).toContain('/login?redirectUrl=http%3A%2F%2F127.0.0.1%3A3000%2Fhome">Try again')
}

describe.each(NODE_DATABASES)('two nodes on %s', (database) => {
  let nodes: TwoNodes
  beforeAll(async () => {
    nodes = await openTwoNodes(database)
  }, 120_000)
  afterAll(async () => nodes?.close())

  it('a login started on A finishes on B; its session holds on A; a logout on A ends it on B', async () => {
    nodes.sandbox.resetCounters()
    const browser = nodes.browser()
    const callback = allow(nodes, await startLogin(browser, nodes.a))
    const finished = await browser.get(`${nodes.b.url}${callback}`)
    expect(finished.status).toBe(302)
    expect(finished.location).toBe('http://127.0.0.1:3000/home')
    expect(nodes.wechatCalls()).toEqual({ access_token: 1, userinfo: 1, refresh_token: 0 })
    const onA = await sessionUser(browser, nodes.a)
    expect(onA.status).toBe(200)
    expect(onA.user.displayName).toBe('林小雨')
    const session = browser.cookies.get('jit_session')!
    expect((await browser.post(`${nodes.a.url}${LOGOUT_PATH}`)).status).toBe(200)
    expect(browser.cookies.has('jit_session')).toBe(false)
    // The old cookie, replayed to the other node, opens nothing: the session row is gone for both.
    browser.cookies.set('jit_session', session)
    expect((await sessionUser(browser, nodes.b)).status).toBe(401)
    expect((await sessionUser(browser, nodes.a)).status).toBe(401)
    expect(nodes.wechatCalls()).toEqual({ access_token: 1, userinfo: 1, refresh_token: 0 })
  })

  it("WeChat's double delivery, one copy to each node at once: one code exchange, one login", async () => {
    nodes.sandbox.resetCounters()
    // The exchange takes long enough that both copies arrive while it runs.
    nodes.sandbox.setLatency(300, 'access_token')
    try {
      const browser = nodes.browser()
      const callback = allow(nodes, await startLogin(browser, nodes.a), 'kai')
      const [onA, onB] = await Promise.all([
        browser.get(`${nodes.a.url}${callback}`),
        browser.get(`${nodes.b.url}${callback}`),
      ])
      expect([onA.status, onB.status]).toEqual([302, 302])
      expect([onA.location, onB.location]).toEqual([
        'http://127.0.0.1:3000/home',
        'http://127.0.0.1:3000/home',
      ])
      expect(nodes.wechatCalls()).toEqual({ access_token: 1, userinfo: 1, refresh_token: 0 })
      const users = await nodes.inspect().selectFrom('wechat_public_auth').select('nickname').execute()
      expect(users.filter((user) => user.nickname === 'Kai Chen')).toHaveLength(1)
      expect((await sessionUser(browser, nodes.b)).user.displayName).toBe('Kai Chen')
    } finally {
      nodes.sandbox.setLatency(0, 'access_token')
    }
  })

  it('ten calls on each node for one expired stored token make one refresh call', async () => {
    await logIn(nodes, nodes.browser(), nodes.a, 'lin')
    const db = nodes.inspect()
    const row = await db
      .selectFrom('wechat_public_auth')
      .select(['id', 'openid'])
      .where('nickname', '=', '林小雨')
      .executeTakeFirstOrThrow()
    await db
      .updateTable('wechat_public_auth')
      .set({ expiresAt: new Date(Date.now() - 60_000).toISOString() })
      .where('id', '=', row.id)
      .execute()
    nodes.sandbox.resetCounters()
    nodes.sandbox.setLatency(300, 'refresh_token')
    try {
      const calls = [nodes.a, nodes.b].flatMap((node) =>
        Array.from({ length: 10 }, () =>
          nodes.browser().post(`${node.url}${PROFILE_PATH}`, { openid: row.openid }),
        ),
      )
      const answers = await Promise.all(calls)
      expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200))
      expect(answers.every((answer) => JSON.parse(answer.body).data.openid === row.openid)).toBe(true)
      expect(nodes.wechatCalls()).toEqual({ access_token: 0, userinfo: 20, refresh_token: 1 })
    } finally {
      nodes.sandbox.setLatency(0, 'refresh_token')
    }
  })

  // Last: it kills node A.
  it('kill -9 of A in the middle of logins: B serves every later request, with no half-written row', async () => {
    nodes.sandbox.resetCounters()
    const loggedIn = nodes.browser()
    await logIn(nodes, loggedIn, nodes.a, 'kai')
    // Logins A has claimed and is exchanging (WeChat holds the exchange), and one it has only started.
    nodes.sandbox.setFault('access_token', { kind: 'hang' }, { times: 'always' })
    const claimed = await Promise.all(
      Array.from({ length: 3 }, async () => {
        const browser = nodes.browser()
        const callback = allow(nodes, await startLogin(browser, nodes.a), 'lin')
        browser.get(`${nodes.a.url}${callback}`).catch(() => undefined)
        return { browser, callback }
      }),
    )
    const startedOnly = nodes.browser()
    const pendingCallback = allow(nodes, await startLogin(startedOnly, nodes.a), 'lin')
    await vi.waitFor(() => expect(nodes.wechatCalls().access_token).toBe(4), {
      timeout: 30_000,
      interval: 20,
    })
    await nodes.a.kill9()
    nodes.sandbox.clearFaults()

    // Every later request to B: the session opened on A, the login A only started, new logins.
    expect((await sessionUser(loggedIn, nodes.b)).user.displayName).toBe('Kai Chen')
    const finished = await startedOnly.get(`${nodes.b.url}${pendingCallback}`)
    expect(finished.status).toBe(302)
    expect((await sessionUser(startedOnly, nodes.b)).user.displayName).toBe('林小雨')
    for (const user of ['lin', 'kai']) {
      const browser = nodes.browser()
      await logIn(nodes, browser, nodes.b, user)
      expect((await sessionUser(browser, nodes.b)).status).toBe(200)
    }
    // A state A had claimed: B waits out A's claim, then offers a fresh login; no second exchange.
    const retried = await Promise.all(
      claimed.map(({ browser, callback }) => browser.get(`${nodes.b.url}${callback}`)),
    )
    for (const answer of retried) expectFreshLoginPage(answer)
    expect(nodes.wechatCalls().access_token).toBe(4 + 1 + 2)

    const db = nodes.inspect()
    const users = await db.selectFrom('wechat_public_auth').selectAll().execute()
    for (const user of users) {
      expect(user.openid).toBeTruthy()
      expect(user.accessToken).toMatch(/^v1\./)
      expect(user.refreshToken).toMatch(/^v1\./)
    }
    const sessions = await db.selectFrom('jit_sessions').selectAll().execute()
    for (const session of sessions) expect(JSON.parse(session.user_json).userKey).toBeTruthy()
    const states = await db.selectFrom('jit_login_states').selectAll().execute()
    for (const state of states) {
      expect(['pending', 'consuming', 'done', 'failed']).toContain(state.status)
      if (state.status === 'consuming') expect(state.claim_deadline_ms).not.toBeNull()
      if (state.status === 'done') {
        const { sessionRef } = JSON.parse(state.outcome_json)
        expect(sessionRef).toMatch(/^\d+:[0-9a-f]{64}$/)
      }
    }
    expect(states.filter((state) => state.status === 'consuming')).toHaveLength(3)
  }, 120_000)
})

describe.each(NODE_DATABASES)('two nodes starting at once on an empty %s database', (database) => {
  let nodes: TwoNodes
  afterAll(async () => nodes?.close())

  it('create each table once, and their first logins at once work on both', async () => {
    nodes = await openTwoNodes(database)
    const browsers = [nodes.browser(), nodes.browser()]
    const starts = await Promise.all([startLogin(browsers[0], nodes.a), startLogin(browsers[1], nodes.b)])
    const callbacks = starts.map((url, i) => allow(nodes, url, i === 0 ? 'lin' : 'kai'))
    // Each finishes on the other node: the row selectors' key is the database's, not a node's.
    const finished = await Promise.all([
      browsers[0].get(`${nodes.b.url}${callbacks[0]}`),
      browsers[1].get(`${nodes.a.url}${callbacks[1]}`),
    ])
    expect(finished.map((answer) => answer.status)).toEqual([302, 302])
    expect((await sessionUser(browsers[0], nodes.a)).user.displayName).toBe('林小雨')
    for (const node of [nodes.a, nodes.b]) expect(node.output()).not.toMatch(/error|JIT_[A-Z_]+/i)
    const tables = (await nodes.inspect().introspection.getTables()).map((table) => table.name)
    for (const table of [...LOGIN_TABLES, 'jit_row_keys'])
      expect(tables.filter((name) => name === table)).toHaveLength(1)
  }, 120_000)
})
