import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import {
  WECOM_SANDBOX_DEMO_APP as DEMO,
  namesWecomHosts,
  WECOM_SANDBOX_APPS,
  WecomSandbox,
  wecomSandbox,
  wecomSandboxDefinition,
} from '../../types/auths/loginTypes/QywxInnerType/sandbox/index.ts'
import { formOf, rawRequest, WECOM_UA } from './helpers.ts'

const PREFIX = '/__sandbox/wecom'
let host: FastifyInstance | undefined
afterEach(async () => {
  await host?.close()
  host = undefined
})

/** A host app with its own JSON route, the sandbox mounted as `jit dev` mounts it. */
async function hostApp() {
  const app = Fastify({ logger: false })
  app.post('/echo', async (request) => request.body)
  const sandbox = new WecomSandbox()
  await app.register(wecomSandbox, { prefix: PREFIX, sandbox })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  host = app
  return { sandbox, origin, base: `${origin}${PREFIX}` }
}

describe('the sandbox mounted under a prefix', () => {
  it('serves both login flows and the API under the prefix, with forms and pictures under it too', async () => {
    const { sandbox, origin, base } = await hostApp()
    const callback = `${origin}/auth/callback`
    const web = await rawRequest(
      `${base}/wwlogin/sso/login?${new URLSearchParams({ login_type: 'CorpApp', appid: DEMO.corpId, agentid: String(DEMO.agentId), redirect_uri: callback, state: 'm' })}`,
    )
    const form = formOf(web.text)
    expect(form.action).toBe(`${PREFIX}/wwlogin/sso/reply`)
    expect(web.text).toContain(`src="${PREFIX}/pictures/app/${DEMO.agentId}"`)
    const confirmed = await rawRequest(`${origin}${form.action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        query: form.query,
        page: 'wwlogin',
        action: 'confirm',
        member: 'lina',
      }).toString(),
    })
    const code = new URL(confirmed.headers.location as string).searchParams.get('code')!
    const token = JSON.parse(
      (await rawRequest(`${base}/cgi-bin/gettoken?corpid=${DEMO.corpId}&corpsecret=${DEMO.corpSecret}`)).text,
    )
    const identity = JSON.parse(
      (await rawRequest(`${base}/cgi-bin/auth/getuserinfo?access_token=${token.access_token}&code=${code}`))
        .text,
    )
    expect(identity.userid).toBe('lina')
    const oauth = await rawRequest(
      `${base}/connect/oauth2/authorize?${new URLSearchParams({ appid: DEMO.corpId, redirect_uri: callback, response_type: 'code', scope: 'snsapi_privateinfo', state: 'm', agentid: String(DEMO.agentId) })}#wechat_redirect`,
      { headers: { 'user-agent': WECOM_UA } },
    )
    expect(formOf(oauth.text).action).toBe(`${PREFIX}/connect/oauth2/authorize_reply`)
    expect(sandbox.counters()).toMatchObject({ web_login: 1, authorize: 1, gettoken: 1, getuserinfo: 1 })
  })

  it("leaves the host app's own body parsing alone", async () => {
    const { origin } = await hostApp()
    const echoed = await rawRequest(`${origin}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    })
    expect(JSON.parse(echoed.text)).toEqual({ a: 1 })
  })
})

describe('the SandboxDefinition the Type declares', () => {
  it('is named wecom and points an Instance at all three hosts, unless it or the environment names them', () => {
    expect(wecomSandboxDefinition.name).toBe('wecom')
    const base = 'http://127.0.0.1:3000/__sandbox/wecom'
    expect(wecomSandboxDefinition.instanceConfig({}, `${base}/`, {})).toEqual({
      oauthBaseUrl: base,
      loginBaseUrl: base,
      apiBaseUrl: base,
    })
    expect(
      wecomSandboxDefinition.instanceConfig({ apiBaseUrl: 'https://qyapi.weixin.qq.com' }, base, {}),
    ).toBeUndefined()
    expect(namesWecomHosts({}, { WECOM_LOGIN_BASE_URL: 'https://login.work.weixin.qq.com' })).toBe(true)
    expect(namesWecomHosts({ oauthBaseUrl: '  ' }, { WECOM_API_BASE_URL: '' })).toBe(false)
  })

  it('its plugin mounts the sandbox lazily, as jit dev does', async () => {
    const app = Fastify({ logger: false })
    await app.register(wecomSandboxDefinition.plugin, {
      prefix: PREFIX,
      publicBaseUrl: `http://dev.example${PREFIX}`,
    })
    host = app
    const token = JSON.parse(
      (await app.inject(`${PREFIX}/cgi-bin/gettoken?corpid=${DEMO.corpId}&corpsecret=${DEMO.corpSecret}`))
        .body,
    )
    const sandboxState = JSON.parse((await app.inject(`${PREFIX}/__admin/state`)).body)
    expect(token.errcode).toBe(0)
    expect(sandboxState.counters.gettoken).toBe(1)
    // Picture links use the public base URL given by jit dev (an app created before 2022 gets the avatar).
    const legacy = JSON.parse(
      (
        await app.inject(
          `${PREFIX}/cgi-bin/gettoken?corpid=${DEMO.corpId}&corpsecret=${WECOM_SANDBOX_APPS.legacy.secret}`,
        )
      ).body,
    )
    const user = JSON.parse(
      (await app.inject(`${PREFIX}/cgi-bin/user/get?access_token=${legacy.access_token}&userid=lina`)).body,
    )
    expect(user.avatar).toMatch(/^http:\/\/dev\.example\/__sandbox\/wecom\/pictures\/member\/[0-9a-f]{32}$/)
  })
})
