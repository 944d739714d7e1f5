import type { FastifyReply, FastifyRequest } from 'fastify'
import { answerWithFault as answerFault, type HungSockets, type ParsedFault, sendPage } from 'jitlite/sandbox'
import { refusal } from './authorize-check.ts'
import { FAULT_ERRCODES } from './endpoints.ts'
import { errorPage } from './pages.ts'
import type { WechatSandbox } from './state.ts'
import { encodeWechatJson, errorBody } from './wire.ts'

/**
 * Sends a WeChat JSON answer: HTTP 200, WeChat's bytes, the content type the switch chooses. A Buffer,
 * because fastify rewrites the content type of a string body (it would add a charset WeChat never sends).
 */
export function sendWechatJson(
  reply: FastifyReply,
  sandbox: WechatSandbox,
  body: Parameters<typeof encodeWechatJson>[0],
) {
  const bytes = Buffer.from(encodeWechatJson(body), 'utf8')
  return reply.code(200).header('content-type', sandbox.switches.contentType).send(bytes)
}

/**
 * Answers a call with an injected fault. `surface` says how WeChat errors show: JSON for the /sns
 * endpoints, an error page for the authorize page.
 */
export function answerWithFault(
  request: FastifyRequest,
  reply: FastifyReply,
  context: { sandbox: WechatSandbox; hung: HungSockets; surface: 'json' | 'page' },
  fault: ParsedFault,
) {
  const { sandbox, surface } = context
  return answerFault(
    request,
    reply,
    {
      hung: context.hung,
      errcodes: FAULT_ERRCODES,
      providerError: (errcode, errmsg) =>
        surface === 'json'
          ? sendWechatJson(reply, sandbox, errorBody(errcode, sandbox.clock.nowMs(), errmsg))
          : sendPage(reply, errorPage(refusal(errcode))),
    },
    fault,
  )
}
