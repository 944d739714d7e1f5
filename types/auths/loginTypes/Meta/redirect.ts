/** Longest `redirectUrl` a login start accepts; longer ones are refused with a 400. */
export const MAX_REDIRECT_URL_LENGTH = 2048

/**
 * Where the browser goes after a login: `requested` when it is on the app's own origin (or one of
 * `allowedOrigins`), else the app's start page. The value is parsed as a URL and origins are compared
 * whole, because prefix checks on strings fall for `https://app.example.com.evil.net`, `//evil.net`
 * and `/\evil.net`. The answer is always absolute, so a path like `//evil.net` can never be read by the
 * browser as another host.
 *
 * @example
 * postLoginTarget('/orders?id=7', 'https://app.example.com', [])   // 'https://app.example.com/orders?id=7'
 * postLoginTarget('https://evil.net/', 'https://app.example.com', []) // 'https://app.example.com/'
 */
export function postLoginTarget(
  requested: string | undefined,
  publicUrl: string,
  allowedOrigins: readonly string[],
): string {
  const base = new URL(publicUrl)
  const startPage = startPageOf(publicUrl)
  if (!requested) return startPage
  let target: URL
  try {
    target = new URL(requested, `${base.origin}/`)
  } catch {
    return startPage
  }
  if (target.protocol !== 'https:' && target.protocol !== 'http:') return startPage
  if (target.username !== '' || target.password !== '') return startPage
  if (target.origin === base.origin) return target.href
  const allowed = allowedOrigins.map(originOf).filter((origin) => origin !== undefined)
  return allowed.includes(target.origin) ? target.href : startPage
}

/** The app's start page: its public URL with a trailing slash (the app may live under a path). */
export function startPageOf(publicUrl: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/`
}

function originOf(value: string): string | undefined {
  try {
    const origin = new URL(value).origin
    return origin === 'null' ? undefined : origin
  } catch {
    return undefined
  }
}
