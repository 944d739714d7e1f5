import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadFixtures } from '../../types/auths/loginTypes/WechatPublicType/sandbox/fixtures.ts'
import {
  WECHAT_SANDBOX_DEMO_APP,
  WechatSandbox,
  wechatSandboxInstanceConfig,
} from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { exchange, startSandbox } from './helpers.ts'

describe('default fixtures', () => {
  const fixtures = loadFixtures()

  it('hold the demo account the demo Instance references', () => {
    const demo = fixtures.apps.find((app) => app.appid === WECHAT_SANDBOX_DEMO_APP.appId)
    expect(demo).toMatchObject({
      secret: WECHAT_SANDBOX_DEMO_APP.appSecret,
      name: 'jitlite Demo',
      scopes: ['snsapi_base', 'snsapi_userinfo'],
      domains: ['127.0.0.1', 'localhost'],
    })
    expect(WECHAT_SANDBOX_DEMO_APP.appId).toMatch(/^wx[0-9a-f]{16}$/)
  })

  it('cover every case: base-only, bound, unbound, banned, Open Platform, test account', () => {
    const has = (predicate: (app: (typeof fixtures.apps)[number]) => boolean) => fixtures.apps.some(predicate)
    expect(has((app) => app.scopes.length === 1 && app.scopes[0] === 'snsapi_base')).toBe(true)
    expect(has((app) => app.boundToOpenPlatform && app.scopes.includes('snsapi_userinfo'))).toBe(true)
    expect(
      has(
        (app) =>
          !app.boundToOpenPlatform &&
          app.scopes.includes('snsapi_userinfo') &&
          app.kind === 'officialAccount',
      ),
    ).toBe(true)
    expect(has((app) => app.banned)).toBe(true)
    expect(has((app) => app.kind === 'openPlatform')).toBe(true)
    expect(has((app) => app.testAccount)).toBe(true)
  })

  it('cover every user: emoji with a raw U+0014, no avatar, snapshot, not following the test account', () => {
    const testAccount = fixtures.apps.find((app) => app.testAccount)!.appid
    expect(
      fixtures.users.some(
        (user) => /\p{Extended_Pictographic}/u.test(user.nickname) && user.nickname.includes('\u0014'),
      ),
    ).toBe(true)
    expect(fixtures.users.some((user) => user.avatar === null)).toBe(true)
    expect(fixtures.users.some((user) => user.snapshot)).toBe(true)
    expect(fixtures.users.some((user) => !user.follows.includes(testAccount))).toBe(true)
  })

  it('wechatSandboxInstanceConfig points both hosts at the mount', () => {
    expect(wechatSandboxInstanceConfig('http://127.0.0.1:3000/__sandbox/wechat/')).toEqual({
      oauthBaseUrl: 'http://127.0.0.1:3000/__sandbox/wechat',
      apiBaseUrl: 'http://127.0.0.1:3000/__sandbox/wechat',
    })
  })
})

describe('custom fixtures', () => {
  const custom = {
    apps: [{ appid: 'wx00112233445566aa', secret: 'ab'.repeat(16), name: 'Mine', domains: ['mine.test'] }],
    users: [
      { key: 'me', nickname: 'Me', avatar: null, openids: { wx00112233445566aa: `o${'M'.repeat(27)}` } },
    ],
  }

  it('from an object or a file: the fixture openid comes back from a real exchange', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wechat-sandbox-fixtures-'))
    const file = join(dir, 'fixtures.json')
    writeFileSync(file, JSON.stringify(custom))
    for (const fixtures of [custom, file]) {
      const sandbox = await startSandbox({ fixtures })
      try {
        const url = sandbox.authorize({
          appid: custom.apps[0].appid,
          redirectUri: 'https://mine.test/cb',
          scope: 'snsapi_userinfo',
          state: 's',
        })
        const tokens = await exchange(
          sandbox,
          new URL(url).searchParams.get('code')!,
          custom.apps[0].appid,
          'ab'.repeat(16),
        )
        expect(tokens.body.openid).toBe(`o${'M'.repeat(27)}`)
        expect(tokens.body).not.toHaveProperty('unionid')
      } finally {
        await sandbox.close()
      }
    }
  })

  it('refuses broken fixtures with a code, the file and the field, never a secret value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wechat-sandbox-fixtures-'))
    const malformed = join(dir, 'broken.json')
    writeFileSync(malformed, `{"apps":[{"secret":"${'cd'.repeat(16)}",`)
    const attempts: [unknown, RegExp][] = [
      [join(dir, 'missing.json'), /Cannot read the fixtures file .*missing\.json/],
      [malformed, /broken\.json is not valid JSON/],
      [{ ...custom, apps: [{ ...custom.apps[0], secret: 'short-secret' }] }, /apps\.0\.secret/],
      [{ ...custom, apps: [custom.apps[0], custom.apps[0]] }, /apps\.1\.appid: duplicate appid/],
      [{ ...custom, defaultUser: 'ghost' }, /defaultUser: names no user/],
      [{ ...custom, users: [{ ...custom.users[0], surname: 'x' }] }, /users\.0/],
    ]
    for (const [fixtures, message] of attempts) {
      let caught: any
      try {
        new WechatSandbox({ fixtures: fixtures as never })
      } catch (error) {
        caught = error
      }
      expect(caught?.code, String(message)).toBe('WECHAT_SANDBOX_FIXTURES_INVALID')
      expect(caught.message).toMatch(message)
      expect(caught.message).not.toContain('cd'.repeat(16))
      expect(caught.message).not.toContain('short-secret')
    }
  })
})
