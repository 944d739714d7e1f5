import path from 'node:path'
import cookie from '@fastify/cookie'
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  LogController,
} from 'fastify'
import type { JitApp } from '../app.ts'
import { kState } from '../app-state.ts'
import type { ConsoleOptions } from '../console/index.ts'
import { JitError } from '../errors.ts'
import type { Logger, StructuredLogger } from '../log.ts'
import { registerMetricsRoute } from '../metrics/serve-metrics.ts'
import { answerStorageFault, databaseHealth } from './database-faults.ts'
import { Dispatcher } from './dispatcher.ts'
import { registerFrontend } from './frontend.ts'
import { applyLimits } from './limits.ts'
import { NO_LIMITS, type ServerLimits } from './limits-config.ts'
import { mountSandboxes } from './sandboxes.ts'
import { SessionStore } from './sessions.ts'

export interface ServerOptions {
  /**
   * Request lines (`GET /path 200 3ms` with `event: 'request'`, the request id, status and duration;
   * never a query string) and server errors. Default: none. A logger from `createLogger` is fastify's
   * own logger too.
   */
  log?: Logger
  /** Mount the provider sandboxes of the app's Types (`jit dev`). Default false. */
  sandboxes?: boolean
  /** Clock for sessions, for tests that move time. */
  now?: () => number
  /**
   * Rate limits, caps on live login states, request size limits, the overload guard, trusted proxies.
   * Default `NO_LIMITS`; `jit dev` and `jit start` pass `limitsFromEnv(process.env)`.
   */
  limits?: ServerLimits
  /** Serve `/metrics` on this server, to `Authorization: Bearer <metricsToken>` only. Default: not served. */
  metricsToken?: string
  /** Mount the development console under `/__jit/` (`jit dev` only). Default: not mounted. */
  console?: ConsoleOptions
}

const DEFAULT_PUBLIC_URL = 'http://127.0.0.1:3000'

/** HTTP status for an error code a request can meet. */
const STATUS_BY_CODE: Partial<Record<JitError['code'], number>> = {
  JIT_ELEMENT_NOT_FOUND: 404,
  JIT_FUNCTION_NOT_FOUND: 404,
  JIT_HTTP_BAD_REQUEST: 400,
  JIT_HTTP_LOGIN_REQUIRED: 401,
  JIT_MODEL_UNKNOWN_FIELD: 400,
  JIT_MODEL_VALUE_INVALID: 400,
}

/**
 * The app's HTTP server: one dispatch route that resolves elements at request time (so elements added
 * by hot reload are reachable at once), sessions, `/healthz`, and in development the provider sandboxes.
 *
 * @example
 * const server = await buildServer(app)
 * const res = await server.inject({ method: 'GET', url: '/healthz' })
 */
export async function buildServer(app: JitApp, options: ServerOptions = {}): Promise<FastifyInstance> {
  const publicUrl = (app.info.publicUrl ?? DEFAULT_PUBLIC_URL).replace(/\/+$/, '')
  const log = options.log
  const limits = options.limits ?? NO_LIMITS
  const pinoLogger: FastifyBaseLogger | undefined = (log as Partial<StructuredLogger> | undefined)?.pino
  const fastify = Fastify({
    ...(pinoLogger ? { loggerInstance: pinoLogger } : { logger: false }),
    // One line per request, ours (onResponse below): fastify's two would carry the URL's query string.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: limits.bodyLimitBytes,
    http: { maxHeaderSize: limits.headerLimitBytes },
    trustProxy: limits.trustProxy,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 2048 },
    // fastify's own answer to a malformed URL quotes it whole, query string (a code, a state) and all.
    frameworkErrors: (error, _request, reply) => {
      const malformedUrl = error.code === 'FST_ERR_BAD_URL'
      ;(reply as FastifyReply).code(400).send({
        errcode: 400,
        errmsg: malformedUrl
          ? 'the request URL is malformed (an escape that is not valid UTF-8); correct the link'
          : 'the request is malformed',
        code: 'JIT_HTTP_BAD_REQUEST',
      })
    },
  })
  await applyLimits(fastify, limits, { metrics: app.metrics, log })
  await fastify.register(cookie)
  const now = options.now ?? Date.now
  const sessions = new SessionStore({
    database: () => app.getElement('databases.Default'),
    secureCookies: publicUrl.startsWith('https:'),
    now,
  })

  // Once close() has begun, answers to the requests still in flight end their connection: a kept-alive
  // browser connection would otherwise hold the server open until its idle timeout (72 s).
  let closing = false
  const closingSignal = new AbortController()
  fastify.addHook('preClose', async () => {
    closing = true
    closingSignal.abort()
  })
  // Hooks that run on every request take fastify's callback form: an async hook costs a promise each.
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close')
    done(null, payload)
  })

  if (log) {
    fastify.addHook('onResponse', (request, reply, done) => {
      // Only the path: a callback's query string carries a code and a state.
      const pathOnly = request.url.split('?')[0]
      const durationMs = Math.round(reply.elapsedTime)
      log.info(`${request.method} ${pathOnly} ${reply.statusCode} ${durationMs}ms`, {
        event: 'request',
        reqId: request.id,
        method: request.method,
        path: pathOnly,
        status: reply.statusCode,
        durationMs,
      })
      done()
    })
  }
  fastify.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (answerStorageFault(error, reply)) return reply
    if (error instanceof JitError) {
      const status = STATUS_BY_CODE[error.code] ?? 500
      if (status >= 500) {
        log?.error(`${request.method} ${request.url.split('?')[0]}: ${error.message}`, {
          event: 'request_error',
          reqId: request.id,
          errorCode: error.code,
        })
      }
      // A file by its name only: an answer shows where to look without the server's folders.
      const errmsg = error.located((file) => path.basename(file))
      return reply.code(status).send({ errcode: status, errmsg, code: error.code })
    }
    const status =
      error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500
    if (status >= 500) {
      log?.error(`${request.method} ${request.url.split('?')[0]}: ${error.name}: ${error.message}`, {
        event: 'request_error',
        reqId: request.id,
      })
      return reply.code(500).send({ errcode: 500, errmsg: 'internal error' })
    }
    return reply.code(status).send({ errcode: status, errmsg: error.message })
  })
  fastify.setNotFoundHandler((request, reply) => {
    reply
      .code(404)
      .send({ errcode: 404, errmsg: `no route for ${request.method} ${request.url.split('?')[0]}` })
  })

  fastify.get('/healthz', async (_request, reply) => {
    const [body, database] = await Promise.all([health(app), databaseHealth(app)])
    // A load balancer takes a node whose database fails out of service; a refused reload is not that.
    const ok = database.database !== 'failing'
    return reply.code(ok ? 200 : 503).send({ ok, ...body, status: ok ? body.status : 'failing', ...database })
  })
  if (options.metricsToken) registerMetricsRoute(fastify, app.metrics, options.metricsToken)
  // HTML forms post urlencoded bodies (a login family's confirmation page): read as plain fields.
  fastify.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)))
    },
  )
  const dispatcher = new Dispatcher(app, {
    sessions,
    publicUrl,
    now,
    closing: closingSignal.signal,
    liveRowCaps: {
      perBrowser: limits.liveStatesPerBrowser,
      perAddress: limits.liveStatesPerAddress,
      ticketsPerAddress: limits.liveTicketsPerAddress,
    },
  })
  fastify.route({
    method: ['GET', 'POST'],
    url: '/api/:orgId/:name/*',
    handler: (request, reply) => dispatcher.dispatch(request, reply),
  })
  if (options.sandboxes) await mountSandboxes(fastify, app, publicUrl)
  if (options.console) {
    const { registerConsole } = await import('../console/index.ts')
    await registerConsole(fastify, app, options.console)
  }
  registerFrontend(fastify, app, { publicUrl })
  return fastify
}

function health(app: JitApp) {
  const refused = app.refusedReload
  const relative = (file?: string) => (file ? path.relative(app.appDir, file) : undefined)
  return {
    status: refused ? 'degraded' : 'ok',
    app: `${app.info.orgId}.${app.info.name}`,
    generation: app[kState].definition.id,
    problems: app.problems.length,
    reload: refused
      ? {
          refused: true,
          problems: refused.map((p) => ({
            code: p.code,
            element: p.element,
            file: relative(p.file),
            field: p.field,
          })),
        }
      : { refused: false },
  }
}
