import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { ADMIN_ROUTES } from './admin.ts'
import { WECOM_SANDBOX_DEMO_APP } from './demo.ts'
import { WecomSandboxError } from './errors.ts'
import { DEFAULT_FIXTURES_PATH } from './fixtures.ts'
import { startWecomSandbox } from './server.ts'

const DEFAULT_PORT = 3101

const USAGE = `Usage: jit sandbox wecom [--port ${DEFAULT_PORT}] [--host 127.0.0.1] [--fixtures path/to/fixtures.json]

Runs the WeCom (企业微信) self-built app login sandbox until Ctrl+C. Point a login Instance's
oauthBaseUrl, loginBaseUrl and apiBaseUrl at the printed base URL.`

export interface SandboxCliIo {
  out: (line: string) => void
  err: (line: string) => void
  /** Resolves when the command should stop (default: SIGINT or SIGTERM). */
  untilStopped?: () => Promise<void>
}

function waitForSignal(): Promise<void> {
  return new Promise((resolveStop) => {
    const stop = () => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolveStop()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
}

/**
 * `jit sandbox wecom`: parses `--port`, `--host`, `--fixtures`, starts the sandbox, prints its base
 * URL and admin endpoints, and runs until SIGINT. Resolves to the exit code.
 *
 * @example
 * process.exitCode = await runWecomSandboxCli(['--port', '3100'])
 */
export async function runWecomSandboxCli(
  args: string[],
  io: SandboxCliIo = { out: console.log, err: console.error },
): Promise<number> {
  let values: { port?: string; host?: string; fixtures?: string; help?: boolean }
  try {
    values = parseArgs({
      args,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        fixtures: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${USAGE}`)
    return 2
  }
  if (values.help) {
    io.out(USAGE)
    return 0
  }
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    io.err(`--port must be a whole number from 0 to 65535 (got "${values.port}").\n\n${USAGE}`)
    return 2
  }
  const host = values.host ?? '127.0.0.1'

  let sandbox: Awaited<ReturnType<typeof startWecomSandbox>>
  try {
    sandbox = await startWecomSandbox({
      port,
      host,
      fixtures: values.fixtures === undefined ? undefined : resolve(values.fixtures),
    })
  } catch (error) {
    if (error instanceof WecomSandboxError) io.err(`${error.message} (${error.code})`)
    else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      io.err(`Port ${port} on ${host} is in use: pass another with --port (0 picks a free one).`)
    } else io.err(`The WeCom sandbox could not start: ${(error as Error).message}`)
    return 1
  }

  io.out(`WeCom sandbox listening on ${sandbox.url}`)
  io.out(`  oauthBaseUrl, loginBaseUrl and apiBaseUrl: ${sandbox.url}`)
  io.out(
    `  demo app: corpId ${WECOM_SANDBOX_DEMO_APP.corpId}, agentId ${WECOM_SANDBOX_DEMO_APP.agentId} ("${WECOM_SANDBOX_DEMO_APP.name}")`,
  )
  io.out(
    `  fixtures: ${values.fixtures ? resolve(values.fixtures) : decodeURIComponent(DEFAULT_FIXTURES_PATH.pathname)}`,
  )
  io.out('  admin API (JSON):')
  for (const [method, path, what] of ADMIN_ROUTES)
    io.out(`    ${method.padEnd(6)} ${sandbox.url}${path}  ${what}`)
  io.out('Press Ctrl+C to stop.')

  await (io.untilStopped ?? waitForSignal)()
  await sandbox.close()
  return 0
}
