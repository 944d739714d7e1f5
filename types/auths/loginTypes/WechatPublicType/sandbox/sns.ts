import { createHash, timingSafeEqual } from 'node:crypto'
import { avatarUrl } from './avatars.ts'
import { type LocalizedText, type SandboxAppFixture, unionidOf } from './fixtures.ts'
import type { WechatSandbox } from './state.ts'
import { ACCESS_TOKEN_LIFETIME_SECONDS, type Grant } from './store.ts'
import { errorBody, type WireValue } from './wire.ts'

/**
 * What WeChat's /sns endpoints answer (docs/wechat-protocol.md#code-exchange to #validate), as
 * ordered objects ready for `encodeWechatJson`. The checks run in the order a client meets them:
 * missing parameters, then the account, then the quota, then the credential itself.
 */

export type Query = Readonly<Record<string, string | undefined>>
type Body = { [key: string]: WireValue }

/** GET /sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code */
export function exchangeCode(sandbox: WechatSandbox, query: Query): Body {
  const fail = (errcode: number) => errorBody(errcode, sandbox.clock.nowMs())
  const { appid, secret, code } = query
  if (!appid) return fail(41002)
  if (!secret) return fail(41004)
  if (!code) return fail(41008)
  if (query.grant_type !== 'authorization_code') return fail(40002)
  const app = sandbox.app(appid)
  if (!app) return fail(40013)
  if (!sandbox.takeQuota(appid, 'access_token')) return fail(45011)
  if (!sameSecret(secret, app.secret)) {
    // The presentation spends the code even though the exchange fails
    // (docs/wechat-protocol.md#code-exchange).
    sandbox.grants.spendCode(code, appid)
    return fail(sandbox.switches.badSecretErrcode)
  }
  const found = sandbox.grants.presentCode(code, appid, { consume: true })
  if (found.status !== 'ok') {
    const errcodes = {
      unknown: 40029,
      other_app: 40029,
      expired: sandbox.switches.expiredCodeErrcode,
      used: 40163,
    }
    return fail(errcodes[found.status])
  }
  const tokens = sandbox.grants.issueTokens(found.grant)
  return {
    access_token: tokens.accessToken,
    expires_in: ACCESS_TOKEN_LIFETIME_SECONDS,
    refresh_token: tokens.refreshToken,
    openid: found.grant.openid,
    scope: found.grant.scope,
    unionid: unionidFor(sandbox, app, found.grant),
    is_snapshotuser: found.grant.snapshot ? 1 : undefined,
  } as Body
}

/** GET /sns/oauth2/refresh_token?appid&grant_type=refresh_token&refresh_token */
export function refreshAccessToken(sandbox: WechatSandbox, query: Query): Body {
  const fail = (errcode: number) => errorBody(errcode, sandbox.clock.nowMs())
  const { appid, refresh_token: refreshToken } = query
  if (!appid) return fail(41002)
  if (!refreshToken) return fail(41003)
  if (query.grant_type !== 'refresh_token') return fail(40002)
  if (!sandbox.app(appid)) return fail(40013)
  if (!sandbox.takeQuota(appid, 'refresh_token')) return fail(45011)
  const found = sandbox.grants.lookupRefreshToken(refreshToken, appid)
  if (found.status !== 'ok')
    return fail({ unknown: 40030, other_app: 40030, revoked: 42007, expired: 42002 }[found.status])
  let nextRefreshToken = refreshToken
  const mode = sandbox.switches.refreshTokenMode
  if (mode === 'extend') sandbox.grants.extendRefreshToken(refreshToken)
  if (mode === 'rotate') nextRefreshToken = sandbox.grants.rotateRefreshToken(refreshToken, found.grant)
  return {
    access_token: sandbox.grants.issueAccessToken(found.grant),
    expires_in: ACCESS_TOKEN_LIFETIME_SECONDS,
    refresh_token: nextRefreshToken,
    openid: found.grant.openid,
    scope: found.grant.scope,
  }
}

const LANGS = ['zh_CN', 'zh_TW', 'en'] as const
type Lang = (typeof LANGS)[number]

/** GET /sns/userinfo?access_token&openid&lang; `publicBaseUrl` is where avatars are served. */
export function userinfo(sandbox: WechatSandbox, query: Query, publicBaseUrl: string): Body {
  const checked = checkToken(sandbox, query, 'userinfo')
  if ('errcode' in checked) return checked
  const { grant } = checked
  if (grant.scope !== 'snsapi_userinfo' || grant.snapshot) return errorBody(48001, sandbox.clock.nowMs())
  const user = sandbox.user(grant.userKey)!
  const app = sandbox.app(grant.appid)!
  const lang: Lang = (LANGS as readonly string[]).includes(query.lang ?? '') ? (query.lang as Lang) : 'zh_CN'
  const legacy = sandbox.switches.userinfoShape === 'legacy'
  const place = (text: LocalizedText | undefined) => (legacy && text ? text[lang] : '')
  return {
    openid: grant.openid,
    nickname: user.nickname,
    // Since October 2021 sex is 0 and the places are empty; older servers sent sex as a string.
    sex: legacy ? String(user.legacyProfile?.sex ?? 0) : 0,
    language: legacy ? lang : '',
    city: place(user.legacyProfile?.city),
    province: place(user.legacyProfile?.province),
    country: place(user.legacyProfile?.country),
    headimgurl: user.avatar ? avatarUrl(publicBaseUrl, user.key) : '',
    privilege: [],
    unionid: unionidFor(sandbox, app, grant),
  } as Body
}

/** GET /sns/auth?access_token&openid */
export function validateAccessToken(sandbox: WechatSandbox, query: Query): Body {
  const checked = checkToken(sandbox, query, 'auth')
  if ('errcode' in checked) return checked
  return { errcode: 0, errmsg: 'ok' }
}

function checkToken(
  sandbox: WechatSandbox,
  query: Query,
  endpoint: 'userinfo' | 'auth',
): { grant: Grant } | { errcode: number; errmsg: string } {
  const fail = (errcode: number) => errorBody(errcode, sandbox.clock.nowMs())
  const { access_token: accessToken, openid } = query
  if (!accessToken) return fail(41001)
  if (!openid) return fail(41009)
  const found = sandbox.grants.lookupAccessToken(accessToken)
  if (found.status !== 'ok')
    return fail({ unknown: 40001, other_app: 40001, revoked: 42007, expired: 42001 }[found.status])
  if (!sandbox.takeQuota(found.grant.appid, endpoint)) return fail(45011)
  if (found.grant.openid !== openid) return fail(40003)
  return { grant: found.grant }
}

/** unionid only for snsapi_userinfo grants of an account bound to an Open Platform account. */
function unionidFor(sandbox: WechatSandbox, app: SandboxAppFixture, grant: Grant): string | undefined {
  if (grant.scope !== 'snsapi_userinfo' || !app.boundToOpenPlatform) return undefined
  return unionidOf(sandbox.user(grant.userKey)!)
}

/** Compares a presented secret with the account's in constant time. */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest()
  return timingSafeEqual(digest(given), digest(expected))
}
