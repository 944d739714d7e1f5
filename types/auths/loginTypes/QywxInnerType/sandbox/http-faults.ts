import type { FastifyReply, FastifyRequest } from 'fastify'
import { answerWithFault as answerFault, type HungSockets, type ParsedFault, sendPage } from 'jitlite/sandbox'
import { FAULT_ERRCODES } from './endpoints.ts'
import { errorPage } from './pages.ts'
import type { WecomSandbox } from './state.ts'
import { CONTENT_TYPE, encodeWecomJson, errorBody, type WireBody } from './wire.ts'

/** The caller's IP as WeCom sees it: the sandbox's override, else the socket's (IPv4-mapped made plain). */
export function callerIp(sandbox: WecomSandbox, request: FastifyRequest): string {
  return sandbox.callerIpOverride ?? request.ip.replace(/^::ffff:/, '')
}

/** A WeCom JSON answer: HTTP 200, `application/json; charset=utf-8`, bytes as the switches say. */
export function sendWecomJson(reply: FastifyReply, sandbox: WecomSandbox, body: WireBody) {
  const bytes = Buffer.from(encodeWecomJson(body, { escapeSlashes: sandbox.switches.escapeSlashes }), 'utf8')
  return reply.code(200).header('content-type', CONTENT_TYPE).send(bytes)
}

/**
 * Answers a call with an injected fault. `surface` says how WeCom errors show: JSON for the API, an
 * error page for the login pages.
 */
export function answerWithFault(
  request: FastifyRequest,
  reply: FastifyReply,
  context: { sandbox: WecomSandbox; hung: HungSockets; surface: 'json' | 'page' },
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
          ? sendWecomJson(
              reply,
              sandbox,
              errorBody(errcode, { nowMs: sandbox.clock.nowMs(), ip: callerIp(sandbox, request) }, errmsg),
            )
          : sendPage(
              reply,
              errorPage({
                title: errmsg ?? '系统繁忙，请稍后再试',
                titleEn: 'WeCom could not handle the request',
                code: errcode,
                hint: `An injected fault: this page answers errcode ${errcode}.`,
              }),
            ),
    },
    fault,
  )
}
