import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import {
  WechatApiError,
  WechatNetworkError,
} from '../../types/auths/loginTypes/WechatPublicType/client/index.ts'
import {
  ACCESS_TOKEN,
  CODE,
  errcode,
  json,
  OPENID,
  REFRESH,
  REFRESH_TOKEN,
  startFakeWechat,
  TOKEN,
  tokenBody,
  USERINFO,
  useFakeWechat,
} from './fake-wechat.ts'

const t = useFakeWechat({ retryBaseDelayMs: 20, quotaRetryBaseDelayMs: 200 })

describe('retries on calls that are safe to repeat', () => {
  it('-1 then success: one retry, and the call succeeds', async () => {
    t.wechat.script(USERINFO, errcode(-1, 'system error'))
    const user = await t.client.getUserInfo(ACCESS_TOKEN, OPENID)
    expect(user.openid).toBe(OPENID)
    expect(t.wechat.callsTo(USERINFO)).toHaveLength(2)
    expect(t.events.map((e) => [e.attempt, e.outcome, e.errcode])).toEqual([
      [1, 'errcode', -1],
      [2, 'ok', undefined],
    ])
  })

  it('45011 then success: waits at least half the quota step before the retry', async () => {
    t.client = t.connect({ random: () => 0 })
    t.wechat.script(REFRESH, errcode(45011, 'api minute-quota reach limit'))
    await t.client.refreshAccessToken(REFRESH_TOKEN)
    const [first, second] = t.wechat.callsTo(REFRESH)
    expect(t.events[0].retryInMs).toBe(100)
    expect(second.arrivedAt - first.arrivedAt).toBeGreaterThanOrEqual(95)
  })

  it('45011 backs off longer than -1 for the same draw of jitter', async () => {
    t.client = t.connect({ random: () => 0.5 })
    t.wechat.script(USERINFO, errcode(-1), errcode(45011))
    await t.client.getUserInfo(ACCESS_TOKEN, OPENID)
    expect(t.events.map((e) => e.retryInMs)).toEqual([10, 300, undefined])
  })

  it('HTTP 5xx then success, and a reset connection then success', async () => {
    t.wechat.script(REFRESH, { body: '<html>502 Bad Gateway</html>', status: 502, contentType: 'text/html' })
    t.wechat.script(REFRESH, { reset: true })
    const tokens = await t.client.refreshAccessToken(REFRESH_TOKEN)
    expect(tokens.access_token).toBe(ACCESS_TOKEN)
    expect(t.events.map((e) => e.outcome)).toEqual(['http_status', 'network', 'ok'])
    expect(t.wechat.callsTo(REFRESH)).toHaveLength(3)
  })

  it('is bounded: -1 forever makes 1 + maxRetries calls, then throws the WeChat error', async () => {
    t.wechat.setDefault(USERINFO, errcode(-1, 'system error'))
    const error = await t.client.getUserInfo(ACCESS_TOKEN, OPENID).catch((e) => e)
    expect(error).toBeInstanceOf(WechatApiError)
    expect(error).toMatchObject({ errcode: -1, errmsg: 'system error', action: 'retry' })
    expect(t.wechat.callsTo(USERINFO)).toHaveLength(3)
  })

  it('5xx forever ends with a network error carrying the status', async () => {
    t.wechat.setDefault(USERINFO, { body: '', status: 503 })
    const error = await t.client.getUserInfo(ACCESS_TOKEN, OPENID).catch((e) => e)
    expect(error).toBeInstanceOf(WechatNetworkError)
    expect(error).toMatchObject({ status: 503, timedOut: false, action: 'retry' })
    expect(t.wechat.callsTo(USERINFO)).toHaveLength(3)
  })

  it('stops retrying when the next wait would pass the total deadline', async () => {
    t.client = t.connect({ totalDeadlineMs: 1000, quotaRetryBaseDelayMs: 4000, maxRetryDelayMs: 10_000 })
    t.wechat.setDefault(USERINFO, errcode(45011))
    const error = await t.client.getUserInfo(ACCESS_TOKEN, OPENID).catch((e) => e)
    expect(error).toMatchObject({ errcode: 45011, action: 'back_off' })
    expect(t.wechat.callsTo(USERINFO)).toHaveLength(1)
  })

  it('45009 (daily quota) is never retried', async () => {
    t.wechat.script(USERINFO, errcode(45009, 'reach max api daily quota limit'))
    await expect(t.client.getUserInfo(ACCESS_TOKEN, OPENID)).rejects.toMatchObject({
      errcode: 45009,
      action: 'back_off',
    })
    expect(t.wechat.callsTo(USERINFO)).toHaveLength(1)
  })
})

describe('the code exchange never presents a code twice', () => {
  it('-1 then success: WeChat did not take the code up, so one retry, and the exchange succeeds', async () => {
    t.wechat.script(TOKEN, errcode(-1, 'system error'))
    expect(await t.client.validateAuthorizationCode(CODE)).toMatchObject({ openid: OPENID })
    expect(t.events.map((e) => [e.attempt, e.outcome])).toEqual([
      [1, 'errcode'],
      [2, 'ok'],
    ])
  })

  it('-1 on every try: bounded, and the caller is told to restart authorization with a fresh code', async () => {
    t.wechat.setDefault(TOKEN, errcode(-1, 'system error'))
    const error = await t.client.validateAuthorizationCode(CODE).catch((e) => e)
    expect(error).toMatchObject({ errcode: -1, action: 'restart_authorization' })
    expect(error.advice).toMatch(/fresh code/)
    expect(t.events).toHaveLength(3)
  })

  it.each([
    ['HTTP 500', { body: 'oops', status: 500 } as const],
    ['a reset connection', { reset: true } as const],
  ])('after %s: one presentation, and the caller is told to restart authorization', async (_, answer) => {
    t.wechat.script(TOKEN, answer)
    const error = await t.client.validateAuthorizationCode(CODE).catch((e) => e)
    expect(error.action).toBe('restart_authorization')
    expect(error.advice).toMatch(/fresh code/)
    expect(t.wechat.codePresentations(CODE)).toBe(1)
    expect(t.events).toHaveLength(1)
    expect(t.events[0].retryInMs).toBeUndefined()
  })

  it.each([
    [40029, 'invalid code'],
    [40163, 'code been used'],
    [40125, 'invalid appsecret'],
  ])('errcode %i: no retry', async (code, errmsg) => {
    t.wechat.script(TOKEN, errcode(code, errmsg))
    const error = await t.client.validateAuthorizationCode(CODE).catch((e) => e)
    expect(error).toBeInstanceOf(WechatApiError)
    expect(error.errmsg).toBe(errmsg)
    expect(error.action).toBe(code === 40125 ? 'fix_configuration' : 'restart_authorization')
    expect(t.wechat.codePresentations(CODE)).toBe(1)
  })

  it('a connection that never opened is retried: nothing reached WeChat', async () => {
    const port = await closedPort()
    t.client = t.connect({ apiBaseUrl: `http://127.0.0.1:${port}` })
    const error = await t.client.validateAuthorizationCode(CODE).catch((e) => e)
    expect(error).toBeInstanceOf(WechatNetworkError)
    expect(error.action).toBe('retry')
    expect((error.cause as { code?: string }).code).toBe('ECONNREFUSED')
    expect(t.events.map((e) => e.outcome)).toEqual(['network', 'network', 'network'])
  })

  it('succeeds after a refused connection once the server is up (same code, first presentation)', async () => {
    const port = await closedPort()
    t.client = t.connect({ apiBaseUrl: `http://127.0.0.1:${port}`, retryBaseDelayMs: 2000, random: () => 1 })
    const exchange = t.client.validateAuthorizationCode(CODE).catch((error) => error)
    // The first attempt is refused; during its backoff a server comes up on that port.
    await expect.poll(() => t.events.length, { timeout: 10_000 }).toBe(1)
    const fake = await startFakeWechat(port)
    expect(await exchange).toMatchObject({ openid: OPENID })
    expect(fake.codePresentations(CODE)).toBe(1)
    await fake.close()
  })
})

describe('the answer a token endpoint gives on success is kept as is', () => {
  it('returns what the last, successful attempt answered', async () => {
    t.wechat.script(REFRESH, errcode(-1), json(tokenBody({ access_token: 'second_attempt_token' })))
    expect((await t.client.refreshAccessToken(REFRESH_TOKEN)).access_token).toBe('second_attempt_token')
  })
})

async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
