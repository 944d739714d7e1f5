/**
 * Applies `ServerLimits` to a fastify server: the overload guard (@fastify/under-pressure: event-loop
 * lag, heap) answering 503, and per-address rate limits (@fastify/rate-limit) by route class plus an
 * overall one, answering 429; both with `Retry-After` and the page or JSON of limit-answers.ts. The
 * client address is `request.ip`, which honours `X-Forwarded-For` only from `trustProxy`.
 */
import rateLimit from '@fastify/rate-limit'
import underPressure from '@fastify/under-pressure'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Logger } from '../log.ts'
import type { AppMetrics } from '../metrics/app-metrics.ts'
import { sendLimitAnswer } from './limit-answers.ts'
import type { LimitedRoute, ServerLimits } from './limits-config.ts'
import { WindowStore } from './window-store.ts'

const WINDOW_MS = 60_000
const OVERLOAD_RETRY_AFTER_SECONDS = 10
/** Addresses each limiter remembers (least recently seen dropped first). */
const ADDRESSES_REMEMBERED = 50_000
/** A limit logs its first refusal of an address, then stays quiet for the window. */
const LOGGED_REFUSALS_REMEMBERED = 10_000

type Check = (
  request: FastifyRequest,
) => Promise<{ isAllowed: boolean; isExceeded?: boolean; ttlInSeconds?: number }>

interface Limiter {
  /** The `limit` label and log name: a route class, `address` (every route) or `login_all`. */
  name: string
  applies(route: LimitedRoute | undefined): boolean
  check: Check
  describe: string
}

/**
 * The login family's actions that write a desktop sign-in ticket or move it on, unauthenticated: a
 * ticket shown on a desktop, its scan on a phone (which also starts a login), the phone's decision and
 * the desktop's claim.
 */
const TICKET_ACTIONS = new Set(['desktopStart', 'scan', 'desktopDecide', 'desktopClaim'])

/** The class of a request under `/api/`, by its action: the last segment of the path. */
export function routeClassOf(method: string, url: string): LimitedRoute | undefined {
  if (!url.startsWith('/api/')) return undefined
  const path = url.split('?')[0]
  const action = path.slice(path.lastIndexOf('/') + 1)
  if (action === 'login' && method === 'GET') return 'login'
  if (action === 'callback') return 'callback'
  if (TICKET_ACTIONS.has(action)) return 'ticket'
  return 'function'
}

export async function applyLimits(
  fastify: FastifyInstance,
  limits: ServerLimits,
  sinks: { metrics: AppMetrics; log?: Logger },
): Promise<void> {
  const { metrics, log } = sinks
  if (limits.overload) {
    const overload = limits.overload
    let loggedAtMs = Number.NEGATIVE_INFINITY
    await fastify.register(underPressure, {
      maxEventLoopDelay: overload.maxEventLoopDelayMs,
      maxHeapUsedBytes: overload.maxHeapUsedBytes,
      retryAfter: OVERLOAD_RETRY_AFTER_SECONDS,
      exposeStatusRoute: false,
      pressureHandler: (request, reply, type, value) => {
        metrics.limited('overload')
        // One line per overloaded stretch, not one per refused request.
        if (performance.now() - loggedAtMs > OVERLOAD_RETRY_AFTER_SECONDS * 1000) {
          loggedAtMs = performance.now()
          log?.warn(`overloaded (${type}: ${Math.round(value ?? 0)}): answering 503 until it eases`, {
            event: 'overload',
            outcome: 'refused',
            reason: type,
          })
        }
        // Sent here; under-pressure then lets fastify see the reply is sent and go no further.
        sendLimitAnswer(request, reply, {
          status: 503,
          code: 'JIT_OVERLOADED',
          retryAfterSeconds: OVERLOAD_RETRY_AFTER_SECONDS,
        })
      },
    })
  }

  const limiters = await buildLimiters(fastify, limits)
  if (limiters.length === 0) return
  const logged = new Map<string, number>()
  fastify.addHook('onRequest', async (request, reply) => {
    const route = routeClassOf(request.method, request.url)
    for (const limiter of limiters) {
      if (!limiter.applies(route)) continue
      const result = await limiter.check(request)
      if (result.isAllowed || !result.isExceeded) continue
      metrics.limited(limiter.name)
      const retryAfterSeconds = Math.max(1, result.ttlInSeconds ?? 1)
      const key = `${limiter.name} ${request.ip}`
      const nowMs = performance.now()
      if ((logged.get(key) ?? Number.NEGATIVE_INFINITY) < nowMs) {
        if (logged.size >= LOGGED_REFUSALS_REMEMBERED) logged.clear()
        logged.set(key, nowMs + retryAfterSeconds * 1000)
        log?.warn(`rate limit: ${limiter.describe}; answering 429 for ${retryAfterSeconds} s`, {
          event: 'rate_limit',
          outcome: 'limited',
          limit: limiter.name,
          address: request.ip,
        })
      }
      return sendLimitAnswer(request, reply, { status: 429, code: 'JIT_RATE_LIMITED', retryAfterSeconds })
    }
  })
}

async function buildLimiters(fastify: FastifyInstance, limits: ServerLimits): Promise<Limiter[]> {
  const wanted: Array<Omit<Limiter, 'check'> & { max: number; key?: string }> = [
    {
      name: 'address',
      max: limits.allPerAddressPerMinute,
      applies: () => true,
      describe: `one address sent more than ${limits.allPerAddressPerMinute} requests a minute`,
    },
    ...(['login', 'callback', 'ticket', 'function'] as const).map((route) => ({
      name: route,
      max: limits.perAddressPerMinute[route],
      applies: (r: LimitedRoute | undefined) => r === route,
      describe: `one address sent more than ${limits.perAddressPerMinute[route]} ${route} requests a minute`,
    })),
    {
      name: 'login_all',
      max: limits.loginStartsPerMinute,
      key: 'all',
      applies: (r: LimitedRoute | undefined) => r === 'login',
      describe: `more than ${limits.loginStartsPerMinute} login starts a minute from all addresses together`,
    },
  ]
  const active = wanted.filter((limiter) => limiter.max > 0)
  if (active.length === 0) return []
  // The plugin builds its store with `new store(options)`; each limiter then takes a child of it.
  const store = class extends WindowStore {
    constructor() {
      super(ADDRESSES_REMEMBERED)
    }
  }
  await fastify.register(rateLimit, { global: false, store })
  return active.map(({ max, key, ...limiter }) => ({
    ...limiter,
    check: fastify.createRateLimit({
      max,
      timeWindow: WINDOW_MS,
      keyGenerator: key === undefined ? (request) => request.ip : () => key,
    }),
  }))
}
