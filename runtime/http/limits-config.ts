/**
 * The server's abuse limits and overload guard, read from the environment once at start:
 * per-address rate limits by route class, an overall one, caps on live unauthenticated rows (login
 * states, tickets), request size limits, and the overload guard. `jit dev` and `jit start` apply them;
 * `buildServer` applies what it is given.
 */
import v8 from 'node:v8'
import { JitError } from '../errors.ts'

/** Route classes with a per-address limit of their own. */
export type LimitedRoute = 'login' | 'callback' | 'ticket' | 'function'

export interface ServerLimits {
  /** Requests per minute per client address, by route class; 0: no limit. */
  perAddressPerMinute: Record<LimitedRoute, number>
  /** Every request of one address per minute, whatever the route; 0: no limit. */
  allPerAddressPerMinute: number
  /** Login starts per minute from all addresses together; 0: no limit. */
  loginStartsPerMinute: number
  /** Live (unfinished, unexpired) login states one browser may hold; 0: no cap. */
  liveStatesPerBrowser: number
  /** Live login states one client address may hold; 0: no cap. */
  liveStatesPerAddress: number
  /** Live (unfinished, unexpired) desktop sign-in tickets one client address may hold; 0: no cap. */
  liveTicketsPerAddress: number
  /** `fastify`'s `trustProxy`: the proxies whose `X-Forwarded-For` is believed. false: none. */
  trustProxy: false | string
  bodyLimitBytes: number
  /** Node's `maxHeaderSize`: a request whose headers are larger gets 431. */
  headerLimitBytes: number
  /** The overload guard; undefined: off. */
  overload?: { maxEventLoopDelayMs: number; maxHeapUsedBytes: number }
}

const MB = 1024 * 1024

/**
 * Generous for people (a person starts a login a few times a minute), tight for a script. One address
 * may be a whole office behind NAT: set higher limits there, or TRUST_PROXY for a proxy's addresses.
 */
export const DEFAULT_LIMITS: ServerLimits = {
  perAddressPerMinute: { login: 60, callback: 120, ticket: 120, function: 1200 },
  allPerAddressPerMinute: 3000,
  loginStartsPerMinute: 60_000,
  liveStatesPerBrowser: 20,
  liveStatesPerAddress: 1000,
  liveTicketsPerAddress: 1000,
  trustProxy: false,
  bodyLimitBytes: 256 * 1024,
  headerLimitBytes: 16 * 1024,
  overload: {
    maxEventLoopDelayMs: 1000,
    maxHeapUsedBytes: Math.round(v8.getHeapStatistics().heap_size_limit * 0.9),
  },
}

/** No rate limit, no cap, no overload guard: what `buildServer` does when given no limits. */
export const NO_LIMITS: ServerLimits = {
  perAddressPerMinute: { login: 0, callback: 0, ticket: 0, function: 0 },
  allPerAddressPerMinute: 0,
  loginStartsPerMinute: 0,
  liveStatesPerBrowser: 0,
  liveStatesPerAddress: 0,
  liveTicketsPerAddress: 0,
  trustProxy: false,
  bodyLimitBytes: DEFAULT_LIMITS.bodyLimitBytes,
  headerLimitBytes: DEFAULT_LIMITS.headerLimitBytes,
}

type Env = Readonly<Record<string, string | undefined>>

/**
 * The limits the environment asks for, over `DEFAULT_LIMITS`. `RATE_LIMIT=off` turns every rate limit
 * off (the caps on live rows stay: `LIVE_STATES_PER_ADDRESS=0` or `LIVE_TICKETS_PER_ADDRESS=0` removes
 * one); `OVERLOAD=off` the
 * overload guard. A value that is not a whole number ≥ 0 throws JIT_ENV_INVALID naming the variable.
 *
 * @example
 * limitsFromEnv({ RATE_LIMIT_LOGIN: '10', TRUST_PROXY: '10.0.0.5' })
 */
export function limitsFromEnv(env: Env): ServerLimits {
  const d = DEFAULT_LIMITS
  const off = switchedOff(env, 'RATE_LIMIT')
  const rate = (name: string, fallback: number) => (off ? 0 : count(env, name, fallback))
  const overloadOff = switchedOff(env, 'OVERLOAD')
  return {
    perAddressPerMinute: {
      login: rate('RATE_LIMIT_LOGIN', d.perAddressPerMinute.login),
      callback: rate('RATE_LIMIT_CALLBACK', d.perAddressPerMinute.callback),
      ticket: rate('RATE_LIMIT_TICKET', d.perAddressPerMinute.ticket),
      function: rate('RATE_LIMIT_FUNCTION', d.perAddressPerMinute.function),
    },
    allPerAddressPerMinute: rate('RATE_LIMIT_ADDRESS', d.allPerAddressPerMinute),
    loginStartsPerMinute: rate('RATE_LIMIT_LOGIN_ALL', d.loginStartsPerMinute),
    liveStatesPerBrowser: count(env, 'LIVE_STATES_PER_BROWSER', d.liveStatesPerBrowser),
    liveStatesPerAddress: count(env, 'LIVE_STATES_PER_ADDRESS', d.liveStatesPerAddress),
    liveTicketsPerAddress: count(env, 'LIVE_TICKETS_PER_ADDRESS', d.liveTicketsPerAddress),
    trustProxy: trustProxyOf(env.TRUST_PROXY),
    bodyLimitBytes: count(env, 'BODY_LIMIT_BYTES', d.bodyLimitBytes, 1),
    headerLimitBytes: count(env, 'HEADER_LIMIT_BYTES', d.headerLimitBytes, 1024),
    overload: overloadOff
      ? undefined
      : {
          maxEventLoopDelayMs: count(env, 'OVERLOAD_EVENT_LOOP_DELAY_MS', d.overload!.maxEventLoopDelayMs, 1),
          maxHeapUsedBytes:
            env.OVERLOAD_HEAP_USED_MB === undefined
              ? d.overload!.maxHeapUsedBytes
              : count(env, 'OVERLOAD_HEAP_USED_MB', 0, 1) * MB,
        },
  }
}

function switchedOff(env: Env, name: string): boolean {
  const value = env[name]?.trim().toLowerCase()
  if (value === undefined || value === '' || value === 'on') return false
  if (value === 'off') return true
  throw invalid(name, env[name]!, '"off" or "on"')
}

function count(env: Env, name: string, fallback: number, min = 0): number {
  const value = env[name]?.trim()
  if (value === undefined || value === '') return fallback
  if (!/^\d+$/.test(value) || Number(value) < min)
    throw invalid(name, value, `a whole number, at least ${min}`)
  return Number(value)
}

/**
 * `TRUST_PROXY`: the addresses or CIDR ranges of the proxies in front (comma-separated), or `loopback`
 * for a proxy on this machine. `true` (trust every peer) is refused: any client could then name its
 * own address in X-Forwarded-For and escape the per-address limits.
 */
function trustProxyOf(value: string | undefined): false | string {
  const text = value?.trim()
  if (text === undefined || text === '' || text === 'false') return false
  const entries = text.split(',').map((entry) => entry.trim())
  const proxy = /^(?:[0-9a-fA-F]*[.:][0-9a-fA-F.:]*(?:\/\d{1,3})?|loopback|linklocal|uniquelocal)$/
  if (entries.every((entry) => proxy.test(entry))) return entries.join(',')
  throw invalid(
    'TRUST_PROXY',
    text,
    "the proxies' addresses or CIDR ranges (10.0.0.5,10.1.0.0/16), or loopback",
  )
}

function invalid(name: string, value: string, expected: string): JitError {
  return new JitError('JIT_ENV_INVALID', `${name}=${JSON.stringify(value)} is not valid: set ${expected}`)
}
