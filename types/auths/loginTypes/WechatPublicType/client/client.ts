/**
 * The WeChat Official Account web-authorization client (docs/wechat-protocol.md): one method per endpoint.
 * Transport, timeouts and retries live in transport.ts; errors and what they ask of the caller in errors.ts.
 */
import { WechatApiError, WechatInputError } from './errors.ts'
import {
  type WechatTokenResponse,
  type WechatUserInfo,
  wechatAuthSchema,
  wechatTokenSchema,
  wechatUserInfoSchema,
} from './schemas.ts'
import { WechatTransport, type WechatTransportOptions } from './transport.ts'

const AUTHORIZE_PATH = '/connect/oauth2/authorize'
const TOKEN_ENDPOINT = '/sns/oauth2/access_token'
const REFRESH_ENDPOINT = '/sns/oauth2/refresh_token'
const USERINFO_ENDPOINT = '/sns/userinfo'
const AUTH_ENDPOINT = '/sns/auth'

export const DEFAULT_OAUTH_BASE_URL = 'https://open.weixin.qq.com'
export const DEFAULT_API_BASE_URL = 'https://api.weixin.qq.com'

export type WechatScope = 'snsapi_base' | 'snsapi_userinfo'
export type WechatLang = 'zh_CN' | 'zh_TW' | 'en'

export interface WechatOAuthClientOptions extends WechatTransportOptions {
  /** Where the authorize page lives (a path prefix is kept). Default https://open.weixin.qq.com */
  oauthBaseUrl?: string
  /** Where the /sns endpoints live (a path prefix is kept). Default https://api.weixin.qq.com */
  apiBaseUrl?: string
}

const STATE = /^[A-Za-z0-9]{1,128}$/
const CODE = /^[A-Za-z0-9_-]{1,128}$/
const TOKEN = /^[\x21-\x7e]{1,512}$/
const OPENID = /^[A-Za-z0-9_-]{1,64}$/

/**
 * @example
 * const wechat = new WechatOAuthClient('wx1234567890abcdef', process.env.WECHAT_APP_SECRET!)
 * const url = wechat.createAuthorizationURL('https://example.com/callback', state, { scope: 'snsapi_userinfo' })
 * // ...the user comes back with ?code=...&state=...
 * const tokens = await wechat.validateAuthorizationCode(code)
 * const user = await wechat.getUserInfo(tokens.access_token, tokens.openid)
 */
export class WechatOAuthClient {
  readonly appId: string
  readonly #appSecret: string
  readonly #authorizeUrl: string
  readonly #appIdParam: string
  readonly #transport: WechatTransport

  constructor(appId: string, appSecret: string, options: WechatOAuthClientOptions = {}) {
    if (!/^[\x21-\x7e]{1,64}$/.test(appId)) throw new WechatInputError('appId', "the account's AppID (wx...)")
    if (!/^[\x21-\x7e]{1,128}$/.test(appSecret))
      throw new WechatInputError('appSecret', "the account's AppSecret")
    this.appId = appId
    this.#appSecret = appSecret
    this.#appIdParam = encodeURIComponent(appId)
    const oauthBase = baseUrl('oauthBaseUrl', options.oauthBaseUrl ?? DEFAULT_OAUTH_BASE_URL)
    this.#authorizeUrl = `${oauthBase.origin}${oauthBase.pathname.replace(/\/+$/, '')}${AUTHORIZE_PATH}`
    this.#transport = new WechatTransport(
      baseUrl('apiBaseUrl', options.apiBaseUrl ?? DEFAULT_API_BASE_URL),
      options,
    )
  }

  /**
   * The authorize URL, parameters in the order WeChat checks: appid, redirect_uri, response_type, scope,
   * state, forcePopup (if given), connect_redirect=1, then `#wechat_redirect`.
   */
  createAuthorizationURL(
    redirectUri: string,
    state: string,
    options: { scope?: WechatScope; forcePopup?: boolean } = {},
  ): string {
    if (!isHttpUrl(redirectUri)) throw new WechatInputError('redirectUri', 'an absolute http(s) URL')
    if (typeof state !== 'string' || !STATE.test(state))
      throw new WechatInputError('state', '1 to 128 characters of [A-Za-z0-9]')
    const scope = options.scope ?? 'snsapi_userinfo'
    if (scope !== 'snsapi_base' && scope !== 'snsapi_userinfo') {
      throw new WechatInputError('scope', 'snsapi_base or snsapi_userinfo')
    }
    const popup = options.forcePopup === undefined ? '' : `&forcePopup=${options.forcePopup === true}`
    return (
      `${this.#authorizeUrl}?appid=${this.#appIdParam}&redirect_uri=${encodeURIComponent(redirectUri)}` +
      `&response_type=code&scope=${scope}&state=${state}${popup}&connect_redirect=1#wechat_redirect`
    )
  }

  /** Exchanges a callback's code for tokens. A code is never presented twice (see RetryPolicy). */
  async validateAuthorizationCode(code: string): Promise<WechatTokenResponse> {
    if (typeof code !== 'string' || !CODE.test(code))
      throw new WechatInputError('code', '1 to 128 characters of [A-Za-z0-9_-]')
    const query = `appid=${this.#appIdParam}&secret=${encodeURIComponent(this.#appSecret)}&code=${code}&grant_type=authorization_code`
    return this.#transport.get(TOKEN_ENDPOINT, query, wechatTokenSchema, 'single_presentation', [
      this.#appSecret,
      code,
    ])
  }

  /** New tokens from a refresh token. Store the refresh_token that comes back: it may have changed. */
  async refreshAccessToken(refreshToken: string): Promise<WechatTokenResponse> {
    checkToken('refreshToken', refreshToken)
    const query = `appid=${this.#appIdParam}&grant_type=refresh_token&refresh_token=${encodeURIComponent(refreshToken)}`
    return this.#transport.get(REFRESH_ENDPOINT, query, wechatTokenSchema, 'idempotent', [refreshToken])
  }

  /** The user's profile; needs a snsapi_userinfo token (a snsapi_base one gets 48001). */
  async getUserInfo(
    accessToken: string,
    openid: string,
    lang: WechatLang = 'zh_CN',
  ): Promise<WechatUserInfo> {
    checkToken('accessToken', accessToken)
    if (!OPENID.test(openid)) throw new WechatInputError('openid', '1 to 64 characters of [A-Za-z0-9_-]')
    if (lang !== 'zh_CN' && lang !== 'zh_TW' && lang !== 'en')
      throw new WechatInputError('lang', 'zh_CN, zh_TW or en')
    const query = `access_token=${encodeURIComponent(accessToken)}&openid=${openid}&lang=${lang}`
    return this.#transport.get(USERINFO_ENDPOINT, query, wechatUserInfoSchema, 'idempotent', [accessToken])
  }

  /**
   * Whether WeChat still accepts `accessToken` for `openid`: false for an invalid or expired token
   * (40001, 40014, 42001) or a token of another user (40003); other failures throw.
   */
  async validateAccessToken(accessToken: string, openid: string): Promise<boolean> {
    checkToken('accessToken', accessToken)
    if (!OPENID.test(openid)) throw new WechatInputError('openid', '1 to 64 characters of [A-Za-z0-9_-]')
    const query = `access_token=${encodeURIComponent(accessToken)}&openid=${openid}`
    try {
      await this.#transport.get(AUTH_ENDPOINT, query, wechatAuthSchema, 'idempotent', [accessToken])
      return true
    } catch (error) {
      const errcode = error instanceof WechatApiError ? error.errcode : undefined
      if (errcode === 40001 || errcode === 40014 || errcode === 42001 || errcode === 40003) return false
      throw error
    }
  }

  /** Closes the connection pool the client opened (a `dispatcher` passed in is left open). */
  close(): Promise<void> {
    return this.#transport.close()
  }
}

function checkToken(field: string, value: string): void {
  if (typeof value !== 'string' || !TOKEN.test(value)) {
    throw new WechatInputError(field, '1 to 512 printable ASCII characters')
  }
}

function isHttpUrl(value: string): boolean {
  if (typeof value !== 'string') return false
  try {
    const url = new URL(value)
    return url.protocol === 'https:' || url.protocol === 'http:'
  } catch {
    return false
  }
}

function baseUrl(field: string, value: string): URL {
  if (isHttpUrl(value)) {
    const url = new URL(value)
    if (url.search === '' && url.hash === '' && url.username === '' && url.password === '') return url
  }
  throw new WechatInputError(field, 'an http(s) URL without query, fragment or credentials')
}
