import Fastify, { type FastifyInstance } from 'fastify'

/** A sandbox's own HTTP server: its base URL once listening, and `close()`. */
export interface SandboxServer {
  /** The base URL, e.g. `http://127.0.0.1:41234` (an IPv6 host in brackets). */
  readonly url: string
  /** Stops listening; open connections (calls held by a `hang` fault) are cut. */
  close(): Promise<void>
}

/**
 * Serves a sandbox plugin on its own port, for test suites and `jit sandbox <name>`.
 *
 * @example
 * const server = await listenSandbox((fastify) => fastify.register(acmeSandbox, { sandbox }), { port: 0 })
 * console.log(server.url) // http://127.0.0.1:41234
 */
export async function listenSandbox(
  register: (fastify: FastifyInstance) => Promise<unknown> | PromiseLike<unknown>,
  options: { port?: number; host?: string } = {},
): Promise<SandboxServer> {
  const port = options.port ?? 0
  const host = options.host ?? '127.0.0.1'
  // forceCloseConnections: close() must not wait for keep-alive or hung connections.
  const server = Fastify({ logger: false, forceCloseConnections: true })
  try {
    await register(server)
    await server.listen({ port, host })
  } catch (error) {
    await server.close()
    throw error
  }
  const address = server.server.address()
  const boundPort = typeof address === 'object' && address ? address.port : port
  const hostInUrl = host.includes(':') ? `[${host}]` : host
  return { url: `http://${hostInUrl}:${boundPort}`, close: () => server.close() }
}
