/**
 * `jit start` on a real port, stopped with SIGTERM while a login callback is waiting on WeChat: the
 * login finishes (302 and a session) and closes its kept-alive connection, new connections are turned
 * away, the process exits 0, and the database is closed cleanly (WAL folded into the file, integrity
 * ok, the session there), on SQLite and on PostgreSQL (the session committed before the pool closed).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import BetterSqlite3 from 'better-sqlite3'
import pg from 'pg'
import { request } from 'undici'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { generateSecretKey } from '../../runtime/crypto.ts'
import {
  type RunningWechatSandbox,
  startWechatSandbox,
} from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { freePort } from '../helpers/free-port.ts'
import { freshPostgresDatabase } from '../helpers/postgres.ts'
import { appJson, writeTempTree } from '../helpers/temp-app.ts'
import { DATABASES, databaseFiles } from './harness.ts'

// A fixture account of the sandbox other than the demo one: production refuses the demo secret.
const ACCOUNT = { appId: 'wx8d2f6a0c4e1b9537', appSecret: 'c4a8e2f6b0d4a8c2e6f0b4d8a2c6e0f4' }
const LATENCY_MS = 3000

let sandbox: RunningWechatSandbox
let child: ChildProcess | undefined
beforeAll(async () => {
  sandbox = await startWechatSandbox()
})
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL')
  await sandbox.close()
})

/** Resolves when the child's output has a line containing `text`. */
function lineContaining(output: { text: string; waiters: Array<() => void> }, text: string): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (output.text.includes(text)) resolve()
      else output.waiters.push(check)
    }
    check()
  })
}

it.each(DATABASES)(
  'on %s: finishes a login in flight, refuses new connections, exits 0 and closes the database cleanly',
  async (database) => {
    const postgres = database === 'postgres' ? await freshPostgresDatabase('shutdown') : undefined
    const dir = writeTempTree({
      'app.json': appJson('shop'),
      ...databaseFiles(database),
      'auths/loginTypes/ShopLogin/e.json': { title: 'WeChat', type: 'auths.loginTypes.WechatPublicType' },
      'auths/loginTypes/ShopLogin/ShopLogin.json': {
        appId: ACCOUNT.appId,
        appSecret: '${SHOP_WECHAT_SECRET}',
        oauthBaseUrl: sandbox.url,
        apiBaseUrl: sandbox.url,
        attemptTimeoutMs: 20_000,
        totalDeadlineMs: 30_000,
      },
    })
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    child = spawn(
      process.execPath,
      [fileURLToPath(new URL('../../bin/jit.mjs', import.meta.url)), 'start', dir],
      {
        env: {
          ...process.env,
          PORT: String(port),
          HOST: '127.0.0.1',
          NODE_ENV: 'production',
          JIT_SECRET_KEY: generateSecretKey(),
          SHOP_WECHAT_SECRET: ACCOUNT.appSecret,
          ...(postgres ? { DATABASE_URL: postgres.url } : {}),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    const output = { text: '', waiters: [] as Array<() => void> }
    const collect = (chunk: Buffer) => {
      output.text += chunk.toString()
      for (const waiter of output.waiters.splice(0)) waiter()
    }
    child.stdout!.on('data', collect)
    child.stderr!.on('data', collect)
    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve))
    await lineContaining(output, `at ${base}`)

    const api = '/api/tests/shop/auths/loginTypes/ShopLogin'
    const start = await request(`${base}${api}/login?redirectUrl=%2Fdone`)
    await start.body.dump()
    expect(start.statusCode).toBe(302)
    const authorize = new URL(String(start.headers.location))
    const loginCookie = [start.headers['set-cookie']].flat().join('').split(';')[0]
    const callback = new URL(
      sandbox.authorize({
        appid: ACCOUNT.appId,
        redirectUri: authorize.searchParams.get('redirect_uri')!,
        scope: authorize.searchParams.get('scope')!,
        state: authorize.searchParams.get('state')!,
      }),
    )

    // Counted from zero for this run: the wait below is for this callback's exchange.
    sandbox.resetCounters()
    sandbox.setLatency(LATENCY_MS, 'access_token')
    let answeredAfterSignal: boolean | undefined
    let signalled = false
    const inFlight = request(`${base}${callback.pathname}${callback.search}`, {
      headers: { cookie: loginCookie },
    }).then(async (response) => {
      answeredAfterSignal = signalled
      await response.body.dump()
      return response
    })
    // The callback is inside the server once WeChat has its code exchange.
    while (sandbox.counters().access_token === 0) await new Promise((resolve) => setTimeout(resolve, 20))
    child.kill('SIGTERM')
    signalled = true
    await lineContaining(output, 'SIGTERM: finishing requests in flight')

    const refused = await request(`${base}/healthz`).then(
      async (response) => {
        await response.body.dump()
        return response.statusCode
      },
      (error: Error & { code?: string }) => error.code,
    )
    expect([503, 'ECONNREFUSED', 'UND_ERR_SOCKET', 'ECONNRESET']).toContain(refused)

    const response = await inFlight
    expect(answeredAfterSignal).toBe(true)
    expect(response.statusCode).toBe(302)
    expect(response.headers.location).toBe(`${base}/done`)
    // It ends its kept-alive connection, which would otherwise hold the server open for its idle timeout.
    expect(response.headers.connection).toBe('close')
    const sessionId = /jit_session=([A-Za-z0-9_-]+)/.exec(
      [response.headers['set-cookie']].flat().join('\n'),
    )?.[1]
    expect(sessionId).toBeDefined()

    expect(await exited).toBe(0)
    expect(output.text).toContain('stopped')

    // The session id is a secret of 43 characters, then the selector of its row.
    const secretHash = createHash('sha256').update(sessionId!.slice(0, 43)).digest('hex')
    if (postgres) {
      // The login's writes were committed before the pool closed: a new connection reads them.
      const client = new pg.Client({ connectionString: postgres.url })
      await client.connect()
      try {
        const rows = await client.query('select login_type from jit_sessions where secret_hash = $1', [
          secretHash,
        ])
        expect(rows.rows).toEqual([{ login_type: 'auths.loginTypes.ShopLogin' }])
      } finally {
        await client.end()
        await postgres.drop()
      }
      return
    }
    const file = path.join(dir, 'data', 'app.sqlite')
    const wal = `${file}-wal`
    expect(!fs.existsSync(wal) || fs.statSync(wal).size === 0).toBe(true)
    const db = new BetterSqlite3(file, { readonly: true })
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
      expect(db.prepare('select login_type from jit_sessions where secret_hash = ?').get(secretHash)).toEqual(
        {
          login_type: 'auths.loginTypes.ShopLogin',
        },
      )
    } finally {
      db.close()
    }
  },
  90_000,
)
