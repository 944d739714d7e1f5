import { describe, expect, it } from 'vitest'
import type { RunningWechatSandbox } from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { APPS, CALLBACK, DEMO, exchange, rawRequest, SECRETS, sns, tokensFor, useSandbox } from './helpers.ts'

let sandbox: RunningWechatSandbox
useSandbox((started) => {
  sandbox = started
})

async function admin(method: string, path: string, body?: unknown) {
  const response = await rawRequest(`${sandbox.adminUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: response.status, json: JSON.parse(response.text) }
}

describe('admin API over HTTP (for suites in another process)', () => {
  it('lists its routes', async () => {
    const { status, json } = await admin('GET', '')
    expect(status).toBe(200)
    expect(json.routes.map((route: { path: string }) => route.path)).toContain('/__admin/clock/advance')
  })

  it('state: clock, switches, counters, apps without secrets, users with their openids', async () => {
    const { json } = await admin('GET', '/state')
    expect(json.switches.denyMode).toBe('stay')
    expect(json.counters).toEqual({
      authorize: 0,
      access_token: 0,
      refresh_token: 0,
      userinfo: 0,
      auth: 0,
      stable_token: 0,
    })
    expect(json.apps.find((app: { appid: string }) => app.appid === APPS.demo)).toMatchObject({
      name: 'jitlite Demo',
    })
    const text = JSON.stringify(json)
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret)
    const tokens = await tokensFor(sandbox, { user: 'momo' })
    const momo = (await admin('GET', '/state')).json.users.find(
      (user: { key: string }) => user.key === 'momo',
    )
    expect(momo.openids[APPS.demo]).toBe(tokens.openid)
    expect(momo.unionid).toBe(tokens.unionid)
  })

  it('clock advance and reset move token lifetimes', async () => {
    const tokens = await tokensFor(sandbox)
    const advanced = await admin('POST', '/clock/advance', { seconds: 7200 })
    expect(advanced.json.offsetSeconds).toBe(7200)
    const check = () =>
      sns(sandbox, '/sns/auth', { access_token: tokens.access_token, openid: tokens.openid })
    expect((await check()).body.errcode).toBe(42001)
    await admin('POST', '/clock/reset')
    expect((await check()).body.errcode).toBe(0)
  })

  it('switches, faults, latency, counters', async () => {
    expect((await admin('POST', '/switches', { expiredCodeErrcode: 42003 })).json.expiredCodeErrcode).toBe(
      42003,
    )
    const set = await admin('POST', '/faults', {
      endpoint: 'access_token',
      fault: { kind: 'busy' },
      times: 2,
    })
    expect(set.json.faults).toEqual([
      { endpoint: 'access_token', fault: { kind: 'busy' }, remaining: 2, afterProcessing: false },
    ])
    expect((await exchange(sandbox, 'x')).body.errcode).toBe(-1)
    expect((await admin('GET', '/counters')).json.access_token).toBe(1)
    expect((await admin('POST', '/latency', { ms: 5 })).json.latencyMs).toEqual({ all: 5 })
    expect((await admin('DELETE', '/faults')).json).toEqual({ faults: [], latencyMs: {} })
    expect((await exchange(sandbox, 'x')).body.errcode).toBe(40029)
    await admin('POST', '/counters/reset')
    expect((await admin('GET', '/counters')).json.access_token).toBe(0)
  })

  it('domains, default user, password change, authorize and deny', async () => {
    const authorize = {
      appid: APPS.demo,
      redirectUri: 'https://shop.example.net/cb',
      scope: 'snsapi_base',
      state: 's9',
    }
    const refused = await admin('POST', '/authorize', authorize)
    expect(refused.status).toBe(400)
    expect(refused.json.error).toMatchObject({ code: 'WECHAT_SANDBOX_AUTHORIZE_REFUSED', errcode: 10003 })
    expect(
      (await admin('POST', `/apps/${APPS.demo}/domains`, { domain: 'shop.example.net' })).json.domains,
    ).toContain('shop.example.net')
    await admin('POST', '/default-user', { user: 'ada' })
    const { json } = await admin('POST', '/authorize', authorize)
    expect(json.redirectUrl).toMatch(/^https:\/\/shop\.example\.net\/cb\?code=[0-9A-Za-z]{32}&state=s9$/)
    const tokens = (await exchange(sandbox, new URL(json.redirectUrl).searchParams.get('code')!)).body
    const state = (await admin('GET', '/state')).json
    expect(tokens.openid).toBe(
      state.users.find((user: { key: string }) => user.key === 'ada').openids[APPS.demo],
    )
    await admin('POST', '/users/ada/password-changed')
    const refresh = await sns(sandbox, '/sns/oauth2/refresh_token', {
      appid: APPS.demo,
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
    })
    expect(refresh.body.errcode).toBe(42007)
    expect(
      (await admin('POST', '/deny', { ...authorize, redirectUri: CALLBACK })).json.redirectUrl,
    ).toBeNull()
  })

  it('reset restores fixtures, switches, clock, counters and forgets tokens', async () => {
    const tokens = await tokensFor(sandbox)
    await admin('POST', `/apps/${APPS.demo}/domains`, { domain: 'other.example' })
    await admin('POST', '/switches', { denyMode: 'legacyRedirect' })
    await admin('POST', '/clock/advance', { seconds: 10 })
    await admin('POST', '/reset')
    const { json } = await admin('GET', '/state')
    expect(json.switches.denyMode).toBe('stay')
    expect(json.clock.offsetSeconds).toBe(0)
    expect(json.apps.find((app: { appid: string }) => app.appid === APPS.demo).domains).not.toContain(
      'other.example',
    )
    const check = await sns(sandbox, '/sns/auth', {
      access_token: tokens.access_token,
      openid: tokens.openid,
    })
    expect(check.body.errcode).toBe(40001)
  })

  it('malformed requests: 400 with a code and the field; unknown user or app: 404', async () => {
    const bad = await admin('POST', '/switches', { denyMode: 'sometimes' })
    expect(bad.status).toBe(400)
    expect(bad.json.error.code).toBe('WECHAT_SANDBOX_OPTION_INVALID')
    expect(bad.json.error.message).toContain('denyMode')
    expect((await admin('POST', '/clock/advance', { seconds: 'soon' })).status).toBe(400)
    expect((await admin('POST', '/faults', { endpoint: 'nowhere', fault: { kind: 'busy' } })).status).toBe(
      400,
    )
    expect((await admin('POST', '/users/nobody/password-changed')).status).toBe(404)
    expect(
      (await admin('POST', '/apps/wx0000000000000000/domains', { domain: 'a.example' })).json.error.code,
    ).toBe('WECHAT_SANDBOX_UNKNOWN_APP')
    const broken = await rawRequest(`${sandbox.adminUrl}/switches`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"denyMode":',
    })
    expect(broken.status).toBe(400)
    expect(JSON.parse(broken.text).error.code).toBe('WECHAT_SANDBOX_OPTION_INVALID')
  })

  it('never echoes a secret in an admin error', async () => {
    const response = await admin('POST', '/authorize', {
      appid: APPS.demo,
      redirectUri: CALLBACK,
      scope: 'snsapi_base',
      state: 's',
      secret: DEMO.appSecret,
    })
    expect(response.status).toBe(400)
    expect(JSON.stringify(response.json)).not.toContain(DEMO.appSecret)
  })
})
