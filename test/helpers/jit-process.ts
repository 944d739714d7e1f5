import path from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  type Finished,
  type ProcessOptions,
  runToEnd,
  type Served,
  spawnGroup,
  startOnFreePort,
} from './processes.ts'

/** `jit` processes for tests: one-shot commands, and servers on a free loopback port. */

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
const JIT_BIN = path.join(REPO_ROOT, 'bin', 'jit.mjs')

export type { Finished }

/** Runs `jit <args>` to its end, in the repository unless `cwd` says otherwise. */
export function runJit(args: string[], options: ProcessOptions = {}): Promise<Finished> {
  return runNode([JIT_BIN, ...args], options)
}

/** Runs `node <args>` to its end, in the repository unless `cwd` says otherwise. */
export function runNode(args: string[], options: ProcessOptions = {}): Promise<Finished> {
  return runToEnd(process.execPath, args, { ...options, cwd: options.cwd ?? REPO_ROOT })
}

export type JitServer = Served

/**
 * Starts `jit dev` or `jit start` on a port that was free a moment ago, and again on another one if
 * some other process took it in between. Resolves once it prints the URL it serves.
 */
export function startJitServer(
  command: 'dev' | 'start',
  appDir: string,
  env: NodeJS.ProcessEnv,
): Promise<JitServer> {
  const { HOST: _host, PUBLIC_URL: _publicUrl, ...rest } = env
  return startOnFreePort((port) =>
    spawnGroup(process.execPath, [JIT_BIN, command, appDir], {
      cwd: REPO_ROOT,
      env: { ...rest, PORT: String(port) },
    }),
  )
}
