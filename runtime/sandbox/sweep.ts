/** How long an expired code or token is kept, so that a late presentation still reads as expired. */
export const KEEP_EXPIRED_MS = 24 * 3600 * 1000
const SWEEP_EVERY_ISSUES = 500

/**
 * Forgets a sandbox's expired codes and tokens a day after they expire, so that a long-running demo
 * does not grow without bound while a late presentation still gets the provider's "expired" answer.
 * Each map must hold one lifetime in issue order (an entry given a fresh lifetime is deleted and set
 * again, so it moves to the end): its expired entries come first, and a sweep, every 500 issues,
 * reads only those, whatever the number of live ones.
 *
 * @example
 * readonly #sweeper = new ExpiredSweeper(clock, [this.#codes, this.#tokens])
 * issueCode() { this.#sweeper.issued(); ... }
 */
export class ExpiredSweeper {
  readonly #clock: { nowMs(): number }
  readonly #maps: readonly Map<unknown, { expiresAtMs: number }>[]
  #issues = 0

  constructor(clock: { nowMs(): number }, maps: readonly Map<unknown, { expiresAtMs: number }>[]) {
    this.#clock = clock
    this.#maps = maps
  }

  /** Counts one issue; every 500th sweeps what expired more than a day ago. */
  issued(): void {
    this.#issues += 1
    if (this.#issues < SWEEP_EVERY_ISSUES) return
    this.#issues = 0
    const horizonMs = this.#clock.nowMs() - KEEP_EXPIRED_MS
    for (const map of this.#maps) {
      // Up to the first entry still kept: the rest expire later (an entry out of order, after the
      // sandbox clock was set back, waits for the ones before it; lookups check expiry anyway).
      for (const [key, entry] of map) {
        if (entry.expiresAtMs >= horizonMs) break
        map.delete(key)
      }
    }
  }
}
