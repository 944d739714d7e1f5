/**
 * The phone's side of a desktop sign-in (docs/security.md#cross-device-sign-in):
 * - `scan` (GET `?t=`): the QR link. Binds the ticket to this phone (an HttpOnly cookie), then runs
 *   the family's normal login, whose state is bound to this phone's browser like any other;
 * - the callback of that login attaches the user to the ticket instead of opening a session
 *   (`attachPhoneLogin`, called by flow.ts) and sends the phone to
 * - `desktopConfirm` (GET): "Sign in on the computer?", with a form carrying a fresh CSRF token, to
 * - `desktopDecide` (POST): Confirm or Cancel, once; same-origin only, this phone's cookie, the token.
 * The phone never gets a session from this, and never the desktop's.
 */
import type { FastifyReply } from 'fastify'
import type { Database } from 'jitlite/db'
import {
  PHONE_PAGE_HEADERS,
  PHONE_PAGE_STATUS,
  type PhonePageKind,
  renderConfirmPage,
  renderPhonePage,
} from './desktop-pages.ts'
import { beginLogin, cookiePathOf, type LoginContext } from './flow.ts'
import { readQuery } from './query.ts'
import { type TicketRef, type TicketStatus, TicketStore, type TicketUser } from './tickets.ts'
import { composeState, newStateSecret, parseState, STATE_PATTERN } from './tokens.ts'

/** The cookie that binds a ticket to the phone that scanned it first. */
export const PHONE_COOKIE = 'jit_desktop_phone'
/** The phone's cookie outlives any ticket: the ticket's own expiry is what ends it. */
const PHONE_COOKIE_MAX_AGE_S = 20 * 60

/** GET `<login Instance>/scan?t=`: the link of a desktop's QR code, opened on a phone. */
export async function scanTicket(ctx: LoginContext): Promise<FastifyReply> {
  const loginType = ctx.element.fullName
  const query = readQuery(ctx.request.url)
  const token = query.ok ? parseState(query.params.t ?? '') : undefined
  const tickets = ticketsOf(ctx)
  const ref = token && (await tickets.refOf(token))
  if (!token || !ref) return phonePage(ctx, 'ticket_invalid', 'unknown code')
  // The same phone opening the link again keeps its binding.
  const held = phoneCookieOf(ctx)
  const phoneSecret = held?.selector === token.selector ? held.secret : newStateSecret()
  const nowMs = ctx.now()
  const phone = await tickets.refOf({ secret: phoneSecret, selector: token.selector })
  if (!phone || !(await tickets.scan(ref, loginType, phone.secretHash, nowMs))) {
    const status = await tickets.statusForScan(ref, loginType, nowMs)
    return phonePage(
      ctx,
      status === 'scanned' ? 'ticket_taken' : pageOfStatus(status),
      `code ${status ?? 'unknown'}`,
    )
  }
  ctx.reply.setCookie(PHONE_COOKIE, composeState(phoneSecret, token.selector), {
    path: cookiePathOf(ctx),
    httpOnly: true,
    // Lax: the provider's redirect back to the callback is a cross-site navigation.
    sameSite: 'lax',
    secure: ctx.publicUrl.startsWith('https:'),
    maxAge: PHONE_COOKIE_MAX_AGE_S,
  })
  ctx.log.info(`desktop login ${loginType}: code scanned`, { event: 'desktop_login', outcome: 'scanned' })
  return beginLogin(ctx, { target: ctx.actionUrl('desktopConfirm'), ticketId: ref.rowId })
}

/**
 * For flow.ts: the phone's login for ticket `ticketId` succeeded; records its user on the ticket when
 * this browser is the phone bound to it. False when it is not, or the ticket moved on or expired.
 */
export async function attachPhoneLogin(
  ctx: LoginContext,
  ticketId: number,
  user: TicketUser,
): Promise<boolean> {
  const phone = await phoneRefOf(ctx)
  if (!phone || phone.rowId !== ticketId) return false
  return ticketsOf(ctx).attachUser(ticketId, phone.secretHash, user, ctx.now())
}

/** For flow.ts: the page of a phone whose login could not go to its ticket. */
export async function refuseScan(ctx: LoginContext, ticketId: number): Promise<FastifyReply> {
  const phone = await phoneRefOf(ctx)
  if (!phone || phone.rowId !== ticketId)
    return phonePage(ctx, 'ticket_no_phone', 'no phone cookie after login')
  const status = await ticketsOf(ctx).statusForPhone(phone, ctx.now())
  return phonePage(
    ctx,
    status === undefined ? 'ticket_taken' : pageOfStatus(status),
    `code ${status ?? 'taken'}`,
  )
}

/** GET `<login Instance>/desktopConfirm`: the phone's question, after its login. */
export async function confirmPage(ctx: LoginContext): Promise<FastifyReply> {
  const phone = await phoneRefOf(ctx)
  if (!phone) return phonePage(ctx, 'ticket_no_phone', 'no phone cookie')
  const tickets = ticketsOf(ctx)
  const csrfToken = newStateSecret()
  const nowMs = ctx.now()
  const summary = await tickets.prepareConfirmation(phone, csrfToken, nowMs)
  if (!summary) {
    const status = await tickets.statusForPhone(phone, nowMs)
    // Still scanned: this phone holds the ticket but its login did not finish.
    const kind = status === 'scanned' ? 'ticket_unfinished' : pageOfStatus(status)
    return phonePage(ctx, kind, `nothing to confirm (${status ?? 'unknown'})`)
  }
  const html = renderConfirmPage({
    appTitle: ctx.app.title,
    userName: summary.user.displayName?.trim() || 'your account',
    shownAtMs: summary.createdAtMs,
    nowMs,
    browserLabel: summary.browserLabel,
    action: ctx.actionPath('desktopDecide'),
    csrfToken,
  })
  return ctx.reply
    .code(200)
    .headers(PHONE_PAGE_HEADERS)
    .header('content-type', 'text/html; charset=utf-8')
    .send(html)
}

/** POST `<login Instance>/desktopDecide` (`decision=confirm|cancel&csrf=`): the phone's answer. */
export async function decide(ctx: LoginContext): Promise<FastifyReply> {
  if (!isSameOrigin(ctx)) return phonePage(ctx, 'ticket_invalid', 'decision from another site', 403)
  const body = (ctx.request.body ?? {}) as Record<string, unknown>
  const decision = body.decision
  const csrf = body.csrf
  if (
    (decision !== 'confirm' && decision !== 'cancel') ||
    typeof csrf !== 'string' ||
    !/^[A-Za-z0-9]{43}$/.test(csrf)
  )
    return phonePage(ctx, 'ticket_invalid', 'malformed decision')
  const phone = await phoneRefOf(ctx)
  if (!phone) return phonePage(ctx, 'ticket_no_phone', 'decision without the phone cookie')
  const tickets = ticketsOf(ctx)
  const nowMs = ctx.now()
  const next = decision === 'confirm' ? 'confirmed' : 'cancelled'
  if (!(await tickets.decide(phone, csrf, next, nowMs))) {
    const status = await tickets.statusForPhone(phone, nowMs)
    // Still scanned: the form was not the latest one this phone was shown.
    const kind = status === 'scanned' ? 'ticket_invalid' : pageOfStatus(status)
    return phonePage(ctx, kind, `decision refused (${status ?? 'unknown'})`)
  }
  ctx.reply.clearCookie(PHONE_COOKIE, { path: cookiePathOf(ctx) })
  ctx.log.info(`desktop login ${ctx.element.fullName}: ${next} on the phone`, {
    event: 'desktop_login',
    outcome: next,
  })
  return phonePage(ctx, next === 'confirmed' ? 'confirmed' : 'declined')
}

/**
 * Whether a state-changing request came from this app's own pages: its Origin, when the browser sent
 * one, is the app's public origin or the origin of the host it was sent to.
 */
export function isSameOrigin(ctx: LoginContext): boolean {
  const origin = ctx.request.headers.origin
  if (origin === undefined) return true
  if (origin === new URL(ctx.publicUrl).origin) return true
  const host = ctx.request.headers.host
  return host !== undefined && (origin === `http://${host}` || origin === `https://${host}`)
}

function pageOfStatus(status: TicketStatus | undefined): PhonePageKind {
  switch (status) {
    case 'expired':
      return 'ticket_expired'
    case 'confirmed':
    case 'consumed':
      return 'ticket_used'
    case 'cancelled':
      return 'ticket_cancelled'
    case 'scanned':
      return 'ticket_taken'
    default:
      return 'ticket_invalid'
  }
}

function phonePage(ctx: LoginContext, kind: PhonePageKind, why?: string, status?: number): FastifyReply {
  if (why) {
    ctx.log.warn(`desktop login ${ctx.element.fullName}: refused on the phone (${why})`, {
      event: 'desktop_login',
      outcome: 'refused',
    })
  }
  return ctx.reply
    .code(status ?? PHONE_PAGE_STATUS[kind])
    .headers(PHONE_PAGE_HEADERS)
    .header('content-type', 'text/html; charset=utf-8')
    .send(renderPhonePage(kind, ctx.app.title))
}

function phoneCookieOf(ctx: LoginContext): { secret: string; selector: string } | undefined {
  const value = ctx.request.cookies[PHONE_COOKIE]
  return value !== undefined && STATE_PATTERN.test(value) ? parseState(value) : undefined
}

async function phoneRefOf(ctx: LoginContext): Promise<TicketRef | undefined> {
  const held = phoneCookieOf(ctx)
  return held && ticketsOf(ctx).refOf(held)
}

export function ticketsOf(ctx: LoginContext): TicketStore {
  return TicketStore.of(ctx.getElement<Database>('databases.Default'))
}
