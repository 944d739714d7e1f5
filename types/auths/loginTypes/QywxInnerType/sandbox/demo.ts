/**
 * The fixture corp and app the demo Instance uses (they are in fixtures.json; a test keeps the two in
 * step). The app trusts `127.0.0.1` and `localhost` on any port, and the loopback IPs.
 *
 * @example
 * // app/auths/loginTypes/MyWecomLogin/MyWecomLogin.json
 * { "corpId": "wwefc6edd10b62a340", "corpSecret": "axmChhEVia0jF1HOefg1JHC4SMwT1AxDzTbaNPsZ0iY", "agentId": 1000002 }
 */
export const WECOM_SANDBOX_DEMO_APP = Object.freeze({
  corpId: 'wwefc6edd10b62a340',
  corpSecret: 'axmChhEVia0jF1HOefg1JHC4SMwT1AxDzTbaNPsZ0iY',
  agentId: 1000002,
  name: 'jitlite 员工登录 Staff',
})

/** Other fixture apps, for tests: an app created before 2022-06-20, a narrow visible range, another domain. */
export const WECOM_SANDBOX_APPS = Object.freeze({
  staff: Object.freeze({ agentId: 1000002, secret: 'axmChhEVia0jF1HOefg1JHC4SMwT1AxDzTbaNPsZ0iY' }),
  legacy: Object.freeze({ agentId: 1000003, secret: 'puZaMlom-s-myY0SkW7rg-LlX3xcvDCcFKore-Ilkmx' }),
  salesOnly: Object.freeze({ agentId: 1000004, secret: 'cbmmr8N6D6MhpNVMeMTcp3eVYAXcIyHnM43VX6Q5eOA' }),
  elsewhere: Object.freeze({ agentId: 1000005, secret: 'SRl4H6hzHe_2OydhxYGoX5aORz6HlHvFQjVRjj9qwyE' }),
})

/** The name under which `jit dev` mounts this sandbox: `/__sandbox/wecom/`. */
export const WECOM_SANDBOX_NAME = 'wecom'

/**
 * The config overrides that point a WeCom login Instance at a sandbox: all three WeCom hosts are
 * served by the same base.
 *
 * @example
 * wecomSandboxInstanceConfig('http://127.0.0.1:3000/__sandbox/wecom')
 * // { oauthBaseUrl: '…/__sandbox/wecom', loginBaseUrl: '…/__sandbox/wecom', apiBaseUrl: '…/__sandbox/wecom' }
 */
export function wecomSandboxInstanceConfig(sandboxBaseUrl: string): {
  oauthBaseUrl: string
  loginBaseUrl: string
  apiBaseUrl: string
} {
  const base = sandboxBaseUrl.replace(/\/+$/, '')
  return { oauthBaseUrl: base, loginBaseUrl: base, apiBaseUrl: base }
}
