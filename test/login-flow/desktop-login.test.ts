/**
 * docs/security.md#case-18: desktop sign-in by scanning. A desktop browser asks for a ticket, a phone
 * opens the QR link, signs in with the provider (the sandbox), confirms; the desktop claims the ticket
 * with its cookie and gets a session of its own. Each test counts the calls that reached WeChat.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { request } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { SESSION_COOKIE } from '../../runtime/http/sessions.ts'
import { DESKTOP_COOKIE } from '../../types/auths/loginTypes/Meta/desktop.ts'
import { PHONE_COOKIE } from '../../types/auths/loginTypes/Meta/desktop-phone.ts'
import { LOGIN_COOKIE } from '../../types/auths/loginTypes/Meta/flow.ts'
import { DEFAULT_TICKET_TTL_MS } from '../../types/auths/loginTypes/Meta/tickets.ts'
import { API, type Browser, DATABASES, LOGIN_TYPES, type LoginHarness, openLoginHarness } from './harness.ts'

const ACTIONS = `${API}/auths/loginTypes/SandboxLogin`
const DESKTOP_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'

let h: LoginHarness
afterEach(() => {
  h.sandbox.clearFaults()
  h.sandbox.resetCounters()
})

function desktop(): Browser {
  const browser = h.browser()
  browser.userAgent = DESKTOP_UA
  return browser
}

async function showCode(browser: Browser): Promise<string> {
  const response = await browser.request('POST', `${ACTIONS}/desktopStart`)
  expect(response.statusCode).toBe(200)
  return response.json().data.link as string
}

function pathOf(link: string): string {
  const url = new URL(link)
  return `${url.pathname}${url.search}`
}

/** The phone opens the QR link, signs in at the sandbox: the callback's answer (to the confirmation page). */
async function scanAndSignIn(phone: Browser, link: string, user?: string) {
  const scan = await phone.get(pathOf(link))
  expect(scan.statusCode).toBe(302)
  const callback = phone.authorize(new URL(String(scan.headers.location)), user)
  return { callback, response: await phone.get(callback) }
}

/** The confirmation page and its form's token. */
async function confirmationOf(phone: Browser) {
  const page = await phone.get(`${ACTIONS}/desktopConfirm`)
  const csrf = /name="csrf" value="([A-Za-z0-9]{43})"/.exec(page.body)?.[1]
  return { page, csrf: csrf ?? '' }
}

function decide(phone: Browser, csrf: string, decision: 'confirm' | 'cancel') {
  return phone.request('POST', `${ACTIONS}/desktopDecide`, { form: { csrf, decision } })
}

async function phoneConfirms(phone: Browser, link: string, user?: string) {
  await scanAndSignIn(phone, link, user)
  const { csrf } = await confirmationOf(phone)
  return decide(phone, csrf, 'confirm')
}

async function statusOf(browser: Browser): Promise<string> {
  return (await browser.get(`${ACTIONS}/desktopStatus`)).json().data.status
}

/** The harness's server on a loopback port (listening from the first call on). */
async function listeningUrl(): Promise<string> {
  if (!h.server.server.listening) await h.server.listen({ port: 0, host: '127.0.0.1' })
  const address = h.server.server.address()
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
}

async function sessionRows(): Promise<number> {
  const rows = await h.app
    .getElement('databases.Default')
    .kysely.selectFrom('jit_sessions')
    .select('id')
    .execute()
  return rows.length
}

describe.each(DATABASES)('on %s', (database) => {
  describe.each(LOGIN_TYPES)('with the %s login Type', (loginType) => {
    beforeAll(async () => {
      h = await openLoginHarness({ database, loginType })
    })
    afterAll(async () => h.close())

    describe('case 18: desktop sign-in by scanning', () => {
      it('the phone signs in and confirms, the desktop claims and is signed in; the phone gets no session', async () => {
        const computer = desktop()
        const link = await showCode(computer)
        expect(link).toMatch(
          new RegExp(`^http://127\\.0\\.0\\.1:3000${ACTIONS}/scan\\?t=[A-Za-z0-9]{43}[0-9a-f]{32}$`),
        )
        expect(computer.cookies.has(DESKTOP_COOKIE)).toBe(true)
        expect(await statusOf(computer)).toBe('waiting')

        const phone = h.browser()
        const { response } = await scanAndSignIn(phone, link)
        expect(response.statusCode).toBe(302)
        expect(response.headers.location).toBe(`http://127.0.0.1:3000${ACTIONS}/desktopConfirm`)
        expect(await statusOf(computer)).toBe('scanned')
        const { page, csrf } = await confirmationOf(phone)
        expect(page.statusCode).toBe(200)
        expect(page.body).toContain('Sign in on the computer?')
        expect(page.body).toContain(h.sandbox.displayName())
        expect(page.body).toContain('Chrome on Windows')
        expect(page.body).toContain('just now')
        expect((await decide(phone, csrf, 'confirm')).body).toContain('You are signed in on the computer')
        expect(await statusOf(computer)).toBe('confirmed')

        // A session id planted in the desktop before the claim is never promoted: the claim makes a new one.
        const planted = `${'P'.repeat(43)}${'0'.repeat(32)}`
        computer.cookies.set(SESSION_COOKIE, planted)
        const claim = await computer.request('POST', `${ACTIONS}/desktopClaim`)
        expect(claim.statusCode).toBe(200)
        expect(claim.json().data.user.displayName).toBe(h.sandbox.displayName())
        expect(computer.cookies.get(SESSION_COOKIE)).not.toBe(planted)
        expect(computer.cookies.has(DESKTOP_COOKIE)).toBe(false)
        expect((await computer.session()).json().data.user.displayName).toBe(h.sandbox.displayName())
        // The phone signed in with WeChat only to confirm: no session of its own, none of the desktop's.
        expect(phone.cookies.has(SESSION_COOKIE)).toBe(false)
        expect((await phone.session()).statusCode).toBe(401)
        expect(h.wechatCalls().access_token).toBe(1)
      })

      it('a second phone is refused at the scan, before any call to WeChat; the ticket signs in once', async () => {
        const computer = desktop()
        const link = await showCode(computer)
        const first = h.browser()
        await scanAndSignIn(first, link)
        const calls = h.wechatCalls()
        const second = h.browser()
        const refused = await second.get(pathOf(link))
        expect(refused.statusCode).toBe(403)
        expect(refused.body).toContain('This code was scanned by another phone')
        expect(second.cookies.has(LOGIN_COOKIE)).toBe(false)
        expect(h.wechatCalls()).toEqual(calls)

        // The second phone cannot confirm with the first one's form either: it lacks its cookie.
        const { csrf } = await confirmationOf(first)
        expect((await decide(second, csrf, 'confirm')).statusCode).toBe(403)
        expect((await decide(first, csrf, 'confirm')).statusCode).toBe(200)
        // Confirmed once: the same form again is refused.
        const again = await decide(first, csrf, 'confirm')
        expect(again.statusCode).toBe(403)

        const before = await sessionRows()
        expect((await computer.request('POST', `${ACTIONS}/desktopClaim`)).statusCode).toBe(200)
        expect(await sessionRows()).toBe(before + 1)
        expect(h.wechatCalls().access_token).toBe(1)
      })

      it("the phone's callback delivered twice: one exchange, both answers go on to the confirmation", async () => {
        const computer = desktop()
        const link = await showCode(computer)
        const phone = h.browser()
        const { callback, response } = await scanAndSignIn(phone, link)
        const again = await phone.get(callback)
        for (const answer of [response, again]) {
          expect(answer.statusCode).toBe(302)
          expect(answer.headers.location).toBe(`http://127.0.0.1:3000${ACTIONS}/desktopConfirm`)
        }
        expect(phone.cookies.has(SESSION_COOKIE)).toBe(false)
        expect(h.wechatCalls().access_token).toBe(1)
        const { csrf } = await confirmationOf(phone)
        expect((await decide(phone, csrf, 'confirm')).statusCode).toBe(200)
        expect((await computer.request('POST', `${ACTIONS}/desktopClaim`)).statusCode).toBe(200)
      })

      it('a claim without the ticket cookie, or from another browser, is refused', async () => {
        const computer = desktop()
        const link = await showCode(computer)
        expect((await phoneConfirms(h.browser(), link)).statusCode).toBe(200)
        const before = await sessionRows()

        const noCookie = desktop()
        const bare = await noCookie.request('POST', `${ACTIONS}/desktopClaim`)
        expect(bare.statusCode).toBe(401)
        expect(bare.json().code).toBe('JIT_DESKTOP_TICKET_MISSING')

        // Another browser with its own code, and one with this ticket's selector but not its secret.
        const other = desktop()
        await showCode(other)
        const otherClaim = await other.request('POST', `${ACTIONS}/desktopClaim`)
        expect(otherClaim.statusCode).toBe(409)
        expect(otherClaim.json().code).toBe('JIT_DESKTOP_TICKET_NOT_CONFIRMED')
        const forger = desktop()
        const selector = computer.cookies.get(DESKTOP_COOKIE)!.slice(43)
        forger.cookies.set(DESKTOP_COOKIE, `${'A'.repeat(43)}${selector}`)
        const forged = await forger.request('POST', `${ACTIONS}/desktopClaim`)
        expect(forged.statusCode).toBe(403)
        expect(forged.json().code).toBe('JIT_DESKTOP_TICKET_REFUSED')
        for (const answer of [bare, otherClaim, forged]) {
          expect(answer.cookies.find((c: { name: string }) => c.name === SESSION_COOKIE)).toBeUndefined()
        }
        expect(await sessionRows()).toBe(before)
        // The rightful browser still can.
        expect((await computer.request('POST', `${ACTIONS}/desktopClaim`)).statusCode).toBe(200)
        expect(h.wechatCalls().access_token).toBe(1)
      })

      it('a replayed claim is refused', async () => {
        const computer = desktop()
        const link = await showCode(computer)
        await phoneConfirms(h.browser(), link)
        const ticketCookie = computer.cookies.get(DESKTOP_COOKIE)!
        expect((await computer.request('POST', `${ACTIONS}/desktopClaim`)).statusCode).toBe(200)
        const before = await sessionRows()
        const replayer = desktop()
        replayer.cookies.set(DESKTOP_COOKIE, ticketCookie)
        const replay = await replayer.request('POST', `${ACTIONS}/desktopClaim`)
        expect(replay.statusCode).toBe(403)
        expect(replay.json()).toMatchObject({ code: 'JIT_DESKTOP_TICKET_REFUSED' })
        expect(replay.json().errmsg).toContain('already used')
        expect(replayer.cookies.has(SESSION_COOKIE)).toBe(false)
        expect(await sessionRows()).toBe(before)
        expect(h.wechatCalls().access_token).toBe(1)
      })

      it('a confirmed ticket claimed after its expiry is refused', async () => {
        const computer = desktop()
        const link = await showCode(computer)
        await phoneConfirms(h.browser(), link)
        h.clock.advance(DEFAULT_TICKET_TTL_MS)
        try {
          expect(await statusOf(computer)).toBe('expired')
          const late = await computer.request('POST', `${ACTIONS}/desktopClaim`)
          expect(late.statusCode).toBe(410)
          expect(late.json().code).toBe('JIT_DESKTOP_TICKET_EXPIRED')
          expect(computer.cookies.has(SESSION_COOKIE)).toBe(false)
        } finally {
          h.clock.advance(-DEFAULT_TICKET_TTL_MS)
        }
        expect(h.wechatCalls().access_token).toBe(1)
      })

      it('an expired code is refused at the scan, before any call to WeChat', async () => {
        const link = await showCode(desktop())
        h.clock.advance(DEFAULT_TICKET_TTL_MS)
        try {
          const phone = h.browser()
          const scan = await phone.get(pathOf(link))
          expect(scan.statusCode).toBe(400)
          expect(scan.body).toContain('This code has expired')
        } finally {
          h.clock.advance(-DEFAULT_TICKET_TTL_MS)
        }
        expect(h.wechatCalls()).toEqual({ access_token: 0, userinfo: 0 })
      })

      it('Cancel on the phone leaves the desktop signed out, told it was cancelled', async () => {
        const computer = desktop()
        const link = await showCode(computer)
        const phone = h.browser()
        await scanAndSignIn(phone, link)
        const { csrf } = await confirmationOf(phone)
        expect((await decide(phone, csrf, 'cancel')).body).toContain('Sign-in cancelled')
        expect(await statusOf(computer)).toBe('cancelled')
        const claim = await computer.request('POST', `${ACTIONS}/desktopClaim`)
        expect(claim.statusCode).toBe(403)
        expect(claim.json().errmsg).toContain('cancelled')
        expect((await computer.session()).statusCode).toBe(401)
      })

      it('a decision from another site, or with a stale form, changes nothing', async () => {
        const computer = desktop()
        const link = await showCode(computer)
        const phone = h.browser()
        await scanAndSignIn(phone, link)
        const { csrf } = await confirmationOf(phone)
        const crossSite = await phone.request('POST', `${ACTIONS}/desktopDecide`, {
          form: { csrf, decision: 'confirm' },
          headers: { origin: 'https://evil.example' },
        })
        expect(crossSite.statusCode).toBe(403)
        const stale = await decide(phone, 'B'.repeat(43), 'confirm')
        expect(stale.statusCode).toBe(400)
        expect(await statusOf(computer)).toBe('scanned')
        const start = await desktop().request('POST', `${ACTIONS}/desktopStart`, {
          headers: { origin: 'https://evil.example' },
        })
        expect(start.json().code).toBe('JIT_HTTP_CROSS_SITE')
      })

      it("the confirmation page before the phone's login finished offers nothing to confirm", async () => {
        const computer = desktop()
        const link = await showCode(computer)
        const phone = h.browser()
        expect((await phone.get(pathOf(link))).statusCode).toBe(302)
        const { page, csrf } = await confirmationOf(phone)
        expect(page.statusCode).toBe(400)
        expect(page.body).toContain('Sign in first')
        expect(csrf).toBe('')
        expect((await decide(phone, 'C'.repeat(43), 'confirm')).statusCode).toBe(400)
        expect(await statusOf(computer)).toBe('scanned')
        expect(h.wechatCalls()).toEqual({ access_token: 0, userinfo: 0 })
      })

      it('an unknown or malformed code is refused with a page, no call to WeChat', async () => {
        const phone = h.browser()
        for (const t of ['', 'abc', `${'A'.repeat(43)}${'0'.repeat(32)}`]) {
          const answer = await phone.get(`${ACTIONS}/scan?t=${t}`)
          expect(answer.statusCode).toBe(400)
          expect(answer.body).toContain('This code is not valid')
        }
        expect(h.wechatCalls()).toEqual({ access_token: 0, userinfo: 0 })
      })

      it('the event stream tells scanned and confirmed as they happen, then ends', async () => {
        const computer = desktop()
        const link = await showCode(computer)
        const cookie = `${DESKTOP_COOKIE}=${computer.cookies.get(DESKTOP_COOKIE)}`
        // Over a real socket: its headers arrive once the stream has read the first status, so the
        // phone scans after it (inject resolves only at the end, and PostgreSQL's first read is slower).
        const answer = await request(`${await listeningUrl()}${ACTIONS}/desktopEvents`, {
          headers: { cookie },
        })
        expect(answer.headers['content-type']).toContain('text/event-stream')
        const body = answer.body.text()
        await phoneConfirms(h.browser(), link)
        const statuses = [...(await body).matchAll(/data: \{"status":"(\w+)"\}/g)].map((m) => m[1])
        expect(statuses[0]).toBe('waiting')
        expect(statuses.at(-1)).toBe('confirmed')
        expect(statuses).toContain('scanned')
      })

      it('expired tickets are swept: long after, their link is unknown', async () => {
        const link = await showCode(desktop())
        const later = DEFAULT_TICKET_TTL_MS + 60 * 60 * 1000
        h.clock.advance(later)
        try {
          await showCode(desktop()) // a new ticket sweeps the expired ones
          const rows = await h.app
            .getElement('databases.Default')
            .kysely.selectFrom('jit_login_tickets')
            .select('id')
            .execute()
          expect(rows).toHaveLength(1)
          const scan = await h.browser().get(pathOf(link))
          expect(scan.statusCode).toBe(400)
          expect(scan.body).toContain('This code is not valid')
        } finally {
          h.clock.advance(-later)
        }
      })

      it('no ticket, code, state, CSRF token or session id in any log or answer but the QR link', async () => {
        h.appLog.lines.length = 0
        h.requestLog.lines.length = 0
        const computer = desktop()
        const start = await computer.request('POST', `${ACTIONS}/desktopStart`)
        const link = start.json().data.link as string
        const phone = h.browser()
        const scan = await phone.get(pathOf(link))
        const authorizeUrl = new URL(String(scan.headers.location))
        const callback = phone.authorize(authorizeUrl)
        const secrets = [
          new URL(link).searchParams.get('t')!,
          computer.cookies.get(DESKTOP_COOKIE)!,
          phone.cookies.get(PHONE_COOKIE)!,
          phone.cookies.get(LOGIN_COOKIE)!,
          authorizeUrl.searchParams.get('state')!,
          new URL(callback, 'http://x').searchParams.get('code')!,
        ]
        const answers = [await phone.get(callback)]
        const { page, csrf } = await confirmationOf(phone)
        answers.push(await decide(phone, csrf, 'confirm'))
        answers.push(await computer.get(`${ACTIONS}/desktopStatus`))
        answers.push(await computer.request('POST', `${ACTIONS}/desktopClaim`))
        secrets.push(computer.cookies.get(SESSION_COOKIE)!)
        answers.push(await computer.session())
        for (const value of secrets) expect(value).toMatch(/^[\w-]{20,}$/)
        // Each secret and its two halves (the selector names the row; the secret part opens it).
        const pieces = secrets.flatMap((s) => [s, s.slice(0, 43), s.slice(43)]).filter((p) => p.length >= 16)
        const logs = [...h.appLog.lines, ...h.requestLog.lines].join('\n')
        expect(logs).toContain('desktop login auths.loginTypes.SandboxLogin: signed in')
        for (const piece of pieces) {
          expect(logs).not.toContain(piece)
          for (const answer of [scan, ...answers]) expect(answer.body).not.toContain(piece)
        }
        // The confirmation page holds its CSRF token and nothing else secret.
        for (const piece of pieces) expect(page.body).not.toContain(piece)
        expect(logs).not.toContain(csrf)
      })
    })
  })
})

describe('case 18 across two processes on one database file', () => {
  let child: ChildProcess
  let childUrl: string
  beforeAll(async () => {
    h = await openLoginHarness()
    child = fork(
      fileURLToPath(new URL('./fixtures/second-server.ts', import.meta.url)),
      [h.dir, h.database, h.publicUrl],
      {
        execArgv: ['--import', fileURLToPath(new URL('../../bin/register.mjs', import.meta.url))],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    )
    const [message] = (await once(child, 'message')) as [{ port: number }]
    childUrl = `http://127.0.0.1:${message.port}`
  })
  afterAll(async () => {
    if (child.exitCode === null) {
      child.send('close')
      await once(child, 'exit')
    }
    await h.close()
  })

  it("the desktop's event stream on one process sees a Confirm made on the other", async () => {
    const computer = desktop()
    const link = await showCode(computer)
    const cookie = `${DESKTOP_COOKIE}=${computer.cookies.get(DESKTOP_COOKIE)}`
    const stream = h.server.inject({ method: 'GET', url: `${ACTIONS}/desktopEvents`, headers: { cookie } })

    // The phone talks to the second process only.
    const jar = new Map<string, string>()
    const phoneGet = async (target: string, form?: Record<string, string>) => {
      const headers: Record<string, string> = { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') }
      if (form) headers['content-type'] = 'application/x-www-form-urlencoded'
      const answer = await request(`${childUrl}${target}`, {
        method: form ? 'POST' : 'GET',
        headers,
        body: form ? new URLSearchParams(form).toString() : undefined,
      })
      const setCookie = answer.headers['set-cookie']
      for (const line of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
        const [pair] = line.split(';')
        const at = pair.indexOf('=')
        jar.set(pair.slice(0, at), pair.slice(at + 1))
      }
      return { status: answer.statusCode, location: answer.headers.location, body: await answer.body.text() }
    }
    const scan = await phoneGet(pathOf(link))
    expect(scan.status).toBe(302)
    const callback = h.browser().authorize(new URL(String(scan.location)))
    expect((await phoneGet(callback)).status).toBe(302)
    const form = await phoneGet(`${ACTIONS}/desktopConfirm`)
    const csrf = /name="csrf" value="([A-Za-z0-9]{43})"/.exec(form.body)?.[1] ?? ''
    expect((await phoneGet(`${ACTIONS}/desktopDecide`, { csrf, decision: 'confirm' })).status).toBe(200)

    const events = await stream
    expect([...events.body.matchAll(/"status":"(\w+)"/g)].map((m) => m[1]).at(-1)).toBe('confirmed')
    const claim = await computer.request('POST', `${ACTIONS}/desktopClaim`)
    expect(claim.statusCode).toBe(200)
    expect((await computer.session()).json().data.user.displayName).toBe(h.sandbox.displayName())
    expect(h.wechatCalls().access_token).toBe(1)
  })
})

describe('an open event stream at shutdown', () => {
  it('ends when the server closes, and does not hold the close up', async () => {
    h = await openLoginHarness()
    try {
      const computer = desktop()
      await showCode(computer)
      await h.server.listen({ port: 0, host: '127.0.0.1' })
      const address = h.server.server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      const stream = await request(`http://127.0.0.1:${port}${ACTIONS}/desktopEvents`, {
        headers: { cookie: `${DESKTOP_COOKIE}=${computer.cookies.get(DESKTOP_COOKIE)}` },
      })
      expect(stream.headers['content-type']).toContain('text/event-stream')
      const body = stream.body.text()
      await h.server.close()
      expect(await body).toContain('"status":"waiting"')
    } finally {
      await h.close()
    }
  })
})
