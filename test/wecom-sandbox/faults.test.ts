import { describe, expect, it, vi } from 'vitest'
import {
  type RunningWecomSandbox,
  startWecomSandbox,
} from '../../types/auths/loginTypes/QywxInnerType/sandbox/index.ts'
import {
  CALLBACK,
  CORP_ID,
  cgi,
  DEMO,
  inClientCode,
  rawRequest,
  tokenFor,
  useSandbox,
  WECOM_UA,
} from './helpers.ts'

let sandbox: RunningWecomSandbox
useSandbox((started) => {
  sandbox = started
})

const exchange = async (code: string) =>
  cgi(sandbox, 'auth/getuserinfo', { access_token: await tokenFor(sandbox), code })

describe('fault injection', () => {
  it("busy: -1 with WeCom's suffix; the code is not spent, the retry succeeds", async () => {
    const code = inClientCode(sandbox)
    const token = await tokenFor(sandbox)
    sandbox.setFault('getuserinfo', { kind: 'busy' })
    const busy = await cgi(sandbox, 'auth/getuserinfo', { access_token: token, code })
    expect(busy.errcode).toBe(-1)
    expect(busy.errmsg).toMatch(/^system busy, hint: \[/)
    expect((await cgi(sandbox, 'auth/getuserinfo', { access_token: token, code })).userid).toBe('ZhangWei')
    expect(sandbox.calls('getuserinfo').map((call) => call.errcode)).toEqual([undefined, 0])
  })

  it('42001 and 40014 on demand, once each', async () => {
    sandbox.setFault('getuserinfo', { kind: 'errcode', errcode: 42001 })
    sandbox.setFault('getuserinfo', { kind: 'errcode', errcode: 40014 })
    expect((await exchange(inClientCode(sandbox))).errcode).toBe(42001)
    expect((await exchange(inClientCode(sandbox))).errcode).toBe(40014)
    expect((await exchange(inClientCode(sandbox))).errcode).toBe(0)
  })

  it('quota: 45009 as a fault', async () => {
    sandbox.setFault('gettoken', { kind: 'quota' })
    const body = await cgi(sandbox, 'gettoken', { corpid: CORP_ID, corpsecret: DEMO.corpSecret })
    expect(body.errcode).toBe(45009)
    expect(body.errmsg).toContain('api freq out of limit')
  })

  it('5xx: an HTTP error status with a gateway HTML page', async () => {
    sandbox.setFault('user_get', { kind: 'status', status: 502 })
    const response = await rawRequest(`${sandbox.apiBaseUrl}/cgi-bin/user/get?access_token=x&userid=y`)
    expect(response.status).toBe(502)
    expect(response.headers['content-type']).toBe('text/html')
    expect(response.text).toContain('<title>502 Bad Gateway</title>')
  })

  it('body: any body, e.g. an empty 200', async () => {
    sandbox.setFault('gettoken', { kind: 'body', body: '' })
    const empty = await rawRequest(`${sandbox.apiBaseUrl}/cgi-bin/gettoken`)
    expect([empty.status, empty.text]).toEqual([200, ''])
  })

  it('reset: the connection is reset without an answer', async () => {
    sandbox.setFault('gettoken', { kind: 'reset' })
    await expect(rawRequest(`${sandbox.apiBaseUrl}/cgi-bin/gettoken`)).rejects.toMatchObject({
      code: 'ECONNRESET',
    })
    expect((await rawRequest(`${sandbox.apiBaseUrl}/cgi-bin/gettoken`)).status).toBe(200)
    expect(sandbox.counters().gettoken).toBe(2)
  })

  it('afterProcessing: the code is spent although the answer was lost', async () => {
    const code = inClientCode(sandbox)
    const token = await tokenFor(sandbox)
    sandbox.setFault('getuserinfo', { kind: 'status', status: 504 }, { afterProcessing: true })
    const lost = await rawRequest(
      `${sandbox.apiBaseUrl}/cgi-bin/auth/getuserinfo?access_token=${token}&code=${code}`,
    )
    expect(lost.status).toBe(504)
    expect((await cgi(sandbox, 'auth/getuserinfo', { access_token: token, code })).errcode).toBe(40029)
  })

  it('times and "always" on all endpoints; clearFaults ends them', async () => {
    sandbox.setFault('all', { kind: 'busy' }, { times: 'always' })
    expect((await cgi(sandbox, 'gettoken', { corpid: CORP_ID, corpsecret: DEMO.corpSecret })).errcode).toBe(
      -1,
    )
    expect((await cgi(sandbox, 'user/get', {})).errcode).toBe(-1)
    sandbox.clearFaults()
    expect((await cgi(sandbox, 'gettoken', { corpid: CORP_ID, corpsecret: DEMO.corpSecret })).errcode).toBe(0)
  })

  it('latency is configured per endpoint and adds up with "all"', () => {
    sandbox.setLatency(300, 'gettoken')
    sandbox.setLatency(50)
    expect(sandbox.latencyMs('gettoken')).toBe(350)
    expect(sandbox.latencyMs('user_get')).toBe(50)
  })

  it('faults on the login pages show as pages', async () => {
    sandbox.setFault('authorize', { kind: 'busy' })
    const url = sandbox.authorize({ agentid: DEMO.agentId, redirectUri: CALLBACK, state: 's' })
    expect(url).toContain('code=')
    const query = new URLSearchParams({
      appid: CORP_ID,
      redirect_uri: CALLBACK,
      response_type: 'code',
      scope: 'snsapi_base',
      state: 's',
    })
    const page = await rawRequest(`${sandbox.oauthBaseUrl}/connect/oauth2/authorize?${query}`, {
      headers: { 'user-agent': WECOM_UA },
    })
    expect(page.status).toBe(200)
    expect(page.text).toContain('errcode: -1')
    sandbox.setFault('web_login', { kind: 'status', status: 503 })
    const web = await rawRequest(`${sandbox.loginBaseUrl}/wwlogin/sso/login?${query}`)
    expect(web.status).toBe(503)
  })

  it('a malformed fault is refused with WECOM_SANDBOX_OPTION_INVALID', () => {
    const invalid = expect.objectContaining({ code: 'WECOM_SANDBOX_OPTION_INVALID' })
    expect(() => sandbox.setFault('gettoken', { kind: 'explode' } as never)).toThrow(invalid)
    expect(() => sandbox.setFault('token' as never, { kind: 'busy' })).toThrow(invalid)
    expect(() => sandbox.setLatency(-1)).toThrow(invalid)
    expect(() => sandbox.setSwitches({ tokenReuse: 'sometimes' } as never)).toThrow(invalid)
  })
})

describe('hang', () => {
  it('holds the call without an answer (later calls answer), until the sandbox closes', async () => {
    const own = await startWecomSandbox()
    own.setFault('gettoken', { kind: 'hang' })
    let settled: 'answered' | 'failed' | undefined
    const hung = rawRequest(
      `${own.apiBaseUrl}/cgi-bin/gettoken?corpid=${CORP_ID}&corpsecret=${DEMO.corpSecret}`,
    ).then(
      () => {
        settled = 'answered'
      },
      () => {
        settled = 'failed'
      },
    )
    await vi.waitFor(() => expect(own.counters().gettoken).toBe(1), { timeout: 15_000, interval: 20 })
    expect((await tokenFor(own)).length).toBe(214)
    expect(settled).toBeUndefined()
    await own.close()
    await hung
    expect(settled).toBe('failed')
  })
})
