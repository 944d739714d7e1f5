/**
 * Failing well when the database is unusable, under a real `jit start` (the short version of `npm run
 * faults`' second part): PostgreSQL crashes and comes back; SQLite's disk fills up and is freed. Login
 * pages answer 503 with the sign-in page and Retry-After (never a 500), /healthz fails, the log has
 * one error line for the outage, and the service logs people in again by itself once it clears. The
 * disk-full case mounts a tmpfs: it needs root, as CI has.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type OutageReport, runDatabaseOutage } from '../../scripts/ops/database-outage.ts'
import {
  type RunningWechatSandbox,
  startWechatSandbox,
} from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { type PostgresServer, startPostgres } from '../helpers/postgres-server.ts'

let sandbox: RunningWechatSandbox
let postgres: PostgresServer | undefined
beforeAll(async () => {
  sandbox = await startWechatSandbox()
})
afterAll(async () => {
  await sandbox.close()
  postgres?.stop()
})

function expectFailedWell(report: OutageReport, faultCode: RegExp) {
  expect(report.loggedInBefore).toBe(true)
  expect(report.whileDown).toEqual({ 503: 10 })
  expect(report.unavailablePages).toBe(10)
  expect(report.pendingCallbackStatus).toBe(503)
  expect(report.healthzWhileDown).toBe(503)
  expect(report.errorLines).toHaveLength(1)
  expect(report.errorLines[0]).toMatch(faultCode)
  expect(report.errorLines[0]).toContain('JIT_DB_UNAVAILABLE')
  expect(report.recoveryLogged).toBe(true)
  expect(report.loggedInAfter).toBe(true)
  expect(report.stayedUp).toBe(true)
}

it('PostgreSQL down and back: the 503 sign-in page, one log line without the password, recovery on its own', async () => {
  postgres = await startPostgres()
  // The test server trusts any password: one in the URL shows whether the logs keep it out.
  const url = postgres.url.replace('postgres@', 'postgres:pw-9f3k2x7q@')
  const server = postgres
  const report = await runDatabaseOutage({
    sandbox,
    outage: {
      kind: 'postgres-down',
      postgres: { url, crash: () => server.crash(), start: () => server.start() },
    },
    attemptsWhileDown: 10,
  })
  expectFailedWell(report, /PG_CONNECTION_LOST/)
  expect(report.passwordInOutput).toBe(false)
}, 120_000)

it('SQLite on a full disk, then freed: the 503 sign-in page, one log line, recovery on its own', async () => {
  const report = await runDatabaseOutage({
    sandbox,
    outage: { kind: 'sqlite-disk-full' },
    attemptsWhileDown: 10,
  })
  expectFailedWell(report, /SQLITE_FULL/)
}, 120_000)
