/**
 * What a refused request gets: 429 (a rate limit, a cap on live sign-ins) or 503 (overload), with
 * `Retry-After`; a short HTML page for what a browser navigates to (login, callback and ticket links,
 * pages), the API's JSON (`{errcode, errmsg, code}`) for the rest.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { ErrorCode } from '../errors.ts'

const TEXT: Partial<Record<ErrorCode, { title: string; lead: string }>> = {
  JIT_RATE_LIMITED: {
    title: 'Too many requests',
    lead: 'Too many requests came from your network in the last minute.',
  },
  JIT_LIVE_STATES_CAPPED: {
    title: 'Too many sign-ins in progress',
    lead: 'Too many sign-ins were started from here without being finished.',
  },
  JIT_OVERLOADED: {
    title: 'Server busy',
    lead: 'The server is too busy to take this request right now.',
  },
}

export function sendLimitAnswer(
  request: FastifyRequest,
  reply: FastifyReply,
  answer: { status: 429 | 503; code: ErrorCode; retryAfterSeconds: number },
): FastifyReply {
  const text = TEXT[answer.code] ?? { title: 'Try again later', lead: 'This request cannot be served now.' }
  const wait = waitText(answer.retryAfterSeconds)
  reply
    .code(answer.status)
    .header('retry-after', String(answer.retryAfterSeconds))
    .header('cache-control', 'no-store')
  if (!wantsPage(request)) {
    return reply.send({
      errcode: answer.status,
      errmsg: `${text.lead} Try again in ${wait}.`,
      code: answer.code,
    })
  }
  return reply
    .header('content-type', 'text/html; charset=utf-8')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
        `<title>${text.title}</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}</style></head>` +
        `<body><h1>${text.title}</h1><p>${text.lead}</p><p>Please wait ${wait}, then try again.</p></body></html>`,
    )
}

/** A browser's navigation (a GET that accepts HTML, or a login, callback or scan link), not an API call. */
function wantsPage(request: FastifyRequest): boolean {
  if (request.method !== 'GET') return false
  const accept = request.headers.accept
  if (typeof accept === 'string' && accept.includes('text/html')) return true
  const path = request.url.split('?')[0]
  return /\/(login|callback|scan|desktopConfirm)$/.test(path)
}

function waitText(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`
  const minutes = Math.ceil(seconds / 60)
  return `${minutes} minute${minutes === 1 ? '' : 's'}`
}
