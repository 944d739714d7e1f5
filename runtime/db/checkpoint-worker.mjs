// A worker thread that folds a database's WAL back into its file. A checkpoint fsyncs the WAL and the
// file; run by SQLite's automatic checkpoint, it would do so inside whichever commit crossed the
// threshold, on the thread that serves requests. Plain JavaScript: worker threads do not inherit the
// TypeScript loader.
//
// PASSIVE checkpoints never wait for anyone, but they never reset the WAL either: SQLite starts the
// WAL over only when a writer begins after a checkpoint has copied every frame, and with commits
// arriving every turn of the event loop one always lands first, so the file grows without end. So,
// with a bound set, the worker asks the connection's thread to hold its commits ('reset-wanted');
// once they are held ('reset') it checkpoints what is left and answers 'reset-done' ('reset-failed'
// when another process held it up). Past `resetBytes` of frames it runs a RESTART checkpoint: the next
// commit writes the WAL from its start again, and the file keeps its size (truncating a large file
// costs tens of ms, RESTART a few). When the WAL has not changed for `idleMs`, and when the thread asks
// by itself (a commit found the file at the hard limit, checkpointer.ts), it runs TRUNCATE, which
// empties the file.
import { statSync } from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'
import Database from 'better-sqlite3'

const { file, intervalMs, checkpointBytes, resetBytes, idleMs, resetWaitMs } = workerData
const bounded = resetBytes > 0
const db = new Database(file, { timeout: resetWaitMs })
const walFile = `${file}-wal`
/** A WAL frame: the page and its 24-byte header. */
const frameBytes = db.pragma('page_size', { simple: true }) + 24

/** Size and modification time of the WAL file, or undefined when there is none. */
function walState() {
  const stat = statSync(walFile, { throwIfNoEntry: false })
  return stat && stat.size > 0 ? { size: stat.size, mtimeMs: stat.mtimeMs } : undefined
}

/** The checkpoint's result ({ busy, log, checkpointed }, in frames), or undefined if it failed. */
function checkpoint(mode) {
  try {
    return db.pragma(`wal_checkpoint(${mode})`)[0]
  } catch {
    // Busy or closing: the next tick tries again.
    return undefined
  }
}

let last
let changedAt = Date.now()
/** The checkpoint the next reset runs: set when the worker asks for one; TRUNCATE when the thread does. */
let resetMode

function askForReset(mode) {
  resetMode = mode
  parentPort.postMessage('reset-wanted')
}

const timer = setInterval(() => {
  const wal = walState()
  const now = Date.now()
  if (!wal || !last || wal.size !== last.size || wal.mtimeMs !== last.mtimeMs) changedAt = now
  last = wal
  if (!wal || resetMode) return
  if (bounded && now - changedAt >= idleMs) {
    // An idle WAL that cannot be emptied (another process reads it) is tried again after idleMs.
    changedAt = now
    askForReset('TRUNCATE')
    return
  }
  if (wal.size < checkpointBytes) return
  // The file keeps its size after a RESTART: the frames in use are what counts. This PASSIVE copied
  // them, while commits went on; the reset, while they are held, copies only those added meanwhile.
  const frames = checkpoint('PASSIVE')?.log ?? 0
  if (bounded && frames * frameBytes >= resetBytes) askForReset('RESTART')
}, intervalMs)

parentPort.on('message', (message) => {
  if (message === 'reset') {
    // This process's commits are held; another process's writer or readers are waited for up to
    // resetWaitMs, then this gives up until the next request.
    const result = checkpoint(resetMode ?? 'TRUNCATE')
    resetMode = undefined
    parentPort.postMessage(result?.busy === 0 ? 'reset-done' : 'reset-failed')
  } else if (message === 'not-now') {
    resetMode = undefined
  } else if (message === 'stop') {
    clearInterval(timer)
    db.close()
    parentPort.close()
  }
})
