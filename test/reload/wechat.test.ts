import fs from 'node:fs'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { buildServer } from '../../runtime/http/server.ts'
import { createApp, type JitApp } from '../../runtime/index.ts'
import { memoryLogger } from '../../runtime/log.ts'
import {
  WECHAT_SANDBOX_DEMO_APP as DEMO,
  type RunningWechatSandbox,
  startWechatSandbox,
} from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { appJson, writeTempTree } from '../helpers/temp-app.ts'
import { nextEvent } from './watching.ts'

// Token encryption reads JIT_SECRET_KEY from the process environment; with it set no test writes a
// development key file.
const TEST_KEY = 'Kx7z6bq4cVYpHh0m2lTQ1mE6m3r6TqRz8dW9s0gYt3U='
const savedKey = process.env.JIT_SECRET_KEY
let sandbox: RunningWechatSandbox
beforeAll(async () => {
  process.env.JIT_SECRET_KEY = TEST_KEY
  sandbox = await startWechatSandbox()
})
afterAll(async () => {
  await sandbox.close()
  if (savedKey === undefined) delete process.env.JIT_SECRET_KEY
  else process.env.JIT_SECRET_KEY = savedKey
})

const API = '/api/tests/wechat/auths/loginTypes'
const SVC = 'auths.loginTypes.MyWechatLogin.services.WechatPublicAuthSvc'
const CALLBACK = 'http://127.0.0.1:3000/api/tests/wechat/auths/loginTypes/MyWechatLogin/callback'
const CONFIG = 'auths/loginTypes/MyWechatLogin/MyWechatLogin.json'

interface Served {
  app: JitApp
  server: FastifyInstance
  dir: string
  logger: ReturnType<typeof memoryLogger>
  write(relative: string, content: string | object): void
  loginConfig(overrides?: Record<string, unknown>): Record<string, unknown>
}

const opened: Served[] = []
afterEach(async () => {
  for (const served of opened.splice(0)) {
    await served.server.close()
    await served.app.close()
  }
})

/** The seed's MyWechatLogin Instance against the sandbox, served by createApp({ watch: true }) and fastify. */
async function serveWechatApp(): Promise<Served> {
  const loginConfig = (overrides: Record<string, unknown> = {}) => ({
    appId: DEMO.appId,
    appSecret: DEMO.appSecret,
    scope: 'snsapi_userinfo',
    state: 'custom_state_value',
    oauthBaseUrl: sandbox.url,
    apiBaseUrl: sandbox.url,
    ...overrides,
  })
  const dir = writeTempTree(
    {
      'app.json': appJson('wechat'),
      'databases/Default/e.json': { title: 'Default database', type: 'databases.SqliteType' },
      'databases/Default/Default.json': { file: 'data/app.sqlite' },
      'auths/loginTypes/MyWechatLogin/e.json': {
        title: 'WeChat Official Account Login',
        type: 'auths.loginTypes.WechatPublicType',
      },
      [CONFIG]: loginConfig(),
    },
    'jitlite-reload-wechat-',
  )
  const logger = memoryLogger()
  const app = await createApp({
    appDir: dir,
    env: {},
    logger,
    watch: true,
    mode: 'development',
    publicUrl: 'http://127.0.0.1:3000',
  })
  const own = app.problems.filter((p) => p.file?.startsWith(dir))
  if (own.length > 0) throw new Error(own.map((p) => p.format()).join('\n'))
  const server = await buildServer(app)
  const write = (relative: string, content: string | object) => {
    const file = path.join(dir, relative)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content))
  }
  const served = { app, server, dir, logger, write, loginConfig }
  opened.push(served)
  return served
}

async function startLogin(served: Served, instance: string) {
  return served.server.inject({ method: 'GET', url: `${API}/${instance}/login?redirectUrl=/` })
}

describe('hot reload of WeChat login Instances', () => {
  it('editing scope in MyWechatLogin.json changes the next authorize URL, through a handle taken before', async () => {
    const served = await serveWechatApp()
    const svc = served.app.getElement(SVC)
    const before = new URL(svc.getAuthorizeUrl(CALLBACK, { state: 'abc123' }))
    expect(before.searchParams.get('scope')).toBe('snsapi_userinfo')

    const reloaded = nextEvent(served.app, 'reload', (r) =>
      r.changed.includes('auths.loginTypes.MyWechatLogin'),
    )
    served.write(CONFIG, served.loginConfig({ scope: 'snsapi_base' }))
    await reloaded

    const after = new URL(svc.getAuthorizeUrl(CALLBACK, { state: 'abc123' }))
    expect(after.searchParams.get('scope')).toBe('snsapi_base')
    const response = await startLogin(served, 'MyWechatLogin')
    expect(response.statusCode).toBe(302)
    expect(new URL(String(response.headers.location)).searchParams.get('scope')).toBe('snsapi_base')
  })

  it('a new Instance folder works at once, including its HTTP login route; a deleted one answers 404', async () => {
    const served = await serveWechatApp()
    expect((await startLogin(served, 'SecondLogin')).statusCode).toBe(404)

    const added = nextEvent(served.app, 'reload', (r) => r.added.includes('auths.loginTypes.SecondLogin'))
    served.write('auths/loginTypes/SecondLogin/e.json', {
      title: 'Second account',
      type: 'auths.loginTypes.WechatPublicType',
    })
    served.write(
      'auths/loginTypes/SecondLogin/SecondLogin.json',
      served.loginConfig({ scope: 'snsapi_base' }),
    )
    await added

    const response = await startLogin(served, 'SecondLogin')
    expect(response.statusCode).toBe(302)
    const location = new URL(String(response.headers.location))
    expect(location.origin).toBe(new URL(sandbox.url).origin)
    expect(location.searchParams.get('scope')).toBe('snsapi_base')
    expect(location.searchParams.get('redirect_uri')).toContain('/auths/loginTypes/SecondLogin/callback')
    expect(
      served.app
        .getElement('auths.loginTypes.SecondLogin.services.WechatPublicAuthSvc')
        .getAuthorizeUrl(CALLBACK, {
          state: 'abc123',
        }),
    ).toContain('scope=snsapi_base')

    const removed = nextEvent(served.app, 'reload', (r) => r.removed.includes('auths.loginTypes.SecondLogin'))
    fs.rmSync(path.join(served.dir, 'auths/loginTypes/SecondLogin'), { recursive: true })
    await removed
    expect((await startLogin(served, 'SecondLogin')).statusCode).toBe(404)
    expect(() => served.app.getElement('auths.loginTypes.SecondLogin')).toThrow(
      expect.objectContaining({ code: 'JIT_ELEMENT_NOT_FOUND' }),
    )
    expect((await startLogin(served, 'MyWechatLogin')).statusCode).toBe(302)
  })

  it('/healthz shows a refused edit while logins keep working on the last good config', async () => {
    const served = await serveWechatApp()
    const healthz = async () => (await served.server.inject({ method: 'GET', url: '/healthz' })).json()
    expect(await healthz()).toMatchObject({ status: 'ok', reload: { refused: false } })

    for (const [bad, code, field] of [
      [`{ "appId": "${DEMO.appId}", "appSecret": "${DEMO.appSecret}`, 'JIT_CONFIG_MALFORMED', undefined],
      [served.loginConfig({ scope: 'snsapi_everything' }), 'JIT_CONFIG_INVALID', 'scope'],
      [served.loginConfig({ appSecret: 'your_app_secret_here' }), 'JIT_CONFIG_INVALID', 'appSecret'],
    ] as const) {
      const refused = nextEvent(served.app, 'error')
      served.write(CONFIG, bad)
      expect((await refused).code).toBe(code)

      const health = await healthz()
      expect(health).toMatchObject({
        status: 'degraded',
        reload: { refused: true, problems: [{ code, file: CONFIG, ...(field ? { field } : {}) }] },
      })
      const response = await startLogin(served, 'MyWechatLogin')
      expect(response.statusCode).toBe(302)
      expect(new URL(String(response.headers.location)).searchParams.get('scope')).toBe('snsapi_userinfo')
      const said = [JSON.stringify(health), ...served.logger.lines].join('\n')
      expect(said).not.toContain(DEMO.appSecret)
    }

    const applied = nextEvent(served.app, 'reload')
    served.write(CONFIG, served.loginConfig({ scope: 'snsapi_base' }))
    await applied
    expect(await healthz()).toMatchObject({ status: 'ok', reload: { refused: false } })
    const response = await startLogin(served, 'MyWechatLogin')
    expect(new URL(String(response.headers.location)).searchParams.get('scope')).toBe('snsapi_base')
  })
})
