import { describe, expect, it } from 'vitest'
import type { RunningWechatSandbox } from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { encodeWechatJson } from '../../types/auths/loginTypes/WechatPublicType/sandbox/wire.ts'
import { codeFor, exchange, sns, tokensFor, useSandbox } from './helpers.ts'

let sandbox: RunningWechatSandbox
useSandbox((started) => {
  sandbox = started
})

describe("the bytes of WeChat's answers", () => {
  it('HTTP 200 text/plain for successes and errors alike', async () => {
    const ok = (await exchange(sandbox, codeFor(sandbox))).raw
    const error = (await exchange(sandbox, 'nope')).raw
    for (const response of [ok, error]) {
      expect(response.status).toBe(200)
      expect(response.headers['content-type']).toBe('text/plain')
    }
  })

  it('errmsg ends in a fresh ", rid: xxxxxxxx-xxxxxxxx-xxxxxxxx" whose first part is the time in hex', async () => {
    const first = (await exchange(sandbox, 'nope')).body.errmsg as string
    const second = (await exchange(sandbox, 'nope')).body.errmsg as string
    expect(first).toMatch(/^invalid code, rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/)
    expect(first).not.toBe(second)
    const seconds = Number.parseInt(first.split('rid: ')[1].slice(0, 8), 16)
    expect(Math.abs(seconds - Date.now() / 1000)).toBeLessThan(120)
  })

  it('"/" is escaped as "\\/" and non-ASCII is raw UTF-8', async () => {
    const tokens = await tokensFor(sandbox, { user: 'lin' })
    const { raw } = await sns(sandbox, '/sns/userinfo', {
      access_token: tokens.access_token,
      openid: tokens.openid,
    })
    expect(raw.text).toContain(`"headimgurl":"http:\\/\\/127.0.0.1:`)
    expect(raw.text).not.toMatch(/"headimgurl":"http:\/\//)
    expect(raw.text).toContain('"nickname":"林小雨"')
    expect(raw.text).not.toContain('\\u')
  })

  it('the content type can be switched to application/json; encoding=utf-8', async () => {
    sandbox.setSwitches({ contentType: 'application/json; encoding=utf-8' })
    expect((await exchange(sandbox, 'nope')).raw.headers['content-type']).toBe(
      'application/json; encoding=utf-8',
    )
  })

  it('encodeWechatJson: key order kept, undefined members left out, control characters other than \\n\\r\\t\\b\\f raw', () => {
    expect(
      encodeWechatJson({ b: 1, a: 'x/y', c: undefined as never, d: [true, null], e: 'l1\nl2\u0014"\\' }),
    ).toBe('{"b":1,"a":"x\\/y","d":[true,null],"e":"l1\\nl2\u0014\\"\\\\"}')
  })
})
