/**
 * WeChat's outages as a person signing in meets them, through the HTTP flow: a reset connection, a
 * gateway's 5xx, -1 and 45011 on every try, and a hang. Each ends on the "Sign-in is unavailable"
 * page (503, no session), within the Instance's bounded tries (one presentation of the
 * code, at most three for WeChat's explicit busy answers), and counts as provider_unavailable.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest'
import type { SandboxFault } from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { LOGIN_PATH, type LoginHarness, openLoginHarness } from '../login-flow/harness.ts'

let h: LoginHarness
beforeAll(async () => {
  h = await openLoginHarness({ config: { attemptTimeoutMs: 300, totalDeadlineMs: 800 } })
})
afterAll(async () => {
  await h.close()
})
beforeEach(() => {
  h.sandbox.clearFaults()
  h.sandbox.resetCounters()
})

it.each<[string, SandboxFault, number]>([
  ['a reset connection', { kind: 'reset' }, 1],
  ['a gateway 502', { kind: 'status', status: 502 }, 1],
  ['a gateway 504', { kind: 'status', status: 504 }, 1],
  ['-1 on every try', { kind: 'busy' }, 3],
  ['45011 on every try', { kind: 'quota' }, 3],
  ['a hang past the deadline', { kind: 'hang' }, 1],
])('%s: the unavailable page, no session, bounded tries', async (_, fault, calls) => {
  h.sandbox.setFault('access_token', fault, { times: 'always' })
  const browser = h.browser()
  const started = await browser.get(`${LOGIN_PATH}?redirectUrl=%2Fcart`)
  const response = await browser.get(browser.authorize(new URL(String(started.headers.location))))
  expect(response.statusCode).toBe(503)
  expect(response.headers['content-type']).toBe('text/html; charset=utf-8')
  expect(response.body).toContain('Sign-in is unavailable right now')
  expect(response.headers['set-cookie'] ?? '').not.toMatch(/jit_session=[^;]/)
  // One presentation of the code; WeChat's busy answers are retried, up to `calls`, within the deadline.
  expect(h.wechatCalls().access_token).toBeGreaterThanOrEqual(1)
  expect(h.wechatCalls().access_token).toBeLessThanOrEqual(calls)
  expect(h.wechatCalls().userinfo).toBe(0)
  expect((await browser.session()).statusCode).toBe(401)
  const outcome = h.appLog.records.filter((record) => record.event === 'login').pop()
  expect(outcome?.outcome).toBe('provider_unavailable')
})
