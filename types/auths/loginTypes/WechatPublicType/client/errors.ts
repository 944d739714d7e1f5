/**
 * The errors the WeChat OAuth client throws, and docs/wechat-protocol.md#error-moves ("what each
 * error asks of the client") as data. Messages name the endpoint path only: never a query string,
 * secret, code or token.
 */

/** What the caller should do about a failed call. */
export type WechatErrorAction =
  /** Transient: the same call may succeed later (the client already retried within its limits). */
  | 'retry'
  /** A quota is used up: wait (a minute for 45011, until tomorrow for 45009) before calling again. */
  | 'back_off'
  /** The code is bad, used, expired or may have been spent: send the user through authorization again. */
  | 'restart_authorization'
  /** The access token is invalid or expired: refresh it once, then retry once. */
  | 'refresh_token'
  /** The refresh token is dead: clear the stored tokens and re-authorize. */
  | 'clear_tokens'
  /** A setting is wrong (the advice names it): fail loudly, retrying cannot help. */
  | 'fix_configuration'
  /** Refuse the operation (for example an openid that does not match its token). */
  | 'reject'

/** The paths the client calls, as they appear in errors and hook events. */
export type WechatEndpoint =
  | '/sns/oauth2/access_token'
  | '/sns/oauth2/refresh_token'
  | '/sns/userinfo'
  | '/sns/auth'

interface ErrcodeRow {
  meaning: string
  action: WechatErrorAction
  advice: string
  /** Where an errcode means something else on one endpoint (40001 on the code exchange is a bad secret). */
  on?: Partial<Record<WechatEndpoint, { meaning: string; action: WechatErrorAction; advice: string }>>
}

const RESTART = 'Send the user through the authorize URL again to get a fresh code.'
const REFRESH = 'Refresh the access token with the stored refresh token, then retry once.'
const CLEAR = 'Clear the stored tokens for this user and send them through authorization again.'
const CLIENT_BUG = 'The client sent an incomplete request; this is a bug in jitlite, please report it.'

/** docs/wechat-protocol.md#error-moves, plus the neighbouring codes the endpoints document. */
export const WECHAT_ERRCODES: Readonly<Record<number, ErrcodeRow>> = Object.freeze({
  [-1]: { meaning: 'system busy', action: 'retry', advice: 'WeChat is busy; try again in a few seconds.' },
  45011: {
    meaning: 'per-minute API quota reached',
    action: 'back_off',
    advice:
      'The per-minute quota (50,000 calls per endpoint) is used up; wait a minute before calling again.',
  },
  45009: {
    meaning: 'daily API quota reached',
    action: 'back_off',
    advice:
      'The daily quota is used up; calls succeed again tomorrow (Beijing time), or reset it in the WeChat console.',
  },
  40029: { meaning: 'invalid or expired code', action: 'restart_authorization', advice: RESTART },
  40163: { meaning: 'code already used', action: 'restart_authorization', advice: RESTART },
  42003: { meaning: 'code expired', action: 'restart_authorization', advice: RESTART },
  41008: { meaning: 'code missing', action: 'restart_authorization', advice: RESTART },
  42001: { meaning: 'access token expired', action: 'refresh_token', advice: REFRESH },
  40001: {
    meaning: 'access token invalid',
    action: 'refresh_token',
    advice: REFRESH,
    on: {
      '/sns/oauth2/access_token': {
        meaning: 'invalid credential (older servers: wrong secret)',
        action: 'fix_configuration',
        advice:
          "Check appSecret in the login Instance's config: it must be the Official Account's current AppSecret.",
      },
    },
  },
  40014: { meaning: 'access token invalid', action: 'refresh_token', advice: REFRESH },
  40030: { meaning: 'refresh token invalid', action: 'clear_tokens', advice: CLEAR },
  42002: { meaning: 'refresh token expired', action: 'clear_tokens', advice: CLEAR },
  42007: { meaning: 'user changed password: all tokens revoked', action: 'clear_tokens', advice: CLEAR },
  41003: { meaning: 'refresh token missing', action: 'clear_tokens', advice: CLEAR },
  40013: {
    meaning: 'invalid appid',
    action: 'fix_configuration',
    advice: "Check appId in the login Instance's config: it must be the Official Account's AppID (wx...).",
  },
  40125: {
    meaning: 'invalid appsecret',
    action: 'fix_configuration',
    advice:
      "Check appSecret in the login Instance's config: it must be the Official Account's current AppSecret.",
  },
  41002: {
    meaning: 'appid missing',
    action: 'fix_configuration',
    advice: "Set appId in the login Instance's config.",
  },
  41004: {
    meaning: 'appsecret missing',
    action: 'fix_configuration',
    advice: "Set appSecret in the login Instance's config.",
  },
  48001: {
    meaning: 'API unauthorized (wrong scope)',
    action: 'fix_configuration',
    advice:
      'The token lacks this API: userinfo needs scope snsapi_userinfo in the login config (snsapi_base tokens ' +
      'cannot call it), and the account needs the web authorization permission.',
  },
  40003: {
    meaning: 'openid does not match the token',
    action: 'reject',
    advice: 'Refuse the request: the openid belongs to another user. Never merge the two accounts.',
  },
  40002: { meaning: 'invalid grant_type', action: 'reject', advice: CLIENT_BUG },
  41001: { meaning: 'access token missing', action: 'reject', advice: CLIENT_BUG },
  41009: { meaning: 'openid missing', action: 'reject', advice: CLIENT_BUG },
})

const UNKNOWN_ERRCODE: ErrcodeRow = {
  meaning: 'error',
  action: 'reject',
  advice: "Look the errcode up in WeChat's global error-code table.",
}

/** The row of WECHAT_ERRCODES that applies to `errcode` on `endpoint` (a generic row for unknown codes). */
export function describeErrcode(
  errcode: number,
  endpoint: WechatEndpoint,
): { meaning: string; action: WechatErrorAction; advice: string } {
  const row = WECHAT_ERRCODES[errcode] ?? UNKNOWN_ERRCODE
  return row.on?.[endpoint] ?? row
}

const ERRMSG_MAX_CHARS = 200
// `, rid: 6326ffdf-41c7c0d8-5a6bb364` (today) and ` hints: [ req_id: xxxx ]` (older servers) change
// on every call; they are stripped so that errmsg is stable enough to read, group and show.
const REQUEST_ID_SUFFIX = /[\s,;]*(?:rid:\s*[\w-]+|hints:\s*\[\s*req_id:[^\]]*\])\s*$/i

// Codes are 32 characters, tokens about 100, secrets 32; WeChat's own words are far shorter.
const TOKEN_LIKE_RUN = /[A-Za-z0-9_-]{24,}/g

/**
 * errmsg as WeChat sent it, minus its request-id suffix, control characters, the values the request
 * carried and anything shaped like a code or token (WeChat does not echo them, but a message must never
 * carry one even if it starts to).
 */
export function cleanErrmsg(errmsg: unknown, requestValues: readonly string[]): string {
  if (typeof errmsg !== 'string') return ''
  let text = errmsg.replace(/[\u0000-\u001f\u007f]/g, ' ')
  for (let previous = ''; previous !== text; ) {
    previous = text
    text = text.replace(REQUEST_ID_SUFFIX, '')
  }
  for (const value of requestValues) {
    if (value.length >= 4) text = text.split(value).join('[redacted]')
  }
  text = text.replace(TOKEN_LIKE_RUN, '[redacted]').trim()
  return text.length > ERRMSG_MAX_CHARS ? `${text.slice(0, ERRMSG_MAX_CHARS)}...` : text
}

/**
 * WeChat answered with a non-zero `errcode`.
 *
 * @example
 * try {
 *   await client.validateAuthorizationCode(code)
 * } catch (error) {
 *   if (error instanceof WechatApiError && error.action === 'restart_authorization') redirectToLogin()
 *   else throw error
 * }
 */
export class WechatApiError extends Error {
  readonly code = 'WECHAT_API_ERROR'
  readonly errcode: number
  /** WeChat's errmsg without its `rid` / `hints: [ req_id ]` suffix. */
  readonly errmsg: string
  readonly endpoint: WechatEndpoint
  readonly action: WechatErrorAction
  /** One sentence on what to do, naming the setting to fix where there is one. */
  readonly advice: string

  constructor(
    endpoint: WechatEndpoint,
    errcode: number,
    errmsg: string,
    override?: { action: WechatErrorAction; advice: string },
  ) {
    const row = describeErrcode(errcode, endpoint)
    const action = override?.action ?? row.action
    const advice = override?.advice ?? row.advice
    super(`WeChat answered ${endpoint} with errcode ${errcode} (${errmsg || row.meaning}). ${advice}`)
    this.name = 'WechatApiError'
    this.errcode = errcode
    this.errmsg = errmsg
    this.endpoint = endpoint
    this.action = action
    this.advice = advice
  }

  toJSON() {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      errcode: this.errcode,
      errmsg: this.errmsg,
      endpoint: this.endpoint,
      action: this.action,
    }
  }
}

/**
 * The call never got a usable answer: no connection, a reset, a timeout, or HTTP 5xx. `cause` holds the
 * underlying error (a socket error, undici's error, or the timeout) for logs; it never holds the URL.
 */
export class WechatNetworkError extends Error {
  readonly code = 'WECHAT_NETWORK_ERROR'
  readonly endpoint: WechatEndpoint
  /** True when the per-attempt timeout or the total deadline ended the call. */
  readonly timedOut: boolean
  /** The HTTP status when WeChat (or a proxy) answered 5xx. */
  readonly status: number | undefined
  readonly action: WechatErrorAction
  readonly advice: string

  constructor(
    endpoint: WechatEndpoint,
    details: {
      cause?: unknown
      timedOut?: boolean
      status?: number
      action: WechatErrorAction
      advice: string
      what: string
    },
  ) {
    super(`Calling WeChat ${endpoint} failed: ${details.what}. ${details.advice}`, { cause: details.cause })
    this.name = 'WechatNetworkError'
    this.endpoint = endpoint
    this.timedOut = details.timedOut ?? false
    this.status = details.status
    this.action = details.action
    this.advice = details.advice
  }

  toJSON() {
    const cause = this.cause as { name?: unknown; code?: unknown } | undefined
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      endpoint: this.endpoint,
      timedOut: this.timedOut,
      status: this.status,
      action: this.action,
      cause: cause ? { name: cause.name, code: cause.code } : undefined,
    }
  }
}

/** Why an answer could not be used. */
export type WechatProtocolProblem = 'empty' | 'not_json' | 'too_large' | 'invalid_shape' | 'http_status'

/**
 * WeChat answered, but not with a usable body: HTML, nothing, too much, a body without the fields a
 * success must have, or an unexpected HTTP status. The body itself is never echoed.
 */
export class WechatProtocolError extends Error {
  readonly code = 'WECHAT_PROTOCOL_ERROR'
  readonly endpoint: WechatEndpoint
  readonly problem: WechatProtocolProblem
  readonly status: number
  /** For `invalid_shape`: the fields that failed, as `path: issue` (never their values). */
  readonly issues: readonly string[]
  readonly action: WechatErrorAction = 'reject'

  constructor(
    endpoint: WechatEndpoint,
    problem: WechatProtocolProblem,
    status: number,
    issues: string[] = [],
  ) {
    super(`WeChat's answer to ${endpoint} is unusable: ${describeProblem(problem, status, issues)}`)
    this.name = 'WechatProtocolError'
    this.endpoint = endpoint
    this.problem = problem
    this.status = status
    this.issues = issues
  }

  toJSON() {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      endpoint: this.endpoint,
      problem: this.problem,
      status: this.status,
      issues: this.issues,
    }
  }
}

function describeProblem(problem: WechatProtocolProblem, status: number, issues: string[]): string {
  const check = 'check that apiBaseUrl points at WeChat (or the sandbox) and not at a proxy or login page.'
  switch (problem) {
    case 'empty':
      return `the body is empty (HTTP ${status}); ${check}`
    case 'not_json':
      return `the body is not JSON (HTTP ${status}, for example an HTML page); ${check}`
    case 'too_large':
      return `the body exceeds the size limit (HTTP ${status}); ${check}`
    case 'http_status':
      return `unexpected HTTP status ${status}; ${check}`
    case 'invalid_shape':
      return `the JSON lacks fields a success must have (${issues.join('; ')}).`
  }
}

/** A call was refused before anything was sent, because an argument is malformed. */
export class WechatInputError extends Error {
  readonly code = 'WECHAT_INPUT_INVALID'
  /** The argument concerned (its value is never included). */
  readonly field: string

  constructor(field: string, expected: string) {
    super(`${field} is malformed: expected ${expected}.`)
    this.name = 'WechatInputError'
    this.field = field
  }
}
