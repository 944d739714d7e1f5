/**
 * The Instance as the login family's flow uses it: `completeLogin` outcomes for every kind of
 * failure, and one login over HTTP through the Meta's login and callback actions.
 */
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildServer } from '../../runtime/http/server.ts'
import { codeFor, DEMO, MODEL, useSandboxAndSharedApp, useTestKey } from './helpers.ts'

useTestKey()
const { sandbox, app } = useSandboxAndSharedApp({
  Login: {},
  Silent: { scope: 'snsapi_base' },
  WrongSecret: { appSecret: '0123456789abcdef0123456789abcdef' },
  Fast: { attemptTimeoutMs: 300, totalDeadlineMs: 600 },
})

const provider = (instance = 'Login') => app.getElement(`auths.loginTypes.${instance}`)
const complete = (code: string, instance = 'Login') =>
  provider(instance).completeLogin({ code, callbackUrl: 'http://127.0.0.1:3000/cb' })
const rowCount = async () => (await app.getElement(MODEL('Login')).query({})).totalCount as number

describe('completeLogin', () => {
  it('success: a session user keyed by the row id, with a display name cleaned of control characters', async () => {
    const result = await complete(codeFor(sandbox, { user: 'momo' }))
    expect(result.status).toBe('success')
    const row = await app.getElement(MODEL('Login')).get({ openid: result.user.profile.openid })
    expect(result.user).toEqual({
      userKey: String(row.id),
      displayName: 'Momo🌸',
      avatarUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/avatars\//),
      profile: {
        appId: DEMO.appId,
        openid: row.openid,
        scope: 'snsapi_userinfo',
        unionid: expect.stringMatching(/^o/),
      },
    })
    expect(JSON.stringify(result)).not.toMatch(/86_|v1\./)
    expect(sandbox.counters()).toMatchObject({ access_token: 1, userinfo: 1 })
  })

  it('snsapi_base: success without a userinfo call or a display name', async () => {
    const result = await complete(codeFor(sandbox, { user: 'kai', scope: 'snsapi_base' }), 'Silent')
    expect(result).toMatchObject({ status: 'success', user: { profile: { scope: 'snsapi_base' } } })
    expect(result.user.displayName).toBeUndefined()
    expect(sandbox.counters()).toMatchObject({ access_token: 1, userinfo: 0 })
  })

  it('a snapshot-page user: status snapshot, nothing stored, no userinfo call', async () => {
    const before = await rowCount()
    expect(await complete(codeFor(sandbox, { user: 'visitor' }))).toEqual({ status: 'snapshot' })
    expect(sandbox.counters()).toMatchObject({ access_token: 1, userinfo: 0 })
    expect(await rowCount()).toBe(before)
  })

  it.each([
    ['a used or unknown code (40029)', () => ({ code: '0'.repeat(32) }), 'expired', 40029],
    [
      'an exchange busy on every try (-1)',
      () => sandbox.setFault('access_token', { kind: 'busy' }, { times: 'always' }),
      'unavailable',
      -1,
    ],
    [
      'the minute quota on every try (45011)',
      () => sandbox.setFault('access_token', { kind: 'quota' }, { times: 'always' }),
      'unavailable',
      45011,
    ],
    [
      'userinfo refused for the scope (48001)',
      () => sandbox.setFault('userinfo', { kind: 'errcode', errcode: 48001 }),
      'misconfigured',
      48001,
    ],
    [
      'an openid that does not match (40003)',
      () => sandbox.setFault('userinfo', { kind: 'errcode', errcode: 40003 }),
      'provider_error',
      40003,
    ],
    [
      'an HTML page instead of JSON',
      () =>
        sandbox.setFault('access_token', {
          kind: 'body',
          body: '<html>proxy login</html>',
          contentType: 'text/html',
        }),
      'provider_error',
      undefined,
    ],
    [
      'a 502 from a gateway',
      () => sandbox.setFault('access_token', { kind: 'status', status: 502 }),
      'unavailable',
      undefined,
    ],
    [
      'a reset connection',
      () => sandbox.setFault('access_token', { kind: 'reset' }),
      'unavailable',
      undefined,
    ],
  ] as const)(
    '%s: a failed result with its reason, nothing stored',
    async (_, arrange, reason, providerCode) => {
      const before = await rowCount()
      const arranged = arrange() as { code?: string } | undefined
      const result = await complete(arranged?.code ?? codeFor(sandbox))
      expect(result).toMatchObject({ status: 'failed', reason })
      if (providerCode !== undefined) expect(result.providerCode).toBe(providerCode)
      expect(result.message).toMatch(/[.!]$/)
      // A code is presented once, except after WeChat's explicit busy answers (-1, 45011), which
      // are retried within bounds.
      const busy = providerCode === -1 || providerCode === 45011
      expect(sandbox.counters().access_token).toBe(busy ? 3 : 1)
      expect(await rowCount()).toBe(before)
    },
  )

  it('a wrong secret: misconfigured, and the user-facing message names no setting value', async () => {
    const result = await complete(codeFor(sandbox), 'WrongSecret')
    expect(result).toMatchObject({ status: 'failed', reason: 'misconfigured', providerCode: 40125 })
    expect(result.message).not.toContain('0123456789abcdef')
  })

  it('a hanging token endpoint: unavailable within the deadline', async () => {
    sandbox.setFault('access_token', { kind: 'hang' })
    const result = await complete(codeFor(sandbox), 'Fast')
    expect(result).toMatchObject({ status: 'failed', reason: 'unavailable' })
    expect(sandbox.counters().access_token).toBe(1)
  })
})

describe('over HTTP, through the login family flow', () => {
  let server: FastifyInstance
  beforeAll(async () => {
    server = await buildServer(app)
  })
  afterAll(async () => {
    await server.close()
  })

  it('login -> WeChat -> callback opens a session for the stored user', async () => {
    const base = '/api/tests/wechat/auths/loginTypes/Login'
    const start = await server.inject({ method: 'GET', url: `${base}/login?redirectUrl=/welcome` })
    expect(start.statusCode).toBe(302)
    const authorizeUrl = new URL(String(start.headers.location))
    expect(authorizeUrl.origin + authorizeUrl.pathname).toBe(`${sandbox.url}/connect/oauth2/authorize`)
    expect(authorizeUrl.searchParams.get('appid')).toBe(DEMO.appId)
    const cookie = (start.cookies as Array<{ name: string; value: string }>)
      .map(({ name, value }) => `${name}=${value}`)
      .join('; ')
    const redirect = new URL(
      sandbox.authorize({
        appid: DEMO.appId,
        redirectUri: authorizeUrl.searchParams.get('redirect_uri') ?? '',
        scope: authorizeUrl.searchParams.get('scope') ?? '',
        state: authorizeUrl.searchParams.get('state') ?? '',
        user: 'ada',
      }),
    )
    expect(redirect.pathname).toBe(`${base}/callback`)
    const callback = await server.inject({
      method: 'GET',
      url: `${redirect.pathname}${redirect.search}`,
      headers: { cookie },
    })
    expect(callback.statusCode).toBe(302)
    expect(callback.headers.location).toMatch(/\/welcome$/)
    const session = (callback.cookies as Array<{ name: string; value: string }>).find(
      (c) => c.name === 'jit_session',
    )
    expect(session).toBeDefined()
    const me = await server.inject({
      method: 'GET',
      url: '/api/tests/wechat/auths/session',
      headers: { cookie: `jit_session=${session?.value}` },
    })
    expect(me.json().data.user).toMatchObject({
      loginType: 'auths.loginTypes.Login',
      displayName: 'Ada Zhou',
      profile: { appId: DEMO.appId },
    })
    expect(me.body).not.toMatch(/86_|v1\.|appSecret/)
    expect(sandbox.counters()).toMatchObject({ access_token: 1, userinfo: 1 })
  })
})
