import { spawn } from 'node:child_process'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** `jit` processes for tests: one-shot commands, and servers on a free loopback port. */

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
const JIT_BIN = path.join(REPO_ROOT, 'bin', 'jit.mjs')

export interface Finished {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `jit <args>` to its end. */
export function runJit(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Finished> {
  return runNode([JIT_BIN, ...args], options)
}

/** Runs `node <args>` to its end. */
export function runNode(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: options.cwd ?? REPO_ROOT,
      env: options.env ?? process.env,
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo
      probe.close(() => resolve(port))
    })
  })
}

export interface JitServer {
  readonly url: string
  /** Everything printed so far. */
  output(): string
  /** Ends the process and its children (jit dev runs the app in a child of its own). */
  stop(): Promise<void>
}

/**
 * Starts `jit dev` or `jit start` on a port that was free a moment ago, and again on another one if
 * some other process took it in between. Resolves once it prints the URL it serves.
 */
export async function startJitServer(
  command: 'dev' | 'start',
  appDir: string,
  env: NodeJS.ProcessEnv,
): Promise<JitServer> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    const { HOST: _host, PUBLIC_URL: _publicUrl, ...rest } = env
    const child = spawn(process.execPath, [JIT_BIN, command, appDir], {
      cwd: REPO_ROOT,
      env: { ...rest, PORT: String(port) },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    const ready = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString()
        if (output.includes(`at ${url}`)) resolve()
      }
      child.stdout!.on('data', onData)
      child.stderr!.on('data', onData)
      child.once('exit', (code) => reject(new Error(`jit ${command} exited with ${code}:\n${output}`)))
    })
    const stop = async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      process.kill(-child.pid!, 'SIGTERM')
      await exited
    }
    try {
      await ready
      return { url, output: () => output, stop }
    } catch (error) {
      await stop()
      if (!output.includes('JIT_PORT_IN_USE') || attempt === 3) throw error
    }
  }
}
