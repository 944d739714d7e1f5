import type { FastifyInstance, FastifyRequest } from 'fastify'

/**
 * The query as providers read it: parameters from the raw URL, the first one winning when a name
 * repeats (fastify would hand over an array).
 */
export function firstQueryValues(request: FastifyRequest): Record<string, string> {
  const url = request.raw.url ?? ''
  const queryAt = url.indexOf('?')
  // No prototype: a parameter named "constructor" or "__proto__" is a parameter like any other.
  const query: Record<string, string> = Object.create(null)
  if (queryAt < 0) return query
  for (const [key, value] of new URLSearchParams(url.slice(queryAt + 1))) {
    if (!Object.hasOwn(query, key)) query[key] = value
  }
  return query
}

/** The raw query string of a request (after `?`, undecoded; empty without one). */
export function rawQuery(request: FastifyRequest): string {
  const url = request.raw.url ?? ''
  const queryAt = url.indexOf('?')
  return queryAt < 0 ? '' : url.slice(queryAt + 1)
}

/** The value of cookie `name` as the browser sent it, or undefined. */
export function cookieValue(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=')
    if (key === name) return rest.join('=')
  }
  return undefined
}

/**
 * Parses form posts (a consent sheet's buttons) into a plain object in this fastify scope, unless the
 * scope already parses forms (a host app mounting the sandbox may).
 */
export function parseFormBodies(fastify: FastifyInstance, bodyLimit: number): void {
  if (fastify.hasContentTypeParser('application/x-www-form-urlencoded')) return
  fastify.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  )
}
