/**
 * auths.loginTypes.WechatPublicType: WeChat Official Account login (OAuth2 web authorization).
 * An Instance loads to the login family's LoginProvider; its children are the service
 * `services.WechatPublicAuthSvc` and the model `models.WechatPublicAuthModel`.
 */
import { defineType, JitError } from 'jitlite'
import type { LoginProvider } from 'jitlite/auth'
import { AUTH_MODEL, wechatAuthFor } from './auth.ts'
import { resolveWechatHosts, type WechatPublicConfig, wechatPublicConfigSchema } from './config.ts'
import { fieldCipher } from './connection.ts'
import { wechatCheck, wechatHelp } from './console.ts'
import { WechatLoginProvider } from './provider.ts'
import { WECHAT_SANDBOX_DEMO_APP } from './sandbox/demo.ts'
import { wechatSandboxDefinition } from './sandbox-definition.ts'

export default defineType<WechatPublicConfig, LoginProvider>({
  config: wechatPublicConfigSchema,

  // At start, at every reload and in `jit check`: what would fail the first login fails here instead.
  async prepare({ config, element, app, resources, log, env, getElement, dryRun }) {
    if (app.mode === 'production' && config.appSecret === WECHAT_SANDBOX_DEMO_APP.appSecret) {
      throw new JitError(
        'JIT_CONFIG_INVALID',
        "is the WeChat sandbox's demo secret, which production never sends to WeChat: set WECHAT_APP_SECRET " +
          "to the Official Account's AppSecret (mp.weixin.qq.com > Settings and Development > Basic Configuration)",
        {
          file: element.configFile,
          field: 'appSecret',
          element: element.fullName,
        },
      )
    }
    resolveWechatHosts(config, env, element.fullName, element.configFile)
    // The users' table: a change that would lose rows fails here, and so does an unusable database
    // under `jit check`. A serving node whose database is down as it starts (a PostgreSQL server) starts
    // anyway: logins answer 503 until it is back, and the table is brought in line at the first one.
    try {
      await getElement(`${element.fullName}.${AUTH_MODEL}`).ready()
    } catch (error) {
      if (dryRun || !(error instanceof JitError) || error.code !== 'JIT_DB_UNAVAILABLE') throw error
      log.warn(`${element.fullName}: ${error.reason} Logins answer 503 until it is back.`)
    }
    // Production needs JIT_SECRET_KEY before the first login; development creates a key file on first
    // use, so that `jit check` leaves no file behind.
    if (app.mode !== 'production') return
    try {
      fieldCipher(resources, app, log, env)
    } catch (error) {
      // The keyring is the app's, but the Instance is what cannot work without it: report it there.
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
    const auth = wechatAuthFor({
      instance,
      config: ctx.config,
      resources: ctx.resources,
      app: ctx.app,
      log: ctx.log,
      metrics: ctx.metrics,
      env: ctx.env,
      model: () => ctx.getElement(`${instance}.${AUTH_MODEL}`),
    })
    return new WechatLoginProvider(auth, instance, ctx.log)
  },

  sandbox: wechatSandboxDefinition,

  // The development console: what to enter in WeChat's backend, and "Test connection".
  help: wechatHelp,
  check: wechatCheck,
})
