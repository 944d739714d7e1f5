import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { firstQueryValues, type HungSockets, serveWithFaults } from 'jitlite/sandbox'
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
import type { SandboxEndpoint } from './endpoints.ts'
import { answerWithFault, callerIp, sendWecomJson } from './http-faults.ts'
import type { WecomSandbox } from './state.ts'
import type { WireBody } from './wire.ts'

export interface RouteContext {
  sandbox: WecomSandbox
  hung: HungSockets
  /** The sandbox's public base URL for this request (pictures). */
  publicBaseUrl: (request: FastifyRequest) => string
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
        const query: Query = firstQueryValues(request)
        const ip = callerIp(sandbox, request)
        const record = sandbox.recordCall(endpoint, ip, query)
        return serveWithFaults(sandbox, endpoint, {
          process: () =>
            answer({ sandbox, query, ip, publicBaseUrl: context.publicBaseUrl(request) }, request),
          send: (body) => {
            record.errcode = typeof body.errcode === 'number' ? body.errcode : undefined
            return sendWecomJson(reply, sandbox, body)
          },
          fault: (fault) => answerWithFault(request, reply, { ...context, surface: 'json' }, fault),
        })
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
