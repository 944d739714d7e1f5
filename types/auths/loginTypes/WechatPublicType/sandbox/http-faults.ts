import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { refusal } from './authorize-check.ts'
import type { ParsedFault } from './faults.ts'
import { errorPage } from './pages.ts'
import type { WechatSandbox } from './state.ts'
import { encodeWechatJson, errorBody } from './wire.ts'

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

export function sendPage(reply: FastifyReply, html: string) {
  return reply
    .code(200)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('content-security-policy', PAGE_CSP)
    .send(html)
}

export async function waitLatency(
  sandbox: WechatSandbox,
  endpoint: Parameters<WechatSandbox['latencyMs']>[0],
) {
  const latencyMs = sandbox.latencyMs(endpoint)
  if (latencyMs > 0) await sleep(latencyMs)
}

/** The page a gateway in front of WeChat answers with (nginx's wording). */
function gatewayPage(status: number): string {
  const title = `${status} ${STATUS_CODES[status] ?? 'Error'}`
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`
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
  const wechatError = (errcode: number, errmsg?: string) =>
    surface === 'json'
      ? sendWechatJson(reply, sandbox, errorBody(errcode, sandbox.clock.nowMs(), errmsg))
      : sendPage(reply, errorPage(refusal(errcode)))
  switch (fault.kind) {
    case 'errcode':
      return wechatError(fault.errcode, fault.errmsg)
    case 'busy':
      return wechatError(-1)
    case 'quota':
      return wechatError(45011)
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
