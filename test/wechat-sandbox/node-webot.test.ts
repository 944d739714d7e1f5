import { Agent } from 'node:http'
import { createRequire } from 'node:module'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningWechatSandbox } from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { CALLBACK, DEMO, rawRequest, startSandbox, submitConsent } from './helpers.ts'

/**
 * Evidence that the sandbox emulates WeChat rather than ourselves: wechat-oauth (node-webot), a
 * client written by others against the real WeChat, runs its whole flow against the sandbox.
 *
 * How its hard-coded hosts are redirected, without patching it or our code: every call goes through
 * urllib, and `OAuth#setOpts` passes urllib options through. urllib's `beforeRequest(options)` hook
 * may change the outgoing request, so it swaps the host and port for the sandbox's loopback address
 * and the https agent for a plain http one (urllib picked https from the URL; `protocol: 'http:'` plus
 * an http.Agent make Node send plain HTTP). Paths and query strings stay exactly as the library built
 * them. The authorize URL is a browser's business: the test opens the library's URL with the
 * sandbox's origin in place of open.weixin.qq.com, as a DNS override would.
 */

interface WechatApiError extends Error {
  code?: number
}
interface OAuthClient {
  setOpts(options: Record<string, unknown>): void
  getAuthorizeURL(redirect: string, state: string, scope: string): string
  getAccessToken(
    code: string,
    callback: (error: WechatApiError | null, result: { data: Record<string, any> }) => void,
  ): void
  getUser(
    options: { openid: string; lang?: string },
    callback: (error: WechatApiError | null, user: Record<string, any>) => void,
  ): void
  refreshAccessToken(
    refreshToken: string,
    callback: (error: WechatApiError | null, result: { data: Record<string, any> }) => void,
  ): void
  verifyToken(
    openid: string,
    accessToken: string,
    callback: (error: WechatApiError | null, result: any) => void,
  ): void
  store: Record<string, Record<string, any>>
}
type OAuthConstructor = new (appid: string, secret: string) => OAuthClient

const require = createRequire(import.meta.url)
const OAuth = require('wechat-oauth') as OAuthConstructor

function call<T>(run: (callback: (error: WechatApiError | null, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => run((error, value) => (error ? reject(error) : resolve(value))))
}

let sandbox: RunningWechatSandbox
beforeAll(async () => {
  sandbox = await startSandbox()
})
afterAll(async () => {
  await sandbox.close()
})

function clientFor(secret: string, extraOptions: Record<string, unknown> = {}): OAuthClient {
  const target = new URL(sandbox.apiBaseUrl)
  const client = new OAuth(DEMO.appId, secret)
  client.setOpts({
    timeout: 10_000,
    ...extraOptions,
    beforeRequest(options: Record<string, unknown>) {
      options.protocol = 'http:'
      options.host = target.hostname
      options.port = target.port
      options.agent = new Agent()
    },
  })
  return client
}

/** The browser: opens the library's authorize URL on the sandbox, picks a user, presses Allow. */
async function browserAuthorize(client: OAuthClient, user: string): Promise<URL> {
  const libraryUrl = new URL(client.getAuthorizeURL(CALLBACK, 'webot1', 'snsapi_userinfo'))
  expect(libraryUrl.origin).toBe('https://open.weixin.qq.com')
  const onSandbox = `${sandbox.oauthBaseUrl}${libraryUrl.pathname}${libraryUrl.search}${libraryUrl.hash}`
  const consent = await rawRequest(onSandbox)
  expect(consent.status).toBe(200)
  const allowed = await submitConsent(sandbox, consent.text, { action: 'allow', user })
  expect(allowed.status).toBe(302)
  return new URL(allowed.headers.location as string)
}

describe('wechat-oauth (node-webot) against the sandbox', () => {
  it('authorize -> getAccessToken -> getUser -> refreshAccessToken -> verifyToken', async () => {
    const client = clientFor(DEMO.appSecret)
    const redirect = await browserAuthorize(client, 'lin')
    expect(redirect.searchParams.get('state')).toBe('webot1')

    const token = await call<{ data: Record<string, any> }>((cb) =>
      client.getAccessToken(redirect.searchParams.get('code')!, cb),
    )
    expect(token.data).toMatchObject({ expires_in: 7200, scope: 'snsapi_userinfo' })
    expect(token.data.openid).toMatch(/^o[A-Za-z0-9_-]{27}$/)
    expect(token.data.unionid).toMatch(/^o/)

    const user = await call<Record<string, any>>((cb) =>
      client.getUser({ openid: token.data.openid, lang: 'zh_CN' }, cb),
    )
    expect(user).toMatchObject({
      openid: token.data.openid,
      nickname: '林小雨',
      sex: 0,
      unionid: token.data.unionid,
    })
    expect(user.headimgurl.startsWith(`${sandbox.url}/avatars/`)).toBe(true)

    const refreshed = await call<{ data: Record<string, any> }>((cb) =>
      client.refreshAccessToken(token.data.refresh_token, cb),
    )
    expect(refreshed.data.access_token).not.toBe(token.data.access_token)
    expect(refreshed.data.openid).toBe(token.data.openid)

    const verified = await call<Record<string, any>>((cb) =>
      client.verifyToken(refreshed.data.openid, refreshed.data.access_token, cb),
    )
    expect(verified).toEqual({ errcode: 0, errmsg: 'ok' })
  })

  it("getUser refreshes through the sandbox when the library's stored token has expired", async () => {
    const client = clientFor(DEMO.appSecret)
    const redirect = await browserAuthorize(client, 'kai')
    const token = await call<{ data: Record<string, any> }>((cb) =>
      client.getAccessToken(redirect.searchParams.get('code')!, cb),
    )
    sandbox.clock.advance(7201)
    client.store[token.data.openid].create_at -= 7201 * 1000
    const refreshCallsBefore = sandbox.counters().refresh_token
    const user = await call<Record<string, any>>((cb) => client.getUser({ openid: token.data.openid }, cb))
    expect(user.nickname).toBe('Kai Chen')
    expect(user.headimgurl).toBe('')
    expect(sandbox.counters().refresh_token).toBe(refreshCallsBefore + 1)
  })

  it("receives WeChat's error shape for a used code (40163) and a bad secret (40125)", async () => {
    const client = clientFor(DEMO.appSecret)
    const code = (await browserAuthorize(client, 'lin')).searchParams.get('code')!
    await call((cb) => client.getAccessToken(code, cb))
    const used = await call((cb) => client.getAccessToken(code, cb)).catch((error: WechatApiError) => error)
    expect(used).toMatchObject({ name: 'WeChatAPIError', code: 40163 })
    expect((used as Error).message).toMatch(/^code been used, rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/)

    const wrongSecret = clientFor('0'.repeat(32))
    const freshCode = (await browserAuthorize(wrongSecret, 'lin')).searchParams.get('code')!
    const bad = await call((cb) => wrongSecret.getAccessToken(freshCode, cb)).catch(
      (error: WechatApiError) => error,
    )
    expect(bad).toMatchObject({ name: 'WeChatAPIError', code: 40125 })
  })

  it('the raw U+0014 in a nickname breaks its strict parser, as on WeChat, unless fixJSONCtlChars is set', async () => {
    const strict = clientFor(DEMO.appSecret)
    const strictCode = (await browserAuthorize(strict, 'momo')).searchParams.get('code')!
    const strictToken = await call<{ data: Record<string, any> }>((cb) =>
      strict.getAccessToken(strictCode, cb),
    )
    const failure = await call((cb) => strict.getUser({ openid: strictToken.data.openid }, cb)).catch(
      (error) => error,
    )
    expect(failure).toMatchObject({ name: 'WeChatAPIJSONResponseFormatError' })

    const tolerant = clientFor(DEMO.appSecret, { fixJSONCtlChars: true })
    const code = (await browserAuthorize(tolerant, 'momo')).searchParams.get('code')!
    const token = await call<{ data: Record<string, any> }>((cb) => tolerant.getAccessToken(code, cb))
    const user = await call<Record<string, any>>((cb) => tolerant.getUser({ openid: token.data.openid }, cb))
    expect(user.nickname).toBe('Momo🌸\u0014')
  })
})
