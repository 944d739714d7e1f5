/**
 * Each login's outcome is one log line and one count: `event: 'login'` with an `outcome` a person can
 * grep (`"outcome":"cancelled"`), and `jit_login_completions_total{outcome}`. The line names the
 * Instance, never a code, state or token.
 */
import type { LoginProvider } from 'jitlite/auth'
import type { RouteContext } from 'jitlite/http'
import type { LoginPageKind } from './pages.ts'

/** What an operator reads and counts for each page a callback can end on. */
const OUTCOME_OF_PAGE: Record<LoginPageKind, string> = {
  cancelled: 'cancelled',
  expired: 'expired',
  used: 'replay',
  invalid: 'bad_state',
  bad_request: 'bad_request',
  other_browser: 'other_browser',
  snapshot: 'snapshot',
  provider_error: 'provider_error',
  unavailable: 'provider_unavailable',
  misconfigured: 'misconfigured',
  pending: 'pending',
  storage_unavailable: 'storage_unavailable',
  interrupted: 'interrupted',
  too_many: 'limited',
}

export type LoginOutcome = string

export function outcomeOfPage(kind: LoginPageKind): LoginOutcome {
  return OUTCOME_OF_PAGE[kind]
}

/**
 * Logs and counts a callback's outcome: `success` and `repeat_delivery` at info, `misconfigured` at
 * error, the rest (refusals, provider failures) at warn.
 */
export function reportLogin(
  ctx: RouteContext<LoginProvider>,
  outcome: LoginOutcome,
  message: string,
  providerCode?: number,
): void {
  const loginType = ctx.element.fullName
  ctx.metrics.loginFinished(loginType, outcome, providerCode)
  // How long the callback took so far: with the exchange, nearly all of it.
  const durationMs = Math.round(ctx.reply.elapsedTime)
  const fields =
    providerCode === undefined
      ? { event: 'login', outcome, durationMs }
      : { event: 'login', outcome, providerCode, durationMs }
  const line = `login ${loginType}: ${message}`
  if (outcome === 'success' || outcome === 'repeat_delivery' || outcome === 'cancelled')
    ctx.log.info(line, fields)
  else if (outcome === 'misconfigured') ctx.log.error(line, fields)
  else ctx.log.warn(line, fields)
}
