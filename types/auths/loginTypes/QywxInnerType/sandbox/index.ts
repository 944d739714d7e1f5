/**
 * The WeCom (企业微信) self-built app login sandbox: a local emulator of WeCom's in-client OAuth page
 * (open.weixin.qq.com), its web login page (login.work.weixin.qq.com, and the legacy
 * open.work.weixin.qq.com qrConnect) and its API (qyapi.weixin.qq.com), faithful to
 * docs/wecom-protocol.md, with switches for uncertain behaviours, fault injection, a call log and a
 * movable clock.
 *
 * @example
 * import { startWecomSandbox, WECOM_SANDBOX_DEMO_APP } from './sandbox/index.ts'
 * const sandbox = await startWecomSandbox()
 * const url = sandbox.webLogin({ agentid: WECOM_SANDBOX_DEMO_APP.agentId, redirectUri: 'http://127.0.0.1:3000/cb', state: 'x1' })
 * sandbox.calls('gettoken') // the gettoken calls that reached the sandbox
 * await sandbox.close()
 */
export { ADMIN_ROUTES } from './admin.ts'
export { runWecomSandboxCli } from './cli.ts'
export { namesWecomHosts, WECOM_HOST_ENV, wecomSandboxDefinition } from './definition.ts'
export {
  WECOM_SANDBOX_APPS,
  WECOM_SANDBOX_DEMO_APP,
  WECOM_SANDBOX_NAME,
  wecomSandboxInstanceConfig,
} from './demo.ts'
export type { FaultOptions, FaultTarget, SandboxEndpoint, SandboxFault } from './endpoints.ts'
export { ENDPOINTS } from './endpoints.ts'
export { WecomSandboxError, type WecomSandboxErrorCode, WecomSandboxErrorCodes } from './errors.ts'
export type { FixturesInput, Person } from './fixtures.ts'
export { DEFAULT_FIXTURES_PATH, SENSITIVE_FIELDS } from './fixtures.ts'
export { type WecomSandboxPluginOptions, wecomSandbox } from './plugin.ts'
export { RunningWecomSandbox, type StartWecomSandboxOptions, startWecomSandbox } from './server.ts'
export {
  type PublicApp,
  type SandboxAuthorizeOptions,
  type SandboxCall,
  type SandboxWebLoginOptions,
  WecomSandbox,
  type WecomSandboxOptions,
} from './state.ts'
export {
  ACCESS_TOKEN_LIFETIME_SECONDS,
  CODE_LIFETIME_SECONDS,
  CONSENT_LIFETIME_SECONDS,
  USER_TICKET_LIFETIME_SECONDS,
} from './store.ts'
export { DEFAULT_SWITCHES, type WecomSandboxSwitches } from './switches.ts'
