/**
 * A login Type that declares `routes` of its own keeps the family's: routes merge per action along
 * the type chain, so the Meta's `login` and `callback` still serve a whole login beside the Type's
 * `loginConfig` action (fixtures/sandbox-login-type.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API, DATABASES, DEMO, type LoginHarness, openLoginHarness } from './harness.ts'

const INSTANCE_PATH = `${API}/auths/loginTypes/SandboxLogin`

describe.each(DATABASES)('a login Type that adds an action, on %s', (database) => {
  let h: LoginHarness
  beforeAll(async () => {
    h = await openLoginHarness({ database, loginType: 'fixture' })
  })
  afterAll(async () => h.close())

  it('serves its own action', async () => {
    const response = await h.browser().get(`${INSTANCE_PATH}/loginConfig`)
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ loginConfig: { appId: DEMO.appId, scope: 'snsapi_userinfo' } })
  })

  it("keeps the Meta's login and callback: a login through the sandbox opens a session and stores the user", async () => {
    const browser = h.browser()
    const { response } = await browser.login({ query: '?redirectUrl=%2Fdone' })
    expect(response.statusCode).toBe(302)
    expect(response.headers.location).toBe('http://127.0.0.1:3000/done')
    const session = await browser.session()
    expect(session.statusCode).toBe(200)
    expect(session.json().data.user.loginType).toBe('auths.loginTypes.SandboxLogin')
    expect(await h.storedUsers()).toHaveLength(1)
    expect(h.wechatCalls()).toEqual({ access_token: 1, userinfo: 1 })
  })

  it('answers each action on its own method, and no action for a name every object has', async () => {
    const browser = h.browser()
    expect((await browser.request('POST', `${INSTANCE_PATH}/loginConfig`)).statusCode).toBe(405)
    expect((await browser.request('POST', `${INSTANCE_PATH}/callback`)).statusCode).toBe(405)
    expect((await browser.get(`${INSTANCE_PATH}/constructor`)).statusCode).toBe(404)
    expect((await browser.get(`${INSTANCE_PATH}/toString`)).statusCode).toBe(404)
  })
})
