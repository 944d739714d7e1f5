import type { AddressInfo } from 'node:net'
import { createApp } from '../app.ts'
import { BIND_HOST_ENV, BIND_PORT_ENV, consoleBanner } from '../console/bind.ts'
import { loadAppEnvFile } from '../console/env-file.ts'
import type { ConsoleAddress } from '../console/guard.ts'
import { portInUse } from '../errors.ts'
import { consoleLogger } from '../log.ts'
import { isSupervised, reportReadyToSupervisor } from '../reload/dev-child.ts'
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
  // Development reads the app's .env (what the console stores secrets in); the real environment wins.
  if (development) loadAppEnvFile(options.appDir, env)
  const configOverrides = development ? sandboxOverrides(publicUrl) : undefined
  const app = await createApp({
    appDir: options.appDir,
    mode: options.mode,
    watch: development,
    env,
    publicUrl,
    logger: log,
    configOverrides,
  })
  // Under the supervisor this process serves a loopback port of its own; browsers use the supervisor's.
  const address: ConsoleAddress = {
    publicUrl,
    bindHost: env[BIND_HOST_ENV] ?? host,
    bindPort: Number(env[BIND_PORT_ENV] ?? port),
  }
  const server = await buildServer(app, {
    log,
    sandboxes: development,
    console: development ? { address, env, configOverrides, log } : undefined,
  })
  try {
    await server.listen({ port, host })
  } catch (err) {
    await app.close()
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw portInUse(host, port, err)
    throw err
  }
  const listening = (server.server.address() as AddressInfo).port
  if (address.bindPort === 0) address.bindPort = listening
  reportReadyToSupervisor({ port: listening, problems: app.problems })
  log.info(`${app.info.title} (${options.mode}) at ${publicUrl}`)
  if (development) log.info(`WeChat and other provider sandboxes under ${publicUrl}/__sandbox/`)
  // The supervisor prints the console's address once, not at every restart of the app process.
  if (development && !isSupervised()) {
    const banner = consoleBanner(publicUrl, host)
    log.info(banner.info)
    if (banner.warning) log.warn(banner.warning)
  }

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
