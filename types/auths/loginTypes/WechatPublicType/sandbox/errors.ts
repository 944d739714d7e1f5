import { SandboxError } from 'jitlite/sandbox'

/**
 * Errors a user of the WeChat sandbox can meet (its fixtures, options and programmatic control).
 * WeChat's own errors are not thrown: the sandbox answers them on the wire, as WeChat does.
 */
export const SandboxErrorCodes = {
  WECHAT_SANDBOX_FIXTURES_INVALID: 'the fixtures file is missing, not JSON, or does not match the schema',
  WECHAT_SANDBOX_UNKNOWN_APP: 'no fixture app has this appid',
  WECHAT_SANDBOX_UNKNOWN_USER: 'no fixture user has this key',
  WECHAT_SANDBOX_OPTION_INVALID: 'an option, switch, fault or admin request is malformed',
  WECHAT_SANDBOX_AUTHORIZE_REFUSED:
    'the authorize request fails a check WeChat makes (the errcode says which)',
} as const

export type SandboxErrorCode = keyof typeof SandboxErrorCodes

/**
 * @example
 * try {
 *   sandbox.authorize({ appid, redirectUri: 'https://elsewhere.example/cb', scope: 'snsapi_base', state: 's1' })
 * } catch (error) {
 *   if (error instanceof WechatSandboxError) console.log(error.code, error.errcode) // ..._REFUSED 10003
 * }
 */
export class WechatSandboxError extends SandboxError<SandboxErrorCode> {
  /** For WECHAT_SANDBOX_AUTHORIZE_REFUSED: the code WeChat's authorize page would show. */
  readonly errcode: number | undefined

  constructor(code: SandboxErrorCode, message: string, options: { errcode?: number; cause?: unknown } = {}) {
    super(code, message, { cause: options.cause })
    this.errcode = options.errcode
  }
}
