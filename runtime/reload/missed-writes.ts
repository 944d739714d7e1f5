import fs from 'node:fs'

/**
 * chokidar drops every `change` event of a file for 50 ms after it reported one (and fs.watch
 * callbacks for 5 ms), with no trailing event. A write in that window (the second half of a partial
 * write, the last of a burst of edits) would never be seen, and the app would keep serving the
 * state before it. So after each reported add or change, the file is stat'ed again once the window
 * has passed; if it differs from what the event saw, the write that was dropped is reported.
 */
export const CHOKIDAR_CHANGE_WINDOW_MS = 50
const RECHECK_AFTER_MS = CHOKIDAR_CHANGE_WINDOW_MS + 20

interface FileStamp {
  mtimeMs: number
  size: number
  ino: number
}

export class MissedWriteCheck {
  private readonly timers = new Map<string, NodeJS.Timeout>()
  private readonly onMissed: (file: string) => void
  private closed = false

  constructor(onMissed: (file: string) => void) {
    this.onMissed = onMissed
  }

  /** Called for each add or change chokidar reports, with the stats it saw (when it had them). */
  seen(file: string, stats: fs.Stats | undefined): void {
    if (this.closed) return
    const stamp = stats ? stampOf(stats) : readStamp(file)
    clearTimeout(this.timers.get(file))
    const timer = setTimeout(() => {
      this.timers.delete(file)
      if (this.closed) return
      const now = readStamp(file)
      if (!sameStamp(stamp, now)) this.onMissed(file)
    }, RECHECK_AFTER_MS)
    this.timers.set(file, timer)
  }

  close(): void {
    this.closed = true
    for (const timer of this.timers.values()) clearTimeout(timer)
    this.timers.clear()
  }
}

function stampOf(stats: fs.Stats): FileStamp {
  return { mtimeMs: stats.mtimeMs, size: stats.size, ino: stats.ino }
}

function readStamp(file: string): FileStamp | undefined {
  try {
    return stampOf(fs.statSync(file))
  } catch {
    return undefined
  }
}

function sameStamp(a: FileStamp | undefined, b: FileStamp | undefined): boolean {
  if (!a || !b) return a === b
  return a.mtimeMs === b.mtimeMs && a.size === b.size && a.ino === b.ino
}
