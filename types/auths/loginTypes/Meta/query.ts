/** A request target longer than this is refused before its query is read (WeChat's are under 1 KB). */
export const MAX_REQUEST_TARGET_LENGTH = 8192

export type QueryReading =
  | { ok: true; params: Readonly<Record<string, string>> }
  | { ok: false; problem: string }

/**
 * Reads the query string of a request target strictly: every value a single string, decoded as UTF-8.
 * A repeated parameter, a malformed percent-escape or invalid UTF-8 is a problem the caller answers
 * with a 400, never something to guess at (fastify's parser would give an array, or keep `%FF` as is).
 * The problem text names the parameter, never its value.
 *
 * @example
 * readQuery('/cb?code=abc&state=xyz') // { ok: true, params: { code: 'abc', state: 'xyz' } }
 * readQuery('/cb?state=a&state=b')    // { ok: false, problem: 'the parameter "state" is repeated' }
 */
export function readQuery(requestTarget: string): QueryReading {
  if (requestTarget.length > MAX_REQUEST_TARGET_LENGTH) {
    return { ok: false, problem: `the link is longer than ${MAX_REQUEST_TARGET_LENGTH} characters` }
  }
  const params: Record<string, string> = Object.create(null)
  const queryAt = requestTarget.indexOf('?')
  if (queryAt < 0) return { ok: true, params }
  const hashAt = requestTarget.indexOf('#', queryAt)
  const query = requestTarget.slice(queryAt + 1, hashAt < 0 ? undefined : hashAt)
  for (const pair of query.split('&')) {
    if (pair === '') continue
    const equalsAt = pair.indexOf('=')
    const name = decode(equalsAt < 0 ? pair : pair.slice(0, equalsAt))
    const value = decode(equalsAt < 0 ? '' : pair.slice(equalsAt + 1))
    if (name === undefined) return { ok: false, problem: 'a parameter name is not valid UTF-8' }
    if (value === undefined) return { ok: false, problem: `the parameter ${quoted(name)} is not valid UTF-8` }
    if (Object.hasOwn(params, name))
      return { ok: false, problem: `the parameter ${quoted(name)} is repeated` }
    params[name] = value
  }
  return { ok: true, params }
}

function decode(component: string): string | undefined {
  try {
    return decodeURIComponent(component.replaceAll('+', ' '))
  } catch {
    return undefined
  }
}

/** Names are echoed in messages only when they look like parameter names, never like values. */
function quoted(name: string): string {
  return /^[A-Za-z_]{1,24}$/.test(name) ? `"${name}"` : '(with an unusual name)'
}
