/**
 * What an Instance of QywxInnerType loads to: the login family's `LoginProvider` for WeCom. The Meta's
 * flow owns state, sessions and pages; this builds the entry URL and turns a callback's code into a
 * user or an outcome.
 */
import type { Logger } from 'jitlite'
import type { CallbackParams, LoginProvider, LoginResult } from 'jitlite/auth'
import type { QywxAuth } from './auth.ts'
import { WecomApiError, WecomNetworkError, WecomProtocolError } from './client/index.ts'
import { QywxAuthError } from './errors.ts'

/** `client`: OAuth inside the WeCom client; `web`: the QR / one-click login page for a desktop browser. */
export type WecomEntry = 'client' | 'web'

// Observed 43 characters of [A-Za-z0-9_-]; documented "at most 512 bytes".
const CODE = /^[A-Za-z0-9_-]{8,512}$/
const CODE_REFUSED = new Set([40029, 41008])
const BUSY = new Set([-1, 45009, 45033])
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g

export const MESSAGES = {
  expired: 'This sign-in link has expired or was already used. Please sign in again.',
  unavailable: 'WeCom did not answer in time. Please try again in a moment.',
  misconfigured:
    "WeCom sign-in is not set up correctly on this site. The site's administrator has been told which setting to fix.",
  notVisible:
    "Your WeCom account may not use this app. Ask your company's WeCom administrator to add you to the app's visible range.",
  nonMember: 'Only members of this company can sign in here. Please sign in with your company WeCom account.',
  providerError: (errcode?: number) =>
    `WeCom refused the sign-in${errcode === undefined ? '' : ` (error ${errcode})`}. Please try again; if it keeps happening, contact the site's administrator.`,
}

/**
 * @example
 * const provider = app.getElement('auths.loginTypes.StaffLogin') as QywxLoginProvider
 * provider.createLoginUrl({ state, callbackUrl })           // the desktop web login page
 * provider.withEntry('client').createLoginUrl({ state, callbackUrl }) // in-client OAuth
 */
export class QywxLoginProvider implements LoginProvider {
  readonly #auth: QywxAuth
  readonly #instance: string
  readonly #log: Logger
  readonly #entry: WecomEntry
  readonly #publicConfig: Readonly<Record<string, unknown>>

  constructor(auth: QywxAuth, instance: string, log: Logger, entry: WecomEntry = 'web') {
    this.#auth = auth
    this.#instance = instance
    this.#log = log
    this.#entry = entry
    const { corpId, agentId, scope, redirectUri } = auth.config
    this.#publicConfig = Object.freeze({ corpId, agentId, scope, ...(redirectUri ? { redirectUri } : {}) })
  }

  /** The same provider, starting logins at `entry`. */
  withEntry(entry: WecomEntry): QywxLoginProvider {
    return entry === this.#entry ? this : new QywxLoginProvider(this.#auth, this.#instance, this.#log, entry)
  }

  get auth(): QywxAuth {
    return this.#auth
  }

  getLoginConfig(): Readonly<Record<string, unknown>> {
    return this.#publicConfig
  }

  allowedRedirectOrigins(): readonly string[] {
    return this.#auth.config.allowedRedirectOrigins
  }

  createLoginUrl(input: { state: string; callbackUrl: string }): string {
    const redirectUri = this.#auth.config.redirectUri ?? input.callbackUrl
    return this.#entry === 'client'
      ? this.#auth.client.authorizeUrl(redirectUri, input.state, this.#auth.config.scope)
      : this.#auth.client.webLoginUrl(redirectUri, input.state, this.#auth.config.lang)
  }

  readCallback(query: Readonly<Record<string, string>>): CallbackParams {
    const code = query.code
    // The web login page comes back with the state and no code when the user cancels.
    if (code === undefined || code === '') return { kind: 'denied' }
    if (!CODE.test(code)) return { kind: 'malformed', field: 'code' }
    return { kind: 'code', code }
  }

  /**
   * A login makes at most six WeCom calls, each within its total deadline: gettoken, getuserinfo,
   * getuserdetail, user/get, and once per login a refetched token with the refused call again.
   */
  attemptDeadlineMs(): number {
    return 6 * this.#auth.config.totalDeadlineMs
  }

  async completeLogin(params: { code: string }): Promise<LoginResult> {
    let outcome: Awaited<ReturnType<QywxAuth['login']>>
    try {
      outcome = await this.#auth.login(params.code)
    } catch (error) {
      return this.#failed(error)
    }
    const { row, user } = outcome
    this.#log.info(
      `${this.#instance}: ${user.kind === 'member' ? 'member' : 'non-member'} ${row.id} logged in`,
    )
    const displayName = user.name?.replace(CONTROL_CHARACTERS, '').trim()
    return {
      status: 'success',
      user: {
        userKey: String(row.id),
        ...(displayName ? { displayName } : {}),
        ...(user.avatar ? { avatarUrl: user.avatar } : {}),
        profile: {
          corpId: user.corpId,
          kind: user.kind,
          ...(user.userId ? { userId: user.userId } : {}),
          ...(user.openid ? { openid: user.openid } : {}),
          ...(user.department ? { department: user.department } : {}),
          ...(user.position ? { position: user.position } : {}),
        },
      },
    }
  }

  /** Expected failures become results; anything else (a database outage, a bug) is thrown. */
  #failed(error: unknown): LoginResult {
    const result = describeFailure(error)
    if (!result) throw error
    this.#log.warn(`${this.#instance}: login failed (${result.reason}): ${(error as Error).message}`)
    return result
  }
}

function describeFailure(error: unknown): Extract<LoginResult, { status: 'failed' }> | undefined {
  if (error instanceof WecomApiError) {
    const providerCode = error.errcode
    if (CODE_REFUSED.has(providerCode))
      return { status: 'failed', reason: 'expired', message: MESSAGES.expired, providerCode }
    if (error.action === 'fix_configuration' || error.action === 'refresh_token')
      return { status: 'failed', reason: 'misconfigured', message: MESSAGES.misconfigured, providerCode }
    if (error.action === 'deny')
      return { status: 'failed', reason: 'provider_error', message: MESSAGES.notVisible, providerCode }
    if (BUSY.has(providerCode))
      return { status: 'failed', reason: 'unavailable', message: MESSAGES.unavailable, providerCode }
    return {
      status: 'failed',
      reason: 'provider_error',
      message: MESSAGES.providerError(providerCode),
      providerCode,
    }
  }
  if (error instanceof WecomNetworkError)
    return { status: 'failed', reason: 'unavailable', message: MESSAGES.unavailable }
  if (error instanceof WecomProtocolError)
    return { status: 'failed', reason: 'provider_error', message: MESSAGES.providerError() }
  if (error instanceof QywxAuthError) {
    if (error.code === 'WECOM_NON_MEMBER_REFUSED')
      return { status: 'failed', reason: 'provider_error', message: MESSAGES.nonMember }
    if (error.code === 'WECOM_TOKEN_WAIT_TIMEOUT')
      return { status: 'failed', reason: 'unavailable', message: MESSAGES.unavailable }
    return { status: 'failed', reason: 'provider_error', message: MESSAGES.providerError() }
  }
  return undefined
}
