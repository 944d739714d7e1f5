/**
 * The WeCom server API a self-built app's login needs (docs/wecom-protocol.md): gettoken,
 * auth/getuserinfo, auth/getuserdetail, user/get, and the two login URLs. Stateless: the app token's
 * cache is app-token.ts. Every answer is HTTP 200 with `errcode`; success is `errcode === 0`.
 */
import type { WecomHosts } from '../config.ts'
import { WecomApiError, type WecomEndpoint, WecomNetworkError, WecomProtocolError } from './errors.ts'

export type WecomScope = 'snsapi_base' | 'snsapi_privateinfo'

export interface WecomClientOptions extends WecomHosts {
  corpId: string
  corpSecret: string
  agentId: string
  attemptTimeoutMs: number
  totalDeadlineMs: number
  /** Base of the backoff between retries of -1 (doubled each time). Default 200 ms. */
  retryBaseDelayMs?: number
}

export interface WecomToken {
  accessToken: string
  expiresInSeconds: number
}

/** `auth/getuserinfo`: a member's userid (and a ticket for privateinfo), or a non-member's openid. */
export type WecomIdentity =
  | { kind: 'member'; userId: string; userTicket?: string }
  | { kind: 'non_member'; openid: string; externalUserId?: string }

/** `auth/getuserdetail`: sensitive fields, real only when the admin enabled them and the member consented. */
export interface WecomUserDetail {
  userId: string
  gender?: string
  avatar?: string
  mobile?: string
  email?: string
  bizMail?: string
  address?: string
}

/** `user/get`: the profile fields self-built apps still receive, and the ones older apps also get. */
export interface WecomUserProfile {
  userId: string
  name?: string
  department?: number[]
  position?: string
  status?: number
  isLeaderInDept?: number[]
  mobile?: string
  email?: string
  gender?: string
  avatar?: string
}

/** -1 (busy) is retried at most this many times, as WeCom advises. */
const BUSY_RETRIES = 3
/** Network failures are retried on calls that change nothing at WeCom (never on a code exchange). */
const NETWORK_RETRIES = 2

/**
 * @example
 * const client = new WecomClient({ corpId, corpSecret, agentId, ...hosts, attemptTimeoutMs: 5000, totalDeadlineMs: 10_000 })
 * const { accessToken } = await client.getToken()
 * const identity = await client.getUserInfo(accessToken, code)
 */
export class WecomClient {
  readonly #options: WecomClientOptions

  constructor(options: WecomClientOptions) {
    this.#options = options
  }

  get corpId(): string {
    return this.#options.corpId
  }

  get agentId(): string {
    return this.#options.agentId
  }

  /** The in-client OAuth URL, parameters in the order of WeCom's current page, with `#wechat_redirect`. */
  authorizeUrl(redirectUri: string, state: string, scope: WecomScope): string {
    const query = [
      ['appid', this.#options.corpId],
      ['redirect_uri', redirectUri],
      ['response_type', 'code'],
      ['scope', scope],
      ['state', state],
      ['agentid', this.#options.agentId],
    ]
    return `${this.#options.oauthBaseUrl}/connect/oauth2/authorize?${encode(query)}#wechat_redirect`
  }

  /** The web login page (QR code, or one click when WeCom desktop runs) for a desktop browser. */
  webLoginUrl(redirectUri: string, state: string, lang?: 'zh' | 'en'): string {
    const query = [
      ['login_type', 'CorpApp'],
      ['appid', this.#options.corpId],
      ['agentid', this.#options.agentId],
      ['redirect_uri', redirectUri],
      ['state', state],
      ...(lang ? [['lang', lang]] : []),
    ]
    return `${this.#options.loginBaseUrl}/wwlogin/sso/login?${encode(query)}`
  }

  /** A new app token. Never called per login: app-token.ts caches and shares it. */
  async getToken(): Promise<WecomToken> {
    const body = await this.#call(
      '/cgi-bin/gettoken',
      { corpid: this.#options.corpId, corpsecret: this.#options.corpSecret },
      { idempotent: true },
    )
    const accessToken = body.access_token
    const expiresIn = Number(body.expires_in)
    if (typeof accessToken !== 'string' || accessToken === '' || accessToken.length > 512)
      throw new WecomProtocolError('/cgi-bin/gettoken', 'no access_token')
    return { accessToken, expiresInSeconds: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 7200 }
  }

  /** Turns a code into a member's userid or a non-member's openid. Consumes the code: never retried on a network failure. */
  async getUserInfo(accessToken: string, code: string): Promise<WecomIdentity> {
    const body = await this.#call(
      '/cgi-bin/auth/getuserinfo',
      { access_token: accessToken, code },
      { idempotent: false },
    )
    // The legacy endpoint's capitalised keys are accepted too (docs/wecom-protocol.md#code-exchange).
    const userId = stringOf(body.userid) ?? stringOf(body.UserId)
    if (userId) {
      const ticket = stringOf(body.user_ticket)
      return { kind: 'member', userId, ...(ticket ? { userTicket: ticket } : {}) }
    }
    const openid = stringOf(body.openid) ?? stringOf(body.OpenId)
    if (openid) {
      const external = stringOf(body.external_userid)
      return { kind: 'non_member', openid, ...(external ? { externalUserId: external } : {}) }
    }
    throw new WecomProtocolError('/cgi-bin/auth/getuserinfo', 'neither userid nor openid')
  }

  /** Sensitive fields for a `user_ticket` (in-client snsapi_privateinfo only). */
  async getUserDetail(accessToken: string, userTicket: string): Promise<WecomUserDetail> {
    const body = await this.#call(
      '/cgi-bin/auth/getuserdetail',
      { access_token: accessToken },
      { idempotent: true, json: { user_ticket: userTicket } },
    )
    const userId = stringOf(body.userid)
    if (!userId) throw new WecomProtocolError('/cgi-bin/auth/getuserdetail', 'no userid')
    return dropEmpty({
      userId,
      gender: stringOf(body.gender),
      avatar: stringOf(body.avatar),
      mobile: stringOf(body.mobile),
      email: stringOf(body.email),
      bizMail: stringOf(body.biz_mail),
      address: stringOf(body.address),
    })
  }

  /** A member's profile. Apps created after 2022-06-20 get no avatar, gender, mobile or email here. */
  async getUser(accessToken: string, userId: string): Promise<WecomUserProfile> {
    const body = await this.#call(
      '/cgi-bin/user/get',
      { access_token: accessToken, userid: userId },
      { idempotent: true },
    )
    const answered = stringOf(body.userid)
    if (!answered) throw new WecomProtocolError('/cgi-bin/user/get', 'no userid')
    return dropEmpty({
      userId: answered,
      name: stringOf(body.name),
      department: numbersOf(body.department),
      position: stringOf(body.position),
      status: typeof body.status === 'number' ? body.status : undefined,
      isLeaderInDept: numbersOf(body.is_leader_in_dept),
      mobile: stringOf(body.mobile),
      email: stringOf(body.email),
      gender: stringOf(body.gender),
      avatar: stringOf(body.avatar),
    })
  }

  async #call(
    endpoint: WecomEndpoint,
    query: Record<string, string>,
    options: { idempotent: boolean; json?: unknown },
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + this.#options.totalDeadlineMs
    const base = this.#options.retryBaseDelayMs ?? 200
    let busy = 0
    let network = 0
    for (;;) {
      let body: Record<string, unknown>
      try {
        body = await this.#attempt(endpoint, query, options.json, deadline)
      } catch (error) {
        const retryable =
          error instanceof WecomNetworkError && options.idempotent && network < NETWORK_RETRIES
        if (!retryable || !(await pause(base * 2 ** network++, deadline))) throw error
        continue
      }
      const errcode = body.errcode
      if (errcode === 0) return body
      if (typeof errcode !== 'number') throw new WecomProtocolError(endpoint, 'no errcode')
      if (errcode === -1 && busy < BUSY_RETRIES && (await pause(base * 2 ** busy++, deadline))) continue
      throw new WecomApiError(endpoint, errcode, body.errmsg)
    }
  }

  async #attempt(
    endpoint: WecomEndpoint,
    query: Record<string, string>,
    json: unknown,
    deadline: number,
  ): Promise<Record<string, unknown>> {
    const timeoutMs = Math.max(1, Math.min(this.#options.attemptTimeoutMs, deadline - Date.now()))
    const url = `${this.#options.apiBaseUrl}${endpoint}?${encode(Object.entries(query))}`
    let response: Response
    try {
      response = await fetch(url, {
        method: json === undefined ? 'GET' : 'POST',
        headers: json === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
        body: json === undefined ? undefined : JSON.stringify(json),
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      })
    } catch (error) {
      const timedOut = (error as Error)?.name === 'TimeoutError'
      throw new WecomNetworkError(
        endpoint,
        timedOut ? `no answer within ${timeoutMs} ms` : 'network failure',
        {
          cause: error,
        },
      )
    }
    let text: string
    try {
      text = await response.text()
    } catch (error) {
      throw new WecomNetworkError(endpoint, 'the answer was cut off', { cause: error })
    }
    if (response.status !== 200) throw new WecomNetworkError(endpoint, `HTTP ${response.status}`)
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      throw new WecomProtocolError(endpoint, 'not JSON')
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new WecomProtocolError(endpoint, 'not a JSON object')
    return body as Record<string, unknown>
  }
}

function encode(pairs: readonly (readonly string[])[]): string {
  return pairs.map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('&')
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

function numbersOf(value: unknown): number[] | undefined {
  return Array.isArray(value) ? value.filter((item): item is number => typeof item === 'number') : undefined
}

function dropEmpty<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
}

/** Waits `ms` unless that would pass `deadline`; false when there is no time left to retry. */
async function pause(ms: number, deadline: number): Promise<boolean> {
  if (Date.now() + ms >= deadline) return false
  await new Promise((resolve) => setTimeout(resolve, ms))
  return true
}
