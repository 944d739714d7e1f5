import { Worker } from 'node:worker_threads'

/** SQLite's own automatic checkpoint runs at 1,000 pages of WAL: about this many bytes. */
const THRESHOLD_BYTES = 4 * 1024 * 1024
const INTERVAL_MS = 200

export interface Checkpointer {
  /** Stops the worker and waits for it to close its connection. */
  stop(): Promise<void>
}

/**
 * Moves a database's WAL checkpoints off the event loop: the caller turns SQLite's automatic
 * checkpoint off on its connection, and a worker thread checkpoints instead (checkpoint-worker.mjs).
 * `onFailure` runs if the worker cannot start or dies, so the caller can turn the automatic
 * checkpoint back on rather than let the WAL grow.
 */
export function startCheckpointer(file: string, busyTimeoutMs: number, onFailure: () => void): Checkpointer {
  let stopping = false
  let worker: Worker | undefined
  try {
    worker = new Worker(new URL('./checkpoint-worker.mjs', import.meta.url), {
      workerData: { file, intervalMs: INTERVAL_MS, thresholdBytes: THRESHOLD_BYTES, busyTimeoutMs },
    })
  } catch {
    onFailure()
    return { stop: async () => {} }
  }
  worker.unref()
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
  worker.once('error', () => {
    if (!stopping) onFailure()
  })
  return {
    async stop() {
      stopping = true
      // Unref'd so that it never keeps a process alive on its own; while stopping, it must.
      worker.ref()
      worker.postMessage('stop')
      await exited
    },
  }
}
