import { addToRedirect, hostMatchesDomain, parseHttpUrl } from 'jitlite/sandbox'
import { type SandboxAppFixture, type SandboxUserFixture, SCOPES, type Scope } from './fixtures.ts'
import type { SandboxSwitches } from './switches.ts'

/**
 * The checks WeChat's authorize page makes before it shows a consent sheet or redirects
 * (docs/wechat-protocol.md#authorize-url and #authorize-page-errors). A refusal is only ever shown to
 * the user as a page: nothing reaches the client's server.
 */

export interface AuthorizeRequest {
  app: SandboxAppFixture
  redirectUri: string
  scope: Scope
  state: string
  /** `connect_redirect=1` was given: WeChat then delivers the redirect once, never twice. */
  connectRedirect: boolean
}

export interface AuthorizeRefusal {
  /** The code WeChat's page shows; null for its code-less "parameter error" pages. */
  errcode: number | null
  /** The words WeChat's page shows. */
  message: string
  /** What the developer should fix (the sandbox adds this under WeChat's words). */
  hint: string
}

export type AuthorizeCheck =
  | { ok: true; request: AuthorizeRequest }
  | { ok: false; refusal: AuthorizeRefusal }

/** The parameters that must open the query, in this order. */
const ORDERED_PARAMS = ['appid', 'redirect_uri', 'response_type', 'scope', 'state'] as const
const STATE_PATTERN = /^[A-Za-z0-9]{0,128}$/
/**
 * What a decoded redirect_uri cannot hold: U+FFFD stands for bytes that were not UTF-8 (the query's
 * decoding replaced them), and control characters have no place in a URL or in a Location header.
 */
const UNREADABLE_REDIRECT_URI = /[\u0000-\u001f\u007f\ufffd]/

const REFUSALS: Record<number, { message: string; hint: string }> = {
  10003: {
    message: 'redirect_uri域名与后台配置不一致',
    hint: "The redirect_uri's host is not one of the account's authorization domains (exact host; subdomains and parent domains do not match).",
  },
  10004: { message: '此公众号被封禁', hint: 'This Official Account is banned; no user can authorize it.' },
  10005: {
    message: '此公众号并没有这些scope的权限',
    hint: 'The scope is not snsapi_base or snsapi_userinfo, or the account lacks it.',
  },
  10006: {
    message: '必须关注此测试号',
    hint: 'This is a test account: the user must follow it before authorizing. Pick a user who follows it.',
  },
  10010: { message: 'scope参数为空', hint: 'Add scope=snsapi_base or scope=snsapi_userinfo.' },
  10011: { message: 'redirect_uri参数为空', hint: 'Add the percent-encoded redirect_uri.' },
  10012: { message: 'appid参数为空', hint: "Add the Official Account's appid." },
  10013: {
    message: 'state参数为空',
    hint: 'Always send a state: an opaque id of [A-Za-z0-9], at most 128 bytes.',
  },
  10015: {
    message: '公众号未授权第三方平台，请检查授权状态',
    hint: 'The account has not authorized the third-party platform named by component_appid.',
  },
  10016: {
    message: '不支持微信开放平台的Appid，请使用公众号Appid',
    hint: 'This is an Open Platform (website) appid; the Official Account authorize page needs the Official Account appid.',
  },
}

export function refusal(errcode: number): AuthorizeRefusal {
  const known = REFUSALS[errcode]
  return {
    errcode,
    message: known?.message ?? '操作失败',
    hint: known?.hint ?? `WeChat refused with ${errcode}.`,
  }
}

function parameterError(parameter: string, hint: string): AuthorizeRefusal {
  return { errcode: null, message: `${parameter} 参数错误`, hint }
}

/**
 * Runs the page's checks on the query parameters, in the order they were sent.
 *
 * @example
 * const check = checkAuthorizeQuery([...new URLSearchParams(rawQuery)], (id) => apps.get(id), switches)
 * if (!check.ok) showErrorPage(check.refusal)
 */
export function checkAuthorizeQuery(
  pairs: readonly (readonly [string, string])[],
  findApp: (appid: string) => SandboxAppFixture | undefined,
  switches: Pick<SandboxSwitches, 'emptyStateRefused' | 'strictState'>,
): AuthorizeCheck {
  const first = (name: string) => pairs.find(([key]) => key === name)?.[1]
  const appid = first('appid') ?? ''
  const redirectUri = first('redirect_uri') ?? ''
  const scope = first('scope') ?? ''
  const state = first('state') ?? ''
  const fail = (why: AuthorizeRefusal): AuthorizeCheck => ({ ok: false, refusal: why })

  if (appid === '') return fail(refusal(10012))
  if (redirectUri === '') return fail(refusal(10011))
  if (scope === '') return fail(refusal(10010))
  if (state === '' && switches.emptyStateRefused) return fail(refusal(10013))

  const orderProblem = checkParameterOrder(pairs)
  if (orderProblem) return fail(orderProblem)
  if (first('response_type') !== 'code')
    return fail(parameterError('response_type', 'response_type must be "code".'))

  const app = findApp(appid)
  if (!app)
    return fail(parameterError('appid', 'No Official Account has this appid: check appId in the config.'))
  if (app.kind === 'openPlatform') return fail(refusal(10016))
  if (app.banned) return fail(refusal(10004))
  if (!isScope(scope) || !app.scopes.includes(scope)) return fail(refusal(10005))
  if (switches.strictState && !STATE_PATTERN.test(state)) {
    return fail(parameterError('state', 'state must be [A-Za-z0-9], at most 128 bytes.'))
  }

  const target = parseHttpUrl(redirectUri)
  if (!target || UNREADABLE_REDIRECT_URI.test(redirectUri)) {
    return fail(
      parameterError(
        'redirect_uri',
        'redirect_uri must be an absolute http(s) URL, fully percent-encoded as UTF-8.',
      ),
    )
  }
  if (!app.domains.some((domain) => hostMatchesDomain(target, domain))) return fail(refusal(10003))

  const componentAppid = first('component_appid')
  if (componentAppid !== undefined && !app.thirdPartyPlatforms.includes(componentAppid))
    return fail(refusal(10015))

  return {
    ok: true,
    request: { app, redirectUri, scope, state, connectRedirect: first('connect_redirect') === '1' },
  }
}

/** A test account answers 10006 for a user who does not follow it. */
export function checkUserMayAuthorize(
  app: SandboxAppFixture,
  user: SandboxUserFixture,
): AuthorizeRefusal | undefined {
  if (app.testAccount && !user.follows.includes(app.appid)) return refusal(10006)
  return undefined
}

// WeChat insists on the documented order (appid, redirect_uri, response_type, scope, state); extras
// such as forcePopup or connect_redirect may only follow. An unencoded `&` in redirect_uri splits it
// into extra parameters and fails here too, as it does on WeChat.
function checkParameterOrder(pairs: readonly (readonly [string, string])[]): AuthorizeRefusal | undefined {
  for (const [index, name] of ORDERED_PARAMS.entries()) {
    const key = pairs[index]?.[0]
    if (key === name) continue
    if (name === 'state' && key === undefined) return undefined
    return parameterError(
      name,
      `Parameters must come in this order: ${ORDERED_PARAMS.join(', ')}, then any extras; ` +
        'redirect_uri must be fully percent-encoded (an unencoded "&" splits it).',
    )
  }
  const repeated = ORDERED_PARAMS.find((name) => pairs.filter(([key]) => key === name).length > 1)
  if (repeated) return parameterError(repeated, `${repeated} is given more than once.`)
  return undefined
}

function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value)
}

/**
 * The URL WeChat sends the browser to: `code` and `state` appended with `?` or `&` as needed, before
 * any fragment. The state goes back verbatim, not re-encoded (docs/wechat-protocol.md#authorize-url).
 * No code: a denial in the legacy mode. A state with non-ASCII (strict-state switch off) is
 * percent-encoded as a browser would.
 */
export function redirectTarget(redirectUri: string, state: string, code?: string): string {
  return addToRedirect(redirectUri, `${code === undefined ? '' : `code=${code}&`}state=${state}`)
}
