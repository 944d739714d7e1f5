/**
 * The errors the WeCom client throws, and "what each error asks of the client"
 * (docs/wecom-protocol.md#error-moves) as data. Messages name the endpoint path only: never a query string,
 * secret, code, ticket or token.
 */

/** What the caller should do about a failed call. */
export type WecomErrorAction =
  /** Transient: the same call may succeed later (the client already retried within its limits). */
  | 'retry'
  /** A rate or concurrency limit: wait at least a minute; never hot-loop gettoken. */
  | 'back_off'
  /** The code is bad, used or expired: send the user through the login again. */
  | 'restart_authorization'
  /** The app token is expired or invalid: drop the cached token, fetch one, retry once. */
  | 'refresh_token'
  /** A setting is wrong (the advice names it): fail loudly, retrying cannot help. */
  | 'fix_configuration'
  /** Refuse the login (the member is not visible to the app, or unknown). */
  | 'deny'

/** The paths the client calls, as they appear in errors and log lines. */
export type WecomEndpoint =
  | '/cgi-bin/gettoken'
  | '/cgi-bin/auth/getuserinfo'
  | '/cgi-bin/auth/getuserdetail'
  | '/cgi-bin/user/get'

interface ErrcodeRow {
  meaning: string
  action: WecomErrorAction
  advice: string
  /** Where an errcode means something else on one endpoint (40001 from gettoken is a wrong secret). */
  on?: Partial<Record<WecomEndpoint, { meaning: string; action: WecomErrorAction; advice: string }>>
}

const RESTART = 'Send the user through the login again to get a fresh code.'
const REFRESH = 'Drop the cached app token, fetch a new one, and retry once.'
const BACK_OFF =
  'Wait at least 60 s before calling again (a minute block lasts 60 s, an hour block 60 min); never loop on gettoken.'
const WRONG_SECRET =
  "Check corpSecret in the login Instance's config: it must be the current Secret of this self-built app (admin console > App Management > the app); a reset Secret makes the old one fail."

/** docs/wecom-protocol.md#error-moves, and the neighbouring codes. */
export const WECOM_ERRCODES: Readonly<Record<number, ErrcodeRow>> = Object.freeze({
  [-1]: { meaning: 'system busy', action: 'retry', advice: 'WeCom is busy; try again in a few seconds.' },
  42001: { meaning: 'access token expired', action: 'refresh_token', advice: REFRESH },
  40014: { meaning: 'access token invalid', action: 'refresh_token', advice: REFRESH },
  40001: {
    meaning: 'access token not accepted',
    action: 'refresh_token',
    advice: REFRESH,
    on: {
      '/cgi-bin/gettoken': {
        meaning: 'invalid credential (wrong or reset secret)',
        action: 'fix_configuration',
        advice: WRONG_SECRET,
      },
    },
  },
  40029: { meaning: 'invalid, used or expired code', action: 'restart_authorization', advice: RESTART },
  41008: { meaning: 'code missing', action: 'restart_authorization', advice: RESTART },
  50001: {
    meaning: 'redirect_uri not trusted by this app',
    action: 'fix_configuration',
    advice:
      "Add the callback's host (with its port) to the app's trusted domain (admin console > the app > Web Authorization and JS-SDK, or WeCom Login's callback domain), and check agentId: the code must come from the app whose Secret is configured.",
  },
  60020: {
    meaning: 'server IP not in the trusted IP list',
    action: 'fix_configuration',
    advice:
      "Add this server's egress IP (the 'from ip' in the message) to the app's Trusted IPs (admin console > the app > Trusted IP); it takes about a minute to apply.",
  },
  40013: {
    meaning: 'invalid corpid',
    action: 'fix_configuration',
    advice:
      "Check corpId in the login Instance's config (admin console > My Company > Company Info > Corp ID).",
  },
  40091: { meaning: 'secret is invalid', action: 'fix_configuration', advice: WRONG_SECRET },
  41002: {
    meaning: 'corpid missing',
    action: 'fix_configuration',
    advice: "Set corpId in the login Instance's config.",
  },
  41004: {
    meaning: 'corpsecret missing',
    action: 'fix_configuration',
    advice: "Set corpSecret in the login Instance's config.",
  },
  40056: {
    meaning: 'invalid agentid',
    action: 'fix_configuration',
    advice: "Check agentId in the login Instance's config: the AgentId of the app the Secret belongs to.",
  },
  60011: {
    meaning: 'member outside the app visible range',
    action: 'deny',
    advice:
      "Refuse the login, or add the member to the app's visible range (admin console > the app > Visible to).",
  },
  60111: {
    meaning: 'userid not found',
    action: 'deny',
    advice: 'Refuse the login: the corp has no such member.',
  },
  40003: { meaning: 'invalid userid', action: 'deny', advice: 'Refuse the login: the userid is not valid.' },
  45009: { meaning: 'API rate limit reached', action: 'back_off', advice: BACK_OFF },
  45033: { meaning: 'API concurrency limit reached', action: 'back_off', advice: BACK_OFF },
})

const UNKNOWN: ErrcodeRow = {
  meaning: 'unexpected error',
  action: 'retry',
  advice: 'Look the code up at https://open.work.weixin.qq.com/devtool/query and try again later.',
}

/** The row of an errcode as answered by `endpoint`. */
export function errcodeRow(errcode: number, endpoint: WecomEndpoint) {
  const row = WECOM_ERRCODES[errcode] ?? UNKNOWN
  return row.on?.[endpoint] ?? row
}

/** The display part of an errmsg: WeCom appends `, hint: [...], from ip: ..., more info at ...`. */
export function errmsgText(errmsg: unknown): string {
  if (typeof errmsg !== 'string') return ''
  const cut = errmsg.indexOf(', hint:')
  return (cut < 0 ? errmsg : errmsg.slice(0, cut)).slice(0, 200)
}

/** The `from ip: x` of an errmsg (60020 says which egress IP to allow), when present and IP-shaped. */
export function fromIpOf(errmsg: unknown): string | undefined {
  if (typeof errmsg !== 'string') return undefined
  const ip = /from ip: ([0-9a-fA-F.:]{3,45})/.exec(errmsg)?.[1]
  return ip
}

/**
 * WeCom answered with a non-zero errcode.
 *
 * @example
 * catch (error) { if (error instanceof WecomApiError && error.action === 'restart_authorization') restart() }
 */
export class WecomApiError extends Error {
  readonly errcode: number
  /** The errmsg without its changing suffix. */
  readonly errmsg: string
  readonly endpoint: WecomEndpoint
  readonly action: WecomErrorAction
  readonly advice: string
  /** For 60020: the egress IP WeCom saw. */
  readonly fromIp?: string

  constructor(endpoint: WecomEndpoint, errcode: number, errmsg: unknown) {
    const row = errcodeRow(errcode, endpoint)
    const text = errmsgText(errmsg)
    const fromIp = errcode === 60020 ? fromIpOf(errmsg) : undefined
    super(
      `WeCom ${endpoint} answered errcode ${errcode} (${row.meaning}${text ? `: ${text}` : ''})` +
        `${fromIp ? `; from ip ${fromIp}` : ''}. ${row.advice}`,
    )
    this.name = 'WecomApiError'
    this.errcode = errcode
    this.errmsg = text
    this.endpoint = endpoint
    this.action = row.action
    this.advice = row.advice
    if (fromIp) this.fromIp = fromIp
  }

  toJSON() {
    return {
      name: this.name,
      errcode: this.errcode,
      errmsg: this.errmsg,
      action: this.action,
      message: this.message,
    }
  }
}

/** WeCom could not be reached, timed out, or answered HTTP other than 200. */
export class WecomNetworkError extends Error {
  readonly endpoint: WecomEndpoint
  readonly action: WecomErrorAction = 'retry'

  constructor(endpoint: WecomEndpoint, what: string, options?: { cause?: unknown }) {
    super(`WeCom ${endpoint}: ${what}. Check apiBaseUrl and this server's network, then try again.`, options)
    this.name = 'WecomNetworkError'
    this.endpoint = endpoint
  }
}

/** WeCom answered 200 with a body that is not its envelope or lacks a field it must carry. */
export class WecomProtocolError extends Error {
  readonly endpoint: WecomEndpoint
  readonly action: WecomErrorAction = 'retry'

  constructor(endpoint: WecomEndpoint, what: string) {
    super(`WeCom ${endpoint} answered something unusable: ${what}. Check that apiBaseUrl points at WeCom.`)
    this.name = 'WecomProtocolError'
    this.endpoint = endpoint
  }
}
