/**
 * The short version of `npm run soak`: logins at a steady rate against a real `jit start` and the
 * WeChat sandbox for a few seconds, the process's memory sampled from /proc and its /metrics. The
 * growth figure needs minutes (npm run soak); here: every login finishes and keeps its session, and
 * the samples are the process's own.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { runSoak } from '../../scripts/ops/soak.ts'
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

it('serves logins at a steady rate with none failed, sampling the served process memory', async () => {
  const report = await runSoak({
    sandbox,
    database: { kind: 'sqlite' },
    durationMs: 6000,
    rate: 40,
    maxInFlight: 32,
    sampleEveryMs: 1000,
    windowMs: 4000,
    // A test run shares the machine: the overload guard's 503 under its lag is not what this checks.
    env: { OVERLOAD: 'off' },
  })
  expect(report.failures).toEqual({})
  expect(report.logins).toBeGreaterThan(0)
  // 1 of each 1000 is checked at the end: login 0 at least.
  expect(report.sessionsMissing).toBe(0)
  expect(report.samples.length).toBeGreaterThanOrEqual(4)
  for (const sample of report.samples) {
    // A Node process serving an app: tens of MB resident at least, its heap smaller than its RSS.
    expect(sample.rssBytes).toBeGreaterThan(30 * 1024 * 1024)
    expect(sample.heapUsedBytes).toBeGreaterThan(0)
    expect(sample.heapUsedBytes).toBeLessThan(sample.rssBytes)
  }
  expect(Number.isFinite(report.growth.rss.percent)).toBe(true)
  expect(Number.isFinite(report.growth.heap.percent)).toBe(true)
}, 90_000)
