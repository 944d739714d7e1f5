// A worker thread that folds a database's WAL back into its file once the WAL has grown past a
// threshold. A checkpoint fsyncs the WAL and the file; run by SQLite's automatic checkpoint, it
// would do so inside whichever commit crossed the threshold, on the thread that serves requests.
// PASSIVE checkpoints never wait for writers or readers, so this thread never holds anyone up.
// Plain JavaScript: worker threads do not inherit the TypeScript loader.
import { statSync } from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'
import Database from 'better-sqlite3'

const { file, intervalMs, thresholdBytes, busyTimeoutMs } = workerData
const db = new Database(file, { timeout: busyTimeoutMs })
const walFile = `${file}-wal`

function walSize() {
  try {
    return statSync(walFile).size
  } catch {
    return 0
  }
}

const timer = setInterval(() => {
  if (walSize() < thresholdBytes) return
  try {
    db.pragma('wal_checkpoint(PASSIVE)')
  } catch {
    // Busy or closing: the next tick tries again.
  }
}, intervalMs)

parentPort.on('message', (message) => {
  if (message !== 'stop') return
  clearInterval(timer)
  db.close()
  parentPort.close()
})
