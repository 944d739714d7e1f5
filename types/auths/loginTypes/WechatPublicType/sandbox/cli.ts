import { runSandboxCommand, type SandboxCliIo, type SandboxCommand } from 'jitlite/sandbox'
import { ADMIN_ROUTES } from './admin.ts'
import { WECHAT_SANDBOX_DEMO_APP } from './demo.ts'
import { DEFAULT_FIXTURES_PATH } from './fixtures.ts'
import { type RunningWechatSandbox, startWechatSandbox } from './server.ts'

export type { SandboxCliIo }

/** `jit sandbox wechat`, as jitlite/sandbox's CLI runner runs it. */
const WECHAT_SANDBOX_COMMAND: SandboxCommand<RunningWechatSandbox> = {
  name: 'wechat',
  provider: 'WeChat',
  defaultPort: 3100,
  about: `Runs the WeChat Official Account OAuth sandbox until Ctrl+C. Point a login Instance's
oauthBaseUrl and apiBaseUrl at the printed base URL.`,
  defaultFixtures: DEFAULT_FIXTURES_PATH,
  start: (options) => startWechatSandbox(options),
  banner: (sandbox) => [
    `oauthBaseUrl and apiBaseUrl: ${sandbox.url}`,
    `demo account: appid ${WECHAT_SANDBOX_DEMO_APP.appId} ("${WECHAT_SANDBOX_DEMO_APP.name}")`,
  ],
  adminRoutes: ADMIN_ROUTES,
}

/**
 * `jit sandbox wechat`: parses `--port`, `--host`, `--fixtures`, starts the sandbox, prints its base
 * URL and admin endpoints, and runs until SIGINT. Resolves to the exit code.
 *
 * @example
 * process.exitCode = await runSandboxCli(['--port', '3100'])
 */
export function runSandboxCli(args: string[], io?: SandboxCliIo): Promise<number> {
  return runSandboxCommand(WECHAT_SANDBOX_COMMAND, args, io)
}
