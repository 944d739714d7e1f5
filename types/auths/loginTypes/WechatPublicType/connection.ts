/**
 * What the Instances of WechatPublicType share across reload generations: one WeChat client (its
 * keep-alive pool, and the refreshes in flight) per Instance config, and the field cipher that
 * encrypts stored tokens. Both live in the runtime's shared resources, so a reload that leaves an
 * Instance's config as it was keeps its connections, and a refresh in flight is joined, not repeated.
 */
import { createHash } from 'node:crypto'
import path from 'node:path'
import type { AppInfo, Logger, Metrics, SharedResources } from 'jitlite'
import { type FieldCipher, loadFieldCipher } from 'jitlite/crypto'
import { type WechatAttemptEvent, WechatOAuthClient } from './client/index.ts'
import type { WechatHosts, WechatPublicConfig } from './config.ts'

export interface WechatConnection {
  readonly client: WechatOAuthClient
  /** Refreshes in flight, by openid: concurrent callers for one user share one refresh call. */
  readonly refreshes: Map<string, Promise<string>>
}

/**
 * The WeChat client of an Instance, shared by its provider and its service, and by every reload
 * generation that has the same config.
 *
 * @example
 * const { client } = wechatConnection(ctx.resources, config, hosts, ctx.element.fullName, ctx)
 * const url = client.createAuthorizationURL(callbackUrl, state)
 */
export function wechatConnection(
  resources: SharedResources,
  config: WechatPublicConfig,
  hosts: WechatHosts,
  instance: string,
  sinks: { log: Logger; metrics: Metrics },
): WechatConnection {
  // The key identifies the settings the client is built from; the secret enters it only hashed.
  const fingerprint = createHash('sha256')
    .update(
      JSON.stringify([
        instance,
        config.appId,
        config.appSecret,
        hosts.oauthBaseUrl,
        hosts.apiBaseUrl,
        config.attemptTimeoutMs,
        config.totalDeadlineMs,
        config.maxRetries,
      ]),
    )
    .digest('base64url')
  return resources.acquire(
    `wechat-public-connection:${fingerprint}`,
    () => ({
      client: new WechatOAuthClient(config.appId, config.appSecret, {
        ...hosts,
        attemptTimeoutMs: config.attemptTimeoutMs,
        totalDeadlineMs: config.totalDeadlineMs,
        maxRetries: config.maxRetries,
        onAttempt: (event) => {
          countAttempt(sinks.metrics, event)
          logFailedAttempt(sinks.log, instance, event)
        },
      }),
      refreshes: new Map<string, Promise<string>>(),
    }),
    (connection) => connection.client.close(),
  )
}

/** Each attempt's latency by endpoint, and its error code when it failed (errcode, HTTP status, network, timeout). */
function countAttempt(metrics: Metrics, event: WechatAttemptEvent): void {
  const errorCode =
    event.outcome === 'ok'
      ? undefined
      : event.outcome === 'errcode'
        ? event.errcode
        : event.outcome === 'http_status'
          ? `http_${event.status}`
          : event.outcome
  metrics.providerCall({
    provider: 'wechat',
    endpoint: event.endpoint,
    durationMs: event.durationMs,
    errorCode,
  })
}

/** One warning per failed attempt: the endpoint path and what happened, never a URL, body or value. */
function logFailedAttempt(log: Logger, instance: string, event: WechatAttemptEvent): void {
  if (event.outcome === 'ok') return
  const what =
    event.outcome === 'errcode'
      ? `errcode ${event.errcode}`
      : event.outcome === 'http_status'
        ? `HTTP ${event.status}`
        : event.outcome === 'timeout'
          ? 'timed out'
          : event.outcome === 'network'
            ? 'network failure'
            : `unusable answer (HTTP ${event.status})`
  const next = event.retryInMs === undefined ? '' : `, retrying in ${event.retryInMs} ms`
  log.warn(
    `${instance}: WeChat ${event.endpoint} attempt ${event.attempt}: ${what} after ${Math.round(event.durationMs)} ms${next}`,
  )
}

/** Where a development key file is kept when JIT_SECRET_KEY is unset: `<app>/.jitlite/secret.key` (git-ignored). */
export function developmentKeyFile(app: AppInfo): string {
  return path.join(app.dir, '.jitlite', 'secret.key')
}

/**
 * The cipher for tokens at rest: JIT_SECRET_KEY, or in development a key file created on first use.
 * Production without JIT_SECRET_KEY throws JIT_SECRET_KEY_MISSING.
 */
export function fieldCipher(
  resources: SharedResources,
  app: AppInfo,
  log: Logger,
  env: Readonly<Record<string, string | undefined>>,
): FieldCipher {
  const keyFilePath = developmentKeyFile(app)
  return resources.acquire(
    `field-cipher:${app.mode}:${keyFilePath}`,
    () => {
      const cipher = loadFieldCipher({ env, development: app.mode === 'development', keyFilePath })
      if (cipher.source.kind === 'file' && cipher.source.created) {
        log.info(
          `created a development key for stored tokens at ${path.relative(app.dir, keyFilePath)}; ` +
            'set JIT_SECRET_KEY in production',
        )
      }
      return cipher
    },
    () => {},
  )
}
