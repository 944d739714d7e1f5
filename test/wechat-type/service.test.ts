import { describe, expect, it } from 'vitest'
import { codeFor, DEMO, MODEL, SVC, UNBOUND, useSandboxAndApps, useTestKey } from './helpers.ts'

useTestKey()
const { sandbox, open } = useSandboxAndApps()

describe('getUserInfo(code): the happy path', () => {
  it('snsapi_userinfo: one exchange, one userinfo call, the seed shape, the user stored', async () => {
    const { app } = await open()
    const svc = app.getElement(SVC('Login'))
    const user = await svc.getUserInfo(codeFor(sandbox, { user: 'lin' }))
    expect(Object.keys(user)).toEqual([
      'openid',
      'nickname',
      'headimgurl',
      'sex',
      'province',
      'city',
      'country',
      'unionid',
    ])
    expect(user).toMatchObject({ nickname: '林小雨', sex: 0, province: '', city: '', country: '' })
    expect(user.openid).toMatch(/^o[A-Za-z0-9_-]{27}$/)
    expect(user.unionid).toMatch(/^o[A-Za-z0-9_-]{27}$/)
    expect(user.headimgurl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//)
    expect(sandbox.counters()).toMatchObject({ access_token: 1, userinfo: 1, refresh_token: 0, auth: 0 })

    const row = await app.getElement(MODEL('Login')).get({ appId: DEMO.appId, openid: user.openid })
    expect(row).toMatchObject({
      appId: DEMO.appId,
      openid: user.openid,
      unionid: user.unionid,
      nickname: '林小雨',
      scope: 'snsapi_userinfo',
      expiresIn: 7200,
      sex: 0,
    })
    expect(row.accessToken).toMatch(/^v1\./)
    expect(row.refreshToken).toMatch(/^v1\./)
    // expires_in minus a margin, counted from before the request.
    const lifetimeMs = row.expiresAt.getTime() - Date.now()
    expect(lifetimeMs).toBeGreaterThan(6900 * 1000)
    expect(lifetimeMs).toBeLessThanOrEqual(7080 * 1000)
    expect(row.createdAt).toBeInstanceOf(Date)
  })

  it('snsapi_base: no userinfo call; openid only (no unionid since 2017), stored with scope snsapi_base', async () => {
    const { app } = await open({ Login: { scope: 'snsapi_base' } })
    const svc = app.getElement(SVC('Login'))
    const user = await svc.getUserInfo(codeFor(sandbox, { scope: 'snsapi_base', user: 'kai' }))
    expect(Object.keys(user)).toEqual(['openid'])
    expect(sandbox.counters()).toMatchObject({ access_token: 1, userinfo: 0 })
    const row = await app.getElement(MODEL('Login')).get({ openid: user.openid })
    expect(row).toMatchObject({ scope: 'snsapi_base', nickname: null, unionid: null })
  })

  it('a later snsapi_base login keeps the profile and unionid a userinfo login stored', async () => {
    const { app } = await open()
    const svc = app.getElement(SVC('Login'))
    const full = await svc.getUserInfo(codeFor(sandbox, { user: 'kai' }))
    const silent = await svc.getUserInfo(codeFor(sandbox, { user: 'kai', scope: 'snsapi_base' }))
    expect(silent).toEqual({ openid: full.openid, unionid: full.unionid })
    const { rowDatas, totalCount } = await app.getElement(MODEL('Login')).query({})
    expect(totalCount).toBe(1)
    expect(rowDatas[0]).toMatchObject({ nickname: 'Kai Chen', scope: 'snsapi_base', unionid: full.unionid })
  })

  it('a nickname with an emoji and a raw U+0014 survives the wire and the database', async () => {
    const { app } = await open()
    const user = await app.getElement(SVC('Login')).getUserInfo(codeFor(sandbox, { user: 'momo' }))
    expect(user.nickname).toBe('Momo🌸\u0014')
    const row = await app.getElement(MODEL('Login')).get({ openid: user.openid })
    expect(row.nickname).toBe('Momo🌸\u0014')
  })

  it('older servers: sex as a string, places filled in the requested language', async () => {
    sandbox.setSwitches({ userinfoShape: 'legacy' })
    const { app } = await open({ Login: { lang: 'en' } })
    const user = await app.getElement(SVC('Login')).getUserInfo(codeFor(sandbox, { user: 'lin' }))
    expect(user).toMatchObject({ sex: 2, country: 'China', province: 'Guangdong', city: 'Shenzhen' })
    const row = await app.getElement(MODEL('Login')).get({ openid: user.openid })
    expect(row).toMatchObject({ sex: 2, city: 'Shenzhen' })
  })

  it.each(['text/plain', 'application/json; encoding=utf-8'] as const)(
    'reads bodies served as %s',
    async (contentType) => {
      sandbox.setSwitches({ contentType })
      const { app } = await open()
      const user = await app.getElement(SVC('Login')).getUserInfo(codeFor(sandbox, { user: 'ada' }))
      expect(user.nickname).toBe('Ada Zhou')
    },
  )

  it('an account not bound to the Open Platform: no unionid key, none stored', async () => {
    const { app } = await open({ Login: UNBOUND })
    const user = await app
      .getElement(SVC('Login'))
      .getUserInfo(codeFor(sandbox, { appId: UNBOUND.appId, user: 'lin' }))
    expect('unionid' in user).toBe(false)
    expect(user.nickname).toBe('林小雨')
    const row = await app.getElement(MODEL('Login')).get({ openid: user.openid })
    expect(row).toMatchObject({ appId: UNBOUND.appId, unionid: null })
  })

  it('a snapshot-page user (is_snapshotuser: 1) comes back flagged, without a userinfo call, and is never stored', async () => {
    const { app } = await open()
    const user = await app.getElement(SVC('Login')).getUserInfo(codeFor(sandbox, { user: 'visitor' }))
    expect(user).toEqual({ openid: expect.stringMatching(/^o/), isSnapshotUser: true })
    expect(sandbox.counters()).toMatchObject({ access_token: 1, userinfo: 0 })
    expect((await app.getElement(MODEL('Login')).query({})).totalCount).toBe(0)
  })
})

describe('the other functions', () => {
  it('getAuthorizeUrl: WeChat order, the Instance scope by default, another on request', async () => {
    const { app } = await open({ Login: { scope: 'snsapi_base' } })
    const svc = app.getElement(SVC('Login'))
    expect(svc.getAuthorizeUrl('https://example.com/cb', { state: 'xyz789' })).toBe(
      `${sandbox.url}/connect/oauth2/authorize?appid=${DEMO.appId}&redirect_uri=https%3A%2F%2Fexample.com%2Fcb` +
        '&response_type=code&scope=snsapi_base&state=xyz789&connect_redirect=1#wechat_redirect',
    )
    expect(
      svc.getAuthorizeUrl('https://example.com/cb', {
        state: 's1',
        scope: 'snsapi_userinfo',
        forcePopup: false,
      }),
    ).toContain('&scope=snsapi_userinfo&state=s1&forcePopup=false&connect_redirect=1#wechat_redirect')
    expect(() => svc.getAuthorizeUrl('https://example.com/cb', { state: 'not a state!' })).toThrow(
      expect.objectContaining({ code: 'WECHAT_INPUT_INVALID', field: 'state' }),
    )
  })

  it('getAccessToken: the seed shape, tokens stored for the user; a snapshot user is not stored', async () => {
    const { app } = await open()
    const svc = app.getElement(SVC('Login'))
    const tokens = await svc.getAccessToken(codeFor(sandbox, { user: 'ada' }))
    expect(tokens).toMatchObject({
      access_token: expect.stringMatching(/^86_/),
      expires_in: 7200,
      refresh_token: expect.stringMatching(/^86_/),
      openid: expect.stringMatching(/^o/),
      scope: 'snsapi_userinfo',
    })
    expect(sandbox.counters()).toMatchObject({ access_token: 1, userinfo: 0 })
    // Stored: its profile can now be read by openid with the stored token.
    const profile = await svc.getUserInfoByOpenid(tokens.openid)
    expect(profile.nickname).toBe('Ada Zhou')
    const snapshot = await svc.getAccessToken(codeFor(sandbox, { user: 'visitor' }))
    expect(snapshot.is_snapshotuser).toBe(1)
    expect((await app.getElement(MODEL('Login')).query({})).totalCount).toBe(1)
  })

  it('refreshToken: new tokens, stored for the user; validateAccessToken: true, then false for another openid', async () => {
    const { app } = await open()
    const svc = app.getElement(SVC('Login'))
    const first = await svc.getAccessToken(codeFor(sandbox, { user: 'lin' }))
    const refreshed = await svc.refreshToken(first.refresh_token)
    expect(refreshed.openid).toBe(first.openid)
    expect(refreshed.access_token).not.toBe(first.access_token)
    expect(await svc.validateAccessToken(refreshed.access_token, first.openid)).toBe(true)
    const other = await svc.getAccessToken(codeFor(sandbox, { user: 'kai' }))
    expect(await svc.validateAccessToken(refreshed.access_token, other.openid)).toBe(false)
    expect(sandbox.counters()).toMatchObject({ access_token: 2, refresh_token: 1, auth: 2 })
    // The stored token is the refreshed one: no further refresh is needed to read the profile.
    sandbox.resetCounters()
    await svc.getUserInfoByOpenid(first.openid)
    expect(sandbox.counters()).toMatchObject({ refresh_token: 0, userinfo: 1 })
  })

  it('getUserInfoByOpenid: an unknown openid and a snsapi_base login are refused with a code, no WeChat call', async () => {
    const { app } = await open()
    const svc = app.getElement(SVC('Login'))
    await expect(svc.getUserInfoByOpenid('oUnknownUser0000000000000000')).rejects.toMatchObject({
      code: 'WECHAT_USER_NOT_FOUND',
      action: 'restart_authorization',
    })
    const base = await svc.getUserInfo(codeFor(sandbox, { user: 'kai', scope: 'snsapi_base' }))
    sandbox.resetCounters()
    await expect(svc.getUserInfoByOpenid(base.openid)).rejects.toMatchObject({
      code: 'WECHAT_SCOPE_INSUFFICIENT',
      message: expect.stringContaining('"scope": "snsapi_userinfo"'),
    })
    expect(sandbox.counters()).toMatchObject({ userinfo: 0, refresh_token: 0 })
  })
})

describe('two Instances with different appIds', () => {
  it('never mix rows or tokens, even for the same WeChat user', async () => {
    const { app } = await open({ Demo: {}, Unbound: UNBOUND })
    const demo = app.getElement(SVC('Demo'))
    const unbound = app.getElement(SVC('Unbound'))
    const a = await demo.getUserInfo(codeFor(sandbox, { user: 'lin' }))
    const b = await unbound.getUserInfo(codeFor(sandbox, { appId: UNBOUND.appId, user: 'lin' }))
    expect(a.openid).not.toBe(b.openid)
    // Each model handle sees the shared table, keyed by (appId, openid).
    const rows = (await app.getElement(MODEL('Demo')).query({ orderList: [['id', 1]] })).rowDatas
    expect(rows.map((row: { appId: string; openid: string }) => [row.appId, row.openid])).toEqual([
      [DEMO.appId, a.openid],
      [UNBOUND.appId, b.openid],
    ])
    // Each service reads only its own account's users.
    await expect(demo.getUserInfoByOpenid(b.openid)).rejects.toMatchObject({ code: 'WECHAT_USER_NOT_FOUND' })
    await expect(unbound.getUserInfoByOpenid(a.openid)).rejects.toMatchObject({
      code: 'WECHAT_USER_NOT_FOUND',
    })
    expect((await demo.getUserInfoByOpenid(a.openid)).nickname).toBe('林小雨')
    expect((await unbound.getUserInfoByOpenid(b.openid)).nickname).toBe('林小雨')
    // A token of one account is no token of the other.
    const token = await demo.getAccessToken(codeFor(sandbox, { user: 'kai' }))
    await expect(unbound.refreshToken(token.refresh_token)).rejects.toMatchObject({ errcode: 40030 })
  })
})
