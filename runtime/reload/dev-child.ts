/**
 * The contract between the `jit dev` supervisor and the app process it runs: an environment variable
 * that tells the child it is supervised, and the messages the child sends over the IPC channel.
 * Kept apart from supervisor.ts so that the app process never loads the supervisor's code.
 */

/** Set to "1" in the environment of an app process run by the dev supervisor. */
export const SUPERVISED_ENV = 'JIT_DEV_SUPERVISED'

/** Sent once the child serves HTTP; `problems` are the app's problems as `jit check` prints them. */
export interface ChildReadyMessage {
  type: 'jit:ready'
  port: number
  problems: string[]
}

/** Sent after each hot reload in the child, so that the supervisor compares code edits with the present. */
export interface ChildProblemsMessage {
  type: 'jit:problems'
  problems: string[]
}

export type ChildMessage = ChildReadyMessage | ChildProblemsMessage

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
export function reportReadyToSupervisor(info: {
  port: number
  problems: ReadonlyArray<{ format(): string }>
}): void {
  if (!isSupervised()) return
  sendToSupervisor({ type: 'jit:ready', port: info.port, problems: info.problems.map((p) => p.format()) })
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'))
}

/** Sends a message to the supervisor; a no-op without one. */
export function sendToSupervisor(message: ChildMessage): void {
  if (!isSupervised() || !process.connected) return
  process.send!(message)
}
