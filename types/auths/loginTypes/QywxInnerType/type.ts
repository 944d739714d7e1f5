/**
 * auths.loginTypes.QywxInnerType: WeCom (企业微信) self-built app login. An Instance loads to the login
 * family's LoginProvider; its children are the service `services.QywxInnerAuthSvc` and the model
 * `models.QywxInnerAuthModel`. Written as a third party would: it imports only `jitlite` and its
 * public entry points.
 */
import { defineType, JitError } from 'jitlite'
import type { HttpAction, RouteContext } from 'jitlite/http'
import loginMeta from 'jitlite/types/auths/loginTypes/Meta/type.ts'
import { AUTH_MODEL, qywxAuthFor } from './auth.ts'
import { isWecomUserAgent } from './browser/user-agent.ts'
import { type QywxInnerConfig, qywxInnerConfigSchema, resolveWecomHosts } from './config.ts'
import { fieldCipher } from './connection.ts'
import { QywxLoginProvider, type WecomEntry } from './provider.ts'
import { wecomSandboxDefinition } from './sandbox/definition.ts'
import { WECOM_SANDBOX_DEMO_APP } from './sandbox/demo.ts'

const metaRoutes = loginMeta.routes ?? {}

/**
 * Which entry a login starts at: `?entry=client|web` when the page says (the browser element knows its
 * User-Agent), else the request's User-Agent: WeCom's own browser gets the in-client OAuth, any other
 * the web login page (QR code, or one click when WeCom desktop runs).
 */
export function entryOf(ctx: Pick<RouteContext, 'request'>): WecomEntry {
  const asked = new URL(ctx.request.url, 'http://x').searchParams.get('entry')
  if (asked === 'client' || asked === 'web') return asked
  return isWecomUserAgent(ctx.request.headers['user-agent']) ? 'client' : 'web'
}

export default defineType<QywxInnerConfig, QywxLoginProvider>({
  config: qywxInnerConfigSchema,

  // At start, at every reload and in `jit check`: what would fail the first login fails here instead.
  async prepare({ config, element, app, resources, log, env, getElement }) {
    if (app.mode === 'production' && config.corpSecret === WECOM_SANDBOX_DEMO_APP.corpSecret) {
      throw new JitError(
        'JIT_CONFIG_INVALID',
        "is the WeCom sandbox's demo secret, which production never sends to WeCom: set WECOM_CORP_SECRET " +
          "to the self-built app's Secret (WeCom admin console > App Management > the app)",
        { file: element.configFile, field: 'corpSecret', element: element.fullName },
      )
    }
    resolveWecomHosts(config, env, element.fullName, element.configFile)
    await getElement(`${element.fullName}.${AUTH_MODEL}`).ready()
    if (app.mode !== 'production') return
    try {
      fieldCipher(resources, app, log, env)
    } catch (error) {
      if (!(error instanceof JitError)) throw error
      throw new JitError(
        error.code,
        error.reason,
        { file: error.file, element: element.fullName },
        { cause: error },
      )
    }
  },

  load(ctx) {
    const instance = ctx.element.fullName
    const auth = qywxAuthFor({
      instance,
      config: ctx.config,
      resources: ctx.resources,
      app: ctx.app,
      log: ctx.log,
      env: ctx.env,
      model: () => ctx.getElement(`${instance}.${AUTH_MODEL}`),
      database: () => ctx.getElement('databases.Default'),
    })
    return new QywxLoginProvider(auth, instance, ctx.log)
  },

  // The family's actions (login, callback, the desktop sign-in a phone scans), each seeing the provider
  // that starts logins at the entry this request's browser needs.
  routes: Object.fromEntries(
    Object.entries(metaRoutes).map(([name, action]): [string, HttpAction<QywxLoginProvider>] => [
      name,
      {
        method: action.method,
        handler: (ctx) =>
          action.handler(
            Object.create(ctx, {
              instance: { value: ctx.instance.withEntry(entryOf(ctx)), enumerable: true },
            }),
          ),
      },
    ]),
  ),

  sandbox: wecomSandboxDefinition,
})
