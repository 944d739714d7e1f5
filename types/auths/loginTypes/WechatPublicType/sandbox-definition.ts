/**
 * The WeChat sandbox as the runtime sees it: `jit dev` mounts it under `/__sandbox/wechat/` and points
 * every Instance of this Type at it, unless the Instance (or the environment) names WeChat's hosts;
 * `jit sandbox wechat` runs it alone. The sandbox's code is imported only when it is used, so that
 * `jit start` never loads it.
 */
import type { SandboxDefinition } from 'jitlite/http'
import { WECHAT_SANDBOX_NAME, wechatSandboxInstanceConfig } from './sandbox/demo.ts'

export const wechatSandboxDefinition: SandboxDefinition = {
  name: WECHAT_SANDBOX_NAME,
  plugin: async (fastify, options) => {
    const { wechatSandbox } = await import('./sandbox/plugin.ts')
    await fastify.register(wechatSandbox, { publicBaseUrl: options.publicBaseUrl })
  },
  instanceConfig(written, baseUrl, env) {
    return namesWechatHosts(written, env) ? undefined : wechatSandboxInstanceConfig(baseUrl)
  },
  runCli: async (args) => {
    const { runSandboxCli } = await import('./sandbox/cli.ts')
    return runSandboxCli(args)
  },
}

/** Whether an Instance's written config or the environment says which WeChat hosts to use. */
export function namesWechatHosts(
  written: Readonly<Record<string, unknown>>,
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  const set = (value: unknown) => typeof value === 'string' && value.trim() !== ''
  return (
    set(written.oauthBaseUrl) ||
    set(written.apiBaseUrl) ||
    set(env.WECHAT_OAUTH_BASE_URL) ||
    set(env.WECHAT_API_BASE_URL)
  )
}
