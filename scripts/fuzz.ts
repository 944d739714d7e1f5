/**
 * `npm run fuzz`: 50,000 hostile requests generated with fast-check over every route of a real
 * `jit start` (SQLite), interleaved with real logins through the WeChat sandbox; prints the counts of
 * 5xx answers, stray sessions, off-origin redirects and leaked secrets, which must all be 0.
 * FUZZ_REQUESTS, FUZZ_SEED, FUZZ_CONCURRENCY, FUZZ_LOGIN_EVERY change the run; FUZZ_DATABASE_URL runs
 * it on that PostgreSQL database instead.
 */
import { startWechatSandbox } from '../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { runFuzz } from './ops/fuzz.ts'
import { numberFromEnv } from './ops/script-env.ts'

const requests = numberFromEnv('FUZZ_REQUESTS', 50_000)
const seed = numberFromEnv('FUZZ_SEED', Date.now() % 1_000_000)
const url = process.env.FUZZ_DATABASE_URL
console.log(
  `fuzz: ${requests} requests, seed ${seed} (FUZZ_SEED=${seed} repeats it), ${url ? 'PostgreSQL' : 'SQLite'}`,
)
const sandbox = await startWechatSandbox()
try {
  const started = Date.now()
  const report = await runFuzz({
    sandbox,
    database: url ? { kind: 'postgres', url } : { kind: 'sqlite' },
    requests,
    seed,
    concurrency: numberFromEnv('FUZZ_CONCURRENCY', 16),
    loginEvery: numberFromEnv('FUZZ_LOGIN_EVERY', 50),
  })
  console.log(
    `sent ${report.sent} (${report.unsendable} the client would not send), ${report.realLogins} real logins, in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  )
  console.log(
    `answers: ${Object.entries(report.statuses)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  )
  console.log(`5xx: ${report.serverErrors}`)
  console.log(`stray sessions: ${report.straySessions}`)
  console.log(`off-origin redirects: ${report.offOriginRedirects}`)
  console.log(`leaked secrets: ${report.leakedSecrets}`)
  for (const example of report.examples) console.log(`  ${example}`)
  const ok =
    report.serverErrors + report.straySessions + report.offOriginRedirects + report.leakedSecrets === 0 &&
    report.sent >= requests * 0.99
  console.log(ok ? 'fuzz: ok' : 'fuzz: FAILED')
  process.exitCode = ok ? 0 : 1
} finally {
  await sandbox.close()
}
