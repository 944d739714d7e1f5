/**
 * Full HTTP logins per second through jitlite (login start -> a code from the WeChat sandbox -> callback
 * -> session) against a bare fastify handler that makes the same WeChat calls (code -> token,
 * userinfo) and one SQLite insert, with no state, browser binding, user model, token encryption or
 * session. Concurrency 128 with 20 ms of WeChat latency on the token and userinfo endpoints, and
 * concurrency 32 with none.
 *
 * Three processes, as in production: this one serves (jitlite or bare, one at a time), a child runs
 * the WeChat sandbox, another child is the browsers (a closed loop of CONCURRENCY logins, each a new
 * browser). Codes come from the sandbox the way its consent sheet's Allow makes them
 * (`sandbox.authorize()`), minted in batches of 512 over a side channel of the sandbox process, so
 * that the sandbox's per-login work is what WeChat's would be (token and userinfo) and the same for
 * both variants; the browsers append code and state to the callback URL as WeChat's redirect does.
 * Rounds alternate the two variants; targets are judged on the median per-round ratio, which cancels
 * slow drifts of a shared machine's load. Two more rows split the cost: the jitlite flow alone (an
 * Instance of a login Type whose provider answers at once: start, state, callback, session, no WeChat),
 * the sandbox alone (token and userinfo from the browsers' process, no server between: the ceiling
 * any server could reach here), and a bare handler with a login start (one insert and a cookie, then the
 * callback checks the cookie, deletes the state and does what the bare handler does): the least a login
 * with a server-side state can cost on this testbed, which no such flow can beat.
 *
 * Targets: jitlite >= 0.8x bare in both settings, and > 833 logins/s at 128/20 ms (50,000 WeChat calls
 * a minute per account: one node must never be the bottleneck).
 *
 * PostgreSQL, in the same rounds: jitlite with `databases.Default` on a PostgreSQL server this bench
 * starts (`startPostgres()`: fsync off, throwaway data), and two jitlite nodes (two processes) on one
 * PostgreSQL database, each login started on one node and finished on the other. The database server's
 * CPU (its backends', read from /proc) is a column of its own; SQLite's is in the server's. Targets, at
 * 128/20 ms only: PostgreSQL >= 0.7x SQLite's logins/s (median per-round ratio) and > 833 logins/s; the
 * 32/0 setting is reported, not judged (with fewer statements in flight, fewer share a round trip).
 *
 * `npm run bench http-login`. Knobs: BENCH_SECONDS (per run, default 4), BENCH_ROUNDS (default 5),
 * BENCH_ONLY=jitlite|jitlitePg|twoNodesPg|bare|bareStart (run one variant, for profiling: no ratio then),
 * BENCH_PG_POOL and BENCH_PG_PIPELINED (PostgreSQL connections per node, and how many pipelined: 10 and 2
 * by default; BENCH_PG_PIPELINED=0 for one round trip per statement), BENCH_SETTING=128/20 or
 * 32/0 (one setting), BENCH_PROFILE=<folder> (a CPU profile of the serving process for each measured
 * run, `<variant>-<concurrency>-<latency>-<n>.cpuprofile`, for Chrome DevTools or `node --cpu-prof`
 * readers; the profiler costs a few percent). wal.bench.ts drives jitlite through the same testbed
 * (`startTestbed`, `startJitlite`), with a rate (`ratePerSecond`) for sustained load.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { once } from 'node:events'
import { realpathSync } from 'node:fs'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const WARMUP_SECONDS = 1
const ONLY = process.env.BENCH_ONLY as RoundVariant | undefined
const PROFILE_DIR = process.env.BENCH_PROFILE
const SETTINGS = [
  { concurrency: 128, latencyMs: 20 },
  { concurrency: 32, latencyMs: 0 },
].filter(
  (setting) =>
    process.env.BENCH_SETTING === undefined ||
    process.env.BENCH_SETTING === `${setting.concurrency}/${setting.latencyMs}`,
)
const TARGET_RATIO = 0.8
const TARGET_POSTGRES_RATIO = 0.7
const TARGET_LOGINS_PER_SECOND = 833
const APP_ID = 'wx5a3c7f1e9b2d4680'
const APP_SECRET = '3f9c2a7e5b1d4c8096e7a2b4d1f08c35'
const USERS = ['lin', 'momo', 'kai', 'ada']
const LOGIN_PATHS = {
  jitlite: '/api/bench/site/auths/loginTypes/WechatLogin',
  flow: '/api/bench/site/auths/loginTypes/InstantLogin',
  bareStart: '/bare',
}

type Variant = 'jitlite' | 'jitlitePg' | 'twoNodesPg' | 'flow' | 'bare' | 'bareStart' | 'sandbox'
/** The variants measured in every round, in alternating order. */
type RoundVariant = 'jitlite' | 'jitlitePg' | 'twoNodesPg' | 'bare' | 'bareStart'
const ROUND_VARIANTS: readonly RoundVariant[] = ['jitlite', 'jitlitePg', 'twoNodesPg', 'bare', 'bareStart']

export interface RunRequest {
  variant: Variant
  /** The server under test (unused for `sandbox`). */
  baseUrl: string
  /** A second node: logins alternate which node starts them, and the other one finishes them. */
  otherBaseUrl?: string
  sandboxUrl: string
  codesUrl: string
  concurrency: number
  seconds: number
  /** Logins started per second at most (sustained load); unset: as fast as the loop goes. */
  ratePerSecond?: number
}

export interface RunResult {
  logins: number
  errors: number
  firstError?: string
  seconds: number
  latenciesMs: number[]
  /** CPU of the browsers' process during the run. */
  clientCpuMs: number
}

// ---------------------------------------------------------------------------------------------------
// Child: the WeChat sandbox.

async function runSandboxChild(): Promise<void> {
  const { startWechatSandbox } = await import(
    '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
  )
  const { createServer } = await import('node:http')
  const sandbox = await startWechatSandbox({ switches: { quotaPerMinute: 1_000_000_000 } })
  let minted = 0
  // GET /codes?n=512: codes as the consent sheet's Allow makes them, for the fixture users in turn.
  const codes = createServer((request, response) => {
    const wanted = Math.min(4096, Number(new URL(request.url ?? '/', 'http://x').searchParams.get('n') ?? 1))
    const batch = Array.from({ length: wanted }, () => {
      const redirect = sandbox.authorize({
        appid: APP_ID,
        redirectUri: 'http://127.0.0.1:3000/cb',
        scope: 'snsapi_userinfo',
        state: 'bench',
        user: USERS[minted++ % USERS.length],
      })
      return new URL(redirect).searchParams.get('code')
    })
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(batch))
  })
  await new Promise<void>((resolve) => codes.listen(0, '127.0.0.1', resolve))
  process.on('message', (message: { latencyMs?: number; cpu?: boolean }) => {
    if (message.latencyMs !== undefined) {
      sandbox.setLatency(message.latencyMs, 'access_token')
      sandbox.setLatency(message.latencyMs, 'userinfo')
      process.send?.({ ok: true })
    }
    if (message.cpu) {
      const usage = process.cpuUsage()
      process.send?.({ cpuMs: (usage.user + usage.system) / 1000 })
    }
  })
  process.on('disconnect', () => process.exit(0))
  process.send?.({ url: sandbox.url, codesUrl: `http://127.0.0.1:${portOf(codes.address())}` })
}

// ---------------------------------------------------------------------------------------------------
// Child: the browsers.

async function runClientChild(): Promise<void> {
  const { Pool } = await import('undici')
  process.on('message', async (request: RunRequest) => {
    const server = new Pool(request.baseUrl, { connections: request.concurrency })
    const other = request.otherBaseUrl
      ? new Pool(request.otherBaseUrl, { connections: request.concurrency })
      : server
    const sandbox = new Pool(request.sandboxUrl, { connections: request.concurrency })
    const codes = new CodeSupply(new Pool(request.codesUrl, { connections: 1 }))
    const login = loginFor(request, [server, other], sandbox, codes)
    const result = await closedLoop(login, request.concurrency, request.seconds, request.ratePerSecond)
    await Promise.all([server.close(), other.close(), sandbox.close(), codes.close()])
    process.send?.(result)
  })
  process.on('disconnect', () => process.exit(0))
  process.send?.({ ready: true })
}

type Pool = import('undici').Pool

/** Codes from the sandbox process, fetched 512 at a time ahead of need. */
class CodeSupply {
  readonly #pool: Pool
  readonly #codes: string[] = []
  #refill: Promise<void> | undefined

  constructor(pool: Pool) {
    this.#pool = pool
  }

  async take(): Promise<string> {
    for (;;) {
      if (this.#codes.length < 256) this.#refill ??= this.#fetch().finally(() => (this.#refill = undefined))
      const code = this.#codes.pop()
      if (code) return code
      await this.#refill
    }
  }

  async #fetch(): Promise<void> {
    const { body } = await this.#pool.request({ path: '/codes?n=512', method: 'GET' })
    this.#codes.unshift(...((await body.json()) as string[]))
  }

  close() {
    return this.#pool.close()
  }
}

function loginFor(
  request: RunRequest,
  [server, other]: [Pool, Pool],
  sandbox: Pool,
  codes: CodeSupply,
): () => Promise<void> {
  if (request.variant !== 'bare' && request.variant !== 'sandbox') {
    const loginPath =
      LOGIN_PATHS[request.variant === 'flow' || request.variant === 'bareStart' ? request.variant : 'jitlite']
    let logins = 0
    return async () => {
      // With two nodes, each login crosses them: started on one, finished on the other.
      const [starts, finishes] = logins++ % 2 === 0 ? [server, other] : [other, server]
      const start = await starts.request({ path: `${loginPath}/login?redirectUrl=%2F`, method: 'GET' })
      await start.body.dump()
      if (start.statusCode !== 302) throw new Error(`login start answered ${start.statusCode}`)
      const provider = new URL(String(start.headers.location))
      const loginCookie = cookieOf(start.headers['set-cookie'], 'jit_login')
      const callback = new URL(provider.searchParams.get('redirect_uri')!)
      // What WeChat's redirect does: code and state appended to redirect_uri.
      const path = `${callback.pathname}?code=${await codes.take()}&state=${provider.searchParams.get('state')}`
      const done = await finishes.request({
        path,
        method: 'GET',
        headers: { cookie: `jit_login=${loginCookie}` },
      })
      await done.body.dump()
      if (done.statusCode !== 302) throw new Error(`callback answered ${done.statusCode}`)
      if (!cookieOf(done.headers['set-cookie'], 'jit_session')) throw new Error('no session cookie')
    }
  }
  if (request.variant === 'bare') {
    return async () => {
      const done = await server.request({ path: `/cb?code=${await codes.take()}&state=bench`, method: 'GET' })
      await done.body.dump()
      if (done.statusCode !== 302) throw new Error(`bare callback answered ${done.statusCode}`)
    }
  }
  return async () => {
    await exchangeAndRead(sandbox, await codes.take())
  }
}

/** What every variant asks WeChat for a login: the code's tokens, then the user's profile. */
async function exchangeAndRead(pool: Pool, code: string) {
  const token = await getJson(
    pool,
    `/sns/oauth2/access_token?appid=${APP_ID}&secret=${APP_SECRET}&code=${code}&grant_type=authorization_code`,
  )
  const user = await getJson(
    pool,
    `/sns/userinfo?access_token=${token.access_token}&openid=${token.openid}&lang=zh_CN`,
  )
  return { token, user }
}

function cookieOf(header: string | string[] | undefined, name: string): string | undefined {
  for (const line of [header ?? []].flat()) {
    if (line.startsWith(`${name}=`)) return line.slice(name.length + 1).split(';')[0]
  }
  return undefined
}

async function getJson(pool: Pool, requestPath: string): Promise<Record<string, any>> {
  const { body } = await pool.request({ path: requestPath, method: 'GET' })
  // WeChat's nicknames can carry raw control characters, which strict JSON.parse refuses.
  const parsed = JSON.parse((await body.text()).replace(/[\u0000-\u001f]/g, ' '))
  if (parsed.errcode) throw new Error(`errcode ${parsed.errcode}`)
  return parsed
}

async function closedLoop(
  login: () => Promise<void>,
  concurrency: number,
  seconds: number,
  ratePerSecond?: number,
): Promise<RunResult> {
  const latenciesMs: number[] = []
  let errors = 0
  let firstError: string | undefined
  const startedAt = performance.now()
  const endAt = startedAt + seconds * 1000
  const cpuBefore = process.cpuUsage()
  // With a rate, logins start on a fixed schedule; a server that falls behind gets no catch-up burst.
  let nextStart = startedAt
  const paced = async () => {
    if (!ratePerSecond) return
    const now = performance.now()
    nextStart = Math.max(nextStart + 1000 / ratePerSecond, now - 1000 / ratePerSecond)
    if (nextStart > now) await new Promise((resolve) => setTimeout(resolve, nextStart - now))
  }
  const worker = async () => {
    while (performance.now() < endAt) {
      await paced()
      if (performance.now() >= endAt) break
      const t0 = performance.now()
      try {
        await login()
        latenciesMs.push(performance.now() - t0)
      } catch (error) {
        errors++
        firstError ??= (error as Error).message
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const cpu = process.cpuUsage(cpuBefore)
  return {
    logins: latenciesMs.length,
    errors,
    firstError,
    seconds: (performance.now() - startedAt) / 1000,
    latenciesMs,
    clientCpuMs: (cpu.user + cpu.system) / 1000,
  }
}

// ---------------------------------------------------------------------------------------------------
// This process: the servers under test.

export interface ServerUnderTest {
  baseUrl: string
  close(): Promise<void>
}

/** `walLimitMb` for the database element (the WAL bench); unset: the default. */
export async function startJitlite(
  sandboxUrl: string,
  dir: string,
  walLimitMb?: number,
  /** Puts `databases.Default` on this PostgreSQL database instead of a SQLite file. */
  postgresUrl?: string,
): Promise<ServerUnderTest> {
  const { writeTree } = await import('../helpers/temp-app.ts')
  const { createApp } = await import('../../runtime/index.ts')
  const { buildServer } = await import('../../runtime/http/server.ts')
  const { silentLogger } = await import('../../runtime/log.ts')
  writeTree(dir, {
    'app.json': { orgId: 'bench', name: 'site', title: 'Bench site', version: '1.0.0' },
    ...(postgresUrl
      ? {
          'databases/Default/e.json': { title: 'Default database', type: 'databases.PostgresType' },
          'databases/Default/Default.json': {
            url: postgresUrl,
            poolSize: POSTGRES_POOL_SIZE,
            pipelinedConnections: POSTGRES_PIPELINED,
          },
        }
      : {
          'databases/Default/e.json': { title: 'Default database', type: 'databases.SqliteType' },
          'databases/Default/Default.json': {
            file: 'data/app.sqlite',
            ...(walLimitMb === undefined ? {} : { walLimitMb }),
          },
        }),
    'auths/loginTypes/WechatLogin/e.json': { title: 'WeChat', type: 'auths.loginTypes.WechatPublicType' },
    'auths/loginTypes/WechatLogin/WechatLogin.json': {
      appId: APP_ID,
      appSecret: APP_SECRET,
      scope: 'snsapi_userinfo',
      oauthBaseUrl: sandboxUrl,
      apiBaseUrl: sandboxUrl,
    },
    // A login Type whose provider answers at once, without WeChat: what the flow itself costs.
    'auths/loginTypes/InstantType/e.json': { title: 'Instant', type: 'auths.loginTypes.Meta' },
    'auths/loginTypes/InstantType/type.ts': INSTANT_LOGIN_TYPE,
    'auths/loginTypes/InstantLogin/e.json': { title: 'Instant', type: 'auths.loginTypes.InstantType' },
  })
  const { generateSecretKey } = await import('../../runtime/crypto.ts')
  // One key for every server of this process (the WAL bench runs two).
  process.env.JIT_SECRET_KEY ??= generateSecretKey()
  const app = await createApp({
    appDir: dir,
    mode: 'development',
    logger: silentLogger,
    publicUrl: 'http://127.0.0.1:3000',
  })
  if (app.problems.length > 0) throw new Error(app.problems.map((p) => p.format()).join('\n'))
  // The request log is formatted as in production, then dropped: its cost counts, its lines do not.
  // 128 browsers from one address are a flood to the default rate limits: those are off here, and so is
  // the overload guard (this machine's lag is not the server's); the cap on live states stays, since
  // every login pays for counting them.
  const { limitsFromEnv } = await import('../../runtime/http/limits-config.ts')
  const limits = limitsFromEnv({ ...process.env, RATE_LIMIT: 'off', OVERLOAD: 'off' })
  const server = await buildServer(app, { log: silentLogger, limits })
  await server.listen({ port: 0, host: '127.0.0.1' })
  return {
    baseUrl: `http://127.0.0.1:${portOf(server.server.address())}`,
    close: async () => {
      await server.close()
      await app.close()
    },
  }
}

/** Connections per node (BENCH_PG_POOL; the Type's default is 10). */
const POSTGRES_POOL_SIZE = Number(process.env.BENCH_PG_POOL ?? 10)
/** Of those, pipelined (BENCH_PG_PIPELINED; the Type's default is 2; 0: one round trip per statement). */
const POSTGRES_PIPELINED = Number(process.env.BENCH_PG_PIPELINED ?? 2)

const INSTANT_LOGIN_TYPE = `import { defineType } from 'jitlite'
export default defineType({
  load: () => ({
    getLoginConfig: () => ({}),
    allowedRedirectOrigins: () => [],
    createLoginUrl: ({ state, callbackUrl }) =>
      \`https://provider.example.com/authorize?redirect_uri=\${encodeURIComponent(callbackUrl)}&state=\${state}\`,
    readCallback: (query) => (query.code ? { kind: 'code', code: query.code } : { kind: 'denied' }),
    completeLogin: async ({ code }) => ({ status: 'success', user: { userKey: code.slice(-6), displayName: 'Instant' } }),
  }),
})
`

async function startBare(sandboxUrl: string, dir: string): Promise<ServerUnderTest> {
  const { default: Fastify } = await import('fastify')
  const { Pool } = await import('undici')
  const { default: BetterSqlite3 } = await import('better-sqlite3')
  const { randomBytes } = await import('node:crypto')
  const db = new BetterSqlite3(path.join(dir, 'bare.sqlite'))
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.exec(
    'CREATE TABLE logins (id INTEGER PRIMARY KEY, openid TEXT NOT NULL, nickname TEXT, access_token TEXT, refresh_token TEXT, created_at INTEGER NOT NULL)',
  )
  const insert = db.prepare(
    'INSERT INTO logins (openid, nickname, access_token, refresh_token, created_at) VALUES (?, ?, ?, ?, ?)',
  )
  db.exec('CREATE TABLE states (state TEXT PRIMARY KEY, created_at INTEGER NOT NULL)')
  const insertState = db.prepare('INSERT INTO states (state, created_at) VALUES (?, ?)')
  const takeState = db.prepare('DELETE FROM states WHERE state = ? AND created_at > ?')
  const wechat = new Pool(sandboxUrl, { connections: 128 })
  const fastify = Fastify({ logger: false })
  fastify.get<{ Querystring: { code?: string } }>('/cb', async (request, reply) => {
    const code = request.query.code
    if (typeof code !== 'string') return reply.code(400).send('no code')
    const { token, user } = await exchangeAndRead(wechat, code)
    insert.run(token.openid, user.nickname, token.access_token, token.refresh_token, Date.now())
    return reply.redirect('/', 302)
  })
  // The same login with a start: a state row and a cookie, checked and spent by the callback.
  const authorizeUrl = `${sandboxUrl}/connect/oauth2/authorize?appid=${APP_ID}&redirect_uri=${encodeURIComponent('http://127.0.0.1:3000/bare/callback')}&response_type=code&scope=snsapi_userinfo`
  fastify.get('/bare/login', async (_request, reply) => {
    const state = randomBytes(24).toString('base64url')
    insertState.run(state, Date.now())
    reply.header('set-cookie', `jit_login=${state}; Path=/bare; HttpOnly; SameSite=Lax`)
    return reply.redirect(`${authorizeUrl}&state=${state}#wechat_redirect`, 302)
  })
  fastify.get<{ Querystring: { code?: string; state?: string } }>(
    '/bare/callback',
    async (request, reply) => {
      const { code, state } = request.query
      const cookie = /(?:^|; )jit_login=([^;]*)/.exec(request.headers.cookie ?? '')?.[1]
      if (typeof code !== 'string' || !state || cookie !== state) return reply.code(400).send('bad state')
      if (takeState.run(state, Date.now() - 600_000).changes !== 1) return reply.code(400).send('expired')
      const { token, user } = await exchangeAndRead(wechat, code)
      insert.run(token.openid, user.nickname, token.access_token, token.refresh_token, Date.now())
      reply.header('set-cookie', `jit_session=${randomBytes(32).toString('base64url')}; Path=/; HttpOnly`)
      return reply.redirect('/', 302)
    },
  )
  await fastify.listen({ port: 0, host: '127.0.0.1' })
  return {
    baseUrl: `http://127.0.0.1:${portOf(fastify.server.address())}`,
    close: async () => {
      await fastify.close()
      await wechat.close()
      db.close()
    },
  }
}

export function portOf(address: ReturnType<import('node:net').Server['address']>): number {
  return typeof address === 'object' && address ? address.port : 0
}

// ---------------------------------------------------------------------------------------------------
// Orchestration and report.

export function forkSelf(role: string): ChildProcess {
  return fork(fileURLToPath(import.meta.url), [role], {
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
}

export async function ask<T>(child: ChildProcess, message: object): Promise<T> {
  const answer = once(child, 'message') as Promise<[T]>
  child.send(message)
  return (await answer)[0]
}

interface Measured extends RunResult {
  variant: Variant
  concurrency: number
  latencyMs: number
  serverCpuMs: number
  /** Event-loop utilization of the server's main thread, 0 to 1 (1: saturated); of two nodes, their mean. */
  serverBusy: number
  sandboxCpuMs: number
  /** CPU of the PostgreSQL server's processes (0 for SQLite: its work is in the server's CPU). */
  databaseCpuMs: number
  /** Transactions PostgreSQL committed or rolled back (each statement outside a transaction is one). */
  databaseTransactions: number
}

/** A jitlite node in a process of its own (the two-node variant), reporting its CPU and event loop. */
async function runNodeChild(): Promise<void> {
  const { performance: perf } = await import('node:perf_hooks')
  process.on(
    'message',
    async (message: { start?: { sandboxUrl: string; dir: string; postgresUrl: string }; cpu?: boolean }) => {
      if (message.start) {
        const { sandboxUrl, dir, postgresUrl } = message.start
        const server = await startJitlite(sandboxUrl, dir, undefined, postgresUrl)
        process.send?.({ baseUrl: server.baseUrl })
      }
      if (message.cpu) {
        const usage = process.cpuUsage()
        process.send?.({ cpuMs: (usage.user + usage.system) / 1000, loop: perf.eventLoopUtilization() })
      }
    },
  )
  process.on('disconnect', () => process.exit(0))
  process.send?.({ ready: true })
}

type LoopSample = ReturnType<typeof performance.eventLoopUtilization>

/** CPU ms of a PostgreSQL server's processes so far: the postmaster's own and waited-for children's, and its live children's. */
async function postgresCpuMs(dataDir: string): Promise<number> {
  const fs = await import('node:fs')
  const postmaster = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
  let ticks = 0
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let stat: string
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8')
    } catch {
      continue
    }
    // After "pid (comm) ": state, ppid, ..., utime at 11, stime 12, cutime 13, cstime 14.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const own = Number(fields[11]) + Number(fields[12])
    if (Number(entry) === postmaster) ticks += own + Number(fields[13]) + Number(fields[14])
    else if (Number(fields[1]) === postmaster) ticks += own
  }
  // Linux reports these in clock ticks of 10 ms.
  return ticks * 10
}

async function main(): Promise<void> {
  const os = await import('node:os')
  const fs = await import('node:fs')
  const { startPostgres } = await import('../helpers/postgres-server.ts')
  const { default: pg } = await import('pg')
  const { generateSecretKey } = await import('../../runtime/crypto.ts')
  const { sandboxChild, clientChild, sandboxUrl, codesUrl } = await startTestbed()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jitlite-bench-login-'))
  const postgres = await startPostgres()
  // Whatever ends this process (a failed start included) stops the server it started.
  process.once('exit', () => postgres.stop())
  const admin = new pg.Client({ connectionString: postgres.url })
  await admin.connect()
  for (const name of ['bench_one', 'bench_two']) await admin.query(`CREATE DATABASE ${name}`)
  // Kept open to read pg_stat_database: how many transactions (round trips, here) a login costs.
  const transactionsOf = async (name: string) => {
    await admin.query('select pg_stat_clear_snapshot()')
    const { rows } = await admin.query(
      'select xact_commit + xact_rollback as n from pg_stat_database where datname = $1',
      [name],
    )
    return Number(rows[0].n)
  }
  const databaseUrl = (name: string) => postgres.url.replace(/\/postgres$/, `/${name}`)
  // One key for this process and both nodes: they read each other's encrypted tokens.
  process.env.JIT_SECRET_KEY ??= generateSecretKey()
  const servers: Record<'jitlite' | 'jitlitePg' | 'bare', ServerUnderTest> = {
    jitlite: await startJitlite(sandboxUrl, path.join(dir, 'app')),
    jitlitePg: await startJitlite(sandboxUrl, path.join(dir, 'app-pg'), undefined, databaseUrl('bench_one')),
    bare: await startBare(sandboxUrl, dir),
  }
  const nodeChildren = [forkSelf('node'), forkSelf('node')]
  await Promise.all(nodeChildren.map((child) => once(child, 'message')))
  const nodeUrls: string[] = []
  for (const [i, child] of nodeChildren.entries()) {
    const start = { sandboxUrl, dir: path.join(dir, `node-${i}`), postgresUrl: databaseUrl('bench_two') }
    nodeUrls.push((await ask<{ baseUrl: string }>(child, { start })).baseUrl)
  }
  const sandboxCpu = async () => (await ask<{ cpuMs: number }>(sandboxChild, { cpu: true })).cpuMs
  const nodesCpu = () =>
    Promise.all(nodeChildren.map((child) => ask<{ cpuMs: number; loop: LoopSample }>(child, { cpu: true })))
  const databaseCpu = () => postgresCpuMs(path.join(postgres.dir, 'data'))

  let profiled = 0
  const measure = async (variant: Variant, concurrency: number, latencyMs: number, seconds: number) => {
    const twoNodes = variant === 'twoNodesPg'
    const profiler =
      PROFILE_DIR && seconds > WARMUP_SECONDS && variant !== 'sandbox' && !twoNodes
        ? await startProfiler()
        : undefined
    const serverCpuBefore = process.cpuUsage()
    const nodesBefore = twoNodes ? await nodesCpu() : []
    const sandboxCpuBefore = await sandboxCpu()
    const databaseCpuBefore = await databaseCpu()
    const statsName = twoNodes ? 'bench_two' : 'bench_one'
    const transactionsBefore = variant === 'jitlitePg' || twoNodes ? await transactionsOf(statsName) : 0
    const loopBefore = performance.eventLoopUtilization()
    const result = await ask<RunResult>(clientChild, {
      variant,
      baseUrl:
        variant === 'sandbox' ? sandboxUrl : twoNodes ? nodeUrls[0] : servers[serverOf(variant)].baseUrl,
      otherBaseUrl: twoNodes ? nodeUrls[1] : undefined,
      sandboxUrl,
      codesUrl,
      concurrency,
      seconds,
    } satisfies RunRequest)
    const serverCpu = process.cpuUsage(serverCpuBefore)
    const loop = performance.eventLoopUtilization(loopBefore)
    const nodesAfter = twoNodes ? await nodesCpu() : []
    if (profiler && PROFILE_DIR) {
      const file = path.join(PROFILE_DIR, `${variant}-${concurrency}-${latencyMs}-${++profiled}.cpuprofile`)
      await profiler.stop(file)
    }
    const usesPostgres = variant === 'jitlitePg' || twoNodes
    const measured: Measured = {
      ...result,
      variant,
      concurrency,
      latencyMs,
      serverCpuMs:
        variant === 'sandbox'
          ? 0
          : twoNodes
            ? nodesAfter.reduce((sum, after, i) => sum + after.cpuMs - nodesBefore[i].cpuMs, 0)
            : (serverCpu.user + serverCpu.system) / 1000,
      serverBusy:
        variant === 'sandbox'
          ? 0
          : twoNodes
            ? nodesAfter.reduce(
                (sum, after, i) => sum + utilizationBetween(nodesBefore[i].loop, after.loop),
                0,
              ) / nodesAfter.length
            : loop.utilization,
      sandboxCpuMs: (await sandboxCpu()) - sandboxCpuBefore,
      databaseCpuMs: usesPostgres ? (await databaseCpu()) - databaseCpuBefore : 0,
      // Backends report their counts within a second of going idle: wait that out.
      databaseTransactions: usesPostgres
        ? await new Promise<number>((resolve) => setTimeout(resolve, 1100)).then(
            async () => (await transactionsOf(statsName)) - transactionsBefore,
          )
        : 0,
    }
    if (result.errors > 0)
      console.error(`${variant}: ${result.errors} failed logins, first: ${result.firstError}`)
    return measured
  }

  console.log(
    `Node ${process.version}, ${os.cpus().length} CPUs. ${ROUNDS} rounds of ${SECONDS} s per variant and setting; ` +
      `each round runs every variant back to back, in alternating order. Logins/s pooled over the rounds. ` +
      `PostgreSQL 15 on loopback (fsync off), ${POSTGRES_POOL_SIZE} connections per node, ${POSTGRES_PIPELINED} of them pipelined.\n`,
  )
  const verdicts: string[] = []
  for (const setting of SETTINGS) {
    await ask(sandboxChild, { latencyMs: setting.latencyMs })
    const variants = ONLY ? [ONLY] : ROUND_VARIANTS
    for (const variant of variants) {
      await measure(variant, setting.concurrency, setting.latencyMs, WARMUP_SECONDS)
    }
    const runs: Measured[] = []
    const ratios: number[] = []
    const floorRatios: number[] = []
    const postgresRatios: number[] = []
    const twoNodeRatios: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? variants : [...variants].reverse()
      const measured: Partial<Record<RoundVariant, Measured>> = {}
      for (const variant of order) {
        measured[variant] = await measure(variant, setting.concurrency, setting.latencyMs, SECONDS)
        runs.push(measured[variant]!)
      }
      const { jitlite, jitlitePg, twoNodesPg, bare, bareStart } = measured
      if (jitlite && bare) ratios.push(rate(jitlite) / rate(bare))
      if (bareStart && bare) floorRatios.push(rate(bareStart) / rate(bare))
      if (jitlitePg && jitlite) postgresRatios.push(rate(jitlitePg) / rate(jitlite))
      if (twoNodesPg && jitlite) twoNodeRatios.push(rate(twoNodesPg) / rate(jitlite))
    }
    const flowOnly = await measure('flow', setting.concurrency, setting.latencyMs, SECONDS)
    const sandboxAlone = await measure('sandbox', setting.concurrency, setting.latencyMs, SECONDS)
    console.log(`### Concurrency ${setting.concurrency}, ${setting.latencyMs} ms WeChat latency\n`)
    console.log(
      '| variant | logins/s | p50 ms | p99 ms | failed | server CPU ms/login | server busy | database CPU ms/login | sandbox CPU ms/login | browsers CPU ms/login |',
    )
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
    for (const variant of variants) {
      console.log(row(label(variant), pool(runs.filter((r) => r.variant === variant))))
    }
    console.log(row(label('flow'), flowOnly))
    console.log(row(label('sandbox'), sandboxAlone))
    if (ONLY) {
      verdicts.push(`${setting.concurrency}/${setting.latencyMs} ms: no ratio with BENCH_ONLY`)
      console.log('')
      continue
    }
    const ratio = median(ratios)
    const postgresRatio = median(postgresRatios)
    const jitliteRate = rate(pool(runs.filter((r) => r.variant === 'jitlite')))
    const postgresRate = rate(pool(runs.filter((r) => r.variant === 'jitlitePg')))
    const twoNodesRate = rate(pool(runs.filter((r) => r.variant === 'twoNodesPg')))
    const listed = (values: number[]) => values.map((r) => r.toFixed(2)).join(', ')
    console.log(
      `\nPer-round ratio jitlite / bare: ${listed(ratios)}; median ${ratio.toFixed(2)} (target >= ${TARGET_RATIO}).`,
    )
    console.log(
      `Per-round ratio bare with a login start / bare: ${listed(floorRatios)}; median ${median(floorRatios).toFixed(2)} (the most any flow with a server-side state reaches here).`,
    )
    console.log(
      `Per-round ratio jitlite on PostgreSQL / on SQLite: ${listed(postgresRatios)}; median ${postgresRatio.toFixed(2)}${setting.latencyMs > 0 ? ` (target >= ${TARGET_POSTGRES_RATIO})` : ''}.`,
    )
    console.log(
      `Per-round ratio two nodes on PostgreSQL / one node on SQLite: ${listed(twoNodeRatios)}; median ${median(twoNodeRatios).toFixed(2)} (two nodes share these ${os.cpus().length} CPUs with the database, the sandbox and the browsers).`,
    )
    const perLogin = (variant: Variant) => {
      const pooled = pool(runs.filter((r) => r.variant === variant))
      return (pooled.databaseTransactions / Math.max(1, pooled.logins)).toFixed(1)
    }
    console.log(
      `PostgreSQL transactions per login (each one statement): ${perLogin('jitlitePg')} on one node, ${perLogin('twoNodesPg')} on two.`,
    )
    const needsRate = setting.latencyMs > 0
    if (needsRate)
      console.log(
        `jitlite ${jitliteRate.toFixed(0)} logins/s on SQLite, ${postgresRate.toFixed(0)} on PostgreSQL, ${twoNodesRate.toFixed(0)} on two nodes (target > ${TARGET_LOGINS_PER_SECOND}).`,
      )
    console.log('')
    const met = ratio >= TARGET_RATIO && (!needsRate || jitliteRate > TARGET_LOGINS_PER_SECOND)
    // PostgreSQL's target is set at 128 browsers and 20 ms of WeChat latency, where a node meets WeChat's
    // quota; the setting without latency is reported beside it, unjudged.
    const postgresJudged = needsRate
    const postgresMet = postgresRatio >= TARGET_POSTGRES_RATIO && postgresRate > TARGET_LOGINS_PER_SECOND
    const postgresVerdict = !postgresJudged
      ? 'PostgreSQL not judged here'
      : `${postgresMet ? 'met' : 'MISSED'} (PostgreSQL)`
    verdicts.push(
      `${setting.concurrency}/${setting.latencyMs} ms: ${met ? 'met' : 'MISSED'} (SQLite vs bare), ${postgresVerdict}`,
    )
  }
  console.log(`Targets: ${verdicts.join('; ')}.`)
  await servers.jitlite.close()
  await servers.jitlitePg.close()
  await servers.bare.close()
  sandboxChild.disconnect()
  clientChild.disconnect()
  for (const child of nodeChildren) child.disconnect()
  await admin.end()
  postgres.stop()
  fs.rmSync(dir, { recursive: true, force: true })
}

function utilizationBetween(before: LoopSample, after: LoopSample): number {
  const active = after.active - before.active
  const total = active + after.idle - before.idle
  return total > 0 ? active / total : 0
}

/** The inspector's CPU profiler on this process (the server under test), from now until `stop`. */
async function startProfiler() {
  const { Session } = await import('node:inspector/promises')
  const fs = await import('node:fs')
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.start')
  return {
    async stop(file: string) {
      const { profile } = await session.post('Profiler.stop')
      fs.mkdirSync(path.dirname(file), { recursive: true })
      fs.writeFileSync(file, JSON.stringify(profile))
      session.disconnect()
    },
  }
}

function serverOf(variant: Exclude<Variant, 'sandbox' | 'twoNodesPg'>): 'jitlite' | 'jitlitePg' | 'bare' {
  return variant === 'flow' ? 'jitlite' : variant === 'bareStart' ? 'bare' : variant
}

function label(variant: Variant): string {
  if (variant === 'jitlite') return 'jitlite on SQLite (start, code, callback, session)'
  if (variant === 'jitlitePg') return 'jitlite on PostgreSQL'
  if (variant === 'twoNodesPg')
    return 'two jitlite nodes on one PostgreSQL (start on one, callback on the other)'
  if (variant === 'bare') return 'bare fastify (code, callback: 2 WeChat calls + 1 insert)'
  if (variant === 'flow') return 'jitlite flow alone (instant provider, no WeChat, SQLite)'
  if (variant === 'bareStart')
    return 'bare fastify with a login start (state row + cookie, then the callback)'
  return 'sandbox alone (token, userinfo; no server)'
}

function pool(runs: Measured[]): Measured {
  const total: Measured = { ...runs[0], latenciesMs: [...runs[0].latenciesMs] }
  for (const run of runs.slice(1)) {
    total.serverBusy =
      (total.serverBusy * total.seconds + run.serverBusy * run.seconds) / (total.seconds + run.seconds)
    total.logins += run.logins
    total.errors += run.errors
    total.seconds += run.seconds
    total.latenciesMs.push(...run.latenciesMs)
    total.clientCpuMs += run.clientCpuMs
    total.serverCpuMs += run.serverCpuMs
    total.sandboxCpuMs += run.sandboxCpuMs
    total.databaseCpuMs += run.databaseCpuMs
    total.databaseTransactions += run.databaseTransactions
  }
  return total
}

function rate(run: RunResult): number {
  return run.logins / run.seconds
}

function row(name: string, run: Measured): string {
  const sorted = [...run.latenciesMs].sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0
  const perLogin = (ms: number) => (run.logins > 0 ? (ms / run.logins).toFixed(2) : '-')
  return `| ${name} | ${rate(run).toFixed(0)} | ${at(0.5).toFixed(1)} | ${at(0.99).toFixed(1)} | ${run.errors} | ${run.variant === 'sandbox' ? '-' : perLogin(run.serverCpuMs)} | ${run.variant === 'sandbox' ? '-' : `${(100 * run.serverBusy).toFixed(0)}%`} | ${run.databaseCpuMs > 0 ? perLogin(run.databaseCpuMs) : '-'} | ${perLogin(run.sandboxCpuMs)} | ${perLogin(run.clientCpuMs)} |`
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/** The sandbox and browser children, ready: what the WAL bench shares with this one. */
export async function startTestbed() {
  const sandboxChild = forkSelf('sandbox')
  const clientChild = forkSelf('client')
  const [[{ url: sandboxUrl, codesUrl }]] = await Promise.all([
    once(sandboxChild, 'message') as Promise<[{ url: string; codesUrl: string }]>,
    once(clientChild, 'message'),
  ])
  return { sandboxChild, clientChild, sandboxUrl, codesUrl }
}

const role = process.argv[2]
if (role === 'sandbox') await runSandboxChild()
else if (role === 'client') await runClientChild()
else if (role === 'node') await runNodeChild()
// Imported by another bench (wal.bench.ts): only its helpers.
else if (realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) await main()
