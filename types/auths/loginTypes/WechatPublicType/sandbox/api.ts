import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { SandboxEndpoint } from './faults.ts'
import { answerWithFault, type HungSockets, sendWechatJson, waitLatency } from './http-faults.ts'
import { exchangeCode, type Query, refreshAccessToken, userinfo, validateAccessToken } from './sns.ts'
import type { WechatSandbox } from './state.ts'
import type { WireValue } from './wire.ts'

export interface RouteContext {
  sandbox: WechatSandbox
  hung: HungSockets
  /** The sandbox's public base URL for this request (for headimgurl). */
  publicBaseUrl: (request: FastifyRequest) => string
}

/**
 * The query as WeChat reads it: parameters from the raw URL, the first one winning when a name
 * repeats (fastify would hand over an array).
 */
export function firstValues(request: FastifyRequest): Query {
  const queryAt = request.raw.url?.indexOf('?') ?? -1
  // No prototype: a parameter named "constructor" or "__proto__" is a parameter like any other.
  const query: Record<string, string> = Object.create(null)
  if (queryAt < 0) return query
  for (const [key, value] of new URLSearchParams(request.raw.url!.slice(queryAt + 1))) {
    if (!Object.hasOwn(query, key)) query[key] = value
  }
  return query
}

/** Registers GET /sns/oauth2/access_token, /sns/oauth2/refresh_token, /sns/userinfo and /sns/auth. */
export function registerApiRoutes(fastify: FastifyInstance, context: RouteContext): void {
  const { sandbox } = context
  const route = (
    path: string,
    endpoint: SandboxEndpoint,
    answer: (query: Query, request: FastifyRequest) => { [key: string]: WireValue },
  ) => {
    // logLevel warn: the default request log line would carry the query (secrets, codes, tokens).
    fastify.get(path, { logLevel: 'warn' }, async (request: FastifyRequest, reply: FastifyReply) => {
      sandbox.recordCall(endpoint)
      await waitLatency(sandbox, endpoint)
      const drawn = sandbox.drawFault(endpoint)
      const faultContext = { ...context, surface: 'json' as const }
      if (drawn && !drawn.afterProcessing) return answerWithFault(request, reply, faultContext, drawn.fault)
      const body = answer(firstValues(request), request)
      if (drawn) return answerWithFault(request, reply, faultContext, drawn.fault)
      return sendWechatJson(reply, sandbox, body)
    })
  }
  route('/sns/oauth2/access_token', 'access_token', (query) => exchangeCode(sandbox, query))
  route('/sns/oauth2/refresh_token', 'refresh_token', (query) => refreshAccessToken(sandbox, query))
  route('/sns/userinfo', 'userinfo', (query, request) =>
    userinfo(sandbox, query, context.publicBaseUrl(request)),
  )
  route('/sns/auth', 'auth', (query) => validateAccessToken(sandbox, query))
}
