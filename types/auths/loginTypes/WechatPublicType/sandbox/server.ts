import { listenSandbox, type SandboxServer } from 'jitlite/sandbox'
import { wechatSandbox } from './plugin.ts'
import { WechatSandbox, type WechatSandboxOptions } from './state.ts'

export interface StartWechatSandboxOptions extends WechatSandboxOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number
  /** Interface to listen on (default 127.0.0.1). */
  host?: string
}

/** A sandbox listening on its own port: the programmatic control plus its URLs and `close()`. */
export class RunningWechatSandbox extends WechatSandbox {
  /** The base URL of both WeChat hosts, e.g. `http://127.0.0.1:41234`. */
  url = ''
  /** What an Instance's `oauthBaseUrl` should be (same as `url`). */
  oauthBaseUrl = ''
  /** What an Instance's `apiBaseUrl` should be (same as `url`). */
  apiBaseUrl = ''
  /** The admin API's base, `${url}/__admin`. */
  adminUrl = ''
  #server: SandboxServer | undefined

  /** @internal Called once by startWechatSandbox. */
  async listen(port: number, host: string): Promise<void> {
    this.#server = await listenSandbox((fastify) => fastify.register(wechatSandbox, { sandbox: this }), {
      port,
      host,
    })
    this.url = this.#server.url
    this.oauthBaseUrl = this.url
    this.apiBaseUrl = this.url
    this.adminUrl = `${this.url}/__admin`
  }

  /** Stops listening; calls held by a `hang` fault are cut. */
  async close(): Promise<void> {
    await this.#server?.close()
  }
}

/**
 * Starts a WeChat sandbox on its own port, for test suites and the `jit sandbox wechat` command.
 *
 * @example
 * const sandbox = await startWechatSandbox({ port: 0 })
 * // point the client at sandbox.oauthBaseUrl / sandbox.apiBaseUrl, then:
 * const redirect = sandbox.authorize({ appid, redirectUri, scope: 'snsapi_base', state: 's1' })
 * sandbox.setFault('access_token', { kind: 'hang' })
 * await sandbox.close()
 */
export async function startWechatSandbox(
  options: StartWechatSandboxOptions = {},
): Promise<RunningWechatSandbox> {
  const sandbox = new RunningWechatSandbox(options)
  await sandbox.listen(options.port ?? 0, options.host ?? '127.0.0.1')
  return sandbox
}
