import { afterEach, describe, expect, it, vi } from 'vitest'
import type { FrontendElementContext } from '../../runtime/frontend/contract.ts'
import {
  browserEnvironmentOf,
  currentBrowserEnvironment,
} from '../../types/auths/loginTypes/WechatPublicType/browser/user-agent.ts'
import createWechatLogin from '../../types/auths/loginTypes/WechatPublicType/frontend.ts'
import { REAL_USER_AGENTS } from './user-agents.ts'

/** The element as a page gets it, built from an injected context (no server needed to read the UA). */
function loginElement() {
  const context: FrontendElementContext = {
    element: {
      fullName: 'auths.loginTypes.MyWechatLogin',
      title: 'WeChat login',
      layer: 'Instance',
      type: 'auths.loginTypes.WechatPublicType',
      config: { appId: 'wx5a3c7f1e9b2d4680', scope: 'snsapi_userinfo' },
      apiPath: '/api/demo/wechatLogin/auths/loginTypes/MyWechatLogin',
      actions: ['login', 'callback'],
      functions: [],
    },
    app: {
      orgId: 'demo',
      name: 'wechatLogin',
      title: 'Demo',
      version: '1.0.0',
      mode: 'development',
      publicUrl: 'https://shop.example.com',
      sessionPath: '/api/demo/wechatLogin/auths/session',
      logoutPath: '/api/demo/wechatLogin/auths/logout',
    },
    actionUrl: (action) =>
      `https://shop.example.com/api/demo/wechatLogin/auths/loginTypes/MyWechatLogin/${action}`,
    call: async () => undefined as never,
    navigate: () => {},
  }
  return createWechatLogin(context)
}

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('SECURITY case 17: isWechatBrowser() over real User-Agents', () => {
  it.each(REAL_USER_AGENTS)('$name: $environment', ({ ua, environment }) => {
    const expected = environment === 'wechat' || environment.startsWith('wechat-')
    expect(browserEnvironmentOf(ua)).toBe(environment)
    vi.stubGlobal('navigator', { userAgent: ua })
    const login = loginElement()
    expect(login.isWechatBrowser()).toBe(expected)
    expect(login.getBrowserEnvironment()).toBe(environment)
  })

  it('answers false for WeCom although its User-Agent also says MicroMessenger', () => {
    const wecom = REAL_USER_AGENTS.filter((row) => row.environment === 'wecom')
    expect(wecom.length).toBeGreaterThanOrEqual(3)
    for (const { ua } of wecom) {
      expect(ua).toMatch(/MicroMessenger/)
      vi.stubGlobal('navigator', { userAgent: ua })
      expect(loginElement().isWechatBrowser()).toBe(false)
    }
  })

  it("recognises a Mini Program web-view by window.__wxjs_environment when the User-Agent doesn't say so", () => {
    const iosWechat = REAL_USER_AGENTS.find((row) => row.name === 'WeChat iOS')!.ua
    vi.stubGlobal('navigator', { userAgent: iosWechat })
    vi.stubGlobal('__wxjs_environment', 'miniprogram')
    const login = loginElement()
    expect(login.getBrowserEnvironment()).toBe('wechat-miniprogram')
    expect(login.isWechatBrowser()).toBe(true)
  })
})

describe('SECURITY case 17: isWechatBrowser() never throws', () => {
  it('answers false without a navigator (a server, a worker, Node)', () => {
    vi.stubGlobal('navigator', undefined)
    expect(loginElement().isWechatBrowser()).toBe(false)
    expect(loginElement().getBrowserEnvironment()).toBe('other')
  })

  it('answers false when navigator is null, has no userAgent, or a userAgent that is not a string', () => {
    for (const navigator of [
      null,
      {},
      { userAgent: undefined },
      { userAgent: 42 },
      { userAgent: ['MicroMessenger'] },
    ]) {
      vi.stubGlobal('navigator', navigator)
      expect(loginElement().isWechatBrowser()).toBe(false)
    }
  })

  it('answers false when reading navigator.userAgent throws (a locked-down embedded browser)', () => {
    vi.stubGlobal('navigator', {
      get userAgent(): string {
        throw new Error('access denied')
      },
    })
    expect(() => loginElement().isWechatBrowser()).not.toThrow()
    expect(loginElement().isWechatBrowser()).toBe(false)
  })

  it('answers for a global scope whose every property read throws', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('no')
        },
      },
    )
    expect(currentBrowserEnvironment(hostile)).toBe('other')
    expect(currentBrowserEnvironment(undefined)).toBe('other')
    expect(currentBrowserEnvironment(null)).toBe('other')
  })

  it('classifies any value without throwing, including a 1 MB User-Agent', () => {
    const strange: unknown[] = [undefined, null, 0, Number.NaN, true, {}, [], Symbol('ua'), () => 'x', 10n]
    for (const value of strange) expect(browserEnvironmentOf(value)).toBe('other')
    const huge = `${'x'.repeat(1_000_000)} MicroMessenger/8.0.42`
    expect(browserEnvironmentOf(huge)).toBe('wechat')
  })
})
