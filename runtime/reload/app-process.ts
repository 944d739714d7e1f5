import { type ChildProcess, spawn } from 'node:child_process'
import type { ChildMessage, ReportedProblem } from './dev-child.ts'
import { STANDBY_ENV, SUPERVISED_ENV } from './dev-child.ts'
import { isAmong } from './loaded-code.ts'

export interface AppProcessOptions {
  /** `node` arguments that start the app: it serves HTTP on PORT/HOST and reports ready over IPC. */
  args: readonly string[]
  env: NodeJS.ProcessEnv
  /** The URL browsers reach the app at (the supervisor's address), passed on as PUBLIC_URL. */
  publicUrl: string
  /** Where the child's stdout and stderr go: inherited by default, or handed to this callback. */
  output?: (text: string, stream: 'stdout' | 'stderr') => void
  /** Start as a standby: import the framework's code, then wait for `go()` (see standby.ts). */
  standby?: boolean
}

/**
 * One app process run by the dev supervisor: started, ready on a loopback port of its own, stopped.
 * It serves on port 0 of 127.0.0.1, so that a new process can start while the old one still serves.
 */
export class AppProcess {
  readonly child: ChildProcess
  readonly pid: number
  port = 0
  /** The app's problems, as the process last reported them. */
  problems: ReportedProblem[] = []
  /** Resolves with the exit code (or the signal's name) when the process has exited. */
  readonly exited: Promise<number | string>
  readyAt = 0
  private stopping = false
  /** Real paths of the source files the process imported, as it reported them; undefined: unknown. */
  private codeFiles: Set<string> | undefined

  private constructor(child: ChildProcess) {
    this.child = child
    this.pid = child.pid ?? 0
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 0)))
    child.on('message', (message: ChildMessage) => {
      if (message?.type === 'jit:problems') this.problems = message.problems
      if (message?.type === 'jit:code-loaded') for (const file of message.files) this.codeFiles?.add(file)
    })
  }

  /** Whether the process was asked to stop (its exit is then expected). */
  get stopRequested(): boolean {
    return this.stopping
  }

  /** Starts the app process; `whenReady()` tells when it serves. */
  static spawn(options: AppProcessOptions): AppProcess {
    const env: NodeJS.ProcessEnv = {
      ...options.env,
      [SUPERVISED_ENV]: '1',
      PORT: '0',
      HOST: '127.0.0.1',
      PUBLIC_URL: options.env.PUBLIC_URL ?? options.publicUrl,
    }
    if (options.standby) env[STANDBY_ENV] = '1'
    else delete env[STANDBY_ENV]
    const child = spawn(process.execPath, options.args, {
      env,
      stdio: ['inherit', options.output ? 'pipe' : 'inherit', options.output ? 'pipe' : 'inherit', 'ipc'],
    })
    if (options.output) {
      const output = options.output
      child.stdout?.setEncoding('utf8').on('data', (text: string) => output(text, 'stdout'))
      child.stderr?.setEncoding('utf8').on('data', (text: string) => output(text, 'stderr'))
    }
    return new AppProcess(child)
  }

  /**
   * Whether the process runs `file` as code, so that an edit to it needs a new process: true when it
   * imported the file, and whenever it did not say what it imported.
   */
  runsCode(file: string): boolean {
    return isAmong(this.codeFiles, file)
  }

  /** Whether the process has exited. */
  get hasExited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null
  }

  /** Lets a standby process go on to create the app and serve. */
  go(): void {
    if (this.child.connected) this.child.send({ type: 'jit:go' })
  }

  /**
   * SIGTERM (the app finishes requests in flight and closes), then SIGKILL after `timeoutMs`.
   * Resolves `true` when the process had to be killed.
   */
  async stop(timeoutMs: number): Promise<boolean> {
    this.stopping = true
    if (this.hasExited) return false
    this.child.kill('SIGTERM')
    let killed = false
    const timer = setTimeout(() => {
      killed = true
      this.child.kill('SIGKILL')
    }, timeoutMs)
    await this.exited
    clearTimeout(timer)
    return killed
  }

  /** Resolves once the app reports ready; rejects if it exits first or takes longer than `timeoutMs`. */
  whenReady(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`the app process did not report ready within ${timeoutMs} ms`))
      }, timeoutMs)
      const onMessage = (message: ChildMessage) => {
        if (message?.type !== 'jit:ready') return
        cleanup()
        this.port = message.port
        this.problems = message.problems
        if (message.codeFiles) this.codeFiles = new Set(message.codeFiles)
        this.readyAt = performance.now()
        resolve()
      }
      const onExit = (code: number | null, signal: string | null) => {
        cleanup()
        reject(new Error(`the app process exited (${code ?? signal}) before it was ready`))
      }
      const onError = (err: Error) => {
        cleanup()
        reject(new Error(`the app process could not be started: ${err.message}`))
      }
      const cleanup = () => {
        clearTimeout(timer)
        this.child.off('message', onMessage)
        this.child.off('exit', onExit)
        this.child.off('error', onError)
      }
      this.child.on('message', onMessage)
      this.child.once('exit', onExit)
      this.child.once('error', onError)
    })
  }
}
