import { addToRedirect, hostMatchesDomain, parseHttpUrl } from 'jitlite/sandbox'
import type { WecomAppFixture } from './fixtures.ts'
import type { GrantScope } from './store.ts'
import type { WecomSandboxSwitches } from './switches.ts'

/**
 * The checks WeCom's two login pages make before they show anything (docs/wecom-protocol.md#in-client-oauth
 * and #web-login). A refusal is shown to the person as a page: nothing reaches the app's server.
 */

/** What an error page says: WeCom's words, English beside them, and what the developer should fix. */
export interface LoginRefusal {
  title: string
  titleEn: string
  /** A WeCom error code when the page shows one. */
  code?: number
  hint: string
}

export interface OAuthRequest {
  corpid: string
  /** The app named by agentid; undefined when the link has none. */
  app: WecomAppFixture | undefined
  redirectUri: string
  /** The scope the code carries (snsapi_userinfo and privateinfo-without-agentid fall back to base). */
  scope: GrantScope
  /** The scope as the link asked for it. */
  requestedScope: string
  state: string
}

export interface WebLoginRequest {
  corpid: string
  app: WecomAppFixture
  redirectUri: string
  state: string
  lang: 'zh' | 'en'
  /** Opened at the legacy /wwopen/sso/qrConnect. */
  legacyPage: boolean
}

export type Check<T> =
  | { ok: true; request: T }
  | { ok: false; refusal: LoginRefusal }
  /** The host is not trusted: WeCom redirects to its uriconfirm page with this redirect_uri. */
  | { ok: false; untrustedRedirect: string }

type Pairs = readonly (readonly [string, string])[]

const OAUTH_ORDER = ['appid', 'redirect_uri', 'response_type', 'scope', 'state', 'agentid'] as const
const STATE_PATTERN = /^[A-Za-z0-9]{0,128}$/
// U+FFFD stands for bytes that were not UTF-8; control characters cannot go in a Location header.
const UNREADABLE = /[\u0000-\u001f\u007f\ufffd]/

const first = (pairs: Pairs, name: string) => pairs.find(([key]) => key === name)?.[1]

function parameterError(parameter: string, hint: string): LoginRefusal {
  return { title: `${parameter}参数错误`, titleEn: `Invalid ${parameter}`, hint }
}

function parseRedirect(value: string): URL | undefined {
  return UNREADABLE.test(value) ? undefined : parseHttpUrl(value)
}

/** Whether `app` trusts the host of `url` for the in-client OAuth, the web login, or either. */
export function appTrusts(app: WecomAppFixture, url: URL, which: 'oauth' | 'web' | 'either'): boolean {
  const domains =
    which === 'oauth'
      ? app.oauthDomains
      : which === 'web'
        ? app.webLoginDomains
        : [...app.oauthDomains, ...app.webLoginDomains]
  return domains.some((domain) => hostMatchesDomain(url, domain))
}

/** The in-client OAuth link's checks, on its parameters in the order sent. */
export function checkOAuthQuery(
  pairs: Pairs,
  corp: { corpid: string; apps: readonly WecomAppFixture[] },
  switches: WecomSandboxSwitches,
): Check<OAuthRequest> {
  const fail = (refusal: LoginRefusal): Check<OAuthRequest> => ({ ok: false, refusal })
  const appid = first(pairs, 'appid') ?? ''
  const redirectUri = first(pairs, 'redirect_uri') ?? ''
  const requestedScope = first(pairs, 'scope') ?? ''
  const state = first(pairs, 'state') ?? ''
  const agentidText = first(pairs, 'agentid')

  if (appid === '' || appid !== corp.corpid)
    return fail(
      parameterError('appid', 'appid must be the corpid (企业ID, "ww" + 16 hex digits) of the corp.'),
    )
  if (switches.strictOrder) {
    const names = pairs
      .map(([name]) => name)
      .filter((name) => (OAUTH_ORDER as readonly string[]).includes(name))
    const expected = OAUTH_ORDER.filter((name) => names.includes(name))
    if (names.join() !== expected.join())
      return fail(
        parameterError('参数顺序', `Parameters must come in this order: ${OAUTH_ORDER.join(', ')}.`),
      )
  }
  const target = parseRedirect(redirectUri)
  if (!target)
    return fail(
      parameterError(
        'redirect_uri',
        'redirect_uri must be an absolute http(s) URL, fully percent-encoded (encodeURIComponent).',
      ),
    )
  if (first(pairs, 'response_type') !== 'code')
    return fail(parameterError('response_type', 'response_type must be "code".'))
  if (switches.strictState && !STATE_PATTERN.test(state))
    return fail(parameterError('state', 'state must be [a-zA-Z0-9], at most 128 bytes.'))

  let app: WecomAppFixture | undefined
  if (agentidText !== undefined) {
    app = corp.apps.find((candidate) => String(candidate.agentid) === agentidText)
    if (!app)
      return {
        ok: false,
        refusal: {
          title: '无效的agentid参数',
          titleEn: 'Invalid agentid',
          code: 40056,
          hint: "agentid must be the app's AgentId (应用管理 > the app).",
        },
      }
  }

  let scope: GrantScope
  if (requestedScope === 'snsapi_base') scope = 'snsapi_base'
  else if (requestedScope === 'snsapi_privateinfo') {
    if (!app && switches.privateinfoWithoutAgentid === 'error')
      return fail(parameterError('agentid', 'snsapi_privateinfo needs the agentid of the app.'))
    scope = app ? 'snsapi_privateinfo' : 'snsapi_base'
  } else if (requestedScope === 'snsapi_userinfo' && switches.userinfoScope === 'base') scope = 'snsapi_base'
  else return fail(parameterError('scope', 'scope must be snsapi_base or snsapi_privateinfo.'))

  const trusted = app
    ? appTrusts(app, target, 'oauth')
    : corp.apps.some((candidate) => appTrusts(candidate, target, 'oauth'))
  if (!trusted) return { ok: false, untrustedRedirect: redirectUri }
  return { ok: true, request: { corpid: corp.corpid, app, redirectUri, scope, requestedScope, state } }
}

/** The web login page's checks (`/wwlogin/sso/login`, or the legacy `/wwopen/sso/qrConnect`). */
export function checkWebLoginQuery(
  pairs: Pairs,
  corp: { corpid: string; apps: readonly WecomAppFixture[] },
  legacyPage: boolean,
): Check<WebLoginRequest> {
  const cannotOpen = (hint: string): Check<WebLoginRequest> => ({
    ok: false,
    refusal: { title: '该链接无法访问', titleEn: 'This link cannot be opened', hint },
  })
  const appid = first(pairs, 'appid') ?? ''
  const agentidText = first(pairs, 'agentid') ?? ''
  const redirectUri = first(pairs, 'redirect_uri') ?? ''
  const state = first(pairs, 'state') ?? ''
  const lang = first(pairs, 'lang') === 'en' ? 'en' : 'zh'

  if (!legacyPage) {
    const loginType = first(pairs, 'login_type')
    if (loginType === 'ServiceApp')
      return cannotOpen(
        'login_type=ServiceApp is for third-party apps, which the sandbox does not emulate: use CorpApp.',
      )
    if (loginType !== 'CorpApp') return cannotOpen('login_type must be CorpApp for a self-built app.')
  }
  if (appid === '' || appid !== corp.corpid)
    return cannotOpen('appid must be the corpid (企业ID) of the corp.')
  if (agentidText === '') return cannotOpen("agentid is required with login_type=CorpApp: the app's AgentId.")
  const app = corp.apps.find((candidate) => String(candidate.agentid) === agentidText)
  if (!app) return cannotOpen(`No app of this corp has the agentid "${agentidText}".`)
  const target = parseRedirect(redirectUri)
  if (!target) return cannotOpen('redirect_uri must be an absolute http(s) URL, percent-encoded.')
  // A self-built app may use either its OAuth domain or its web-login callback domain.
  if (!appTrusts(app, target, 'either')) {
    return {
      ok: false,
      refusal: {
        title: 'redirect_uri 与配置的授权完成回调域名不一致',
        titleEn: "redirect_uri does not match the app's callback domain",
        hint: `The host ${target.host} is neither the app's trusted OAuth domain nor its 企业微信授权登录 callback domain.`,
      },
    }
  }
  return { ok: true, request: { corpid: corp.corpid, app, redirectUri, state, lang, legacyPage } }
}

/**
 * The URL WeCom sends the browser to: `code` and `state` (and any extras) added with `?` or `&`,
 * before any fragment of redirect_uri. `state` is percent-encoded (web state is free text; an
 * in-client state is alphanumeric and so unchanged).
 */
export function redirectTarget(redirectUri: string, params: readonly (readonly [string, string])[]): string {
  return addToRedirect(
    redirectUri,
    params.map(([key, value]) => `${key}=${encodeURIComponent(value)}`).join('&'),
  )
}
