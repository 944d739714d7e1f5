// The client against the project's WeChat sandbox (a separate implementation of the protocol), so the
// two are checked against each other and not only against this folder's scripted fake.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { WechatOAuthClient } from '../../types/auths/loginTypes/WechatPublicType/client/index.ts'
import {
  type RunningWechatSandbox,
  startWechatSandbox,
} from '../../types/auths/loginTypes/WechatPublicType/sandbox/server.ts'

const APP_ID = 'wx5a3c7f1e9b2d4680'
const APP_SECRET = '3f9c2a7e5b1d4c8096e7a2b4d1f08c35'
const REDIRECT_URI = 'http://127.0.0.1/wechat/callback?next=/a&b=1'

let sandbox: RunningWechatSandbox
let client: WechatOAuthClient

beforeAll(async () => {
  sandbox = await startWechatSandbox()
  client = new WechatOAuthClient(APP_ID, APP_SECRET, {
    oauthBaseUrl: sandbox.oauthBaseUrl,
    apiBaseUrl: sandbox.apiBaseUrl,
  })
})
afterAll(async () => {
  await client.close()
  await sandbox.close()
})

function codeFor(user: string, scope: 'snsapi_base' | 'snsapi_userinfo', state: string): string {
  const redirect = new URL(
    sandbox.authorize({ appid: APP_ID, redirectUri: REDIRECT_URI, scope, state, user }),
  )
  expect(redirect.searchParams.get('state')).toBe(state)
  return redirect.searchParams.get('code')!
}

it('the authorize URL passes the sandbox strict parameter check', () => {
  const url = new URL(client.createAuthorizationURL(REDIRECT_URI, 'abc123', { scope: 'snsapi_userinfo' }))
  expect(url.hash).toBe('#wechat_redirect')
  const check = sandbox.checkAuthorize([...url.searchParams])
  expect(check.ok).toBe(true)
})

it('code -> token -> userinfo for a user whose nickname carries a raw control character', async () => {
  const tokens = await client.validateAuthorizationCode(codeFor('momo', 'snsapi_userinfo', 'S1'))
  expect(tokens.scope).toBe('snsapi_userinfo')
  const user = await client.getUserInfo(tokens.access_token, tokens.openid)
  expect(user.nickname).toBe('Momo🌸\u0014')
  expect(user.openid).toBe(tokens.openid)
  expect(await client.validateAccessToken(tokens.access_token, tokens.openid)).toBe(true)

  const refreshed = await client.refreshAccessToken(tokens.refresh_token)
  expect(refreshed.openid).toBe(tokens.openid)
  expect(await client.validateAccessToken(refreshed.access_token, refreshed.openid)).toBe(true)
})

it('a code presented twice: the second exchange fails with restart_authorization', async () => {
  const code = codeFor('kai', 'snsapi_base', 'S2')
  await client.validateAuthorizationCode(code)
  await expect(client.validateAuthorizationCode(code)).rejects.toMatchObject({
    name: 'WechatApiError',
    errcode: 40163,
    action: 'restart_authorization',
  })
})

it('a snapshot-page user comes back with is_snapshotuser: 1', async () => {
  const tokens = await client.validateAuthorizationCode(codeFor('visitor', 'snsapi_userinfo', 'S3'))
  expect(tokens.is_snapshotuser).toBe(1)
})

it('a wrong secret is a configuration error naming appSecret', async () => {
  const wrong = new WechatOAuthClient(APP_ID, 'not-the-secret-0000000000000000', {
    apiBaseUrl: sandbox.apiBaseUrl,
  })
  const error = await wrong.validateAuthorizationCode(codeFor('lin', 'snsapi_base', 'S4')).catch((e) => e)
  await wrong.close()
  expect(error).toMatchObject({ action: 'fix_configuration' })
  expect(error.advice).toMatch(/appSecret/)
})
