import { describe, expect, it } from 'vitest'
import type { RunningWechatSandbox } from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import {
  APPS,
  authorizeUrl,
  CALLBACK,
  errorPageCode,
  exchange,
  orderedParams,
  rawRequest,
  submitConsent,
  useSandbox,
} from './helpers.ts'

let sandbox: RunningWechatSandbox
useSandbox((started) => {
  sandbox = started
})

const open = (params: [string, string][], headers?: Record<string, string>) =>
  rawRequest(authorizeUrl(sandbox, params), { headers })

describe('authorize page checks: an error page, never a redirect', () => {
  const rows: [string, [string, string][], number | null][] = [
    ['10012 empty appid', orderedParams({ appid: '' }), 10012],
    ['10011 empty redirect_uri', orderedParams({ redirect_uri: '' }), 10011],
    ['10010 empty scope', orderedParams({ scope: '' }), 10010],
    ['10013 empty state', orderedParams({ state: '' }), 10013],
    ['10013 missing state', orderedParams().slice(0, 4), 10013],
    ['10003 other host', orderedParams({ redirect_uri: 'https://evil.example/cb' }), 10003],
    ['10003 subdomain of a domain', orderedParams({ redirect_uri: 'http://www.localhost/cb' }), 10003],
    ['10004 banned account', orderedParams({ appid: APPS.banned }), 10004],
    ['10005 scope the account lacks', orderedParams({ appid: APPS.silent, scope: 'snsapi_userinfo' }), 10005],
    ['10005 unknown scope', orderedParams({ scope: 'snsapi_login' }), 10005],
    [
      '10015 unauthorized third-party platform',
      orderedParams({}, [['component_appid', 'wx00000000000000aa']]),
      10015,
    ],
    ['10016 Open Platform appid', orderedParams({ appid: APPS.openPlatform }), 10016],
    ['parameter error: unknown appid', orderedParams({ appid: 'wx0000000000000000' }), null],
    ['parameter error: response_type not code', orderedParams({ response_type: 'token' }), null],
    ['parameter error: state with non-alphanumerics', orderedParams({ state: 'a-b' }), null],
    ['parameter error: state over 128 bytes', orderedParams({ state: 'a'.repeat(129) }), null],
    ['parameter error: relative redirect_uri', orderedParams({ redirect_uri: '/cb' }), null],
  ]
  it.each(rows)('%s', async (_name, params, errcode) => {
    const page = await open(params)
    expect(page.status).toBe(200)
    expect(page.headers.location).toBeUndefined()
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(errorPageCode(page.text)).toBe(errcode)
    expect(page.text).not.toContain('code=')
  })

  it('refuses parameters out of the documented order', async () => {
    const [appid, redirect, responseType, scope, state] = orderedParams()
    const page = await open([redirect, appid, responseType, scope, state])
    expect(errorPageCode(page.text)).toBeNull()
    expect(page.headers.location).toBeUndefined()
  })

  it('refuses a redirect_uri whose "&" was not encoded (it splits into extra parameters)', async () => {
    const query = `appid=${APPS.demo}&redirect_uri=http://127.0.0.1:3000/cb?a=1&b=2&response_type=code&scope=snsapi_base&state=s1`
    const page = await rawRequest(`${sandbox.oauthBaseUrl}/connect/oauth2/authorize?${query}`)
    expect(errorPageCode(page.text)).toBeNull()
  })

  it('accepts extras after state (forcePopup, connect_redirect)', async () => {
    const page = await open(
      orderedParams({}, [
        ['forcePopup', 'true'],
        ['connect_redirect', '1'],
      ]),
    )
    expect(page.status).toBe(302)
  })

  it('10006: a test account refuses a user who does not follow it', async () => {
    sandbox.setDefaultUser('ada')
    const page = await open(orderedParams({ appid: APPS.testAccount }))
    expect(errorPageCode(page.text)).toBe(10006)
    sandbox.setDefaultUser('lin')
    expect((await open(orderedParams({ appid: APPS.testAccount }))).status).toBe(302)
  })

  it('10009 (too frequent) can be injected as a fault', async () => {
    sandbox.setFault('authorize', { kind: 'errcode', errcode: 10009 })
    expect(errorPageCode((await open(orderedParams())).text)).toBe(10009)
    expect((await open(orderedParams())).status).toBe(302)
  })
})

describe('authorization domains: exact host, port-free entries match any port', () => {
  it('matches the configured hosts on any port and both demo origins', async () => {
    for (const uri of [
      'http://127.0.0.1:3000/cb',
      'http://localhost:3000/cb',
      'http://127.0.0.1:54321/x/y',
      'https://localhost/cb',
    ]) {
      expect((await open(orderedParams({ redirect_uri: uri }))).status, uri).toBe(302)
    }
  })

  it('rejects a parent domain, and a port other than the one an entry names', async () => {
    sandbox.addDomain(APPS.demo, 'app.example.com')
    sandbox.addDomain(APPS.demo, 'test.example.org:8080')
    const check = async (uri: string) =>
      errorPageCode((await open(orderedParams({ redirect_uri: uri }))).text)
    expect(await check('https://app.example.com/cb')).toBeUndefined()
    expect(await check('https://example.com/cb')).toBe(10003)
    expect(await check('https://sub.app.example.com/cb')).toBe(10003)
    expect(await check('http://test.example.org:8080/cb')).toBeUndefined()
    expect(await check('http://test.example.org:8081/cb')).toBe(10003)
  })
})

describe('snsapi_base: silent redirect', () => {
  it('redirects at once with a 32-character code and the state, without a page', async () => {
    const response = await open(orderedParams({ state: 'Abc123' }))
    expect(response.status).toBe(302)
    const target = new URL(response.headers.location as string)
    expect(`${target.origin}${target.pathname}`).toBe(CALLBACK)
    expect(target.searchParams.get('code')).toMatch(/^[0-9A-Za-z]{32}$/)
    expect(target.searchParams.get('state')).toBe('Abc123')
    expect(response.headers['referrer-policy']).toBe('no-referrer')
  })

  it('appends with "&" when redirect_uri has a query, with "?" when not, before a fragment', async () => {
    const withQuery = await open(orderedParams({ redirect_uri: 'http://127.0.0.1:3000/cb?next=%2Fhome&x=1' }))
    expect(withQuery.headers.location).toMatch(
      /^http:\/\/127\.0\.0\.1:3000\/cb\?next=%2Fhome&x=1&code=[0-9A-Za-z]{32}&state=st1$/,
    )
    const plain = await open(orderedParams({ redirect_uri: 'http://127.0.0.1:3000/cb' }))
    expect(plain.headers.location).toMatch(/^http:\/\/127\.0\.0\.1:3000\/cb\?code=[0-9A-Za-z]{32}&state=st1$/)
    const fragment = await open(orderedParams({ redirect_uri: 'http://127.0.0.1:3000/cb#/spa' }))
    expect(fragment.headers.location).toMatch(
      /^http:\/\/127\.0\.0\.1:3000\/cb\?code=[0-9A-Za-z]{32}&state=st1#\/spa$/,
    )
  })

  it('sends an empty state back as "state=" when empty states are allowed', async () => {
    sandbox.setSwitches({ emptyStateRefused: false })
    const response = await open(orderedParams({ state: '' }))
    expect(response.headers.location).toMatch(/\?code=[0-9A-Za-z]{32}&state=$/)
  })

  it('returns a state verbatim, not re-encoded, when strict state checking is off', async () => {
    sandbox.setSwitches({ strictState: false })
    const response = await open(orderedParams({ state: 'a b&c' }))
    expect(response.headers.location).toMatch(/&state=a b&c$/)
  })

  it('a new code per authorization', async () => {
    const codes = new Set<string>()
    for (let i = 0; i < 5; i++) {
      codes.add(new URL((await open(orderedParams())).headers.location as string).searchParams.get('code')!)
    }
    expect(codes.size).toBe(5)
  })
})

describe('snsapi_userinfo: consent sheet', () => {
  it('shows the account name, its avatar, the scope in words, and every sandbox user with Allow and Deny', async () => {
    const page = await open(orderedParams({ scope: 'snsapi_userinfo' }))
    expect(page.status).toBe(200)
    expect(page.headers.location).toBeUndefined()
    expect(page.text).toContain('jitlite Demo')
    expect(page.text).toContain(`/avatars/app/${APPS.demo}`)
    expect(page.text).toContain('获取你的昵称、头像')
    expect(page.text).toContain('snsapi_userinfo')
    for (const nickname of ['林小雨', 'Momo🌸', 'Kai Chen', '微信用户', 'Ada Zhou'])
      expect(page.text).toContain(nickname)
    expect(page.text).toMatch(/<button class="allow"[^>]*>允许<\/button>/)
    expect(page.text).toMatch(/<button class="deny"[^>]*>拒绝<\/button>/)
    expect(page.text).not.toMatch(/(src|href)="https?:\/\//)
    expect(page.headers['content-security-policy']).toContain("default-src 'none'")
  })

  it('Allow redirects with a code for the picked user, and remembers the pick for silent logins', async () => {
    const page = await open(orderedParams({ scope: 'snsapi_userinfo', state: 'pick1' }))
    const allowed = await submitConsent(sandbox, page.text, { action: 'allow', user: 'momo' })
    expect(allowed.status).toBe(302)
    const target = new URL(allowed.headers.location as string)
    expect(target.searchParams.get('state')).toBe('pick1')
    const tokens = (await exchange(sandbox, target.searchParams.get('code')!)).body
    const state = (await rawRequest(`${sandbox.adminUrl}/state`)).text
    const momo = JSON.parse(state).users.find((user: { key: string }) => user.key === 'momo')
    const lin = JSON.parse(state).users.find((user: { key: string }) => user.key === 'lin')
    expect(tokens.openid).toBe(momo.openids[APPS.demo])
    expect(tokens.openid).not.toBe(lin.openids[APPS.demo])
    expect(tokens.scope).toBe('snsapi_userinfo')
    // Scoped to the authorize page: cookies ignore ports, so a wider path would reach the app.
    expect(String(allowed.headers['set-cookie'])).toMatch(/; Path=\/connect\/oauth2;.*HttpOnly; SameSite=Lax/)
    const cookie = String(allowed.headers['set-cookie']).split(';')[0]
    const silent = await open(orderedParams(), { cookie })
    const silentTokens = (
      await exchange(sandbox, new URL(silent.headers.location as string).searchParams.get('code')!)
    ).body
    expect(silentTokens.openid).toBe(tokens.openid)
  })

  it('Deny in the default mode stays on a page: no redirect, no code', async () => {
    const page = await open(orderedParams({ scope: 'snsapi_userinfo' }))
    const denied = await submitConsent(sandbox, page.text, { action: 'deny' })
    expect(denied.status).toBe(200)
    expect(denied.headers.location).toBeUndefined()
    expect(denied.text).toContain('你已拒绝授权')
    expect(denied.text).not.toContain(CALLBACK)
  })

  it('Deny in the legacy mode redirects with state and no code', async () => {
    sandbox.setSwitches({ denyMode: 'legacyRedirect' })
    const page = await open(orderedParams({ scope: 'snsapi_userinfo', state: 'deny7' }))
    const denied = await submitConsent(sandbox, page.text, { action: 'deny' })
    expect(denied.status).toBe(302)
    expect(denied.headers.location).toBe(`${CALLBACK}?state=deny7`)
  })

  it('the reply is checked again: a test account refuses a non-follower after Allow', async () => {
    const page = await open(orderedParams({ appid: APPS.testAccount, scope: 'snsapi_userinfo' }))
    const refused = await submitConsent(sandbox, page.text, { action: 'allow', user: 'ada' })
    expect(errorPageCode(refused.text)).toBe(10006)
    expect(refused.headers.location).toBeUndefined()
  })

  it('a tampered reply fails the same checks as the page', async () => {
    const page = await open(orderedParams({ scope: 'snsapi_userinfo' }))
    const tampered = page.text.replace(/redirect_uri=[^&"]*/, 'redirect_uri=https%3A%2F%2Fevil.example%2Fcb')
    expect(
      errorPageCode((await submitConsent(sandbox, tampered, { action: 'allow', user: 'lin' })).text),
    ).toBe(10003)
    expect(
      errorPageCode((await submitConsent(sandbox, page.text, { action: 'allow', user: 'nobody' })).text),
    ).toBeNull()
  })
})

describe('double delivery of the redirect', () => {
  it('delivers the same redirect twice when switched on, once with connect_redirect=1', async () => {
    sandbox.setSwitches({ doubleRedirect: true })
    const page = await open(orderedParams())
    expect(page.status).toBe(200)
    const script = /<script>([\s\S]*)<\/script>/.exec(page.text)?.[1] ?? ''
    const url = JSON.parse(/var u=("[^"]*")/.exec(script)![1])
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:3000\/auth\/callback\?code=[0-9A-Za-z]{32}&state=st1$/)
    expect(script).toContain('fetch(u')
    expect(script).toContain('location.replace(u)')
    const once = await open(orderedParams({}, [['connect_redirect', '1']]))
    expect(once.status).toBe(302)
  })
})

describe('programmatic authorize()', () => {
  it('returns the redirect URL, and throws the page errcode on a refused request', () => {
    const url = sandbox.authorize({
      appid: APPS.demo,
      redirectUri: `${CALLBACK}?a=1`,
      scope: 'snsapi_base',
      state: 'p1',
    })
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:3000\/auth\/callback\?a=1&code=[0-9A-Za-z]{32}&state=p1$/)
    expect(() =>
      sandbox.authorize({
        appid: APPS.demo,
        redirectUri: 'https://evil.example/',
        scope: 'snsapi_base',
        state: 'p1',
      }),
    ).toThrow(expect.objectContaining({ code: 'WECHAT_SANDBOX_AUTHORIZE_REFUSED', errcode: 10003 }))
    expect(() =>
      sandbox.authorize({
        appid: APPS.demo,
        redirectUri: CALLBACK,
        scope: 'snsapi_base',
        state: 'p',
        user: 'zed',
      }),
    ).toThrow(expect.objectContaining({ code: 'WECHAT_SANDBOX_UNKNOWN_USER' }))
  })

  it('deny() follows the deny mode', () => {
    const options = { appid: APPS.demo, redirectUri: CALLBACK, scope: 'snsapi_userinfo', state: 'd1' }
    expect(sandbox.deny(options)).toBeNull()
    sandbox.setSwitches({ denyMode: 'legacyRedirect' })
    expect(sandbox.deny(options)).toBe(`${CALLBACK}?state=d1`)
  })
})
