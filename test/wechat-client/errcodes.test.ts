import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  WechatApiError,
  type WechatErrorAction,
  WechatOAuthClient,
} from '../../types/auths/loginTypes/WechatPublicType/client/index.ts'
import {
  ACCESS_TOKEN,
  APP_ID,
  APP_SECRET,
  type EndpointPath,
  errcode,
  type FakeWechat,
  OPENID,
  REFRESH_TOKEN,
  startFakeWechat,
} from './fake-wechat.ts'

const CODE = '061Ab2Ga1Lx9ZF0xYyJa1RrbAC4Ab2GK'

// docs/wechat-protocol.md#error-moves, row by row, on the endpoint where each code occurs, written out here
// independently of the client's own table: [errcode, endpoint, action, calls WeChat sees].
const SECTION_7: [number, EndpointPath, WechatErrorAction, number][] = [
  [-1, '/sns/userinfo', 'retry', 3],
  [-1, '/sns/oauth2/access_token', 'restart_authorization', 3],
  [45011, '/sns/oauth2/refresh_token', 'back_off', 3],
  [45011, '/sns/oauth2/access_token', 'restart_authorization', 3],
  [45009, '/sns/userinfo', 'back_off', 1],
  [40029, '/sns/oauth2/access_token', 'restart_authorization', 1],
  [40163, '/sns/oauth2/access_token', 'restart_authorization', 1],
  [42003, '/sns/oauth2/access_token', 'restart_authorization', 1],
  [41008, '/sns/oauth2/access_token', 'restart_authorization', 1],
  [42001, '/sns/userinfo', 'refresh_token', 1],
  [40001, '/sns/userinfo', 'refresh_token', 1],
  [40014, '/sns/userinfo', 'refresh_token', 1],
  [40030, '/sns/oauth2/refresh_token', 'clear_tokens', 1],
  [42002, '/sns/oauth2/refresh_token', 'clear_tokens', 1],
  [42007, '/sns/oauth2/refresh_token', 'clear_tokens', 1],
  [40013, '/sns/oauth2/access_token', 'fix_configuration', 1],
  [40125, '/sns/oauth2/access_token', 'fix_configuration', 1],
  [40001, '/sns/oauth2/access_token', 'fix_configuration', 1],
  [41002, '/sns/oauth2/access_token', 'fix_configuration', 1],
  [41004, '/sns/oauth2/access_token', 'fix_configuration', 1],
  [48001, '/sns/userinfo', 'fix_configuration', 1],
  [40003, '/sns/userinfo', 'reject', 1],
  [99999, '/sns/userinfo', 'reject', 1],
]

// The setting a configuration error must name, so the operator knows what to change.
const SETTING_NAMED: Record<number, RegExp> = {
  40013: /appId/,
  40125: /appSecret/,
  41002: /appId/,
  41004: /appSecret/,
  48001: /scope/,
}

describe('every errcode in docs/wechat-protocol.md#error-moves maps to its move', () => {
  let wechat: FakeWechat
  let client: WechatOAuthClient

  beforeAll(async () => {
    wechat = await startFakeWechat()
    client = new WechatOAuthClient(APP_ID, APP_SECRET, {
      apiBaseUrl: wechat.baseUrl,
      retryBaseDelayMs: 1,
      quotaRetryBaseDelayMs: 2,
    })
  })
  afterAll(async () => {
    await client.close()
    await wechat.close()
  })

  function call(endpoint: EndpointPath): Promise<unknown> {
    if (endpoint === '/sns/oauth2/access_token') return client.validateAuthorizationCode(CODE)
    if (endpoint === '/sns/oauth2/refresh_token') return client.refreshAccessToken(REFRESH_TOKEN)
    return client.getUserInfo(ACCESS_TOKEN, OPENID)
  }

  it.each(SECTION_7)(
    'errcode %i on %s: action %s after %i call(s)',
    async (code, endpoint, action, calls) => {
      wechat.calls.length = 0
      wechat.setDefault(endpoint, errcode(code, `message for ${code}`))
      const error = (await call(endpoint).catch((e) => e)) as WechatApiError
      expect(error).toBeInstanceOf(WechatApiError)
      expect(error).toMatchObject({ code: 'WECHAT_API_ERROR', errcode: code, endpoint, action })
      expect(error.errmsg).toBe(`message for ${code}`)
      expect(error.message).toContain(`errcode ${code}`)
      expect(error.message).toContain(error.advice)
      if (SETTING_NAMED[code] && action === 'fix_configuration')
        expect(error.advice).toMatch(SETTING_NAMED[code])
      expect(wechat.callsTo(endpoint)).toHaveLength(calls)
    },
  )

  it.each([
    ['invalid code, rid: 6326ffdf-41c7c0d8-5a6bb364', 'invalid code'],
    ['invalid code, hints: [ req_id: lAD2cA0323ns11 ]', 'invalid code'],
    [
      'invalid credential, access_token is invalid or not latest rid: 64f0a2b1-1c2d3e4f-5a6b7c8d',
      'invalid credential, access_token is invalid or not latest',
    ],
    ['system error', 'system error'],
  ])('errmsg %j loses its request-id suffix', async (errmsg, expected) => {
    wechat.setDefault('/sns/userinfo', { body: JSON.stringify({ errcode: 40003, errmsg }) })
    await expect(client.getUserInfo(ACCESS_TOKEN, OPENID)).rejects.toMatchObject({ errmsg: expected })
  })
})
