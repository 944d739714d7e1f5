import { describe, expect, it } from 'vitest'
import type { RunningWecomSandbox } from '../../types/auths/loginTypes/QywxInnerType/sandbox/index.ts'
import { APPS, CORP_ID, cgi, DEMO, inClientCode, rawRequest, tokenFor, useSandbox } from './helpers.ts'

let sandbox: RunningWecomSandbox
useSandbox((started) => {
  sandbox = started
})

const gettoken = (corpid?: string, corpsecret?: string) => cgi(sandbox, 'gettoken', { corpid, corpsecret })

describe('gettoken', () => {
  it("answers WeCom's envelope: errcode 0, errmsg ok, a 214-character token for 7200 s, JSON with charset", async () => {
    const raw = await rawRequest(
      `${sandbox.apiBaseUrl}/cgi-bin/gettoken?corpid=${CORP_ID}&corpsecret=${DEMO.corpSecret}`,
    )
    expect(raw.status).toBe(200)
    expect(raw.headers['content-type']).toBe('application/json; charset=utf-8')
    const body = JSON.parse(raw.text)
    expect(Object.keys(body)).toEqual(['errcode', 'errmsg', 'access_token', 'expires_in'])
    expect(body).toMatchObject({ errcode: 0, errmsg: 'ok', expires_in: 7200 })
    expect(body.access_token).toMatch(/^[A-Za-z0-9_-]{214}$/)
  })

  it.each([
    ['41002 without corpid', undefined, DEMO.corpSecret, 41002],
    ['41004 without corpsecret', CORP_ID, undefined, 41004],
    ['40013 for another corpid', 'ww0000000000000000', DEMO.corpSecret, 40013],
    ['40001 for a wrong secret', CORP_ID, 'x'.repeat(43), 40001],
    ['40091 for something that is no secret', CORP_ID, 'not-a-secret', 40091],
  ])('%s', async (_name, corpid, secret, errcode) => {
    const body = await gettoken(corpid, secret)
    expect(body.errcode).toBe(errcode)
    expect(body.access_token).toBeUndefined()
    // errmsg carries WeCom's suffix; the secret never shows.
    expect(body.errmsg).toMatch(
      /, hint: \[[^\]]+\], from ip: 127\.0\.0\.1, more info at https:\/\/open\.work\.weixin\.qq\.com\/devtool\/query\?e=/,
    )
    expect(body.errmsg).not.toContain(DEMO.corpSecret)
  })

  it('returns the same token while it is valid, with the remaining lifetime; a new one after 7200 s', async () => {
    const first = await gettoken(CORP_ID, DEMO.corpSecret)
    sandbox.clock.advance(1000)
    const second = await gettoken(CORP_ID, DEMO.corpSecret)
    expect(second.access_token).toBe(first.access_token)
    expect(second.expires_in).toBe(6200)
    sandbox.clock.advance(6200)
    const third = await gettoken(CORP_ID, DEMO.corpSecret)
    expect(third.access_token).not.toBe(first.access_token)
    expect(third.expires_in).toBe(7200)
    expect(sandbox.calls('gettoken').map((call) => call.errcode)).toEqual([0, 0, 0])
  })

  it('tokenReuse switch: "sameRestart" restarts the lifetime, "new" issues another and keeps the old one valid', async () => {
    sandbox.setSwitches({ tokenReuse: 'sameRestart' })
    const first = await gettoken(CORP_ID, DEMO.corpSecret)
    sandbox.clock.advance(1000)
    expect(await gettoken(CORP_ID, DEMO.corpSecret)).toMatchObject({
      access_token: first.access_token,
      expires_in: 7200,
    })
    sandbox.setSwitches({ tokenReuse: 'new' })
    const other = await gettoken(CORP_ID, DEMO.corpSecret)
    expect(other.access_token).not.toBe(first.access_token)
    const code = inClientCode(sandbox)
    expect((await cgi(sandbox, 'auth/getuserinfo', { access_token: first.access_token, code })).errcode).toBe(
      0,
    )
  })

  it('each app has its own token, usable only as that app', async () => {
    const staff = await tokenFor(sandbox)
    const legacy = await tokenFor(sandbox, APPS.legacy.secret)
    expect(legacy).not.toBe(staff)
  })

  it('the call log masks the secret', async () => {
    await gettoken(CORP_ID, DEMO.corpSecret)
    const [call] = sandbox.calls('gettoken')
    expect(call.query).toEqual({ corpid: CORP_ID, corpsecret: '***' })
    expect(JSON.stringify(sandbox.calls())).not.toContain(DEMO.corpSecret)
  })
})

describe('token errors on business calls', () => {
  const exchange = (token: string) =>
    cgi(sandbox, 'auth/getuserinfo', { access_token: token, code: inClientCode(sandbox) })

  it('41001 without a token, 40014 for an unknown one', async () => {
    expect((await cgi(sandbox, 'auth/getuserinfo', { code: 'x' })).errcode).toBe(41001)
    expect((await exchange('nope')).errcode).toBe(40014)
  })

  it('an expired token answers 42001, or 40014 with the switch', async () => {
    const token = await tokenFor(sandbox)
    sandbox.clock.advance(7200)
    expect((await exchange(token)).errcode).toBe(42001)
    sandbox.setSwitches({ expiredTokenErrcode: 40014 })
    expect((await exchange(token)).errcode).toBe(40014)
  })

  it('an early invalidation answers 40014, and the next gettoken issues a new token', async () => {
    const token = await tokenFor(sandbox)
    expect(sandbox.invalidateTokens(DEMO.agentId)).toBe(1)
    expect((await exchange(token)).errcode).toBe(40014)
    const next = await tokenFor(sandbox)
    expect(next).not.toBe(token)
    expect((await exchange(next)).errcode).toBe(0)
  })

  it('a secret reset: the old secret answers 40001, old tokens die (or live, with the switch)', async () => {
    const token = await tokenFor(sandbox)
    const secret = sandbox.resetSecret(DEMO.agentId)
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect((await gettoken(CORP_ID, DEMO.corpSecret)).errcode).toBe(40001)
    expect((await exchange(token)).errcode).toBe(40014)
    sandbox.setSwitches({ secretResetRevokesTokens: false })
    expect((await exchange(token)).errcode).toBe(0)
    expect(await tokenFor(sandbox, secret)).not.toBe(token)
  })

  it('60020 from an IP outside the app\'s trusted list, with "from ip" in errmsg; old apps have no list', async () => {
    const token = await tokenFor(sandbox)
    const legacyToken = await tokenFor(sandbox, APPS.legacy.secret)
    sandbox.setCallerIp('203.0.113.7')
    const refused = await exchange(token)
    expect(refused.errcode).toBe(60020)
    expect(refused.errmsg).toContain('not allow to access from your ip')
    expect(refused.errmsg).toContain('from ip: 203.0.113.7')
    expect((await cgi(sandbox, 'user/get', { access_token: legacyToken, userid: 'lina' })).errcode).toBe(0)
    // gettoken itself has been seen to succeed from an unlisted IP; the switch makes it refuse too.
    expect((await gettoken(CORP_ID, DEMO.corpSecret)).errcode).toBe(0)
    sandbox.setSwitches({ gettokenChecksIp: true })
    expect((await gettoken(CORP_ID, DEMO.corpSecret)).errcode).toBe(60020)
    sandbox.setTrustedIps(DEMO.agentId, ['203.0.113.7'])
    expect((await exchange(token)).errcode).toBe(0)
  })

  it('45009 once the per-minute limit is used up, and again in the next minute', async () => {
    sandbox.setSwitches({ ratePerMinute: 2 })
    const token = await tokenFor(sandbox)
    const userGet = () => cgi(sandbox, 'user/get', { access_token: token, userid: 'lina' })
    sandbox.clock.advance(60 - ((sandbox.clock.nowMs() / 1000) % 60) + 1)
    expect((await userGet()).errcode).toBe(0)
    expect((await userGet()).errcode).toBe(0)
    expect((await userGet()).errcode).toBe(45009)
    sandbox.clock.advance(60)
    expect((await userGet()).errcode).toBe(0)
  })

  it('the code exchange counts only failed calls against the limit: valid codes always go through', async () => {
    sandbox.setSwitches({ ratePerMinute: 1 })
    const token = await tokenFor(sandbox)
    sandbox.clock.advance(60 - ((sandbox.clock.nowMs() / 1000) % 60) + 1)
    for (let i = 0; i < 3; i++) expect((await exchange(token)).errcode).toBe(0)
    const bad = (code: string) => cgi(sandbox, 'auth/getuserinfo', { access_token: token, code })
    expect((await bad('used-or-unknown')).errcode).toBe(40029)
    expect((await bad('used-or-unknown')).errcode).toBe(45009)
    expect((await exchange(token)).errcode).toBe(0)
  })
})
