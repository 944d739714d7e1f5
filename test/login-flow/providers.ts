/**
 * The provider behind each login Type under test, in the flow's words, so that one suite drives a
 * login through whichever sandbox the Type talks to. `access_token` is the call that presents the code
 * (WeChat: /sns/oauth2/access_token; WeCom: auth/getuserinfo), `userinfo` the profile call that follows
 * (WeChat: /sns/userinfo; WeCom: user/get). WeCom's app token (gettoken) is the Type's own business and
 * is counted by its own tests.
 */
import {
  type RunningWecomSandbox,
  startWecomSandbox,
  WECOM_SANDBOX_DEMO_APP,
} from '../../types/auths/loginTypes/QywxInnerType/sandbox/index.ts'
import {
  type RunningWechatSandbox,
  startWechatSandbox,
  WECHAT_SANDBOX_DEMO_APP,
} from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { sandboxInstanceConfig } from '../helpers/wechat-instance.ts'

export type FlowCall = 'access_token' | 'userinfo'
type Fault = Parameters<RunningWechatSandbox['setFault']>[1]
type FaultOptions = Parameters<RunningWechatSandbox['setFault']>[2]

export interface ProviderSandbox {
  readonly url: string
  /** The sandbox as its own module exports it, for what only one protocol has. */
  readonly raw: RunningWechatSandbox | RunningWecomSandbox
  setFault(call: FlowCall, fault: Fault, options?: FaultOptions): void
  setLatency(ms: number, call: FlowCall): void
  clearFaults(): void
  resetCounters(): void
  counters(): Record<FlowCall, number>
  /** What the provider's page does when `user` (a WeChat sandbox key, mapped per provider) signs in: the redirect URL. */
  authorize(entryUrl: URL, user?: string): string
  /** Trusts another host for the callback. */
  addDomain(host: string): void
  /** An Instance's config pointed at this sandbox, with `config` on top. */
  instanceConfig(config: Record<string, unknown>): Record<string, unknown>
  /** The display name the user with this WeChat sandbox key (default: the default user) gets. */
  displayName(user?: string): string
  /** Calls `remember` with every code, token and ticket the sandbox issues from now on. */
  watchIssued(remember: (value: string) => void): () => void
  /** The secret the Instance is configured with. */
  readonly appSecret: string
  close(): Promise<void>
}

export async function startWechatProvider(): Promise<ProviderSandbox> {
  const sandbox = await startWechatSandbox()
  return {
    url: sandbox.url,
    raw: sandbox,
    setFault: (call, fault, options) => sandbox.setFault(call, fault, options),
    setLatency: (ms, call) => sandbox.setLatency(ms, call),
    clearFaults: () => sandbox.clearFaults(),
    resetCounters: () => sandbox.resetCounters(),
    counters: () => {
      const counters = sandbox.counters()
      return { access_token: counters.access_token, userinfo: counters.userinfo }
    },
    authorize(entryUrl, user) {
      const query = entryUrl.searchParams
      return sandbox.authorize({
        appid: query.get('appid') ?? '',
        redirectUri: query.get('redirect_uri') ?? '',
        scope: query.get('scope') ?? '',
        state: query.get('state') ?? '',
        user,
      })
    },
    addDomain: (host) => sandbox.addDomain(WECHAT_SANDBOX_DEMO_APP.appId, host),
    instanceConfig: (config) => sandboxInstanceConfig(sandbox.url, config),
    displayName: (user = 'lin') => WECHAT_NAMES[user] ?? user,
    watchIssued(remember) {
      const grants = sandbox.grants
      const { issueCode, issueTokens, issueAccessToken } = grants
      grants.issueCode = (grant) => {
        const code = issueCode.call(grants, grant)
        remember(code)
        return code
      }
      grants.issueTokens = (grant) => {
        const tokens = issueTokens.call(grants, grant)
        remember(tokens.accessToken)
        remember(tokens.refreshToken)
        return tokens
      }
      grants.issueAccessToken = (grant) => {
        const token = issueAccessToken.call(grants, grant)
        remember(token)
        return token
      }
      return () => Object.assign(grants, { issueCode, issueTokens, issueAccessToken })
    },
    appSecret: WECHAT_SANDBOX_DEMO_APP.appSecret,
    close: () => sandbox.close(),
  }
}

const WECHAT_NAMES: Record<string, string> = {
  lin: '林小雨',
  kai: 'Kai Chen',
  momo: 'Momo🌸',
  ada: 'Ada Zhou',
}

/** The WeChat sandbox's users the suites name, as WeCom sandbox members (WeCom has no snapshot user). */
const WECOM_PEOPLE: Record<string, { key: string; name: string }> = {
  lin: { key: 'zhangwei', name: '张伟' },
  kai: { key: 'emily', name: 'Emily Wang' },
  momo: { key: 'lina', name: '李娜' },
  ada: { key: 'chen-jie', name: '陈杰' },
  // WeChat's snapshot-page visitor has no WeCom twin; the nearest is a person WeCom will not name as a member.
  visitor: { key: 'guest', name: '' },
}
const WECOM_CALLS: Record<FlowCall, 'getuserinfo' | 'user_get'> = {
  access_token: 'getuserinfo',
  userinfo: 'user_get',
}

export async function startWecomProvider(): Promise<ProviderSandbox> {
  const sandbox = await startWecomSandbox()
  const person = (user?: string) =>
    WECOM_PEOPLE[user ?? 'lin'] ?? { key: user ?? 'zhangwei', name: user ?? '' }
  return {
    url: sandbox.url,
    raw: sandbox,
    setFault: (call, fault, options) => sandbox.setFault(WECOM_CALLS[call], fault, options),
    setLatency: (ms, call) => sandbox.setLatency(ms, WECOM_CALLS[call]),
    clearFaults: () => sandbox.clearFaults(),
    resetCounters: () => sandbox.resetCounters(),
    counters: () => {
      const counters = sandbox.counters()
      return { access_token: counters.getuserinfo, userinfo: counters.user_get }
    },
    authorize(entryUrl, user) {
      const query = entryUrl.searchParams
      const common = { redirectUri: query.get('redirect_uri') ?? '', state: query.get('state') ?? '' }
      const agentid = Number(query.get('agentid'))
      // The Type sends a desktop browser to the web login page, WeCom's own browser to the OAuth page.
      // Only members can use the web login: a non-member is taken as having opened the link in WeCom.
      const member = sandbox.members().some((m) => m.key === person(user).key)
      if (entryUrl.pathname.endsWith('/wwlogin/sso/login') && member)
        return sandbox.webLogin({ ...common, agentid, member: person(user).key })
      return sandbox.authorize({
        ...common,
        agentid,
        scope: query.get('scope') ?? undefined,
        person: person(user).key,
      })
    },
    addDomain: (host) => sandbox.addDomain(WECOM_SANDBOX_DEMO_APP.agentId, host),
    instanceConfig: ({ allowedRedirectOrigins, attemptTimeoutMs, totalDeadlineMs, ...rest }) => ({
      corpId: WECOM_SANDBOX_DEMO_APP.corpId,
      corpSecret: WECOM_SANDBOX_DEMO_APP.corpSecret,
      agentId: WECOM_SANDBOX_DEMO_APP.agentId,
      oauthBaseUrl: sandbox.url,
      loginBaseUrl: sandbox.url,
      apiBaseUrl: sandbox.url,
      attemptTimeoutMs: attemptTimeoutMs ?? 3000,
      totalDeadlineMs: totalDeadlineMs ?? 6000,
      ...(allowedRedirectOrigins ? { allowedRedirectOrigins } : {}),
      ...rest,
    }),
    displayName: (user) => person(user).name,
    watchIssued(remember) {
      const grants = sandbox.grants
      const { issueCode, tokenFor, issueTicket } = grants
      grants.issueCode = (grant) => {
        const code = issueCode.call(grants, grant)
        remember(code)
        return code
      }
      grants.tokenFor = (...args) => {
        const issued = tokenFor.apply(grants, args)
        remember(issued.token)
        return issued
      }
      grants.issueTicket = (...args) => {
        const ticket = issueTicket.apply(grants, args)
        remember(ticket)
        return ticket
      }
      return () => Object.assign(grants, { issueCode, tokenFor, issueTicket })
    },
    appSecret: WECOM_SANDBOX_DEMO_APP.corpSecret,
    close: () => sandbox.close(),
  }
}
