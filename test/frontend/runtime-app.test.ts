import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FrontendError, RuntimeApp } from '../../runtime/frontend/index.ts'
import type { WechatLoginElement } from '../../types/auths/loginTypes/WechatPublicType/frontend.ts'
import { type DemoServer, startDemoServer } from '../e2e/demo-server.ts'
import { decodeQrSvg } from './qr-decode.ts'

/**
 * The browser runtime (the code served as /jit/runtime.js) run in Node against the real demo server:
 * metadata, the compiled WeChat element, and the login link it builds.
 */
let demo: DemoServer
const appSecret = randomBytes(16).toString('hex')
const navigations: string[] = []

/** The runtime as a page has it: same-origin fetches, compiled bundles imported as ES modules. */
function runtimeApp(): RuntimeApp {
  return new RuntimeApp({
    baseUrl: demo.url,
    importModule: async (url) => {
      const code = await (await fetch(url)).text()
      return import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)
    },
    navigate: (url) => navigations.push(url),
  })
}

beforeAll(async () => {
  demo = await startDemoServer({ env: { WECHAT_APP_SECRET: appSecret } })
})
afterAll(async () => {
  await demo?.close()
})

describe('getRuntimeApp().getElement() of a WeChat login Instance', () => {
  it('resolves to the browser element with the public config, never the secret', async () => {
    const login = await runtimeApp().getElement<WechatLoginElement>('auths.loginTypes.MyWechatLogin')
    expect(login.fullName).toBe('auths.loginTypes.MyWechatLogin')
    const config = login.getLoginConfig()
    expect(config).toMatchObject({ appId: 'wx5a3c7f1e9b2d4680', scope: 'snsapi_userinfo' })
    expect(JSON.stringify(config)).not.toContain(appSecret)
    expect(Object.keys(config)).not.toContain('appSecret')
    expect(login.usesSandbox()).toBe(true)
  })

  it("builds the login link on the app's public URL, and login() navigates to it", async () => {
    const login = await runtimeApp().getElement<WechatLoginElement>('auths.loginTypes.MyWechatLogin')
    const expected = `${demo.url}/api/demo/wechatLogin/auths/loginTypes/MyWechatLogin/login?redirectUrl=%2Fmembers%3Ftab%3Dstamps`
    expect(login.getLoginUrl('/members?tab=stamps')).toBe(expected)
    navigations.length = 0
    login.login('/members?tab=stamps')
    expect(navigations).toEqual([expected])
  })

  it('gives a link that starts a real login: the server answers it with a redirect to WeChat (the sandbox)', async () => {
    const login = await runtimeApp().getElement<WechatLoginElement>('auths.loginTypes.MyWechatLogin')
    const response = await fetch(login.getLoginUrl('/'), { redirect: 'manual' })
    expect(response.status).toBe(302)
    const target = new URL(response.headers.get('location')!)
    expect(`${target.origin}${target.pathname}`).toBe(`${demo.url}/__sandbox/wechat/connect/oauth2/authorize`)
    expect(target.searchParams.get('appid')).toBe('wx5a3c7f1e9b2d4680')
  })

  it('draws a QR code that a reader decodes to the login link', async () => {
    const login = await runtimeApp().getElement<WechatLoginElement>('auths.loginTypes.MyWechatLogin')
    for (const redirectUrl of ['/', '/members?tab=stamps&from=poster', `/${'deep/'.repeat(30)}page`]) {
      const svg = login.renderLoginQrCode(redirectUrl)
      expect(svg).toMatch(/^<svg [^>]*role="img"/)
      expect(decodeQrSvg(svg)).toBe(login.getLoginUrl(redirectUrl))
    }
  })

  it('escapes the label it is given into the SVG', async () => {
    const login = await runtimeApp().getElement<WechatLoginElement>('auths.loginTypes.MyWechatLogin')
    const svg = login.renderLoginQrCode('/', { label: '"><script>alert(1)</script>' })
    expect(svg).not.toContain('<script>')
    expect(decodeQrSvg(svg)).toBe(login.getLoginUrl('/'))
  })

  it('loads an element once per page, whoever asks', async () => {
    const app = runtimeApp()
    const [a, b] = await Promise.all([
      app.getElement('auths.loginTypes.MyWechatLogin'),
      app.getElement('auths.loginTypes.MyWechatLogin'),
    ])
    expect(a).toBe(b)
  })
})

describe('what the demo sends a browser', () => {
  it('holds no secret: runtime, metadata, page, bundles and source maps', async () => {
    const fixtures = await import('../../types/auths/loginTypes/WechatPublicType/sandbox/fixtures.json', {
      with: { type: 'json' },
    })
    const secrets = [appSecret, ...fixtures.default.apps.map((app: { secret: string }) => app.secret)]
    const urls = ['/', '/jit/runtime.js', '/jit/runtime.js.map', '/jit/app.json']
    for (const name of ['auths.loginTypes.MyWechatLogin', 'pages.Home']) {
      const metadataUrl = `/jit/elements/${name}.json`
      urls.push(metadataUrl)
      const { bundleUrl } = (await (await fetch(`${demo.url}${metadataUrl}`)).json()) as { bundleUrl: string }
      urls.push(bundleUrl, `${bundleUrl.split('?')[0]}.map`)
    }
    for (const url of urls) {
      const response = await fetch(`${demo.url}${url}`)
      expect(response.status, url).toBe(200)
      const body = await response.text()
      for (const secret of secrets) expect(body, url).not.toContain(secret)
    }
  })
})

describe('the browser runtime on errors and sessions', () => {
  it('rejects an unknown name with JIT_ELEMENT_NOT_FOUND and a did-you-mean, and tries again next time', async () => {
    const app = runtimeApp()
    const error = await app.getElement('auths.loginTypes.MyWechatLgin').catch((err: unknown) => err)
    expect(error).toBeInstanceOf(FrontendError)
    expect(error).toMatchObject({ code: 'JIT_ELEMENT_NOT_FOUND', status: 404 })
    expect((error as Error).message).toContain('auths.loginTypes.MyWechatLogin')
    const again = await app.getElement('auths.loginTypes.MyWechatLgin').catch((err: unknown) => err)
    expect(again).not.toBe(error)
  })

  it('says nobody is logged in without a session, and logout is harmless then', async () => {
    const app = runtimeApp()
    expect(await app.getSession()).toBeNull()
    expect(await app.getCurrentUser()).toBeNull()
    await expect(app.logout()).resolves.toBeUndefined()
  })

  it('reports an unreachable server with JIT_FRONTEND_REQUEST_FAILED and how to fix it', async () => {
    const app = new RuntimeApp({ baseUrl: 'http://127.0.0.1:9' })
    const error = await app.getElement('auths.loginTypes.MyWechatLogin').catch((err: unknown) => err)
    expect(error).toMatchObject({ code: 'JIT_FRONTEND_REQUEST_FAILED', status: 0 })
    expect((error as Error).message).toMatch(/check that the server is running/)
  })
})
