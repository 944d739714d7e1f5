/**
 * A fixed-window counter store for @fastify/rate-limit. Its own LocalStore hands each caller the live
 * counter object, which later requests of the same burst increment before the caller reads it: a
 * burst of N parallel requests is then judged as if each were the N-th, and all of them are refused.
 * This one answers each request with its own count.
 */
export class WindowStore {
  readonly #windows = new Map<string, { count: number; startMs: number }>()
  readonly #capacity: number

  constructor(capacity: number) {
    this.#capacity = capacity
  }

  incr(
    key: string,
    callback: (error: Error | null, result: { current: number; ttl: number }) => void,
    // The plugin passes each limiter's window (its declarations leave it out).
    timeWindowMs = 60_000,
  ): void {
    const nowMs = Date.now()
    let window = this.#windows.get(key)
    if (!window || window.startMs + timeWindowMs <= nowMs) {
      if (window) this.#windows.delete(key)
      else if (this.#windows.size >= this.#capacity) this.#evict(nowMs, timeWindowMs)
      window = { count: 0, startMs: nowMs }
      this.#windows.set(key, window)
    }
    window.count++
    callback(null, { current: window.count, ttl: window.startMs + timeWindowMs - nowMs })
  }

  /** @fastify/rate-limit asks each limiter for a store of its own. */
  child(): WindowStore {
    return new WindowStore(this.#capacity)
  }

  /** Drops the windows that ended; if none did, the oldest (a Map keeps insertion order). */
  #evict(nowMs: number, timeWindowMs: number): void {
    for (const [key, window] of this.#windows) {
      if (window.startMs + timeWindowMs <= nowMs) this.#windows.delete(key)
    }
    if (this.#windows.size >= this.#capacity) {
      const oldest = this.#windows.keys().next().value
      if (oldest !== undefined) this.#windows.delete(oldest)
    }
  }
}
