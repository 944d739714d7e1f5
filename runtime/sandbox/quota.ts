/**
 * Calls per key (an account and endpoint, say) in the current minute of a sandbox clock: what a
 * provider's per-minute quota counts. A new minute starts every key afresh.
 *
 * @example
 * const quota = new MinuteQuota(sandbox.clock)
 * if (!quota.take(`${appid}\u0000${endpoint}`, 50_000)) return errorBody(45011)
 */
export class MinuteQuota {
  readonly #clock: { nowMs(): number }
  readonly #slots = new Map<string, { minute: number; calls: number }>()

  constructor(clock: { nowMs(): number }) {
    this.#clock = clock
  }

  /** Counts a call for `key`; false when it is beyond `perMinute` calls in this minute. */
  take(key: string, perMinute: number): boolean {
    const minute = Math.floor(this.#clock.nowMs() / 60_000)
    const slot = this.#slots.get(key)
    if (!slot || slot.minute !== minute) {
      this.#slots.set(key, { minute, calls: 1 })
      return true
    }
    slot.calls += 1
    return slot.calls <= perMinute
  }

  clear(): void {
    this.#slots.clear()
  }
}
