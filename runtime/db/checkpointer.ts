import { statSync } from 'node:fs'
import { Worker } from 'node:worker_threads'

/** SQLite's own automatic checkpoint runs at 1,000 pages of WAL: about this many bytes. */
const CHECKPOINT_BYTES = 4 * 1024 * 1024
const INTERVAL_MS = 100
/** A WAL that stopped changing this long ago is emptied, so that it shrinks back after a burst. */
const IDLE_MS = 1000
/** How long a reset waits for another process's writer or readers before trying again later. */
const RESET_WAIT_MS = 100
export const DEFAULT_WAL_LIMIT_BYTES = 64 * 1024 * 1024

export interface CheckpointerOptions {
  /** The WAL never grows past this many bytes (but see `holdCommits`); 0: no bound, PASSIVE checkpoints only. */
  walLimitBytes: number
  /** Whether the connection may hold its commits now (no transaction or result stream spans an await). */
  canHold: () => boolean
  /** Runs if the worker cannot start or dies, so the caller can turn the automatic checkpoint back on. */
  onFailure: () => void
}

export interface Checkpointer {
  /**
   * Asked before each group commit: a promise when commits must wait for the WAL to be reset, else
   * undefined. Commits wait when the worker resets the WAL, and when the WAL file is near the limit
   * (then a TRUNCATE starts at once). A reset another process's reader holds up ends without emptying
   * the WAL; commits then go on, past the limit, and the next reset is tried INTERVAL_MS later.
   */
  holdCommits(): Promise<void> | undefined
  /** Stops the worker and waits for it to close its connection. */
  stop(): Promise<void>
}

/**
 * Moves a database's WAL checkpoints off the event loop, and keeps the WAL under a bound: the caller
 * turns SQLite's automatic checkpoint off on its connection, and a worker thread checkpoints instead
 * (checkpoint-worker.mjs). Resetting the WAL needs a moment without commits from this process; the
 * worker asks for it, the group commit holds its writes (the event loop goes on serving), and the
 * worker's RESTART or TRUNCATE checkpoint then copies only the frames added since its last PASSIVE one.
 */
export function startCheckpointer(
  file: string,
  busyTimeoutMs: number,
  options: CheckpointerOptions,
): Checkpointer {
  const limitBytes = options.walLimitBytes
  const walFile = `${file}-wal`
  const hardResetBytes = (limitBytes * 7) / 8
  let stopping = false
  let held: { promise: Promise<void>; release: () => void } | undefined
  let nextHardResetAt = 0
  let worker: Worker
  try {
    worker = new Worker(new URL('./checkpoint-worker.mjs', import.meta.url), {
      workerData: {
        file,
        intervalMs: INTERVAL_MS,
        checkpointBytes: limitBytes > 0 ? Math.min(CHECKPOINT_BYTES, limitBytes / 16) : CHECKPOINT_BYTES,
        resetBytes: limitBytes / 4,
        idleMs: IDLE_MS,
        resetWaitMs: Math.min(RESET_WAIT_MS, busyTimeoutMs),
      },
    })
  } catch {
    options.onFailure()
    return { holdCommits: () => undefined, stop: async () => {} }
  }
  worker.unref()

  const release = () => {
    const ending = held
    held = undefined
    ending?.release()
  }
  const hold = (): Promise<void> | undefined => {
    if (held) return held.promise
    if (stopping || !options.canHold()) return undefined
    let resolve!: () => void
    const promise = new Promise<void>((r) => (resolve = r))
    held = { promise, release: resolve }
    worker.postMessage('reset')
    return promise
  }

  worker.on('message', (message) => {
    if (message === 'reset-wanted') {
      if (!hold()) worker.postMessage('not-now')
    } else if (message === 'reset-done') {
      release()
    } else if (message === 'reset-failed') {
      // Another process's reader or writer held it up: let commits go on for a while before retrying.
      nextHardResetAt = Date.now() + INTERVAL_MS
      release()
    }
  })
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
  worker.once('exit', release)
  worker.once('error', () => {
    release()
    if (!stopping) options.onFailure()
  })

  return {
    holdCommits() {
      if (held) return held.promise
      if (limitBytes <= 0 || stopping) return undefined
      // A stat per group commit (a few µs): the bound holds even when the worker's thread falls behind
      // (under a write rate far above logins', or starved of CPU). An eighth of margin for the commits
      // in flight.
      if ((statSync(walFile, { throwIfNoEntry: false })?.size ?? 0) < hardResetBytes) return undefined
      if (Date.now() < nextHardResetAt) return undefined
      return hold()
    },
    async stop() {
      stopping = true
      // Unref'd so that it never keeps a process alive on its own; while stopping, it must.
      worker.ref()
      worker.postMessage('stop')
      await exited
    },
  }
}
