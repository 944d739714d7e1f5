import type { AddressInfo } from 'node:net'
import { createApp } from '../app.ts'
import { JitError, portInUse } from '../errors.ts'
import { createLogger, logFormatOf, logLevelOf } from '../log.ts'
import { type MetricsServer, startMetricsServer } from '../metrics/serve-metrics.ts'
import { reportReadyToSupervisor } from '../reload/dev-child.ts'
import { awaitTurnIfStandby } from '../reload/standby.ts'
import { limitsFromEnv } from './limits-config.ts'
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
  const log = createLogger({ format: logFormatOf(env, options.mode), level: logLevelOf(env) })
  const limits = limitsFromEnv(env)
  const metricsPort = metricsPortOf(env)
  const metricsToken = env.METRICS_TOKEN?.trim() || undefined

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
  const server = await buildServer(app, { log, sandboxes: development, limits, metricsToken })
  try {
    await server.listen({ port, host })
  } catch (err) {
    await app.close()
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw portInUse(host, port, err)
    throw err
  }
  let metricsServer: MetricsServer | undefined
  if (metricsPort !== undefined) {
    try {
      metricsServer = await startMetricsServer({
        metrics: app.metrics,
        port: metricsPort,
        host: env.METRICS_HOST,
      })
    } catch (err) {
      await server.close()
      await app.close()
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
        throw portInUse(env.METRICS_HOST ?? '127.0.0.1', metricsPort, err, 'METRICS_PORT')
      throw err
    }
  }
  reportReadyToSupervisor({ port: (server.server.address() as AddressInfo).port, problems: app.problems })
  log.info(`${app.info.title} (${options.mode}) at ${publicUrl}`)
  if (development) log.info(`WeChat and other provider sandboxes under ${publicUrl}/__sandbox/`)
  if (metricsServer) log.info(`metrics at ${metricsServer.url}`)
  else if (metricsToken) log.info(`metrics at ${publicUrl}/metrics, to the bearer token METRICS_TOKEN`)

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
  await metricsServer?.close()
  await app.close()
  log.info('stopped')
  return 0
}

/** `METRICS_PORT`: a port of its own for `/metrics`; unset, metrics are served only behind METRICS_TOKEN. */
function metricsPortOf(env: NodeJS.ProcessEnv): number | undefined {
  const value = env.METRICS_PORT?.trim()
  if (!value) return undefined
  if (!/^\d+$/.test(value) || Number(value) > 65535)
    throw new JitError(
      'JIT_ENV_INVALID',
      `METRICS_PORT=${JSON.stringify(value)} is not valid: set a port number (0 for any free one)`,
    )
  return Number(value)
}
