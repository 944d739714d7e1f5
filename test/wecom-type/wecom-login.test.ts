import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { CORP, type FakeWecom, startFakeWecom } from './fake-wecom.ts'
import { DESKTOP_UA, MODEL, openWecomHarness, SVC, WECOM_UA, type WecomHarness } from './helpers.ts'

let fake: FakeWecom
let h: WecomHarness
beforeAll(async () => {
  fake = await startFakeWecom()
  h = await openWecomHarness(fake)
})
afterAll(async () => {
  await h.close()
  await fake.close()
})
afterEach(() => {
  fake.calls.length = 0
  fake.legacyKeys = false
})

async function rows() {
  return (await h.app.getElement(MODEL).query({ size: 100 })).rowDatas as Array<Record<string, any>>
}

describe('the two entry points', () => {
  it('a desktop browser goes to the web login page (login_type=CorpApp) and ends in a session', async () => {
    const browser = h.browser(DESKTOP_UA)
    const { entryUrl, response } = await browser.login({ userid: 'ZhangSan' })
    expect(`${entryUrl.origin}${entryUrl.pathname}`).toBe(`${fake.url}/wwlogin/sso/login`)
    expect([...entryUrl.searchParams.keys()]).toEqual([
      'login_type',
      'appid',
      'agentid',
      'redirect_uri',
      'state',
    ])
    expect(entryUrl.searchParams.get('login_type')).toBe('CorpApp')
    expect(entryUrl.searchParams.get('appid')).toBe(CORP.corpId)
    expect(entryUrl.searchParams.get('agentid')).toBe(CORP.agentId)
    expect(response.statusCode).toBe(302)
    expect(response.headers.location).toBe('http://127.0.0.1:3000/')
    const session = await browser.session()
    expect(session.status).toBe(200)
    expect(session.user).toMatchObject({
      displayName: '张三',
      profile: {
        corpId: CORP.corpId,
        kind: 'member',
        userId: 'ZhangSan',
        department: [1, 2],
        position: 'Engineer',
      },
    })
    expect(fake.calls.map((call) => call.endpoint)).toEqual(['gettoken', 'getuserinfo', 'user_get'])
  })

  it('a WeCom User-Agent goes to the in-client OAuth (#wechat_redirect) and ends in a session', async () => {
    const browser = h.browser(WECOM_UA)
    const { entryUrl, response } = await browser.login({ userid: 'lisi' })
    expect(`${entryUrl.origin}${entryUrl.pathname}`).toBe(`${fake.url}/connect/oauth2/authorize`)
    expect(entryUrl.hash).toBe('#wechat_redirect')
    expect([...entryUrl.searchParams.keys()]).toEqual([
      'appid',
      'redirect_uri',
      'response_type',
      'scope',
      'state',
      'agentid',
    ])
    expect(entryUrl.searchParams.get('scope')).toBe('snsapi_base')
    expect(response.statusCode).toBe(302)
    expect((await browser.session()).user).toMatchObject({ displayName: '李四', profile: { userId: 'lisi' } })
    // The token fetched by the first test serves this login too.
    expect(fake.count('gettoken')).toBe(0)
    expect(fake.calls.map((call) => call.endpoint)).toEqual(['getuserinfo', 'user_get'])
  })

  it('?entry= chosen by the page wins over the User-Agent', async () => {
    const browser = h.browser(DESKTOP_UA)
    const url = await browser.start('?redirectUrl=%2F&entry=client')
    expect(url.pathname).toBe('/connect/oauth2/authorize')
    const web = await h.browser(WECOM_UA).start('?redirectUrl=%2F&entry=web')
    expect(web.pathname).toBe('/wwlogin/sso/login')
  })
})

describe('identity', () => {
  it('keys members by (corpId, userid) ignoring case, and keeps only the fields WeCom gave', async () => {
    await h.browser().login({ userid: 'zhangsan' })
    const members = (await rows()).filter((row) => row.memberKey === 'zhangsan')
    expect(members).toHaveLength(1)
    // user/get of an app created after 2022-06-20 has no mobile, avatar or gender: they stay empty.
    expect(members[0]).toMatchObject({
      userId: 'ZhangSan',
      name: '张三',
      mobile: null,
      avatar: null,
      gender: null,
      isLeader: true,
    })
    expect(members[0]).toMatchObject({ accessToken: null, refreshToken: null, expiresAt: null })
  })

  it('a non-member logs in by openid and is never matched to a member', async () => {
    // An openid spelled like a member's userid still makes a row of its own.
    const browser = h.browser()
    const { response } = await browser.login({ openid: 'zhangsan' })
    expect(response.statusCode).toBe(302)
    expect((await browser.session()).user?.profile).toEqual({
      corpId: CORP.corpId,
      kind: 'non_member',
      openid: 'zhangsan',
    })
    expect(fake.calls.map((call) => call.endpoint)).toEqual(['getuserinfo'])
    const all = await rows()
    const nonMember = all.find((row) => row.openid === 'zhangsan')
    const member = all.find((row) => row.memberKey === 'zhangsan')
    expect(nonMember).toMatchObject({ memberKey: null, userId: null, name: null })
    expect(member?.id).not.toBe(nonMember?.id)
    expect(member).toMatchObject({ openid: null, name: '张三' })
  })

  it('accepts the legacy capitalised keys (UserId, OpenId)', async () => {
    fake.legacyKeys = true
    const browser = h.browser()
    await browser.login({ userid: 'lisi' })
    expect((await browser.session()).user?.profile).toMatchObject({ kind: 'member', userId: 'lisi' })
    const other = h.browser()
    await other.login({ openid: 'o-legacy-1' })
    expect((await other.session()).user?.profile).toMatchObject({ kind: 'non_member', openid: 'o-legacy-1' })
  })

  it('reads the sensitive fields with getuserdetail when a user_ticket comes back (privateinfo)', async () => {
    const browser = h.browser(WECOM_UA)
    await browser.login({ userid: 'ZhangSan', ticket: true })
    expect(fake.calls.map((call) => call.endpoint)).toEqual(['getuserinfo', 'getuserdetail', 'user_get'])
    const row = (await rows()).find((r) => r.memberKey === 'zhangsan')
    expect(row).toMatchObject({ mobile: '13800000001', gender: '1' })
  })
})

describe('failures end on clear pages', () => {
  it('a used code (40029) ends on the expired page and calls WeCom once', async () => {
    const browser = h.browser()
    const entryUrl = await browser.start()
    const callback = browser.callbackFor(entryUrl, { userid: 'lisi' })
    const code = new URL(callback, 'http://x').searchParams.get('code') ?? ''
    // Another server (or a prefetch) spent the code first.
    await h.app.getElement(SVC).getLoginCode(code)
    fake.calls.length = 0
    const response = await browser.get(callback)
    expect(response.statusCode).toBe(400)
    expect(response.body).toContain('This sign-in link has expired')
    expect(response.body).not.toContain(code)
    expect(fake.calls.map((call) => call.endpoint)).toEqual(['getuserinfo'])
    expect((await browser.session()).status).not.toBe(200)
  })

  it('a member outside the visible range (60011) is refused with a sentence saying why', async () => {
    const browser = h.browser()
    const { response } = await browser.login({ userid: 'wangwu' })
    expect(response.statusCode).toBe(502)
    expect(response.body).toContain('visible range')
    expect((await rows()).some((row) => row.memberKey === 'wangwu')).toBe(false)
  })

  it('a cancelled web login (state without code) ends on the cancelled page with no call', async () => {
    const browser = h.browser()
    const entryUrl = await browser.start()
    const redirect = new URL(entryUrl.searchParams.get('redirect_uri') ?? '')
    const response = await browser.get(`${redirect.pathname}?state=${entryUrl.searchParams.get('state')}`)
    expect(response.statusCode).toBe(403)
    expect(fake.calls).toEqual([])
  })
})

describe('an Instance that refuses non-members', () => {
  it('ends their login on a page saying staff only, and stores nothing', async () => {
    const own = await openWecomHarness(fake, { config: { allowNonMembers: false } })
    try {
      const browser = own.browser()
      const { response } = await browser.login({ openid: 'o-outsider' })
      expect(response.statusCode).toBe(502)
      expect(response.body).toContain('Only members of this company can sign in here')
      expect((await browser.session()).status).toBe(401)
      const stored = (await own.app.getElement(MODEL).query({ size: 10 })).rowDatas
      expect(stored).toEqual([])
    } finally {
      await own.close()
    }
  })
})
