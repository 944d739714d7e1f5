/**
 * Errors of the QywxInnerType beyond what WeCom itself answers (those are the client's WecomApiError,
 * WecomNetworkError and WecomProtocolError, with WeCom's errcode). Messages never carry a secret,
 * code, ticket or token.
 */
import type { WecomErrorAction } from './client/index.ts'

export const QywxAuthErrorCodes = {
  WECOM_NON_MEMBER_REFUSED:
    'WeCom answered an openid (not a member of the corp) and the Instance refuses non-members',
  WECOM_USERID_MISMATCH: 'WeCom answered for another userid than the one asked about',
  WECOM_TOKEN_WAIT_TIMEOUT: 'another process held the app token fetch for too long',
} as const

export type QywxAuthErrorCode = keyof typeof QywxAuthErrorCodes

/**
 * A WeCom login operation that cannot go on, for a reason of ours rather than WeCom's answer.
 *
 * @example
 * try {
 *   await svc.getLoginCode(code)
 * } catch (error) {
 *   if (error instanceof QywxAuthError && error.code === 'WECOM_NON_MEMBER_REFUSED') showStaffOnly()
 * }
 */
export class QywxAuthError extends Error {
  readonly code: QywxAuthErrorCode
  /** What the caller should do, in the same words as the client's errors. */
  readonly action: WecomErrorAction

  constructor(code: QywxAuthErrorCode, message: string, action: WecomErrorAction) {
    super(message)
    this.name = 'QywxAuthError'
    this.code = code
    this.action = action
  }

  toJSON() {
    return { name: this.name, code: this.code, message: this.message, action: this.action }
  }
}
