export {
  WecomClient,
  type WecomClientOptions,
  type WecomIdentity,
  type WecomScope,
  type WecomToken,
  type WecomUserDetail,
  type WecomUserProfile,
} from './client.ts'
export {
  errcodeRow,
  WECOM_ERRCODES,
  WecomApiError,
  type WecomEndpoint,
  type WecomErrorAction,
  WecomNetworkError,
  WecomProtocolError,
} from './errors.ts'
