import type { AddressInfo } from 'node:net'
import { createApp } from '../app.ts'
import { BIND_HOST_ENV, BIND_PORT_ENV, consoleBanner } from '../console/bind.ts'
import { loadAppEnvFile } from '../console/env-file.ts'
import type { ConsoleAddress } from '../console/guard.ts'
import { JitError, portInUse } from '../errors.ts'
import { createLogger, logFormatOf, logLevelOf } from '../log.ts'
import { type MetricsServer, startMetricsServer } from '../metrics/serve-metrics.ts'
import { isSupervised, reportReadyToSupervisor } from '../reload/dev-child.ts'
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

  // Under `jit dev`'s supervisor, a standby process waits here with the framework's code imported.
  if (development) await awaitTurnIfStandby()
  // Development reads the app's .env (what the console stores secrets in); the real environment wins.
  if (development) loadAppEnvFile(options.appDir, env)
  const log = createLogger({ format: logFormatOf(env, options.mode), level: logLevelOf(env) })
  const limits = limitsFromEnv(env)
  const metricsPort = metricsPortOf(env)
  const metricsToken = env.METRICS_TOKEN?.trim() || undefined
  const configOverrides = development ? sandboxOverrides(publicUrl) : undefined
  const shutdownTimeoutS = shutdownTimeoutOf(env)
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
    limits,
    metricsToken,
  })
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
  const listening = (server.server.address() as AddressInfo).port
  if (address.bindPort === 0) address.bindPort = listening
  reportReadyToSupervisor({ port: listening, problems: app.problems })
  log.info(`${app.info.title} (${options.mode}) at ${publicUrl}`)
  if (development) log.info(`WeChat and other provider sandboxes under ${publicUrl}/__sandbox/`)
  if (metricsServer) log.info(`metrics at ${metricsServer.url}`)
  else if (metricsToken) log.info(`metrics at ${publicUrl}/metrics, to the bearer token METRICS_TOKEN`)
  // The supervisor prints the console's address once, not at every restart of the app process.
  if (development && !isSupervised()) {
    const banner = consoleBanner(publicUrl, host)
    log.info(banner.info)
    if (banner.warning) log.warn(banner.warning)
  }

  const signal = await new Promise<string>((resolve) => {
    const stop = (signal: string) => {
      log.info(`${signal}: finishing requests in flight, then closing`)
      process.once(signal, () => process.exit(130))
      resolve(signal)
    }
    process.once('SIGINT', () => stop('SIGINT'))
    process.once('SIGTERM', () => stop('SIGTERM'))
  })
  // A request that never ends (a hung call in a function) must not keep a stopping process alive: a
  // supervisor's own kill would come without this line. Committed writes are safe either way.
  const deadline = setTimeout(() => {
    log.error(
      `${signal}: requests in flight did not finish within ${shutdownTimeoutS} s (SHUTDOWN_TIMEOUT_S); exiting without them`,
      { event: 'shutdown', outcome: 'timeout' },
    )
    process.exit(1)
  }, shutdownTimeoutS * 1000)
  deadline.unref()
  await server.close()
  await metricsServer?.close()
  await app.close()
  clearTimeout(deadline)
  log.info('stopped')
  return 0
}

/** `SHUTDOWN_TIMEOUT_S`: how long a stop waits for requests in flight; default 30 s. */
function shutdownTimeoutOf(env: NodeJS.ProcessEnv): number {
  const value = env.SHUTDOWN_TIMEOUT_S?.trim()
  if (!value) return 30
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new JitError(
      'JIT_ENV_INVALID',
      `SHUTDOWN_TIMEOUT_S=${JSON.stringify(value)} is not valid: set a whole number of seconds, at least 1`,
    )
  return Number(value)
}

/** `METRICS_PORT`: a port of its own for `/metrics`; unset, metrics are served only behind METRICS_TOKEN. */
function metricsPortOf(env: NodeJS.ProcessEnv): number | undefined {
  const value = env.METRICS_PORT?.trim()
  if (!value) return undefined
  if (!/^\d+$/.test(value) || Number(value) > 65535) {
    throw new JitError(
      'JIT_ENV_INVALID',
      `METRICS_PORT=${JSON.stringify(value)} is not valid: set a port number (0 for any free one)`,
    )
  }
  return Number(value)
}
