import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { SandboxError } from './errors.ts'

/** Where the CLI runner writes, and when it stops (tests pass their own). */
export interface SandboxCliIo {
  out: (line: string) => void
  err: (line: string) => void
  /** Resolves when the command should stop (default: SIGINT or SIGTERM). */
  untilStopped?: () => Promise<void>
}

/** What `runSandboxCommand` needs to know of one provider's sandbox. */
export interface SandboxCommand<Running extends { url: string; close(): Promise<void> }> {
  /** The `jit sandbox <name>` name, e.g. "wechat". */
  name: string
  /** The provider as messages name it: "WeChat" prints "WeChat sandbox listening on ...". */
  provider: string
  /** The port when `--port` is not given. */
  defaultPort: number
  /** The lines of the usage text after the usage line (what the sandbox is, where to point an Instance). */
  about: string
  /** The fixtures file used without `--fixtures`, as printed. */
  defaultFixtures: URL
  /** Starts the sandbox; `fixtures` is an absolute path when `--fixtures` was given. */
  start(options: { port: number; host: string; fixtures?: string }): Promise<Running>
  /** The lines printed after "listening on": which config fields to point at it, the demo app. */
  banner(sandbox: Running): string[]
  /** The admin routes, as [method, path, what] (printed under the base URL). */
  adminRoutes: readonly (readonly [string, string, string])[]
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
 * `jit sandbox <name>`: parses `--port`, `--host`, `--fixtures` (and `--help`), starts the sandbox,
 * prints its base URL, fixtures and admin endpoints, and runs until SIGINT or SIGTERM, then closes it.
 * Resolves to the exit code: 0, 1 when the sandbox cannot start, 2 on bad arguments (with the usage).
 *
 * @example
 * process.exitCode = await runSandboxCommand(acmeSandboxCommand, ['--port', '3100'])
 */
export async function runSandboxCommand<Running extends { url: string; close(): Promise<void> }>(
  command: SandboxCommand<Running>,
  args: string[],
  io: SandboxCliIo = { out: console.log, err: console.error },
): Promise<number> {
  const usage = `Usage: jit sandbox ${command.name} [--port ${command.defaultPort}] [--host 127.0.0.1] [--fixtures path/to/fixtures.json]\n\n${command.about}`
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
    io.err(`${(error as Error).message}\n\n${usage}`)
    return 2
  }
  if (values.help) {
    io.out(usage)
    return 0
  }
  const port = values.port === undefined ? command.defaultPort : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    io.err(`--port must be a whole number from 0 to 65535 (got "${values.port}").\n\n${usage}`)
    return 2
  }
  const host = values.host ?? '127.0.0.1'
  const fixtures = values.fixtures === undefined ? undefined : resolve(values.fixtures)

  let sandbox: Running
  try {
    sandbox = await command.start({ port, host, fixtures })
  } catch (error) {
    if (error instanceof SandboxError) io.err(`${error.message} (${error.code})`)
    else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      io.err(`Port ${port} on ${host} is in use: pass another with --port (0 picks a free one).`)
    } else io.err(`The ${command.provider} sandbox could not start: ${(error as Error).message}`)
    return 1
  }

  io.out(`${command.provider} sandbox listening on ${sandbox.url}`)
  for (const line of command.banner(sandbox)) io.out(`  ${line}`)
  io.out(`  fixtures: ${fixtures ?? decodeURIComponent(command.defaultFixtures.pathname)}`)
  io.out('  admin API (JSON):')
  for (const [method, path, what] of command.adminRoutes)
    io.out(`    ${method.padEnd(6)} ${sandbox.url}${path}  ${what}`)
  io.out('Press Ctrl+C to stop.')

  await (io.untilStopped ?? waitForSignal)()
  await sandbox.close()
  return 0
}
