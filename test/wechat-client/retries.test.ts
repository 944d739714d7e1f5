import { createServer } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  WechatApiError,
  type WechatAttemptEvent,
  WechatNetworkError,
  WechatOAuthClient,
  type WechatOAuthClientOptions,
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
} from './fake-wechat.ts'

const CODE = '061Ab2Ga1Lx9ZF0xYyJa1RrbAC4Ab2GK'
const TOKEN = '/sns/oauth2/access_token'
const REFRESH = '/sns/oauth2/refresh_token'
const USERINFO = '/sns/userinfo'

let wechat: FakeWechat
let client: WechatOAuthClient
let events: WechatAttemptEvent[]

function connect(options: WechatOAuthClientOptions = {}): WechatOAuthClient {
  events = []
  return new WechatOAuthClient(APP_ID, APP_SECRET, {
    apiBaseUrl: wechat.baseUrl,
    retryBaseDelayMs: 20,
    quotaRetryBaseDelayMs: 200,
    onAttempt: (event) => events.push(event),
    ...options,
  })
}

beforeEach(async () => {
  wechat = await startFakeWechat()
  client = connect()
})
afterEach(async () => {
  await client.close()
  await wechat.close()
})

describe('retries on calls that are safe to repeat', () => {
  it('-1 then success: one retry, and the call succeeds', async () => {
    wechat.script(USERINFO, errcode(-1, 'system error'))
    const user = await client.getUserInfo(ACCESS_TOKEN, OPENID)
    expect(user.openid).toBe(OPENID)
    expect(wechat.callsTo(USERINFO)).toHaveLength(2)
    expect(events.map((e) => [e.attempt, e.outcome, e.errcode])).toEqual([
      [1, 'errcode', -1],
      [2, 'ok', undefined],
    ])
  })

  it('45011 then success: waits at least half the quota step before the retry', async () => {
    client = connect({ random: () => 0 })
    wechat.script(REFRESH, errcode(45011, 'api minute-quota reach limit'))
    await client.refreshAccessToken(REFRESH_TOKEN)
    const [first, second] = wechat.callsTo(REFRESH)
    expect(events[0].retryInMs).toBe(100)
    expect(second.arrivedAt - first.arrivedAt).toBeGreaterThanOrEqual(95)
  })

  it('45011 backs off longer than -1 for the same draw of jitter', async () => {
    client = connect({ random: () => 0.5 })
    wechat.script(USERINFO, errcode(-1), errcode(45011))
    await client.getUserInfo(ACCESS_TOKEN, OPENID)
    expect(events.map((e) => e.retryInMs)).toEqual([10, 300, undefined])
  })

  it('HTTP 5xx then success, and a reset connection then success', async () => {
    wechat.script(REFRESH, { body: '<html>502 Bad Gateway</html>', status: 502, contentType: 'text/html' })
    wechat.script(REFRESH, { reset: true })
    const tokens = await client.refreshAccessToken(REFRESH_TOKEN)
    expect(tokens.access_token).toBe(ACCESS_TOKEN)
    expect(events.map((e) => e.outcome)).toEqual(['http_status', 'network', 'ok'])
    expect(wechat.callsTo(REFRESH)).toHaveLength(3)
  })

  it('is bounded: -1 forever makes 1 + maxRetries calls, then throws the WeChat error', async () => {
    wechat.setDefault(USERINFO, errcode(-1, 'system error'))
    const error = await client.getUserInfo(ACCESS_TOKEN, OPENID).catch((e) => e)
    expect(error).toBeInstanceOf(WechatApiError)
    expect(error).toMatchObject({ errcode: -1, errmsg: 'system error', action: 'retry' })
    expect(wechat.callsTo(USERINFO)).toHaveLength(3)
  })

  it('5xx forever ends with a network error carrying the status', async () => {
    wechat.setDefault(USERINFO, { body: '', status: 503 })
    const error = await client.getUserInfo(ACCESS_TOKEN, OPENID).catch((e) => e)
    expect(error).toBeInstanceOf(WechatNetworkError)
    expect(error).toMatchObject({ status: 503, timedOut: false, action: 'retry' })
    expect(wechat.callsTo(USERINFO)).toHaveLength(3)
  })

  it('stops retrying when the next wait would pass the total deadline', async () => {
    client = connect({ totalDeadlineMs: 1000, quotaRetryBaseDelayMs: 4000, maxRetryDelayMs: 10_000 })
    wechat.setDefault(USERINFO, errcode(45011))
    const error = await client.getUserInfo(ACCESS_TOKEN, OPENID).catch((e) => e)
    expect(error).toMatchObject({ errcode: 45011, action: 'back_off' })
    expect(wechat.callsTo(USERINFO)).toHaveLength(1)
  })

  it('45009 (daily quota) is never retried', async () => {
    wechat.script(USERINFO, errcode(45009, 'reach max api daily quota limit'))
    await expect(client.getUserInfo(ACCESS_TOKEN, OPENID)).rejects.toMatchObject({
      errcode: 45009,
      action: 'back_off',
    })
    expect(wechat.callsTo(USERINFO)).toHaveLength(1)
  })
})

describe('the code exchange never presents a code twice', () => {
  it('-1 then success: WeChat did not take the code up, so one retry, and the exchange succeeds', async () => {
    wechat.script(TOKEN, errcode(-1, 'system error'))
    expect(await client.validateAuthorizationCode(CODE)).toMatchObject({ openid: OPENID })
    expect(events.map((e) => [e.attempt, e.outcome])).toEqual([
      [1, 'errcode'],
      [2, 'ok'],
    ])
  })

  it('-1 on every try: bounded, and the caller is told to restart authorization with a fresh code', async () => {
    wechat.setDefault(TOKEN, errcode(-1, 'system error'))
    const error = await client.validateAuthorizationCode(CODE).catch((e) => e)
    expect(error).toMatchObject({ errcode: -1, action: 'restart_authorization' })
    expect(error.advice).toMatch(/fresh code/)
    expect(events).toHaveLength(3)
  })

  it.each([
    ['HTTP 500', { body: 'oops', status: 500 } as const],
    ['a reset connection', { reset: true } as const],
  ])('after %s: one presentation, and the caller is told to restart authorization', async (_, answer) => {
    wechat.script(TOKEN, answer)
    const error = await client.validateAuthorizationCode(CODE).catch((e) => e)
    expect(error.action).toBe('restart_authorization')
    expect(error.advice).toMatch(/fresh code/)
    expect(wechat.codePresentations(CODE)).toBe(1)
    expect(events).toHaveLength(1)
    expect(events[0].retryInMs).toBeUndefined()
  })

  it.each([
    [40029, 'invalid code'],
    [40163, 'code been used'],
    [40125, 'invalid appsecret'],
  ])('errcode %i: no retry', async (code, errmsg) => {
    wechat.script(TOKEN, errcode(code, errmsg))
    const error = await client.validateAuthorizationCode(CODE).catch((e) => e)
    expect(error).toBeInstanceOf(WechatApiError)
    expect(error.errmsg).toBe(errmsg)
    expect(error.action).toBe(code === 40125 ? 'fix_configuration' : 'restart_authorization')
    expect(wechat.codePresentations(CODE)).toBe(1)
  })

  it('a connection that never opened is retried: nothing reached WeChat', async () => {
    const port = await closedPort()
    client = connect({ apiBaseUrl: `http://127.0.0.1:${port}` })
    const error = await client.validateAuthorizationCode(CODE).catch((e) => e)
    expect(error).toBeInstanceOf(WechatNetworkError)
    expect(error.action).toBe('retry')
    expect((error.cause as { code?: string }).code).toBe('ECONNREFUSED')
    expect(events.map((e) => e.outcome)).toEqual(['network', 'network', 'network'])
  })

  it('succeeds after a refused connection once the server is up (same code, first presentation)', async () => {
    const port = await closedPort()
    client = connect({ apiBaseUrl: `http://127.0.0.1:${port}`, retryBaseDelayMs: 2000, random: () => 1 })
    const exchange = client.validateAuthorizationCode(CODE).catch((error) => error)
    // The first attempt is refused; during its backoff a server comes up on that port.
    await expect.poll(() => events.length, { timeout: 10_000 }).toBe(1)
    const fake = await startFakeWechat(port)
    expect(await exchange).toMatchObject({ openid: OPENID })
    expect(fake.codePresentations(CODE)).toBe(1)
    await fake.close()
  })
})

describe('the answer a token endpoint gives on success is kept as is', () => {
  it('returns what the last, successful attempt answered', async () => {
    wechat.script(REFRESH, errcode(-1), json(tokenBody({ access_token: 'second_attempt_token' })))
    expect((await client.refreshAccessToken(REFRESH_TOKEN)).access_token).toBe('second_attempt_token')
  })
})

async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
