/** The app token as logins use it, counted at the (fake) WeCom server. */
import { afterEach, describe, expect, it } from 'vitest'
import { type FakeWecom, startFakeWecom } from './fake-wecom.ts'
import { openWecomHarness, type WecomHarness } from './helpers.ts'

let fake: FakeWecom | undefined
let h: WecomHarness | undefined
afterEach(async () => {
  await h?.close()
  await fake?.close()
  h = fake = undefined
})

async function open(config: Record<string, unknown> = {}) {
  fake = await startFakeWecom()
  h = await openWecomHarness(fake, { config })
  return { fake, h }
}

describe('the shared app token', () => {
  it('100 concurrent logins make one gettoken', async () => {
    const { fake, h } = await open()
    const browsers = Array.from({ length: 100 }, () => h.browser())
    const callbacks = await Promise.all(
      browsers.map(async (browser, i) =>
        browser.callbackFor(await browser.start(), { userid: i % 2 ? 'lisi' : 'ZhangSan' }),
      ),
    )
    // WeCom is slow to hand out the token: every login is waiting for it at once.
    fake.delay('gettoken', 300)
    const responses = await Promise.all(browsers.map((browser, i) => browser.get(callbacks[i])))
    expect(responses.map((response) => response.statusCode)).toEqual(Array(100).fill(302))
    expect(fake.count('gettoken')).toBe(1)
    expect(fake.count('getuserinfo')).toBe(100)
    const tokens = new Set(
      fake.calls.filter((c) => c.endpoint !== 'gettoken').map((c) => c.query.access_token),
    )
    expect(tokens.size).toBe(1)
  })

  it.each([42001, 40014] as const)(
    'a token WeCom expired early (%i) is fetched again once, and the login succeeds',
    async (errcode) => {
      const { fake, h } = await open()
      await h.browser().login({ userid: 'lisi' })
      fake.calls.length = 0
      fake.expireToken(errcode)
      const browser = h.browser()
      const { response } = await browser.login({ userid: 'ZhangSan' })
      expect(response.statusCode).toBe(302)
      expect((await browser.session()).user?.profile).toMatchObject({ userId: 'ZhangSan' })
      expect(fake.calls.map((call) => call.endpoint)).toEqual([
        'getuserinfo',
        'gettoken',
        'getuserinfo',
        'user_get',
      ])
      // The next login uses the new token without another gettoken.
      fake.calls.length = 0
      await h.browser().login({ userid: 'lisi' })
      expect(fake.count('gettoken')).toBe(0)
    },
  )

  it('a token refused twice in a row ends the login after one refetch, never in a loop', async () => {
    const { fake, h } = await open()
    await h.browser().login({ userid: 'lisi' })
    fake.calls.length = 0
    fake.failNext('getuserinfo', 42001, 5)
    const { response } = await h.browser().login({ userid: 'lisi' })
    expect(response.statusCode).toBe(503)
    expect(fake.calls.map((call) => call.endpoint)).toEqual(['getuserinfo', 'gettoken', 'getuserinfo'])
  })

  it('a wrong secret (40001 from gettoken) is a configuration problem: one call, no retry, a clear log line', async () => {
    const { fake, h } = await open({ corpSecret: 'wrong_secret_0123456789abcdefghijklmnopqrstu' })
    const { response } = await h.browser().login({ userid: 'lisi' })
    expect(response.statusCode).toBe(503)
    expect(response.body).toContain('not set up correctly')
    expect(fake.calls.map((call) => call.endpoint)).toEqual(['gettoken'])
    const line = h.logLines.find((l) => l.includes('errcode 40001'))
    expect(line).toContain('corpSecret')
    expect(line).not.toContain('wrong_secret')
  })

  it('busy (-1) is retried with backoff, at most 3 times', async () => {
    const { fake, h } = await open()
    fake.failNext('gettoken', -1, 2)
    const { response } = await h.browser().login({ userid: 'lisi' })
    expect(response.statusCode).toBe(302)
    expect(fake.count('gettoken')).toBe(3)
  })
})
