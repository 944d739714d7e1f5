import fs, { type Stats } from 'node:fs'
import path from 'node:path'
import { type FSWatcher, watch } from 'chokidar'
import { loadAppStack } from '../elements/apps.ts'
import type { Logger } from '../log.ts'
import { isIgnoredPath, isWatchedFile } from './paths.ts'
import type { ChangeKind } from './queue.ts'

/** Quiet time that ends a burst of events (an editor's save, a folder copy) before a reload. */
export const SETTLE_MS = 25
/** The longest a change waits for its burst to end. */
export const MAX_WAIT_MS = 250

/** A path under a watched root changed: a definition or code file, or a folder added or removed. */
export type FolderEvent = (kind: ChangeKind, file: string, stats?: Stats) => void

/**
 * Watches the folders of an app stack (the top app and every app it extends) for the files that
 * can change what the app serves, for both in-process hot reload (watch.ts) and the `jit dev`
 * supervisor. Files the runtime never reads are not reported; folder events are.
 */
export class AppFolderWatcher {
  private readonly watcher: FSWatcher
  private readonly roots: Set<string>

  private constructor(roots: Iterable<string>, onEvent: FolderEvent, log: Logger) {
    this.roots = new Set(roots)
    this.watcher = watch([...this.roots], {
      ignoreInitial: true,
      ignored: (file, stats) => isIgnoredPath(file, stats?.isFile()),
    })
    this.watcher.on('all', (event, file, stats?: Stats) => {
      const isFileEvent = event === 'add' || event === 'change' || event === 'unlink'
      if (isFileEvent && !isWatchedFile(file)) return
      onEvent(event as ChangeKind, file, stats)
    })
    this.watcher.on('error', (err) =>
      log.error(`file watcher: ${describeWatchError(err as NodeJS.ErrnoException)}`),
    )
  }

  /** Starts watching `roots`; resolves once the watcher is ready (later writes are reported). */
  static async start(roots: Iterable<string>, onEvent: FolderEvent, log: Logger): Promise<AppFolderWatcher> {
    const folders = new AppFolderWatcher(roots, onEvent, log)
    await new Promise<void>((resolve) => folders.watcher.once('ready', () => resolve()))
    return folders
  }

  /**
   * Watches `roots` from now on (app.json may name a new app to extend, or stop extending one).
   * Returns the roots it newly watches: chokidar sets one up asynchronously and does not report a
   * write in that time, so the caller reads them once more a little later.
   */
  follow(roots: Iterable<string>): string[] {
    const next = new Set(roots)
    const added = [...next].filter((root) => !this.roots.has(root))
    for (const root of added) this.watcher.add(root)
    for (const root of this.roots) if (!next.has(root)) this.watcher.unwatch(root)
    this.roots.clear()
    for (const root of next) this.roots.add(root)
    return added
  }

  close(): Promise<void> {
    return this.watcher.close()
  }
}

/** The top app's root and every app it extends, read from disk; only the top one when its app.json cannot be read. */
export function appStackRoots(appDir: string): string[] {
  const top = path.resolve(appDir)
  try {
    return [top, ...loadAppStack(top, fs).map((app) => app.root)]
  } catch {
    return [top]
  }
}

/** A path as log lines show it: relative to the working directory when inside it. */
export function shownPath(file: string): string {
  const rel = path.relative(process.cwd(), file)
  return rel.startsWith('..') ? file : rel
}

function describeWatchError(err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOSPC' || err.code === 'EMFILE') {
    return `${err.message}: the system limit on watched files is reached; raise fs.inotify.max_user_watches (Linux) or watch a smaller app folder`
  }
  return err.message
}
