/**
 * Nothing lost on `kill -9` (the short version of `npm run faults`' first part): a real `jit start`
 * under concurrent logins, some callbacks held inside it, is killed with SIGKILL; on SQLite and on
 * PostgreSQL, every login that got its final redirect keeps its session after the restart, no row is
 * half-written, and each callback that was in flight ends, delivered again, on a page and never a 5xx.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runKillNine } from '../../scripts/ops/kill-nine.ts'
import type { TargetDatabase } from '../../scripts/ops/target.ts'
import {
  type RunningWechatSandbox,
  startWechatSandbox,
} from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { type FreshDatabase, freshPostgresDatabase } from '../helpers/postgres.ts'

let sandbox: RunningWechatSandbox
const databases: FreshDatabase[] = []
beforeAll(async () => {
  sandbox = await startWechatSandbox()
})
afterAll(async () => {
  await sandbox.close()
  for (const database of databases) await database.drop()
})

describe.each(['sqlite', 'postgres'] as const)('on %s', (kind) => {
  it('keeps every finished login and leaves no half-written row; replayed callbacks get a page', async () => {
    let database: TargetDatabase = { kind: 'sqlite' }
    if (kind === 'postgres') {
      const fresh = await freshPostgresDatabase()
      databases.push(fresh)
      database = { kind: 'postgres', url: fresh.url }
    }
    const report = await runKillNine({
      sandbox,
      database,
      loginsBeforeKill: 30,
      concurrency: 6,
      heldCallbacks: 3,
    })
    expect(report.signal).toBe('SIGKILL')
    expect(report.completedBeforeKill).toBeGreaterThanOrEqual(30)
    expect(report.lostSessions).toBe(0)
    expect(report.rows.integrity).toBe(kind === 'sqlite' ? 'ok' : 'n/a')
    expect(report.rows.halfWritten).toEqual({ users: 0, sessions: 0, states: 0 })
    expect(report.rows.sessions).toBeGreaterThanOrEqual(report.completedBeforeKill)
    // The held callbacks' exchanges never finished: each is offered a fresh login.
    expect(report.heldOffered).toBe(3)
    expect(report.replays.other).toEqual({})
  }, 120_000)
})
