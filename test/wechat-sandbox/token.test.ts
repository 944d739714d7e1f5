import { describe, expect, it } from 'vitest'
import type { RunningWechatSandbox } from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { APPS, codeFor, DEMO, exchange, SECRETS, sns, tokensFor, useSandbox } from './helpers.ts'

let sandbox: RunningWechatSandbox
useSandbox((started) => {
  sandbox = started
})

const RID = /, rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/

describe('GET /sns/oauth2/access_token', () => {
  it('answers tokens in WeChat key order, with ids shaped like WeChat', async () => {
    const { body, raw } = await exchange(sandbox, codeFor(sandbox, { scope: 'snsapi_base' }))
    expect(raw.status).toBe(200)
    expect(Object.keys(body)).toEqual(['access_token', 'expires_in', 'refresh_token', 'openid', 'scope'])
    expect(body.access_token).toMatch(/^\d\d_[A-Za-z0-9_-]{85,110}$/)
    expect(body.refresh_token).toMatch(/^\d\d_[A-Za-z0-9_-]{85,110}$/)
    expect(body.expires_in).toBe(7200)
    expect(body.openid).toMatch(/^o[A-Za-z0-9_-]{27}$/)
    expect(body.scope).toBe('snsapi_base')
    expect(body).not.toHaveProperty('errcode')
  })

  it('unionid only for snsapi_userinfo on an account bound to an Open Platform account', async () => {
    const boundUserinfo = await tokensFor(sandbox, { scope: 'snsapi_userinfo' })
    expect(Object.keys(boundUserinfo)).toEqual([
      'access_token',
      'expires_in',
      'refresh_token',
      'openid',
      'scope',
      'unionid',
    ])
    expect(boundUserinfo.unionid).toMatch(/^o[A-Za-z0-9_-]{27}$/)
    expect(await tokensFor(sandbox, { scope: 'snsapi_base' })).not.toHaveProperty('unionid')
    expect(await tokensFor(sandbox, { appid: APPS.unbound, scope: 'snsapi_userinfo' })).not.toHaveProperty(
      'unionid',
    )
  })

  it('one user: the same unionid across bound accounts, different openids per account', async () => {
    const demo = await tokensFor(sandbox, { user: 'kai' })
    const unbound = await tokensFor(sandbox, { appid: APPS.unbound, user: 'kai' })
    expect(demo.openid).not.toBe(unbound.openid)
    const other = await tokensFor(sandbox, { user: 'lin' })
    expect(other.unionid).not.toBe(demo.unionid)
    expect((await tokensFor(sandbox, { user: 'kai', scope: 'snsapi_base' })).openid).toBe(demo.openid)
  })

  it('a snapshot user: is_snapshotuser 1 last; absent for everyone else', async () => {
    const snapshot = await tokensFor(sandbox, { user: 'visitor' })
    expect(Object.keys(snapshot).at(-1)).toBe('is_snapshotuser')
    expect(snapshot.is_snapshotuser).toBe(1)
    expect(await tokensFor(sandbox, { user: 'lin' })).not.toHaveProperty('is_snapshotuser')
  })

  it('a code is single use: the second presentation answers 40163', async () => {
    const code = codeFor(sandbox)
    expect((await exchange(sandbox, code)).body.access_token).toBeDefined()
    const second = (await exchange(sandbox, code)).body
    expect(second.errcode).toBe(40163)
    expect(second.errmsg).toMatch(RID)
  })

  it('40029 for an unknown code and for a code of another account (which stays usable there)', async () => {
    expect((await exchange(sandbox, 'A'.repeat(32))).body.errcode).toBe(40029)
    const unboundCode = codeFor(sandbox, { appid: APPS.unbound })
    expect((await exchange(sandbox, unboundCode, APPS.demo)).body.errcode).toBe(40029)
    expect((await exchange(sandbox, unboundCode, APPS.unbound)).body.access_token).toBeDefined()
  })

  it('a code expires 5 minutes after issue: 40029 by default', async () => {
    const fresh = codeFor(sandbox)
    const stale = codeFor(sandbox)
    sandbox.clock.advance(299)
    expect((await exchange(sandbox, fresh)).body.access_token).toBeDefined()
    sandbox.clock.advance(1)
    expect((await exchange(sandbox, stale)).body.errcode).toBe(40029)
  })

  it('a code expires 5 minutes after issue: 42003 with the switch', async () => {
    sandbox.setSwitches({ expiredCodeErrcode: 42003 })
    const code = codeFor(sandbox)
    sandbox.clock.advance(301)
    expect((await exchange(sandbox, code)).body.errcode).toBe(42003)
  })

  it('40125 for a wrong secret (40001 on older servers), and the presentation spends the code', async () => {
    const code = codeFor(sandbox)
    expect((await exchange(sandbox, code, APPS.demo, 'f'.repeat(32))).body.errcode).toBe(40125)
    expect((await exchange(sandbox, code)).body.errcode).toBe(40163)
    sandbox.setSwitches({ badSecretErrcode: 40001 })
    expect((await exchange(sandbox, codeFor(sandbox), APPS.demo, 'f'.repeat(32))).body.errcode).toBe(40001)
  })

  it('40013 unknown appid, 40002 wrong grant_type, 41002/41004/41008 missing appid/secret/code', async () => {
    const base = {
      appid: APPS.demo,
      secret: DEMO.appSecret,
      code: 'c'.repeat(32),
      grant_type: 'authorization_code',
    }
    const call = (params: Record<string, string | undefined>) =>
      sns(sandbox, '/sns/oauth2/access_token', params)
    expect((await call({ ...base, appid: 'wx0000000000000000' })).body.errcode).toBe(40013)
    expect((await call({ ...base, grant_type: 'client_credential' })).body.errcode).toBe(40002)
    expect((await call({ ...base, grant_type: undefined })).body.errcode).toBe(40002)
    expect((await call({ ...base, appid: undefined })).body.errcode).toBe(41002)
    expect((await call({ ...base, secret: undefined })).body.errcode).toBe(41004)
    expect((await call({ ...base, code: undefined })).body.errcode).toBe(41008)
    expect((await call({ ...base, code: '' })).body.errcode).toBe(41008)
  })

  it('a repeated parameter counts once (the first)', async () => {
    const code = codeFor(sandbox)
    const query = `appid=${APPS.demo}&appid=wx0000000000000000&secret=${SECRETS[APPS.demo]}&code=${code}&grant_type=authorization_code`
    const response = await fetch(`${sandbox.apiBaseUrl}/sns/oauth2/access_token?${query}`)
    expect(await response.text()).toContain('"access_token"')
  })
})
