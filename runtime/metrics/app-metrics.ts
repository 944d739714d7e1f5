import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client'
import type { Metrics, ProviderCall } from './contract.ts'

/** Seconds: from a fast local commit (0.1 ms) to a provider's total deadline (10 s). */
const LATENCY_BUCKETS_S = [
  0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]

/**
 * One app's Prometheus metrics, in a registry of its own (several apps in one process, as tests make
 * them, never share counts). Names follow Prometheus conventions: `_total` counters, `_seconds`.
 *
 * @example
 * const metrics = new AppMetrics()
 * metrics.loginStarted('auths.loginTypes.MyWechatLogin')
 * await metrics.text() // '# HELP jit_login_starts_total ...'
 */
export class AppMetrics implements Metrics {
  readonly registry = new Registry()
  #processMetrics = false
  readonly #loginStarts = new Counter({
    name: 'jit_login_starts_total',
    help: 'Login starts, by login Instance and outcome (started: a state minted; limited: refused by a cap on live states).',
    labelNames: ['login_type', 'outcome'],
    registers: [this.registry],
  })
  readonly #loginCompletions = new Counter({
    name: 'jit_login_completions_total',
    help: "Login callbacks, by login Instance, outcome and the class of the provider's error code.",
    labelNames: ['login_type', 'outcome', 'code_class'],
    registers: [this.registry],
  })
  readonly #providerDuration = new Histogram({
    name: 'jit_provider_call_duration_seconds',
    help: "Calls to a provider's endpoints (each attempt), by provider and endpoint.",
    labelNames: ['provider', 'endpoint'],
    buckets: LATENCY_BUCKETS_S,
    registers: [this.registry],
  })
  readonly #providerErrors = new Counter({
    name: 'jit_provider_call_errors_total',
    help: 'Failed provider calls, by provider, endpoint and error code (errcode, network, timeout, protocol).',
    labelNames: ['provider', 'endpoint', 'code'],
    registers: [this.registry],
  })
  readonly #refreshes = new Counter({
    name: 'jit_token_refreshes_total',
    help: 'Refreshes of stored tokens, by provider and outcome.',
    labelNames: ['provider', 'outcome'],
    registers: [this.registry],
  })
  readonly #reloads = new Counter({
    name: 'jit_reloads_total',
    help: 'Hot reloads, applied or refused.',
    labelNames: ['result'],
    registers: [this.registry],
  })
  readonly #commits = new Histogram({
    name: 'jit_db_commit_duration_seconds',
    help: 'Database commits (a group commit of one event-loop turn), by database.',
    labelNames: ['database'],
    buckets: LATENCY_BUCKETS_S,
    registers: [this.registry],
  })
  readonly #limited = new Counter({
    name: 'jit_http_limited_total',
    help: 'Requests refused by a limit: 429 by route class (login, callback, ticket, function, all), 503 by overload.',
    labelNames: ['limit'],
    registers: [this.registry],
  })

  constructor() {
    // Zero series a dashboard expects before the first event.
    this.#reloads.inc({ result: 'applied' }, 0)
    this.#reloads.inc({ result: 'refused' }, 0)
  }

  loginStarted(loginType: string, outcome: 'started' | 'limited' = 'started'): void {
    this.#loginStarts.inc({ login_type: loginType, outcome })
  }

  loginFinished(loginType: string, outcome: string, providerCode?: number | string): void {
    this.#loginCompletions.inc({ login_type: loginType, outcome, code_class: codeClassOf(providerCode) })
  }

  providerCall(call: ProviderCall): void {
    const labels = { provider: call.provider, endpoint: call.endpoint }
    this.#providerDuration.observe(labels, call.durationMs / 1000)
    if (call.errorCode !== undefined) this.#providerErrors.inc({ ...labels, code: String(call.errorCode) })
  }

  tokenRefreshed(provider: string, outcome: 'success' | 'failed'): void {
    this.#refreshes.inc({ provider, outcome })
  }

  reloaded(result: 'applied' | 'refused'): void {
    this.#reloads.inc({ result })
  }

  databaseCommit(database: string, durationMs: number): void {
    this.#commits.observe({ database }, durationMs / 1000)
  }

  limited(limit: string): void {
    this.#limited.inc({ limit })
  }

  /** Adds the process's own metrics (CPU, memory, event-loop lag, GC): once, when the metrics are served. */
  collectProcessMetrics(): void {
    if (this.#processMetrics) return
    this.#processMetrics = true
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 })
  }

  /** The Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }
}

/** `4xxxx` for 40029, `-1` for -1, `none` without a code: a bounded label from an open set of codes. */
export function codeClassOf(code: number | string | undefined): string {
  if (code === undefined || code === '') return 'none'
  const text = String(code)
  if (!/^-?\d+$/.test(text)) return 'other'
  if (text.startsWith('-')) return text.length <= 3 ? text : 'negative'
  return `${text[0]}${'x'.repeat(Math.min(text.length - 1, 5))}`
}
