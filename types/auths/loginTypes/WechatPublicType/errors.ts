/**
 * Errors of the WechatPublicType's service beyond what WeChat itself answers (those are the client's
 * WechatApiError, WechatNetworkError and WechatProtocolError). Messages never carry a secret, code,
 * token or openid.
 */
import type { WechatErrorAction } from './client/index.ts'

export const WechatAuthErrorCodes = {
  WECHAT_USER_NOT_FOUND: 'no login of this openid is stored for the Instance',
  WECHAT_TOKENS_CLEARED:
    "the user's stored tokens were cleared (WeChat revoked them); they must log in again",
  WECHAT_SCOPE_INSUFFICIENT: 'the stored login has scope snsapi_base, and the call needs snsapi_userinfo',
  WECHAT_OPENID_MISMATCH: 'WeChat answered for another openid than the one asked about',
  WECHAT_SNAPSHOT_USER: 'a snapshot-page virtual user cannot be stored or linked',
} as const

export type WechatAuthErrorCode = keyof typeof WechatAuthErrorCodes

/**
 * A WeChat login operation that cannot go on, for a reason of ours rather than WeChat's answer.
 *
 * @example
 * try {
 *   await svc.getUserInfoByOpenid(openid)
 * } catch (error) {
 *   if (error instanceof WechatAuthError && error.action === 'restart_authorization') sendToLogin()
 * }
 */
export class WechatAuthError extends Error {
  readonly code: WechatAuthErrorCode
  /** What the caller should do, in the same words as the client's errors. */
  readonly action: WechatErrorAction

  constructor(code: WechatAuthErrorCode, message: string, action: WechatErrorAction) {
    super(message)
    this.name = 'WechatAuthError'
    this.code = code
    this.action = action
  }

  toJSON() {
    return { name: this.name, code: this.code, message: this.message, action: this.action }
  }
}
