/**
 * What a Type counts, through `ctx.metrics` (prepare, load and route contexts). The runtime keeps one
 * Prometheus registry per app and serves it (`METRICS_PORT`, or `/metrics` behind `METRICS_TOKEN`).
 * Label values are a Type's own fixed names (an endpoint, an outcome), never values from a request.
 *
 * @example
 * ctx.metrics.providerCall({ provider: 'wechat', endpoint: 'access_token', durationMs: 41 })
 * ctx.metrics.providerCall({ provider: 'wechat', endpoint: 'userinfo', durationMs: 12, errorCode: 40001 })
 */
export interface Metrics {
  /** A login start: `started` (a state minted) or `limited` (refused by a cap on live states). */
  loginStarted(loginType: string, outcome?: 'started' | 'limited'): void
  /**
   * A login's end, by outcome (`success`, `cancelled`, `expired`, `replay`, `provider_error`, ...);
   * `providerCode` (a provider's error code) is counted by its class (`4xxxx`, `-1`).
   */
  loginFinished(loginType: string, outcome: string, providerCode?: number | string): void
  /** One call to a provider's endpoint; `errorCode` when it failed (a provider errcode, `network`, `timeout`, `protocol`). */
  providerCall(call: ProviderCall): void
  /** A refresh of a stored token. */
  tokenRefreshed(provider: string, outcome: 'success' | 'failed'): void
  /** A database Type's commit and how long it took. */
  databaseCommit(database: string, durationMs: number): void
}

export interface ProviderCall {
  provider: string
  endpoint: string
  durationMs: number
  errorCode?: number | string
}

/** Counts nothing: for code run without an app (a client built by hand, a script). */
export const noMetrics: Metrics = {
  loginStarted() {},
  loginFinished() {},
  providerCall() {},
  tokenRefreshed() {},
  databaseCommit() {},
}
