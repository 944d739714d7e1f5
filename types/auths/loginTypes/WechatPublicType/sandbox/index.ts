/**
 * The WeChat Official Account OAuth sandbox: a local emulator of open.weixin.qq.com's authorize page
 * and api.weixin.qq.com's /sns endpoints, faithful to docs/wechat-protocol.md, with switches for uncertain
 * behaviours, fault injection, call counters and a movable clock.
 *
 * @example
 * import { startWechatSandbox, WECHAT_SANDBOX_DEMO_APP } from './sandbox/index.ts'
 * const sandbox = await startWechatSandbox()
 * const url = sandbox.authorize({ appid: WECHAT_SANDBOX_DEMO_APP.appId, redirectUri: 'http://127.0.0.1:3000/cb', scope: 'snsapi_base', state: 'x1' })
 * await sandbox.close()
 */
export { runSandboxCli } from './cli.ts'
export { WECHAT_SANDBOX_DEMO_APP, WECHAT_SANDBOX_NAME, wechatSandboxInstanceConfig } from './demo.ts'
export type { FaultOptions, FaultTarget, SandboxEndpoint, SandboxFault } from './endpoints.ts'
export { ENDPOINTS } from './endpoints.ts'
export { type SandboxErrorCode, SandboxErrorCodes, WechatSandboxError } from './errors.ts'
export type { FixturesInput } from './fixtures.ts'
export { DEFAULT_FIXTURES_PATH } from './fixtures.ts'
export { type WechatSandboxPluginOptions, wechatSandbox } from './plugin.ts'
export { RunningWechatSandbox, type StartWechatSandboxOptions, startWechatSandbox } from './server.ts'
export { type SandboxAuthorizeOptions, WechatSandbox, type WechatSandboxOptions } from './state.ts'
export {
  ACCESS_TOKEN_LIFETIME_SECONDS,
  CODE_LIFETIME_SECONDS,
  REFRESH_TOKEN_LIFETIME_SECONDS,
} from './store.ts'
export { DEFAULT_SWITCHES, type SandboxSwitches } from './switches.ts'
