import type { FastifyReply } from 'fastify'

/** The policy of a sandbox's HTML pages: inline styles, its own images, forms posting anywhere, no scripts. */
export const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self' http: https:; base-uri 'none'; frame-ancestors 'none'"

/** Sends a sandbox page: HTML, never cached, no referrer, under PAGE_CSP. */
export function sendPage(reply: FastifyReply, html: string): FastifyReply {
  return reply
    .code(200)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('content-security-policy', PAGE_CSP)
    .send(html)
}
