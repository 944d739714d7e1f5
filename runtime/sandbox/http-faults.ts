import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { DrawnFault, ParsedFault } from './faults.ts'

/** Sockets held open by `hang` faults, destroyed when the sandbox closes (call `releaseAll` in preClose). */
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

/** How a sandbox answers the faults that carry a provider error. */
export interface FaultAnswers {
  /** Where `hang` faults park their sockets. */
  hung: HungSockets
  /** The provider's errcodes for the `busy` and `quota` faults (WeChat: -1 and 45011). */
  errcodes: { busy: number; quota: number }
  /** Answers a provider error as the call's surface shows one: JSON on an API, an error page on a page. */
  providerError: (errcode: number, errmsg?: string) => FastifyReply
}

/** What a sandbox's fault book offers the HTTP layer. */
export interface FaultSource<Endpoint extends string> {
  latencyMs(endpoint: Endpoint): number
  drawFault(endpoint: Endpoint): DrawnFault | undefined
}

/** The page a gateway in front of the provider answers with (nginx's wording). */
export function gatewayPage(status: number): string {
  const title = `${status} ${STATUS_CODES[status] ?? 'Error'}`
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`
}

/** Answers a call with an injected fault: a provider error, a gateway status, any body, a reset or a hang. */
export function answerWithFault(
  request: FastifyRequest,
  reply: FastifyReply,
  answers: FaultAnswers,
  fault: ParsedFault,
): FastifyReply {
  switch (fault.kind) {
    case 'errcode':
      return answers.providerError(fault.errcode, fault.errmsg)
    case 'busy':
      return answers.providerError(answers.errcodes.busy)
    case 'quota':
      return answers.providerError(answers.errcodes.quota)
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
      answers.hung.hold(request.raw.socket)
      return reply
  }
}

/** Waits the latency configured for `endpoint` (its own plus the one for all), if any. */
export async function waitLatency<Endpoint extends string>(
  sandbox: Pick<FaultSource<Endpoint>, 'latencyMs'>,
  endpoint: Endpoint,
): Promise<void> {
  const latencyMs = sandbox.latencyMs(endpoint)
  if (latencyMs > 0) await sleep(latencyMs)
}

/**
 * Serves one API call under the sandbox's faults: the endpoint's latency first, then a drawn fault
 * answers instead of the call, or (`afterProcessing`) after the call was processed, its answer lost.
 *
 * @example
 * fastify.get('/cgi-bin/gettoken', async (request, reply) =>
 *   serveWithFaults(sandbox, 'gettoken', {
 *     process: () => gettoken(sandbox, firstQueryValues(request)),
 *     send: (body) => sendProviderJson(reply, body),
 *     fault: (fault) => answerWithFault(request, reply, answers, fault),
 *   }),
 * )
 */
export async function serveWithFaults<Endpoint extends string, Body>(
  sandbox: FaultSource<Endpoint>,
  endpoint: Endpoint,
  call: {
    process: () => Body
    send: (body: Body) => FastifyReply
    fault: (fault: ParsedFault) => FastifyReply
  },
): Promise<FastifyReply> {
  await waitLatency(sandbox, endpoint)
  const drawn = sandbox.drawFault(endpoint)
  if (drawn && !drawn.afterProcessing) return call.fault(drawn.fault)
  const body = call.process()
  if (drawn) return call.fault(drawn.fault)
  return call.send(body)
}
