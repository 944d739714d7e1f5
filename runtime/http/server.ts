import path from 'node:path'
import cookie from '@fastify/cookie'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { JitApp } from '../app.ts'
import { ELEMENT_NAME } from '../elements/define-schema.ts'
import { elementInfo } from '../elements/generation.ts'
import { JitError } from '../errors.ts'
import type { Logger } from '../log.ts'
import { inheritedFromObject, ownValue } from '../own.ts'
import type { HttpAction, RouteContext } from './contract.ts'
import { answerStorageFault, databaseHealth } from './database-faults.ts'
import { registerFrontend } from './frontend.ts'
import { argumentsFor, runWithSession } from './functions.ts'
import { mountSandboxes } from './sandboxes.ts'
import { SessionStore } from './sessions.ts'

export interface ServerOptions {
  /** Request lines (`GET /path 200 3ms`, never a query string) and server errors. Default: none. */
  log?: Logger
  /** Mount the provider sandboxes of the app's Types (`jit dev`). Default false. */
  sandboxes?: boolean
  /** Clock for sessions, for tests that move time. */
  now?: () => number
}

const DEFAULT_PUBLIC_URL = 'http://127.0.0.1:3000'
const BODY_LIMIT_BYTES = 256 * 1024

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
  const fastify = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT_BYTES,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 2048 },
  })
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
  fastify.addHook('preClose', async () => {
    closing = true
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
      log.info(`${request.method} ${pathOnly} ${reply.statusCode} ${reply.elapsedTime.toFixed(0)}ms`)
      done()
    })
  }
  fastify.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (answerStorageFault(error, reply)) return reply
    if (error instanceof JitError) {
      const status = STATUS_BY_CODE[error.code] ?? 500
      if (status >= 500) log?.error(`${request.method} ${request.url.split('?')[0]}: ${error.message}`)
      // A file by its name only: an answer shows where to look without the server's folders.
      const errmsg = error.located((file) => path.basename(file))
      return reply.code(status).send({ errcode: status, errmsg, code: error.code })
    }
    const status =
      error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500
    if (status >= 500) {
      log?.error(`${request.method} ${request.url.split('?')[0]}: ${error.name}: ${error.message}`)
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
  fastify.route({
    method: ['GET', 'POST'],
    url: '/api/:orgId/:name/*',
    handler: (request, reply) => dispatch(app, sessions, publicUrl, now, request, reply),
  })
  if (options.sandboxes) await mountSandboxes(fastify, app, publicUrl)
  registerFrontend(fastify, app, { publicUrl })
  return fastify
}

function health(app: JitApp) {
  const refused = app.refusedReload
  const relative = (file?: string) => (file ? path.relative(app.appDir, file) : undefined)
  return {
    status: refused ? 'degraded' : 'ok',
    app: `${app.info.orgId}.${app.info.name}`,
    generation: app.current.id,
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

type Params = { orgId: string; name: string; '*': string }

async function dispatch(
  app: JitApp,
  sessions: SessionStore,
  publicUrl: string,
  now: () => number,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  const { orgId, name, '*': rest } = request.params as Params
  const info = app.info
  const segments = rest.split('/').filter((s) => s !== '')
  if (
    orgId !== info.orgId ||
    name !== info.name ||
    segments.length < 2 ||
    !segments.every((s) => ELEMENT_NAME.test(s))
  ) {
    return notFound(reply, request)
  }
  const joined = segments.join('/')
  if (joined === 'auths/session' && request.method === 'GET') {
    const session = await sessions.current(request)
    reply.header('cache-control', 'no-store')
    if (!session) return reply.code(401).send({ errcode: 401, errmsg: 'not logged in' })
    return {
      errcode: 0,
      errmsg: 'ok',
      data: { user: session.user, expiresAt: session.expiresAt.toISOString() },
    }
  }
  if (joined === 'auths/logout' && request.method === 'POST') {
    await sessions.close(request, reply)
    return { errcode: 0, errmsg: 'ok', data: null }
  }

  const action = segments[segments.length - 1]
  const fullName = segments.slice(0, -1).join('.')
  const generation = app.current
  const located = generation.locate(fullName)
  if (!located) return notFound(reply, request)
  try {
    generation.check(fullName)
  } catch (err) {
    const problem = err as JitError
    return reply
      .code(503)
      .send({ errcode: 503, errmsg: `${fullName} is unavailable (${problem.code})`, code: problem.code })
  }
  const route: HttpAction | undefined = ownValue(generation.typeOf(located.element)?.routes, action)
  if (route) {
    if (request.method !== route.method) return methodNotAllowed(reply, route.method)
    const ctx = routeContext(app, sessions, publicUrl, now, fullName, request, reply)
    const result = await route.handler(ctx)
    if (!reply.sent && result !== undefined) return reply.send(result)
    return reply
  }
  const decl = located.element.define.functionList?.find((f) => f.name === action)
  if (!decl) return notFound(reply, request)
  if (request.method !== 'POST') return methodNotAllowed(reply, 'POST')
  const session = await sessions.current(request)
  if (decl.loginRequired !== false && !session) {
    throw new JitError('JIT_HTTP_LOGIN_REQUIRED', `${fullName}.${action} needs a logged-in user`)
  }
  const args = argumentsFor(decl, request.body)
  const element = app.getElement(fullName)
  // A function the element only inherits from Object (declared as "toString", say) is not one it defines.
  if (typeof element[action] !== 'function' || inheritedFromObject(generation.load(fullName), action)) {
    throw new JitError(
      'JIT_FUNCTION_NOT_FOUND',
      `${fullName} declares ${action} in functionList but does not define it`,
    )
  }
  const data = await runWithSession(session, () => element[action](...args))
  return { errcode: 0, errmsg: 'ok', data: data ?? null }
}

function routeContext(
  app: JitApp,
  sessions: SessionStore,
  publicUrl: string,
  now: () => number,
  fullName: string,
  request: FastifyRequest,
  reply: FastifyReply,
): RouteContext {
  const generation = app.current
  const located = generation.locate(fullName)!
  const actionPath = (action: string) =>
    `/api/${app.info.orgId}/${app.info.name}/${fullName.split('.').join('/')}/${action}`
  return {
    request,
    reply,
    app: app.info,
    element: elementInfo(located.element),
    instance: app.getElement(fullName),
    config: generation.configOf(located.element.fullName)?.value ?? {},
    // Computed on demand: stripping secrets costs more than the login actions that never need it.
    get publicConfig() {
      return generation.publicConfigOf(located.element.fullName) ?? {}
    },
    sessions,
    log: app.logger,
    actionPath,
    actionUrl: (action) => `${publicUrl}${actionPath(action)}`,
    getElement: (name) => app.getElement(name),
    now,
  }
}

function notFound(reply: FastifyReply, request: FastifyRequest) {
  return reply
    .code(404)
    .send({ errcode: 404, errmsg: `no route for ${request.method} ${request.url.split('?')[0]}` })
}

function methodNotAllowed(reply: FastifyReply, allowed: string) {
  return reply
    .code(405)
    .header('allow', allowed)
    .send({ errcode: 405, errmsg: `use ${allowed}` })
}
