import { WECHAT_SANDBOX_DEMO_APP } from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'

/**
 * The business config of a WeChat login Instance that talks to a sandbox at `sandboxUrl` as its demo
 * app, with `config` on top.
 */
export function sandboxInstanceConfig(sandboxUrl: string, config: Record<string, unknown> = {}) {
  return {
    appId: WECHAT_SANDBOX_DEMO_APP.appId,
    appSecret: WECHAT_SANDBOX_DEMO_APP.appSecret,
    oauthBaseUrl: sandboxUrl,
    apiBaseUrl: sandboxUrl,
    // Short enough that a hanging endpoint ends a test quickly, long enough for a loaded machine.
    attemptTimeoutMs: 3000,
    totalDeadlineMs: 6000,
    ...config,
  }
}
