import type { AddressInfo } from 'node:net'
import { createApp } from '../app.ts'
import { portInUse } from '../errors.ts'
import { consoleLogger } from '../log.ts'
import { reportReadyToSupervisor } from '../reload/dev-child.ts'
import { awaitTurnIfStandby } from '../reload/standby.ts'
import { sandboxOverrides } from './sandboxes.ts'
import { buildServer } from './server.ts'

export interface ServeOptions {
  mode: 'development' | 'production'
  appDir: string
  env?: NodeJS.ProcessEnv
}

/**
 * `jit dev` and `jit start`: loads the app, serves it on HOST:PORT, and shuts down gracefully on
 * SIGINT/SIGTERM (requests in flight finish, then elements are disposed and the database closed).
 * In development the app is watched and provider sandboxes are mounted.
 */
export async function serve(options: ServeOptions): Promise<number> {
  const env = options.env ?? process.env
  const port = Number(env.PORT ?? 3000)
  const host = env.HOST ?? '127.0.0.1'
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host
  const publicUrl = (env.PUBLIC_URL ?? `http://${shownHost}:${port}`).replace(/\/+$/, '')
  const development = options.mode === 'development'
  const log = consoleLogger

  // Under `jit dev`'s supervisor, a standby process waits here with the framework's code imported.
  if (development) await awaitTurnIfStandby()
  const app = await createApp({
    appDir: options.appDir,
    mode: options.mode,
    watch: development,
    publicUrl,
    logger: log,
    configOverrides: development ? sandboxOverrides(publicUrl) : undefined,
  })
  const server = await buildServer(app, { log, sandboxes: development })
  try {
    await server.listen({ port, host })
  } catch (err) {
    await app.close()
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw portInUse(host, port, err)
    throw err
  }
  reportReadyToSupervisor({ port: (server.server.address() as AddressInfo).port, problems: app.problems })
  log.info(`${app.info.title} (${options.mode}) at ${publicUrl}`)
  if (development) log.info(`WeChat and other provider sandboxes under ${publicUrl}/__sandbox/`)

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info(`${signal}: finishing requests in flight, then closing`)
      process.once(signal, () => process.exit(130))
      resolve()
    }
    process.once('SIGINT', () => stop('SIGINT'))
    process.once('SIGTERM', () => stop('SIGTERM'))
  })
  await server.close()
  await app.close()
  log.info('stopped')
  return 0
}
