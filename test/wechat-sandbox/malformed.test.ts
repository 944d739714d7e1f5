import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningWechatSandbox } from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { APPS, errorPageCode, parseWechatJson, rawRequest, startSandbox, submitConsent } from './helpers.ts'

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

  it('an avatar size named like a built-in object member is 404, not an SVG', async () => {
    const lin = sandbox.users().find((user) => user.key === 'lin')!
    const { avatarId } = await import('../../types/auths/loginTypes/WechatPublicType/sandbox/avatars.ts')
    const base = `${sandbox.url}/avatars/mmopen/${avatarId(lin.key)}`
    expect((await rawRequest(`${base}/132`)).status).toBe(200)
    for (const size of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const answer = await rawRequest(`${base}/${size}`)
      expect(answer.status, size).toBe(404)
      expect(answer.text, size).not.toContain('<svg')
    }
  })
})

describe('a redirect_uri that is not valid percent-encoded UTF-8: the parameter-error page', () => {
  // The redirect_uri of the issue: a truncated UTF-8 sequence at its end; then a raw control character.
  const BAD_URIS = ['http%3A%2F%2F127.0.0.1%3A3302%2Fcb%E0%A4', 'http%3A%2F%2F127.0.0.1%3A3302%2Fcb%0A']
  const query = (redirectUri: string, scope: string) =>
    `appid=${APPS.demo}&redirect_uri=${redirectUri}&response_type=code&scope=${scope}&state=abc&connect_redirect=1`

  it.each(BAD_URIS)('authorize, silent and with consent: %s', async (redirectUri) => {
    for (const scope of ['snsapi_base', 'snsapi_userinfo']) {
      const page = await rawRequest(
        `${sandbox.oauthBaseUrl}/connect/oauth2/authorize?${query(redirectUri, scope)}`,
      )
      expect(page.status, scope).toBe(200)
      expect(page.headers.location, scope).toBeUndefined()
      expect(errorPageCode(page.text), scope).toBeNull()
      expect(page.text, scope).toContain('redirect_uri 参数错误')
    }
  })

  it.each(BAD_URIS)('authorize_reply (Allow and Deny): %s', async (redirectUri) => {
    // A consent sheet for a good query, whose form is then sent back with the bad one (as a tampered
    // or hand-built reply would be).
    const good = await rawRequest(
      `${sandbox.oauthBaseUrl}/connect/oauth2/authorize?${query('http%3A%2F%2F127.0.0.1%3A3302%2Fcb', 'snsapi_userinfo')}`,
    )
    const tampered = good.text.replace(/redirect_uri=[^&"]*/, `redirect_uri=${redirectUri}`)
    // In the legacy mode Deny redirects too: both buttons must refuse the bad redirect_uri.
    sandbox.setSwitches({ denyMode: 'legacyRedirect' })
    try {
      for (const choice of [{ action: 'allow', user: 'lin' }, { action: 'deny' }] as const) {
        const reply = await submitConsent(sandbox, tampered, choice)
        expect(reply.status, choice.action).toBe(200)
        expect(reply.headers.location, choice.action).toBeUndefined()
        expect(reply.text, choice.action).toContain('redirect_uri 参数错误')
      }
    } finally {
      sandbox.reset()
    }
  })

  it('with strict state checking off, a state a Location header cannot carry goes back percent-encoded', async () => {
    sandbox.setSwitches({ strictState: false })
    try {
      for (const [state, sent] of [
        ['%E8%B7%AF', '%E8%B7%AF'],
        ['a%0Ab', 'a%0Ab'],
      ]) {
        const page = await rawRequest(
          `${sandbox.oauthBaseUrl}/connect/oauth2/authorize?${query('http%3A%2F%2F127.0.0.1%3A3302%2Fcb', 'snsapi_base').replace('state=abc', `state=${state}`)}`,
        )
        expect(page.status, state).toBe(302)
        expect(page.headers.location, state).toMatch(new RegExp(`&state=${sent}$`))
      }
    } finally {
      sandbox.reset()
    }
  })

  it('valid UTF-8 in a redirect_uri, encoded once or twice, redirects with it percent-encoded', async () => {
    for (const path of ['%E8%B7%AF', '%25E8%25B7%25AF']) {
      const page = await rawRequest(
        `${sandbox.oauthBaseUrl}/connect/oauth2/authorize?${query(`http%3A%2F%2F127.0.0.1%3A3302%2F${path}`, 'snsapi_base')}`,
      )
      expect(page.status, path).toBe(302)
      expect(page.headers.location, path).toMatch(
        /^http:\/\/127\.0\.0\.1:3302\/%E8%B7%AF\?code=[0-9A-Za-z]{32}&state=abc$/,
      )
    }
  })
})
