/**
 * The login family's two HTTP actions, the same for every login Type:
 * - `login` (GET `?redirectUrl=`): mints a state bound to this browser and redirects to the provider;
 * - `callback` (GET): checks the state (present, well-formed, known, this Instance's, this browser's,
 *   unexpired, unused) before any call to the provider, has the provider finish the login once, opens
 *   a session and redirects to the saved target.
 * What is provider-specific (the authorize URL, reading the callback, the exchange) is the Type's
 * `LoginProvider`.
 */
import type { FastifyReply } from 'fastify'
import type { LoginProvider, LoginResult } from 'jitlite/auth'
import { DATABASE_RETRY_AFTER_SECONDS, type Database, storageFaultOf } from 'jitlite/db'
import type { RouteContext } from 'jitlite/http'
import { attachPhoneLogin, refuseScan } from './desktop-phone.ts'
import { LOGIN_PAGE_STATUS, LOGIN_RESPONSE_HEADERS, type LoginPageKind, renderLoginPage } from './pages.ts'
import { readQuery } from './query.ts'
import { MAX_REDIRECT_URL_LENGTH, postLoginTarget, startPageOf } from './redirect.ts'
import { outcomeOfPage, reportLogin } from './report.ts'
import {
  type FailedOutcome,
  isAbandoned,
  LoginStateStore,
  STATE_TTL_MS,
  type StateRef,
  type StoredState,
  sameHash,
} from './states.ts'
import {
  composeState,
  NONCE_PATTERN,
  newBrowserNonce,
  newStateSecret,
  parseState,
  sha256Hex,
} from './tokens.ts'

/** The cookie that binds a login state to the browser that started it. */
export const LOGIN_COOKIE = 'jit_login'
/**
 * How long after a login finished the same browser may deliver the same callback again and still be
 * logged in (WeChat has been seen to deliver a redirect twice; the first answer may never have reached
 * the browser), provided the session that login opened is still open: after a logout, a replay (the
 * Back button on a shared phone) logs nobody in. Later deliveries are told the link was used.
 */
export const REPEAT_DELIVERY_WINDOW_MS = 2 * 60 * 1000
const REPEAT_DELIVERY_POLL_MS = 50
/** When a browser or address at its cap of live states may try again: finished sign-ins free their slot at once. */
const LIVE_STATES_RETRY_AFTER_SECONDS = 60
/**
 * Pages that ask the browser to come back later say when: a provider outage usually passes within
 * minutes, and another delivery of the same callback finishes within seconds.
 */
const PAGE_RETRY_AFTER_SECONDS: Partial<Record<LoginPageKind, number>> = { unavailable: 30, pending: 2 }
/** How long `completeLogin` may take when its provider does not say (`LoginProvider.attemptDeadlineMs`). */
export const DEFAULT_ATTEMPT_DEADLINE_MS = 30_000
/**
 * How long a claim outlasts its provider's attempt deadline: the database writes around the exchange
 * (the user, the session, the outcome; each may wait out SQLite's 5 s busy timeout) and the clock
 * differences between nodes. Past it, a claim still unfinished is abandoned.
 */
export const CLAIM_MARGIN_MS = 10_000

export type LoginContext = RouteContext<LoginProvider>

/**
 * A login action that answers a storage fault (the database cannot be written: a full disk, a
 * read-only file) with the family's page, 503 and `Retry-After`, rather than the server's JSON. The
 * database logs the fault once, so nothing is logged here per request.
 */
export function answeringStorageFaults(
  action: (ctx: LoginContext) => Promise<FastifyReply>,
): (ctx: LoginContext) => Promise<FastifyReply> {
  return async (ctx) => {
    try {
      return await action(ctx)
    } catch (error) {
      if (ctx.reply.sent || !storageFaultOf(error)) throw error
      // The actions set their cookies only after their writes, so a failed write left none to take back.
      ctx.reply.header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS))
      return sendPage(ctx, 'storage_unavailable')
    }
  }
}

/** GET `<login Instance>/login?redirectUrl=`: start a login. */
export async function startLogin(ctx: LoginContext): Promise<FastifyReply> {
  const query = readQuery(ctx.request.url)
  if (!query.ok) return sendPage(ctx, 'bad_request', { problem: query.problem })
  const { redirectUrl, forcePopup } = query.params
  if (redirectUrl !== undefined && redirectUrl.length > MAX_REDIRECT_URL_LENGTH) {
    return sendPage(ctx, 'bad_request', {
      problem: `redirectUrl is longer than ${MAX_REDIRECT_URL_LENGTH} characters`,
    })
  }
  if (forcePopup !== undefined && forcePopup !== 'true' && forcePopup !== 'false') {
    return sendPage(ctx, 'bad_request', { problem: 'forcePopup must be true or false' })
  }

  const target = postLoginTarget(redirectUrl, ctx.publicUrl, ctx.instance.allowedRedirectOrigins())
  return beginLogin(ctx, {
    target,
    forcePopup: forcePopup === undefined ? undefined : forcePopup === 'true',
  })
}

/**
 * Mints a state bound to this browser (its login cookie) and redirects to the provider: the start of
 * every login, a phone's for a desktop ticket included (`ticketId`: the callback then attaches the
 * user to that ticket instead of opening a session).
 */
export async function beginLogin(
  ctx: LoginContext,
  options: { target: string; forcePopup?: boolean; ticketId?: number },
): Promise<FastifyReply> {
  const secret = newStateSecret()
  const nonce = browserNonceOf(ctx) ?? newBrowserNonce()
  const selector = await statesOf(ctx).create({
    secretHash: sha256Hex(secret),
    loginType: ctx.element.fullName,
    browserHash: sha256Hex(nonce),
    addressHash: addressHashOf(ctx),
    redirectTarget: options.target,
    nowMs: ctx.now(),
    ticketId: options.ticketId,
    caps: ctx.liveRowCaps,
  })
  if (selector === undefined) {
    ctx.metrics.loginStarted(ctx.element.fullName, 'limited')
    ctx.log.warn(`login ${ctx.element.fullName}: refused to start, too many unfinished sign-ins from here`, {
      event: 'login_start',
      outcome: 'limited',
    })
    ctx.reply.header('retry-after', String(LIVE_STATES_RETRY_AFTER_SECONDS))
    return sendPage(ctx, 'too_many')
  }
  ctx.metrics.loginStarted(ctx.element.fullName)
  const loginUrl = ctx.instance.createLoginUrl({
    state: composeState(secret, selector),
    callbackUrl: ctx.actionUrl('callback'),
    forcePopup: options.forcePopup,
  })
  // Set again on every start: the cookie then lives as long as the newest state it binds.
  ctx.reply.setCookie(LOGIN_COOKIE, nonce, {
    path: cookiePathOf(ctx),
    httpOnly: true,
    // Lax: the way back from the provider is a cross-site top-level navigation, which Strict would strip.
    sameSite: 'lax',
    secure: ctx.publicUrl.startsWith('https:'),
    maxAge: STATE_TTL_MS / 1000,
  })
  return ctx.reply.code(302).headers(LOGIN_RESPONSE_HEADERS).header('location', loginUrl).send()
}

/** GET `<login Instance>/callback?code=&state=`: finish a login. */
export async function finishLogin(ctx: LoginContext): Promise<FastifyReply> {
  const loginType = ctx.element.fullName
  const query = readQuery(ctx.request.url)
  if (!query.ok) return refuse(ctx, 'bad_request', 'malformed query', { problem: query.problem })
  const state = query.params.state
  if (state === undefined || state === '') return refuse(ctx, 'invalid', 'no state')
  const parsedState = parseState(state)
  if (!parsedState) {
    return refuse(ctx, 'bad_request', 'malformed state', { problem: 'the state is not one this site issues' })
  }
  const params = ctx.instance.readCallback(query.params)
  if (params.kind === 'malformed') {
    return refuse(ctx, 'bad_request', `malformed ${params.field}`, {
      problem: `the parameter "${params.field}" is not valid`,
    })
  }
  const nonce = browserNonceOf(ctx)
  if (!nonce) return refuse(ctx, 'other_browser', 'no login cookie')

  const states = statesOf(ctx)
  const stateRef = await states.refOf(parsedState)
  // A selector this database never made names no row: the same answer as a row that is gone.
  if (!stateRef) return refuse(ctx, 'invalid', 'unknown state')
  const browserHash = sha256Hex(nonce)
  const nowMs = ctx.now()
  if (params.kind === 'denied') {
    const claimed = await states.claim({
      state: stateRef,
      loginType,
      browserHash,
      nowMs,
      next: { status: 'failed', outcome: { kind: 'cancelled' } },
    })
    if (claimed) {
      reportLogin(ctx, 'cancelled', 'cancelled by the user')
      return sendPage(ctx, 'cancelled', { retryTarget: claimed.redirectTarget })
    }
    return explainUnclaimed(ctx, stateRef, browserHash, undefined)
  }

  const codeHash = sha256Hex(params.code)
  const claimed = await states.claim({
    state: stateRef,
    loginType,
    browserHash,
    nowMs,
    next: { status: 'consuming', codeHash, deadlineMs: nowMs + claimLifetimeMs(ctx.instance) },
  })
  if (!claimed) return explainUnclaimed(ctx, stateRef, browserHash, codeHash)
  return exchange(ctx, states, stateRef, params.code, claimed)
}

/** The one exchange of a claimed state: the provider finishes the login, then the session opens. */
async function exchange(
  ctx: LoginContext,
  states: LoginStateStore,
  stateRef: StateRef,
  code: string,
  claimed: { redirectTarget: string; ticketId: number | null },
) {
  const loginType = ctx.element.fullName
  const { redirectTarget, ticketId } = claimed
  // For a phone's login for a desktop ticket: whether the user went to the ticket.
  let ticketAttached = false
  const result = await states.runFinishing(stateRef, async (): Promise<LoginResult> => {
    let outcome: LoginResult
    try {
      outcome = await ctx.instance.completeLogin({ code, callbackUrl: ctx.actionUrl('callback') })
    } catch (error) {
      // The database failing under the provider (storing the user) is not the provider's failure:
      // the storage page answers it (answeringStorageFaults).
      if (storageFaultOf(error)) throw error
      // A provider that throws broke its contract (outcomes are results); the message may not be
      // fit for a log line, so only the error's class and code are.
      ctx.log.error(`login ${loginType}: completeLogin threw ${describeThrown(error)}`, {
        event: 'login_error',
      })
      outcome = { status: 'failed', reason: 'provider_error', message: 'The sign-in could not be finished.' }
    }
    if (outcome.status === 'success' && !isSessionUser(outcome.user)) {
      ctx.log.error(`login ${loginType}: completeLogin returned a user without a userKey`, {
        event: 'login_error',
      })
      outcome = { status: 'failed', reason: 'provider_error', message: 'The sign-in could not be finished.' }
    }
    if (outcome.status === 'success' && ticketId !== null) {
      // The phone confirms on the next page; it gets no session of its own.
      ticketAttached = await attachPhoneLogin(ctx, ticketId, outcome.user)
      await states.finish(stateRef, outcome.user, null, ctx.now())
    } else if (outcome.status === 'success') {
      // The session first: a second delivery that sees the state done finds the session it opened.
      const session = await openSession(ctx, outcome.user)
      // Only a second delivery of this callback needs the state done, and it waits for this write:
      // the answer (the session is committed) goes out without waiting for it.
      states.finish(stateRef, outcome.user, session.ref, ctx.now()).catch((error) => {
        ctx.log.error(`login ${loginType}: could not record the finished login: ${describeThrown(error)}`, {
          event: 'login_error',
        })
      })
    } else {
      await states.fail(stateRef, failedOutcomeOf(outcome), ctx.now())
    }
    return outcome
  })
  if (result.status === 'success' && ticketId !== null && !ticketAttached) {
    return refuseScan(ctx, ticketId)
  }
  if (result.status === 'success' && ticketId !== null) {
    reportLogin(ctx, 'success', 'signed in on a phone, for a desktop to confirm')
    return ctx.reply.code(302).headers(LOGIN_RESPONSE_HEADERS).header('location', redirectTarget).send()
  }
  if (result.status === 'success') {
    reportLogin(ctx, 'success', 'signed in')
    return redirectAfterLogin(ctx, redirectTarget)
  }
  const failure = failedOutcomeOf(result)
  const providerCode = result.status === 'failed' ? result.providerCode : undefined
  const message = `${failure.kind}${providerCode !== undefined ? ` (provider code ${providerCode})` : ''}`
  reportLogin(
    ctx,
    outcomeOfPage(failure.kind),
    failure.kind === 'misconfigured' ? `${message}: check the Instance's settings` : message,
    providerCode,
  )
  return sendPage(ctx, failure.kind, { detail: failure.detail, retryTarget: redirectTarget })
}

/**
 * Why a state could not be claimed, and what this delivery gets: a refusal, the same page as the
 * delivery that consumed it, or (the same browser, the same code, shortly after) the same login.
 */
async function explainUnclaimed(
  ctx: LoginContext,
  stateRef: StateRef,
  browserHash: string,
  codeHash: string | undefined,
): Promise<FastifyReply> {
  const states = statesOf(ctx)
  let stored = await states.read(stateRef)
  if (!stored || stored.loginType !== ctx.element.fullName) return refuse(ctx, 'invalid', 'unknown state')
  if (!sameHash(stored.browserHash, browserHash))
    return refuse(ctx, 'other_browser', 'state of another browser')
  const retryTarget = stored.redirectTarget
  const nowMs = ctx.now()
  if (stored.status === 'pending') return refuse(ctx, 'expired', 'expired state', { retryTarget })
  const sameCode = codeHash !== undefined && stored.codeHash !== null && sameHash(stored.codeHash, codeHash)
  if (!sameCode) return refuse(ctx, 'used', 'state already used', { retryTarget })
  if (stored.status === 'consuming') {
    // A live claim is waited for until its deadline, which bounds the wait (the attempt deadline and a
    // margin); one past it (its process died) is answered at once with the fresh-login page.
    stored = await states.waitForOutcome(stateRef, {
      timeoutMs: Math.max(0, (stored.claimDeadlineMs ?? nowMs) - nowMs),
      pollMs: REPEAT_DELIVERY_POLL_MS,
      nowMs: () => ctx.now(),
    })
    if (stored && isAbandoned(stored, ctx.now())) {
      return refuse(ctx, 'interrupted', 'the delivery that claimed the state stopped before finishing', {
        retryTarget,
      })
    }
    if (stored?.status !== 'done' && stored?.status !== 'failed') {
      return refuse(ctx, 'pending', 'repeated delivery still waiting for the first', { retryTarget })
    }
  }
  if (stored.status === 'failed') {
    const failure = stored.failure ?? { kind: 'provider_error' }
    return refuse(
      ctx,
      failure.kind,
      'repeated delivery of a failed login',
      { retryTarget, detail: failure.detail },
      'replay',
    )
  }
  const finishedAtMs = stored.finishedAtMs ?? 0
  if (!stored.user || ctx.now() - finishedAtMs > REPEAT_DELIVERY_WINDOW_MS || nowMs >= stored.expiresAtMs) {
    return refuse(ctx, 'used', 'state already used', { retryTarget })
  }
  if (stored.ticketId !== null) {
    // A phone's login for a desktop ticket opened no session: the same browser goes on to confirm.
    reportLogin(ctx, 'repeat_delivery', "repeated delivery of a phone's finished login, no second exchange")
    return ctx.reply
      .code(302)
      .headers(LOGIN_RESPONSE_HEADERS)
      .header('location', stored.redirectTarget)
      .send()
  }
  if (!stored.sessionRef || !(await ctx.sessions.isOpen(stored.sessionRef))) {
    return refuse(ctx, 'used', 'state already used, and its session was closed since', { retryTarget })
  }
  reportLogin(ctx, 'repeat_delivery', 'repeated delivery of a finished login, no second exchange')
  await openSession(ctx, stored.user)
  return redirectAfterLogin(ctx, stored.redirectTarget)
}

/** How long a claim to consume a state lasts: the provider's attempt deadline and a margin. */
function claimLifetimeMs(provider: LoginProvider): number {
  const attemptMs = provider.attemptDeadlineMs?.()
  const valid = typeof attemptMs === 'number' && Number.isFinite(attemptMs) && attemptMs > 0
  return (valid ? attemptMs : DEFAULT_ATTEMPT_DEADLINE_MS) + CLAIM_MARGIN_MS
}

function openSession(ctx: LoginContext, user: NonNullable<StoredState['user']>) {
  return ctx.sessions.open(ctx.request, ctx.reply, { ...user, loginType: ctx.element.fullName })
}

function redirectAfterLogin(ctx: LoginContext, target: string): FastifyReply {
  return ctx.reply.code(302).headers(LOGIN_RESPONSE_HEADERS).header('location', target).send()
}

function refuse(
  ctx: LoginContext,
  kind: LoginPageKind,
  why: string,
  extra: { problem?: string; retryTarget?: string; detail?: string } = {},
  outcome = outcomeOfPage(kind),
): FastifyReply {
  reportLogin(ctx, outcome, `refused (${why})`)
  return sendPage(ctx, kind, extra)
}

function sendPage(
  ctx: LoginContext,
  kind: LoginPageKind,
  extra: { problem?: string; retryTarget?: string; detail?: string } = {},
): FastifyReply {
  const publicUrl = ctx.publicUrl
  const retryTarget = extra.retryTarget ?? startPageOf(publicUrl)
  const html = renderLoginPage({
    kind,
    appTitle: ctx.app.title,
    startPage: startPageOf(publicUrl),
    providerTitle: ctx.element.title,
    retryUrl: `${ctx.actionPath('login')}?redirectUrl=${encodeURIComponent(retryTarget)}`,
    detail: extra.detail,
    problem: extra.problem,
  })
  const retryAfter = PAGE_RETRY_AFTER_SECONDS[kind]
  if (retryAfter !== undefined && !ctx.reply.hasHeader('retry-after')) {
    ctx.reply.header('retry-after', String(retryAfter))
  }
  return ctx.reply
    .code(LOGIN_PAGE_STATUS[kind])
    .headers(LOGIN_RESPONSE_HEADERS)
    .header('content-type', 'text/html; charset=utf-8')
    .send(html)
}

function failedOutcomeOf(result: Exclude<LoginResult, { status: 'success' }>): FailedOutcome {
  if (result.status === 'snapshot') return { kind: 'snapshot' }
  if (result.reason === 'expired') return { kind: 'expired' }
  if (result.reason === 'misconfigured') return { kind: 'misconfigured' }
  return { kind: result.reason, detail: result.message }
}

function isSessionUser(user: unknown): user is Omit<NonNullable<StoredState['user']>, never> {
  const key = (user as { userKey?: unknown } | null)?.userKey
  return typeof key === 'string' && key !== ''
}

function describeThrown(error: unknown): string {
  if (!(error instanceof Error)) return typeof error
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' ? `${error.name} (${code})` : error.name
}

export function browserNonceOf(ctx: LoginContext): string | undefined {
  const nonce = ctx.request.cookies[LOGIN_COOKIE]
  return nonce !== undefined && NONCE_PATTERN.test(nonce) ? nonce : undefined
}

/** The hash a client's address is counted under by the caps on its live rows (states, tickets). */
export function addressHashOf(ctx: LoginContext): string {
  return sha256Hex(`address:${ctx.request.ip}`)
}

/**
 * The login cookie goes only to this app's API routes: under the public URL's path (it may carry one,
 * as the server builds action URLs from it).
 */
export function cookiePathOf(ctx: LoginContext): string {
  const basePath = new URL(ctx.publicUrl).pathname.replace(/\/+$/, '')
  return `${basePath}/api/${ctx.app.orgId}/${ctx.app.name}`
}

/** The login states of the app's default database. */
function statesOf(ctx: LoginContext): LoginStateStore {
  return LoginStateStore.of(ctx.getElement<Database>('databases.Default'))
}
