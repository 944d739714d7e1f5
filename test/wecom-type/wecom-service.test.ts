/** QywxInnerAuthSvc, JitAi's service of the Type, and the Instance's config as written. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../runtime/index.ts'
import { WecomApiError } from '../../types/auths/loginTypes/QywxInnerType/client/index.ts'
import { resolveWecomHosts } from '../../types/auths/loginTypes/QywxInnerType/config.ts'
import { writeTempTree } from '../helpers/temp-app.ts'
import { CORP, type FakeWecom, startFakeWecom } from './fake-wecom.ts'
import { MODEL, openWecomHarness, SVC, TEST_KEY, type WecomHarness, wecomAppTree } from './helpers.ts'

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

describe('QywxInnerAuthSvc', () => {
  it('getLoginConfig: corpId, agentId, the callback, a fresh state, and both entry URLs with it', () => {
    const svc = h.app.getElement(SVC)
    const first = svc.getLoginConfig()
    const second = svc.getLoginConfig()
    expect(first).toMatchObject({
      corpId: CORP.corpId,
      agentId: CORP.agentId,
      redirectUri: 'http://127.0.0.1:3000/api/tests/wecom/auths/loginTypes/StaffLogin/callback',
    })
    expect(first.state).toMatch(/^[A-Za-z0-9]{32}$/)
    expect(second.state).not.toBe(first.state)
    const web = new URL(first.webLoginUrl)
    expect(web.searchParams.get('state')).toBe(first.state)
    expect(web.searchParams.get('login_type')).toBe('CorpApp')
    expect(first.authorizeUrl).toMatch(/#wechat_redirect$/)
    expect(JSON.stringify(first)).not.toContain(CORP.corpSecret)
  })

  it('getLoginCode, getUserInfo and getAccessToken share the one cached app token', async () => {
    fake.calls.length = 0
    const svc = h.app.getElement(SVC)
    const user = await svc.getLoginCode(fake.issueCode({ userid: 'lisi' }), 'abc123')
    expect(user).toMatchObject({
      kind: 'member',
      userId: 'lisi',
      name: '李四',
      department: [3],
      position: 'Designer',
    })
    expect(user.mobile).toBeUndefined()
    const again = await svc.getUserInfo('LISI')
    expect(again).toMatchObject({ userId: 'lisi', name: '李四' })
    const token = await svc.getAccessToken()
    expect(fake.calls.map((call) => call.endpoint)).toEqual([
      'gettoken',
      'getuserinfo',
      'user_get',
      'user_get',
    ])
    expect(fake.calls.slice(1).every((call) => call.query.access_token === token)).toBe(true)
    const rows = (await h.app.getElement(MODEL).query({ filter: { memberKey: 'lisi' } })).rowDatas
    expect(rows).toHaveLength(1)
  })

  it("throws WeCom's refusals as WecomApiError with the client's move, never the code", async () => {
    const svc = h.app.getElement(SVC)
    const code = fake.issueCode({ userid: 'lisi' })
    await svc.getLoginCode(code)
    const error = await svc.getLoginCode(code).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WecomApiError)
    expect(error).toMatchObject({ errcode: 40029, action: 'restart_authorization', errmsg: 'invalid code' })
    expect((error as Error).message).not.toContain(code)
    await expect(svc.getUserInfo('nobody')).rejects.toMatchObject({ errcode: 60111, action: 'deny' })
    await expect(svc.getLoginCode(fake.issueCode({ userid: 'lisi' }), 'not a state!')).rejects.toThrow(
      'state must be',
    )
  })
})

describe('the Instance config', () => {
  it('names the field and the fix of a wrong corpId, secret or agentId', async () => {
    const dir = writeTempTree(
      wecomAppTree(fake, { corpId: 'wx123', corpSecret: 'has spaces in it', agentId: 'agent' }),
      'jitlite-wecom-bad-',
    )
    const app = await createApp({ appDir: dir, env: { JIT_SECRET_KEY: TEST_KEY } })
    try {
      const text = app.problems.map((p) => p.format()).join('\n')
      expect(text).toContain('corpId')
      expect(text).toContain('Corp ID')
      expect(text).toContain('corpSecret')
      expect(text).toContain('agentId')
      expect(text).not.toContain('has spaces in it')
    } finally {
      await app.close()
    }
  })

  it('takes the hosts from the config, else WECOM_*_BASE_URL, else WeCom, and refuses a malformed variable', () => {
    expect(resolveWecomHosts({}, {})).toEqual({
      oauthBaseUrl: 'https://open.weixin.qq.com',
      loginBaseUrl: 'https://login.work.weixin.qq.com',
      apiBaseUrl: 'https://qyapi.weixin.qq.com',
    })
    expect(
      resolveWecomHosts(
        { apiBaseUrl: 'http://a.example/' },
        { WECOM_API_BASE_URL: 'http://b.example', WECOM_LOGIN_BASE_URL: 'http://c.example' },
      ),
    ).toMatchObject({
      apiBaseUrl: 'http://a.example',
      loginBaseUrl: 'http://c.example',
    })
    expect(() => resolveWecomHosts({}, { WECOM_API_BASE_URL: 'http://x.example/?q=1' })).toThrow(
      /WECOM_API_BASE_URL/,
    )
  })

  it('production refuses the sandbox demo secret', async () => {
    const dir = writeTempTree(
      wecomAppTree(fake, { corpSecret: 'axmChhEVia0jF1HOefg1JHC4SMwT1AxDzTbaNPsZ0iY' }),
      'jitlite-wecom-prod-',
    )
    const app = await createApp({ appDir: dir, env: { JIT_SECRET_KEY: TEST_KEY }, mode: 'production' })
    try {
      const text = app.problems.map((p) => p.format()).join('\n')
      expect(text).toContain("WeCom sandbox's demo secret")
      expect(text).not.toContain('axmChhEVia0jF1HOefg1JHC4SMwT1AxDzTbaNPsZ0iY')
    } finally {
      await app.close()
    }
  })
})
