import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { firstQueryValues, type HungSockets, serveWithFaults } from 'jitlite/sandbox'
import type { SandboxEndpoint } from './endpoints.ts'
import { answerWithFault, sendWechatJson } from './http-faults.ts'
import { exchangeCode, type Query, refreshAccessToken, userinfo, validateAccessToken } from './sns.ts'
import type { WechatSandbox } from './state.ts'
import type { WireValue } from './wire.ts'

export interface RouteContext {
  sandbox: WechatSandbox
  hung: HungSockets
  /** The sandbox's public base URL for this request (for headimgurl). */
  publicBaseUrl: (request: FastifyRequest) => string
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
      return serveWithFaults(sandbox, endpoint, {
        process: () => answer(firstQueryValues(request), request),
        send: (body) => sendWechatJson(reply, sandbox, body),
        fault: (fault) => answerWithFault(request, reply, { ...context, surface: 'json' }, fault),
      })
    })
  }
  route('/sns/oauth2/access_token', 'access_token', (query) => exchangeCode(sandbox, query))
  route('/sns/oauth2/refresh_token', 'refresh_token', (query) => refreshAccessToken(sandbox, query))
  route('/sns/userinfo', 'userinfo', (query, request) =>
    userinfo(sandbox, query, context.publicBaseUrl(request)),
  )
  route('/sns/auth', 'auth', (query) => validateAccessToken(sandbox, query))
}
