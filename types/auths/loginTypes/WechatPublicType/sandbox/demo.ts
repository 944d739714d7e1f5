/**
 * The fixture account the demo Instance uses (it is in fixtures.json; a test keeps the two in step).
 * Its authorization domains are `127.0.0.1` and `localhost` on any port.
 *
 * @example
 * // app/auths/loginTypes/MyWechatLogin/MyWechatLogin.json
 * { "appId": "wx5a3c7f1e9b2d4680", "appSecret": "3f9c2a7e5b1d4c8096e7a2b4d1f08c35", "scope": "snsapi_userinfo" }
 */
export const WECHAT_SANDBOX_DEMO_APP = Object.freeze({
  appId: 'wx5a3c7f1e9b2d4680',
  appSecret: '3f9c2a7e5b1d4c8096e7a2b4d1f08c35',
  name: 'jitlite Demo',
})

/** The name under which `jit dev` mounts this sandbox: `/__sandbox/wechat/`. */
export const WECHAT_SANDBOX_NAME = 'wechat'

/**
 * The config overrides that point a WeChat login Instance at a sandbox: both WeChat hosts are served
 * by the same base.
 *
 * @example
 * wechatSandboxInstanceConfig('http://127.0.0.1:3000/__sandbox/wechat')
 * // { oauthBaseUrl: 'http://127.0.0.1:3000/__sandbox/wechat', apiBaseUrl: 'http://127.0.0.1:3000/__sandbox/wechat' }
 */
export function wechatSandboxInstanceConfig(sandboxBaseUrl: string): {
  oauthBaseUrl: string
  apiBaseUrl: string
} {
  const base = sandboxBaseUrl.replace(/\/+$/, '')
  return { oauthBaseUrl: base, apiBaseUrl: base }
}
