// A worker thread that folds a database's WAL back into its file. A checkpoint fsyncs the WAL and the
// file; run by SQLite's automatic checkpoint, it would do so inside whichever commit crossed the
// threshold, on the thread that serves requests. Plain JavaScript: worker threads do not inherit the
// TypeScript loader.
//
// PASSIVE checkpoints never wait for anyone, but they never reset the WAL either: SQLite starts the
// WAL over only when a writer begins after a checkpoint has copied every frame, and with commits
// arriving every turn of the event loop one always lands first, so the file grows without end. So,
// with a bound set, the worker asks the connection's thread to hold its commits ('reset-wanted'),
// and once they are held ('reset') it runs a TRUNCATE checkpoint, which empties the WAL file, and
// answers 'reset-done' ('reset-failed' when another process held it up). It asks when the WAL
// passes `resetBytes`, and when the WAL has stopped changing for `idleMs` (so that it shrinks back
// after a burst). The thread also asks by itself, before a commit, when the WAL has reached the
// hard limit (checkpointer.ts).
import { statSync } from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'
import Database from 'better-sqlite3'

const { file, intervalMs, checkpointBytes, resetBytes, idleMs, resetWaitMs } = workerData
const bounded = resetBytes > 0
const db = new Database(file, { timeout: resetWaitMs })
const walFile = `${file}-wal`

/** Size and modification time of the WAL, or undefined when there is none. */
function walState() {
  const stat = statSync(walFile, { throwIfNoEntry: false })
  return stat && stat.size > 0 ? { size: stat.size, mtimeMs: stat.mtimeMs } : undefined
}

function checkpoint(mode) {
  try {
    db.pragma(`wal_checkpoint(${mode})`)
  } catch {
    // Busy or closing: the next tick tries again.
  }
}

let last
let changedAt = Date.now()
let resetAsked = false

const timer = setInterval(() => {
  const wal = walState()
  const now = Date.now()
  if (!wal || !last || wal.size !== last.size || wal.mtimeMs !== last.mtimeMs) changedAt = now
  last = wal
  if (!wal) return
  const idle = now - changedAt >= idleMs
  if (bounded && !resetAsked && (wal.size >= resetBytes || idle)) {
    // Copy the bulk now, while commits go on, so that they are held only for the frames added since.
    checkpoint('PASSIVE')
    resetAsked = true
    // An idle WAL that cannot be emptied (another process reads it) is tried again after idleMs.
    changedAt = now
    parentPort.postMessage('reset-wanted')
    return
  }
  if (wal.size >= checkpointBytes) checkpoint('PASSIVE')
}, intervalMs)

parentPort.on('message', (message) => {
  if (message === 'reset') {
    // Our own process's commits are held; another process's writer or reader is waited for up to
    // resetWaitMs, then this gives up until the next request.
    let emptied = false
    try {
      emptied = db.pragma('wal_checkpoint(TRUNCATE)')[0].busy === 0
    } catch {
      // Busy or closing: the next request tries again.
    }
    resetAsked = false
    parentPort.postMessage(emptied ? 'reset-done' : 'reset-failed')
  } else if (message === 'not-now') {
    resetAsked = false
  } else if (message === 'stop') {
    clearInterval(timer)
    db.close()
    parentPort.close()
  }
})
