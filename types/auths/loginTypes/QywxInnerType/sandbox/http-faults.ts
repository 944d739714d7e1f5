import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { ParsedFault, SandboxEndpoint } from './faults.ts'
import { errorPage } from './pages.ts'
import type { WecomSandbox } from './state.ts'
import { CONTENT_TYPE, encodeWecomJson, errorBody, type WireBody } from './wire.ts'

/** Sockets held open by `hang` faults, destroyed when the sandbox closes. */
export class HungSockets {
  readonly #sockets = new Set<Socket>()

  hold(socket: Socket): void {
    this.#sockets.add(socket)
    socket.once('close', () => this.#sockets.delete(socket))
  }

  releaseAll(): void {
    for (const socket of this.#sockets) socket.destroy()
    this.#sockets.clear()
  }
}

export const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self' http: https:; base-uri 'none'; frame-ancestors 'none'"

/** The caller's IP as WeCom sees it: the sandbox's override, else the socket's (IPv4-mapped made plain). */
export function callerIp(sandbox: WecomSandbox, request: FastifyRequest): string {
  return sandbox.callerIpOverride ?? request.ip.replace(/^::ffff:/, '')
}

/** A WeCom JSON answer: HTTP 200, `application/json; charset=utf-8`, bytes as the switches say. */
export function sendWecomJson(reply: FastifyReply, sandbox: WecomSandbox, body: WireBody) {
  const bytes = Buffer.from(encodeWecomJson(body, { escapeSlashes: sandbox.switches.escapeSlashes }), 'utf8')
  return reply.code(200).header('content-type', CONTENT_TYPE).send(bytes)
}

export function sendPage(reply: FastifyReply, html: string) {
  return reply
    .code(200)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('content-security-policy', PAGE_CSP)
    .send(html)
}

export async function waitLatency(sandbox: WecomSandbox, endpoint: SandboxEndpoint) {
  const latencyMs = sandbox.latencyMs(endpoint)
  if (latencyMs > 0) await sleep(latencyMs)
}

/** The page a gateway in front of WeCom answers with (nginx's wording). */
function gatewayPage(status: number): string {
  const title = `${status} ${STATUS_CODES[status] ?? 'Error'}`
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`
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
  const wecomError = (errcode: number, errmsg?: string) =>
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
        )
  switch (fault.kind) {
    case 'errcode':
      return wecomError(fault.errcode, fault.errmsg)
    case 'busy':
      return wecomError(-1)
    case 'quota':
      return wecomError(45009)
    case 'status':
      return reply.code(fault.status).header('content-type', 'text/html').send(gatewayPage(fault.status))
    case 'body':
      return reply
        .code(fault.status)
        .header('content-type', fault.contentType)
        .send(Buffer.from(fault.body, 'utf8'))
    case 'reset': {
      reply.hijack()
      const socket = request.raw.socket
      if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy()
      else socket.destroy()
      return reply
    }
    case 'hang':
      reply.hijack()
      context.hung.hold(request.raw.socket)
      return reply
  }
}
