import { Writable } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import {
  WECHAT_SANDBOX_DEMO_APP as DEMO,
  WechatSandbox,
  wechatSandbox,
} from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { parseWechatJson, rawRequest, unescapeHtml } from './helpers.ts'

const PREFIX = '/__sandbox/wechat'
let host: FastifyInstance | undefined
afterEach(async () => {
  await host?.close()
  host = undefined
})

async function hostApp(options: { publicBaseUrl?: string; logLines?: string[]; formParser?: boolean } = {}) {
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      options.logLines?.push(String(chunk))
      done()
    },
  })
  const app = Fastify({ logger: options.logLines ? { level: 'info', stream: logStream } : false })
  if (options.formParser) {
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    )
  }
  app.get('/hello', async () => ({ hello: 'world' }))
  const sandbox = new WechatSandbox()
  await app.register(wechatSandbox, { prefix: PREFIX, sandbox, publicBaseUrl: options.publicBaseUrl })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  host = app
  return { app, sandbox, origin, base: `${origin}${PREFIX}` }
}

/** The whole browser + server flow through a mounted sandbox: consent, Allow, exchange, userinfo. */
async function fullFlow(base: string, origin: string, callback: string) {
  const authorize = `${base}/connect/oauth2/authorize?${new URLSearchParams([
    ['appid', DEMO.appId],
    ['redirect_uri', callback],
    ['response_type', 'code'],
    ['scope', 'snsapi_userinfo'],
    ['state', 'm1'],
  ])}#wechat_redirect`
  const consent = await rawRequest(authorize)
  const action = unescapeHtml(/<form class="sheet" method="post" action="([^"]*)"/.exec(consent.text)![1])
  expect(action).toBe(`${PREFIX}/connect/oauth2/authorize_reply`)
  expect(consent.text).toContain(`src="${PREFIX}/avatars/app/${DEMO.appId}"`)
  const query = unescapeHtml(/name="query" value="([^"]*)"/.exec(consent.text)![1])
  const allowed = await rawRequest(`${origin}${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query, action: 'allow', user: 'lin' }).toString(),
  })
  expect(String(allowed.headers['set-cookie'])).toContain(`Path=${PREFIX}/connect/oauth2;`)
  const code = new URL(allowed.headers.location as string).searchParams.get('code')!
  const tokens = parseWechatJson(
    (
      await rawRequest(
        `${base}/sns/oauth2/access_token?appid=${DEMO.appId}&secret=${DEMO.appSecret}&code=${code}&grant_type=authorization_code`,
      )
    ).text,
  )
  const user = parseWechatJson(
    (
      await rawRequest(
        `${base}/sns/userinfo?access_token=${tokens.access_token}&openid=${tokens.openid}&lang=zh_CN`,
      )
    ).text,
  )
  return { code, tokens, user }
}

describe('the wechatSandbox fastify plugin mounted under a prefix', () => {
  it('serves both WeChat hosts, avatars and the admin API under the prefix, beside the host app', async () => {
    const { sandbox, origin, base } = await hostApp()
    const { user } = await fullFlow(base, origin, `${origin}/auth/callback`)
    expect(user.nickname).toBe('林小雨')
    expect(user.headimgurl).toMatch(new RegExp(`^${base}/avatars/mmopen/[0-9a-f]{32}/132$`))
    expect((await rawRequest(user.headimgurl)).headers['content-type']).toBe('image/svg+xml')
    expect(JSON.parse((await rawRequest(`${base}/__admin/counters`)).text).access_token).toBe(1)
    expect(sandbox.counters().userinfo).toBe(1)
    expect(JSON.parse((await rawRequest(`${origin}/hello`)).text)).toEqual({ hello: 'world' })
    expect((await rawRequest(`${origin}/connect/oauth2/authorize`)).status).toBe(404)
  })

  it('uses publicBaseUrl for headimgurl when given (behind a proxy)', async () => {
    const { origin, base } = await hostApp({ publicBaseUrl: 'https://dev.example.com/__sandbox/wechat/' })
    const { user } = await fullFlow(base, origin, `${origin}/cb`)
    expect(user.headimgurl).toMatch(/^https:\/\/dev\.example\.com\/__sandbox\/wechat\/avatars\/mmopen\//)
  })

  it('works beside a host app that parses forms itself', async () => {
    const { origin, base } = await hostApp({ formParser: true })
    expect((await fullFlow(base, origin, `${origin}/cb`)).user.nickname).toBe('林小雨')
  })

  it("keeps codes, tokens and secrets out of the host's request log", async () => {
    const logLines: string[] = []
    const { origin, base } = await hostApp({ logLines })
    const { code, tokens } = await fullFlow(base, origin, `${origin}/cb`)
    await rawRequest(`${origin}/hello`)
    const log = logLines.join('')
    expect(log).toContain('/hello')
    for (const value of [code, tokens.access_token, tokens.refresh_token, DEMO.appSecret, 'state=m1']) {
      expect(log).not.toContain(value)
    }
  })

  it('answers through inject() too', async () => {
    const { app } = await hostApp()
    const response = await app.inject(`${PREFIX}/sns/auth?access_token=x&openid=y`)
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('text/plain')
    expect(parseWechatJson(response.body).errcode).toBe(40001)
  })
})
