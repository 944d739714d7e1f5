import type { z } from 'zod'
import type { SandboxControl } from './admin.ts'
import { SandboxClock } from './clock.ts'
import {
  type DrawnFault,
  FaultBook,
  type FaultOptions,
  type FaultTarget,
  type SandboxFault,
} from './faults.ts'
import type { OptionParser } from './options.ts'

export interface SandboxCoreOptions<Endpoint extends string, Switches extends object> {
  /** The endpoints that count calls and take faults. */
  endpoints: readonly Endpoint[]
  /** The sandbox's option validation (its "option invalid" error). */
  options: OptionParser
  /** The switches' defaults: what the provider is believed to do today. */
  defaultSwitches: Readonly<Switches>
  switchesPatchSchema: z.ZodType<Partial<Switches>>
  /** Switches to start with (and to go back to on reset); the rest keep their defaults. */
  switches?: Partial<Switches>
  /** The underlying time source in ms since the epoch (default `Date.now`); `clock.advance()` moves on top of it. */
  now?: () => number
}

/**
 * The provider-independent state of a sandbox, for its class to extend: the movable clock, switches,
 * per-endpoint call counters and injected faults, with what `registerSandboxAdmin` drives. A subclass
 * adds the provider's apps, users, codes and tokens, counts each call with `countCall`, and extends
 * `reset` (calling `super.reset()`).
 *
 * @example
 * class AcmeSandbox extends SandboxCore<'token' | 'login', AcmeSwitches> {
 *   constructor(options: { switches?: Partial<AcmeSwitches> } = {}) {
 *     super({ endpoints: ['token', 'login'], options: ACME_OPTIONS, defaultSwitches, switchesPatchSchema, ...options })
 *   }
 * }
 */
export class SandboxCore<Endpoint extends string, Switches extends object>
  implements SandboxControl<Endpoint, Switches>
{
  readonly clock: SandboxClock
  readonly #endpoints: readonly Endpoint[]
  readonly #faults: FaultBook<Endpoint>
  readonly #parseSwitches: (patch: unknown) => Partial<Switches>
  readonly #initialSwitches: Switches
  #switches: Switches
  #counters: Record<Endpoint, number>

  constructor(options: SandboxCoreOptions<Endpoint, Switches>) {
    this.clock = new SandboxClock(options.now)
    this.#endpoints = options.endpoints
    this.#faults = new FaultBook({ endpoints: options.endpoints, options: options.options })
    this.#parseSwitches = (patch) =>
      options.options.parseOption(options.switchesPatchSchema, patch, 'switches')
    this.#initialSwitches = { ...options.defaultSwitches, ...this.#parseSwitches(options.switches ?? {}) }
    this.#switches = { ...this.#initialSwitches }
    this.#counters = this.#zeroCounters()
  }

  /** A copy of the current switches. */
  get switches(): Readonly<Switches> {
    return { ...this.#switches }
  }

  /** Changes some switches (validated: an unknown or malformed one throws the option error). */
  setSwitches(patch: Partial<Switches>): void {
    this.#switches = { ...this.#switches, ...this.#parseSwitches(patch) }
  }

  /** Calls received per endpoint since the start or the last reset (faulted and refused calls included). */
  counters(): Record<Endpoint, number> {
    return { ...this.#counters }
  }

  resetCounters(): void {
    this.#counters = this.#zeroCounters()
  }

  /** Counts a call to `endpoint` (every call, before its faults and checks). */
  protected countCall(endpoint: Endpoint): void {
    this.#counters[endpoint] += 1
  }

  /**
   * Makes the next call(s) to `endpoint` (or to any endpoint, with "all") answer with `fault`.
   *
   * @example
   * sandbox.setFault('token', { kind: 'busy' })                  // the next call: the provider's "busy"
   * sandbox.setFault('login', { kind: 'hang' }, { times: 2 })
   * sandbox.setFault('all', { kind: 'status', status: 502 }, { times: 'always' })
   */
  setFault(endpoint: FaultTarget<Endpoint>, fault: SandboxFault, options: FaultOptions = {}): void {
    this.#faults.add(endpoint, fault, options)
  }

  /** Adds `latencyMs` before every answer of `endpoint` (default: all endpoints); 0 removes it. */
  setLatency(latencyMs: number, endpoint: FaultTarget<Endpoint> = 'all'): void {
    this.#faults.setLatency(latencyMs, endpoint)
  }

  clearFaults(): void {
    this.#faults.clear()
  }

  /** Pending faults and latencies. */
  faults() {
    return this.#faults.describe()
  }

  /** The fault the next call to `endpoint` answers with, if any (consumes it). */
  drawFault(endpoint: Endpoint): DrawnFault | undefined {
    return this.#faults.draw(endpoint)
  }

  latencyMs(endpoint: Endpoint): number {
    return this.#faults.latencyMs(endpoint)
  }

  /** Back to the start: no faults, zero counters, the switches it started with, real time. */
  reset(): void {
    this.#faults.clear()
    this.resetCounters()
    this.#switches = { ...this.#initialSwitches }
    this.clock.reset()
  }

  #zeroCounters(): Record<Endpoint, number> {
    return Object.fromEntries(this.#endpoints.map((endpoint) => [endpoint, 0])) as Record<Endpoint, number>
  }
}
