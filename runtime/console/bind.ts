import { randomBytes } from 'node:crypto'

/**
 * What the `jit dev` supervisor tells its app processes about the address browsers use (the app
 * process itself serves on a loopback port of its own), and what it prints about the console.
 * Imports nothing of the runtime, so that the supervisor loads none of the console.
 */
export const BIND_HOST_ENV = 'JIT_DEV_BIND_HOST'
export const BIND_PORT_ENV = 'JIT_DEV_BIND_PORT'
/** The CSRF token every app process of one `jit dev` shares, so that a restart keeps the page working. */
export const CONSOLE_TOKEN_ENV = 'JIT_DEV_CONSOLE_TOKEN'

/** The lines `jit dev` prints about its console: where it is, and a warning when others can reach it. */
export function consoleBanner(publicUrl: string, bindHost: string): { info: string; warning?: string } {
  const info = `development console at ${publicUrl.replace(/\/+$/, '')}/__jit/`
  if (isLoopback(bindHost)) return { info }
  return {
    info,
    warning: `HOST is ${bindHost}: the development console (which writes your app's files) is reachable from other computers on this network; use HOST=127.0.0.1 unless you need that`,
  }
}

/** Whether a bind host only listens on this computer. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase()
  return bare === 'localhost' || bare === '::1' || /^127\.\d+\.\d+\.\d+$/.test(bare)
}

/** A console CSRF token: 256 random bits. */
export function newConsoleToken(): string {
  return randomBytes(32).toString('base64url')
}
