/**
 * The browser side of desktop sign-in (Meta/browser/desktop-login.ts) run in Node against the real
 * server (through inject, with a cookie jar), polling: the statuses it reports, the claim it makes,
 * codes replaced on expiry up to a limit, and cancel().
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type DesktopLoginUpdate,
  startDesktopLogin,
} from '../../types/auths/loginTypes/Meta/browser/desktop-login.ts'
import { DEFAULT_TICKET_TTL_MS } from '../../types/auths/loginTypes/Meta/tickets.ts'
import { API, type Browser, type LoginHarness, openLoginHarness } from '../login-flow/harness.ts'

const ACTIONS = `${API}/auths/loginTypes/SandboxLogin`
let h: LoginHarness

beforeAll(async () => {
  h = await openLoginHarness()
})
afterAll(async () => h.close())

/** A page's fetch: same origin, this browser's cookies. */
function fetchOf(browser: Browser): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const answer = await browser.request((init?.method ?? 'GET') as 'GET' | 'POST', String(input))
    return new Response(answer.body, { status: answer.statusCode })
  }) as typeof fetch
}

/** Updates as they come, and a way to wait for one. */
function recorder() {
  const updates: DesktopLoginUpdate[] = []
  const waiting: Array<() => void> = []
  return {
    updates,
    onStatus: (update: DesktopLoginUpdate) => {
      updates.push(update)
      for (const wake of waiting.splice(0)) wake()
    },
    async until(count: number): Promise<void> {
      while (updates.length < count) await new Promise<void>((resolve) => waiting.push(resolve))
    },
  }
}

async function phoneConfirms(link: string): Promise<void> {
  const phone = h.browser()
  const url = new URL(link)
  const scan = await phone.get(`${url.pathname}${url.search}`)
  await phone.get(phone.authorize(new URL(String(scan.headers.location))))
  const page = await phone.get(`${ACTIONS}/desktopConfirm`)
  const csrf = /name="csrf" value="([A-Za-z0-9]{43})"/.exec(page.body)?.[1] ?? ''
  const decided = await phone.request('POST', `${ACTIONS}/desktopDecide`, {
    form: { csrf, decision: 'confirm' },
  })
  expect(decided.statusCode).toBe(200)
}

describe('startDesktopLogin in the browser', () => {
  it('reports waiting, scanned, confirmed, then claims and resolves with the user', async () => {
    const computer = h.browser()
    const seen = recorder()
    const login = await startDesktopLogin(
      { actionsPath: ACTIONS, renderQrSvg: (link) => `<svg data-link="${link}"/>`, fetch: fetchOf(computer) },
      { onStatus: seen.onStatus, transport: 'polling', pollMs: 5 },
    )
    expect(login.code.svg).toBe(`<svg data-link="${login.code.link}"/>`)
    await phoneConfirms(login.code.link)
    const user = await login.done
    expect(user?.displayName).toBe('林小雨')
    const statuses = seen.updates.map((u) => u.status)
    expect(statuses[0]).toBe('waiting')
    expect(statuses.slice(-2)).toEqual(['confirmed', 'signed-in'])
    expect(seen.updates.at(-1)).toMatchObject({ final: true, user: { displayName: '林小雨' } })
    expect((await computer.session()).statusCode).toBe(200)
  })

  it('replaces an expired code with a new one, and stops after maxRefreshes', async () => {
    const seen = recorder()
    const login = await startDesktopLogin(
      { actionsPath: ACTIONS, renderQrSvg: (link) => link, fetch: fetchOf(h.browser()) },
      { onStatus: seen.onStatus, transport: 'polling', pollMs: 5, maxRefreshes: 1 },
    )
    const first = login.code.link
    h.clock.advance(DEFAULT_TICKET_TTL_MS)
    await seen.until(3)
    expect(seen.updates.map((u) => [u.status, u.final])).toEqual([
      ['waiting', false],
      ['expired', false],
      ['waiting', false],
    ])
    expect(login.code.link).not.toBe(first)
    h.clock.advance(DEFAULT_TICKET_TTL_MS)
    expect(await login.done).toBeNull()
    expect(seen.updates.at(-1)).toMatchObject({ status: 'expired', final: true })
  })

  it('cancel() ends the ticket on the server: its link no longer works on a phone', async () => {
    const login = await startDesktopLogin(
      { actionsPath: ACTIONS, renderQrSvg: (link) => link, fetch: fetchOf(h.browser()) },
      { transport: 'polling', pollMs: 5 },
    )
    await login.cancel()
    expect(await login.done).toBeNull()
    const url = new URL(login.code.link)
    const scan = await h.browser().get(`${url.pathname}${url.search}`)
    expect(scan.statusCode).toBe(400)
    expect(scan.body).toContain('This sign-in was cancelled')
  })
})
