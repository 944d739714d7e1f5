import { listenSandbox, type SandboxServer } from 'jitlite/sandbox'
import { wecomSandbox } from './plugin.ts'
import { WecomSandbox, type WecomSandboxOptions } from './state.ts'

export interface StartWecomSandboxOptions extends WecomSandboxOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number
  /** Interface to listen on (default 127.0.0.1). */
  host?: string
}

/** A sandbox listening on its own port: the programmatic control plus its URLs and `close()`. */
export class RunningWecomSandbox extends WecomSandbox {
  /** The base URL of all three WeCom hosts, e.g. `http://127.0.0.1:41234`. */
  url = ''
  /** What an Instance's `oauthBaseUrl` should be (same as `url`). */
  oauthBaseUrl = ''
  /** What an Instance's `loginBaseUrl` should be (same as `url`). */
  loginBaseUrl = ''
  /** What an Instance's `apiBaseUrl` should be (same as `url`). */
  apiBaseUrl = ''
  /** The admin API's base, `${url}/__admin`. */
  adminUrl = ''
  #server: SandboxServer | undefined

  /** The programmatic control (this object): `sandbox.admin.calls('gettoken')`. */
  get admin(): WecomSandbox {
    return this
  }

  /** @internal Called once by startWecomSandbox. */
  async listen(port: number, host: string): Promise<void> {
    this.#server = await listenSandbox((fastify) => fastify.register(wecomSandbox, { sandbox: this }), {
      port,
      host,
    })
    this.url = this.#server.url
    this.oauthBaseUrl = this.url
    this.loginBaseUrl = this.url
    this.apiBaseUrl = this.url
    this.adminUrl = `${this.url}/__admin`
  }

  /** Stops listening; calls held by a `hang` fault are cut. */
  async close(): Promise<void> {
    await this.#server?.close()
  }
}

/**
 * Starts a WeCom sandbox on its own port, for test suites and the `jit sandbox wecom` command.
 *
 * @example
 * const sandbox = await startWecomSandbox()
 * // point the Instance's oauthBaseUrl / loginBaseUrl / apiBaseUrl at sandbox.url, then:
 * sandbox.setFault('getuserinfo', { kind: 'errcode', errcode: 42001 })
 * expect(sandbox.calls('gettoken')).toHaveLength(1)
 * await sandbox.close()
 */
export async function startWecomSandbox(
  options: StartWecomSandboxOptions = {},
): Promise<RunningWecomSandbox> {
  const sandbox = new RunningWecomSandbox(options)
  await sandbox.listen(options.port ?? 0, options.host ?? '127.0.0.1')
  return sandbox
}
