import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { RuntimeApp } from '../../runtime/frontend/index.ts'
import type { FileTree } from '../helpers/temp-app.ts'
import { FIXTURE_API_KEY, FIXTURE_TREE, type Fixture, openFixture } from './fixture-app.ts'

const opened: Fixture[] = []
afterEach(async () => {
  for (const fixture of opened.splice(0)) await fixture.close()
})

async function open(tree: FileTree = FIXTURE_TREE) {
  const fixture = await openFixture(tree)
  opened.push(fixture)
  return fixture
}

async function get(fixture: Fixture, url: string, headers: Record<string, string> = {}) {
  return fixture.server.inject({ method: 'GET', url, headers })
}

/** The browser runtime in Node, its requests going through inject() and bundles imported as modules. */
function runtimeOver(fixture: Fixture): RuntimeApp {
  return new RuntimeApp({
    fetch: async (url, init) => {
      const res = await fixture.server.inject({
        method: (init?.method ?? 'GET') as 'GET' | 'POST',
        url,
        headers: init?.headers as Record<string, string>,
        payload: init?.body as string | undefined,
      })
      return new Response(res.statusCode === 304 ? null : res.body, {
        status: res.statusCode,
        headers: res.headers as Record<string, string>,
      })
    },
    importModule: async (url) => {
      const res = await get(fixture, url)
      return import(`data:text/javascript;base64,${Buffer.from(res.body).toString('base64')}`)
    },
  })
}

describe('GET /jit/runtime.js', () => {
  it('serves the browser runtime as JavaScript with an ETag, and 304 when it has not changed', async () => {
    const fixture = await open()
    const first = await get(fixture, '/jit/runtime.js')
    expect(first.statusCode).toBe(200)
    expect(first.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(first.headers['cache-control']).toBe('no-cache')
    expect(first.body).toContain('getRuntimeApp')
    const etag = first.headers.etag as string
    expect(etag).toMatch(/^"[\w-]{16}"$/)
    const again = await get(fixture, '/jit/runtime.js', { 'if-none-match': etag })
    expect(again.statusCode).toBe(304)
    expect(again.body).toBe('')
  })
})

describe('element metadata and bundles', () => {
  it("describes an Instance with its public config, action and function names, and its Type's bundle", async () => {
    const fixture = await open()
    const res = await get(fixture, '/jit/elements/greeters.Hello.json')
    expect(res.statusCode).toBe(200)
    const metadata = res.json()
    expect(metadata).toMatchObject({
      fullName: 'greeters.Hello',
      layer: 'Instance',
      type: 'greeters.GreeterType',
      config: { greeting: 'Hi' },
      apiPath: '/api/tests/front/greeters/Hello',
      actions: [],
      functions: [],
    })
    expect(metadata.config).not.toHaveProperty('apiKey')
    expect(metadata.bundleUrl).toMatch(/^\/jit\/bundles\/greeters\.GreeterType\.js\?v=[\w-]{16}$/)
  })

  it('serves a bundle under its hash as immutable, and under any other URL for revalidation', async () => {
    const fixture = await open()
    const { bundleUrl } = (await get(fixture, '/jit/elements/greeters.Hello.json')).json()
    const hashed = await get(fixture, bundleUrl)
    expect(hashed.statusCode).toBe(200)
    expect(hashed.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(hashed.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    const stale = await get(fixture, '/jit/bundles/greeters.GreeterType.js?v=old')
    expect(stale.headers['cache-control']).toBe('no-cache')
    expect(stale.body).toBe(hashed.body)
  })

  it('in development, links a source map of the TypeScript; in production, serves minified code only', async () => {
    const dev = await open()
    const { bundleUrl } = (await get(dev, '/jit/elements/greeters.Hello.json')).json()
    const code = (await get(dev, bundleUrl)).body
    expect(code.trimEnd().endsWith('//# sourceMappingURL=greeters.GreeterType.js.map')).toBe(true)
    const map = await get(dev, '/jit/bundles/greeters.GreeterType.js.map')
    expect(map.statusCode).toBe(200)
    expect(map.json().sources).toContain('frontend.ts')

    const prod = await openFixture(FIXTURE_TREE, { mode: 'production' })
    opened.push(prod)
    const prodUrl = (await get(prod, '/jit/elements/greeters.Hello.json')).json().bundleUrl
    const minified = (await get(prod, prodUrl)).body
    expect(minified).not.toContain('sourceMappingURL')
    expect(minified.length).toBeLessThan(code.length)
    expect((await get(prod, '/jit/bundles/greeters.GreeterType.js.map')).statusCode).toBe(404)
  })

  it('gives page code the object the browser entry builds, and plain elements their functions', async () => {
    const fixture = await open()
    const app = runtimeOver(fixture)
    const greeter = await app.getElement<{ greet(name: string): string; loud(name: string): string }>(
      'greeters.Hello',
    )
    expect(greeter.greet('Ada')).toBe('Hi, Ada!')
    expect(greeter.loud('tea')).toBe('TEA!')
    const service = await app.getElement<{ hello(name: string): Promise<string> }>('services.HelloSvc')
    expect(await service.hello('Ada')).toBe('Hello, Ada!')
  })

  it("gives a page (whose entry is a script) its metadata, and refuses an entry whose default export isn't a function", async () => {
    const fixture = await open({
      ...FIXTURE_TREE,
      'pages/Home/main.ts': 'export const started = Date.now()\n',
      'greeters/GreeterType/frontend.ts': 'export default { greet: () => "hi" }\n',
    })
    const app = runtimeOver(fixture)
    const page = await app.getElement('pages.Home')
    expect(page).toMatchObject({ fullName: 'pages.Home', layer: 'Instance', config: { path: '/' } })
    const error = await app.getElement('greeters.Hello').catch((err: unknown) => err)
    expect(error).toMatchObject({ code: 'JIT_FRONTEND_ENTRY_INVALID' })
    expect((error as Error).message).toContain('export default function (ctx)')
  })

  it('answers an unknown element with 404 and a did-you-mean, and a Type child without an Instance with 404', async () => {
    const fixture = await open()
    const unknown = await get(fixture, '/jit/elements/greeters.Helo.json')
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json()).toMatchObject({ code: 'JIT_ELEMENT_NOT_FOUND' })
    expect(unknown.json().errmsg).toContain('greeters.Hello')
    const malformed = await get(fixture, '/jit/elements/..%2Fe.json')
    expect(malformed.statusCode).toBe(404)
    const child = await get(
      fixture,
      '/jit/elements/auths.loginTypes.WechatPublicType.services.WechatPublicAuthSvc.json',
    )
    expect(child.statusCode).toBe(404)
    expect(child.json()).toMatchObject({ code: 'JIT_ELEMENT_NEEDS_INSTANCE' })
  })

  it('compiles the edited browser code on the next request, under a new hash, without a restart', async () => {
    const fixture = await open()
    const before = (await get(fixture, '/jit/elements/greeters.Hello.json')).json().bundleUrl
    const file = path.join(fixture.dir, 'greeters/GreeterType/shout.ts')
    fs.writeFileSync(file, `export const shout = (text: string) => text.toUpperCase() + '!!!'\n`)
    const later = new Date(Date.now() + 5_000)
    fs.utimesSync(file, later, later)
    const after = (await get(fixture, '/jit/elements/greeters.Hello.json')).json().bundleUrl
    expect(after).not.toBe(before)
    const greeter = await runtimeOver(fixture).getElement<{ loud(name: string): string }>('greeters.Hello')
    expect(greeter.loud('tea')).toBe('TEA!!!')
  })
})

describe('browser bundles never carry secrets', () => {
  it('sends no secret in the runtime, the app and element metadata, the bundles or the page', async () => {
    const fixture = await open()
    const bodies: string[] = []
    for (const url of ['/jit/runtime.js', '/jit/app.json', '/']) bodies.push((await get(fixture, url)).body)
    for (const element of fixture.app.listElements()) {
      const res = await get(fixture, `/jit/elements/${element.fullName}.json`)
      bodies.push(res.body)
      const bundleUrl = res.statusCode === 200 ? res.json().bundleUrl : undefined
      if (bundleUrl) bodies.push((await get(fixture, bundleUrl)).body)
    }
    expect(bodies.length).toBeGreaterThan(8)
    for (const body of bodies) expect(body).not.toContain(FIXTURE_API_KEY)
  })

  it('refuses to serve a bundle that imports a config file holding a secret', async () => {
    const fixture = await open({
      ...FIXTURE_TREE,
      'greeters/GreeterType/frontend.ts': `
import config from '../Hello/Hello.json'
export default () => ({ config })
`,
    })
    const res = await get(fixture, '/jit/elements/greeters.Hello.json')
    expect(res.statusCode).toBe(500)
    expect(res.json().code).toBe('JIT_FRONTEND_SECRET_IN_BUNDLE')
    expect(res.body).not.toContain(FIXTURE_API_KEY)
    const bundle = await get(fixture, '/jit/bundles/greeters.GreeterType.js')
    expect(bundle.statusCode).toBe(500)
    expect(bundle.body).not.toContain(FIXTURE_API_KEY)
  })
})

describe('browser entries that cannot be served', () => {
  it('reports a compile error with the file and line', async () => {
    const fixture = await open({
      ...FIXTURE_TREE,
      'greeters/GreeterType/shout.ts': 'export const shout = (text: string) => {\n  return text +\n}\n',
    })
    const res = await get(fixture, '/jit/elements/greeters.Hello.json')
    expect(res.statusCode).toBe(500)
    expect(res.json()).toMatchObject({ code: 'JIT_FRONTEND_BUILD_FAILED' })
    expect(res.json().errmsg).toMatch(/^shout\.ts:3:1: /)
  })

  it('tells browser code that imports the server runtime what to import instead', async () => {
    const fixture = await open({
      ...FIXTURE_TREE,
      'greeters/GreeterType/frontend.ts': `
import { createApp } from 'jitlite'
export default () => ({ createApp })
`,
    })
    const res = await get(fixture, '/jit/elements/greeters.Hello.json')
    expect(res.json().code).toBe('JIT_FRONTEND_BUILD_FAILED')
    expect(res.json().errmsg).toContain('import what runs in the browser from "jitlite/browser"')
  })

  it('refuses a frontBundleEntry outside the element folder, and names a missing one', async () => {
    const outside = await open({
      ...FIXTURE_TREE,
      'greeters/GreeterType/e.json': {
        title: 'G',
        type: 'greeters.Meta',
        frontBundleEntry: '../../app.json',
      },
    })
    const escaped = await get(outside, '/jit/elements/greeters.Hello.json')
    expect(escaped.json()).toMatchObject({ code: 'JIT_FRONTEND_ENTRY_INVALID' })
    expect(escaped.body).not.toContain('"orgId"')

    const missing = await open({
      ...FIXTURE_TREE,
      'greeters/GreeterType/e.json': { title: 'G', type: 'greeters.Meta', frontBundleEntry: 'browser.ts' },
    })
    const res = await get(missing, '/jit/elements/greeters.Hello.json')
    expect(res.json()).toMatchObject({ code: 'JIT_FRONTEND_ENTRY_INVALID' })
    expect(res.json().errmsg).toContain('browser.ts does not exist')
  })
})
