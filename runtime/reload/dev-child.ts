/**
 * The contract between the `jit dev` supervisor and the app process it runs: an environment variable
 * that tells the child it is supervised, and the messages the child sends over the IPC channel.
 * Kept apart from supervisor.ts so that the app process never loads the supervisor's code.
 */
import { loadedCodeFiles, onCodeLoaded } from './loaded-code.ts'

/** Set to "1" in the environment of an app process run by the dev supervisor. */
export const SUPERVISED_ENV = 'JIT_DEV_SUPERVISED'

/** Set to "1" in the environment of a standby app process (see standby.ts). */
export const STANDBY_ENV = 'JIT_DEV_STANDBY'

/** One problem of the app: the element it makes unusable (if any) and the line `jit check` prints. */
export interface ReportedProblem {
  element?: string
  text: string
}

/** Sent once the child serves HTTP on `port` (loopback), with the app's problems at that moment. */
export interface ChildReadyMessage {
  type: 'jit:ready'
  port: number
  problems: ReportedProblem[]
  /**
   * The real paths of the source files the process imported so far (see loaded-code.ts); absent when
   * it cannot tell, and then every code edit restarts it.
   */
  codeFiles?: string[]
}

/** Sent after ready when the process imports more source files (a Type first used by a reload). */
export interface ChildCodeLoadedMessage {
  type: 'jit:code-loaded'
  files: string[]
}

/** Sent after each hot reload in the child, so that the supervisor compares code edits with the present. */
export interface ChildProblemsMessage {
  type: 'jit:problems'
  problems: ReportedProblem[]
}

export type ChildMessage = ChildReadyMessage | ChildProblemsMessage | ChildCodeLoadedMessage

/** Whether this process is an app process run by the dev supervisor. */
export function isSupervised(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[SUPERVISED_ENV] === '1' && typeof process.send === 'function'
}

/**
 * Tells the supervisor that this process serves HTTP on `port` (loopback), with the app's current
 * problems. It also makes the process stop when the supervisor is gone, so that no orphan keeps
 * running. A no-op when the process is not supervised.
 *
 * @example
 * await server.listen({ port: 0, host: '127.0.0.1' })
 * reportReadyToSupervisor({ port: (server.server.address() as AddressInfo).port, problems: app.problems })
 */
export function reportReadyToSupervisor(info: { port: number; problems: readonly ProblemLike[] }): void {
  if (!isSupervised()) return
  sendToSupervisor({
    type: 'jit:ready',
    port: info.port,
    problems: reportProblems(info.problems),
    codeFiles: loadedCodeFiles(),
  })
  reportCodeLoadedFromNowOn()
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'))
  // A listener refs the IPC channel, which would keep this process alive after its server and app have
  // closed on SIGTERM: the supervisor would then have to kill it, requests in flight and all.
  process.channel?.unref()
}

/** Sends the files imported after ready, a batch per turn of the event loop. */
function reportCodeLoadedFromNowOn(): void {
  let batch: string[] = []
  onCodeLoaded((file) => {
    if (batch.length === 0) {
      setImmediate(() => {
        sendToSupervisor({ type: 'jit:code-loaded', files: batch })
        batch = []
      })
    }
    batch.push(file)
  })
}

/** What the runtime's JitError offers; kept structural so that this file imports none of the runtime. */
interface ProblemLike {
  element?: string
  format(): string
}

export function reportProblems(problems: readonly ProblemLike[]): ReportedProblem[] {
  return problems.map((p) => ({ element: p.element, text: p.format() }))
}

/** Sends a message to the supervisor; a no-op without one. */
export function sendToSupervisor(message: ChildMessage): void {
  if (!isSupervised() || !process.connected) return
  process.send!(message)
}
