import { describe, expect, it } from 'vitest'
import {
  WECOM_SANDBOX_APPS,
  WECOM_SANDBOX_DEMO_APP,
  WecomSandbox,
} from '../../types/auths/loginTypes/QywxInnerType/sandbox/index.ts'

const minimal = () => ({
  corp: { corpid: 'ww0123456789abcdef', name: 'Tiny' },
  apps: [{ agentid: 1000002, secret: 'a'.repeat(43), name: 'Tiny app' }],
  departments: [{ id: 1, name: 'Root', parentid: 0 }],
  members: [{ key: 'amy', userid: 'Amy', name: 'Amy', department: [1] }],
})

describe('fixtures', () => {
  it('the default fixtures hold the demo app and the test apps exactly as exported', () => {
    const sandbox = new WecomSandbox()
    expect(sandbox.corp.corpid).toBe(WECOM_SANDBOX_DEMO_APP.corpId)
    for (const { agentId, secret } of Object.values(WECOM_SANDBOX_APPS))
      expect(sandbox.appsWithSecrets().find((app) => app.agentid === agentId)?.secret).toBe(secret)
    expect(WECOM_SANDBOX_APPS.staff.secret).toBe(WECOM_SANDBOX_DEMO_APP.corpSecret)
    expect(sandbox.apps().some((app) => 'secret' in app)).toBe(false)
  })

  it('a minimal corp works, with defaults filled', () => {
    const sandbox = new WecomSandbox({ fixtures: minimal() })
    expect(sandbox.defaultMember.userid).toBe('Amy')
    expect(sandbox.app(1000002)).toMatchObject({
      createdAfter20220620: true,
      trustedIps: null,
      oauthDomains: [],
    })
  })

  it.each([
    ['a corpid of the wrong shape', (f: any) => (f.corp.corpid = 'corp1'), 'corp.corpid'],
    ['a secret of the wrong length', (f: any) => (f.apps[0].secret = 'short'), 'apps.0.secret'],
    ['an agentid below 1000001', (f: any) => (f.apps[0].agentid = 5), 'apps.0.agentid'],
    [
      'two userids equal ignoring case',
      (f: any) => f.members.push({ key: 'amy2', userid: 'AMY', name: 'Amy 2', department: [1] }),
      'members.1.userid',
    ],
    [
      'a member in an unknown department',
      (f: any) => (f.members[0].department = [9]),
      'members.0.department',
    ],
    ['a default member that is not one', (f: any) => (f.defaultMember = 'zed'), 'defaultMember'],
  ])('refuses %s, naming the field', (_name, spoil, field) => {
    const fixtures = minimal()
    spoil(fixtures)
    expect(() => new WecomSandbox({ fixtures })).toThrow(
      expect.objectContaining({
        code: 'WECOM_SANDBOX_FIXTURES_INVALID',
        message: expect.stringContaining(field),
      }),
    )
  })

  it('a fixtures file that is not JSON: the position, never the content', () => {
    expect(() => new WecomSandbox({ fixtures: new URL('./helpers.ts', import.meta.url) })).toThrow(
      expect.objectContaining({
        code: 'WECOM_SANDBOX_FIXTURES_INVALID',
        message: expect.not.stringContaining('import'),
      }),
    )
  })
})
