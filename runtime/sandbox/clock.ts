/**
 * A provider sandbox's notion of "now". Every lifetime a sandbox enforces (codes, access tokens,
 * tickets, per-minute quotas) reads this clock, so a test can move time forward instead of waiting.
 *
 * @example
 * const clock = new SandboxClock()
 * clock.advance(7201) // every two-hour token issued before now has expired
 */
export class SandboxClock {
  readonly #readBaseMs: () => number
  #offsetMs = 0

  /** `now` is the underlying time source in milliseconds since the epoch (default `Date.now`). */
  constructor(now: () => number = Date.now) {
    this.#readBaseMs = now
  }

  /** The current sandbox time in milliseconds since the epoch. */
  nowMs(): number {
    return this.#readBaseMs() + this.#offsetMs
  }

  /** Moves the clock forward (or back, with a negative number) by `seconds`. */
  advance(seconds: number): void {
    if (!Number.isFinite(seconds)) throw new RangeError('advance(seconds) needs a finite number of seconds')
    this.#offsetMs += seconds * 1000
  }

  /** How far the clock has been moved from the underlying time source, in seconds. */
  get offsetSeconds(): number {
    return this.#offsetMs / 1000
  }

  /** Puts the clock back on the underlying time source. */
  reset(): void {
    this.#offsetMs = 0
  }
}
