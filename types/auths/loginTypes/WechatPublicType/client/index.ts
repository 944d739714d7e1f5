/** The WeChat OAuth client's public surface, for the WechatPublicType's services and routes. */
export {
  DEFAULT_API_BASE_URL,
  DEFAULT_OAUTH_BASE_URL,
  type WechatLang,
  WechatOAuthClient,
  type WechatOAuthClientOptions,
  type WechatScope,
} from './client.ts'
export {
  describeErrcode,
  WECHAT_ERRCODES,
  WechatApiError,
  type WechatEndpoint,
  type WechatErrorAction,
  WechatInputError,
  WechatNetworkError,
  WechatProtocolError,
  type WechatProtocolProblem,
} from './errors.ts'
export { parseWechatBody } from './parse.ts'
export {
  type WechatTokenResponse,
  type WechatUserInfo,
  wechatAuthSchema,
  wechatTokenSchema,
  wechatUserInfoSchema,
} from './schemas.ts'
export type { RetryPolicy, WechatAttemptEvent } from './transport.ts'
