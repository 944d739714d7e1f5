/**
 * The short version of `npm run fuzz`: generated hostile requests over every route of a real
 * `jit start`, interleaved with real logins; none gets a 5xx, a session, a redirect off the origin or
 * a secret, and the real logins keep theirs.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { runFuzz } from '../../scripts/ops/fuzz.ts'
import {
  type RunningWechatSandbox,
  startWechatSandbox,
} from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'

let sandbox: RunningWechatSandbox
beforeAll(async () => {
  sandbox = await startWechatSandbox()
})
afterAll(async () => {
  await sandbox.close()
})

it('answers 600 hostile requests with no 5xx, stray session, off-origin redirect or leaked secret', async () => {
  const report = await runFuzz({
    sandbox,
    database: { kind: 'sqlite' },
    requests: 600,
    loginEvery: 60,
    concurrency: 8,
    seed: 18,
  })
  expect(report.sent).toBe(600)
  expect(report.realLogins).toBe(11)
  expect(report.examples).toEqual([])
  expect(report).toMatchObject({ serverErrors: 0, straySessions: 0, offOriginRedirects: 0, leakedSecrets: 0 })
  // The generated requests reach the routes, not only their 404: some are answered, some redirected.
  expect(report.statuses['2xx']).toBeGreaterThan(0)
  expect(report.statuses['3xx']).toBeGreaterThan(0)
}, 120_000)
