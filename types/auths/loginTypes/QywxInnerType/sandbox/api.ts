import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import {
  type CallContext,
  departmentList,
  gettoken,
  getuserdetail,
  getuserinfo,
  type Query,
  userGet,
  userList,
} from './cgi.ts'
import type { SandboxEndpoint } from './faults.ts'
import { answerWithFault, callerIp, type HungSockets, sendWecomJson, waitLatency } from './http-faults.ts'
import type { WecomSandbox } from './state.ts'
import type { WireBody } from './wire.ts'

export interface RouteContext {
  sandbox: WecomSandbox
  hung: HungSockets
  /** The sandbox's public base URL for this request (pictures). */
  publicBaseUrl: (request: FastifyRequest) => string
}

/** The query as WeCom reads it: from the raw URL, the first value winning when a name repeats. */
export function firstValues(request: FastifyRequest): Record<string, string> {
  const url = request.raw.url ?? ''
  const queryAt = url.indexOf('?')
  // No prototype: a parameter named "__proto__" is a parameter like any other.
  const query: Record<string, string> = Object.create(null)
  if (queryAt < 0) return query
  for (const [key, value] of new URLSearchParams(url.slice(queryAt + 1))) {
    if (!Object.hasOwn(query, key)) query[key] = value
  }
  return query
}

/** Registers WeCom's /cgi-bin API (docs/wecom-protocol.md#api-conventions). */
export function registerApiRoutes(fastify: FastifyInstance, context: RouteContext): void {
  const { sandbox } = context
  const route = (
    method: 'GET' | 'POST',
    path: string,
    endpoint: SandboxEndpoint,
    answer: (call: CallContext, request: FastifyRequest) => WireBody,
  ) => {
    // logLevel warn: the default request log line would carry the query (secrets, codes, tokens).
    fastify.route({
      method,
      url: path,
      logLevel: 'warn',
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const query: Query = firstValues(request)
        const ip = callerIp(sandbox, request)
        const record = sandbox.recordCall(endpoint, ip, query)
        await waitLatency(sandbox, endpoint)
        const drawn = sandbox.drawFault(endpoint)
        const faultContext = { ...context, surface: 'json' as const }
        if (drawn && !drawn.afterProcessing) return answerWithFault(request, reply, faultContext, drawn.fault)
        const body = answer({ sandbox, query, ip, publicBaseUrl: context.publicBaseUrl(request) }, request)
        if (drawn) return answerWithFault(request, reply, faultContext, drawn.fault)
        record.errcode = typeof body.errcode === 'number' ? body.errcode : undefined
        return sendWecomJson(reply, sandbox, body)
      },
    })
  }
  route('GET', '/cgi-bin/gettoken', 'gettoken', (call) => gettoken(call))
  route('GET', '/cgi-bin/auth/getuserinfo', 'getuserinfo', (call) => getuserinfo(call, false))
  route('GET', '/cgi-bin/user/getuserinfo', 'legacy_getuserinfo', (call) => getuserinfo(call, true))
  route('POST', '/cgi-bin/auth/getuserdetail', 'getuserdetail', (call, request) =>
    getuserdetail(call, typeof request.body === 'string' ? request.body : ''),
  )
  route('GET', '/cgi-bin/user/get', 'user_get', (call) => userGet(call))
  route('GET', '/cgi-bin/department/list', 'department_list', (call) => departmentList(call))
  route('GET', '/cgi-bin/user/list', 'user_list', (call) => userList(call))
}
