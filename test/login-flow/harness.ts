import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { ServerLimits } from '../../runtime/http/limits-config.ts'
import { buildServer } from '../../runtime/http/server.ts'
import { createApp, type JitApp } from '../../runtime/index.ts'
import { memoryLogger } from '../../runtime/log.ts'
import {
  type RunningWechatSandbox,
  WECHAT_SANDBOX_DEMO_APP,
} from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { freshPostgresDatabase } from '../helpers/postgres.ts'
import { appJson, type FileTree, writeTempTree } from '../helpers/temp-app.ts'
import { sandboxInstanceConfig } from '../helpers/wechat-instance.ts'
import { SANDBOX_LOGIN_USERS_TABLE } from './fixtures/sandbox-login-type.ts'
import { type ProviderSandbox, startWechatProvider, startWecomProvider } from './providers.ts'

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))

export const DEMO = WECHAT_SANDBOX_DEMO_APP
export const ORG = 'tests'
export const APP_NAME = 'flow'
export const INSTANCE = 'auths.loginTypes.SandboxLogin'
export const API = `/api/${ORG}/${APP_NAME}`
export const LOGIN_PATH = `${API}/auths/loginTypes/SandboxLogin/login`
export const CALLBACK_PATH = `${API}/auths/loginTypes/SandboxLogin/callback`
export const SESSION_PATH = `${API}/auths/session`
export const LOGOUT_PATH = `${API}/auths/logout`

/**
 * The login Types the flow's suites run against: the official WeChat Type, the official WeCom Type
 * (another protocol, written against the public contract only), and a second WeChat-speaking login
 * Type written for these tests (fixtures/sandbox-login-type.ts: one folder, no change to the
 * runtime), so the flow is shown to hold whatever provider sits behind it.
 */
export const LOGIN_TYPES = ['wechat', 'wecom', 'fixture'] as const
export type LoginTypeUnderTest = (typeof LOGIN_TYPES)[number]

/**
 * The databases the flow's suites run on, an axis of its own beside LOGIN_TYPES: the app's
 * `databases.Default` on a SQLite file, or on a fresh database of the test run's PostgreSQL server.
 */
export const DATABASES = ['sqlite', 'postgres'] as const
export type DatabaseUnderTest = (typeof DATABASES)[number]

const TYPE_NAMES: Record<LoginTypeUnderTest, string> = {
  wechat: 'auths.loginTypes.WechatPublicType',
  wecom: 'auths.loginTypes.QywxInnerType',
  fixture: 'auths.loginTypes.SandboxLoginType',
}
/** Each Type's users, as the suites read them: a row id, the provider's id of the person, a display name. */
const USER_TABLES: Record<LoginTypeUnderTest, { table: string; id: string; name: string }> = {
  wechat: { table: 'wechat_public_auth', id: 'openid', name: 'nickname' },
  wecom: { table: 'qywx_inner_auth', id: 'userId', name: 'name' },
  fixture: { table: SANDBOX_LOGIN_USERS_TABLE, id: 'openid', name: 'nickname' },
}

/** The sandbox a Type's logins go through: WeCom's for the WeCom Type, WeChat's for the others. */
export function startProviderFor(loginType: LoginTypeUnderTest): Promise<ProviderSandbox> {
  return loginType === 'wecom' ? startWecomProvider() : startWechatProvider()
}

/**
 * A temp app with the login family's Meta (from types/), Instances of the login Type under test, and
 * `databases.Default` on a real SQLite file or on the PostgreSQL database in DATABASE_URL.
 */
export function loginAppTree(
  instances: Record<string, Record<string, unknown>>,
  sandbox: RunningWechatSandbox | ProviderSandbox,
  loginType: LoginTypeUnderTest = 'wechat',
  database: DatabaseUnderTest = 'sqlite',
) {
  const tree: FileTree = {
    'app.json': appJson(APP_NAME),
    ...databaseFiles(database),
    'auths/loginTypes/SandboxLoginType/e.json': { title: 'Sandbox login', type: 'auths.loginTypes.Meta' },
    'auths/loginTypes/SandboxLoginType/type.ts': `export { default } from ${JSON.stringify(fixture('sandbox-login-type.ts'))}\n`,
  }
  for (const [name, config] of Object.entries(instances)) {
    tree[`auths/loginTypes/${name}/e.json`] = {
      title: `${name} (${loginType === 'wecom' ? 'WeCom' : 'WeChat'} sandbox)`,
      type: TYPE_NAMES[loginType],
    }
    tree[`auths/loginTypes/${name}/${name}.json`] =
      'instanceConfig' in sandbox
        ? sandbox.instanceConfig(config)
        : sandboxInstanceConfig(sandbox.url, config)
  }
  return tree
}

/** The app's own `databases.Default` on `database`. */
export function databaseFiles(database: DatabaseUnderTest): FileTree {
  return database === 'sqlite'
    ? {
        'databases/Default/e.json': { title: 'Default database', type: 'databases.SqliteType' },
        'databases/Default/Default.json': { file: 'data/app.sqlite' },
      }
    : {
        'databases/Default/e.json': { title: 'Default database', type: 'databases.PostgresType' },
        'databases/Default/Default.json': { url: '${DATABASE_URL}' },
      }
}

export interface HarnessOptions {
  /** Default: the official WeChat Type. */
  loginType?: LoginTypeUnderTest
  publicUrl?: string
  /** Config of the `SandboxLogin` Instance, over the demo account's. */
  config?: Record<string, unknown>
  /** More Instances of the test login Type. */
  moreInstances?: Record<string, Record<string, unknown>>
  /** More files for the app (a service, say). */
  moreFiles?: FileTree
  /** Default: SQLite. */
  database?: DatabaseUnderTest
  /** With SQLite: the file; default `data/app.sqlite` in the app's folder. */
  sqliteFile?: string
  /** Rate limits, caps and the rest of `buildServer`'s limits; default none. */
  limits?: ServerLimits
  /** `buildServer`'s metricsToken. */
  metricsToken?: string
}

/** The server's movable clock. */
export class TestClock {
  offsetMs = 0
  now = () => Date.now() + this.offsetMs
  advance(ms: number) {
    this.offsetMs += ms
  }
}

export interface LoginHarness {
  app: JitApp
  server: FastifyInstance
  /** The provider behind the Type under test, in the flow's words (providers.ts). */
  sandbox: ProviderSandbox
  clock: TestClock
  /** The app's log (the flow's lines). */
  appLog: ReturnType<typeof memoryLogger>
  /** The server's request log. */
  requestLog: ReturnType<typeof memoryLogger>
  dir: string
  dialect: DatabaseUnderTest
  /** The SQLite file, or the PostgreSQL database's URL. */
  database: string
  /** What the app's `${...}` values read (DATABASE_URL with PostgreSQL). */
  env: Record<string, string>
  publicUrl: string
  loginType: LoginTypeUnderTest
  /** A new browser; `address` is the client address its requests come from (default 127.0.0.1). */
  browser(options?: { address?: string }): Browser
  /** Calls that reached the provider's code exchange (`access_token`) and profile (`userinfo`) endpoints. */
  wechatCalls(): { access_token: number; userinfo: number }
  /** The Type's stored users: `openid` is the provider's id of the person (WeCom: the userid), `nickname` the name. */
  storedUsers(): Promise<Array<{ id: number; openid: string; nickname: string }>>
  close(): Promise<void>
}

export async function openLoginHarness(options: HarnessOptions = {}): Promise<LoginHarness> {
  const publicUrl = options.publicUrl ?? 'http://127.0.0.1:3000'
  const loginType = options.loginType ?? 'wechat'
  const sandbox = await startProviderFor(loginType)
  const host = new URL(publicUrl).host
  if (!['127.0.0.1', 'localhost'].includes(new URL(publicUrl).hostname)) sandbox.addDomain(host)
  const dialect = options.database ?? 'sqlite'
  const dir = writeTempTree(
    {
      ...loginAppTree(
        { SandboxLogin: options.config ?? {}, ...options.moreInstances },
        sandbox,
        loginType,
        dialect,
      ),
      ...options.moreFiles,
    },
    'jitlite-flow-',
  )
  const postgres = dialect === 'postgres' ? await freshPostgresDatabase('flow') : undefined
  const database = postgres?.url ?? options.sqliteFile ?? path.join(dir, 'data', 'app.sqlite')
  const env: Record<string, string> = postgres ? { DATABASE_URL: postgres.url } : {}
  const appLog = memoryLogger()
  const requestLog = memoryLogger()
  const clock = new TestClock()
  const app = await createApp({
    appDir: dir,
    database: postgres ? undefined : database,
    env,
    logger: appLog,
    publicUrl,
  })
  if (app.problems.length > 0) throw new Error(app.problems.map((p) => p.format()).join('\n'))
  const server = await buildServer(app, {
    log: requestLog,
    now: clock.now,
    limits: options.limits,
    metricsToken: options.metricsToken,
  })
  const harness: LoginHarness = {
    app,
    server,
    sandbox,
    clock,
    appLog,
    requestLog,
    dir,
    dialect,
    database,
    env,
    publicUrl,
    loginType,
    browser: (browserOptions) => new Browser(harness, browserOptions?.address),
    wechatCalls: () => sandbox.counters(),
    storedUsers: async () => {
      const { table, id, name } = USER_TABLES[loginType]
      return (await app
        .getElement('databases.Default')
        .kysely.selectFrom(table)
        .select(['id', `${id} as openid`, `${name} as nickname`])
        .execute()) as Array<{ id: number; openid: string; nickname: string }>
    },
    close: async () => {
      await server.close()
      await app.close()
      await sandbox.close()
      await postgres?.drop()
    },
  }
  return harness
}

/** A browser over `inject()`: a cookie jar, and the steps of a login. */
export class Browser {
  readonly cookies = new Map<string, string>()
  readonly #harness: LoginHarness
  readonly #address: string | undefined

  constructor(harness: LoginHarness, address?: string) {
    this.#harness = harness
    this.#address = address
  }

  /** A User-Agent this browser sends, when set. */
  userAgent?: string

  async request(
    method: 'GET' | 'POST',
    url: string,
    options: { form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<LightMyRequestResponse> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
    const headers: Record<string, string> = { ...options.headers }
    if (cookie) headers.cookie = cookie
    if (this.userAgent) headers['user-agent'] = this.userAgent
    if (options.form) headers['content-type'] = 'application/x-www-form-urlencoded'
    const response = await this.#harness.server.inject({
      method,
      url,
      headers,
      payload: options.form ? new URLSearchParams(options.form).toString() : undefined,
      ...(this.#address ? { remoteAddress: this.#address } : {}),
    })
    for (const set of response.cookies as Array<{ name: string; value: string; maxAge?: number }>) {
      if (set.maxAge === 0 || set.value === '') this.cookies.delete(set.name)
      else this.cookies.set(set.name, set.value)
    }
    return response
  }

  get(url: string) {
    return this.request('GET', url)
  }

  /** GET login: returns the response and the provider URL it redirects to. */
  async startLogin(
    query = '',
  ): Promise<{ response: LightMyRequestResponse; authorizeUrl: URL; state: string }> {
    const response = await this.get(`${LOGIN_PATH}${query}`)
    if (response.statusCode !== 302) throw new Error(`login start answered ${response.statusCode}`)
    const authorizeUrl = new URL(String(response.headers.location))
    return { response, authorizeUrl, state: authorizeUrl.searchParams.get('state') ?? '' }
  }

  /** What the provider's Allow sends the browser to: the callback path with `code` and `state`. */
  authorize(authorizeUrl: URL, user?: string): string {
    const url = new URL(this.#harness.sandbox.authorize(authorizeUrl, user))
    return `${url.pathname}${url.search}`
  }

  /** Start, authorize as `user`, deliver the callback: the callback's response. */
  async login(options: { user?: string; query?: string } = {}) {
    const { authorizeUrl } = await this.startLogin(options.query)
    const callback = this.authorize(authorizeUrl, options.user)
    return { callback, response: await this.get(callback) }
  }

  async session() {
    return this.get(SESSION_PATH)
  }
}

/** The callback URL with one parameter replaced (or removed, with `undefined`). */
export function withParam(callback: string, name: string, value: string | undefined): string {
  const url = new URL(callback, 'http://x')
  if (value === undefined) url.searchParams.delete(name)
  else url.searchParams.set(name, value)
  return `${url.pathname}${url.search}`
}
