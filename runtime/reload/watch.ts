import path from 'node:path'
import { watch } from 'chokidar'
import type { JitApp } from '../app.ts'
import type { Logger } from '../log.ts'

/** How long the watcher waits for a burst of events (an editor's save, a folder copy) to end. */
const SETTLE_MS = 25

export interface WatchOptions {
  /** Called when TypeScript under a watched app changed: it cannot be swapped in process. */
  onCodeChange?: (files: string[]) => void
}

/**
 * Watches every app folder of `app`'s stack and reloads the app after each burst of changes. Reloads
 * never overlap: changes that arrive during one are applied by the next. Returns once the watcher
 * is ready; `app.close()` stops it.
 */
export async function watchApp(app: JitApp, log: Logger, options: WatchOptions = {}): Promise<void> {
  const roots = app.current.registry.apps.map((a) => a.root)
  const watcher = watch(roots, {
    ignoreInitial: true,
    ignored: (file) => {
      const base = path.basename(file)
      return base === 'node_modules' || (base.startsWith('.') && base.length > 1)
    },
  })
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let pendingFiles = new Set<string>()
  let closed = false

  const run = async () => {
    while (pendingFiles.size > 0 && !closed) {
      const files = [...pendingFiles]
      pendingFiles = new Set()
      const code = files.filter((f) => f.endsWith('.ts') || f.endsWith('.tsx'))
      if (code.length > 0 && options.onCodeChange) options.onCodeChange(code)
      try {
        await app.reload()
      } catch (err) {
        log.error(`reload failed: ${(err as Error).message}`)
      }
    }
    running = undefined
  }
  const schedule = (file: string) => {
    pendingFiles.add(file)
    clearTimeout(timer)
    timer = setTimeout(() => {
      running ??= run()
    }, SETTLE_MS)
  }
  watcher.on('all', (_event, file) => schedule(file))
  watcher.on('error', (err) => log.error(`file watcher: ${(err as Error).message}`))
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()))
  app.onClose(async () => {
    closed = true
    clearTimeout(timer)
    await watcher.close()
    await running
  })
}
