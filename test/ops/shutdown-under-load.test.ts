/**
 * SIGTERM under load, on a real `jit start`: with many logins inside the process (their code exchange
 * held by WeChat), it stops accepting connections, finishes every login in flight (each gets its final
 * redirect and a session that is in the database), closes the database cleanly and exits 0. And a
 * request that never ends does not hold the process: past SHUTDOWN_TIMEOUT_S it exits anyway, saying so.
 */

import fs from 'node:fs'
import BetterSqlite3 from 'better-sqlite3'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { deliverCallback, get, type StartedLogin, startAndAllow } from '../../scripts/ops/login-client.ts'
import { API, SANDBOX_USERS, startTarget, type Target, writeTargetApp } from '../../scripts/ops/target.ts'
import {
  type RunningWechatSandbox,
  startWechatSandbox,
} from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'

const IN_FLIGHT = 16
let sandbox: RunningWechatSandbox
const targets: Target[] = []
beforeAll(async () => {
  sandbox = await startWechatSandbox()
})
afterAll(async () => {
  for (const target of targets) target.kill('SIGKILL')
  await sandbox.close()
})

/** A connection attempt's outcome: a status, or the error code of a refused connection. */
function tryConnect(url: string): Promise<number | string> {
  return get(url, '/healthz').then(
    (answer) => answer.status,
    (error: Error & { code?: string }) => error.code ?? String(error),
  )
}

it('finishes every login in flight, refuses new connections, closes the database and exits 0', async () => {
  const app = writeTargetApp({ sandbox, database: { kind: 'sqlite' } })
  const target = await startTarget(app, { RATE_LIMIT: 'off', OVERLOAD: 'off' })
  targets.push(target)
  const started: StartedLogin[] = []
  for (let i = 0; i < IN_FLIGHT; i++)
    started.push(await startAndAllow(target.url, sandbox, SANDBOX_USERS[i % SANDBOX_USERS.length]))

  sandbox.setLatency(2000, 'access_token')
  const before = sandbox.counters().access_token
  const finishing = started.map((login) => deliverCallback(target.url, login))
  // Every callback is inside the process once WeChat holds its code exchange.
  while (sandbox.counters().access_token - before < IN_FLIGHT) await new Promise((r) => setTimeout(r, 20))
  target.kill('SIGTERM')
  await target.waitFor('SIGTERM: finishing requests in flight')
  expect([503, 'ECONNREFUSED', 'UND_ERR_SOCKET', 'ECONNRESET']).toContain(await tryConnect(target.url))

  const finished = await Promise.all(finishing)
  sandbox.setLatency(0, 'access_token')
  for (const login of finished) expect(login.location).toBe(`${target.url}/done`)
  expect(await target.exited).toEqual({ code: 0, signal: null })
  expect(target.output()).toContain('"msg":"stopped"')

  const wal = `${app.sqliteFile}-wal`
  expect(!fs.existsSync(wal) || fs.statSync(wal).size === 0).toBe(true)
  const db = new BetterSqlite3(app.sqliteFile!, { readonly: true })
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    expect(db.prepare('select count(*) as n from jit_sessions').get()).toEqual({ n: IN_FLIGHT })
  } finally {
    db.close()
  }
}, 120_000)

it('exits past SHUTDOWN_TIMEOUT_S when a request never ends, and says so', async () => {
  const app = writeTargetApp({
    sandbox,
    database: { kind: 'sqlite' },
    moreFiles: {
      'services/StuckSvc/e.json': {
        title: 'Stuck',
        type: 'services.NormalType',
        functionList: [{ name: 'wait', args: [], loginRequired: false }],
      },
      'services/StuckSvc/index.ts': `import { Service } from 'jitlite'
export default class StuckSvc extends Service {
  wait() {
    console.log('stuck: waiting forever')
    return new Promise(() => {})
  }
}
`,
    },
  })
  const target = await startTarget(app, { SHUTDOWN_TIMEOUT_S: '1' })
  targets.push(target)
  const stuck = fetch(`${target.url}${API}/services/StuckSvc/wait`, {
    method: 'POST',
    body: '{}',
    headers: { 'content-type': 'application/json' },
  }).then(
    (response) => response.status,
    () => 'closed',
  )
  await target.waitFor('stuck: waiting forever')
  target.kill('SIGTERM')
  const ended = await target.exited
  expect(ended).toEqual({ code: 1, signal: null })
  expect(target.output()).toMatch(
    /"level":"error".*SIGTERM: requests in flight did not finish within 1 s \(SHUTDOWN_TIMEOUT_S\)/,
  )
  expect(await stuck).toBe('closed')
}, 60_000)
