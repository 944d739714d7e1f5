import { runSandboxCommand, type SandboxCliIo, type SandboxCommand } from 'jitlite/sandbox'
import { ADMIN_ROUTES } from './admin.ts'
import { WECOM_SANDBOX_DEMO_APP } from './demo.ts'
import { DEFAULT_FIXTURES_PATH } from './fixtures.ts'
import { type RunningWecomSandbox, startWecomSandbox } from './server.ts'

export type { SandboxCliIo }

/** `jit sandbox wecom`, as jitlite/sandbox's CLI runner runs it. */
const WECOM_SANDBOX_COMMAND: SandboxCommand<RunningWecomSandbox> = {
  name: 'wecom',
  provider: 'WeCom',
  defaultPort: 3101,
  about: `Runs the WeCom (企业微信) self-built app login sandbox until Ctrl+C. Point a login Instance's
oauthBaseUrl, loginBaseUrl and apiBaseUrl at the printed base URL.`,
  defaultFixtures: DEFAULT_FIXTURES_PATH,
  start: (options) => startWecomSandbox(options),
  banner: (sandbox) => [
    `oauthBaseUrl, loginBaseUrl and apiBaseUrl: ${sandbox.url}`,
    `demo app: corpId ${WECOM_SANDBOX_DEMO_APP.corpId}, agentId ${WECOM_SANDBOX_DEMO_APP.agentId} ("${WECOM_SANDBOX_DEMO_APP.name}")`,
  ],
  adminRoutes: ADMIN_ROUTES,
}

/**
 * `jit sandbox wecom`: parses `--port`, `--host`, `--fixtures`, starts the sandbox, prints its base
 * URL and admin endpoints, and runs until SIGINT. Resolves to the exit code.
 *
 * @example
 * process.exitCode = await runWecomSandboxCli(['--port', '3101'])
 */
export function runWecomSandboxCli(args: string[], io?: SandboxCliIo): Promise<number> {
  return runSandboxCommand(WECOM_SANDBOX_COMMAND, args, io)
}
