import type { Stats } from 'node:fs'
import path from 'node:path'
import { watch } from 'chokidar'
import type { Logger } from '../log.ts'
import { isSupervised, reportProblems, sendToSupervisor } from './dev-child.ts'
import { runsCode } from './loaded-code.ts'
import { MissedWriteCheck } from './missed-writes.ts'
import { isCodeFile, isIgnoredPath, isWatchedFile } from './paths.ts'
import { type ChangeKind, ReloadQueue } from './queue.ts'
import { formatReloadLine } from './report.ts'
import type { ReloadResult, WatchedApp } from './result.ts'

/** Quiet time that ends a burst of events (an editor's save, a folder copy) before a reload. */
export const SETTLE_MS = 25
/** The longest a change waits for its burst to end. */
export const MAX_WAIT_MS = 250
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
 * element folders, e.json, business configs and app.json. Reloads never overlap: changes that arrive
 * during one are applied by the next, so the last write always wins. Each applied reload logs one
 * line (what changed, how long it took); refused ones are reported by the app. Returns once the
 * watcher is ready; `app.close()` stops it and everything it scheduled.
 *
 * @example
 * // what createApp({ appDir, watch: true }) does, with the app's roots, reload and events
 * await watchApp(watchedApp(app), logger)
 */
export async function watchApp(app: WatchedApp, log: Logger, options: WatchOptions = {}): Promise<void> {
  const supervised = isSupervised()
  const onCodeChange = options.onCodeChange ?? (supervised ? () => {} : warnCodeChange(log))
  const watchedRoots = new Set(app.roots())

  // Paths with an event in the last moments. A reload reads again only the paths it is told changed,
  // and chokidar drops a file's further change events for 50 ms after reporting one: a write in that
  // window is caught by the missed-write check, but the paths stay "changed" until it has had its say.
  const recent = new Map<string, number>()
  const changedPaths = (batch: ReadonlyMap<string, ChangeKind>) => {
    const since = performance.now() - RECENT_MS
    for (const [file, at] of recent) if (at < since) recent.delete(file)
    return new Set([...batch.keys(), ...recent.keys()])
  }

  const queue = new ReloadQueue(
    async (batch) => {
      const running: string[] = []
      const notRunning: string[] = []
      for (const [file, kind] of batch) {
        if (kind !== 'change' || !isCodeFile(file)) continue
        if (runsCode(file)) running.push(relative(file))
        else notRunning.push(relative(file))
      }
      if (running.length > 0) onCodeChange(running)
      if (notRunning.length > 0) {
        log.info(
          `${notRunning.join(', ')} changed: the server never imported it, so it applies without a restart (a browser bundle that includes it is rebuilt on its next request)`,
        )
      }
      try {
        // After a refusal, read everything again: whatever was half-written is read whole.
        await app.reload(app.refusedReload ? undefined : changedPaths(batch))
      } catch (err) {
        log.error(`reload failed: ${(err as Error).message}`)
      }
    },
    { settleMs: SETTLE_MS, maxWaitMs: MAX_WAIT_MS },
  )
  const missed = new MissedWriteCheck((file) => queue.add(file, 'change'))

  const watcher = watch([...watchedRoots], {
    ignoreInitial: true,
    ignored: (file, stats) => isIgnoredPath(file, stats?.isFile()),
  })
  watcher.on('all', (event, file, stats?: Stats) => {
    const isFileEvent = event === 'add' || event === 'change' || event === 'unlink'
    if (isFileEvent && !isWatchedFile(file)) return
    // Under the supervisor an edit to code this process imported restarts it; reloading first is wasted
    // work. Other code (browser code, a Type's file nothing imported yet) is this process's to apply.
    if (supervised && isFileEvent && isCodeFile(file) && runsCode(file)) return
    if (event === 'add' || event === 'change') missed.seen(file, stats)
    recent.set(file, performance.now())
    queue.add(file, event as ChangeKind)
  })
  watcher.on('error', (err) => log.error(`file watcher: ${describeWatchError(err as NodeJS.ErrnoException)}`))

  // app.json may name a new app to extend, or stop extending one: watch what the stack is now.
  // chokidar sets up a new root asynchronously, and a write in that time is not reported, so the
  // app is read once more when the new root should be watched.
  const followAppStack = () => {
    const roots = new Set(app.roots())
    const added = [...roots].filter((root) => !watchedRoots.has(root))
    for (const root of added) watcher.add(root)
    for (const root of watchedRoots) if (!roots.has(root)) watcher.unwatch(root)
    watchedRoots.clear()
    for (const root of roots) watchedRoots.add(root)
    if (added.length > 0) rescanTimer = setTimeout(() => queue.add(added[0], 'addDir'), MAX_WAIT_MS)
  }
  let rescanTimer: NodeJS.Timeout | undefined

  const announce = (result: ReloadResult & { applied: true }) => {
    followAppStack()
    log.info(formatReloadLine(result))
    if (supervised) sendToSupervisor({ type: 'jit:problems', problems: reportProblems(app.problems) })
  }
  app.on('reload', announce)

  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()))
  app.onClose(async () => {
    app.off('reload', announce)
    clearTimeout(rescanTimer)
    missed.close()
    await Promise.all([queue.close(), watcher.close()])
  })
}

function warnCodeChange(log: Logger): (files: string[]) => void {
  return (files) =>
    log.warn(
      `${files.join(', ')} changed: a running process keeps the code it has imported, so restart to apply it (jit dev restarts by itself)`,
    )
}

function describeWatchError(err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOSPC' || err.code === 'EMFILE') {
    return `${err.message}: the system limit on watched files is reached; raise fs.inotify.max_user_watches (Linux) or watch a smaller app folder`
  }
  return err.message
}

function relative(file: string): string {
  const rel = path.relative(process.cwd(), file)
  return rel.startsWith('..') ? file : rel
}
