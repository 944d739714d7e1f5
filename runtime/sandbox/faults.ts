import { z } from 'zod'
import type { OptionParser } from './options.ts'

/** What an injected fault makes the next call(s) answer. */
export const faultSchema = z.discriminatedUnion('kind', [
  /** Any provider error (JSON on an API, an error page on a page), e.g. 42001 on demand. */
  z.strictObject({ kind: z.literal('errcode'), errcode: z.int(), errmsg: z.string().optional() }),
  /** The provider's "system busy" error (WeChat and WeCom: -1). */
  z.strictObject({ kind: z.literal('busy') }),
  /** The provider's rate-limit error (WeChat: 45011, WeCom: 45009). */
  z.strictObject({ kind: z.literal('quota') }),
  /** An HTTP error status (a gateway's 502, 503...) with an HTML body, as a proxy in front of the provider sends. */
  z.strictObject({ kind: z.literal('status'), status: z.int().min(400).max(599) }),
  /** Any body: an HTML page, an empty body, a huge body, truncated JSON. */
  z.strictObject({
    kind: z.literal('body'),
    body: z.string(),
    contentType: z.string().default('text/plain'),
    status: z.int().min(100).max(599).default(200),
  }),
  /** The TCP connection is reset (RST) without an answer. */
  z.strictObject({ kind: z.literal('reset') }),
  /** No answer ever; the connection stays open until the client gives up or the sandbox closes. */
  z.strictObject({ kind: z.literal('hang') }),
])

export type SandboxFault = z.input<typeof faultSchema>
export type ParsedFault = z.output<typeof faultSchema>

export const faultOptionsSchema = z.strictObject({
  /** How many calls the fault answers (default 1), or "always" until cleared. */
  times: z.union([z.int().positive(), z.literal('always')]).default(1),
  /**
   * Process the call first (a code is consumed, a token issued), then answer with the fault: the
   * "the answer was lost, but the provider acted on it" case.
   */
  afterProcessing: z.boolean().default(false),
})

export type FaultOptions = z.input<typeof faultOptionsSchema>

/** A fault or latency for `all` applies to every endpoint. */
export type FaultTarget<Endpoint extends string> = Endpoint | 'all'

/** The schema of a fault's target: one of the sandbox's endpoints, or `all`. */
export function faultTargetSchema<const Endpoint extends string>(
  endpoints: readonly Endpoint[],
): z.ZodType<FaultTarget<Endpoint>> {
  // z.enum's literal types do not follow a generic list; the schema checks exactly these names.
  return z.enum([...endpoints, 'all']) as unknown as z.ZodType<FaultTarget<Endpoint>>
}

/** The fault a call drew, to be applied by the HTTP layer. */
export interface DrawnFault {
  fault: ParsedFault
  afterProcessing: boolean
}

/** The pending faults and latencies, as the admin API shows them. */
export interface FaultsDescription<Endpoint extends string> {
  faults: {
    endpoint: FaultTarget<Endpoint>
    fault: ParsedFault
    remaining: number | 'always'
    afterProcessing: boolean
  }[]
  latencyMs: Partial<Record<FaultTarget<Endpoint>, number>>
}

interface FaultRule {
  fault: ParsedFault
  remaining: number
  afterProcessing: boolean
}

/** What a sandbox's FaultBook checks its arguments against, and the errors it throws. */
export interface FaultChecks<Endpoint extends string> {
  /** The endpoints a fault or latency may target (besides `all`). */
  endpoints: readonly Endpoint[]
  /** The sandbox's option errors: a malformed target, fault or latency throws its "option invalid" error. */
  options: OptionParser
}

/**
 * Queues of injected faults per endpoint, and added latency. A call draws from its endpoint's queue
 * first, then from the `all` queue; a rule is used up after `times` calls. A malformed fault or
 * latency throws a ZodError or RangeError, or, given `checks`, the sandbox's own option error (an
 * unknown target too), so that a sandbox's `setFault` and `setLatency` can hand their arguments on.
 *
 * @example
 * const book = new FaultBook<'gettoken' | 'getuserinfo'>()
 * book.add('gettoken', { kind: 'busy' }, { times: 2 })
 * book.draw('gettoken') // { fault: { kind: 'busy' }, afterProcessing: false }, twice, then undefined
 */
export class FaultBook<Endpoint extends string> {
  readonly #rules = new Map<FaultTarget<Endpoint>, FaultRule[]>()
  readonly #latencyMs = new Map<FaultTarget<Endpoint>, number>()
  readonly #checks: { target: z.ZodType<FaultTarget<Endpoint>>; options: OptionParser } | undefined

  constructor(checks?: FaultChecks<Endpoint>) {
    this.#checks = checks && { target: faultTargetSchema(checks.endpoints), options: checks.options }
  }

  /** Runs `act`, the sandbox's option error for `what` in place of any error, after checking the target. */
  #checked<T>(target: FaultTarget<Endpoint>, what: string, act: () => T): T {
    if (!this.#checks) return act()
    this.#checks.options.parseOption(this.#checks.target, target, 'endpoint')
    try {
      return act()
    } catch (cause) {
      throw this.#checks.options.optionError(what, cause)
    }
  }

  add(target: FaultTarget<Endpoint>, fault: SandboxFault, options: FaultOptions = {}): void {
    const [parsedFault, parsedOptions] = this.#checked(
      target,
      'fault',
      () => [faultSchema.parse(fault), faultOptionsSchema.parse(options)] as const,
    )
    const remaining = parsedOptions.times === 'always' ? Number.POSITIVE_INFINITY : parsedOptions.times
    const queue = this.#rules.get(target) ?? []
    queue.push({ fault: parsedFault, remaining, afterProcessing: parsedOptions.afterProcessing })
    this.#rules.set(target, queue)
  }

  /** Takes the next fault for a call to `endpoint`, if any. */
  draw(endpoint: Endpoint): DrawnFault | undefined {
    return this.#drawFrom(endpoint) ?? this.#drawFrom('all')
  }

  #drawFrom(target: FaultTarget<Endpoint>): DrawnFault | undefined {
    const queue = this.#rules.get(target)
    const rule = queue?.[0]
    if (!queue || !rule) return undefined
    rule.remaining -= 1
    if (rule.remaining <= 0) queue.shift()
    return { fault: rule.fault, afterProcessing: rule.afterProcessing }
  }

  setLatency(latencyMs: number, target: FaultTarget<Endpoint> = 'all'): void {
    this.#checked(target, 'latency', () => {
      if (!Number.isFinite(latencyMs) || latencyMs < 0)
        throw new RangeError('latency must be a number of ms >= 0')
    })
    this.#latencyMs.set(target, latencyMs)
  }

  /** The delay before a call to `endpoint` is answered: its own latency plus the latency for all. */
  latencyMs(endpoint: Endpoint): number {
    return (this.#latencyMs.get(endpoint) ?? 0) + (this.#latencyMs.get('all') ?? 0)
  }

  clear(): void {
    this.#rules.clear()
    this.#latencyMs.clear()
  }

  /** The pending faults and latencies, for the admin API. */
  describe(): FaultsDescription<Endpoint> {
    const faults = [...this.#rules].flatMap(([target, queue]) =>
      queue.map((rule) => ({
        endpoint: target,
        fault: rule.fault,
        remaining: Number.isFinite(rule.remaining) ? rule.remaining : ('always' as const),
        afterProcessing: rule.afterProcessing,
      })),
    )
    return {
      faults,
      latencyMs: Object.fromEntries(this.#latencyMs) as Partial<Record<FaultTarget<Endpoint>, number>>,
    }
  }
}
