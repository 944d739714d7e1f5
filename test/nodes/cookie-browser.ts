import { request } from 'undici'

export interface BrowserResponse {
  status: number
  location: string | undefined
  body: string
  /** The raw Set-Cookie lines of the answer. */
  setCookies: string[]
}

/**
 * A browser over loopback HTTP: one cookie jar (by name: every node behind the balancer is one site),
 * redirects not followed, so a test sees each hop and can send the next one to whichever node it wants.
 *
 * @example
 * const browser = new CookieBrowser()
 * const start = await browser.get(`${nodeA.url}${LOGIN_PATH}`) // 302 to the provider, login cookie kept
 */
export class CookieBrowser {
  readonly cookies = new Map<string, string>()

  async get(url: string, headers: Record<string, string> = {}): Promise<BrowserResponse> {
    return this.request('GET', url, undefined, headers)
  }

  async post(url: string, json?: unknown): Promise<BrowserResponse> {
    return this.request('POST', url, json)
  }

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }

  async request(
    method: 'GET' | 'POST',
    url: string,
    json?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<BrowserResponse> {
    const headers: Record<string, string> = { ...extraHeaders }
    const cookie = this.cookieHeader()
    if (cookie) headers.cookie = cookie
    if (json !== undefined) headers['content-type'] = 'application/json'
    const response = await request(url, {
      method,
      headers,
      body: json === undefined ? undefined : JSON.stringify(json),
    })
    const body = await response.body.text()
    const setCookies = [response.headers['set-cookie'] ?? []].flat()
    for (const line of setCookies) this.#store(line)
    const location = response.headers.location
    return {
      status: response.statusCode,
      location: Array.isArray(location) ? location[0] : location,
      body,
      setCookies,
    }
  }

  #store(line: string): void {
    const [pair, ...attributes] = line.split(';').map((part) => part.trim())
    const eq = pair.indexOf('=')
    const name = pair.slice(0, eq)
    const value = pair.slice(eq + 1)
    const expired = attributes.some((attribute) => {
      const [key, val = ''] = attribute.split('=')
      if (key.toLowerCase() === 'max-age') return Number(val) <= 0
      if (key.toLowerCase() === 'expires') return Date.parse(val) <= Date.now()
      return false
    })
    if (expired || value === '') this.cookies.delete(name)
    else this.cookies.set(name, value)
  }
}
