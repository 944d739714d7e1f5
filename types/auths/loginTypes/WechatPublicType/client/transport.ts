/**
 * GETs to WeChat's API host over a keep-alive pool, with a per-attempt timeout, a total deadline, and
 * bounded retries with backoff and jitter for the failures docs/wechat-protocol.md#error-moves and
 * docs/security.md#outbound-calls allow: errcode -1 and 45011, HTTP 5xx, connection resets, and
 * connections that never opened.
 */
import { type Dispatcher, Pool } from 'undici'
import type { z } from 'zod'
import { attemptGet } from './attempt.ts'
import {
  cleanErrmsg,
  WechatApiError,
  type WechatEndpoint,
  type WechatErrorAction,
  WechatNetworkError,
  WechatProtocolError,
} from './errors.ts'
import { parseWechatBody } from './parse.ts'

/**
 * How a call may be repeated.
 * - `idempotent`: refresh, userinfo, auth. Repeating them changes nothing at WeChat.
 * - `single_presentation`: the code exchange. WeChat consumes a code on its first presentation, even in
 *   a failed exchange (docs/wechat-protocol.md#code-exchange), and docs/security.md#outbound-calls
 *   forbids retrying after a response that may have consumed it. Two answers say WeChat did not take
 *   the request up: errcode -1 ("system busy") and 45011 (the minute quota), and
 *   docs/wechat-protocol.md#error-moves asks for a bounded retry of both; docs/security.md#case-10
 *   ("-1 then success: one retry, login succeeds") is that rule on the token endpoint. So the
 *   exchange is repeated after those answers and when undici never began writing it (nothing was sent).
 *   A 5xx, a reset or a timeout may come after WeChat saw the code: they end the call with action
 *   `restart_authorization` (a fresh code), never with a second presentation of this one. Should a
 *   busy answer ever have spent the code, the retry meets 40163 and ends the same way.
 */
export type RetryPolicy = 'idempotent' | 'single_presentation'

/** What one attempt did; given to the `onAttempt` hook. It never carries a URL, body, code or token. */
export interface WechatAttemptEvent {
  endpoint: WechatEndpoint
  /** 1 for the first try. */
  attempt: number
  outcome: 'ok' | 'errcode' | 'http_status' | 'protocol' | 'network' | 'timeout'
  /** The HTTP status, when an answer came. */
  status?: number
  /** WeChat's errcode, for `outcome: 'errcode'`. */
  errcode?: number
  durationMs: number
  /** Set when another attempt follows after this many milliseconds. */
  retryInMs?: number
}

export interface WechatTransportOptions {
  /** A shared undici dispatcher (Agent or Pool). Default: a keep-alive Pool owned by this transport. */
  dispatcher?: Dispatcher
  /** Most connections the owned pool opens to the API host. Default 128. */
  maxConnections?: number
  /** One attempt (connect, send, read the whole body) ends after this. Default 5000. */
  attemptTimeoutMs?: number
  /** The whole call, retries and waits included, ends after this. Default 10000. */
  totalDeadlineMs?: number
  /** Retries after the first attempt. Default 2. */
  maxRetries?: number
  /** Backoff base for -1, 5xx and resets: the n-th retry waits up to base * 2^(n-1). Default 100. */
  retryBaseDelayMs?: number
  /** Backoff base for 45011 (per-minute quota): longer, with a floor of half the step. Default 1000. */
  quotaRetryBaseDelayMs?: number
  /** No single wait exceeds this. Default 4000. */
  maxRetryDelayMs?: number
  /** Bodies larger than this are refused. Default 65536 (WeChat's answers are under 2 KB). */
  maxBodyBytes?: number
  /** Called after every attempt. Exceptions thrown by it are ignored: logging must not break a login. */
  onAttempt?: (event: WechatAttemptEvent) => void
  /** Source of jitter in [0, 1). Default Math.random. */
  random?: () => number
}

// Transient failures to open a connection (the request was not written yet): worth another try.
const CONNECT_FAILURE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
])
// The connection broke after the request was written: WeChat may have read it.
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET'])

type Attempt =
  | { kind: 'body'; status: number; value: Record<string, unknown> }
  | { kind: 'problem'; status: number; problem: 'empty' | 'not_json' | 'too_large' | 'http_status' }
  | { kind: 'network'; started: boolean; timedOut: boolean; cause: unknown; code: string | undefined }

export class WechatTransport {
  readonly #origin: string
  readonly #pathPrefix: string
  readonly #dispatcher: Dispatcher
  readonly #ownsDispatcher: boolean
  readonly #attemptTimeoutMs: number
  readonly #totalDeadlineMs: number
  readonly #maxRetries: number
  readonly #retryBaseDelayMs: number
  readonly #quotaRetryBaseDelayMs: number
  readonly #maxRetryDelayMs: number
  readonly #maxBodyBytes: number
  readonly #onAttempt: ((event: WechatAttemptEvent) => void) | undefined
  readonly #random: () => number

  constructor(apiBaseUrl: URL, options: WechatTransportOptions = {}) {
    this.#origin = apiBaseUrl.origin
    this.#pathPrefix = apiBaseUrl.pathname.replace(/\/+$/, '')
    this.#attemptTimeoutMs = options.attemptTimeoutMs ?? 5000
    this.#totalDeadlineMs = options.totalDeadlineMs ?? 10_000
    this.#maxRetries = options.maxRetries ?? 2
    this.#retryBaseDelayMs = options.retryBaseDelayMs ?? 100
    this.#quotaRetryBaseDelayMs = options.quotaRetryBaseDelayMs ?? 1000
    this.#maxRetryDelayMs = options.maxRetryDelayMs ?? 4000
    this.#maxBodyBytes = options.maxBodyBytes ?? 65_536
    this.#onAttempt = options.onAttempt
    this.#random = options.random ?? Math.random
    this.#ownsDispatcher = options.dispatcher === undefined
    this.#dispatcher =
      options.dispatcher ??
      new Pool(this.#origin, {
        connections: options.maxConnections ?? 128,
        connect: { timeout: this.#attemptTimeoutMs },
      })
  }

  /**
   * GETs `endpoint?query`, and returns the body validated by `schema`. `sensitiveValues` are the secret,
   * code or token the query carries: they are scrubbed from anything WeChat says back.
   */
  async get<S extends z.ZodType>(
    endpoint: WechatEndpoint,
    query: string,
    schema: S,
    policy: RetryPolicy,
    sensitiveValues: readonly string[],
  ): Promise<z.output<S>> {
    const path = `${this.#pathPrefix}${endpoint}?${query}`
    const deadline = performance.now() + this.#totalDeadlineMs
    for (let attempt = 1; ; attempt++) {
      const startedAt = performance.now()
      const timeoutMs = Math.min(this.#attemptTimeoutMs, deadline - startedAt)
      const result = await this.#attempt(path, timeoutMs, policy)
      const durationMs = performance.now() - startedAt
      const failure = this.#judge(endpoint, result, schema, policy, sensitiveValues)
      if (failure.ok) {
        this.#report(endpoint, attempt, result, durationMs, undefined)
        return failure.value
      }
      const delayMs = failure.retryBase === undefined ? undefined : this.#backoff(attempt, failure.retryBase)
      const retry =
        delayMs !== undefined && attempt <= this.#maxRetries && performance.now() + delayMs < deadline
      this.#report(endpoint, attempt, result, durationMs, retry ? delayMs : undefined)
      if (!retry) throw failure.error
      await sleep(delayMs)
    }
  }

  /** Closes the pool this transport opened (a dispatcher passed in is left to its owner). */
  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close()
  }

  async #attempt(path: string, timeoutMs: number, policy: RetryPolicy): Promise<Attempt> {
    const result = await attemptGet(this.#dispatcher, {
      origin: this.#origin,
      path,
      timeoutMs,
      maxBodyBytes: this.#maxBodyBytes,
      sendOnce: policy === 'single_presentation',
    })
    if (result.kind === 'failed') {
      const { started, timedOut, cause } = result
      return {
        kind: 'network',
        started,
        timedOut,
        cause: timedOut ? undefined : cause,
        code: errorCode(cause),
      }
    }
    if (result.kind === 'too_large') return { kind: 'problem', status: result.status, problem: 'too_large' }
    if (result.status !== 200) return { kind: 'problem', status: result.status, problem: 'http_status' }
    const parsed = parseWechatBody(result.text)
    if (!parsed.ok) return { kind: 'problem', status: result.status, problem: parsed.problem }
    return { kind: 'body', status: result.status, value: parsed.value }
  }

  /** Turns an attempt into a value, or an error plus the backoff base when it may be retried. */
  #judge<S extends z.ZodType>(
    endpoint: WechatEndpoint,
    result: Attempt,
    schema: S,
    policy: RetryPolicy,
    sensitiveValues: readonly string[],
  ): { ok: true; value: z.output<S> } | FailureVerdict {
    const idempotent = policy === 'idempotent'
    if (result.kind === 'network') return this.#judgeNetwork(endpoint, result, idempotent)
    if (result.kind === 'problem') {
      if (result.status >= 500) {
        return {
          ok: false,
          error: new WechatNetworkError(endpoint, {
            status: result.status,
            what: `HTTP ${result.status}`,
            ...(idempotent ? RETRY_LATER : CODE_MAY_BE_SPENT),
          }),
          retryBase: idempotent ? this.#retryBaseDelayMs : undefined,
        }
      }
      return { ok: false, error: new WechatProtocolError(endpoint, result.problem, result.status) }
    }
    const errcode = readErrcode(result.value.errcode)
    if (errcode !== 0) {
      const errmsg = cleanErrmsg(result.value.errmsg, sensitiveValues)
      const transient = errcode === -1 || errcode === 45011
      const error = new WechatApiError(
        endpoint,
        errcode,
        errmsg,
        transient && !idempotent ? CODE_MAY_BE_SPENT : undefined,
      )
      if (!transient) return { ok: false, error }
      return {
        ok: false,
        error,
        retryBase: errcode === -1 ? this.#retryBaseDelayMs : -this.#quotaRetryBaseDelayMs,
      }
    }
    const checked = schema.safeParse(result.value)
    if (checked.success) return { ok: true, value: checked.data }
    const issues = checked.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.code}`)
    return { ok: false, error: new WechatProtocolError(endpoint, 'invalid_shape', result.status, issues) }
  }

  #judgeNetwork(
    endpoint: WechatEndpoint,
    result: Extract<Attempt, { kind: 'network' }>,
    idempotent: boolean,
  ): FailureVerdict {
    const { started, timedOut, cause, code } = result
    // A request that was never handed to a connection cannot have reached WeChat, not even a code.
    const repeatable = idempotent || !started
    if (timedOut) {
      const what = `no complete answer within ${this.#attemptTimeoutMs} ms per attempt / ${this.#totalDeadlineMs} ms in total`
      const move = repeatable ? RETRY_LATER : CODE_MAY_BE_SPENT
      return { ok: false, error: new WechatNetworkError(endpoint, { timedOut, what, ...move }) }
    }
    if (code === 'ENOTFOUND') {
      const advice = 'Check apiBaseUrl (or WECHAT_API_BASE_URL) and DNS on this machine.'
      const what = 'the API host name does not resolve'
      return {
        ok: false,
        error: new WechatNetworkError(endpoint, { cause, what, action: 'fix_configuration', advice }),
      }
    }
    const transient = code !== undefined && (started ? RESET_CODES : CONNECT_FAILURE_CODES).has(code)
    const what = started
      ? `the connection broke after the request was sent (${code ?? 'unknown error'})`
      : `could not connect (${code ?? 'unknown error'})`
    return {
      ok: false,
      error: new WechatNetworkError(endpoint, {
        cause,
        what,
        ...(repeatable ? RETRY_LATER : CODE_MAY_BE_SPENT),
      }),
      retryBase: transient && repeatable ? this.#retryBaseDelayMs : undefined,
    }
  }

  /**
   * Full jitter (a random wait up to base * 2^(n-1)) for -1, 5xx and resets. A negative base marks the
   * per-minute quota: the wait keeps a floor of half the step, so a quota error never turns into a hot loop.
   */
  #backoff(attempt: number, base: number): number {
    const step = Math.min(this.#maxRetryDelayMs, Math.abs(base) * 2 ** (attempt - 1))
    const jitter = this.#random()
    return Math.round(base < 0 ? step / 2 + (jitter * step) / 2 : jitter * step)
  }

  #report(
    endpoint: WechatEndpoint,
    attempt: number,
    result: Attempt,
    durationMs: number,
    retryInMs: number | undefined,
  ): void {
    if (this.#onAttempt === undefined) return
    const event: WechatAttemptEvent = { endpoint, attempt, outcome: 'ok', durationMs }
    if (result.kind === 'network') event.outcome = result.timedOut ? 'timeout' : 'network'
    else {
      event.status = result.status
      if (result.kind === 'problem')
        event.outcome = result.problem === 'http_status' ? 'http_status' : 'protocol'
      else {
        const errcode = readErrcode(result.value.errcode)
        if (errcode !== 0) {
          event.outcome = 'errcode'
          event.errcode = errcode
        }
      }
    }
    if (retryInMs !== undefined) event.retryInMs = retryInMs
    try {
      this.#onAttempt(event)
    } catch {
      // A failing logger must not fail the login it is logging.
    }
  }
}

type FailureVerdict = {
  ok: false
  error: WechatApiError | WechatNetworkError | WechatProtocolError
  /** Backoff base in ms when the failure may be retried; negative for the per-minute quota. */
  retryBase?: number
}

const RETRY_LATER: { action: WechatErrorAction; advice: string } = {
  action: 'retry',
  advice: 'Try again shortly; if it persists, check the network path to apiBaseUrl.',
}

const CODE_MAY_BE_SPENT: { action: WechatErrorAction; advice: string } = {
  action: 'restart_authorization',
  advice:
    'WeChat may already have consumed the code (a code works once, even in a failed exchange), so it is ' +
    'not presented again; wait a few seconds, then send the user through the authorize URL for a fresh code.',
}

/** `errcode` as a number; 0 when absent (success bodies of the token and userinfo endpoints have none). */
function readErrcode(errcode: unknown): number {
  if (errcode === undefined || errcode === null) return 0
  const number = typeof errcode === 'number' ? errcode : Number(errcode)
  return Number.isFinite(number) ? number : 0
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string') return code
  // net's happy-eyeballs connect reports one failure per address in an AggregateError.
  const inner = (error as { errors?: unknown[] }).errors?.[0]
  return inner === undefined ? undefined : errorCode(inner)
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
