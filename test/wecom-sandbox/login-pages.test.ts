import { describe, expect, it } from 'vitest'
import type { RunningWecomSandbox } from '../../types/auths/loginTypes/QywxInnerType/sandbox/index.ts'
import {
  APPS,
  CALLBACK,
  CORP_ID,
  cgi,
  codeOf,
  DEMO,
  errorTitle,
  rawRequest,
  submit,
  tokenFor,
  useSandbox,
  WECHAT_UA,
  WECOM_UA,
} from './helpers.ts'

let sandbox: RunningWecomSandbox
useSandbox((started) => {
  sandbox = started
})

function oauthUrl(params: Record<string, string | undefined> = {}, order?: string[]): string {
  const all: Record<string, string | undefined> = {
    appid: CORP_ID,
    redirect_uri: CALLBACK,
    response_type: 'code',
    scope: 'snsapi_base',
    state: 'st1',
    agentid: String(DEMO.agentId),
    ...params,
  }
  const names = order ?? Object.keys(all)
  const query = new URLSearchParams()
  for (const name of names) if (all[name] !== undefined) query.append(name, all[name]!)
  return `${sandbox.oauthBaseUrl}/connect/oauth2/authorize?${query}#wechat_redirect`
}

const openInClient = (url: string, headers: Record<string, string> = {}) =>
  rawRequest(url, { headers: { 'user-agent': WECOM_UA, ...headers } })

async function identityOf(code: string, secret: string = DEMO.corpSecret) {
  return cgi(sandbox, 'auth/getuserinfo', { access_token: await tokenFor(sandbox, secret), code })
}

describe('in-client OAuth page', () => {
  it('snsapi_base: a silent redirect with code and state, the code resolving to the default member', async () => {
    const page = await openInClient(oauthUrl())
    expect(page.status).toBe(302)
    const location = new URL(page.headers.location as string)
    expect(`${location.origin}${location.pathname}`).toBe(CALLBACK)
    expect(location.searchParams.get('state')).toBe('st1')
    expect(location.searchParams.has('appid')).toBe(false)
    expect((await identityOf(codeOf(location.href))).userid).toBe('ZhangWei')
  })

  it('outside the WeCom or WeChat client: "请在微信客户端打开链接", never a redirect', async () => {
    const page = await rawRequest(oauthUrl(), {
      headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120' },
    })
    expect(page.status).toBe(200)
    expect(page.headers.location).toBeUndefined()
    expect(page.text).toContain('请在微信客户端打开链接')
    sandbox.setSwitches({ requireClientUserAgent: false })
    expect((await rawRequest(oauthUrl())).status).toBe(302)
  })

  it('personal WeChat (no wxwork in the User-Agent) resolves to a non-member: an openid', async () => {
    const page = await rawRequest(oauthUrl(), { headers: { 'user-agent': WECHAT_UA } })
    const body = await identityOf(codeOf(page.headers.location as string))
    expect(body.openid).toBe('oAAAAAq3Vb7mYk2cL0nGx8PzRwTs')
    expect(body.userid).toBeUndefined()
  })

  it('an untrusted redirect host goes to uriconfirm: "redirect_uri需使用应用可信域名"', async () => {
    const page = await openInClient(oauthUrl({ redirect_uri: 'https://evil.example/cb' }))
    expect(page.status).toBe(302)
    const confirm = new URL(page.headers.location as string, sandbox.url)
    expect(confirm.pathname).toBe('/wwopen/uriconfirm')
    expect(confirm.searchParams.get('err_type')).toBe('domain_err')
    const shown = await rawRequest(confirm.href)
    expect(errorTitle(shown.text)).toBe('redirect_uri需使用应用可信域名')
    expect(shown.text).not.toContain('code=')
  })

  it.each([
    ['appid of another corp', { appid: 'ww0000000000000000' }, 'appid参数错误'],
    ['a relative redirect_uri', { redirect_uri: '/cb' }, 'redirect_uri参数错误'],
    ['response_type token', { response_type: 'token' }, 'response_type参数错误'],
    ['an unknown scope', { scope: 'snsapi_login' }, 'scope参数错误'],
    ['a state with punctuation', { state: 'a-b' }, 'state参数错误'],
    ['a wrong agentid', { agentid: '999' }, '无效的agentid参数'],
  ])('error page for %s', async (_name, params, title) => {
    const page = await openInClient(oauthUrl(params))
    expect(page.status).toBe(200)
    expect(page.headers.location).toBeUndefined()
    expect(errorTitle(page.text)).toBe(title)
  })

  it('accepts any parameter order unless strictOrder; snsapi_userinfo is treated as base unless switched', async () => {
    const shuffled = ['agentid', 'scope', 'state', 'appid', 'response_type', 'redirect_uri']
    expect((await openInClient(oauthUrl({}, shuffled))).status).toBe(302)
    sandbox.setSwitches({ strictOrder: true })
    expect(errorTitle((await openInClient(oauthUrl({}, shuffled))).text)).toBe('参数顺序参数错误')
    expect((await openInClient(oauthUrl({ scope: 'snsapi_userinfo' }))).status).toBe(302)
    sandbox.setSwitches({ userinfoScope: 'error' })
    expect(errorTitle((await openInClient(oauthUrl({ scope: 'snsapi_userinfo' }))).text)).toBe(
      'scope参数错误',
    )
  })

  it('the code lands before a fragment of redirect_uri', async () => {
    const page = await openInClient(oauthUrl({ redirect_uri: 'http://localhost:8080/app/?from=menu#/home' }))
    expect(page.headers.location).toMatch(
      /^http:\/\/localhost:8080\/app\/\?from=menu&code=[\w-]{43}&state=st1#\/home$/,
    )
  })

  it('privateinfo: a consent sheet with the picker; Allow gives a ticket and is remembered for 30 days', async () => {
    const sheet = await openInClient(oauthUrl({ scope: 'snsapi_privateinfo' }))
    expect(sheet.status).toBe(200)
    expect(sheet.text).toContain('获取你的敏感信息')
    expect(sheet.text).toContain('手机 mobile')
    expect(sheet.text).toContain('value="lina"')
    const allowed = await submit(sandbox, sheet.text, { action: 'allow', person: 'lina' })
    expect(allowed.status).toBe(302)
    const cookie = String(allowed.headers['set-cookie']).split(';')[0]
    expect((await identityOf(codeOf(allowed.headers.location as string))).user_ticket).toBeDefined()
    // The same browser again: no sheet, straight back with a ticket-bearing code.
    const again = await openInClient(oauthUrl({ scope: 'snsapi_privateinfo' }), { cookie })
    expect(again.status).toBe(302)
    const identity = await identityOf(codeOf(again.headers.location as string))
    expect(identity).toMatchObject({ userid: 'lina' })
    expect(identity.user_ticket).toBeDefined()
    sandbox.clock.advance(30 * 24 * 3600)
    expect((await openInClient(oauthUrl({ scope: 'snsapi_privateinfo' }), { cookie })).status).toBe(200)
  })

  it('privateinfo Deny: back with a code that yields no ticket, or no redirect with the switch', async () => {
    const sheet = await openInClient(oauthUrl({ scope: 'snsapi_privateinfo' }))
    const denied = await submit(sandbox, sheet.text, { action: 'deny', person: 'zhangwei' })
    const identity = await identityOf(codeOf(denied.headers.location as string))
    expect(identity.userid).toBe('ZhangWei')
    expect(identity.user_ticket).toBeUndefined()
    sandbox.setSwitches({ privateinfoRefusal: 'stay' })
    const stayed = await submit(sandbox, sheet.text, { action: 'deny', person: 'zhangwei' })
    expect(stayed.status).toBe(200)
    expect(stayed.text).toContain('你已拒绝授权')
  })

  it('privateinfo for a member outside the visible range: "无权限", no redirect', async () => {
    const sheet = await openInClient(
      oauthUrl({ scope: 'snsapi_privateinfo', agentid: String(APPS.salesOnly.agentId) }),
    )
    expect(sheet.text).toContain('不在可见范围 · outside the visible range')
    const refused = await submit(sandbox, sheet.text, { action: 'allow', person: 'zhangwei' })
    expect(refused.status).toBe(200)
    expect(errorTitle(refused.text)).toBe('无权限')
  })

  it('pickerOnBase: the "who holds this client" picker, then the chosen person is remembered', async () => {
    sandbox.setSwitches({ pickerOnBase: true })
    const picker = await openInClient(oauthUrl())
    expect(picker.text).toContain('Sandbox: who holds this WeCom client?')
    const chosen = await submit(sandbox, picker.text, { action: 'allow', person: 'customer' })
    expect((await identityOf(codeOf(chosen.headers.location as string))).openid).toBe(
      'oAAAAAr9Kd1pQx5sM7tHz2LyBvNe',
    )
    sandbox.setSwitches({ pickerOnBase: false })
    const cookie = String(chosen.headers['set-cookie']).split(';')[0]
    const silent = await openInClient(oauthUrl(), { cookie })
    expect((await identityOf(codeOf(silent.headers.location as string))).openid).toBe(
      'oAAAAAr9Kd1pQx5sM7tHz2LyBvNe',
    )
  })

  it('doubleRedirect: a page that requests the callback twice with one code', async () => {
    sandbox.setSwitches({ doubleRedirect: true })
    const page = await openInClient(oauthUrl())
    expect(page.status).toBe(200)
    expect(page.text).toContain('data-deliveries="2"')
  })
})

function webUrl(params: Record<string, string | undefined> = {}, path = '/wwlogin/sso/login'): string {
  const all: Record<string, string | undefined> = {
    login_type: path.includes('qrConnect') ? undefined : 'CorpApp',
    appid: CORP_ID,
    agentid: String(DEMO.agentId),
    redirect_uri: CALLBACK,
    state: 'web state/1',
    ...params,
  }
  const query = new URLSearchParams()
  for (const [name, value] of Object.entries(all)) if (value !== undefined) query.append(name, value)
  return `${sandbox.loginBaseUrl}${path}?${query}`
}

describe('web login page', () => {
  it('shows a QR code and the member picker; confirm redirects with code and the encoded state', async () => {
    const page = await rawRequest(webUrl())
    expect(page.status).toBe(200)
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(page.text).toContain('使用企业微信扫码登录')
    expect(page.text).toContain('src="data:image/svg+xml;base64,')
    expect(page.text).toContain('桌面端一键登录 · Desktop login')
    const confirmed = await submit(sandbox, page.text, { action: 'confirm', member: 'emily' })
    expect(confirmed.status).toBe(302)
    const location = new URL(confirmed.headers.location as string)
    expect(location.searchParams.get('state')).toBe('web state/1')
    expect(location.searchParams.has('appid')).toBe(false)
    const identity = await identityOf(codeOf(location.href))
    expect(identity).toEqual({ errcode: 0, errmsg: 'ok', userid: 'Emily_Wang' })
    expect(sandbox.counters().web_login).toBe(1)
  })

  it('the desktop one-click button logs in the same way', async () => {
    const page = await rawRequest(webUrl({}, '/wwlogin/sso/login/'))
    const clicked = await submit(sandbox, page.text, { action: 'desktop', member: 'lina' })
    expect((await identityOf(codeOf(clicked.headers.location as string))).userid).toBe('lina')
  })

  it('the legacy qrConnect page: same login, the callback carries appid (switchable)', async () => {
    const page = await rawRequest(webUrl({}, '/wwopen/sso/qrConnect'))
    const confirmed = await submit(sandbox, page.text, { action: 'confirm', member: 'zhangwei' })
    expect(new URL(confirmed.headers.location as string).searchParams.get('appid')).toBe(CORP_ID)
    sandbox.setSwitches({ webCallbackAppid: 'never' })
    const again = await submit(sandbox, page.text, { action: 'confirm', member: 'zhangwei' })
    expect(new URL(again.headers.location as string).searchParams.has('appid')).toBe(false)
  })

  it('cancel comes back with state and no code (or stays, with the switch)', async () => {
    const page = await rawRequest(webUrl())
    const cancelled = await submit(sandbox, page.text, { action: 'cancel' })
    const location = new URL(cancelled.headers.location as string)
    expect(location.searchParams.get('state')).toBe('web state/1')
    expect(location.searchParams.has('code')).toBe(false)
    sandbox.setSwitches({ webCancel: 'stay' })
    expect((await submit(sandbox, page.text, { action: 'cancel' })).text).toContain('已取消登录')
  })

  it('a member outside the visible range sees "无权限"', async () => {
    const page = await rawRequest(webUrl({ agentid: String(APPS.salesOnly.agentId) }))
    const refused = await submit(sandbox, page.text, { action: 'confirm', member: 'zhangwei' })
    expect(errorTitle(refused.text)).toBe('无权限')
    expect(refused.headers.location).toBeUndefined()
  })

  it.each([
    [
      'a host no setting of the app trusts',
      { redirect_uri: 'https://evil.example/cb' },
      'redirect_uri 与配置的授权完成回调域名不一致',
    ],
    ['no agentid', { agentid: undefined }, '该链接无法访问'],
    ['login_type ServiceApp', { login_type: 'ServiceApp' }, '该链接无法访问'],
    ['another corp', { appid: 'ww0000000000000000' }, '该链接无法访问'],
  ])('error page for %s', async (_name, params, title) => {
    const page = await rawRequest(webUrl(params))
    expect(errorTitle(page.text)).toBe(title)
  })

  it('the web code obeys the same exchange rules: single use and 50001 for an app not trusting the host', async () => {
    const code = codeOf(sandbox.webLogin({ agentid: DEMO.agentId, redirectUri: CALLBACK, state: 'x' }))
    expect((await identityOf(code, APPS.elsewhere.secret)).errcode).toBe(50001)
    expect((await identityOf(code)).userid).toBe('ZhangWei')
    expect((await identityOf(code)).errcode).toBe(40029)
  })
})
