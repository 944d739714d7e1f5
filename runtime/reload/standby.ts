import { createApp } from '../app.ts'
import { FRAMEWORK_ROOT } from '../elements/apps.ts'
import { silentLogger } from '../log.ts'
import { STANDBY_ENV } from './dev-child.ts'

/**
 * Most of an app process's start is spent importing code: the runtime and the framework's Types
 * (compiled on the fly). A code edit in the user's app changes neither, so the dev supervisor keeps one
 * process started ahead, with that code imported, and hands it the next restart: the restart then
 * costs the user's own code and a registry build, not a cold start.
 *
 * In a standby process this imports the framework app's code and then waits until the supervisor
 * needs the process; anywhere else it resolves at once. Call it first in the supervised app process,
 * before the app is created.
 *
 * @example
 * await awaitTurnIfStandby()
 * const app = await createApp({ appDir, watch: true })
 */
export async function awaitTurnIfStandby(): Promise<void> {
  if (process.env[STANDBY_ENV] !== '1' || typeof process.send !== 'function') return
  // Listen first: the supervisor may need this process before its preload is done.
  let resolveTurn!: () => void
  const turn = new Promise<void>((resolve) => {
    resolveTurn = resolve
  })
  const onMessage = (message: { type?: string }) => {
    if (message?.type !== 'jit:go') return
    process.off('message', onMessage)
    resolveTurn()
  }
  process.on('message', onMessage)
  const framework = await createApp({ appDir: FRAMEWORK_ROOT, env: {}, logger: silentLogger })
  await framework.close()
  await turn
}
