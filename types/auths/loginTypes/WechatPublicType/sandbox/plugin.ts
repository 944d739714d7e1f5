import type { FastifyPluginAsync } from 'fastify'
import { mountSandbox, parseFormBodies } from 'jitlite/sandbox'
import { registerAdminRoutes } from './admin.ts'
import { registerApiRoutes } from './api.ts'
import { registerAuthorizeRoutes } from './authorize.ts'
import { registerAvatarRoutes } from './avatars.ts'
import { registerStableTokenRoute } from './stable-token.ts'
import { WechatSandbox, type WechatSandboxOptions } from './state.ts'

export interface WechatSandboxPluginOptions extends WechatSandboxOptions {
  /** The sandbox to serve (share it to control it in-process); created from the other options if absent. */
  sandbox?: WechatSandbox
  /**
   * The public base URL of the mount (`https://dev.example.com/__sandbox/wechat`), used in headimgurl.
   * Default: derived per request from the protocol, Host and prefix.
   */
  publicBaseUrl?: string
}

const FORM_BODY_LIMIT_BYTES = 16 * 1024

/**
 * The WeChat sandbox as a fastify plugin: both WeChat hosts (authorize page and /sns API), avatars
 * and the admin API under whatever prefix it is registered with.
 *
 * @example
 * const sandbox = new WechatSandbox()
 * await app.register(wechatSandbox, { prefix: '/__sandbox/wechat', sandbox })
 * // an Instance then uses oauthBaseUrl = apiBaseUrl = 'http://127.0.0.1:3000/__sandbox/wechat'
 */
export const wechatSandbox: FastifyPluginAsync<WechatSandboxPluginOptions> = async (fastify, options) => {
  const sandbox = options.sandbox ?? new WechatSandbox(options)
  const basePath = fastify.prefix
  const { hung, publicBaseUrl } = mountSandbox(fastify, options.publicBaseUrl)

  // The consent sheet posts a form. Parsed here, in the plugin's own scope, unless the host app already
  // parses forms.
  parseFormBodies(fastify, FORM_BODY_LIMIT_BYTES)

  const context = { sandbox, hung, publicBaseUrl }
  registerAuthorizeRoutes(fastify, context, basePath)
  registerApiRoutes(fastify, context)
  registerStableTokenRoute(fastify, context)
  registerAvatarRoutes(fastify, sandbox)
  await registerAdminRoutes(fastify, sandbox)
}
