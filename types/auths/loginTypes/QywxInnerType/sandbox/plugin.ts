import type { FastifyPluginAsync } from 'fastify'
import { mountSandbox, parseFormBodies } from 'jitlite/sandbox'
import { registerAdminRoutes } from './admin.ts'
import { registerApiRoutes } from './api.ts'
import { registerLoginRoutes } from './login-routes.ts'
import { registerPictureRoutes } from './pictures.ts'
import { WecomSandbox, type WecomSandboxOptions } from './state.ts'

export interface WecomSandboxPluginOptions extends WecomSandboxOptions {
  /** The sandbox to serve (share it to control it in-process); created from the other options if absent. */
  sandbox?: WecomSandbox
  /**
   * The public base URL of the mount (`https://dev.example.com/__sandbox/wecom`), used in picture links
   * and the web login's QR code. Default: derived per request from the protocol, Host and prefix.
   */
  publicBaseUrl?: string
}

const BODY_LIMIT_BYTES = 16 * 1024

/**
 * The WeCom sandbox as a fastify plugin: the three WeCom hosts (in-client OAuth, web login, API),
 * pictures and the admin API under whatever prefix it is registered with.
 *
 * @example
 * const sandbox = new WecomSandbox()
 * await app.register(wecomSandbox, { prefix: '/__sandbox/wecom', sandbox })
 * // an Instance then uses oauthBaseUrl = loginBaseUrl = apiBaseUrl = 'http://127.0.0.1:3000/__sandbox/wecom'
 */
export const wecomSandbox: FastifyPluginAsync<WecomSandboxPluginOptions> = async (fastify, options) => {
  const sandbox = options.sandbox ?? new WecomSandbox(options)
  const basePath = fastify.prefix
  const { hung, publicBaseUrl } = mountSandbox(fastify, options.publicBaseUrl)
  const context = { sandbox, hung, publicBaseUrl }

  // The API reads POST bodies itself (WeCom answers 47001 to malformed JSON, not HTTP 400).
  await fastify.register(async (api) => {
    api.removeAllContentTypeParsers()
    api.addContentTypeParser(
      '*',
      { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES },
      (_request, body, done) => done(null, body),
    )
    registerApiRoutes(api, context)
  })
  // The login pages post forms; parsed in their own scope whatever the host app does with forms.
  await fastify.register(async (pages) => {
    parseFormBodies(pages, BODY_LIMIT_BYTES)
    registerLoginRoutes(pages, context, basePath)
    registerPictureRoutes(pages, sandbox)
  })
  await registerAdminRoutes(fastify, sandbox)
}
