/**
 * A flood of login starts from one address against a real port (docs/security.md#case-22): how many
 * got a state (302) and how many a 429, how many live state rows it left, and whether another address
 * still signs in (start, the WeChat sandbox's consent, callback, session) right after.
 *
 * Two runs: the default limits (`limitsFromEnv` of this environment: the per-address rate limit
 * answers first), and with the login rate limits off, where only the cap on live states per address
 * stands between the flood and the states table. Every request is a new browser (no cookie), the
 * flood's worst case. The flood's address and the other one reach the server through a trusted proxy
 * (`TRUST_PROXY=loopback`, `X-Forwarded-For`), as behind a load balancer.
 *
 * `npm run bench flood`. Knobs: FLOOD_REQUESTS (default 100000), FLOOD_CONCURRENCY (default 64), and
 * any limit's environment variable (RATE_LIMIT_LOGIN, LIVE_STATES_PER_ADDRESS, ...).
 */
import { Pool } from 'undici'
import { limitsFromEnv } from '../../runtime/http/limits-config.ts'
import { LOGIN_PATH, type LoginHarness, openLoginHarness, SESSION_PATH } from '../login-flow/harness.ts'

const REQUESTS = Number(process.env.FLOOD_REQUESTS ?? 100_000)
const CONCURRENCY = Number(process.env.FLOOD_CONCURRENCY ?? 64)
const FLOOD_ADDRESS = '203.0.113.7'
const OTHER_ADDRESS = '198.51.100.20'

interface FloodResult {
  statuses: Map<number, number>
  seconds: number
  liveRows: number
  otherSignedIn: boolean
}

async function run(env: NodeJS.ProcessEnv): Promise<FloodResult> {
  const limits = limitsFromEnv({ ...env, TRUST_PROXY: 'loopback' })
  const h = await openLoginHarness({ limits })
  try {
    const url = await h.server.listen({ port: 0, host: '127.0.0.1' })
    const pool = new Pool(url, { connections: CONCURRENCY })
    const statuses = new Map<number, number>()
    let sent = 0
    const started = performance.now()
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (sent < REQUESTS) {
          sent++
          const response = await pool.request({
            path: `${LOGIN_PATH}?redirectUrl=%2F`,
            method: 'GET',
            headers: { 'x-forwarded-for': FLOOD_ADDRESS },
          })
          await response.body.dump()
          statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1)
        }
      }),
    )
    const seconds = (performance.now() - started) / 1000
    const liveRows = await liveStateRows(h)
    const otherSignedIn = await signIn(pool, h)
    await pool.close()
    return { statuses, seconds, liveRows, otherSignedIn }
  } finally {
    await h.close()
  }
}

async function liveStateRows(h: LoginHarness): Promise<number> {
  const row = await h.app
    .getElement('databases.Default')
    .kysely.selectFrom('jit_login_states')
    .select((eb: any) => eb.fn.countAll().as('n'))
    .where('status', '=', 'pending')
    .where('expires_at_ms', '>', Date.now())
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** A whole login from the other address: start, the sandbox's Allow, callback, then the session. */
async function signIn(pool: Pool, h: LoginHarness): Promise<boolean> {
  const headers = { 'x-forwarded-for': OTHER_ADDRESS }
  const start = await pool.request({ path: `${LOGIN_PATH}?redirectUrl=%2F`, method: 'GET', headers })
  await start.body.dump()
  if (start.statusCode !== 302) return false
  const loginCookie = cookieOf(start.headers['set-cookie'], 'jit_login')
  const authorize = new URL(String(start.headers.location))
  const redirect = new URL(h.sandbox.authorize(authorize))
  const callback = await pool.request({
    path: `${redirect.pathname}${redirect.search}`,
    method: 'GET',
    headers: { ...headers, cookie: `jit_login=${loginCookie}` },
  })
  await callback.body.dump()
  if (callback.statusCode !== 302) return false
  const session = await pool.request({
    path: SESSION_PATH,
    method: 'GET',
    headers: { ...headers, cookie: `jit_session=${cookieOf(callback.headers['set-cookie'], 'jit_session')}` },
  })
  await session.body.dump()
  return session.statusCode === 200
}

function cookieOf(header: string | string[] | undefined, name: string): string {
  for (const line of [header ?? []].flat()) {
    const match = new RegExp(`^${name}=([^;]*)`).exec(line)
    if (match) return match[1]
  }
  return ''
}

function row(name: string, env: NodeJS.ProcessEnv, result: FloodResult): string {
  const limits = limitsFromEnv(env)
  const count = (status: number) => (result.statuses.get(status) ?? 0).toLocaleString('en')
  const other = [...result.statuses.keys()].filter((s) => s !== 302 && s !== 429)
  return (
    `| ${name} | ${limits.perAddressPerMinute.login || 'off'} / min | ${limits.liveStatesPerAddress} | ` +
    `${REQUESTS.toLocaleString('en')} | ${count(302)} | ${count(429)} | ${other.map((s) => `${s}: ${count(s)}`).join(', ') || '0'} | ` +
    `${result.liveRows} | ${Math.round(REQUESTS / result.seconds).toLocaleString('en')} | ${result.otherSignedIn ? 'yes' : '**no**'} |`
  )
}

const defaults = { ...process.env }
const capOnly = { ...process.env, RATE_LIMIT_LOGIN: '0', RATE_LIMIT_ADDRESS: '0', RATE_LIMIT_LOGIN_ALL: '0' }
console.log(
  `${REQUESTS.toLocaleString('en')} login starts from one address, ${CONCURRENCY} at a time, each without a cookie; then a login from another address.\n`,
)
console.log(
  '| limits | login rate per address | live states cap per address | starts | 302 | 429 | other | live state rows after | requests/s | other address signs in |',
)
console.log('|---|---:|---:|---:|---:|---:|---|---:|---:|---|')
const first = await run(defaults)
console.log(row('defaults', defaults, first))
const second = await run(capOnly)
console.log(row('rate limits off', capOnly, second))
const capHeld = [first, second].every(
  (r, i) => r.liveRows <= limitsFromEnv(i === 0 ? defaults : capOnly).liveStatesPerAddress,
)
const answered = [first, second].every((r) => (r.statuses.get(429) ?? 0) > 0 && r.otherSignedIn)
console.log(
  `\nTarget: at most the cap of live state rows, 429 past the limit, another address signs in: ${capHeld && answered ? 'met' : '**missed**'}`,
)
process.exit(capHeld && answered ? 0 : 1)
