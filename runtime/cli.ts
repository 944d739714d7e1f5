import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createApp, type ElementListing, type JitApp } from './app.ts'
import { consoleLogger, silentLogger } from './log.ts'
import { ownValue } from './own.ts'

const USAGE = `Usage: jit <command> [options]

  dev [appDir]              serve the app for development: hot reload, provider sandboxes mounted
  start [appDir]            serve the app for production: real provider hosts, no sandbox
  check [appDir]            validate every element; print each problem; exit 1 if any
  elements [appDir]         print the element tree with layer, type and source app
  new <Type> <Name> [appDir] [--set key=value ...] [--title T]
                            create an Instance of a Type (validated by its schema; secrets as \${NAME})
  run <script.ts> [appDir]  run a script with \`app\` in scope, as JitAi scripts use app.getElement(...)

  sandbox <name> [--port N] [--host H]
                            run a Type's provider sandbox alone (for example: jit sandbox wechat)

jit dev serves a development console at /__jit/ (create, edit and check elements from a form).
jit dev, jit check and jit new read the app's .env for variables the environment does not set.

Environment: PORT (default 3000), HOST (default 127.0.0.1), PUBLIC_URL, JIT_SECRET_KEY; LOG_LEVEL,
LOG_FORMAT, METRICS_PORT, METRICS_TOKEN, TRUST_PROXY, RATE_LIMIT_*, LIVE_STATES_PER_*,
LIVE_TICKETS_PER_ADDRESS (README: Running in production).`

type Command = (args: string[]) => Promise<number>

const commands: Record<string, Command> = {
  check: checkCommand,
  elements: elementsCommand,
  new: newCommand,
  run: runCommand,
  dev: devCommand,
  start: (args) => serveCommand('production', args),
  sandbox: sandboxCommand,
}

/** Entry point of the `jit` command; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE)
    return name ? 0 : 1
  }
  const command = ownValue(commands, name)
  if (!command) {
    console.error(`jit: unknown command "${name}"\n\n${USAGE}`)
    return 1
  }
  try {
    return await command(args)
  } catch (err) {
    // A JitError's message is the line `jit check` prints: place, field, reason and code.
    console.error(`jit ${name}: ${(err as Error).message}`)
    return 1
  }
}

async function checkCommand(args: string[]): Promise<number> {
  const appDir = args[0] ?? 'app'
  const { loadAppEnvFile } = await import('./console/env-file.ts')
  loadAppEnvFile(appDir)
  // A dry run: checking an app creates no database file and changes no table.
  const app = await createApp({ appDir, logger: silentLogger, importEveryType: true, dryRun: true })
  try {
    const problems = app.problems
    for (const problem of problems) console.log(problem.message)
    const count = app.listElements().length
    if (problems.length > 0) {
      console.log(`\n${problems.length} problem${problems.length === 1 ? '' : 's'} in ${count} elements`)
      return 1
    }
    console.log(`${count} elements, no problems`)
    return 0
  } finally {
    await app.close()
  }
}

async function elementsCommand(args: string[]): Promise<number> {
  const appDir = args[0] ?? 'app'
  const app = await createApp({ appDir, logger: silentLogger })
  try {
    console.log(formatTree(app.listElements()))
    return 0
  } finally {
    await app.close()
  }
}

/** The element listing as an indented tree: one line per folder, element lines with their columns. */
export function formatTree(listing: ElementListing[]): string {
  const rows: Array<[string, string, string, string]> = []
  const printed = new Set<string>()
  const byName = new Map(listing.map((e) => [e.fullName, e]))
  for (const element of listing) {
    const segments = element.fullName.split('.')
    for (let depth = 0; depth < segments.length; depth++) {
      const prefix = segments.slice(0, depth + 1).join('.')
      if (printed.has(prefix)) continue
      printed.add(prefix)
      const label = `${'  '.repeat(depth)}${segments[depth]}`
      const here = byName.get(prefix)
      if (!here) {
        rows.push([label, '', '', ''])
        continue
      }
      const type = here.layer === 'Meta' ? '(meta)' : here.type
      const source = here.overrides ? `${here.app} (overrides ${here.overrides})` : here.app
      const status = here.problem ? `  ${here.problem.code}` : ''
      rows.push([label, here.layer, type, `${source}${status}`])
    }
  }
  const width = (i: number) => Math.max(...rows.map((r) => r[i].length))
  const [w0, w1, w2] = [width(0), width(1), width(2)]
  return rows
    .map((r) =>
      (r[1] ? `${r[0].padEnd(w0)}  ${r[1].padEnd(w1)}  ${r[2].padEnd(w2)}  ${r[3]}` : r[0]).trimEnd(),
    )
    .join('\n')
}

async function newCommand(args: string[]): Promise<number> {
  const { newCommand: run } = await import('./console/new-command.ts')
  return run(args)
}

async function runCommand(args: string[]): Promise<number> {
  const [script, appDir = 'app'] = args
  if (!script) {
    console.error('jit run: name the script to run, for example: jit run scripts/login.ts app')
    return 1
  }
  const app = await createApp({ appDir, logger: consoleLogger })
  const scope = globalThis as { app?: JitApp }
  scope.app = app
  try {
    await import(pathToFileURL(path.resolve(script)).href)
    return 0
  } finally {
    await app.close()
    delete scope.app
  }
}

/**
 * `jit dev`: the app runs in a child process under a supervisor that restarts it (beside the running
 * one, switching when the new one is ready) when code changes; JSON edits reload inside the child.
 */
async function devCommand(args: string[]): Promise<number> {
  const { isSupervised } = await import('./reload/dev-child.ts')
  if (isSupervised()) return serveCommand('development', args)
  const appDir = args[0] ?? 'app'
  const { superviseDev } = await import('./reload/supervisor.ts')
  const jitBin = fileURLToPath(new URL('../bin/jit.mjs', import.meta.url))
  const dev = await superviseDev({ appDir, childArgs: [jitBin, 'dev', appDir] })
  await dev.closed
  return 0
}

async function serveCommand(mode: 'development' | 'production', args: string[]): Promise<number> {
  const { serve } = await import('./http/serve.ts')
  return serve({ mode, appDir: args[0] ?? 'app' })
}

async function sandboxCommand(args: string[]): Promise<number> {
  const { runSandbox } = await import('./http/sandboxes.ts')
  return runSandbox(args)
}
