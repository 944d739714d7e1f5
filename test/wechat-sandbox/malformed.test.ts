import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningWechatSandbox } from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { errorPageCode, parseWechatJson, rawRequest, startSandbox } from './helpers.ts'

let sandbox: RunningWechatSandbox
beforeAll(async () => {
  sandbox = await startSandbox()
})
afterAll(async () => {
  await sandbox.close()
})

const post = (path: string, contentType: string, body: string) =>
  rawRequest(`${sandbox.url}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body })

describe('malformed input: WeChat-style answers or a 4xx, never a 500', () => {
  it('broken percent-encoding and oversized values on the API answer WeChat errors', async () => {
    const broken = await rawRequest(`${sandbox.apiBaseUrl}/sns/userinfo?access_token=%ZZ&openid=%`)
    expect(broken.status).toBe(200)
    expect(parseWechatJson(broken.text).errcode).toBe(40001)
    const huge = await rawRequest(
      `${sandbox.apiBaseUrl}/sns/auth?access_token=${'a'.repeat(10_000)}&openid=o`,
    )
    expect(parseWechatJson(huge.text).errcode).toBe(40001)
  })

  it('broken queries on the authorize page show an error page', async () => {
    for (const query of ['%%%&appid=%E0%A4%A', `appid=${'a'.repeat(10_000)}`, '']) {
      const page = await rawRequest(`${sandbox.oauthBaseUrl}/connect/oauth2/authorize?${query}`)
      expect(page.status, query.slice(0, 20)).toBe(200)
      expect(errorPageCode(page.text)).not.toBeUndefined()
    }
  })

  it('a consent reply with the wrong body type, shape or size', async () => {
    const replies = [
      await post('/connect/oauth2/authorize_reply', 'application/json', '{"query":5}'),
      await post('/connect/oauth2/authorize_reply', 'application/json', '[1,2]'),
      await post('/connect/oauth2/authorize_reply', 'text/plain', 'x'),
      await post(
        '/connect/oauth2/authorize_reply',
        'application/x-www-form-urlencoded',
        'query=%ZZ&action=allow&action=deny',
      ),
    ]
    for (const reply of replies) {
      expect(reply.status).toBe(200)
      expect(errorPageCode(reply.text)).not.toBeUndefined()
    }
    const oversized = await post(
      '/connect/oauth2/authorize_reply',
      'application/x-www-form-urlencoded',
      `query=${'a'.repeat(20_000)}`,
    )
    expect(oversized.status).toBe(413)
  })

  it('unknown avatars are 404', async () => {
    expect((await rawRequest(`${sandbox.url}/avatars/mmopen/${'0'.repeat(32)}/132`)).status).toBe(404)
    expect((await rawRequest(`${sandbox.url}/avatars/app/%00`)).status).toBe(404)
  })
})
