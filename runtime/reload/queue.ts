/** What happened to a path, in chokidar's words. */
export type ChangeKind = 'add' | 'addDir' | 'change' | 'unlink' | 'unlinkDir'

export interface QueueTimings {
  /** Quiet time that ends a burst (an editor's save, a folder copy) before the reload starts. */
  settleMs: number
  /** The longest a change waits for its burst to end, so that a file rewritten nonstop still applies. */
  maxWaitMs: number
}

/**
 * Collects changed paths into batches and hands each batch to `apply`, one at a time: a burst of
 * events becomes one batch, batches never overlap, and paths that change while one is applied form
 * the next. `apply` reads the disk itself, so the last batch always sees the final state.
 *
 * @example
 * const queue = new ReloadQueue((batch) => app.reload().then(() => {}), { settleMs: 25, maxWaitMs: 250 })
 * queue.add('/app/greeters/English/English.json', 'change')
 */
export class ReloadQueue {
  private pending = new Map<string, ChangeKind>()
  private firstPendingAt = 0
  private timer?: NodeJS.Timeout
  private running?: Promise<void>
  private closed = false
  private readonly apply: (batch: ReadonlyMap<string, ChangeKind>) => Promise<void>
  private readonly timings: QueueTimings

  constructor(apply: (batch: ReadonlyMap<string, ChangeKind>) => Promise<void>, timings: QueueTimings) {
    this.apply = apply
    this.timings = timings
  }

  add(file: string, kind: ChangeKind): void {
    if (this.closed) return
    if (this.pending.size === 0) this.firstPendingAt = performance.now()
    // The latest kind wins: unlink then add of one path (an atomic save) is a change of it.
    const earlier = this.pending.get(file)
    this.pending.set(file, earlier === 'unlink' && kind === 'add' ? 'change' : kind)
    if (this.running) return
    this.arm()
  }

  /** Drops what is pending and waits for the batch being applied. */
  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.timer)
    this.timer = undefined
    this.pending.clear()
    await this.running
  }

  private arm(): void {
    clearTimeout(this.timer)
    const waited = performance.now() - this.firstPendingAt
    const delay = Math.max(0, Math.min(this.timings.settleMs, this.timings.maxWaitMs - waited))
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.running = this.drain()
    }, delay)
  }

  /** `apply` reports its own failures; a throw here must still not stop the queue for good. */
  private async drain(): Promise<void> {
    try {
      while (this.pending.size > 0 && !this.closed) {
        const batch = this.pending
        this.pending = new Map()
        await this.apply(batch)
      }
    } finally {
      this.running = undefined
      if (this.pending.size > 0 && !this.closed) this.arm()
    }
  }
}
