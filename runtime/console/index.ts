import type { FastifyInstance } from 'fastify'
import type { ConfigOverride, JitApp } from '../app.ts'
import type { Logger } from '../log.ts'
import { CONSOLE_TOKEN_ENV, newConsoleToken } from './bind.ts'
import { TreeEvents } from './events.ts'
import { type ConsoleAddress, ConsoleGuard } from './guard.ts'
import { registerConsolePage } from './page.ts'
import { registerConsoleApi, sendError } from './routes.ts'

export interface ConsoleOptions {
  address: ConsoleAddress
  /** The CSRF token; default: the supervisor's, else a fresh random one. */
  token?: string
  env?: NodeJS.ProcessEnv
  configOverrides?: ConfigOverride
  log?: Logger
  /** The page's files (tests). */
  uiDir?: string
}

/**
 * Mounts the development console under `/__jit/` (`jit dev` only): the page, its JSON API and its
 * event stream, behind the Host, Origin and CSRF checks.
 */
export async function registerConsole(
  fastify: FastifyInstance,
  app: JitApp,
  options: ConsoleOptions,
): Promise<void> {
  const env = options.env ?? process.env
  const token = options.token ?? env[CONSOLE_TOKEN_ENV] ?? newConsoleToken()
  const guard = new ConsoleGuard(options.address, token)
  const events = new TreeEvents(app)
  const workspace = { app, appDir: app.appDir, env, configOverrides: options.configOverrides }
  fastify.addHook('preClose', (done) => {
    events.close()
    done()
  })
  await fastify.register(async (scope) => {
    scope.addHook('onRequest', (request, reply, done) => {
      const write = request.method !== 'GET' && request.method !== 'HEAD'
      const refusal = write ? guard.checkWrite(request) : guard.checkHost(request)
      if (refusal) {
        sendError(reply, refusal)
        return
      }
      done()
    })
    registerConsolePage(scope, { token, uiDir: options.uiDir })
    registerConsoleApi(scope, workspace, { events, address: options.address, log: options.log })
  })
}
