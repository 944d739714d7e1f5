/**
 * `npm run faults`: kill -9 under logins and database outages, on SQLite and on PostgreSQL (a
 * throwaway PostgreSQL 15 server of its own, so it may crash and restart it; needs the PostgreSQL
 * binaries, and root for the SQLite disk-full fault's tmpfs). Prints what each run found; every
 * count of lost or half-written must be 0. FAULTS_ROUNDS (default 3) kills per database,
 * FAULTS_LOGINS (default 300) logins before each kill, FAULTS_CONCURRENCY (default 16).
 */
import { startPostgres } from '../test/helpers/postgres-server.ts'
import { startWechatSandbox } from '../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { type OutageReport, runDatabaseOutage } from './ops/database-outage.ts'
import { runKillNine } from './ops/kill-nine.ts'
import { numberFromEnv } from './ops/script-env.ts'
import type { TargetDatabase } from './ops/target.ts'

const rounds = numberFromEnv('FAULTS_ROUNDS', 3)
const loginsBeforeKill = numberFromEnv('FAULTS_LOGINS', 300)
const concurrency = numberFromEnv('FAULTS_CONCURRENCY', 16)
const HELD = 4
let problems = 0
const check = (what: string, ok: boolean) => {
  if (!ok) problems++
  console.log(`    ${ok ? 'ok  ' : 'FAIL'} ${what}`)
}

const sandbox = await startWechatSandbox()
const postgres = await startPostgres()
try {
  const databases: Array<[string, () => Promise<TargetDatabase>]> = [
    ['SQLite', async () => ({ kind: 'sqlite' })],
    [
      'PostgreSQL',
      async () => {
        const name = `jit_faults_${Date.now()}_${Math.floor(Math.random() * 1e6)}`
        const pg = await import('pg')
        const client = new pg.default.Client({ connectionString: postgres.url })
        await client.connect()
        await client.query(`create database ${name}`)
        await client.end()
        return { kind: 'postgres', url: postgres.url.replace(/\/postgres$/, `/${name}`) }
      },
    ],
  ]
  for (const [label, database] of databases) {
    for (let round = 1; round <= rounds; round++) {
      console.log(`kill -9 on ${label}, round ${round}: ${loginsBeforeKill} logins, ${concurrency} at once`)
      const r = await runKillNine({
        sandbox,
        database: await database(),
        loginsBeforeKill,
        concurrency,
        heldCallbacks: HELD,
      })
      console.log(
        `    ${r.completedBeforeKill} logins finished before the kill; rows after it: ${r.rows.users} users, ${r.rows.sessions} sessions, ${r.rows.states} states; integrity_check: ${r.rows.integrity}`,
      )
      check(
        `finished logins without their session after the restart: ${r.lostSessions}`,
        r.lostSessions === 0,
      )
      const half = r.rows.halfWritten
      check(
        `half-written rows: users ${half.users}, sessions ${half.sessions}, states ${half.states}`,
        half.users + half.sessions + half.states === 0,
      )
      check(`integrity_check ${r.rows.integrity}`, r.rows.integrity === 'ok' || r.rows.integrity === 'n/a')
      const others = Object.entries(r.replays.other)
      check(
        `callbacks in flight, replayed: ${r.replays.freshLoginOffer} fresh-login pages (4xx; ${r.heldOffered}/${HELD} held ones), ${r.replays.finishedRedirect} finished redirects, other: ${others.map(([s, n]) => `${s} x${n}`).join(', ') || 'none'}`,
        others.length === 0 && r.heldOffered === HELD,
      )
    }
  }

  const outage = (label: string, report: OutageReport) => {
    console.log(label)
    check(`before: logged in`, report.loggedInBefore)
    check(
      `during: ${Object.entries(report.whileDown)
        .map(([s, n]) => `${s} x${n}`)
        .join(
          ', ',
        )}, of them ${report.unavailablePages} the sign-in page; pending callback ${report.pendingCallbackStatus}; /healthz ${report.healthzWhileDown}`,
      Object.keys(report.whileDown).join() === '503' &&
        report.pendingCallbackStatus === 503 &&
        report.healthzWhileDown === 503,
    )
    check(`error lines for the outage: ${report.errorLines.length}`, report.errorLines.length === 1)
    check(`recovered by itself (logged: ${report.recoveryLogged}), logged in after`, report.loggedInAfter)
    check('the process stayed up', report.stayedUp)
    check('no password in the output', !report.passwordInOutput)
  }
  const url = postgres.url.replace('postgres@', 'postgres:pw-9f3k2x7q@')
  outage(
    'PostgreSQL crashed and restarted under a jit start',
    await runDatabaseOutage({
      sandbox,
      outage: { kind: 'postgres-down', postgres: { url, crash: postgres.crash, start: postgres.start } },
      attemptsWhileDown: 50,
    }),
  )
  outage(
    "SQLite's disk full, then freed, under a jit start",
    await runDatabaseOutage({ sandbox, outage: { kind: 'sqlite-disk-full' }, attemptsWhileDown: 50 }),
  )
} finally {
  postgres.stop()
  await sandbox.close()
}
console.log(problems === 0 ? 'faults: ok' : `faults: ${problems} FAILED`)
process.exitCode = problems === 0 ? 0 : 1
