/**
 * Failing well on PostgreSQL: its server crashes under a real `jit start` and comes back. Login pages
 * answer 503 with the sign-in page and Retry-After (never a 500), /healthz fails, the log has one
 * error line for the outage, and the service logs people in again by itself once PostgreSQL is back.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { runPostgresOutage } from '../../scripts/ops/postgres-outage.ts'
import {
  type RunningWechatSandbox,
  startWechatSandbox,
} from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { type PostgresServer, startPostgres } from '../helpers/postgres-server.ts'

let sandbox: RunningWechatSandbox
let postgres: PostgresServer
beforeAll(async () => {
  sandbox = await startWechatSandbox()
  postgres = await startPostgres()
})
afterAll(async () => {
  await sandbox.close()
  postgres?.stop()
})

it('answers the 503 sign-in page while PostgreSQL is down, logs it once, and recovers on its own', async () => {
  // The test server trusts any password: one in the URL shows whether the logs keep it out.
  const url = postgres.url.replace('postgres@', 'postgres:pw-9f3k2x7q@')
  const report = await runPostgresOutage({
    sandbox,
    postgres: { url, crash: () => postgres.crash(), start: () => postgres.start() },
    attemptsWhileDown: 10,
  })
  expect(report.loggedInBefore).toBe(true)
  expect(report.whileDown).toEqual({ 503: 10 })
  expect(report.unavailablePages).toBe(10)
  expect(report.pendingCallbackStatus).toBe(503)
  expect(report.healthzWhileDown).toBe(503)
  expect(report.errorLines).toHaveLength(1)
  expect(report.errorLines[0]).toContain('JIT_DB_UNAVAILABLE')
  expect(report.recoveryLogged).toBe(true)
  expect(report.loggedInAfter).toBe(true)
  expect(report.stayedUp).toBe(true)
  expect(report.passwordInOutput).toBe(false)
}, 120_000)
