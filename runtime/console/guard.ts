import { timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { JitError } from '../errors.ts'
import { isLoopback } from './bind.ts'

/** Where the dev server listens and is reached: what the console's requests are checked against. */
export interface ConsoleAddress {
  /** The URL browsers use (PUBLIC_URL, or the dev server's own address). */
  publicUrl: string
  /** The host and port `jit dev` binds (HOST and PORT). */
  bindHost: string
  bindPort: number
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]']

/**
 * The per-process checks of the console: requests must name the dev server's own host (a page on
 * another site that rebinds its DNS name to 127.0.0.1 sends its own name), and writes must also carry
 * the page's CSRF token and a same-origin `Origin` header.
 */
export class ConsoleGuard {
  readonly token: string
  private readonly address: ConsoleAddress
  private allowed?: { origins: Set<string>; hosts: Set<string> }

  /** `address` is read at the first request: a server on port 0 knows its port once it listens. */
  constructor(address: ConsoleAddress, token: string) {
    this.token = token
    this.address = address
  }

  private get origins(): Set<string> {
    return this.allowedNow().origins
  }

  private get hosts(): Set<string> {
    return this.allowedNow().hosts
  }

  private allowedNow() {
    if (this.allowed) return this.allowed
    const { publicUrl, bindHost, bindPort } = this.address
    const origins = new Set([new URL(publicUrl).origin])
    const names = isWildcard(bindHost) ? [...LOOPBACK_NAMES] : [hostInUrl(bindHost)]
    if (isLoopback(bindHost)) names.push(...LOOPBACK_NAMES)
    for (const name of names) origins.add(`http://${name}:${bindPort}`)
    this.allowed = { origins, hosts: new Set([...origins].map((origin) => new URL(origin).host)) }
    return this.allowed
  }

  /** The refusal of a request whose Host is not the dev server's, if it is not. */
  checkHost(request: FastifyRequest): JitError | undefined {
    const host = request.headers.host?.toLowerCase()
    if (host && this.hosts.has(host)) return undefined
    return new JitError(
      'JIT_CONSOLE_ORIGIN',
      "the request names another host than the dev server's: open the console at the URL jit dev prints, or set PUBLIC_URL to the address you use",
    )
  }

  /** The refusal of a write without the token or from another origin, if it is one. */
  checkWrite(request: FastifyRequest): JitError | undefined {
    const hostRefusal = this.checkHost(request)
    if (hostRefusal) return hostRefusal
    const origin = request.headers.origin
    if (typeof origin !== 'string' || !this.origins.has(origin.toLowerCase())) {
      return new JitError(
        'JIT_CONSOLE_ORIGIN',
        "the write comes from another origin than the dev server's (or names none): use the console page jit dev serves",
      )
    }
    const token = request.headers['x-jit-csrf']
    if (typeof token !== 'string' || !sameText(token, this.token)) {
      return new JitError(
        'JIT_CONSOLE_CSRF',
        "the write lacks the console page's CSRF token (header X-Jit-Csrf): reload the console page and try again",
      )
    }
    return undefined
  }
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]'
}

function hostInUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host.toLowerCase()
}

function sameText(given: string, expected: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}
