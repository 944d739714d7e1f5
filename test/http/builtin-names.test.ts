import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildServer } from '../../runtime/http/server.ts'
import { createApp, type JitApp } from '../../runtime/index.ts'
import { silentLogger } from '../../runtime/log.ts'
import { appJson, type FileTree, writeTempTree } from '../helpers/temp-app.ts'
import { API, type LoginHarness, openLoginHarness } from '../login-flow/harness.ts'

/**
 * Names every JavaScript object answers to. Taken from a URL, a body or a query, each must be looked
 * up as the app's own (actions, functions, elements, arguments, parameters): never found on a prototype.
 */
const BUILT_IN_NAMES = ['constructor', 'toString', '__proto__', 'hasOwnProperty'] as const

const tree: FileTree = {
  'app.json': appJson('web'),
  'pingers/Meta/e.json': { title: 'Pingers', type: '' },
  'pingers/PingType/e.json': { title: 'Ping type', type: 'pingers.Meta' },
  'pingers/PingType/type.ts': `
import { defineType } from 'jitlite'
export default defineType({
  load: () => ({ reply: () => 'pong' }),
  routes: { ping: { method: 'GET', handler: (ctx: any) => ({ pong: ctx.instance.reply() }) } },
})
`,
  'pingers/PingType/services/EchoSvc/e.json': {
    title: 'Echo',
    type: 'services.NormalType',
    functionList: [{ name: 'echo', loginRequired: false }],
  },
  'pingers/PingType/services/EchoSvc/index.ts': `
import { Service } from 'jitlite'
export default class EchoSvc extends Service {
  echo() { return 'echo' }
}
`,
  'pingers/Local/e.json': { title: 'Local', type: 'pingers.PingType' },
  // An element that declares functions named like Object's members without defining any of them: a
  // Type other than a service does not check its functionList when it loads.
  'pingers/Declared/e.json': {
    title: 'Declares built-in names',
    type: 'pingers.PingType',
    functionList: BUILT_IN_NAMES.map((name) => ({ name, loginRequired: false })),
  },
  'services/HelloSvc/e.json': {
    title: 'Hello',
    type: 'services.NormalType',
    functionList: [{ name: 'hello', args: [{ name: 'name', dataType: 'Stext' }], loginRequired: false }],
  },
  'services/HelloSvc/index.ts': `
import { Service } from 'jitlite'
export default class HelloSvc extends Service {
  hello(name?: string) { return \`Hello, \${name ?? 'nobody'}!\` }
}
`,
}

let app: JitApp
let server: FastifyInstance
beforeAll(async () => {
  app = await createApp({ appDir: writeTempTree(tree), env: {}, logger: silentLogger })
  if (app.problems.length > 0) throw new Error(app.problems.map((p) => p.format()).join('\n'))
  server = await buildServer(app)
})
afterAll(async () => {
  await server?.close()
  await app?.close()
})

const WEB = '/api/tests/web'

describe.each(BUILT_IN_NAMES)('"%s" taken from a request is nobody\'s name', (name) => {
  it('as an action of an Instance: 404, GET and POST', async () => {
    expect((await server.inject(`${WEB}/pingers/Local/ping`)).json()).toEqual({ pong: 'pong' })
    for (const method of ['GET', 'POST'] as const) {
      const res = await server.inject({ method, url: `${WEB}/pingers/Local/${name}`, payload: {} })
      expect(res.statusCode, method).toBe(404)
      expect(res.headers.allow, method).toBeUndefined()
      expect(res.body, method).not.toContain('undefined')
    }
  })

  it('as a function: 404 when not declared, and when declared but only inherited', async () => {
    for (const url of [`${WEB}/services/HelloSvc/${name}`, `${WEB}/pingers/Declared/${name}`]) {
      const res = await server.inject({ method: 'POST', url, payload: {} })
      expect(res.statusCode, url).toBe(404)
      // What Object.prototype's members would answer: "[object Object]", a function's source.
      expect(res.body, url).not.toMatch(/\[object|native code|"data"/)
    }
  })

  it("as an element, an Instance's child, or a Type's child", async () => {
    for (const url of [
      `${WEB}/${name}/ping`,
      `${WEB}/pingers/${name}/ping`,
      `${WEB}/pingers/Local/${name}/echo`,
      `${WEB}/pingers/Local/services/${name}/echo`,
      `${WEB}/services/${name}/hello`,
    ]) {
      const res = await server.inject({ method: 'POST', url, payload: {} })
      expect(res.statusCode, url).toBe(404)
    }
    expect(
      (await server.inject({ method: 'POST', url: `${WEB}/pingers/Local/services/EchoSvc/echo` })).json(),
    ).toMatchObject({ data: 'echo' })
  })

  it('in the browser routes: element metadata, bundles, pages', async () => {
    for (const url of [
      `/jit/elements/${name}.json`,
      `/jit/elements/pingers.${name}.json`,
      `/jit/elements/pingers.Local.${name}.json`,
      `/jit/bundles/${name}.js`,
      `/${name}`,
    ]) {
      expect((await server.inject(url)).statusCode, url).toBe(404)
    }
  })

  it("as a function argument's name: 400, the function never runs", async () => {
    // A JSON body with a "__proto__" key is refused by the body parser itself, also with a 400.
    const res = await server.inject({
      method: 'POST',
      url: `${WEB}/services/HelloSvc/hello`,
      headers: { 'content-type': 'application/json' },
      payload: `{"${name}": "x"}`,
    })
    expect(res.statusCode).toBe(400)
    expect(res.body).not.toContain('Hello')
  })
})

describe("the login family's actions and query parameters", () => {
  let harness: LoginHarness
  beforeAll(async () => {
    harness = await openLoginHarness()
  })
  afterAll(async () => {
    await harness?.close()
  })

  it.each(BUILT_IN_NAMES)('"%s" as an action of a login Instance: 404', async (name) => {
    for (const method of ['GET', 'POST'] as const) {
      const res = await harness.server.inject({
        method,
        url: `${API}/auths/loginTypes/SandboxLogin/${name}`,
      })
      expect(res.statusCode, method).toBe(404)
      expect(res.headers.allow, method).toBeUndefined()
    }
  })

  it.each(BUILT_IN_NAMES)('"%s" as a query parameter is a parameter like any other', async (name) => {
    const browser = harness.browser()
    const { authorizeUrl } = await browser.startLogin(`?${name}=1&redirectUrl=%2Fshop`)
    const callback = `${browser.authorize(authorizeUrl)}&${name}=x`
    const done = await browser.get(callback)
    expect(done.statusCode).toBe(302)
    expect(done.headers.location).toBe(`${harness.publicUrl}/shop`)
    expect((await browser.session()).statusCode).toBe(200)
  })
})
