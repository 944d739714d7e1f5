import { describe, expect, it } from 'vitest'
import type { RunningWechatSandbox } from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { APPS, sns, tokensFor, useSandbox } from './helpers.ts'

let sandbox: RunningWechatSandbox
useSandbox((started) => {
  sandbox = started
})

const refresh = (
  refreshToken: string | undefined,
  appid: string | null = APPS.demo,
  grantType = 'refresh_token',
) =>
  sns(sandbox, '/sns/oauth2/refresh_token', {
    appid: appid ?? undefined,
    grant_type: grantType,
    refresh_token: refreshToken,
  })
const auth = (accessToken: string, openid: string) =>
  sns(sandbox, '/sns/auth', { access_token: accessToken, openid }).then((r) => r.body.errcode)

const DAY = 24 * 3600

describe('GET /sns/oauth2/refresh_token', () => {
  it('answers a new, working access token in WeChat key order (no secret needed)', async () => {
    const tokens = await tokensFor(sandbox)
    sandbox.clock.advance(7300)
    expect(await auth(tokens.access_token, tokens.openid)).toBe(42001)
    const { body } = await refresh(tokens.refresh_token)
    expect(Object.keys(body)).toEqual(['access_token', 'expires_in', 'refresh_token', 'openid', 'scope'])
    expect(body.access_token).not.toBe(tokens.access_token)
    expect(body).toMatchObject({ expires_in: 7200, openid: tokens.openid, scope: 'snsapi_userinfo' })
    expect(await auth(body.access_token, body.openid)).toBe(0)
  })

  it('"keep" (default): the same refresh token, still dead 30 days after the first grant', async () => {
    const tokens = await tokensFor(sandbox)
    sandbox.clock.advance(20 * DAY)
    expect((await refresh(tokens.refresh_token)).body.refresh_token).toBe(tokens.refresh_token)
    sandbox.clock.advance(10 * DAY)
    expect((await refresh(tokens.refresh_token)).body.errcode).toBe(42002)
  })

  it('"extend": the same refresh token, with 30 days from the refresh', async () => {
    sandbox.setSwitches({ refreshTokenMode: 'extend' })
    const tokens = await tokensFor(sandbox)
    sandbox.clock.advance(20 * DAY)
    expect((await refresh(tokens.refresh_token)).body.refresh_token).toBe(tokens.refresh_token)
    sandbox.clock.advance(20 * DAY)
    expect((await refresh(tokens.refresh_token)).body.access_token).toBeDefined()
  })

  it('"rotate": a new refresh token; the old one then answers 40030', async () => {
    sandbox.setSwitches({ refreshTokenMode: 'rotate' })
    const tokens = await tokensFor(sandbox)
    const first = (await refresh(tokens.refresh_token)).body
    expect(first.refresh_token).toMatch(/^\d\d_/)
    expect(first.refresh_token).not.toBe(tokens.refresh_token)
    expect((await refresh(tokens.refresh_token)).body.errcode).toBe(40030)
    expect((await refresh(first.refresh_token)).body.access_token).toBeDefined()
  })

  it('42002 once 30 days have passed', async () => {
    const tokens = await tokensFor(sandbox)
    sandbox.clock.advance(30 * DAY - 1)
    expect((await refresh(tokens.refresh_token)).body.access_token).toBeDefined()
    sandbox.clock.advance(1)
    expect((await refresh(tokens.refresh_token)).body.errcode).toBe(42002)
  })

  it('42007 after the user changed password: refresh and access tokens are dead; new logins work', async () => {
    const tokens = await tokensFor(sandbox, { user: 'kai' })
    const otherUser = await tokensFor(sandbox, { user: 'lin' })
    sandbox.userChangedPassword('kai')
    expect((await refresh(tokens.refresh_token)).body.errcode).toBe(42007)
    expect(await auth(tokens.access_token, tokens.openid)).toBe(42007)
    expect(await auth(otherUser.access_token, otherUser.openid)).toBe(0)
    const again = await tokensFor(sandbox, { user: 'kai' })
    expect(await auth(again.access_token, again.openid)).toBe(0)
  })

  it("40030 unknown or another account's token; 41003 missing; 41002; 40013; 40002", async () => {
    const tokens = await tokensFor(sandbox)
    expect((await refresh(`86_${'x'.repeat(104)}`)).body.errcode).toBe(40030)
    expect((await refresh(tokens.refresh_token, APPS.unbound)).body.errcode).toBe(40030)
    expect((await refresh(undefined)).body.errcode).toBe(41003)
    expect((await refresh(tokens.refresh_token, null)).body.errcode).toBe(41002)
    expect((await refresh(tokens.refresh_token, 'wx0000000000000000')).body.errcode).toBe(40013)
    expect((await refresh(tokens.refresh_token, APPS.demo, 'authorization_code')).body.errcode).toBe(40002)
    expect((await refresh(tokens.refresh_token)).body.access_token).toBeDefined()
  })

  it('a sporadic 40030 before 30 days can be injected', async () => {
    const tokens = await tokensFor(sandbox)
    sandbox.setFault('refresh_token', { kind: 'errcode', errcode: 40030 })
    expect((await refresh(tokens.refresh_token)).body.errcode).toBe(40030)
    expect((await refresh(tokens.refresh_token)).body.access_token).toBeDefined()
  })
})
