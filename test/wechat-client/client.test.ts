import { inspect } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  WechatInputError,
  WechatOAuthClient,
} from '../../types/auths/loginTypes/WechatPublicType/client/index.ts'
import {
  ACCESS_TOKEN,
  APP_ID,
  APP_SECRET,
  errcode,
  type FakeWechat,
  json,
  OPENID,
  REFRESH_TOKEN,
  startFakeWechat,
  tokenBody,
  userInfoBody,
} from './fake-wechat.ts'

const CODE = '061Ab2Ga1Lx9ZF0xYyJa1RrbAC4Ab2GK'

describe('createAuthorizationURL', () => {
  const client = new WechatOAuthClient(APP_ID, APP_SECRET, { oauthBaseUrl: 'https://open.weixin.qq.com' })

  it('puts the parameters in the order WeChat checks, ending with connect_redirect and #wechat_redirect', () => {
    const url = client.createAuthorizationURL('https://example.com/cb?next=/a&b=1#frag', 'abc123XYZ', {
      scope: 'snsapi_base',
    })
    expect(url).toBe(
      'https://open.weixin.qq.com/connect/oauth2/authorize?appid=wx1234567890abcdef' +
        '&redirect_uri=https%3A%2F%2Fexample.com%2Fcb%3Fnext%3D%2Fa%26b%3D1%23frag' +
        '&response_type=code&scope=snsapi_base&state=abc123XYZ&connect_redirect=1#wechat_redirect',
    )
  })

  it('adds forcePopup between state and connect_redirect when asked, and defaults to snsapi_userinfo', () => {
    const url = client.createAuthorizationURL('https://example.com/cb', 'S1', { forcePopup: true })
    const query = url.slice(url.indexOf('?') + 1, url.indexOf('#'))
    expect(query.split('&').map((pair) => pair.split('=')[0])).toEqual([
      'appid',
      'redirect_uri',
      'response_type',
      'scope',
      'state',
      'forcePopup',
      'connect_redirect',
    ])
    expect(query).toContain('scope=snsapi_userinfo&state=S1&forcePopup=true&connect_redirect=1')
    expect(url.endsWith('#wechat_redirect')).toBe(true)
  })

  it('percent-encodes non-ASCII and reserved characters of redirect_uri', () => {
    const url = client.createAuthorizationURL('https://例子.com/登录 页?x=a+b', 'S')
    const encoded = url.split('redirect_uri=')[1].split('&')[0]
    expect(encoded).not.toMatch(/[^A-Za-z0-9%._~*'()!-]/)
    expect(decodeURIComponent(encoded)).toBe('https://例子.com/登录 页?x=a+b')
  })

  it('keeps a path prefix of oauthBaseUrl (the sandbox is mounted under one)', () => {
    const sandbox = new WechatOAuthClient(APP_ID, APP_SECRET, {
      oauthBaseUrl: 'http://127.0.0.1:3000/__sandbox/wechat/',
    })
    expect(sandbox.createAuthorizationURL('http://127.0.0.1:3000/cb', 'S')).toMatch(
      /^http:\/\/127\.0\.0\.1:3000\/__sandbox\/wechat\/connect\/oauth2\/authorize\?appid=/,
    )
  })

  it.each([
    ['', 'empty'],
    ['a'.repeat(129), 'too long'],
    ['abc-def', 'a dash'],
    ['abc def', 'a space'],
    ['état', 'non-ASCII'],
  ])('refuses state %j (%s) without echoing it', (state) => {
    expect(() => client.createAuthorizationURL('https://example.com/cb', state)).toThrow(WechatInputError)
    try {
      client.createAuthorizationURL('https://example.com/cb', state)
    } catch (error) {
      expect((error as WechatInputError).field).toBe('state')
      if (state.length > 0) expect((error as Error).message).not.toContain(state)
    }
  })

  it('accepts a 128-character state and refuses a relative redirect URI', () => {
    expect(client.createAuthorizationURL('https://example.com/cb', 'a'.repeat(128))).toContain(
      `state=${'a'.repeat(128)}&`,
    )
    expect(() => client.createAuthorizationURL('/cb', 'S')).toThrow(/redirectUri/)
  })
})

describe('WechatOAuthClient against a fake WeChat', () => {
  let wechat: FakeWechat
  let client: WechatOAuthClient

  beforeEach(async () => {
    wechat = await startFakeWechat()
    client = new WechatOAuthClient(APP_ID, APP_SECRET, { apiBaseUrl: wechat.baseUrl })
  })
  afterEach(async () => {
    await client.close()
    await wechat.close()
  })

  it('exchanges a code (text/plain body, no unionid) and sends exactly the documented parameters', async () => {
    const tokens = await client.validateAuthorizationCode(CODE)
    expect(tokens).toEqual({
      access_token: ACCESS_TOKEN,
      expires_in: 7200,
      refresh_token: REFRESH_TOKEN,
      openid: OPENID,
      scope: 'snsapi_userinfo',
    })
    expect(tokens.unionid).toBeUndefined()
    const [call] = wechat.callsTo('/sns/oauth2/access_token')
    expect([...call.query.entries()]).toEqual([
      ['appid', APP_ID],
      ['secret', APP_SECRET],
      ['code', CODE],
      ['grant_type', 'authorization_code'],
    ])
  })

  it('keeps is_snapshotuser and unionid when WeChat sends them', async () => {
    wechat.script(
      '/sns/oauth2/access_token',
      json(tokenBody({ unionid: 'o6_bmasdasdsad6_2sgVt7hMZOPfL', is_snapshotuser: 1 })),
    )
    const tokens = await client.validateAuthorizationCode(CODE)
    expect(tokens.is_snapshotuser).toBe(1)
    expect(tokens.unionid).toBe('o6_bmasdasdsad6_2sgVt7hMZOPfL')
  })

  it('reads a nickname with an emoji and a raw U+0014, sex as a string, an empty headimgurl', async () => {
    const body = JSON.stringify(userInfoBody({ nickname: 'NICK', sex: '1', headimgurl: '' })).replace(
      'NICK',
      '小\u0014🐱猫',
    )
    expect(() => JSON.parse(body)).toThrow()
    wechat.script('/sns/userinfo', { body, contentType: 'text/plain' })
    const user = await client.getUserInfo(ACCESS_TOKEN, OPENID)
    expect(user.nickname).toBe('小\u0014🐱猫')
    expect(user.sex).toBe(1)
    expect(user.headimgurl).toBe('')
    expect(user.privilege).toEqual([])
    const [call] = wechat.callsTo('/sns/userinfo')
    expect([...call.query.entries()]).toEqual([
      ['access_token', ACCESS_TOKEN],
      ['openid', OPENID],
      ['lang', 'zh_CN'],
    ])
  })

  it('unescapes \\/ in URLs and reads a body sent in two chunks', async () => {
    wechat.script('/sns/userinfo', {
      body:
        '{"openid":"' +
        OPENID +
        '","nickname":"A","sex":2,"headimgurl":"https:\\/\\/thirdwx.qlogo.cn\\/x\\/132","privilege":["CHINAUNICOM"],"unionid":"u1"}',
      chunked: true,
    })
    const user = await client.getUserInfo(ACCESS_TOKEN, OPENID, 'en')
    expect(user.headimgurl).toBe('https://thirdwx.qlogo.cn/x/132')
    expect(user).toMatchObject({ sex: 2, province: '', privilege: ['CHINAUNICOM'], unionid: 'u1' })
  })

  it('refreshes without sending the secret, and returns the new refresh token', async () => {
    wechat.script('/sns/oauth2/refresh_token', json(tokenBody({ refresh_token: 'rotated_refresh_token' })))
    const tokens = await client.refreshAccessToken(REFRESH_TOKEN)
    expect(tokens.refresh_token).toBe('rotated_refresh_token')
    const [call] = wechat.callsTo('/sns/oauth2/refresh_token')
    expect([...call.query.keys()]).toEqual(['appid', 'grant_type', 'refresh_token'])
    expect(call.query.get('refresh_token')).toBe(REFRESH_TOKEN)
  })

  it('validateAccessToken: true for errcode 0, false for expired, invalid or another user', async () => {
    expect(await client.validateAccessToken(ACCESS_TOKEN, OPENID)).toBe(true)
    for (const code of [42001, 40001, 40003]) {
      wechat.script('/sns/auth', errcode(code))
      expect(await client.validateAccessToken(ACCESS_TOKEN, OPENID)).toBe(false)
    }
    expect(wechat.callsTo('/sns/auth')).toHaveLength(4)
  })

  it('refuses malformed arguments before calling WeChat', async () => {
    await expect(client.validateAuthorizationCode('')).rejects.toThrow(WechatInputError)
    await expect(client.validateAuthorizationCode('a'.repeat(10_000))).rejects.toThrow(/code is malformed/)
    await expect(client.validateAuthorizationCode('abc&secret=x')).rejects.toThrow(WechatInputError)
    await expect(client.getUserInfo(ACCESS_TOKEN, 'o/../x')).rejects.toThrow(/openid/)
    await expect(client.refreshAccessToken('has space')).rejects.toThrow(/refreshToken/)
    expect(wechat.calls).toHaveLength(0)
  })

  it('keeps a path prefix of apiBaseUrl', async () => {
    const prefixed = new WechatOAuthClient(APP_ID, APP_SECRET, { apiBaseUrl: `${wechat.baseUrl}/sandbox/` })
    await expect(prefixed.validateAuthorizationCode(CODE)).rejects.toMatchObject({
      problem: 'http_status',
      status: 404,
    })
    expect(wechat.calls.map((call) => call.path)).toEqual(['/sandbox/sns/oauth2/access_token'])
    await prefixed.close()
  })

  it('never shows the secret through JSON or inspection of the client', () => {
    expect(JSON.stringify(client)).not.toContain(APP_SECRET)
    expect(inspect(client, { depth: 5, showHidden: true })).not.toContain(APP_SECRET)
  })
})
