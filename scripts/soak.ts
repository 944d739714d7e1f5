/**
 * `npm run soak`: 833 logins/s (WeChat's per-account quota) for 10 minutes against the WeChat sandbox
 * and a real `jit start` on SQLite; prints the RSS and heap growth over the last 8 minutes (target:
 * under 5%). SOAK_SECONDS, SOAK_RATE, SOAK_WINDOW_SECONDS, SOAK_MAX_IN_FLIGHT change the run;
 * SOAK_DATABASE_URL runs it on that PostgreSQL database instead.
 */

import { startWechatSandbox } from '../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { numberFromEnv } from './ops/script-env.ts'
import { runSoak } from './ops/soak.ts'

const seconds = numberFromEnv('SOAK_SECONDS', 600)
const rate = numberFromEnv('SOAK_RATE', 833)
const windowSeconds = numberFromEnv('SOAK_WINDOW_SECONDS', Math.min(480, Math.round(seconds * 0.8)))
const maxInFlight = numberFromEnv('SOAK_MAX_IN_FLIGHT', 256)
const url = process.env.SOAK_DATABASE_URL
const MB = 1024 * 1024

console.log(
  `soak: ${rate} logins/s for ${seconds} s on ${url ? 'PostgreSQL' : 'SQLite'}, growth over the last ${windowSeconds} s`,
)
const sandbox = await startWechatSandbox()
try {
  const report = await runSoak({
    sandbox,
    database: url ? { kind: 'postgres', url } : { kind: 'sqlite' },
    durationMs: seconds * 1000,
    rate,
    maxInFlight,
    sampleEveryMs: 5000,
    windowMs: windowSeconds * 1000,
    onSample: (s, done) =>
      console.log(
        `  ${(s.atMs / 1000).toFixed(0).padStart(5)} s  ${String(done).padStart(8)} logins  rss ${(s.rssBytes / MB).toFixed(1)} MB  heap ${(s.heapUsedBytes / MB).toFixed(1)} MB`,
      ),
  })
  const { growth } = report
  const count = (keep: (what: string) => boolean) =>
    Object.entries(report.failures)
      .filter(([what]) => keep(what))
      .reduce((sum, [, n]) => sum + n, 0)
  // The overload guard's 503 ("Server busy") is the server shedding load it cannot take, not a fault.
  const shed = count((what) => what.includes('Server busy'))
  const failed = count((what) => !what.includes('Server busy'))
  console.log(
    `logins: ${report.logins} (${report.achievedPerSecond.toFixed(0)}/s achieved), failed: ${failed}, shed by the overload guard: ${shed}`,
  )
  for (const [what, n] of Object.entries(report.failures)) console.log(`  ${what}: ${n}`)
  console.log(`sessions checked at the end and missing: ${report.sessionsMissing}`)
  console.log(
    `rss over the last ${windowSeconds} s: ${(growth.rss.fromBytes / MB).toFixed(1)} -> ${(growth.rss.toBytes / MB).toFixed(1)} MB (${growth.rss.percent.toFixed(2)}%)`,
  )
  console.log(
    `heap over the last ${windowSeconds} s: ${(growth.heap.fromBytes / MB).toFixed(1)} -> ${(growth.heap.toBytes / MB).toFixed(1)} MB (${growth.heap.percent.toFixed(2)}%)`,
  )
  const ok = failed === 0 && report.sessionsMissing === 0 && growth.rss.percent < 5
  console.log(ok ? 'soak: ok (rss growth under 5%, no failed login)' : 'soak: FAILED')
  process.exitCode = ok ? 0 : 1
} finally {
  await sandbox.close()
}
