import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import {
  WechatNetworkError,
  WechatProtocolError,
} from '../../types/auths/loginTypes/WechatPublicType/client/index.ts'
import {
  ACCESS_TOKEN,
  type Answer,
  APP_SECRET,
  CODE,
  json,
  OPENID,
  REFRESH_TOKEN,
  startFakeWechat,
  TOKEN,
  tokenBody,
  USERINFO,
  useFakeWechat,
} from './fake-wechat.ts'

const t = useFakeWechat({ retryBaseDelayMs: 5 })

describe('answers that are not a usable success are protocol errors, never echoed', () => {
  const cases: [string, Answer, string][] = [
    [
      'an HTML page',
      { body: '<html><body>系统繁忙 access_token=leak</body></html>', contentType: 'text/html' },
      'not_json',
    ],
    ['an empty body', { body: '' }, 'empty'],
    ['only whitespace', { body: ' \r\n ' }, 'empty'],
    ['a JSON array', { body: '[1,2]' }, 'not_json'],
    ['truncated JSON', { body: '{"access_token":"abc' }, 'not_json'],
    ['a huge body (declared length)', { body: `{"pad":"${'x'.repeat(70_000)}"}` }, 'too_large'],
    ['a huge body (chunked)', { body: `{"pad":"${'x'.repeat(70_000)}"}`, chunked: true }, 'too_large'],
    [
      'a body without access_token',
      json({ expires_in: 7200, refresh_token: 'r', openid: OPENID, scope: 's' }),
      'invalid_shape',
    ],
    ['a body without openid', json({ ...tokenBody(), openid: undefined }), 'invalid_shape'],
    ['errcode 0 instead of tokens', json({ errcode: 0, errmsg: 'ok' }), 'invalid_shape'],
    ['HTTP 404', { body: 'not here', status: 404 }, 'http_status'],
  ]

  it.each(cases)('%s', async (_, answer, problem) => {
    t.wechat.script(TOKEN, answer)
    const error = await t.client.validateAuthorizationCode(CODE).catch((e) => e)
    expect(error).toBeInstanceOf(WechatProtocolError)
    expect(error).toMatchObject({ code: 'WECHAT_PROTOCOL_ERROR', problem, endpoint: TOKEN })
    expect(error.message).not.toContain('leak')
    expect(error.message).not.toContain('xxxx')
    expect(t.wechat.codePresentations(CODE)).toBe(1)
  })

  it('names the missing fields without their values', async () => {
    t.wechat.script(TOKEN, json({ ...tokenBody(), access_token: 12345678, openid: undefined }))
    const error = await t.client.validateAuthorizationCode(CODE).catch((e) => e)
    expect(error.issues).toEqual(['access_token: invalid_type', 'openid: invalid_type'])
    expect(error.message).not.toContain('12345678')
  })

  it('a huge body does not poison the connection pool for the next call', async () => {
    t.wechat.script(USERINFO, { body: `{"pad":"${'x'.repeat(200_000)}"}` })
    await expect(t.client.getUserInfo(ACCESS_TOKEN, OPENID)).rejects.toMatchObject({ problem: 'too_large' })
    await expect(t.client.getUserInfo(ACCESS_TOKEN, OPENID)).resolves.toMatchObject({ openid: OPENID })
  })
})

describe('timeouts', () => {
  it('a hanging code exchange ends at the attempt timeout, timed out, not retried', async () => {
    t.client = t.connect({ attemptTimeoutMs: 300, totalDeadlineMs: 5000 })
    t.wechat.script(TOKEN, { hang: true })
    const startedAt = performance.now()
    const error = await t.client.validateAuthorizationCode(CODE).catch((e) => e)
    const elapsedMs = performance.now() - startedAt
    expect(error).toBeInstanceOf(WechatNetworkError)
    expect(error).toMatchObject({ timedOut: true, action: 'restart_authorization' })
    expect(elapsedMs).toBeGreaterThanOrEqual(290)
    expect(elapsedMs).toBeLessThan(5000)
    expect(t.wechat.codePresentations(CODE)).toBe(1)
  })

  it('the total deadline ends a call whose attempt timeout is longer', async () => {
    t.client = t.connect({ attemptTimeoutMs: 60_000, totalDeadlineMs: 400 })
    t.wechat.setDefault(USERINFO, { hang: true })
    const startedAt = performance.now()
    const error = await t.client.getUserInfo(ACCESS_TOKEN, OPENID).catch((e) => e)
    expect(error).toMatchObject({ name: 'WechatNetworkError', timedOut: true, action: 'retry' })
    expect(performance.now() - startedAt).toBeLessThan(10_000)
    expect(t.events.map((e) => e.outcome)).toEqual(['timeout'])
  })

  it('a body that stalls halfway also times out', async () => {
    t.client = t.connect({ attemptTimeoutMs: 300 })
    t.wechat.script(USERINFO, { body: '{"openid":"x"', delayMs: 60_000 })
    await expect(t.client.getUserInfo(ACCESS_TOKEN, OPENID)).rejects.toMatchObject({ timedOut: true })
  })
})

describe('no secret, code or token in any error or hook event', () => {
  const SECRETS = [APP_SECRET, CODE, ACCESS_TOKEN, REFRESH_TOKEN]
  const echoAll = `secret=${APP_SECRET} code=${CODE} token=${ACCESS_TOKEN} refresh=${REFRESH_TOKEN}`

  const failures: [string, Answer][] = [
    [
      'an errcode whose errmsg echoes the request',
      json({ errcode: 40029, errmsg: `invalid code ${echoAll}` }),
    ],
    ['an HTML page echoing the request', { body: `<html>${echoAll}</html>` }],
    ['a body that fails validation', json({ access_token: 1, echo: echoAll })],
    ['HTTP 500', { body: echoAll, status: 500 }],
    ['HTTP 403', { body: echoAll, status: 403 }],
    ['a reset', { reset: true }],
  ]

  function expectClean(value: unknown): void {
    const renderings = [String(value), JSON.stringify(value), inspect(value, { depth: 8, showHidden: true })]
    for (const text of renderings) for (const secret of SECRETS) expect(text).not.toContain(secret)
  }

  it.each(failures)('%s', async (_, answer) => {
    for (const endpoint of [
      '/sns/oauth2/access_token',
      '/sns/oauth2/refresh_token',
      '/sns/userinfo',
    ] as const) {
      t.wechat.setDefault(endpoint, answer)
    }
    const errors = [
      await t.client.validateAuthorizationCode(CODE).catch((e) => e),
      await t.client.refreshAccessToken(REFRESH_TOKEN).catch((e) => e),
      await t.client.getUserInfo(ACCESS_TOKEN, OPENID).catch((e) => e),
    ]
    for (const error of errors) {
      expect(error).toBeInstanceOf(Error)
      expectClean(error)
      expectClean(error.message)
    }
    expectClean(t.events)
  })

  it('a timeout', async () => {
    t.client = t.connect({ attemptTimeoutMs: 200 })
    t.wechat.setDefault(TOKEN, { hang: true })
    const error = await t.client.validateAuthorizationCode(CODE).catch((e) => e)
    expect(error.timedOut).toBe(true)
    expectClean(error)
  })

  it('a refused connection', async () => {
    await t.wechat.close()
    const error = await t.client.validateAuthorizationCode(CODE).catch((e) => e)
    expect(error).toBeInstanceOf(WechatNetworkError)
    expectClean(error)
    t.wechat = await startFakeWechat()
  })
})
