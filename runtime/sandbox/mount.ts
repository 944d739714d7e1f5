import type { FastifyInstance, FastifyRequest } from 'fastify'
import { HungSockets } from './http-faults.ts'

/** What every route of a mounted sandbox needs besides the sandbox itself. */
export interface SandboxMount {
  /** The sockets `hang` faults hold; released when the fastify instance closes. */
  hung: HungSockets
  /**
   * The sandbox's public base URL for a request (in picture links, QR codes): the configured one
   * without trailing slashes, else the request's protocol and Host with the plugin's prefix.
   */
  publicBaseUrl: (request: FastifyRequest) => string
}

/**
 * Sets up a sandbox plugin's scope: hung sockets released before the server closes, and the public
 * base URL of the mount (`configured` is the plugin's `publicBaseUrl` option).
 *
 * @example
 * export const acmeSandbox: FastifyPluginAsync<{ publicBaseUrl?: string }> = async (fastify, options) => {
 *   const { hung, publicBaseUrl } = mountSandbox(fastify, options.publicBaseUrl)
 * }
 */
export function mountSandbox(fastify: FastifyInstance, configured: string | undefined): SandboxMount {
  const basePath = fastify.prefix
  const hung = new HungSockets()
  fastify.addHook('preClose', (done) => {
    hung.releaseAll()
    done()
  })
  const fixed = configured?.replace(/\/+$/, '')
  return {
    hung,
    publicBaseUrl: (request) => fixed ?? `${request.protocol}://${request.host}${basePath}`,
  }
}
