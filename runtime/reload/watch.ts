import type { Logger } from '../log.ts'
import { isSupervised, reportProblems, sendToSupervisor } from './dev-child.ts'
import { AppFolderWatcher, MAX_WAIT_MS, SETTLE_MS, shownPath } from './folder-watcher.ts'
import { runsCode } from './loaded-code.ts'
import { MissedWriteCheck } from './missed-writes.ts'
import { isCodeFile } from './paths.ts'
import { type ChangeKind, ReloadQueue } from './queue.ts'
import { formatReloadLine } from './report.ts'
import type { ReloadResult, WatchedApp } from './result.ts'

/** How long a path counts as just changed: chokidar's change window and the missed-write recheck. */
const RECENT_MS = 150

export interface WatchOptions {
  /**
   * Called with edited TypeScript/JavaScript files this process imported (relative to the working
   * directory; every edited one when the process does not know what it imported): a running process
   * keeps the modules it imported, so such an edit needs a restart. Default: a warning, except under
   * the dev supervisor, which restarts the app for those edits by itself.
   */
  onCodeChange?: (files: string[]) => void
}

/**
 * Watches every app folder of `app`'s stack and reloads the app after each burst of changes to
 * e.json, business configs, code and app.json (a folder made or removed alone changes nothing).
 * Reloads never overlap: changes that arrive during one are applied by the next, so the last write
 * always wins. Each applied reload logs one line (what changed, how long it took); refused ones are
 * reported by the app. Returns once the watcher is ready; `app.close()` stops it and everything it
 * scheduled.
 *
 * @example
 * // what createApp({ appDir, watch: true }) does, with the app's roots, reload and events
 * await watchApp(watchedApp(app), logger)
 */
export async function watchApp(app: WatchedApp, log: Logger, options: WatchOptions = {}): Promise<void> {
  const supervised = isSupervised()
  const onCodeChange = options.onCodeChange ?? (supervised ? () => {} : warnCodeChange(log))

  // Paths with an event in the last moments. A reload reads again only the paths it is told changed,
  // and chokidar drops a file's further change events for 50 ms after reporting one: a write in that
  // window is caught by the missed-write check, but the paths stay "changed" until it has had its say.
  const recent = new Map<string, number>()
  // A folder made or removed alone changes nothing the app serves (data/ made for a SQLite file, an
  // editor's empty folder), and a rebuild would drop the in-memory state of every Instance: it does not
  // reload. The elements in it arrive or leave as file events (chokidar reports the files of a folder
  // moved in, and of one removed), and the folder rides along with the next reload, so that its
  // parent's cached listing is read again.
  const changedFolders = new Set<string>()
  const changedPaths = (batch: ReadonlyMap<string, ChangeKind>) => {
    const since = performance.now() - RECENT_MS
    for (const [file, at] of recent) if (at < since) recent.delete(file)
    const changed = new Set([...batch.keys(), ...recent.keys(), ...changedFolders])
    changedFolders.clear()
    return changed
  }

  const queue = new ReloadQueue(
    async (batch) => {
      const running: string[] = []
      const notRunning: string[] = []
      for (const [file, kind] of batch) {
        if (kind !== 'change' || !isCodeFile(file)) continue
        if (runsCode(file)) running.push(shownPath(file))
        else notRunning.push(shownPath(file))
      }
      if (running.length > 0) onCodeChange(running)
      if (notRunning.length > 0) {
        log.info(
          `${notRunning.join(', ')} changed: the server never imported it, so it applies without a restart (a browser bundle that includes it is rebuilt on its next request)`,
        )
      }
      const changed = changedPaths(batch)
      try {
        // After a refusal, read everything again: whatever was half-written is read whole.
        await app.reload(app.refusedReload ? undefined : changed)
      } catch (err) {
        log.error(`reload failed: ${(err as Error).message}`)
      }
    },
    { settleMs: SETTLE_MS, maxWaitMs: MAX_WAIT_MS },
  )
  const missed = new MissedWriteCheck((file) => queue.add(file, 'change'))

  const folders = await AppFolderWatcher.start(
    app.roots(),
    (kind, file, stats) => {
      const isFileEvent = kind === 'add' || kind === 'change' || kind === 'unlink'
      // Under the supervisor an edit to code this process imported restarts it; reloading first is
      // wasted work. Other code (browser code, a Type's file nothing imported yet) is this process's.
      if (supervised && isFileEvent && isCodeFile(file) && runsCode(file)) return
      if (kind === 'addDir' || kind === 'unlinkDir') {
        changedFolders.add(file)
        return
      }
      if (kind === 'add' || kind === 'change') missed.seen(file, stats)
      recent.set(file, performance.now())
      queue.add(file, kind)
    },
    log,
  )

  // app.json may name a new app to extend, or stop extending one: watch what the stack is now, and
  // read a new root once more when its watch should be set up (a write before that is not reported).
  let rescanTimer: NodeJS.Timeout | undefined
  const followAppStack = () => {
    const added = folders.follow(app.roots())
    if (added.length > 0) rescanTimer = setTimeout(() => queue.add(added[0], 'addDir'), MAX_WAIT_MS)
  }

  const announce = (result: ReloadResult & { applied: true }) => {
    followAppStack()
    log.info(formatReloadLine(result), {
      event: 'reload',
      outcome: 'applied',
      durationMs: Math.round(result.durationMs),
    })
    if (supervised) sendToSupervisor({ type: 'jit:problems', problems: reportProblems(app.problems) })
  }
  app.on('reload', announce)

  app.onClose(async () => {
    app.off('reload', announce)
    clearTimeout(rescanTimer)
    missed.close()
    await Promise.all([queue.close(), folders.close()])
  })
}

function warnCodeChange(log: Logger): (files: string[]) => void {
  return (files) =>
    log.warn(
      `${files.join(', ')} changed: a running process keeps the code it has imported, so restart to apply it (jit dev restarts by itself)`,
    )
}
