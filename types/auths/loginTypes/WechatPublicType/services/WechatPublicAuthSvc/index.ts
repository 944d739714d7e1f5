import { Service } from 'jitlite'
import { AUTH_MODEL, type WechatAuth, type WechatUser, wechatAuthFor } from '../../auth.ts'
import type { WechatScope, WechatTokenResponse } from '../../client/index.ts'
import type { WechatPublicConfig } from '../../config.ts'

/**
 * WeChat web authorization for one login Instance, reached as
 * `auths.loginTypes.<Instance>.services.WechatPublicAuthSvc`. Two Instances (two Official Accounts)
 * get two services that never share tokens or rows. WeChat's refusals throw `WechatApiError`
 * (`errcode`, `errmsg`, `action`), transport failures `WechatNetworkError` (with its `cause`).
 *
 * @example
 * const svc = app.getElement('auths.loginTypes.MyWechatLogin.services.WechatPublicAuthSvc')
 * const user = await svc.getUserInfo(code)
 * if (!user.isSnapshotUser) console.log(user.openid, user.nickname)
 */
export default class WechatPublicAuthSvc extends Service<WechatPublicConfig> {
  #auth: WechatAuth | undefined

  /**
   * The URL that starts WeChat's authorization, parameters in the order WeChat checks them.
   * `state` must be a fresh random value of `[A-Za-z0-9]` that you verify on the way back.
   *
   * @example
   * svc.getAuthorizeUrl('https://example.com/wechat/callback', { state: 'f3K9x2', scope: 'snsapi_base' })
   */
  getAuthorizeUrl(
    redirectUri: string,
    options: { state: string; scope?: WechatScope; forcePopup?: boolean },
  ): string {
    return this.#wechat.authorizeUrl(redirectUri, options)
  }

  /**
   * Exchanges a callback's code for tokens (`access_token`, `expires_in`, `refresh_token`, `openid`,
   * `scope`, and `unionid` / `is_snapshotuser` when WeChat sends them) and stores them for the user,
   * except for a snapshot-page user. A code works once.
   */
  getAccessToken(code: string): Promise<WechatTokenResponse> {
    return this.#wechat.accessToken(code)
  }

  /**
   * Exchanges a code and returns the user (`openid, nickname, headimgurl, sex, province, city,
   * country, unionid`), stored with its tokens. `snsapi_base` grants give `openid` (and a known
   * `unionid`) without a userinfo call. A snapshot-page user comes back as `{ openid, isSnapshotUser: true }`
   * and is never stored.
   */
  getUserInfo(code: string): Promise<WechatUser> {
    return this.#wechat.login(code).then((outcome) => outcome.user)
  }

  /** New tokens from a refresh token (store the returned refresh_token: it may have changed). */
  refreshToken(refreshToken: string): Promise<WechatTokenResponse> {
    return this.#wechat.refresh(refreshToken)
  }

  /** Whether WeChat still accepts `accessToken` for `openid` (false when invalid, expired or another user's). */
  validateAccessToken(accessToken: string, openid: string): Promise<boolean> {
    return this.#wechat.validate(accessToken, openid)
  }

  /**
   * The current profile of a user who logged in before, with their stored token: refreshed when it has
   * expired (concurrent callers share one refresh); cleared when WeChat revoked it (40030, 42002, 42007).
   */
  getUserInfoByOpenid(openid: string): Promise<WechatUser> {
    return this.#wechat.userInfoByOpenid(openid)
  }

  get #wechat(): WechatAuth {
    if (this.#auth) return this.#auth
    const owner = this.owner
    if (!owner) {
      throw new Error(
        'WechatPublicAuthSvc is reached through a login Instance: auths.loginTypes.<Instance>.services.WechatPublicAuthSvc',
      )
    }
    this.#auth = wechatAuthFor({
      instance: owner.element.fullName,
      config: owner.config as WechatPublicConfig,
      resources: this.resources,
      app: this.app,
      log: this.log,
      metrics: this.metrics,
      env: this.env,
      model: () => owner.getChild(AUTH_MODEL),
    })
    return this.#auth
  }
}
