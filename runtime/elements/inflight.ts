/**
 * The calls in flight on one generation, and its retirement: a retired generation is disposed once
 * the last call that started on it has settled, so a call finishes on the definition it started on.
 */
export class InFlight {
  private count = 0
  private retiredFlag = false
  private onIdle?: () => void

  /** Whether the generation has been replaced. */
  get retired(): boolean {
    return this.retiredFlag
  }

  /** Runs `call` as a call in flight; a promise counts until it settles. */
  track<T>(call: () => T): T {
    this.count++
    let result: T
    try {
      result = call()
    } catch (err) {
      this.settle()
      throw err
    }
    if (result instanceof Promise) {
      return result.finally(() => this.settle()) as T
    }
    this.settle()
    return result
  }

  /** Marks the generation as replaced; `dispose` runs once nothing is in flight. */
  retire(dispose: () => Promise<void>): Promise<void> {
    this.retiredFlag = true
    if (this.count === 0) return dispose()
    return new Promise((resolve) => {
      this.onIdle = () => void dispose().then(resolve)
    })
  }

  private settle(): void {
    this.count--
    if (this.count === 0 && this.retiredFlag && this.onIdle) {
      const idle = this.onIdle
      this.onIdle = undefined
      idle()
    }
  }
}
