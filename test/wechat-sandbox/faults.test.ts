import { describe, expect, it, vi } from 'vitest'
import type { RunningWechatSandbox } from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import {
  APPS,
  authorizeUrl,
  codeFor,
  DEMO,
  errorPageCode,
  exchange,
  orderedParams,
  rawRequest,
  sns,
  startSandbox,
  tokensFor,
  useSandbox,
} from './helpers.ts'

let sandbox: RunningWechatSandbox
useSandbox((started) => {
  sandbox = started
})

const auth = (tokens: Record<string, any>) =>
  sns(sandbox, '/sns/auth', { access_token: tokens.access_token, openid: tokens.openid })

describe('per-endpoint call counters', () => {
  it('count every call, refused and faulted ones included, and reset', async () => {
    await rawRequest(authorizeUrl(sandbox, orderedParams()))
    await rawRequest(authorizeUrl(sandbox, orderedParams({ appid: '' })))
    const tokens = await tokensFor(sandbox)
    await exchange(sandbox, 'bad')
    sandbox.setFault('auth', { kind: 'busy' })
    await auth(tokens)
    await auth(tokens)
    await sns(sandbox, '/sns/oauth2/refresh_token', {})
    await sns(sandbox, '/sns/userinfo', {})
    expect(sandbox.counters()).toEqual({
      authorize: 2,
      access_token: 2,
      refresh_token: 1,
      userinfo: 1,
      auth: 2,
      stable_token: 0,
    })
    sandbox.resetCounters()
    expect(sandbox.counters()).toEqual({
      authorize: 0,
      access_token: 0,
      refresh_token: 0,
      userinfo: 0,
      auth: 0,
      stable_token: 0,
    })
  })
})

describe('fault injection', () => {
  it('busy: the next call answers -1 (the code is not spent), then the exchange succeeds', async () => {
    const code = codeFor(sandbox)
    sandbox.setFault('access_token', { kind: 'busy' })
    const busy = await exchange(sandbox, code)
    expect(busy.raw.status).toBe(200)
    expect(busy.body.errcode).toBe(-1)
    expect(busy.body.errmsg).toMatch(/, rid: /)
    expect((await exchange(sandbox, code)).body.access_token).toBeDefined()
  })

  it('quota: 45011 as a fault, and for real beyond the per-minute quota until the next minute', async () => {
    const tokens = await tokensFor(sandbox)
    sandbox.setFault('auth', { kind: 'quota' })
    expect((await auth(tokens)).body.errcode).toBe(45011)
    sandbox.reset()
    const fresh = await tokensFor(sandbox)
    sandbox.setSwitches({ quotaPerMinute: 2 })
    sandbox.clock.advance(60 - ((sandbox.clock.nowMs() / 1000) % 60) + 1)
    expect((await auth(fresh)).body.errcode).toBe(0)
    expect((await auth(fresh)).body.errcode).toBe(0)
    expect((await auth(fresh)).body.errcode).toBe(45011)
    sandbox.clock.advance(60)
    expect((await auth(fresh)).body.errcode).toBe(0)
  })

  it('5xx: an HTTP error status with a gateway HTML page', async () => {
    sandbox.setFault('userinfo', { kind: 'status', status: 502 })
    const response = await rawRequest(`${sandbox.apiBaseUrl}/sns/userinfo?access_token=x&openid=y`)
    expect(response.status).toBe(502)
    expect(response.headers['content-type']).toBe('text/html')
    expect(response.text).toContain('<title>502 Bad Gateway</title>')
  })

  it('body: any body with any status, e.g. an empty 200 or an HTML login page', async () => {
    sandbox.setFault('access_token', { kind: 'body', body: '' })
    sandbox.setFault('access_token', { kind: 'body', body: '<html>login</html>', contentType: 'text/html' })
    const empty = await rawRequest(`${sandbox.apiBaseUrl}/sns/oauth2/access_token`)
    expect([empty.status, empty.text]).toEqual([200, ''])
    const html = await rawRequest(`${sandbox.apiBaseUrl}/sns/oauth2/access_token`)
    expect([html.status, html.headers['content-type'], html.text]).toEqual([
      200,
      'text/html',
      '<html>login</html>',
    ])
  })

  it('reset: the connection is reset without an answer', async () => {
    sandbox.setFault('refresh_token', { kind: 'reset' })
    await expect(rawRequest(`${sandbox.apiBaseUrl}/sns/oauth2/refresh_token`)).rejects.toMatchObject({
      code: 'ECONNRESET',
    })
    expect((await rawRequest(`${sandbox.apiBaseUrl}/sns/oauth2/refresh_token`)).status).toBe(200)
  })

  it('latency: added before the answer of the chosen endpoint', async () => {
    const tokens = await tokensFor(sandbox)
    sandbox.setLatency(300, 'auth')
    const startedAt = performance.now()
    expect((await auth(tokens)).body.errcode).toBe(0)
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(290)
    expect(sandbox.latencyMs('auth')).toBe(300)
    expect(sandbox.latencyMs('userinfo')).toBe(0)
    sandbox.setLatency(50)
    expect(sandbox.latencyMs('auth')).toBe(350)
  })

  it('times and "always": a fault answers that many calls; clearFaults ends "always"', async () => {
    const tokens = await tokensFor(sandbox)
    sandbox.setFault('auth', { kind: 'busy' }, { times: 2 })
    const codes = []
    for (let i = 0; i < 3; i++) codes.push((await auth(tokens)).body.errcode)
    expect(codes).toEqual([-1, -1, 0])
    sandbox.setFault('all', { kind: 'errcode', errcode: 45009 }, { times: 'always' })
    expect((await auth(tokens)).body.errcode).toBe(45009)
    expect((await exchange(sandbox, 'x')).body.errcode).toBe(45009)
    sandbox.clearFaults()
    expect((await auth(tokens)).body.errcode).toBe(0)
  })

  it('afterProcessing: the code is spent although the answer was lost', async () => {
    const code = codeFor(sandbox)
    sandbox.setFault('access_token', { kind: 'status', status: 504 }, { afterProcessing: true })
    const lost = await rawRequest(
      `${sandbox.apiBaseUrl}/sns/oauth2/access_token?appid=${APPS.demo}&secret=${DEMO.appSecret}&code=${code}&grant_type=authorization_code`,
    )
    expect(lost.status).toBe(504)
    expect((await exchange(sandbox, code)).body.errcode).toBe(40163)
  })

  it('faults on the authorize page show as WeChat pages', async () => {
    sandbox.setFault('authorize', { kind: 'busy' })
    expect(errorPageCode((await rawRequest(authorizeUrl(sandbox, orderedParams()))).text)).toBe(-1)
    sandbox.setFault('authorize', { kind: 'status', status: 503 })
    const unavailable = await rawRequest(authorizeUrl(sandbox, orderedParams()))
    expect(unavailable.status).toBe(503)
    expect(unavailable.text).toContain('<title>503 Service Unavailable</title>')
  })

  it('a malformed fault is refused with WECHAT_SANDBOX_OPTION_INVALID', () => {
    expect(() => sandbox.setFault('access_token', { kind: 'explode' } as never)).toThrow(
      expect.objectContaining({ code: 'WECHAT_SANDBOX_OPTION_INVALID' }),
    )
    expect(() => sandbox.setFault('token' as never, { kind: 'busy' })).toThrow(
      expect.objectContaining({ code: 'WECHAT_SANDBOX_OPTION_INVALID' }),
    )
    expect(() => sandbox.setLatency(-1)).toThrow(
      expect.objectContaining({ code: 'WECHAT_SANDBOX_OPTION_INVALID' }),
    )
  })
})

describe('hang', () => {
  it('holds the call without an answer (later calls answer), until the sandbox closes', async () => {
    const own = await startSandbox()
    const tokens = await tokensFor(own)
    own.setFault('auth', { kind: 'hang' })
    let settled: 'answered' | 'failed' | undefined
    const hung = rawRequest(
      `${own.apiBaseUrl}/sns/auth?access_token=${tokens.access_token}&openid=${tokens.openid}`,
    ).then(
      () => {
        settled = 'answered'
      },
      () => {
        settled = 'failed'
      },
    )
    await vi.waitFor(() => expect(own.counters().auth).toBe(1), { timeout: 15_000, interval: 20 })
    const later = await rawRequest(
      `${own.apiBaseUrl}/sns/auth?access_token=${tokens.access_token}&openid=${tokens.openid}`,
    )
    expect(later.text).toBe('{"errcode":0,"errmsg":"ok"}')
    expect(settled).toBeUndefined()
    await own.close()
    await hung
    expect(settled).toBe('failed')
  })
})
