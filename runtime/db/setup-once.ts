/**
 * A setup that runs once and is shared (a table created, its row keys loaded), except that a failed one
 * (the database was down) is forgotten: the next caller tries again instead of every call failing until
 * the process restarts. The callers already waiting get its error.
 *
 * @example
 * const ready = new SetupOnce(() => createTable(db).then(() => RowSelectors.load(db, TABLE)))
 * const selectors = await ready.get()
 */
export class SetupOnce<T> {
  readonly #setup: () => Promise<T>
  #running: Promise<T> | undefined

  constructor(setup: () => Promise<T>) {
    this.#setup = setup
  }

  /** The setup's result: the run in progress or done, or a new run after a failed one. */
  get(): Promise<T> {
    if (!this.#running) {
      const running = this.#setup()
      this.#running = running
      running.catch(() => {
        if (this.#running === running) this.#running = undefined
      })
    }
    return this.#running
  }
}
