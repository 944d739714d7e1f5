import path from 'node:path'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { buildServer } from '../../runtime/http/server.ts'
import { createApp, type JitApp } from '../../runtime/index.ts'
import { memoryLogger } from '../../runtime/log.ts'
import { appJson, type FileTree, writeTempTree } from '../helpers/temp-app.ts'
import { CORP, type FakeWecom } from './fake-wecom.ts'

export const ORG = 'tests'
export const APP_NAME = 'wecom'
export const INSTANCE = 'auths.loginTypes.StaffLogin'
export const API = `/api/${ORG}/${APP_NAME}`
export const LOGIN_PATH = `${API}/auths/loginTypes/StaffLogin/login`
export const SESSION_PATH = `${API}/auths/session`
export const SVC = `${INSTANCE}.services.QywxInnerAuthSvc`
export const MODEL = `${INSTANCE}.models.QywxInnerAuthModel`
/** A JIT_SECRET_KEY for tests (the base64 of 32 bytes). */
export const TEST_KEY = 'Kx7z6bq4cVYpHh0m2lTQ1mE6m3r6TqRz8dW9s0gYt3U='
export const WECOM_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 wxwork/4.1.30 MicroMessenger/7.0.1 Language/zh ColorScheme/Light wwmver/3.26.13.714'
export const DESKTOP_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'

/** The app files of a WeCom login app: a SQLite Default database and a StaffLogin Instance pointed at `fake`. */
export function wecomAppTree(
  fake: { url: string },
  config: Record<string, unknown> = {},
  /** Keep the app's data in this PostgreSQL database instead of a SQLite file. */
  postgresUrl?: string,
): FileTree {
  return {
    'app.json': appJson(APP_NAME),
    ...(postgresUrl
      ? {
          'databases/Default/e.json': { title: 'Default database', type: 'databases.PostgresType' },
          'databases/Default/Default.json': { url: postgresUrl, poolSize: 4 },
        }
      : {
          'databases/Default/e.json': { title: 'Default database', type: 'databases.SqliteType' },
          'databases/Default/Default.json': { file: 'data/app.sqlite' },
        }),
    'auths/loginTypes/StaffLogin/e.json': { title: 'Staff (WeCom)', type: 'auths.loginTypes.QywxInnerType' },
    'auths/loginTypes/StaffLogin/StaffLogin.json': {
      ...CORP,
      oauthBaseUrl: fake.url,
      loginBaseUrl: fake.url,
      apiBaseUrl: fake.url,
      ...config,
    },
  }
}

export interface WecomHarness {
  app: JitApp
  server: FastifyInstance
  dir: string
  database: string | undefined
  logLines: string[]
  browser(userAgent?: string): WecomBrowser
  close(): Promise<void>
}

/** Where WeCom is: the fake (which can hand out codes itself) or the WeCom sandbox (its `url`). */
export type WecomServer = Pick<FakeWecom, 'url'> & Partial<Pick<FakeWecom, 'issueCode'>>

export async function openWecomHarness(
  fake: WecomServer,
  options: { config?: Record<string, unknown>; dir?: string; database?: string; postgresUrl?: string } = {},
): Promise<WecomHarness> {
  const dir =
    options.dir ?? writeTempTree(wecomAppTree(fake, options.config, options.postgresUrl), 'jitlite-wecom-')
  // On PostgreSQL the Default database element says where; on SQLite a file of the app's.
  const database = options.postgresUrl
    ? undefined
    : (options.database ?? path.join(dir, 'data', 'app.sqlite'))
  const logger = memoryLogger()
  const app = await createApp({
    appDir: dir,
    database,
    env: { JIT_SECRET_KEY: TEST_KEY },
    logger,
    publicUrl: 'http://127.0.0.1:3000',
  })
  if (app.problems.length > 0) throw new Error(app.problems.map((p) => p.format()).join('\n'))
  const server = await buildServer(app, { log: memoryLogger() })
  const harness: WecomHarness = {
    app,
    server,
    dir,
    database,
    logLines: logger.lines,
    browser: (userAgent = DESKTOP_UA) => new WecomBrowser(harness, fake, userAgent),
    close: async () => {
      await server.close()
      await app.close()
    },
  }
  return harness
}

/** A browser over `inject()`: a cookie jar, a User-Agent, and the steps of a WeCom login. */
export class WecomBrowser {
  readonly cookies = new Map<string, string>()

  constructor(
    readonly harness: WecomHarness,
    readonly fake: WecomServer,
    readonly userAgent: string,
  ) {}

  async get(url: string): Promise<LightMyRequestResponse> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
    const response = await this.harness.server.inject({
      method: 'GET',
      url,
      headers: { 'user-agent': this.userAgent, ...(cookie ? { cookie } : {}) },
    })
    for (const set of response.cookies as Array<{ name: string; value: string; maxAge?: number }>) {
      if (set.maxAge === 0 || set.value === '') this.cookies.delete(set.name)
      else this.cookies.set(set.name, set.value)
    }
    return response
  }

  /** GET login: the WeCom URL it redirects to. */
  async start(query = '?redirectUrl=%2F'): Promise<URL> {
    const response = await this.get(`${LOGIN_PATH}${query}`)
    if (response.statusCode !== 302) throw new Error(`login start answered ${response.statusCode}`)
    return new URL(String(response.headers.location))
  }

  /** What WeCom's page sends the browser to after `who` signed in: the callback path with code and state. */
  callbackFor(entryUrl: URL, who: Parameters<FakeWecom['issueCode']>[0]): string {
    const redirect = new URL(entryUrl.searchParams.get('redirect_uri') ?? '')
    if (!this.fake.issueCode) throw new Error('this WeCom hands out codes through its pages: sign in there')
    redirect.searchParams.set('code', this.fake.issueCode(who))
    redirect.searchParams.set('state', entryUrl.searchParams.get('state') ?? '')
    return `${redirect.pathname}${redirect.search}`
  }

  /** Start, sign in as `who` at WeCom, deliver the callback: the callback's response. */
  async login(who: Parameters<FakeWecom['issueCode']>[0]) {
    const entryUrl = await this.start()
    const callback = this.callbackFor(entryUrl, who)
    return { entryUrl, callback, response: await this.get(callback) }
  }

  async session(): Promise<{ status: number; user?: Record<string, any> }> {
    const response = await this.get(SESSION_PATH)
    return {
      status: response.statusCode,
      user: response.statusCode === 200 ? response.json().data?.user : undefined,
    }
  }
}
