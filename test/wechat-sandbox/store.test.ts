import { describe, expect, it } from 'vitest'
import { SandboxClock } from '../../types/auths/loginTypes/WechatPublicType/sandbox/clock.ts'
import { type Grant, GrantStore } from '../../types/auths/loginTypes/WechatPublicType/sandbox/store.ts'

const GRANT: Grant = {
  appid: 'wx5a3c7f1e9b2d4680',
  userKey: 'lin',
  openid: 'oLVPpjqs9BhvzwPj5A-vTYAX3GLc',
  scope: 'snsapi_userinfo',
  snapshot: false,
}
const DAY_SECONDS = 24 * 3600

/** Enough issues for the store to sweep at least once. */
function issueMany(store: GrantStore, count = 1000): void {
  for (let i = 0; i < count; i++) store.issueCode(GRANT)
}

describe('the grant store forgets what expired a day ago, and nothing else', () => {
  it('answers "expired" for a day after expiry, then "unknown"; live tokens stay', () => {
    const clock = new SandboxClock()
    const store = new GrantStore(clock)
    const code = store.issueCode(GRANT)
    const tokens = store.issueTokens(GRANT)

    clock.advance(3 * 3600)
    expect(store.presentCode(code, GRANT.appid, { consume: false }).status).toBe('expired')
    expect(store.lookupAccessToken(tokens.accessToken).status).toBe('expired')
    issueMany(store)
    expect(store.presentCode(code, GRANT.appid, { consume: false }).status).toBe('expired')

    clock.advance(DAY_SECONDS)
    issueMany(store)
    expect(store.presentCode(code, GRANT.appid, { consume: false }).status).toBe('unknown')
    expect(store.lookupAccessToken(tokens.accessToken).status).toBe('unknown')
    expect(store.lookupRefreshToken(tokens.refreshToken, GRANT.appid).status).toBe('ok')
  })

  it('keeps a refresh token that was given a fresh 30 days, and sweeps the ones issued after it', () => {
    const clock = new SandboxClock()
    const store = new GrantStore(clock)
    const extended = store.issueTokens(GRANT).refreshToken
    const later = store.issueTokens(GRANT).refreshToken
    clock.advance(29 * DAY_SECONDS)
    store.extendRefreshToken(extended)
    // Past the later token's 30 days and the day it is kept after them.
    clock.advance(2 * DAY_SECONDS + 60)
    issueMany(store)
    expect(store.lookupRefreshToken(later, GRANT.appid).status).toBe('unknown')
    expect(store.lookupRefreshToken(extended, GRANT.appid).status).toBe('ok')
  })
})
