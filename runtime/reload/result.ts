import type { JitError } from '../errors.ts'

/** What a reload did: applied (with what changed), or refused (with the problems that refused it). */
export type ReloadResult =
  | { applied: true; added: string[]; removed: string[]; changed: string[]; durationMs: number }
  | { applied: false; problems: JitError[]; durationMs: number }

/** The events of a running app: each applied reload that changed something, each refused change. */
export interface JitAppEvents {
  reload: [ReloadResult & { applied: true }]
  error: [JitError]
}

/** What the hot-reload watcher needs of an app (watch.ts): kept narrow, so that it needs no app.ts. */
export interface WatchedApp {
  /** The folders to watch: the top app's root first (its app.json decides the rest), then the stack's. */
  roots(): string[]
  /** Rebuilds from disk (only `changed` read again, when given); see JitApp.reload. */
  reload(changed?: Iterable<string>): Promise<ReloadResult>
  readonly refusedReload: readonly JitError[] | undefined
  readonly problems: readonly JitError[]
  on(event: 'reload', listener: (result: ReloadResult & { applied: true }) => void): void
  off(event: 'reload', listener: (result: ReloadResult & { applied: true }) => void): void
  /** Registers something to close with the app. */
  onClose(hook: () => void | Promise<void>): void
}
