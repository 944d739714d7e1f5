/**
 * docs/security.md#case-18 over two real `jit start` processes on one database: the desktop shows its
 * code and holds its event stream on node A; the phone scans, signs in with WeChat and confirms on
 * node B. A's stream sees the Confirm by reading the shared ticket row (nothing in A's process wakes
 * it), and the ticket becomes one session, claimed once even when the claim reaches both nodes.
 */
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CookieBrowser } from './cookie-browser.ts'
import { API, NODE_DATABASES, type Node, openTwoNodes, SESSION_PATH, type TwoNodes } from './two-nodes.ts'

const ACTIONS = `${API}/auths/loginTypes/SandboxLogin`
const DESKTOP_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'

function pathOf(link: string): string {
  const url = new URL(link)
  return `${url.pathname}${url.search}`
}

/**
 * The desktop page's event stream on `node`, open (its headers come once it has read the first
 * status): resolves to the statuses it is sent, once it ends.
 */
async function openEvents(browser: CookieBrowser, node: Node): Promise<{ statuses: Promise<string[]> }> {
  const stream = await request(`${node.url}${ACTIONS}/desktopEvents`, {
    headers: { cookie: browser.cookieHeader(), 'user-agent': DESKTOP_UA },
  })
  expect(stream.statusCode).toBe(200)
  expect(stream.headers['content-type']).toContain('text/event-stream')
  // Wrapped: an async function would otherwise wait for the whole stream.
  return {
    statuses: stream.body.text().then((text) => [...text.matchAll(/"status":"(\w+)"/g)].map((m) => m[1])),
  }
}

async function sessionUser(browser: CookieBrowser, node: Node) {
  const answer = await browser.get(`${node.url}${SESSION_PATH}`)
  return { status: answer.status, user: answer.status === 200 ? JSON.parse(answer.body).data.user : null }
}

describe.each(NODE_DATABASES)('desktop sign-in across two nodes on %s', (database) => {
  let nodes: TwoNodes
  beforeAll(async () => {
    nodes = await openTwoNodes(database)
  }, 120_000)
  afterAll(async () => nodes?.close())

  it("code and stream on A, scan and Confirm on B: A's stream sees confirmed, the ticket is claimed once", async () => {
    nodes.sandbox.resetCounters()
    const computer = nodes.browser()
    const started = await computer.request('POST', `${nodes.a.url}${ACTIONS}/desktopStart`, undefined, {
      'user-agent': DESKTOP_UA,
    })
    expect(started.status).toBe(200)
    const link: string = JSON.parse(started.body).data.link
    // The stream is open (its first status read) before the phone scans.
    const { statuses } = await openEvents(computer, nodes.a)

    const phone = nodes.browser()
    const scan = await phone.get(`${nodes.b.url}${pathOf(link)}`)
    expect(scan.status).toBe(302)
    const authorize = new URL(scan.location!)
    const callback = new URL(
      nodes.sandbox.authorize({
        appid: authorize.searchParams.get('appid') ?? '',
        redirectUri: authorize.searchParams.get('redirect_uri') ?? '',
        scope: authorize.searchParams.get('scope') ?? '',
        state: authorize.searchParams.get('state') ?? '',
        user: 'lin',
      }),
    )
    const signedIn = await phone.get(`${nodes.b.url}${callback.pathname}${callback.search}`)
    expect(signedIn.status).toBe(302)
    expect(signedIn.location).toBe(`http://127.0.0.1:3000${ACTIONS}/desktopConfirm`)
    const page = await phone.get(`${nodes.b.url}${ACTIONS}/desktopConfirm`)
    expect(page.status).toBe(200)
    expect(page.body).toContain('Sign in on the computer?')
    expect(page.body).toContain('Chrome on Windows')
    const csrf = /name="csrf" value="([A-Za-z0-9]{43})"/.exec(page.body)?.[1] ?? ''
    const decided = await phone.post(`${nodes.b.url}${ACTIONS}/desktopDecide`, { csrf, decision: 'confirm' })
    expect(decided.status).toBe(200)
    expect(decided.body).toContain('You are signed in on the computer')

    const seen = await statuses
    expect(seen[0]).toBe('waiting')
    expect(seen.at(-1)).toBe('confirmed')

    // The page's claim, sent to both nodes at once with the same cookie: one session, one refusal.
    const claims = await Promise.all(
      [nodes.a, nodes.b].map((node) => computer.request('POST', `${node.url}${ACTIONS}/desktopClaim`)),
    )
    const won = claims.filter((claim) => claim.status === 200)
    const refused = claims.filter((claim) => claim.status !== 200)
    expect(won).toHaveLength(1)
    expect(JSON.parse(won[0].body).data.user.displayName).toBe('林小雨')
    expect(refused.map((claim) => [claim.status, JSON.parse(claim.body).code])).toEqual([
      [403, 'JIT_DESKTOP_TICKET_REFUSED'],
    ])
    for (const node of [nodes.a, nodes.b]) {
      expect((await sessionUser(computer, node)).user.displayName).toBe('林小雨')
      // The phone confirmed only: it holds no session on either node.
      expect((await sessionUser(phone, node)).status).toBe(401)
    }
    expect(nodes.wechatCalls()).toEqual({ access_token: 1, userinfo: 1, refresh_token: 0 })
    const sessions = await nodes.inspect().selectFrom('jit_sessions').select('id').execute()
    expect(sessions).toHaveLength(1)
    const tickets = await nodes.inspect().selectFrom('jit_login_tickets').select('status').execute()
    expect(tickets.map((ticket) => ticket.status)).toEqual(['consumed'])
  }, 60_000)
})
