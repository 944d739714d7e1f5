import { type ChildProcess, spawn } from 'node:child_process'
import { freePort } from './free-port.ts'

/** Child processes for tests: one run to its end, or a server on a free loopback port. */

export interface ProcessOptions {
  cwd?: string
  env?: NodeJS.ProcessEnv
}

export interface Finished {
  code: number | null
  stdout: string
  stderr: string
  /** stdout and stderr interleaved as they came. */
  output: string
  /** It was still running after `timeoutMs` and was killed. */
  timedOut: boolean
}

/** Runs `command` to its end; with `timeoutMs`, kills it (SIGKILL) if it is still running by then. */
export function runToEnd(
  command: string,
  args: string[],
  options: ProcessOptions & { timeoutMs?: number } = {},
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const finished: Finished = { code: null, stdout: '', stderr: '', output: '', timedOut: false }
    // Decoded as a whole stream, so that a character split across chunks stays whole.
    child.stdout.setEncoding('utf8')
    child.stderr.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      finished.stdout += chunk
      finished.output += chunk
    })
    child.stderr.on('data', (chunk: string) => {
      finished.stderr += chunk
      finished.output += chunk
    })
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            finished.timedOut = true
            child.kill('SIGKILL')
          }, options.timeoutMs)
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ ...finished, code })
    })
  })
}

/**
 * Spawns a server in a process group of its own, its output piped: npm runs a shell and `jit dev` runs
 * the app in a child, and `stopGroup` ends them all.
 */
export function spawnGroup(command: string, args: string[], options: ProcessOptions = {}): ChildProcess {
  return spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
}

/** Ends `child`'s process group (see spawnGroup) and waits for `child` to exit. */
export async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  try {
    process.kill(-child.pid!, 'SIGTERM')
  } catch {
    return
  }
  await exited
}

export class ExitedEarly extends Error {
  constructor(
    readonly code: number | null,
    readonly output: string,
  ) {
    super(`the server exited with ${code} before serving:\n${output}`)
  }
}

/** Resolves with everything printed once `ready` appears in it; rejects with ExitedEarly if the process ends first. */
export function waitForOutput(child: ChildProcess, ready: string | RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = ''
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (typeof ready === 'string' ? output.includes(ready) : ready.test(output)) resolve(output)
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', (code) => reject(new ExitedEarly(code, output)))
  })
}

export interface Served {
  readonly url: string
  /** What it printed up to serving. */
  readonly output: string
  /** Ends the server and its children. */
  stop(): Promise<void>
}

/**
 * Starts a server with `start(port)` (a spawnGroup) on a port that was free a moment ago, and again on
 * another one if some other process took it in between (it then stops with JIT_PORT_IN_USE). Resolves
 * once it prints `ready(url)`, by default `at <url>`.
 */
export async function startOnFreePort(
  start: (port: number) => ChildProcess,
  ready: (url: string) => string | RegExp = (url) => `at ${url}`,
): Promise<Served> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    const child = start(port)
    try {
      const output = await waitForOutput(child, ready(url))
      return { url, output, stop: () => stopGroup(child) }
    } catch (error) {
      await stopGroup(child)
      const portTaken = error instanceof ExitedEarly && error.output.includes('JIT_PORT_IN_USE')
      if (!portTaken || attempt === 3) throw error
    }
  }
}
