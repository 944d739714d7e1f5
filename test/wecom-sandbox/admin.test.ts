import { describe, expect, it } from 'vitest'
import type { RunningWecomSandbox } from '../../types/auths/loginTypes/QywxInnerType/sandbox/index.ts'
import { APPS, CALLBACK, CORP_ID, cgi, codeOf, DEMO, rawRequest, tokenFor, useSandbox } from './helpers.ts'

let sandbox: RunningWecomSandbox
useSandbox((started) => {
  sandbox = started
})

async function admin(method: string, path: string, body?: unknown) {
  const response = await rawRequest(`${sandbox.adminUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: response.status, body: JSON.parse(response.text) }
}

describe('admin API (another process drives the sandbox over HTTP)', () => {
  it('state: corp, apps without secrets, members with the apps that see them', async () => {
    const { status, body } = await admin('GET', '/state')
    expect(status).toBe(200)
    expect(body.corp.corpid).toBe(CORP_ID)
    expect(body.apps.map((app: { agentid: number }) => app.agentid)).toEqual([
      1000002, 1000003, 1000004, 1000005,
    ])
    expect(JSON.stringify(body)).not.toContain(DEMO.corpSecret)
    const zhang = body.members.find((member: { key: string }) => member.key === 'zhangwei')
    expect(zhang.visibleTo).toEqual([1000002, 1000003, 1000005])
    expect((await admin('GET', '')).body.routes.length).toBeGreaterThan(10)
  })

  it('calls and counters: the calls that reached the sandbox, with their errcode', async () => {
    await tokenFor(sandbox)
    await cgi(sandbox, 'gettoken', { corpid: CORP_ID, corpsecret: 'x'.repeat(43) })
    const { body } = await admin('GET', '/calls?endpoint=gettoken')
    expect(body.map((call: { errcode: number }) => call.errcode)).toEqual([0, 40001])
    expect((await admin('GET', '/counters')).body.gettoken).toBe(2)
    await admin('POST', '/counters/reset')
    expect((await admin('GET', '/calls')).body).toEqual([])
    expect((await admin('GET', '/calls?endpoint=nope')).status).toBe(400)
  })

  it('clock, switches, faults and token invalidation', async () => {
    const token = await tokenFor(sandbox)
    expect((await admin('POST', '/clock/advance', { seconds: 7200 })).body.offsetSeconds).toBe(7200)
    expect((await cgi(sandbox, 'user/get', { access_token: token, userid: 'lina' })).errcode).toBe(42001)
    await admin('POST', '/clock/reset')
    expect((await admin('POST', '/switches', { expiredTokenErrcode: 40014 })).body.expiredTokenErrcode).toBe(
      40014,
    )
    expect((await admin('POST', '/switches', { expiredTokenErrcode: 1 })).status).toBe(400)
    await admin('POST', '/faults', { endpoint: 'user_get', fault: { kind: 'errcode', errcode: 42001 } })
    expect((await cgi(sandbox, 'user/get', { access_token: token, userid: 'lina' })).errcode).toBe(42001)
    expect((await admin('POST', '/tokens/invalidate', { agentid: DEMO.agentId })).body.invalidated).toBe(1)
    expect((await cgi(sandbox, 'user/get', { access_token: token, userid: 'lina' })).errcode).toBe(40014)
  })

  it('apps: domains, trusted IPs, secret reset; the caller IP override', async () => {
    const added = await admin('POST', `/apps/${APPS.elsewhere.agentId}/domains`, { domain: '127.0.0.1:3000' })
    expect(added.body.webLoginDomains).toContain('127.0.0.1:3000')
    const token = await tokenFor(sandbox)
    await admin('POST', '/caller-ip', { ip: '198.51.100.1' })
    expect((await cgi(sandbox, 'user/get', { access_token: token, userid: 'lina' })).errcode).toBe(60020)
    await admin('POST', `/apps/${DEMO.agentId}/trusted-ips`, { ips: ['198.51.100.1'] })
    expect((await cgi(sandbox, 'user/get', { access_token: token, userid: 'lina' })).errcode).toBe(0)
    const { body } = await admin('POST', `/apps/${DEMO.agentId}/secret/reset`)
    expect((await cgi(sandbox, 'gettoken', { corpid: CORP_ID, corpsecret: body.secret })).errcode).toBe(0)
    expect((await admin('POST', '/apps/42/secret/reset')).body.error.code).toBe('WECOM_SANDBOX_UNKNOWN_APP')
  })

  it('authorize and web-login give callback URLs; errors are coded', async () => {
    const { body } = await admin('POST', '/authorize', {
      redirectUri: CALLBACK,
      state: 'a1',
      agentid: DEMO.agentId,
      person: 'lina',
    })
    expect(
      (
        await cgi(sandbox, 'auth/getuserinfo', {
          access_token: await tokenFor(sandbox),
          code: codeOf(body.redirectUrl),
        })
      ).userid,
    ).toBe('lina')
    const web = await admin('POST', '/web-login', {
      agentid: DEMO.agentId,
      redirectUri: CALLBACK,
      state: 'w',
      legacyPage: true,
    })
    expect(new URL(web.body.redirectUrl).searchParams.get('appid')).toBe(CORP_ID)
    const refused = await admin('POST', '/web-login', {
      agentid: APPS.salesOnly.agentId,
      redirectUri: CALLBACK,
      state: 'w',
      member: 'zhangwei',
    })
    expect(refused.status).toBe(400)
    expect(refused.body.error.code).toBe('WECOM_SANDBOX_LOGIN_REFUSED')
    expect(refused.body.error.message).toContain('无权限')
    expect(
      (await admin('POST', '/authorize', { redirectUri: CALLBACK, state: 'a', person: 'ghost' })).status,
    ).toBe(404)
  })

  it('reset puts everything back', async () => {
    await admin('POST', '/switches', { legacyKeys: true })
    await admin('POST', '/default-member', { member: 'lina' })
    await admin('POST', '/reset')
    const { body } = await admin('GET', '/state')
    expect(body.switches.legacyKeys).toBe(false)
    expect(body.defaultMember).toBe('zhangwei')
  })
})
