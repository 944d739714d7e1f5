import type { FastifyReply, FastifyRequest } from 'fastify'
import type { JitApp } from '../app.ts'
import { kState } from '../app-state.ts'
import { ELEMENT_NAME } from '../elements/define-schema.ts'
import type { ResolvedElement } from '../elements/element-state.ts'
import { JitError } from '../errors.ts'
import { childOf, type Logger } from '../log.ts'
import { inheritedFromObject, ownValue } from '../own.ts'
import { elementApiPath } from './api-path.ts'
import type { HttpAction, LiveRowCaps, RouteContext } from './contract.ts'
import { argumentsFor, runWithSession } from './functions.ts'
import type { SessionStore } from './sessions.ts'

export interface DispatcherOptions {
  sessions: SessionStore
  /** The URL browsers reach the app at, without a trailing slash. */
  publicUrl: string
  /** The server's clock (tests move it). */
  now: () => number
  /** Caps on the live unauthenticated rows one browser or client address may hold (0: none). */
  liveRowCaps: LiveRowCaps
  /** Aborted when the server starts closing. */
  closing: AbortSignal
}

type Params = { orgId: string; name: string; '*': string }

/**
 * Answers `/api/<orgId>/<name>/<element path>/<action>`: the session routes of the auth family, a
 * Type's HTTP actions, and the functions an element's functionList exposes. The element is resolved
 * at request time, so an element added by hot reload is reachable at once. Built once per server.
 */
export class Dispatcher {
  private readonly app: JitApp
  private readonly sessions: SessionStore
  private readonly publicUrl: string
  private readonly now: () => number
  private readonly liveRowCaps: LiveRowCaps
  private readonly closing: AbortSignal

  constructor(app: JitApp, options: DispatcherOptions) {
    this.app = app
    this.sessions = options.sessions
    this.publicUrl = options.publicUrl
    this.now = options.now
    this.liveRowCaps = options.liveRowCaps
    this.closing = options.closing
  }

  async dispatch(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const { orgId, name, '*': rest } = request.params as Params
    const info = this.app.info
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
    if (joined === 'auths/session' && request.method === 'GET') return this.session(request, reply)
    if (joined === 'auths/logout' && request.method === 'POST') {
      await this.sessions.close(request, reply)
      return { errcode: 0, errmsg: 'ok', data: null }
    }

    const action = segments[segments.length - 1]
    const fullName = segments.slice(0, -1).join('.')
    const resolved = this.app[kState].resolve(fullName)
    if (!resolved) return notFound(reply, request)
    const problem = resolved.problem
    if (problem) {
      return reply
        .code(503)
        .send({ errcode: 503, errmsg: `${fullName} is unavailable (${problem.code})`, code: problem.code })
    }
    const route: HttpAction | undefined = ownValue(resolved.type?.routes, action)
    if (route) {
      if (request.method !== route.method) return methodNotAllowed(reply, route.method)
      const result = await route.handler(this.routeContext(resolved, request, reply))
      if (!reply.sent && result !== undefined) return reply.send(result)
      return reply
    }
    return this.callFunction(resolved, action, request, reply)
  }

  private async session(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const session = await this.sessions.current(request)
    reply.header('cache-control', 'no-store')
    if (!session) return reply.code(401).send({ errcode: 401, errmsg: 'not logged in' })
    return {
      errcode: 0,
      errmsg: 'ok',
      data: { user: session.user, expiresAt: session.expiresAt.toISOString() },
    }
  }

  /** A function of the element's functionList, called with the request's JSON arguments. */
  private async callFunction(
    resolved: ResolvedElement,
    action: string,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<unknown> {
    const fullName = resolved.fullName
    const decl = resolved.element.define.functionList?.find((f) => f.name === action)
    if (!decl) return notFound(reply, request)
    if (request.method !== 'POST') return methodNotAllowed(reply, 'POST')
    const session = await this.sessions.current(request)
    if (decl.loginRequired !== false && !session) {
      throw new JitError('JIT_HTTP_LOGIN_REQUIRED', `${fullName}.${action} needs a logged-in user`)
    }
    const args = argumentsFor(decl, request.body)
    const element = this.app.getElement(fullName)
    // A function the element only inherits from Object (declared as "toString", say) is not one it defines.
    if (typeof element[action] !== 'function' || inheritedFromObject(resolved.object(), action)) {
      throw new JitError(
        'JIT_FUNCTION_NOT_FOUND',
        `${fullName} declares ${action} in functionList but does not define it`,
      )
    }
    const data = await runWithSession(session, () => element[action](...args))
    return { errcode: 0, errmsg: 'ok', data: data ?? null }
  }

  /** Each element's API path, made once: a login makes two or three action URLs. */
  private readonly apiPaths = new Map<string, string>()

  private apiPathOf(fullName: string): string {
    let apiPath = this.apiPaths.get(fullName)
    if (apiPath === undefined) {
      apiPath = elementApiPath(this.app.info, fullName)
      this.apiPaths.set(fullName, apiPath)
    }
    return apiPath
  }

  private routeContext(
    resolved: ResolvedElement,
    request: FastifyRequest,
    reply: FastifyReply,
  ): RouteContext {
    const app = this.app
    const fullName = resolved.fullName
    const publicUrl = this.publicUrl
    const actionPath = (action: string) => `${this.apiPathOf(fullName)}/${action}`
    let log: Logger | undefined
    return {
      request,
      reply,
      app: app.info,
      element: resolved.info,
      instance: app.getElement(fullName),
      config: resolved.config?.value ?? {},
      // Computed on demand: stripping secrets costs more than the login actions that never need it.
      get publicConfig() {
        return resolved.publicConfig ?? {}
      },
      sessions: this.sessions,
      // The request's lines carry its id and the element; made on first use (most actions log nothing).
      get log() {
        log ??= childOf(app.logger, { reqId: request.id, element: fullName })
        return log
      },
      metrics: app.metrics,
      liveRowCaps: this.liveRowCaps,
      publicUrl,
      actionPath,
      actionUrl: (action) => `${publicUrl}${actionPath(action)}`,
      getElement: (name) => app.getElement(name),
      now: this.now,
      closing: this.closing,
    }
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
