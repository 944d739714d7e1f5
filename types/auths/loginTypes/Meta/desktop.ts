/**
 * The desktop's side of a desktop sign-in (docs/security.md#cross-device-sign-in), JSON and events:
 * - `desktopStart` (POST): a new ticket; its secret goes into this browser's HttpOnly cookie, and the
 *   answer carries the QR link (the only place a ticket's secret appears) and when it expires;
 * - `desktopEvents` (GET): server-sent events of the ticket's status until it is confirmed or over;
 * - `desktopStatus` (GET): the same status once, for browsers that cannot keep an event stream open;
 * - `desktopClaim` (POST): consumes a confirmed ticket, in one UPDATE, and opens a fresh session for
 *   this browser; the cookie is the only key, so another browser, a replay or a late claim is refused;
 * - `desktopCancel` (POST): ends the ticket (the page shows a new code, or is closed).
 */
import type { FastifyReply } from 'fastify'
import type { ErrorCode } from 'jitlite'
import { describeBrowser } from './browser-label.ts'
import { isSameOrigin, ticketsOf } from './desktop-phone.ts'
import { addressHashOf, cookiePathOf, type LoginContext } from './flow.ts'
import { DEFAULT_TICKET_TTL_MS, isFinal, type TicketRef, type TicketStatus } from './tickets.ts'
import { composeState, newStateSecret, parseState, STATE_PATTERN } from './tokens.ts'

/** The cookie that binds a ticket to the desktop browser that asked for it. */
export const DESKTOP_COOKIE = 'jit_desktop'
/**
 * How often an event stream reads its ticket's row: a Confirm made on another node is seen within
 * this; one made in this process wakes the stream at once.
 */
export const EVENTS_POLL_MS = 200
/** A comment line this often keeps proxies from closing a quiet stream. */
const HEARTBEAT_MS = 15_000
/** When an address at its cap of live tickets may try again: a used or cancelled ticket frees its place at once. */
const LIVE_TICKETS_RETRY_AFTER_SECONDS = 60

/** POST `<login Instance>/desktopStart`: a new code for this browser. */
export async function startDesktopLogin(ctx: LoginContext): Promise<unknown> {
  if (!isSameOrigin(ctx))
    return refuse(ctx, 403, 'JIT_HTTP_CROSS_SITE', "a desktop sign-in starts from this app's own pages")
  const tickets = ticketsOf(ctx)
  const nowMs = ctx.now()
  // A new code replaces the one this browser showed before.
  const previous = await desktopRefOf(ctx)
  if (previous) await tickets.cancelByDesktop(previous, nowMs)
  const ttlMs = ticketLifetimeMs(ctx)
  const scanSecret = newStateSecret()
  const desktopSecret = newStateSecret()
  const created = await tickets.create({
    scanSecret,
    desktopSecret,
    loginType: ctx.element.fullName,
    browserLabel: describeBrowser(ctx.request.headers['user-agent']),
    addressHash: addressHashOf(ctx),
    capPerAddress: ctx.liveRowCaps.ticketsPerAddress,
    nowMs,
    ttlMs,
  })
  if (!created) {
    ctx.reply.header('retry-after', String(LIVE_TICKETS_RETRY_AFTER_SECONDS))
    return refuse(
      ctx,
      429,
      'JIT_LIVE_TICKETS_CAPPED',
      'Too many sign-in codes are showing from your network without being used. Try again in 1 minute.',
    )
  }
  const { selector } = created
  ctx.reply.setCookie(DESKTOP_COOKIE, composeState(desktopSecret, selector), {
    path: cookiePathOf(ctx),
    httpOnly: true,
    // Strict: only this app's own pages ever send it (fetch and EventSource from the page).
    sameSite: 'strict',
    secure: ctx.publicUrl.startsWith('https:'),
    maxAge: Math.ceil(ttlMs / 1000) + 60,
  })
  ctx.reply.header('cache-control', 'no-store')
  return {
    errcode: 0,
    errmsg: 'ok',
    data: {
      link: `${ctx.actionUrl('scan')}?t=${composeState(scanSecret, selector)}`,
      expiresAt: new Date(nowMs + ttlMs).toISOString(),
      lifetimeMs: ttlMs,
    },
  }
}

/** GET `<login Instance>/desktopStatus`: the ticket's status, once. */
export async function desktopStatus(ctx: LoginContext): Promise<unknown> {
  const ref = await desktopRefOf(ctx)
  const status = ref && (await ticketsOf(ctx).statusForDesktop(ref, ctx.now()))
  if (!status) return missing(ctx)
  ctx.reply.header('cache-control', 'no-store')
  return { errcode: 0, errmsg: 'ok', data: { status } }
}

/**
 * GET `<login Instance>/desktopEvents`: `event: status` with `{"status": ...}` at the start and at each
 * change, until confirmed or over (then the stream ends: the page claims, or shows a new code).
 */
export async function desktopEvents(ctx: LoginContext): Promise<unknown> {
  const ref = await desktopRefOf(ctx)
  const tickets = ticketsOf(ctx)
  const first = ref && (await tickets.statusForDesktop(ref, ctx.now()))
  if (!ref || !first) return missing(ctx)
  const reply = ctx.reply
  reply.hijack()
  const raw = reply.raw
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  })
  const ended = new AbortController()
  const end = () => ended.abort()
  raw.on('close', end)
  ctx.closing.addEventListener('abort', end, { once: true })
  raw.write('retry: 1000\n\n')
  let sent: TicketStatus | undefined
  let quietSince = performance.now()
  try {
    let status: TicketStatus = first
    for (;;) {
      if (status !== sent) {
        raw.write(`event: status\ndata: ${JSON.stringify({ status })}\n\n`)
        sent = status
        quietSince = performance.now()
      } else if (performance.now() - quietSince >= HEARTBEAT_MS) {
        raw.write(': waiting\n\n')
        quietSince = performance.now()
      }
      if (status === 'confirmed' || isFinal(status)) break
      await tickets.waitForChange(ref.rowId, EVENTS_POLL_MS, ended.signal)
      if (ended.signal.aborted) break
      // A row swept away is long expired.
      status = (await tickets.statusForDesktop(ref, ctx.now())) ?? 'expired'
    }
  } catch (error) {
    // The database failed under the stream: the browser reconnects, or falls back to polling.
    ctx.log.warn(`desktop login ${ctx.element.fullName}: event stream ended early (${(error as Error).name})`)
  } finally {
    raw.off('close', end)
    ctx.closing.removeEventListener('abort', end)
    raw.end()
  }
  return reply
}

/** POST `<login Instance>/desktopClaim`: the confirmed ticket becomes this browser's session. */
export async function claimDesktopLogin(ctx: LoginContext): Promise<unknown> {
  if (!isSameOrigin(ctx))
    return refuse(ctx, 403, 'JIT_HTTP_CROSS_SITE', "a desktop sign-in is claimed from this app's own pages")
  const loginType = ctx.element.fullName
  const ref = await desktopRefOf(ctx)
  if (!ref) return missing(ctx)
  const tickets = ticketsOf(ctx)
  const nowMs = ctx.now()
  const user = await tickets.claim(ref, loginType, nowMs)
  if (!user) {
    const status = await tickets.statusForDesktop(ref, nowMs)
    if (status === 'expired')
      return refuse(
        ctx,
        410,
        'JIT_DESKTOP_TICKET_EXPIRED',
        'this sign-in code expired before it was claimed: show a new code and scan it again',
      )
    if (status === 'waiting' || status === 'scanned')
      return refuse(ctx, 409, 'JIT_DESKTOP_TICKET_NOT_CONFIRMED', 'confirm the sign-in on the phone first')
    const why =
      status === 'consumed'
        ? 'this sign-in code was already used'
        : status === 'cancelled'
          ? 'this sign-in was cancelled'
          : 'this browser did not start this sign-in'
    return refuse(ctx, 403, 'JIT_DESKTOP_TICKET_REFUSED', `${why}: show a new code and scan it again`)
  }
  // A fresh session id, the browser's previous session ended: the same rules as the normal login.
  await ctx.sessions.open(ctx.request, ctx.reply, { ...user, loginType })
  ctx.reply.clearCookie(DESKTOP_COOKIE, { path: cookiePathOf(ctx) })
  ctx.reply.header('cache-control', 'no-store')
  ctx.log.info(`desktop login ${loginType}: signed in`, { event: 'desktop_login', outcome: 'success' })
  return { errcode: 0, errmsg: 'ok', data: { user: { ...user, loginType } } }
}

/** POST `<login Instance>/desktopCancel`: the desktop gives its ticket up. */
export async function cancelDesktopLogin(ctx: LoginContext): Promise<unknown> {
  if (!isSameOrigin(ctx))
    return refuse(ctx, 403, 'JIT_HTTP_CROSS_SITE', "a desktop sign-in is cancelled from this app's own pages")
  const ref = await desktopRefOf(ctx)
  if (!ref) return missing(ctx)
  const cancelled = await ticketsOf(ctx).cancelByDesktop(ref, ctx.now())
  ctx.reply.clearCookie(DESKTOP_COOKIE, { path: cookiePathOf(ctx) })
  return { errcode: 0, errmsg: 'ok', data: { cancelled } }
}

function ticketLifetimeMs(ctx: LoginContext): number {
  const ms = ctx.instance.desktopTicketLifetimeMs?.()
  return typeof ms === 'number' && Number.isFinite(ms) && ms > 0 ? ms : DEFAULT_TICKET_TTL_MS
}

async function desktopRefOf(ctx: LoginContext): Promise<TicketRef | undefined> {
  const value = ctx.request.cookies[DESKTOP_COOKIE]
  const held = value !== undefined && STATE_PATTERN.test(value) ? parseState(value) : undefined
  return held && ticketsOf(ctx).refOf(held)
}

function missing(ctx: LoginContext): FastifyReply {
  return refuse(
    ctx,
    401,
    'JIT_DESKTOP_TICKET_MISSING',
    'this browser holds no live desktop sign-in: start a new one (cookies must be allowed)',
  )
}

function refuse(ctx: LoginContext, status: number, code: ErrorCode, errmsg: string): FastifyReply {
  ctx.log.warn(`desktop login ${ctx.element.fullName}: refused (${code})`, {
    event: 'desktop_login',
    outcome: 'refused',
    errorCode: code,
  })
  return ctx.reply.code(status).header('cache-control', 'no-store').send({ errcode: status, errmsg, code })
}
