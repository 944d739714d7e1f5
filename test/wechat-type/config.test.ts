import fs from 'node:fs'
import path from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { kState } from '../../runtime/app-state.ts'
import { createApp, type JitApp, type JitError } from '../../runtime/index.ts'
import { memoryLogger } from '../../runtime/log.ts'
import { resolveWechatHosts } from '../../types/auths/loginTypes/WechatPublicType/config.ts'
import type { RunningWechatSandbox } from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { namesWechatHosts } from '../../types/auths/loginTypes/WechatPublicType/sandbox-definition.ts'
import { appJson, writeTempTree } from '../helpers/temp-app.ts'
import { DATABASE, DEMO, openWechatApp, startWechatSandbox, TEST_KEY, useTestKey } from './helpers.ts'

const apps: JitApp[] = []
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

useTestKey()

const repoRoot = path.resolve(import.meta.dirname, '../..')

async function appWith(
  config: Record<string, unknown>,
  options: { env?: Record<string, string>; mode?: 'development' | 'production' } = {},
) {
  const dir = writeTempTree({
    'app.json': appJson('wechat'),
    ...DATABASE,
    'auths/loginTypes/Login/e.json': { title: 'Login', type: 'auths.loginTypes.WechatPublicType' },
    'auths/loginTypes/Login/Login.json': config,
  })
  const logger = memoryLogger()
  const app = await createApp({ appDir: dir, env: options.env ?? {}, logger, mode: options.mode })
  apps.push(app)
  return { app, dir, logger }
}

function problemOf(app: JitApp): JitError | undefined {
  return app.problems.find((problem) => problem.element === 'auths.loginTypes.Login')
}

describe('the business config', () => {
  it('accepts the seed config shape, fills defaults, and lists no secret', async () => {
    const { app } = await appWith(
      {
        appId: 'wx1234567890abcdef',
        appSecret: '${WECHAT_APP_SECRET}',
        scope: 'snsapi_base',
        state: 'custom_state_value',
      },
      { env: { WECHAT_APP_SECRET: 'a8f5f167f44f4964e6c998dee827110c' } },
    )
    expect(problemOf(app)).toBeUndefined()
    const listed = app.listElements().find((element) => element.fullName === 'auths.loginTypes.Login')
    expect(listed?.config).toEqual({
      appId: 'wx1234567890abcdef',
      scope: 'snsapi_base',
      state: 'custom_state_value',
      lang: 'zh_CN',
      allowedRedirectOrigins: [],
      attemptTimeoutMs: 5000,
      totalDeadlineMs: 10000,
      maxRetries: 2,
      desktopLoginTtlSeconds: 180,
    })
    expect(app.getElement('auths.loginTypes.Login').getLoginConfig()).toEqual({
      appId: 'wx1234567890abcdef',
      scope: 'snsapi_base',
      lang: 'zh_CN',
      state: 'custom_state_value',
    })
  })

  it.each([
    ['the seed placeholder', 'your_app_secret_here'],
    ['an empty value', ''],
    ['"changeme"', 'changeme'],
  ])('refuses %s as appSecret, naming the field and never the value', async (_, value) => {
    const { app, logger } = await appWith({ appId: DEMO.appId, appSecret: value })
    const problem = problemOf(app)
    expect(problem).toMatchObject({ code: 'JIT_CONFIG_INVALID', field: 'appSecret' })
    if (value) {
      expect(problem?.message).not.toContain(value)
      expect(logger.lines.join('\n')).not.toContain(value)
    }
  })

  it('reads ${WECHAT_APP_SECRET}, and says which variable is missing when it is unset', async () => {
    const missing = await appWith({ appId: DEMO.appId, appSecret: '${WECHAT_APP_SECRET}' })
    expect(problemOf(missing.app)).toMatchObject({ code: 'JIT_CONFIG_ENV_MISSING', field: 'appSecret' })
    expect(problemOf(missing.app)?.message).toContain('WECHAT_APP_SECRET')
  })

  it.each([
    [{ appId: 'wx123' }, 'appId'],
    [{ appSecret: 'has a space inside it' }, 'appSecret'],
    [{ scope: 'snsapi_login' }, 'scope'],
    [{ lang: 'fr' }, 'lang'],
    [{ apiBaseUrl: 'ftp://api.example.com' }, 'apiBaseUrl'],
    [{ oauthBaseUrl: 'https://open.example.com/?x=1' }, 'oauthBaseUrl'],
    [{ redirectUri: '/relative/callback' }, 'redirectUri'],
    [{ allowedRedirectOrigins: ['https://shop.example.com/path'] }, 'allowedRedirectOrigins.0'],
    [{ attemptTimeoutMs: 5 }, 'attemptTimeoutMs'],
    [{ attemptTimeoutMs: 8000, totalDeadlineMs: 4000 }, 'totalDeadlineMs'],
    [{ appSecert: 'a typo of appSecret' }, ''],
  ])('refuses %j with a problem on %s', async (patch, field) => {
    const { app } = await appWith({ appId: DEMO.appId, appSecret: DEMO.appSecret, ...patch })
    const problem = problemOf(app)
    expect(problem?.code).toBe('JIT_CONFIG_INVALID')
    if (field) expect(problem?.field).toBe(field)
    else expect(problem?.message).toContain('appSecert')
    expect(problem?.message).not.toContain(DEMO.appSecret)
  })

  it('needs no database element of its own: its users table is made in the framework data/app.sqlite', async () => {
    const dir = writeTempTree({
      'app.json': appJson('wechat'),
      'auths/loginTypes/Login/e.json': { title: 'Login', type: 'auths.loginTypes.WechatPublicType' },
      'auths/loginTypes/Login/Login.json': { appId: DEMO.appId, appSecret: DEMO.appSecret },
    })
    const app = await createApp({ appDir: dir, env: {}, logger: memoryLogger() })
    apps.push(app)
    expect(app.problems).toEqual([])
    const tables = new BetterSqlite3(path.join(dir, 'data', 'app.sqlite'), { readonly: true })
    try {
      expect(
        tables.prepare("select name from sqlite_master where name = 'wechat_public_auth'").all(),
      ).toHaveLength(1)
    } finally {
      tables.close()
    }
  })

  it('normalises allowed redirect origins', async () => {
    const { app } = await appWith({
      appId: DEMO.appId,
      appSecret: DEMO.appSecret,
      allowedRedirectOrigins: ['https://Shop.Example.com/', 'http://127.0.0.1:8080'],
    })
    expect(app.getElement('auths.loginTypes.Login').allowedRedirectOrigins()).toEqual([
      'https://shop.example.com',
      'http://127.0.0.1:8080',
    ])
  })
})

describe('production mode', () => {
  it("refuses the sandbox's demo secret, naming appSecret and never the value", async () => {
    const { app, dir } = await appWith(
      { appId: DEMO.appId, appSecret: DEMO.appSecret },
      { mode: 'production' },
    )
    const problem = problemOf(app)
    expect(problem).toMatchObject({
      code: 'JIT_CONFIG_INVALID',
      field: 'appSecret',
      file: path.join(dir, 'auths/loginTypes/Login/Login.json'),
    })
    expect(problem?.format()).not.toContain(DEMO.appSecret)
    expect(() => app.getElement('auths.loginTypes.Login')).toThrow(/demo secret/)
  })

  it('accepts the demo secret in development, and a real-looking one in production', async () => {
    const dev = await appWith({ appId: DEMO.appId, appSecret: DEMO.appSecret })
    expect(problemOf(dev.app)).toBeUndefined()
    const prod = await appWith(
      { appId: DEMO.appId, appSecret: '0123456789abcdef0123456789abcdef' },
      { mode: 'production', env: { JIT_SECRET_KEY: TEST_KEY } },
    )
    expect(problemOf(prod.app)).toBeUndefined()
  })

  it('refuses to start without JIT_SECRET_KEY (no local key file in production)', async () => {
    // The app's environment (createApp's env) is what counts, not this process's.
    const { app, dir } = await appWith(
      { appId: DEMO.appId, appSecret: '0123456789abcdef0123456789abcdef' },
      { mode: 'production', env: {} },
    )
    expect(problemOf(app)?.code).toBe('JIT_SECRET_KEY_MISSING')
    expect(fs.existsSync(path.join(dir, '.jitlite'))).toBe(false)
  })
})

describe('WeChat hosts', () => {
  it('come from the config, else WECHAT_OAUTH_BASE_URL / WECHAT_API_BASE_URL, else WeChat', () => {
    const env = {
      WECHAT_OAUTH_BASE_URL: 'http://127.0.0.1:3100',
      WECHAT_API_BASE_URL: 'http://127.0.0.1:3101',
    }
    expect(resolveWechatHosts({}, {})).toEqual({
      oauthBaseUrl: 'https://open.weixin.qq.com',
      apiBaseUrl: 'https://api.weixin.qq.com',
    })
    expect(resolveWechatHosts({}, env)).toEqual({
      oauthBaseUrl: 'http://127.0.0.1:3100',
      apiBaseUrl: 'http://127.0.0.1:3101',
    })
    expect(resolveWechatHosts({ apiBaseUrl: 'https://proxy.example.com/wx' }, env)).toEqual({
      oauthBaseUrl: 'http://127.0.0.1:3100',
      apiBaseUrl: 'https://proxy.example.com/wx',
    })
  })

  it('a malformed environment value is a config problem naming the variable', () => {
    expect(() => resolveWechatHosts({}, { WECHAT_API_BASE_URL: 'api.weixin.qq.com' })).toThrow(
      expect.objectContaining({ code: 'JIT_CONFIG_INVALID', field: 'apiBaseUrl' }),
    )
    expect(() => resolveWechatHosts({}, { WECHAT_API_BASE_URL: 'api.weixin.qq.com' })).toThrow(
      /WECHAT_API_BASE_URL/,
    )
  })

  it('reports a malformed environment value at start on the Instance config file, where the override goes', async () => {
    const dir = writeTempTree({
      'app.json': appJson('wechat'),
      'auths/loginTypes/Login/e.json': { title: 'Login', type: 'auths.loginTypes.WechatPublicType' },
      'auths/loginTypes/Login/Login.json': { appId: DEMO.appId, appSecret: DEMO.appSecret },
    })
    const app = await createApp({
      appDir: dir,
      env: { WECHAT_API_BASE_URL: 'api.weixin.qq.com' },
      logger: memoryLogger(),
    })
    apps.push(app)
    const file = path.join(dir, 'auths/loginTypes/Login/Login.json')
    expect(app.problems).toEqual([
      expect.objectContaining({ code: 'JIT_CONFIG_INVALID', file, field: 'apiBaseUrl' }),
    ])
    expect(app.problems[0].message).toMatch(
      /Login\.json: apiBaseUrl: WECHAT_API_BASE_URL is not an http\(s\) URL/,
    )
  })

  it('jit dev points an Instance at the sandbox unless its config or the environment names hosts', () => {
    expect(namesWechatHosts({ appId: DEMO.appId }, {})).toBe(false)
    expect(namesWechatHosts({ apiBaseUrl: 'https://api.weixin.qq.com' }, {})).toBe(true)
    expect(namesWechatHosts({}, { WECHAT_OAUTH_BASE_URL: 'https://open.weixin.qq.com' })).toBe(true)
    expect(namesWechatHosts({}, { WECHAT_API_BASE_URL: '  ' })).toBe(false)
  })
})

describe('the demo Instance', () => {
  it('is valid, uses the sandbox demo account, and reads its secret from WECHAT_APP_SECRET', async () => {
    const logger = memoryLogger()
    const demo = await createApp({
      appDir: path.join(repoRoot, 'app'),
      env: {},
      logger,
      database: ':memory:',
    })
    apps.push(demo)
    expect(demo.problems.filter((p) => p.element === 'auths.loginTypes.MyWechatLogin')).toEqual([])
    expect(demo.getElement('auths.loginTypes.MyWechatLogin').getLoginConfig()).toMatchObject({
      appId: DEMO.appId,
      scope: 'snsapi_userinfo',
    })
    const withEnv = await createApp({
      appDir: path.join(repoRoot, 'app'),
      env: { WECHAT_APP_SECRET: '0123456789abcdef0123456789abcdef' },
      logger,
      database: ':memory:',
    })
    apps.push(withEnv)
    expect(withEnv[kState].resolve('auths.loginTypes.MyWechatLogin')?.config?.value?.appSecret).toBe(
      '0123456789abcdef0123456789abcdef',
    )
  })
})

describe('the login provider an Instance loads to', () => {
  let sandbox: RunningWechatSandbox
  beforeAll(async () => {
    sandbox = await startWechatSandbox()
  })
  afterAll(async () => {
    await sandbox.close()
  })

  it('builds the authorize URL in WeChat order with the flow state and its callback URL', async () => {
    const { app } = await openWechatApp(sandbox, { Login: { scope: 'snsapi_base' } })
    apps.push(app)
    const provider = app.getElement('auths.loginTypes.Login')
    const url = provider.createLoginUrl({ state: 'Ab12Cd34', callbackUrl: 'http://127.0.0.1:3000/cb?x=1' })
    expect(url).toBe(
      `${sandbox.url}/connect/oauth2/authorize?appid=${DEMO.appId}` +
        '&redirect_uri=http%3A%2F%2F127.0.0.1%3A3000%2Fcb%3Fx%3D1&response_type=code&scope=snsapi_base' +
        '&state=Ab12Cd34&connect_redirect=1#wechat_redirect',
    )
    expect(
      provider.createLoginUrl({ state: 'S1', callbackUrl: 'http://127.0.0.1/cb', forcePopup: true }),
    ).toContain('&state=S1&forcePopup=true&connect_redirect=1#wechat_redirect')
  })

  it('uses the configured redirectUri over the callback URL the flow built', async () => {
    const { app } = await openWechatApp(sandbox, {
      Login: { redirectUri: 'https://login.example.com/wx/callback' },
    })
    apps.push(app)
    const url = app
      .getElement('auths.loginTypes.Login')
      .createLoginUrl({ state: 'S1', callbackUrl: 'http://127.0.0.1:3000/cb' })
    expect(url).toContain('redirect_uri=https%3A%2F%2Flogin.example.com%2Fwx%2Fcallback&')
  })

  it('reads callbacks: denied without a code, malformed codes refused by shape', async () => {
    const { app } = await openWechatApp(sandbox)
    apps.push(app)
    const provider = app.getElement('auths.loginTypes.Login')
    expect(provider.readCallback({ state: 'abc' })).toEqual({ kind: 'denied' })
    expect(provider.readCallback({ state: 'abc', code: '' })).toEqual({ kind: 'denied' })
    const code = '061Ab2Ga1Lx9ZF0xYyJa1RrbAC4Ab2GK'
    expect(provider.readCallback({ state: 'abc', code })).toEqual({ kind: 'code', code })
    for (const bad of [
      'short',
      'a'.repeat(129),
      'x'.repeat(10_240),
      'codé061Ab2Ga1Lx9ZF0xYyJa1Rr',
      'a b c d e f g h i j k',
    ]) {
      expect(provider.readCallback({ state: 'abc', code: bad })).toEqual({ kind: 'malformed', field: 'code' })
    }
  })
})
