/**
 * The WeChat login of one Instance: code exchange, userinfo, stored tokens and their refresh. The
 * service (`WechatPublicAuthSvc`) and the login flow's provider (type.ts) are both thin faces of it.
 */
import { type AppInfo, type Logger, type Metrics, noMetrics, type SharedResources } from 'jitlite'
import { Leases } from 'jitlite/db'
import {
  WechatApiError,
  type WechatLang,
  type WechatOAuthClient,
  type WechatScope,
  type WechatTokenResponse,
  type WechatUserInfo,
} from './client/index.ts'
import { resolveWechatHosts, type WechatPublicConfig } from './config.ts'
import { fieldCipher, type WechatConnection, wechatConnection } from './connection.ts'
import { WechatAuthError } from './errors.ts'
import {
  type StoredLogin,
  type WechatAuthModel,
  type WechatAuthRow,
  WechatTokenStore,
} from './token-store.ts'

/**
 * A WeChat user as `getUserInfo` returns it (the seed's shape). `snsapi_base` logins carry `openid`
 * (and `unionid` when WeChat sends one) only. `unionid` is absent when WeChat sent none.
 */
export interface WechatUser {
  openid: string
  nickname?: string
  headimgurl?: string
  /** 1 male, 2 female, 0 unknown (always 0 since October 2021). */
  sex?: number
  province?: string
  city?: string
  country?: string
  unionid?: string
  /**
   * Set for a snapshot-page virtual user (WeChat's `is_snapshotuser: 1`): the openid is virtual, nothing
   * was stored, and no account may be created or linked. Ask the user to tap "use full service".
   */
  isSnapshotUser?: true
}

/** What a code exchange came to. */
export type LoginOutcome =
  | { kind: 'user'; row: WechatAuthRow; user: WechatUser }
  | { kind: 'snapshot'; user: WechatUser }

export interface WechatAuthOptions {
  /** The Instance's fullName, for log lines. */
  instance: string
  config: WechatPublicConfig
  connection: WechatConnection
  store: WechatTokenStore
  log: Logger
  /** Where refreshes are counted. Default: nowhere. */
  metrics?: Metrics
  /** Current time in ms (default Date.now). */
  now?: () => number
}

const USERINFO_SCOPE: WechatScope = 'snsapi_userinfo'

/** A refresh lease outlasts the refresh's own deadline by this much, then another caller may take it. */
const REFRESH_LEASE_MARGIN_MS = 5000
/** How often a caller waiting for another node's refresh looks for the token it stores. */
const REFRESH_POLL_MS = 20

/** The model child of every Instance, relative to the Instance. */
export const AUTH_MODEL = 'models.WechatPublicAuthModel'

export class WechatAuth {
  readonly config: WechatPublicConfig
  readonly #instance: string
  readonly #client: WechatOAuthClient
  readonly #refreshes: Map<string, Promise<string>>
  readonly #store: WechatTokenStore
  readonly #log: Logger
  readonly #metrics: Metrics
  readonly #now: () => number

  constructor(options: WechatAuthOptions) {
    this.config = options.config
    this.#instance = options.instance
    this.#client = options.connection.client
    this.#refreshes = options.connection.refreshes
    this.#store = options.store
    this.#log = options.log
    this.#metrics = options.metrics ?? noMetrics
    this.#now = options.now ?? Date.now
  }

  authorizeUrl(
    redirectUri: string,
    options: { state: string; scope?: WechatScope; forcePopup?: boolean },
  ): string {
    return this.#client.createAuthorizationURL(redirectUri, options?.state, {
      scope: options?.scope ?? this.config.scope,
      forcePopup: options?.forcePopup,
    })
  }

  /** Exchanges a code and stores the tokens (a snapshot user's are never stored). */
  async accessToken(code: string): Promise<WechatTokenResponse> {
    const requestedAtMs = this.#now()
    const tokens = await this.#client.validateAuthorizationCode(code)
    if (tokens.is_snapshotuser !== 1) await this.#store.saveLogin(tokens, requestedAtMs)
    return tokens
  }

  /**
   * Exchanges a code, fetches the profile when the grant allows it, and stores the user: exactly one
   * code exchange, one userinfo call for snsapi_userinfo grants, none for snsapi_base or snapshot users.
   */
  async login(code: string): Promise<LoginOutcome> {
    const requestedAtMs = this.#now()
    const tokens = await this.#client.validateAuthorizationCode(code)
    if (tokens.is_snapshotuser === 1) {
      return { kind: 'snapshot', user: { openid: tokens.openid, isSnapshotUser: true } }
    }
    if (!grantsUserinfo(tokens.scope)) {
      const row = await this.#store.saveLogin(tokens, requestedAtMs)
      return { kind: 'user', row, user: baseUser(tokens.openid, row.unionid ?? tokens.unionid) }
    }
    const profile = await this.#client.getUserInfo(tokens.access_token, tokens.openid, this.#lang)
    this.#checkSameUser(profile.openid, tokens.openid, '/sns/userinfo')
    const row = await this.#store.saveLogin(tokens, requestedAtMs, profile)
    return { kind: 'user', row, user: profileUser(profile, tokens.unionid) }
  }

  /** New tokens from a refresh token; the stored login of their openid, if any, takes them. */
  async refresh(refreshToken: string): Promise<WechatTokenResponse> {
    const requestedAtMs = this.#now()
    const tokens = await this.#counted(this.#client.refreshAccessToken(refreshToken))
    const stored = await this.#store.find(tokens.openid)
    if (stored) await this.#store.saveRefreshed(stored.row, tokens, requestedAtMs)
    return tokens
  }

  validate(accessToken: string, openid: string): Promise<boolean> {
    return this.#client.validateAccessToken(accessToken, openid)
  }

  /**
   * The current profile of a stored user, with the stored access token: refreshed first when it has
   * expired, and refreshed once more (then retried once) when WeChat says it is invalid or expired.
   */
  async userInfoByOpenid(openid: string): Promise<WechatUser> {
    const stored = await this.#store.find(openid)
    if (!stored) {
      throw new WechatAuthError(
        'WECHAT_USER_NOT_FOUND',
        `${this.#instance} has no stored login for this openid: the user must log in once (getUserInfo(code)) before their profile can be read by openid.`,
        'restart_authorization',
      )
    }
    if (!grantsUserinfo(stored.row.scope ?? '')) {
      throw new WechatAuthError(
        'WECHAT_SCOPE_INSUFFICIENT',
        `This user logged in to ${this.#instance} with scope snsapi_base, which cannot read a profile: set "scope": "snsapi_userinfo" in the login config and have the user log in again.`,
        'restart_authorization',
      )
    }
    let accessToken = await this.#usableAccessToken(stored)
    let profile: WechatUserInfo
    try {
      profile = await this.#client.getUserInfo(accessToken, openid, this.#lang)
    } catch (error) {
      if (!(error instanceof WechatApiError)) throw error
      if (error.action === 'clear_tokens') await this.#clearRevoked(stored.row, error)
      if (error.action !== 'refresh_token') throw error
      accessToken = await this.#refreshStored(openid, accessToken)
      profile = await this.#client.getUserInfo(accessToken, openid, this.#lang)
    }
    this.#checkSameUser(profile.openid, openid, '/sns/userinfo')
    const updated = await this.#store.saveProfile(stored.row, profile)
    return profileUser(profile, updated?.unionid ?? undefined)
  }

  get #lang(): WechatLang {
    return this.config.lang
  }

  async #usableAccessToken(stored: NonNullable<Awaited<ReturnType<WechatTokenStore['find']>>>) {
    if (stored.accessToken === null || stored.refreshToken === null) throw this.#tokensCleared()
    const expiresAtMs = stored.row.expiresAt?.getTime() ?? 0
    if (expiresAtMs > this.#now()) return stored.accessToken
    return this.#refreshStored(stored.row.openid, stored.accessToken)
  }

  /**
   * Refreshes the stored token of `openid`, unless another caller already did: concurrent callers
   * join the refresh in flight, and a caller that arrives after it finished uses its result.
   * `staleAccessToken` is the token the caller found unusable.
   */
  #refreshStored(openid: string, staleAccessToken: string): Promise<string> {
    const inFlight = this.#refreshes.get(openid)
    if (inFlight) return inFlight
    const refreshing = this.#runRefresh(openid, staleAccessToken).finally(() => {
      this.#refreshes.delete(openid)
    })
    this.#refreshes.set(openid, refreshing)
    return refreshing
  }

  /**
   * Refreshes once for every node: the caller that takes the database lease on this user's refresh
   * calls WeChat; the others, here or on another node, wait for the token it stores (or for the lease
   * to end, its holder having failed or died) instead of spending a second call of the quota.
   */
  async #runRefresh(openid: string, staleAccessToken: string): Promise<string> {
    const leaseName = `wechat-refresh:${this.config.appId}:${openid}`
    for (;;) {
      const stored = await this.#freshOrStale(openid, staleAccessToken)
      if (typeof stored === 'string') return stored
      const lease = await Leases.of(this.#store.database).take(leaseName, {
        nowMs: this.#now(),
        forMs: this.config.totalDeadlineMs + REFRESH_LEASE_MARGIN_MS,
      })
      if (!lease) {
        await sleep(REFRESH_POLL_MS)
        continue
      }
      try {
        // Another node may have finished its refresh between the read above and the lease.
        const current = await this.#freshOrStale(openid, staleAccessToken)
        if (typeof current === 'string') return current
        return await this.#refreshWithWechat(openid, current)
      } finally {
        await lease.release()
      }
    }
  }

  /** The stored access token if it is no longer the stale one and has not expired; else the stored login. */
  async #freshOrStale(openid: string, staleAccessToken: string) {
    const stored = await this.#store.find(openid)
    if (!stored || stored.accessToken === null || stored.refreshToken === null) throw this.#tokensCleared()
    const freshEnough = (stored.row.expiresAt?.getTime() ?? 0) > this.#now()
    if (stored.accessToken !== staleAccessToken && freshEnough) return stored.accessToken
    return stored as StoredLogin & { refreshToken: string }
  }

  async #refreshWithWechat(openid: string, stored: StoredLogin & { refreshToken: string }): Promise<string> {
    const requestedAtMs = this.#now()
    let tokens: WechatTokenResponse
    try {
      tokens = await this.#counted(this.#client.refreshAccessToken(stored.refreshToken))
    } catch (error) {
      if (error instanceof WechatApiError && error.action === 'clear_tokens')
        await this.#clearRevoked(stored.row, error)
      throw error
    }
    this.#checkSameUser(tokens.openid, openid, '/sns/oauth2/refresh_token')
    await this.#store.saveRefreshed(stored.row, tokens, requestedAtMs)
    return tokens.access_token
  }

  /** A refresh, counted by outcome (`jit_token_refreshes_total`). */
  async #counted<T>(refreshing: Promise<T>): Promise<T> {
    try {
      const tokens = await refreshing
      this.#metrics.tokenRefreshed('wechat', 'success')
      return tokens
    } catch (error) {
      this.#metrics.tokenRefreshed('wechat', 'failed')
      throw error
    }
  }

  /** WeChat says the user's tokens are dead (40030, 42002, 42007): forget them, keep the profile. */
  async #clearRevoked(row: WechatAuthRow, error: WechatApiError): Promise<void> {
    await this.#store.clearTokens(row)
    this.#log.warn(
      `${this.#instance}: WeChat revoked the stored tokens of user ${row.id} (errcode ${error.errcode}); they were cleared and the user must log in again`,
    )
  }

  #tokensCleared(): WechatAuthError {
    return new WechatAuthError(
      'WECHAT_TOKENS_CLEARED',
      `The stored tokens of this user in ${this.#instance} were cleared after WeChat revoked them: send the user through login again.`,
      'restart_authorization',
    )
  }

  /** Never merge two users: an answer about another openid is refused. */
  #checkSameUser(answered: string, asked: string, endpoint: '/sns/userinfo' | '/sns/oauth2/refresh_token') {
    if (answered === asked) return
    throw new WechatAuthError(
      'WECHAT_OPENID_MISMATCH',
      `WeChat's ${endpoint} answered for another openid than the token's; the answer was refused and nothing was stored. Check that apiBaseUrl points at WeChat.`,
      'reject',
    )
  }
}

/** Whether a grant's scope (WeChat may list several, comma-separated) includes snsapi_userinfo. */
function grantsUserinfo(scope: string): boolean {
  return scope.split(',').some((part) => part.trim() === USERINFO_SCOPE)
}

function baseUser(openid: string, unionid: string | null | undefined): WechatUser {
  return unionid ? { openid, unionid } : { openid }
}

function profileUser(profile: WechatUserInfo, fallbackUnionid: string | undefined): WechatUser {
  const user: WechatUser = {
    openid: profile.openid,
    nickname: profile.nickname,
    headimgurl: profile.headimgurl,
    sex: profile.sex,
    province: profile.province,
    city: profile.city,
    country: profile.country,
  }
  const unionid = profile.unionid ?? fallbackUnionid
  if (unionid) user.unionid = unionid
  return user
}

export interface WechatAuthContext {
  /** The Instance's fullName. */
  instance: string
  config: WechatPublicConfig
  resources: SharedResources
  app: AppInfo
  log: Logger
  metrics: Metrics
  /** The Instance's WechatPublicAuthModel, resolved on first use. */
  model: () => WechatAuthModel
  env: Readonly<Record<string, string | undefined>>
}

/**
 * The WechatAuth of an Instance, over its shared connection and the app's field cipher.
 *
 * @example
 * const auth = wechatAuthFor({ instance: ctx.element.fullName, config: ctx.config, resources: ctx.resources,
 *   app: ctx.app, log: ctx.log, model: () => ctx.getElement(`${ctx.element.fullName}.models.WechatPublicAuthModel`) })
 * const outcome = await auth.login(code)
 */
export function wechatAuthFor(context: WechatAuthContext): WechatAuth {
  const env = context.env
  const hosts = resolveWechatHosts(context.config, env, context.instance)
  const connection = wechatConnection(context.resources, context.config, hosts, context.instance, context)
  const cipher = fieldCipher(context.resources, context.app, context.log, env)
  return new WechatAuth({
    instance: context.instance,
    config: context.config,
    connection,
    store: new WechatTokenStore(context.model, cipher, context.config.appId),
    log: context.log,
    metrics: context.metrics,
  })
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
