/**
 * Where Prometheus reads an app's metrics: `/metrics` on a port of its own (`METRICS_PORT`, on
 * `METRICS_HOST`, default 127.0.0.1), or on the app's port behind a bearer token (`METRICS_TOKEN`).
 * Never on the public port without one: the counts describe the service's traffic and failures.
 */
import { timingSafeEqual } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { AppMetrics } from './app-metrics.ts'

export const METRICS_PATH = '/metrics'

/** `GET /metrics` on the app's server, answering only `Authorization: Bearer <token>`. */
export function registerMetricsRoute(fastify: FastifyInstance, metrics: AppMetrics, token: string): void {
  const expected = Buffer.from(`Bearer ${token}`)
  metrics.collectProcessMetrics()
  fastify.get(METRICS_PATH, async (request, reply) => {
    const given = Buffer.from(request.headers.authorization ?? '')
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ errcode: 401, errmsg: 'metrics need the bearer token METRICS_TOKEN' })
    }
    return reply
      .header('content-type', metrics.contentType)
      .header('cache-control', 'no-store')
      .send(await metrics.text())
  })
}

export interface MetricsServer {
  readonly url: string
  close(): Promise<void>
}

/**
 * A server of its own for `/metrics` (everything else 404). `port` 0 takes any free port.
 *
 * @example
 * const server = await startMetricsServer({ metrics: app.metrics, port: 9464 })
 */
export async function startMetricsServer(options: {
  metrics: AppMetrics
  port: number
  host?: string
}): Promise<MetricsServer> {
  const { metrics } = options
  metrics.collectProcessMetrics()
  const server = http.createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== METRICS_PATH) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are at /metrics\n')
      return
    }
    metrics.text().then(
      (text) => response.writeHead(200, { 'content-type': metrics.contentType }).end(text),
      () => response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics failed\n'),
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve())
  })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    url: `http://${host}:${address.port}${METRICS_PATH}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
