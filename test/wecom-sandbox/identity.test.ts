import { describe, expect, it } from 'vitest'
import type { RunningWecomSandbox } from '../../types/auths/loginTypes/QywxInnerType/sandbox/index.ts'
import {
  APPS,
  CALLBACK,
  cgi,
  cgiPost,
  codeOf,
  DEMO,
  inClientCode,
  rawRequest,
  tokenFor,
  useSandbox,
} from './helpers.ts'

let sandbox: RunningWecomSandbox
useSandbox((started) => {
  sandbox = started
})

const getuserinfo = (token: string, code: string, legacy = false) =>
  cgi(sandbox, legacy ? 'user/getuserinfo' : 'auth/getuserinfo', { access_token: token, code })

describe('auth/getuserinfo: code -> identity', () => {
  it('a member in-client with snsapi_base: userid only, errcode first', async () => {
    const token = await tokenFor(sandbox)
    const raw = await rawRequest(
      `${sandbox.apiBaseUrl}/cgi-bin/auth/getuserinfo?access_token=${token}&code=${inClientCode(sandbox)}`,
    )
    expect(raw.text).toMatch(/^\{"errcode":0,"errmsg":"ok","userid":"ZhangWei"\}$/)
  })

  it('a code is single-use: the second presentation answers 40029', async () => {
    const token = await tokenFor(sandbox)
    const code = inClientCode(sandbox)
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect((await getuserinfo(token, code)).userid).toBe('ZhangWei')
    expect((await getuserinfo(token, code)).errcode).toBe(40029)
    expect(sandbox.calls('getuserinfo').map((call) => call.errcode)).toEqual([0, 40029])
  })

  it('a code expires after 5 minutes unused (40029), and 41008 without one', async () => {
    const token = await tokenFor(sandbox)
    const code = inClientCode(sandbox)
    sandbox.clock.advance(300)
    expect((await getuserinfo(token, code)).errcode).toBe(40029)
    expect((await cgi(sandbox, 'auth/getuserinfo', { access_token: token })).errcode).toBe(41008)
    const fresh = inClientCode(sandbox)
    sandbox.clock.advance(299)
    expect((await getuserinfo(token, fresh)).errcode).toBe(0)
  })

  it('a non-member gets an openid (and external_userid for a customer), never a userid', async () => {
    const token = await tokenFor(sandbox)
    const guest = await getuserinfo(token, inClientCode(sandbox, { person: 'guest' }))
    expect(guest).toEqual({ errcode: 0, errmsg: 'ok', openid: 'oAAAAAq3Vb7mYk2cL0nGx8PzRwTs' })
    const customer = await getuserinfo(token, inClientCode(sandbox, { person: 'customer' }))
    expect(customer.openid).toBe('oAAAAAr9Kd1pQx5sM7tHz2LyBvNe')
    expect(customer.external_userid).toMatch(/^wm/)
    expect(customer.userid).toBeUndefined()
  })

  it("50001 when the token's app does not trust the host the code was obtained for", async () => {
    const elsewhereToken = await tokenFor(sandbox, APPS.elsewhere.secret)
    const code = inClientCode(sandbox)
    expect((await getuserinfo(elsewhereToken, code)).errcode).toBe(50001)
    // The code was not spent by the refusal: the right app can still use it.
    expect((await getuserinfo(await tokenFor(sandbox), code)).errcode).toBe(0)
  })

  it('another app trusting the same host may exchange the code, unless codeBoundToAgent', async () => {
    const legacyToken = await tokenFor(sandbox, APPS.legacy.secret)
    expect((await getuserinfo(legacyToken, inClientCode(sandbox))).errcode).toBe(0)
    sandbox.setSwitches({ codeBoundToAgent: true })
    expect((await getuserinfo(legacyToken, inClientCode(sandbox))).errcode).toBe(40029)
  })

  it('legacy user/getuserinfo: capitalised keys, DeviceId, data before errcode', async () => {
    const token = await tokenFor(sandbox)
    const raw = await rawRequest(
      `${sandbox.apiBaseUrl}/cgi-bin/user/getuserinfo?access_token=${token}&code=${inClientCode(sandbox)}`,
    )
    const body = JSON.parse(raw.text)
    expect(Object.keys(body)).toEqual(['UserId', 'DeviceId', 'errcode', 'errmsg'])
    expect(body.UserId).toBe('ZhangWei')
    const guest = await getuserinfo(token, inClientCode(sandbox, { person: 'guest' }), true)
    expect(guest.OpenId).toBe('oAAAAAq3Vb7mYk2cL0nGx8PzRwTs')
    expect(sandbox.counters().legacy_getuserinfo).toBe(2)
  })

  it('switches: legacyKeys on the new endpoint, keyOrder dataFirst, escaped slashes', async () => {
    const token = await tokenFor(sandbox)
    sandbox.setSwitches({ legacyKeys: true, keyOrder: 'dataFirst' })
    const body = await getuserinfo(token, inClientCode(sandbox))
    expect(Object.keys(body)).toEqual(['UserId', 'DeviceId', 'errcode', 'errmsg'])
    sandbox.setSwitches({ escapeSlashes: true })
    const raw = await rawRequest(
      `${sandbox.apiBaseUrl}/cgi-bin/auth/getuserinfo?access_token=${token}&code=bad`,
    )
    expect(raw.text).toContain('https:\\/\\/open.work.weixin.qq.com\\/devtool')
  })
})

describe('user_ticket and auth/getuserdetail', () => {
  const detail = (token: string, ticket: unknown) =>
    cgiPost(sandbox, 'auth/getuserdetail', { access_token: token }, JSON.stringify({ user_ticket: ticket }))

  it('privateinfo gives a ticket; getuserdetail answers the enabled fields, the others withheld', async () => {
    const token = await tokenFor(sandbox)
    const info = await getuserinfo(token, inClientCode(sandbox, { scope: 'snsapi_privateinfo' }))
    expect(info.userid).toBe('ZhangWei')
    expect(info.user_ticket).toMatch(/^[A-Za-z0-9_-]{1,512}$/)
    expect(info.expires_in).toBeUndefined()
    const body = await detail(token, info.user_ticket)
    expect(body).toMatchObject({
      errcode: 0,
      userid: 'ZhangWei',
      gender: '1',
      mobile: '13800000001',
      email: 'zhangwei@aurora.example',
      biz_mail: 'zhangwei@aurora.wecom.work',
      // Not enabled for this app: empty.
      address: '',
      qr_code: '',
    })
    expect(body.name).toBeUndefined()
    const avatar = await rawRequest(body.avatar)
    expect(avatar.headers['content-type']).toBe('image/svg+xml')
    expect(avatar.text).toContain('张伟')
  })

  it('an app with no field enabled: gender "0", a default avatar, the rest empty (or absent with the switch)', async () => {
    const token = await tokenFor(sandbox, APPS.legacy.secret)
    const info = await getuserinfo(
      token,
      inClientCode(sandbox, { scope: 'snsapi_privateinfo', agentid: APPS.legacy.agentId }),
    )
    const body = await detail(token, info.user_ticket)
    expect(body).toMatchObject({ gender: '0', mobile: '', email: '' })
    expect(body.avatar).toMatch(/\/pictures\/default$/)
    sandbox.setSwitches({ withheldDetail: 'absent' })
    const again = await getuserinfo(
      token,
      inClientCode(sandbox, { scope: 'snsapi_privateinfo', agentid: APPS.legacy.agentId }),
    )
    const absent = await detail(token, again.user_ticket)
    expect('mobile' in absent).toBe(false)
    expect(absent.gender).toBe('0')
  })

  it('no ticket for snsapi_base, for web login, for a non-member, or without agentid', async () => {
    const token = await tokenFor(sandbox)
    expect((await getuserinfo(token, inClientCode(sandbox))).user_ticket).toBeUndefined()
    const web = codeOf(sandbox.webLogin({ agentid: DEMO.agentId, redirectUri: CALLBACK, state: 'w' }))
    expect((await getuserinfo(token, web)).user_ticket).toBeUndefined()
    const guest = await getuserinfo(
      token,
      inClientCode(sandbox, { scope: 'snsapi_privateinfo', person: 'guest' }),
    )
    expect(guest.user_ticket).toBeUndefined()
    const noAgent = await getuserinfo(
      token,
      inClientCode(sandbox, { scope: 'snsapi_privateinfo', agentid: undefined }),
    )
    expect(noAgent.user_ticket).toBeUndefined()
  })

  it("a ticket lives 1800 s; expired, unknown or another app's ticket answers the switch's errcode", async () => {
    const token = await tokenFor(sandbox)
    sandbox.setSwitches({ ticketExpiresIn: true })
    const info = await getuserinfo(token, inClientCode(sandbox, { scope: 'snsapi_privateinfo' }))
    expect(info.expires_in).toBe(1800)
    const legacyToken = await tokenFor(sandbox, APPS.legacy.secret)
    expect((await detail(legacyToken, info.user_ticket)).errcode).toBe(40029)
    sandbox.clock.advance(1799)
    expect((await detail(token, info.user_ticket)).errcode).toBe(0)
    sandbox.clock.advance(1)
    sandbox.setSwitches({ badTicketErrcode: 40078 })
    expect((await detail(await tokenFor(sandbox), info.user_ticket)).errcode).toBe(40078)
  })

  it('malformed JSON answers 47001 with the "wrong json format" warning', async () => {
    const token = await tokenFor(sandbox)
    const body = await cgiPost(sandbox, 'auth/getuserdetail', { access_token: token }, '{"user_ticket":')
    expect(body.errcode).toBe(47001)
    expect(body.errmsg).toContain('Warning: wrong json format.')
  })
})

describe('user/get and the 2022-06-20 rule', () => {
  it('an app created after 2022-06-20 gets name, department, position but no sensitive field', async () => {
    const body = await cgi(sandbox, 'user/get', { access_token: await tokenFor(sandbox), userid: 'ZhangWei' })
    expect(body).toMatchObject({
      errcode: 0,
      userid: 'ZhangWei',
      name: '张伟',
      department: [2],
      position: '研发经理',
      status: 1,
    })
    for (const key of [
      'avatar',
      'thumb_avatar',
      'gender',
      'mobile',
      'email',
      'biz_mail',
      'qr_code',
      'address',
    ])
      expect(key in body, key).toBe(false)
  })

  it('withheldProfile "null" keeps the keys with null values', async () => {
    sandbox.setSwitches({ withheldProfile: 'null' })
    const body = await cgi(sandbox, 'user/get', { access_token: await tokenFor(sandbox), userid: 'ZhangWei' })
    expect(body.mobile).toBeNull()
    expect(body.avatar).toBeNull()
  })

  it('an app created before keeps the full profile', async () => {
    const body = await cgi(sandbox, 'user/get', {
      access_token: await tokenFor(sandbox, APPS.legacy.secret),
      userid: 'lina',
    })
    expect(body).toMatchObject({
      name: '李娜',
      mobile: '13800000002',
      gender: '2',
      email: 'lina@aurora.example',
    })
    expect(body.avatar).toMatch(/\/pictures\/member\//)
  })

  it('userids match ignoring case and come back as stored; 60111 unknown, 40003 malformed, 41009 missing', async () => {
    const token = await tokenFor(sandbox)
    expect((await cgi(sandbox, 'user/get', { access_token: token, userid: 'zhangwei' })).userid).toBe(
      'ZhangWei',
    )
    expect((await cgi(sandbox, 'user/get', { access_token: token, userid: 'nobody' })).errcode).toBe(60111)
    expect((await cgi(sandbox, 'user/get', { access_token: token, userid: '-bad id' })).errcode).toBe(40003)
    expect((await cgi(sandbox, 'user/get', { access_token: token })).errcode).toBe(41009)
  })

  it('visible range: 60011 for a member the app cannot see, who still gets a userid from getuserinfo', async () => {
    const sales = await tokenFor(sandbox, APPS.salesOnly.secret)
    expect((await cgi(sandbox, 'user/get', { access_token: sales, userid: 'lina' })).errcode).toBe(0)
    expect((await cgi(sandbox, 'user/get', { access_token: sales, userid: 'chen.jie' })).errcode).toBe(0)
    expect((await cgi(sandbox, 'user/get', { access_token: sales, userid: 'ZhangWei' })).errcode).toBe(60011)
    const code = inClientCode(sandbox, { agentid: APPS.salesOnly.agentId })
    expect((await getuserinfo(sales, code)).userid).toBe('ZhangWei')
  })

  it('department/list and user/list stay inside the visible range', async () => {
    const sales = await tokenFor(sandbox, APPS.salesOnly.secret)
    const departments = await cgi(sandbox, 'department/list', { access_token: sales })
    expect(departments.department.map((d: { id: number }) => d.id)).toEqual([3])
    expect((await cgi(sandbox, 'department/list', { access_token: sales, id: 1 })).errcode).toBe(60011)
    const staff = await tokenFor(sandbox)
    const all = await cgi(sandbox, 'user/list', { access_token: staff, department_id: 1, fetch_child: 1 })
    expect(all.userlist.map((u: { userid: string }) => u.userid)).toEqual([
      'ZhangWei',
      'lina',
      'chen.jie',
      'Emily_Wang',
      'wangqiang',
    ])
    const one = await cgi(sandbox, 'user/list', { access_token: staff, department_id: 4 })
    expect(one.userlist.map((u: { userid: string }) => u.userid)).toEqual([
      'chen.jie',
      'Emily_Wang',
      'wangqiang',
    ])
    expect((await cgi(sandbox, 'user/list', { access_token: staff, department_id: 99 })).errcode).toBe(60123)
  })
})
