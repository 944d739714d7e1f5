import type { FastifyReply } from 'fastify'

/** The double-delivery page may run its one script and fetch the callback; nothing else. */
export const DOUBLE_DELIVERY_CSP =
  "default-src 'none'; script-src 'unsafe-inline'; connect-src http: https:; style-src 'unsafe-inline'; base-uri 'none'"

/** A redirect_uri the provider accepts: an absolute http(s) URL; undefined for anything else. */
export function parseHttpUrl(value: string): URL | undefined {
  try {
    const url = new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined
  } catch {
    return undefined
  }
}

/**
 * Providers compare the redirect_uri's host with a configured domain exactly. Domains are configured
 * without a port, so a domain without one matches its host on any port (a local app runs on whatever
 * port it gets); a domain with ":port" (as test accounts allow) matches only that port.
 */
export function hostMatchesDomain(url: URL, domain: string): boolean {
  return domain.includes(':') ? url.host === domain : url.hostname === domain
}

/**
 * The URL a provider sends the browser back to: `query` (`code=...&state=...`) added to redirect_uri
 * with `?` or `&`, before any fragment. What a Location header cannot carry (non-ASCII, control
 * characters) is percent-encoded as UTF-8, as a browser following the redirect would; printable ASCII
 * (a space included) is left exactly as it was.
 */
export function addToRedirect(redirectUri: string, query: string): string {
  const hashAt = redirectUri.indexOf('#')
  const beforeHash = hashAt < 0 ? redirectUri : redirectUri.slice(0, hashAt)
  const fragment = hashAt < 0 ? '' : redirectUri.slice(hashAt)
  let joiner = '?'
  if (beforeHash.includes('?')) joiner = beforeHash.endsWith('?') || beforeHash.endsWith('&') ? '' : '&'
  return `${beforeHash}${joiner}${query}${fragment}`.replace(/[^\x20-\x7e]/gu, (character) =>
    [...Buffer.from(character, 'utf8')]
      .map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)
      .join(''),
  )
}

/**
 * Sends the browser to the callback: a 302, or, when `doubleDeliveryPage` is given (the sandbox's
 * "deliver twice" switch), that page, which requests the callback once and then goes there, as a
 * reload, a prefetch or a second tab would. Never cached, no referrer.
 */
export function deliverRedirect(reply: FastifyReply, url: string, doubleDeliveryPage?: string): FastifyReply {
  reply.header('referrer-policy', 'no-referrer').header('cache-control', 'no-store')
  if (doubleDeliveryPage === undefined) return reply.redirect(url, 302)
  return reply
    .code(200)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', DOUBLE_DELIVERY_CSP)
    .send(doubleDeliveryPage)
}
