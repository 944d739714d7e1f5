import { MinuteQuota, optionParser, SandboxCore } from 'jitlite/sandbox'
import { z } from 'zod'
import { ENDPOINTS, type SandboxEndpoint } from './endpoints.ts'
import { WecomSandboxError } from './errors.ts'
import {
  type FixturesInput,
  loadFixtures,
  type Person,
  type WecomAppFixture,
  type WecomDepartmentFixture,
  type WecomFixtures,
  type WecomMemberFixture,
  type WecomNonMemberFixture,
} from './fixtures.ts'
import { newSecret } from './ids.ts'
import {
  appTrusts,
  type Check,
  checkOAuthQuery,
  checkWebLoginQuery,
  type LoginRefusal,
  type OAuthRequest,
  redirectTarget,
  type WebLoginRequest,
} from './login-check.ts'
import { GrantStore } from './store.ts'
import { DEFAULT_SWITCHES, switchesPatchSchema, type WecomSandboxSwitches } from './switches.ts'

const OPTIONS = optionParser(
  (message, cause) => new WecomSandboxError('WECOM_SANDBOX_OPTION_INVALID', message, { cause }),
)
const { parseOption } = OPTIONS

/** Validates an option with its schema, throwing WECOM_SANDBOX_OPTION_INVALID that names the fields. */
export { parseOption }

export interface WecomSandboxOptions {
  /** A fixtures file path or URL, or a fixtures object (default: fixtures.json beside the sandbox). */
  fixtures?: string | URL | FixturesInput
  /** The underlying time source in ms since the epoch (default `Date.now`); `clock.advance()` moves on top of it. */
  now?: () => number
  /** Switches to start with (the rest keep their defaults). */
  switches?: Partial<WecomSandboxSwitches>
}

/** One call that reached the sandbox: what a test asserts ("one gettoken for 100 logins"). */
export interface SandboxCall {
  endpoint: SandboxEndpoint
  atMs: number
  /** The caller's IP as the sandbox saw it (after any override). */
  ip: string
  /** The query parameters, first value of each; `corpsecret` is masked. */
  query: Record<string, string>
  /** The errcode answered (0 for success); undefined for pages, faults without a body, and hung calls. */
  errcode?: number
}

/** An app as the admin API shows it: everything but the secret. */
export type PublicApp = Omit<WecomAppFixture, 'secret'>

/** What the in-client OAuth does for a person, for tests without a browser. */
export interface SandboxAuthorizeOptions {
  redirectUri: string
  state: string
  /** Default snsapi_base. */
  scope?: string
  /** The app's agentid (recommended; needed for snsapi_privateinfo). */
  agentid?: number
  /** A member's or non-member's key (default: the default member). */
  person?: string
}

/** What the web login page does when a member scans (or clicks the desktop login), for tests without a browser. */
export interface SandboxWebLoginOptions {
  agentid: number
  redirectUri: string
  state: string
  /** A member's key (default: the default member). */
  member?: string
  /** As if opened at the legacy /wwopen/sso/qrConnect. */
  legacyPage?: boolean
}

const CALL_LOG_LIMIT = 10_000
const domainSchema = z.string().regex(/^[a-z0-9.-]+(:\d{1,5})?$/)
const ipsSchema = z.array(z.string().min(1)).nullable()

/**
 * The state of one WeCom sandbox and its programmatic control: the corp, its apps, departments,
 * members and non-members (from the fixtures), codes, tokens and tickets, the movable clock, the calls
 * received, switches and injected faults. The HTTP plugin serves it; `startWecomSandbox` returns it with
 * its URLs.
 *
 * @example
 * const sandbox = new WecomSandbox()
 * const url = sandbox.authorize({ agentid: 1000002, redirectUri: 'http://127.0.0.1:3000/cb', state: 'abc' })
 * sandbox.setFault('gettoken', { kind: 'busy' }) // the next gettoken answers -1
 * sandbox.clock.advance(7201) // the app tokens issued so far have expired
 */
export class WecomSandbox extends SandboxCore<SandboxEndpoint, WecomSandboxSwitches> {
  /** Codes, tokens, tickets and consents (used by the HTTP handlers). */
  readonly grants: GrantStore
  readonly #fixtures: WecomFixtures
  readonly #rate: MinuteQuota
  #apps = new Map<number, WecomAppFixture>()
  #secretGenerations = new Map<number, number>()
  #calls: SandboxCall[] = []
  #defaultMember: string
  #callerIp: string | undefined

  constructor(options: WecomSandboxOptions = {}) {
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
    this.#rate = new MinuteQuota(this.clock)
    this.#defaultMember = this.#fixtures.defaultMember
    this.#loadApps()
  }

  // The corp

  get corp(): { corpid: string; name: string } {
    return { ...this.#fixtures.corp }
  }

  app(agentid: number): WecomAppFixture | undefined {
    return this.#apps.get(agentid)
  }

  /** The apps without their secrets. */
  apps(): PublicApp[] {
    return [...this.#apps.values()].map(({ secret: _secret, ...rest }) => structuredClone(rest))
  }

  /** @internal The apps with their current secrets (gettoken compares against them). */
  appsWithSecrets(): readonly WecomAppFixture[] {
    return [...this.#apps.values()]
  }

  /** How many times the app's secret was reset. */
  secretGeneration(agentid: number): number {
    return this.#secretGenerations.get(agentid) ?? 0
  }

  departments(): readonly WecomDepartmentFixture[] {
    return this.#fixtures.departments
  }

  members(): readonly WecomMemberFixture[] {
    return this.#fixtures.members
  }

  nonMembers(): readonly WecomNonMemberFixture[] {
    return this.#fixtures.nonMembers
  }

  /** The member with this userid, compared ignoring case as WeCom does. */
  memberByUserid(userid: string): WecomMemberFixture | undefined {
    const wanted = userid.toLowerCase()
    return this.#fixtures.members.find((member) => member.userid.toLowerCase() === wanted)
  }

  person(key: string): Person | undefined {
    const member = this.#fixtures.members.find((candidate) => candidate.key === key)
    if (member) return { kind: 'member', member }
    const nonMember = this.#fixtures.nonMembers.find((candidate) => candidate.key === key)
    return nonMember ? { kind: 'nonMember', nonMember } : undefined
  }

  /** The member a silent in-client login picks when the browser has not chosen one. */
  get defaultMember(): WecomMemberFixture {
    return this.#fixtures.members.find((member) => member.key === this.#defaultMember)!
  }

  setDefaultMember(key: string): void {
    const person = this.#requirePerson(key)
    if (person.kind !== 'member')
      throw new WecomSandboxError(
        'WECOM_SANDBOX_OPTION_INVALID',
        `"${key}" is not a member: the default person must be a member.`,
      )
    this.#defaultMember = key
  }

  /** The department ids with all their sub-departments. */
  subtreeOf(...roots: number[]): Set<number> {
    const found = new Set<number>()
    const visit = (id: number) => {
      if (found.has(id)) return
      found.add(id)
      for (const child of this.#fixtures.departments) if (child.parentid === id) visit(child.id)
    }
    for (const root of roots) if (this.#fixtures.departments.some((d) => d.id === root)) visit(root)
    return found
  }

  visibleDepartmentIds(app: WecomAppFixture): Set<number> {
    return this.subtreeOf(...app.visibleRange.departments)
  }

  /** Whether the member is in the app's visible range (listed, or in a listed department's subtree). */
  isVisible(app: WecomAppFixture, member: WecomMemberFixture): boolean {
    const userid = member.userid.toLowerCase()
    if (app.visibleRange.users.some((listed) => listed.toLowerCase() === userid)) return true
    const departments = this.visibleDepartmentIds(app)
    return member.department.some((id) => departments.has(id))
  }

  /** Whether the app trusts `host` (as `host[:port]`) in either of its domain settings. */
  appTrustsHost(app: WecomAppFixture, host: string): boolean {
    return appTrusts(app, new URL(`http://${host}/`), 'either')
  }

  // Admin changes

  /** Adds a trusted domain to an app: "oauth" (网页授权), "web" (企业微信授权登录) or "both". */
  addDomain(agentid: number, domain: string, setting: 'oauth' | 'web' | 'both' = 'both'): void {
    const app = this.#requireApp(agentid)
    const parsed = parseOption(domainSchema, domain, 'domain')
    if (setting !== 'web' && !app.oauthDomains.includes(parsed)) app.oauthDomains.push(parsed)
    if (setting !== 'oauth' && !app.webLoginDomains.includes(parsed)) app.webLoginDomains.push(parsed)
  }

  /** Sets an app's 企业可信IP list (null: no list, every IP allowed). */
  setTrustedIps(agentid: number, ips: string[] | null): void {
    this.#requireApp(agentid).trustedIps = parseOption(ipsSchema, ips, 'trustedIps')
  }

  /** Makes every call look as if it came from `ip` (60020 tests); null goes back to the socket's address. */
  setCallerIp(ip: string | null): void {
    this.#callerIp = ip === null ? undefined : parseOption(z.string().min(1), ip, 'callerIp')
  }

  get callerIpOverride(): string | undefined {
    return this.#callerIp
  }

  /** Resets an app's secret: the old one answers 40001; returns the new one. */
  resetSecret(agentid: number): string {
    const app = this.#requireApp(agentid)
    app.secret = newSecret()
    this.#secretGenerations.set(agentid, this.secretGeneration(agentid) + 1)
    return app.secret
  }

  /** WeCom drops app tokens early (all apps without agentid): their next use answers 40014. */
  invalidateTokens(agentid?: number): number {
    if (agentid !== undefined) this.#requireApp(agentid)
    return this.grants.invalidateTokens(agentid)
  }

  /** The member withdraws the privateinfo consent (个人敏感信息授权管理): the sheet shows again. */
  revokeConsent(agentid: number, personKey: string): void {
    this.#requireApp(agentid)
    this.#requirePerson(personKey)
    this.grants.revokeConsent(agentid, personKey)
  }

  // Calls (switches, counters and faults: SandboxCore)

  /** The calls received (the last 10,000), oldest first; only those to `endpoint` when given. */
  calls(endpoint?: SandboxEndpoint): SandboxCall[] {
    return this.#calls
      .filter((call) => endpoint === undefined || call.endpoint === endpoint)
      .map((call) => structuredClone(call))
  }

  /** Zeroes the counters and empties the call log. */
  override resetCounters(): void {
    super.resetCounters()
    this.#calls = []
  }

  /** Counts a call; the returned record takes the errcode once it is known. */
  recordCall(
    endpoint: SandboxEndpoint,
    ip: string,
    query: Readonly<Record<string, string | undefined>>,
  ): SandboxCall {
    this.countCall(endpoint)
    const shown: Record<string, string> = {}
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined) shown[name] = name === 'corpsecret' ? '***' : value
    }
    const call: SandboxCall = { endpoint, atMs: this.clock.nowMs(), ip, query: shown }
    this.#calls.push(call)
    if (this.#calls.length > CALL_LOG_LIMIT) this.#calls.splice(0, this.#calls.length - CALL_LOG_LIMIT)
    return call
  }

  /** Counts a call against the per-minute limit of the corp for one API; false once it is used up (45009). */
  takeQuota(endpoint: SandboxEndpoint): boolean {
    return this.#rate.take(endpoint, this.switches.ratePerMinute)
  }

  /** Back to the start: fixtures' apps, no codes, tokens or consents, no calls, no faults, default switches, real time. */
  override reset(): void {
    super.reset()
    this.grants.clear()
    this.#rate.clear()
    this.#defaultMember = this.#fixtures.defaultMember
    this.#callerIp = undefined
    this.#loadApps()
  }

  // Logins

  checkOAuth(pairs: readonly (readonly [string, string])[]): Check<OAuthRequest> {
    return checkOAuthQuery(
      pairs,
      { corpid: this.#fixtures.corp.corpid, apps: [...this.#apps.values()] },
      this.switches,
    )
  }

  checkWebLogin(pairs: readonly (readonly [string, string])[], legacyPage: boolean): Check<WebLoginRequest> {
    return checkWebLoginQuery(
      pairs,
      { corpid: this.#fixtures.corp.corpid, apps: [...this.#apps.values()] },
      legacyPage,
    )
  }

  /**
   * The in-client OAuth's outcome for `person` once the page's checks passed: the redirect URL with a
   * code, or the refusal page (privateinfo for a member outside the visible range). `consented` says
   * the person allowed the privateinfo sheet (or allowed it in the last 30 days).
   */
  grantOAuth(
    request: OAuthRequest,
    person: Person,
    consented: boolean,
  ): { refusal: LoginRefusal } | { redirectUrl: string } {
    const app = request.app
    let withTicket = false
    if (request.scope === 'snsapi_privateinfo' && app && person.kind === 'member') {
      if (!this.isVisible(app, person.member)) return { refusal: notVisibleRefusal(app) }
      withTicket = consented
      if (consented) this.grants.recordConsent(app.agentid, person.member.key)
    }
    const code = this.grants.issueCode({
      corpid: request.corpid,
      agentid: app?.agentid,
      personKey: personKey(person),
      scope: request.scope,
      channel: 'oauth',
      redirectHost: new URL(request.redirectUri).host,
      withTicket,
    })
    return {
      redirectUrl: redirectTarget(request.redirectUri, [
        ['code', code],
        ['state', request.state],
      ]),
    }
  }

  /** The web login's outcome for a member who scanned or clicked: the redirect URL, or the 无权限 page. */
  grantWebLogin(
    request: WebLoginRequest,
    member: WecomMemberFixture,
  ): { refusal: LoginRefusal } | { redirectUrl: string } {
    if (!this.isVisible(request.app, member)) return { refusal: notVisibleRefusal(request.app) }
    const code = this.grants.issueCode({
      corpid: request.corpid,
      agentid: request.app.agentid,
      personKey: member.key,
      scope: 'snsapi_base',
      channel: 'web',
      redirectHost: new URL(request.redirectUri).host,
      withTicket: false,
    })
    return { redirectUrl: redirectTarget(request.redirectUri, this.webCallbackParams(request, code)) }
  }

  /** The web callback's parameters: code and state, and appid where the switch says so. */
  webCallbackParams(request: WebLoginRequest, code: string | undefined): [string, string][] {
    const params: [string, string][] = code === undefined ? [] : [['code', code]]
    params.push(['state', request.state])
    const mode = this.switches.webCallbackAppid
    if (mode === 'always' || (mode === 'legacyPage' && request.legacyPage))
      params.push(['appid', request.corpid])
    return params
  }

  /**
   * What the in-client OAuth does for a person (privateinfo: as if they allowed the sheet); returns
   * the URL WeCom would send the browser to. Throws WECOM_SANDBOX_LOGIN_REFUSED when a check fails.
   *
   * @example
   * const url = new URL(sandbox.authorize({ agentid: 1000002, redirectUri, state: 's1', person: 'lina' }))
   * const code = url.searchParams.get('code')
   */
  authorize(options: SandboxAuthorizeOptions): string {
    const pairs: [string, string][] = [
      ['appid', this.#fixtures.corp.corpid],
      ['redirect_uri', options.redirectUri],
      ['response_type', 'code'],
      ['scope', options.scope ?? 'snsapi_base'],
      ['state', options.state],
    ]
    if (options.agentid !== undefined) pairs.push(['agentid', String(options.agentid)])
    const check = this.checkOAuth(pairs)
    if (!check.ok) throw refusedError('refusal' in check ? check.refusal : untrusted(check.untrustedRedirect))
    const person =
      options.person === undefined
        ? { kind: 'member' as const, member: this.defaultMember }
        : this.#requirePerson(options.person)
    const granted = this.grantOAuth(check.request, person, true)
    if ('refusal' in granted) throw refusedError(granted.refusal)
    return granted.redirectUrl
  }

  /**
   * What the web login page does when `member` scans the QR code and confirms; returns the callback
   * URL. Throws WECOM_SANDBOX_LOGIN_REFUSED when a check fails.
   */
  webLogin(options: SandboxWebLoginOptions): string {
    const check = this.checkWebLogin(
      [
        ['login_type', 'CorpApp'],
        ['appid', this.#fixtures.corp.corpid],
        ['agentid', String(options.agentid)],
        ['redirect_uri', options.redirectUri],
        ['state', options.state],
      ],
      options.legacyPage ?? false,
    )
    if (!check.ok) throw refusedError('refusal' in check ? check.refusal : untrusted(check.untrustedRedirect))
    const person =
      options.member === undefined
        ? { kind: 'member' as const, member: this.defaultMember }
        : this.#requirePerson(options.member)
    if (person.kind !== 'member')
      throw new WecomSandboxError(
        'WECOM_SANDBOX_OPTION_INVALID',
        `"${options.member}" is not a member: only members can use the web login.`,
      )
    const granted = this.grantWebLogin(check.request, person.member)
    if ('refusal' in granted) throw refusedError(granted.refusal)
    return granted.redirectUrl
  }

  #requireApp(agentid: number): WecomAppFixture {
    const app = this.#apps.get(agentid)
    if (!app) {
      throw new WecomSandboxError(
        'WECOM_SANDBOX_UNKNOWN_APP',
        `No sandbox app has the agentid ${agentid}. Known agentids: ${[...this.#apps.keys()].join(', ')}.`,
      )
    }
    return app
  }

  #requirePerson(key: string): Person {
    const person = this.person(key)
    if (!person) {
      const keys = [...this.#fixtures.members, ...this.#fixtures.nonMembers].map((p) => p.key)
      throw new WecomSandboxError(
        'WECOM_SANDBOX_UNKNOWN_PERSON',
        `No sandbox member or non-member has the key "${key}". Known keys: ${keys.join(', ')}.`,
      )
    }
    return person
  }

  #loadApps(): void {
    this.#apps = new Map(structuredClone(this.#fixtures.apps).map((app) => [app.agentid, app]))
    this.#secretGenerations = new Map()
  }
}

export function personKey(person: Person): string {
  return person.kind === 'member' ? person.member.key : person.nonMember.key
}

function notVisibleRefusal(app: WecomAppFixture): LoginRefusal {
  return {
    title: '无权限',
    titleEn: "No permission: you are not in this app's visible range",
    code: 60011,
    hint: `Add the member (or their department) to the visible range of "${app.name}" (应用管理 > 可见范围).`,
  }
}

function untrusted(redirectUri: string): LoginRefusal {
  let host = redirectUri
  try {
    host = new URL(redirectUri).host
  } catch {}
  return {
    title: 'redirect_uri需使用应用可信域名',
    titleEn: "redirect_uri must use the app's trusted domain",
    hint: `The host ${host} is not a trusted domain of the app (网页授权及JS-SDK).`,
  }
}

export { untrusted as untrustedDomainRefusal }

function refusedError(refusal: LoginRefusal): WecomSandboxError {
  const code = refusal.code === undefined ? '' : ` (${refusal.code})`
  return new WecomSandboxError(
    'WECOM_SANDBOX_LOGIN_REFUSED',
    `WeCom's login page would show "${refusal.title}"${code}: ${refusal.hint}`,
  )
}
