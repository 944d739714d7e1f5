/**
 * What an Instance of WechatPublicType loads to: the login family's `LoginProvider` for WeChat. The
 * Meta's flow owns state, sessions and pages; this turns a callback's code into a user or an outcome.
 */
import type { Logger } from 'jitlite'
import type { CallbackParams, LoginProvider, LoginResult } from 'jitlite/auth'
import type { LoginOutcome, WechatAuth } from './auth.ts'
import { WechatApiError, WechatInputError, WechatNetworkError, WechatProtocolError } from './client/index.ts'
import { WechatAuthError } from './errors.ts'

// WeChat's codes are 32 characters of [0-9A-Za-z]; a little room either way, nothing that cannot be one.
const CODE = /^[A-Za-z0-9_-]{16,128}$/
const CODE_REFUSED = new Set([40029, 40163, 42003, 41008])
// WeChat is busy or over quota: the user can only try again later.
const BUSY = new Set([-1, 45011, 45009])
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g

const MESSAGES = {
  expired: 'This sign-in link has expired or was already used. Please sign in again.',
  unavailable: 'WeChat did not answer in time. Please try again in a moment.',
  misconfigured:
    "WeChat sign-in is not set up correctly on this site. The site's administrator has been told which setting to fix.",
  providerError: (errcode?: number) =>
    `WeChat refused the sign-in${errcode === undefined ? '' : ` (error ${errcode})`}. Please try again; if it keeps happening, contact the site's administrator.`,
}

/**
 * @example
 * const provider = app.getElement('auths.loginTypes.MyWechatLogin') as LoginProvider
 * const url = provider.createLoginUrl({ state, callbackUrl: 'https://example.com/api/demo/app/auths/loginTypes/MyWechatLogin/callback' })
 */
export class WechatLoginProvider implements LoginProvider {
  readonly #auth: WechatAuth
  readonly #instance: string
  readonly #log: Logger
  readonly #publicConfig: Readonly<Record<string, unknown>>

  constructor(auth: WechatAuth, instance: string, log: Logger) {
    this.#auth = auth
    this.#instance = instance
    this.#log = log
    const { appId, scope, lang, state } = auth.config
    this.#publicConfig = Object.freeze({ appId, scope, lang, ...(state === undefined ? {} : { state }) })
  }

  getLoginConfig(): Readonly<Record<string, unknown>> {
    return this.#publicConfig
  }

  allowedRedirectOrigins(): readonly string[] {
    return this.#auth.config.allowedRedirectOrigins
  }

  createLoginUrl(input: { state: string; callbackUrl: string; forcePopup?: boolean }): string {
    return this.#auth.authorizeUrl(this.#auth.config.redirectUri ?? input.callbackUrl, {
      state: input.state,
      forcePopup: input.forcePopup,
    })
  }

  readCallback(query: Readonly<Record<string, string>>): CallbackParams {
    const code = query.code
    // Today's WeChat stays on its page when the user refuses; older versions came back without a code.
    if (code === undefined || code === '') return { kind: 'denied' }
    if (typeof code !== 'string' || !CODE.test(code)) return { kind: 'malformed', field: 'code' }
    return { kind: 'code', code }
  }

  /** A login makes at most two WeChat calls (the exchange, then userinfo), each within its total deadline. */
  attemptDeadlineMs(): number {
    return 2 * this.#auth.config.totalDeadlineMs
  }

  desktopTicketLifetimeMs(): number {
    return this.#auth.config.desktopLoginTtlSeconds * 1000
  }

  async completeLogin(params: { code: string; callbackUrl: string }): Promise<LoginResult> {
    let outcome: LoginOutcome
    try {
      outcome = await this.#auth.login(params.code)
    } catch (error) {
      return this.#failed(error)
    }
    if (outcome.kind === 'snapshot') {
      this.#log.info(`${this.#instance}: a snapshot-page user came back; nothing was stored`)
      return { status: 'snapshot' }
    }
    const { row, user } = outcome
    this.#log.info(`${this.#instance}: user ${row.id} logged in (${row.scope})`)
    const displayName = user.nickname?.replace(CONTROL_CHARACTERS, '').trim()
    return {
      status: 'success',
      user: {
        userKey: String(row.id),
        ...(displayName ? { displayName } : {}),
        ...(user.headimgurl ? { avatarUrl: user.headimgurl } : {}),
        profile: {
          appId: row.appId,
          openid: row.openid,
          scope: row.scope,
          ...(user.unionid ? { unionid: user.unionid } : {}),
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
  if (error instanceof WechatApiError) {
    const providerCode = error.errcode
    if (CODE_REFUSED.has(error.errcode))
      return { status: 'failed', reason: 'expired', message: MESSAGES.expired, providerCode }
    if (error.action === 'fix_configuration')
      return { status: 'failed', reason: 'misconfigured', message: MESSAGES.misconfigured, providerCode }
    if (BUSY.has(error.errcode))
      return { status: 'failed', reason: 'unavailable', message: MESSAGES.unavailable, providerCode }
    return {
      status: 'failed',
      reason: 'provider_error',
      message: MESSAGES.providerError(providerCode),
      providerCode,
    }
  }
  if (error instanceof WechatNetworkError) {
    if (error.action === 'fix_configuration')
      return { status: 'failed', reason: 'misconfigured', message: MESSAGES.misconfigured }
    return { status: 'failed', reason: 'unavailable', message: MESSAGES.unavailable }
  }
  if (error instanceof WechatProtocolError || error instanceof WechatAuthError)
    return { status: 'failed', reason: 'provider_error', message: MESSAGES.providerError() }
  if (error instanceof WechatInputError)
    return { status: 'failed', reason: 'expired', message: MESSAGES.expired }
  return undefined
}
