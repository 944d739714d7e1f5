import fs from 'node:fs'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { buildServer } from '../../runtime/http/server.ts'
import { createApp, type JitApp } from '../../runtime/index.ts'
import { memoryLogger, silentLogger } from '../../runtime/log.ts'
import { greeterFamily } from '../helpers/greeters.ts'
import { type FreshDatabase, freshPostgresDatabase } from '../helpers/postgres.ts'
import { appJson, type FileTree, writeTempTree, writeTree } from '../helpers/temp-app.ts'
import { DATABASES, databaseFiles } from '../login-flow/harness.ts'

const opened: Array<{ app: JitApp; server: FastifyInstance }> = []
afterEach(async () => {
  for (const { app, server } of opened.splice(0)) {
    await server.close()
    await app.close()
  }
})

const helloService: FileTree = {
  'services/HelloSvc/e.json': {
    title: 'Hello',
    type: 'services.NormalType',
    functionList: [
      { name: 'hello', args: [{ name: 'name', dataType: 'Stext', required: true }], loginRequired: false },
      {
        name: 'add',
        args: [
          { name: 'a', dataType: 'Numeric' },
          { name: 'b', dataType: 'Numeric' },
        ],
        loginRequired: false,
      },
      { name: 'secretThing' },
      { name: 'fail', loginRequired: false },
    ],
  },
  'services/HelloSvc/index.ts': `
import { JitError, Service } from 'jitlite'
export default class HelloSvc extends Service {
  hello(name: string) { return \`Hello, \${name}!\` }
  add(a: number, b: number) { return a + b }
  secretThing() { return 'only for logged-in users' }
  fail() { throw new Error('database password is hunter2') }
  notListed() { return 'never over HTTP' }
}
`,
}

const pingType: FileTree = {
  'pingers/Meta/e.json': { title: 'Pingers', type: '' },
  'pingers/PingType/e.json': { title: 'Ping type', type: 'pingers.Meta' },
  'pingers/PingType/type.ts': `
import { defineType, z } from 'jitlite'
export default defineType({
  config: z.object({ reply: z.string() }),
  load: ({ config }) => ({ reply: () => config.reply }),
  routes: {
    ping: {
      method: 'GET',
      handler: (ctx: any) => ({ pong: ctx.instance.reply(), self: ctx.actionUrl('ping') }),
    },
  },
})
`,
  'pingers/Local/e.json': { title: 'Local', type: 'pingers.PingType' },
  'pingers/Local/Local.json': { reply: 'pong' },
}

/**
 * A route Type whose `signIn` action opens a session for Ann, and its Instance signers.Test. `uses`
 * is what the Type declares it uses.
 */
function signerFamily(uses: string[] = []): FileTree {
  return {
    'signers/Meta/e.json': { title: 'Signers', type: '' },
    'signers/TestType/e.json': { title: 'Test sign-in', type: 'signers.Meta' },
    'signers/TestType/type.ts': `
import { defineType } from 'jitlite'
export default defineType({
  uses: ${JSON.stringify(uses)},
  routes: {
    signIn: {
      method: 'POST',
      handler: async (ctx: any) => {
        await ctx.sessions.open(ctx.request, ctx.reply, { loginType: 'signers.Test', userKey: '7', displayName: 'Ann' })
        return { ok: true }
      },
    },
  },
})
`,
    'signers/Test/e.json': { title: 'Test', type: 'signers.TestType' },
  }
}

async function open(tree: FileTree, logger = silentLogger, env: Record<string, string> = {}) {
  const dir = writeTempTree({ 'app.json': appJson('web'), ...tree })
  const app = await createApp({
    appDir: dir,
    env,
    logger: silentLogger,
    publicUrl: 'https://app.example.com',
  })
  const server = await buildServer(app, { log: logger })
  opened.push({ app, server })
  return { app, server, dir }
}

describe('function calls: POST /api/<orgId>/<name>/<path>/<function>', () => {
  it('calls a declared function with named or positional JSON arguments', async () => {
    const { server } = await open(helloService)
    const named = await server.inject({
      method: 'POST',
      url: '/api/tests/web/services/HelloSvc/hello',
      payload: { name: 'Ann' },
    })
    expect(named.statusCode).toBe(200)
    expect(named.json()).toEqual({ errcode: 0, errmsg: 'ok', data: 'Hello, Ann!' })
    const positional = await server.inject({
      method: 'POST',
      url: '/api/tests/web/services/HelloSvc/add',
      payload: [2, 3],
    })
    expect(positional.json()).toEqual({ errcode: 0, errmsg: 'ok', data: 5 })
  })

  it('answers bad bodies with 400 and a clear message', async () => {
    const { server } = await open(helloService)
    const wrongType = await server.inject({
      method: 'POST',
      url: '/api/tests/web/services/HelloSvc/hello',
      payload: { name: 7 },
    })
    expect(wrongType.statusCode).toBe(400)
    expect(wrongType.json().errmsg).toBe('argument "name" of hello must be Stext')
    const missing = await server.inject({
      method: 'POST',
      url: '/api/tests/web/services/HelloSvc/hello',
      payload: {},
    })
    expect(missing.statusCode).toBe(400)
    const unknown = await server.inject({
      method: 'POST',
      url: '/api/tests/web/services/HelloSvc/hello',
      payload: { nme: 'x' },
    })
    expect(unknown.statusCode).toBe(400)
    const notJson = await server.inject({
      method: 'POST',
      url: '/api/tests/web/services/HelloSvc/hello',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": ',
    })
    expect(notJson.statusCode).toBe(400)
    expect(notJson.body).not.toContain('at ')
  })

  it('needs a session for functions that do not opt out of loginRequired (the default)', async () => {
    const { server } = await open(helloService)
    const res = await server.inject({ method: 'POST', url: '/api/tests/web/services/HelloSvc/secretThing' })
    expect(res.statusCode).toBe(401)
    expect(res.json()).toMatchObject({ errcode: 401, code: 'JIT_HTTP_LOGIN_REQUIRED' })
  })

  it('404s undeclared functions, unknown elements, and another app; 405s a GET', async () => {
    const { server } = await open(helloService)
    for (const url of [
      '/api/tests/web/services/HelloSvc/notListed',
      '/api/tests/web/services/Nope/hello',
      '/api/other/web/services/HelloSvc/hello',
      '/api/tests/web/services/HelloSvc/../../x',
    ]) {
      const res = await server.inject({ method: 'POST', url, payload: {} })
      expect(res.statusCode, url).toBe(404)
    }
    const get = await server.inject({ method: 'GET', url: '/api/tests/web/services/HelloSvc/hello' })
    expect(get.statusCode).toBe(405)
  })

  it('answers a function that throws with a 500 that hides the message, and logs it', async () => {
    const logger = memoryLogger()
    const { server } = await open(helloService, logger)
    const res = await server.inject({ method: 'POST', url: '/api/tests/web/services/HelloSvc/fail' })
    expect(res.statusCode).toBe(500)
    expect(res.json()).toEqual({ errcode: 500, errmsg: 'internal error' })
    expect(logger.lines.some((l) => l.startsWith('error POST /api/tests/web/services/HelloSvc/fail'))).toBe(
      true,
    )
  })
})

describe.each(DATABASES)('currentSession() inside a service function, on %s', (database) => {
  let postgres: FreshDatabase | undefined
  beforeAll(async () => {
    if (database === 'postgres') postgres = await freshPostgresDatabase('sessions')
  })
  afterAll(async () => postgres?.drop())
  const tree: FileTree = {
    ...databaseFiles(database),
    'services/WhoSvc/e.json': { title: 'Who', type: 'services.NormalType', functionList: [{ name: 'who' }] },
    'services/WhoSvc/index.ts': `
import { currentSession, Service } from 'jitlite'
export default class WhoSvc extends Service {
  who() { return currentSession()?.user.displayName ?? null }
}
`,
    ...signerFamily(),
  }

  it('is the session of the HTTP request the function serves', async () => {
    const { server } = await open(tree, silentLogger, postgres ? { DATABASE_URL: postgres.url } : {})
    const signIn = await server.inject({ method: 'POST', url: '/api/tests/web/signers/Test/signIn' })
    const cookie = String(signIn.headers['set-cookie']).split(';')[0]
    const who = await server.inject({
      method: 'POST',
      url: '/api/tests/web/services/WhoSvc/who',
      headers: { cookie },
    })
    expect(who.json()).toEqual({ errcode: 0, errmsg: 'ok', data: 'Ann' })
  })
})

describe('sessions in an app that declares no database', () => {
  it('a route Type that uses databases.Default keeps its sessions in the framework <app>/data/app.sqlite', async () => {
    const { server, dir } = await open(signerFamily(['databases.Default']))
    const signIn = await server.inject({ method: 'POST', url: '/api/tests/web/signers/Test/signIn' })
    expect(signIn.statusCode).toBe(200)
    const cookie = String(signIn.headers['set-cookie']).split(';')[0]
    const session = await server.inject({
      method: 'GET',
      url: '/api/tests/web/auths/session',
      headers: { cookie },
    })
    expect(session.json().data.user).toMatchObject({ displayName: 'Ann' })
    expect(fs.existsSync(path.join(dir, 'data', 'app.sqlite'))).toBe(true)
  })

  it('an app whose Types use no database has no sessions: a cookie from elsewhere is no login, not an error', async () => {
    const { server, dir } = await open(helloService)
    const cookie = 'jit_session=left-by-another-app-on-this-host'
    const session = await server.inject({
      method: 'GET',
      url: '/api/tests/web/auths/session',
      headers: { cookie },
    })
    expect(session.statusCode).toBe(401)
    const guarded = await server.inject({
      method: 'POST',
      url: '/api/tests/web/services/HelloSvc/secretThing',
      headers: { cookie },
    })
    expect(guarded.statusCode).toBe(401)
    const logout = await server.inject({
      method: 'POST',
      url: '/api/tests/web/auths/logout',
      headers: { cookie },
    })
    expect(logout.statusCode).toBe(200)
    expect(fs.existsSync(path.join(dir, 'data'))).toBe(false)
  })
})

describe('Type routes', () => {
  it('serves an action declared by the Type, with URLs from the public URL (not the Host header)', async () => {
    const { server } = await open(pingType)
    const res = await server.inject({
      method: 'GET',
      url: '/api/tests/web/pingers/Local/ping',
      headers: { host: 'evil.example.net', 'x-forwarded-host': 'evil.example.net' },
    })
    expect(res.json()).toEqual({
      pong: 'pong',
      self: 'https://app.example.com/api/tests/web/pingers/Local/ping',
    })
  })

  it('reaches an element added after start, and 404s one removed', async () => {
    const { app, server, dir } = await open(pingType)
    writeTree(dir, {
      'pingers/Added/e.json': { title: 'Added', type: 'pingers.PingType' },
      'pingers/Added/Added.json': { reply: 'new' },
    })
    await app.reload()
    const added = await server.inject({ method: 'GET', url: '/api/tests/web/pingers/Added/ping' })
    expect(added.json().pong).toBe('new')
  })

  it('logs the path of each request, never its query string', async () => {
    const logger = memoryLogger()
    const { server } = await open(pingType, logger)
    await server.inject({
      method: 'GET',
      url: '/api/tests/web/pingers/Local/ping?code=SECRETCODE123&state=STATE456',
    })
    expect(logger.lines.join('\n')).toContain('GET /api/tests/web/pingers/Local/ping 200')
    expect(logger.lines.join('\n')).not.toMatch(/SECRETCODE123|STATE456/)
  })

  // Found by `npm run fuzz`: fastify's own 400 for a malformed escape quoted the whole URL back.
  it('answers a URL with a malformed escape with a coded 400 that does not repeat the URL', async () => {
    const logger = memoryLogger()
    const { server } = await open(pingType, logger)
    for (const url of [
      '/api/tests/web/pingers/Local/ping/%ff?code=SECRETCODE123&state=STATE456',
      '/healthz/%E0%A4%A?code=SECRETCODE123',
    ]) {
      const res = await server.inject(url)
      expect(res.statusCode).toBe(400)
      expect(res.json()).toEqual({
        errcode: 400,
        errmsg: 'the request URL is malformed (an escape that is not valid UTF-8); correct the link',
        code: 'JIT_HTTP_BAD_REQUEST',
      })
    }
    expect(logger.lines.join('\n')).not.toMatch(/SECRETCODE123|STATE456/)
  })
})

describe('/healthz', () => {
  it('reports ok, then a refused reload without secret values, then ok again', async () => {
    const { app, server, dir } = await open({
      ...greeterFamily,
      'greeters/English/e.json': { title: 'English', type: 'greeters.FriendlyType' },
      'greeters/English/English.json': { greeting: 'Hello', apiKey: 'sk_live_abcdef123456' },
    })
    expect((await server.inject('/healthz')).json()).toMatchObject({
      status: 'ok',
      app: 'tests.web',
      reload: { refused: false },
      // No Type of this app uses the framework's databases.Default: it is not opened, so not failing.
      database: 'none',
    })
    expect(fs.existsSync(path.join(dir, 'data'))).toBe(false)
    writeTree(dir, { 'greeters/English/English.json': { greeting: 5, apiKey: 'sk_live_abcdef123456' } })
    await app.reload()
    const degraded = await server.inject('/healthz')
    expect(degraded.statusCode).toBe(200)
    expect(degraded.json()).toMatchObject({
      status: 'degraded',
      reload: {
        refused: true,
        problems: [{ code: 'JIT_CONFIG_INVALID', field: 'greeting', file: 'greeters/English/English.json' }],
      },
    })
    expect(degraded.body).not.toContain('sk_live_abcdef123456')
    writeTree(dir, { 'greeters/English/English.json': { greeting: 'Hi', apiKey: 'sk_live_abcdef123456' } })
    await app.reload()
    expect((await server.inject('/healthz')).json().status).toBe('ok')
  })
})
