/**
 * docs/wechat-protocol.md#error-moves, row by row, on the endpoint where each errcode occurs: what the
 * service throws, the move it asks of the caller, how many calls reached each endpoint, and that
 * nothing was stored from a failed exchange.
 */
import { describe, expect, it } from 'vitest'
import {
  WechatApiError,
  WechatNetworkError,
} from '../../types/auths/loginTypes/WechatPublicType/client/index.ts'
import { codeFor, DEMO, MODEL, openWechatApp, SVC, useSandboxAndSharedApp, useTestKey } from './helpers.ts'

useTestKey()
const { sandbox, app } = useSandboxAndSharedApp({
  Login: {},
  WrongSecret: { appSecret: '0123456789abcdef0123456789abcdef' },
  UnknownApp: { appId: 'wx0000000000000000' },
})

const svc = (instance = 'Login') => app.getElement(SVC(instance))
const model = () => app.getElement(MODEL('Login'))
const rowCount = async () => (await model().query({})).totalCount as number

async function failure(promise: Promise<unknown>): Promise<Error & Record<string, any>> {
  try {
    await promise
  } catch (error) {
    return error as Error & Record<string, any>
  }
  throw new Error('expected a rejection')
}

/** A user stored by a real login; returns its openid. */
async function storedUser(user = 'lin'): Promise<string> {
  const { openid } = await svc().getUserInfo(codeFor(sandbox, { user }))
  sandbox.resetCounters()
  return openid
}

async function expireStoredToken(openid: string): Promise<void> {
  const row = await model().get({ appId: DEMO.appId, openid })
  await model().updateByPK(row.id, { expiresAt: new Date(Date.now() - 1000) })
}

describe('code exchange (/sns/oauth2/access_token): never presented twice, nothing stored on failure', () => {
  it('-1 then success: WeChat did not take the code up, one retry, the login succeeds (SECURITY case 10)', async () => {
    const before = await rowCount()
    sandbox.setFault('access_token', { kind: 'busy' })
    const user = await svc().getUserInfo(codeFor(sandbox, { user: 'lin' }))
    expect(user.nickname).toBeTruthy()
    expect(sandbox.counters()).toMatchObject({ access_token: 2, userinfo: 1 })
    expect(await rowCount()).toBe(before + 1)
  })

  it.each([
    ['-1 (busy) on every try', { kind: 'busy' }, -1],
    ['45011 (minute quota) on every try', { kind: 'quota' }, 45011],
  ] as const)(
    '%s: bounded retries, then restart authorization, nothing stored',
    async (_, fault, errcode) => {
      const before = await rowCount()
      sandbox.setFault('access_token', fault, { times: 'always' })
      const error = await failure(svc().getUserInfo(codeFor(sandbox)))
      expect(error).toMatchObject({ errcode, action: 'restart_authorization' })
      expect(sandbox.counters()).toMatchObject({ access_token: 3, userinfo: 0 })
      expect(await rowCount()).toBe(before)
    },
  )

  it.each([
    ['45009 (daily quota)', { kind: 'errcode', errcode: 45009 }, 45009, 'back_off'],
    ['41008 (code missing)', { kind: 'errcode', errcode: 41008 }, 41008, 'restart_authorization'],
    ['41002 (appid missing)', { kind: 'errcode', errcode: 41002 }, 41002, 'fix_configuration'],
    ['41004 (secret missing)', { kind: 'errcode', errcode: 41004 }, 41004, 'fix_configuration'],
  ] as const)('%s: one call, action %s', async (_, fault, errcode, action) => {
    const before = await rowCount()
    sandbox.setFault('access_token', fault)
    const error = await failure(svc().getUserInfo(codeFor(sandbox)))
    expect(error).toBeInstanceOf(WechatApiError)
    expect(error).toMatchObject({ errcode, action })
    expect(error.errmsg).not.toMatch(/rid:/)
    expect(sandbox.counters()).toMatchObject({ access_token: 1, userinfo: 0 })
    expect(await rowCount()).toBe(before)
  })

  it('40029 (unknown code): no retry, restart authorization', async () => {
    const error = await failure(svc().getUserInfo('0'.repeat(32)))
    expect(error).toMatchObject({ errcode: 40029, action: 'restart_authorization' })
    expect(sandbox.counters()).toMatchObject({ access_token: 1, userinfo: 0 })
  })

  it('40163 (code used): the second presentation of a code fails, no retry, the first login stays', async () => {
    const code = codeFor(sandbox, { user: 'kai' })
    await svc().getUserInfo(code)
    const before = await rowCount()
    const error = await failure(svc().getUserInfo(code))
    expect(error).toMatchObject({ errcode: 40163, action: 'restart_authorization' })
    expect(sandbox.counters()).toMatchObject({ access_token: 2, userinfo: 1 })
    expect(await rowCount()).toBe(before)
  })

  it('42003 (code expired, where WeChat says so rather than 40029)', async () => {
    sandbox.setSwitches({ expiredCodeErrcode: 42003 })
    const code = codeFor(sandbox)
    sandbox.clock.advance(301)
    const error = await failure(svc().getUserInfo(code))
    expect(error).toMatchObject({ errcode: 42003, action: 'restart_authorization' })
    expect(sandbox.counters().access_token).toBe(1)
  })

  it('40125 (wrong secret): no retry, fix appSecret; the message never carries the secret', async () => {
    const error = await failure(svc('WrongSecret').getUserInfo(codeFor(sandbox)))
    expect(error).toMatchObject({ errcode: 40125, action: 'fix_configuration' })
    expect(error.message).toContain('appSecret')
    expect(JSON.stringify(error)).not.toContain('0123456789abcdef0123456789abcdef')
    expect(sandbox.counters().access_token).toBe(1)
  })

  it('40001 on the exchange (older servers: wrong secret) is a configuration error, not a token one', async () => {
    sandbox.setSwitches({ badSecretErrcode: 40001 })
    const error = await failure(svc('WrongSecret').getUserInfo(codeFor(sandbox)))
    expect(error).toMatchObject({ errcode: 40001, action: 'fix_configuration' })
    expect(error.message).toContain('appSecret')
  })

  it('40013 (unknown appid): fix appId', async () => {
    const error = await failure(svc('UnknownApp').getUserInfo('A'.repeat(32)))
    expect(error).toMatchObject({ errcode: 40013, action: 'fix_configuration' })
    expect(error.message).toContain('appId')
  })

  it('a hanging token endpoint: the call ends at the deadline with a network error, nothing stored', async () => {
    const opened = await openWechatApp(sandbox, { Login: { attemptTimeoutMs: 300, totalDeadlineMs: 600 } })
    try {
      sandbox.setFault('access_token', { kind: 'hang' })
      const started = performance.now()
      const error = await failure(opened.app.getElement(SVC('Login')).getUserInfo(codeFor(sandbox)))
      expect(error).toBeInstanceOf(WechatNetworkError)
      expect(error).toMatchObject({ timedOut: true, action: 'restart_authorization' })
      // The sandbox never answers a hung call: only our own deadline can have ended it (the bound is loose on purpose).
      expect(performance.now() - started).toBeLessThan(10_000)
      expect(sandbox.counters()).toMatchObject({ access_token: 1, userinfo: 0 })
      expect((await opened.app.getElement(MODEL('Login')).query({})).totalCount).toBe(0)
    } finally {
      await opened.app.close()
    }
  })
})

describe('userinfo after a fresh exchange (/sns/userinfo)', () => {
  it('-1 then success: one retry, the login succeeds', async () => {
    sandbox.setFault('userinfo', { kind: 'busy' })
    const user = await svc().getUserInfo(codeFor(sandbox, { user: 'ada' }))
    expect(user.nickname).toBe('Ada Zhou')
    expect(sandbox.counters()).toMatchObject({ access_token: 1, userinfo: 2 })
  })

  it('45011 then success: backs off, then one retry', async () => {
    sandbox.setFault('userinfo', { kind: 'quota' })
    const user = await svc().getUserInfo(codeFor(sandbox, { user: 'ada' }))
    expect(user.nickname).toBe('Ada Zhou')
    expect(sandbox.counters()).toMatchObject({ access_token: 1, userinfo: 2 })
  })

  it.each([
    [45009, 'back_off'],
    [48001, 'fix_configuration'],
    [40003, 'reject'],
  ] as const)('%i: no retry, action %s, nothing stored', async (errcode, action) => {
    const before = await rowCount()
    sandbox.setFault('userinfo', { kind: 'errcode', errcode })
    const error = await failure(svc().getUserInfo(codeFor(sandbox, { user: 'ada' })))
    expect(error).toMatchObject({ errcode, action })
    expect(sandbox.counters()).toMatchObject({ access_token: 1, userinfo: 1 })
    expect(await rowCount()).toBe(before)
  })

  it('48001 says which setting to fix', async () => {
    sandbox.setFault('userinfo', { kind: 'errcode', errcode: 48001 })
    const error = await failure(svc().getUserInfo(codeFor(sandbox)))
    expect(error.message).toContain('snsapi_userinfo')
  })

  it('a hanging userinfo: retried within the deadline, then a network error, nothing stored', async () => {
    const opened = await openWechatApp(sandbox, { Login: { attemptTimeoutMs: 300, totalDeadlineMs: 900 } })
    try {
      sandbox.setFault('userinfo', { kind: 'hang' }, { times: 'always' })
      const error = await failure(opened.app.getElement(SVC('Login')).getUserInfo(codeFor(sandbox)))
      expect(error).toMatchObject({ name: 'WechatNetworkError', timedOut: true })
      expect(sandbox.counters().access_token).toBe(1)
      expect(sandbox.counters().userinfo).toBeGreaterThanOrEqual(1)
      expect(sandbox.counters().userinfo).toBeLessThanOrEqual(3)
      expect((await opened.app.getElement(MODEL('Login')).query({})).totalCount).toBe(0)
    } finally {
      await opened.app.close()
    }
  })
})

describe('userinfo with a stored token (getUserInfoByOpenid)', () => {
  it('42001 (WeChat says expired, we thought not): refresh once, retry once, success', async () => {
    const openid = await storedUser()
    sandbox.clock.advance(7201)
    const user = await svc().getUserInfoByOpenid(openid)
    expect(user.nickname).toBe('林小雨')
    expect(sandbox.counters()).toMatchObject({ userinfo: 2, refresh_token: 1 })
  })

  it.each([40001, 40014])('%i (token invalid): refresh once, retry once, success', async (errcode) => {
    const openid = await storedUser()
    sandbox.setFault('userinfo', { kind: 'errcode', errcode })
    expect((await svc().getUserInfoByOpenid(openid)).openid).toBe(openid)
    expect(sandbox.counters()).toMatchObject({ userinfo: 2, refresh_token: 1 })
  })

  it('42001 again after the refresh: gives up (no loop), action refresh_token', async () => {
    const openid = await storedUser()
    sandbox.setFault('userinfo', { kind: 'errcode', errcode: 42001 }, { times: 2 })
    const error = await failure(svc().getUserInfoByOpenid(openid))
    expect(error).toMatchObject({ errcode: 42001, action: 'refresh_token' })
    expect(sandbox.counters()).toMatchObject({ userinfo: 2, refresh_token: 1 })
  })

  it('40003 (openid does not match the token): rejected, no refresh', async () => {
    const openid = await storedUser()
    sandbox.setFault('userinfo', { kind: 'errcode', errcode: 40003 })
    const error = await failure(svc().getUserInfoByOpenid(openid))
    expect(error).toMatchObject({ errcode: 40003, action: 'reject' })
    expect(sandbox.counters()).toMatchObject({ userinfo: 1, refresh_token: 0 })
  })
})

describe('refresh of a stored token (/sns/oauth2/refresh_token)', () => {
  async function expectCleared(openid: string) {
    const row = await model().get({ appId: DEMO.appId, openid })
    expect(row).toMatchObject({ accessToken: null, refreshToken: null, expiresAt: null, nickname: '林小雨' })
    sandbox.resetCounters()
    await expect(svc().getUserInfoByOpenid(openid)).rejects.toMatchObject({
      code: 'WECHAT_TOKENS_CLEARED',
      action: 'restart_authorization',
    })
    expect(sandbox.counters()).toMatchObject({ userinfo: 0, refresh_token: 0 })
  }

  it('40030 (refresh token invalid): stored tokens cleared, re-authorize', async () => {
    const openid = await storedUser()
    await expireStoredToken(openid)
    sandbox.setFault('refresh_token', { kind: 'errcode', errcode: 40030 })
    const error = await failure(svc().getUserInfoByOpenid(openid))
    expect(error).toMatchObject({ errcode: 40030, action: 'clear_tokens' })
    expect(sandbox.counters()).toMatchObject({ refresh_token: 1, userinfo: 0 })
    await expectCleared(openid)
  })

  it('42002 (refresh token expired after 30 days): stored tokens cleared', async () => {
    const openid = await storedUser()
    sandbox.clock.advance(31 * 24 * 3600)
    const error = await failure(svc().getUserInfoByOpenid(openid))
    expect(error).toMatchObject({ errcode: 42002, action: 'clear_tokens' })
    expect(sandbox.counters()).toMatchObject({ userinfo: 1, refresh_token: 1 })
    await expectCleared(openid)
  })

  it('42007 (the user changed their password): stored tokens cleared', async () => {
    const openid = await storedUser()
    await expireStoredToken(openid)
    sandbox.userChangedPassword('lin')
    const error = await failure(svc().getUserInfoByOpenid(openid))
    expect(error).toMatchObject({ errcode: 42007, action: 'clear_tokens' })
    expect(sandbox.counters()).toMatchObject({ refresh_token: 1, userinfo: 0 })
    await expectCleared(openid)
  })

  it('42007 answered by userinfo itself: stored tokens cleared too', async () => {
    const openid = await storedUser()
    sandbox.userChangedPassword('lin')
    const error = await failure(svc().getUserInfoByOpenid(openid))
    expect(error).toMatchObject({ errcode: 42007, action: 'clear_tokens' })
    await expectCleared(openid)
  })

  it('-1 then success on refresh: one retry, the new token stored', async () => {
    const openid = await storedUser()
    await expireStoredToken(openid)
    sandbox.setFault('refresh_token', { kind: 'busy' })
    expect((await svc().getUserInfoByOpenid(openid)).openid).toBe(openid)
    expect(sandbox.counters()).toMatchObject({ refresh_token: 2, userinfo: 1 })
    const row = await model().get({ appId: DEMO.appId, openid })
    expect(row.expiresAt.getTime()).toBeGreaterThan(Date.now() + 3600_000)
  })
})

describe('validate (/sns/auth)', () => {
  it.each([40001, 42001, 40014, 40003])('%i: false, one call', async (errcode) => {
    const { access_token, openid } = await svc().getAccessToken(codeFor(sandbox))
    sandbox.resetCounters()
    sandbox.setFault('auth', { kind: 'errcode', errcode })
    expect(await svc().validateAccessToken(access_token, openid)).toBe(false)
    expect(sandbox.counters().auth).toBe(1)
  })

  it('-1 then ok: one retry, true', async () => {
    const { access_token, openid } = await svc().getAccessToken(codeFor(sandbox))
    sandbox.resetCounters()
    sandbox.setFault('auth', { kind: 'busy' })
    expect(await svc().validateAccessToken(access_token, openid)).toBe(true)
    expect(sandbox.counters().auth).toBe(2)
  })

  it('an expired token (sandbox clock past 7200 s): false', async () => {
    const { access_token, openid } = await svc().getAccessToken(codeFor(sandbox))
    sandbox.clock.advance(7201)
    expect(await svc().validateAccessToken(access_token, openid)).toBe(false)
  })
})
