import { MinuteQuota, optionParser, SandboxCore } from 'jitlite/sandbox'
import { z } from 'zod'
import {
  type AuthorizeRefusal,
  type AuthorizeRequest,
  checkAuthorizeQuery,
  checkUserMayAuthorize,
  redirectTarget,
} from './authorize-check.ts'
import { ENDPOINTS, type SandboxEndpoint } from './endpoints.ts'
import { WechatSandboxError } from './errors.ts'
import {
  type FixturesInput,
  loadFixtures,
  openidOf,
  type SandboxAppFixture,
  type SandboxFixtures,
  type SandboxUserFixture,
} from './fixtures.ts'
import { newToken } from './ids.ts'
import { GrantStore, ACCESS_TOKEN_LIFETIME_SECONDS as STABLE_TOKEN_LIFETIME_SECONDS } from './store.ts'
import { DEFAULT_SWITCHES, type SandboxSwitches, switchesPatchSchema } from './switches.ts'

const OPTIONS = optionParser(
  (message, cause) => new WechatSandboxError('WECHAT_SANDBOX_OPTION_INVALID', message, { cause }),
)
const { parseOption } = OPTIONS

/** Validates an option with its schema, throwing WECHAT_SANDBOX_OPTION_INVALID that names the fields. */
export { parseOption }

export interface WechatSandboxOptions {
  /** A fixtures file path or URL, or a fixtures object (default: fixtures.json beside the sandbox). */
  fixtures?: string | URL | FixturesInput
  /** The underlying time source in ms since the epoch (default `Date.now`); `clock.advance()` moves on top of it. */
  now?: () => number
  /** Switches to start with (the rest keep their defaults). */
  switches?: Partial<SandboxSwitches>
}

/** What the consent page's Allow does, for tests without a browser. */
export interface SandboxAuthorizeOptions {
  appid: string
  redirectUri: string
  scope: string
  state: string
  /** The fixture user's key (default: the default user). */
  user?: string
}

export type GrantOutcome = { refusal: AuthorizeRefusal } | { refusal?: undefined; redirectUrl: string }

/** An app as the admin API shows it: everything but the secret. */
export type PublicApp = Omit<SandboxAppFixture, 'secret'>

const domainSchema = z.string().regex(/^[a-z0-9.-]+(:\d{1,5})?$/)

/**
 * The state of one WeChat sandbox and its programmatic control: apps and users (from the fixtures),
 * codes and tokens, the movable clock, per-endpoint call counters, switches and injected faults.
 * The HTTP plugin serves it; `startWechatSandbox` returns it with its URLs.
 *
 * @example
 * const sandbox = new WechatSandbox()
 * const redirect = sandbox.authorize({ appid: DEMO_APP.appId, redirectUri: 'http://127.0.0.1:3000/cb', scope: 'snsapi_userinfo', state: 'abc' })
 * sandbox.setFault('access_token', { kind: 'busy' }) // the next code exchange answers -1
 * sandbox.clock.advance(7201) // access tokens issued so far have expired
 */
export class WechatSandbox extends SandboxCore<SandboxEndpoint, SandboxSwitches> {
  /** Codes and tokens (used by the HTTP handlers). */
  readonly grants: GrantStore
  readonly #fixtures: SandboxFixtures
  readonly #quota: MinuteQuota
  #apps = new Map<string, SandboxAppFixture>()
  #users = new Map<string, SandboxUserFixture>()
  #defaultUser: string
  /** The current stable access token of each account: the same one until it expires. */
  readonly #stableTokens = new Map<string, { token: string; expiresAtMs: number }>()

  constructor(options: WechatSandboxOptions = {}) {
    super({
      endpoints: ENDPOINTS,
      options: OPTIONS,
      defaultSwitches: DEFAULT_SWITCHES,
      switchesPatchSchema,
      switches: options.switches,
      now: options.now,
    })
    this.#fixtures = loadFixtures(options.fixtures)
    this.grants = new GrantStore(this.clock)
    this.#quota = new MinuteQuota(this.clock)
    this.#defaultUser = this.#fixtures.defaultUser
    this.#loadFixtureCopies()
  }

  // Apps and users

  app(appid: string): SandboxAppFixture | undefined {
    return this.#apps.get(appid)
  }

  apps(): PublicApp[] {
    return [...this.#apps.values()].map(({ secret: _secret, ...rest }) => structuredClone(rest))
  }

  user(key: string): SandboxUserFixture | undefined {
    return this.#users.get(key)
  }

  users(): SandboxUserFixture[] {
    return [...this.#users.values()]
  }

  /** The user a silent authorization picks when the browser has not chosen one. */
  get defaultUser(): SandboxUserFixture {
    return this.#users.get(this.#defaultUser)!
  }

  setDefaultUser(key: string): void {
    this.#requireUser(key)
    this.#defaultUser = key
  }

  /** Adds an authorization domain to an app (`"example.com"`, or `"127.0.0.1:3000"` for one port only). */
  addDomain(appid: string, domain: string): void {
    const app = this.#requireApp(appid)
    const parsed = parseOption(domainSchema, domain, 'domain')
    if (!app.domains.includes(parsed)) app.domains.push(parsed)
  }

  /** The user changed their WeChat password: every token issued to them so far answers 42007. */
  userChangedPassword(key: string): void {
    this.#requireUser(key)
    this.grants.revokeUser(key)
  }

  /**
   * The account's stable access token and its remaining seconds: the same token for its whole
   * lifetime, a new one when it expired or `forceRefresh` asks for one.
   */
  stableToken(appid: string, forceRefresh: boolean): { token: string; expiresInSeconds: number } {
    const now = this.clock.nowMs()
    let current = this.#stableTokens.get(appid)
    if (!current || current.expiresAtMs <= now || forceRefresh) {
      current = { token: newToken(), expiresAtMs: now + STABLE_TOKEN_LIFETIME_SECONDS * 1000 }
      this.#stableTokens.set(appid, current)
    }
    return { token: current.token, expiresInSeconds: Math.ceil((current.expiresAtMs - now) / 1000) }
  }

  // Calls (switches, counters and faults: SandboxCore)

  recordCall(endpoint: SandboxEndpoint): void {
    this.countCall(endpoint)
  }

  /** Counts a call against the per-minute quota; false when the quota is used up (45011). */
  takeQuota(appid: string, endpoint: SandboxEndpoint): boolean {
    return this.#quota.take(`${appid}\u0000${endpoint}`, this.switches.quotaPerMinute)
  }

  /** Back to the start: fixtures' apps and users, no codes or tokens, zero counters, no faults, default switches, real time. */
  override reset(): void {
    super.reset()
    this.grants.clear()
    this.#stableTokens.clear()
    this.#quota.clear()
    this.#defaultUser = this.#fixtures.defaultUser
    this.#loadFixtureCopies()
  }

  // Authorization

  /** Runs the authorize page's checks on a query (its parameters in the order sent). */
  checkAuthorize(pairs: readonly (readonly [string, string])[]) {
    return checkAuthorizeQuery(pairs, (appid) => this.#apps.get(appid), this.switches)
  }

  /** Issues a code for `user` after the page's checks passed, or refuses (10006 on a test account). */
  grantCode(request: AuthorizeRequest, user: SandboxUserFixture): GrantOutcome {
    const refusal = checkUserMayAuthorize(request.app, user)
    if (refusal) return { refusal }
    const code = this.grants.issueCode({
      appid: request.app.appid,
      userKey: user.key,
      openid: openidOf(user, request.app.appid),
      scope: request.scope,
      snapshot: user.snapshot,
    })
    return { redirectUrl: redirectTarget(request.redirectUri, request.state, code) }
  }

  /**
   * Performs what the consent page's Allow does (or the silent redirect of snsapi_base) and returns
   * the URL WeChat would send the browser to, with `code` and `state`. Throws
   * WECHAT_SANDBOX_AUTHORIZE_REFUSED with the page's errcode when a check fails.
   *
   * @example
   * const url = new URL(sandbox.authorize({ appid, redirectUri, scope: 'snsapi_base', state: 'xyz', user: 'momo' }))
   * const code = url.searchParams.get('code')
   */
  authorize(options: SandboxAuthorizeOptions): string {
    const request = this.#checkProgrammatic(options)
    const user = options.user === undefined ? this.defaultUser : this.#requireUser(options.user)
    const granted = this.grantCode(request, user)
    if (granted.refusal) throw refusedError(granted.refusal.errcode, granted.refusal.hint)
    return granted.redirectUrl
  }

  /** What the consent page's Deny does: the legacy redirect (`state=`, no code), or null when WeChat stays put. */
  deny(options: Omit<SandboxAuthorizeOptions, 'user'>): string | null {
    const request = this.#checkProgrammatic(options)
    return this.switches.denyMode === 'legacyRedirect'
      ? redirectTarget(request.redirectUri, request.state)
      : null
  }

  #checkProgrammatic(options: Omit<SandboxAuthorizeOptions, 'user'>): AuthorizeRequest {
    const check = this.checkAuthorize([
      ['appid', options.appid],
      ['redirect_uri', options.redirectUri],
      ['response_type', 'code'],
      ['scope', options.scope],
      ['state', options.state],
    ])
    if (!check.ok) throw refusedError(check.refusal.errcode, check.refusal.hint)
    return check.request
  }

  #requireApp(appid: string): SandboxAppFixture {
    const app = this.#apps.get(appid)
    if (!app) {
      throw new WechatSandboxError(
        'WECHAT_SANDBOX_UNKNOWN_APP',
        `No sandbox app has the appid "${appid}". Known appids: ${[...this.#apps.keys()].join(', ')}.`,
      )
    }
    return app
  }

  #requireUser(key: string): SandboxUserFixture {
    const user = this.#users.get(key)
    if (!user) {
      throw new WechatSandboxError(
        'WECHAT_SANDBOX_UNKNOWN_USER',
        `No sandbox user has the key "${key}". Known users: ${[...this.#users.keys()].join(', ')}.`,
      )
    }
    return user
  }

  #loadFixtureCopies(): void {
    const copy = structuredClone(this.#fixtures)
    this.#apps = new Map(copy.apps.map((app) => [app.appid, app]))
    this.#users = new Map(copy.users.map((user) => [user.key, user]))
  }
}

function refusedError(errcode: number | null, hint: string): WechatSandboxError {
  const what = errcode === null ? 'a parameter error' : `errcode ${errcode}`
  return new WechatSandboxError(
    'WECHAT_SANDBOX_AUTHORIZE_REFUSED',
    `WeChat's authorize page would show ${what}: ${hint}`,
    {
      errcode: errcode ?? undefined,
    },
  )
}
