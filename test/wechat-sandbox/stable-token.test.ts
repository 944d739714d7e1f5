import { describe, expect, it } from 'vitest'
import type { RunningWechatSandbox } from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { APPS, DEMO, parseWechatJson, rawRequest, useSandbox } from './helpers.ts'

let sandbox: RunningWechatSandbox
useSandbox((started) => {
  sandbox = started
})

async function stableToken(body: unknown, contentType = 'application/json') {
  const raw = await rawRequest(`${sandbox.apiBaseUrl}/cgi-bin/stable_token`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  return { status: raw.status, body: parseWechatJson(raw.text), text: raw.text }
}

const good = { grant_type: 'client_credential', appid: DEMO.appId, secret: DEMO.appSecret }

describe('POST /cgi-bin/stable_token', () => {
  it('answers the same token for its lifetime, a new one after it or on force_refresh', async () => {
    const first = await stableToken(good)
    expect(first.status).toBe(200)
    expect(first.body.access_token).toMatch(/^86_[A-Za-z0-9_-]{104}$/)
    expect(first.body.expires_in).toBe(7200)
    const again = await stableToken(good)
    expect(again.body.access_token).toBe(first.body.access_token)
    sandbox.clock.advance(7200)
    const later = await stableToken(good)
    expect(later.body.access_token).not.toBe(first.body.access_token)
    const forced = await stableToken({ ...good, force_refresh: true })
    expect(forced.body.access_token).not.toBe(later.body.access_token)
    expect(sandbox.counters().stable_token).toBe(4)
  })

  it("answers WeChat's errors: unknown appid, wrong secret, missing fields, bad grant, not JSON", async () => {
    expect((await stableToken({ ...good, appid: 'wx00000000000000ff' })).body.errcode).toBe(40013)
    const wrong = await stableToken({ ...good, secret: 'ffffffffffffffffffffffffffffffff' })
    expect(wrong.status).toBe(200)
    expect(wrong.body).toMatchObject({ errcode: 40125 })
    expect(wrong.body.errmsg).toMatch(/^invalid appsecret, rid: /)
    expect((await stableToken({ ...good, appid: undefined })).body.errcode).toBe(41002)
    expect((await stableToken({ ...good, secret: '' })).body.errcode).toBe(41004)
    expect((await stableToken({ ...good, grant_type: 'authorization_code' })).body.errcode).toBe(40002)
    expect((await stableToken('{not json', 'text/plain')).body.errcode).toBe(47001)
    sandbox.setSwitches({ badSecretErrcode: 40001 })
    expect((await stableToken({ ...good, appid: APPS.silent, secret: DEMO.appSecret })).body.errcode).toBe(
      40001,
    )
  })

  it('answers 40164 with the calling IP when the switch takes it off the whitelist', async () => {
    sandbox.setSwitches({ callerIpWhitelisted: false })
    const refused = await stableToken(good)
    expect(refused.body.errcode).toBe(40164)
    expect(refused.body.errmsg).toMatch(
      /^invalid ip 127\.0\.0\.1 ipv6 ::ffff:127\.0\.0\.1, not in whitelist, rid: /,
    )
    expect(refused.text).not.toContain('access_token')
  })

  it('takes faults like the other endpoints', async () => {
    sandbox.setFault('stable_token', { kind: 'busy' })
    expect((await stableToken(good)).body.errcode).toBe(-1)
    expect((await stableToken(good)).body.access_token).toBeDefined()
  })
})
