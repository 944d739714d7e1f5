/**
 * The WeCom sandbox as the runtime sees it (the Type's `sandbox` member): `jit dev` mounts it under
 * `/__sandbox/wecom/` and points every Instance of the Type at it, unless the Instance (or the
 * environment) names WeCom's hosts; `jit sandbox wecom` runs it alone. The sandbox's code is imported
 * only when used, so `jit start` never loads it.
 *
 * @example
 * // QywxInnerType/type.ts
 * import { wecomSandboxDefinition } from './sandbox/definition.ts'
 * export default defineType({ ..., sandbox: wecomSandboxDefinition })
 */
import type { SandboxDefinition } from 'jitlite/http'
import { WECOM_SANDBOX_NAME, wecomSandboxInstanceConfig } from './demo.ts'

/** The environment variables that name WeCom's hosts for an Instance. */
export const WECOM_HOST_ENV = ['WECOM_OAUTH_BASE_URL', 'WECOM_LOGIN_BASE_URL', 'WECOM_API_BASE_URL'] as const

export const wecomSandboxDefinition: SandboxDefinition = {
  name: WECOM_SANDBOX_NAME,
  plugin: async (fastify, options) => {
    const { wecomSandbox } = await import('./plugin.ts')
    await fastify.register(wecomSandbox, { publicBaseUrl: options.publicBaseUrl })
  },
  instanceConfig(written, baseUrl, env) {
    return namesWecomHosts(written, env) ? undefined : wecomSandboxInstanceConfig(baseUrl)
  },
  runCli: async (args) => {
    const { runWecomSandboxCli } = await import('./cli.ts')
    return runWecomSandboxCli(args)
  },
}

/** Whether an Instance's written config or the environment says which WeCom hosts to use. */
export function namesWecomHosts(
  written: Readonly<Record<string, unknown>>,
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  const set = (value: unknown) => typeof value === 'string' && value.trim() !== ''
  return (
    set(written.oauthBaseUrl) ||
    set(written.loginBaseUrl) ||
    set(written.apiBaseUrl) ||
    WECOM_HOST_ENV.some((name) => set(env[name]))
  )
}
