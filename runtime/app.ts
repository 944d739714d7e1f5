import { EventEmitter } from 'node:events'
import fs from 'node:fs'
import path from 'node:path'
import { type AppState, kState } from './app-state.ts'
import type { Env } from './config/load.ts'
import type { AppInfo, TypeDefinition } from './define.ts'
import { type AppManifest, loadAppStack } from './elements/apps.ts'
import type { ElementDefine } from './elements/define-schema.ts'
import { CachingFileSystem } from './elements/file-cache.ts'
import { Generation } from './elements/generation.ts'
import { createHandle } from './elements/handle.ts'
import { problemsAgainst } from './elements/reload-guards.ts'
import type { RegisteredElement } from './elements/resolve.ts'
import { ResourcePool } from './elements/resource-pool.ts'
import { type Layer, type ScanFileSystem, scanAppFolder } from './elements/scan.ts'
import { JitError } from './errors.ts'
import { consoleLogger, type Logger } from './log.ts'
import { AppMetrics } from './metrics/app-metrics.ts'
import { introducedProblems, type ProblemLine } from './problems.ts'
import type { JitAppEvents, ReloadResult, WatchedApp } from './reload/result.ts'

export interface CreateAppOptions {
  /** The user's app root (the folder holding app.json). */
  appDir: string
  /** Overrides the file of `databases.Default`: a SQLite file path, or ':memory:'. */
  database?: string
  /** Hot reload: watch the app folders and apply edits while running. Default false. */
  watch?: boolean
  /** Where `${NAME}` placeholders are read from. Default `process.env`. */
  env?: Env
  /** Default: `production` when NODE_ENV is production, else `development`. */
  mode?: AppInfo['mode']
  /** Default: `[jit]` lines on stdout and stderr. */
  logger?: Logger
  /** The app's metrics registry. Default: a new one for this app. */
  metrics?: AppMetrics
  /** The URL browsers reach the app at (default: `PUBLIC_URL` from env). */
  publicUrl?: string
  /**
   * Import the code of every Type, used or not. Default false: a Type no Instance uses is imported
   * only when it belongs to the user's own apps. `jit check` and `jit sandbox` turn it on.
   */
  importEveryType?: boolean
  /**
   * Check without side effects: Types see `dryRun` in their prepare and load, and create or change
   * nothing (no database file, no table or column). `jit check` turns it on.
   */
  dryRun?: boolean
  /** Runtime values set over Instances' written configs; used by `jit dev` to point Types at their sandboxes. */
  configOverrides?: ConfigOverride
}

export type ConfigOverride = (
  element: { fullName: string; chain: readonly string[] },
  type: TypeDefinition<any, any>,
  written: Readonly<Record<string, unknown>>,
  env: Env,
) => Readonly<Record<string, unknown>> | undefined

export interface ElementListing {
  fullName: string
  title: string
  layer: Layer
  type: string
  /** `orgId.name` of the app the element's definition comes from. */
  app: string
  /** The app whose element of the same name this one overrides. */
  overrides?: string
  /** For a Type's child: the Type it belongs to (it is reached through that Type's Instances). */
  scopedTo?: string
  /** The Instance's business config without secret fields. */
  config?: Readonly<Record<string, unknown>>
  problem?: { code: string; message: string }
}

/**
 * A running app: the elements of the app folder and every app it extends, served through
 * `getElement`. Build one with `createApp`.
 */
export class JitApp extends EventEmitter<JitAppEvents> {
  readonly appDir: string
  private generation: Generation
  private readonly handles = new Map<string, unknown>()
  private readonly options: ResolvedOptions
  /** What the last build read from disk; a reload told what changed reads only that again. */
  private files: CachingFileSystem
  private lastRefusal?: JitError[]
  private closing?: Promise<void>
  private readonly closeHooks: Array<() => void | Promise<void>> = []

  /** @internal use createApp */
  constructor(generation: Generation, options: ResolvedOptions, files: CachingFileSystem) {
    super()
    this.generation = generation
    this.options = options
    this.files = files
    this.appDir = options.appDir
    const app = this
    this[kState] = {
      resolve: (fullName) => app.generation.resolve(fullName),
      get definition() {
        return app.generation
      },
    }
  }

  /** @internal the runtime's own view of the app (app-state.ts), for its HTTP and reload layers */
  readonly [kState]: AppState

  /** The app's identity and mode. */
  get info(): AppInfo {
    return this.generation.app
  }

  /** The runtime's log sink. */
  get logger(): Logger {
    return this.options.logger
  }

  /** The app's Prometheus metrics (served by `jit start` on `METRICS_PORT` or behind `METRICS_TOKEN`). */
  get metrics(): AppMetrics {
    return this.options.metrics
  }

  /** Every problem of the current definition (the elements that have one are unusable). */
  get problems(): readonly JitError[] {
    return this.generation.problems
  }

  /** The problems of the last refused reload, until a reload applies. */
  get refusedReload(): readonly JitError[] | undefined {
    return this.lastRefusal
  }

  /**
   * The element named `fullName`, as a stable handle that follows hot reloads. Synchronous.
   * Throws `ElementNotFoundError` (JIT_ELEMENT_NOT_FOUND, with a "did you mean") for an unknown
   * name, and the element's own error when it failed to load.
   *
   * @example
   * const svc = app.getElement('auths.loginTypes.MyWechatLogin.services.WechatPublicAuthSvc')
   * const user = await svc.getUserInfo(code)
   */
  getElement<T = any>(fullName: string): T {
    const existing = this.handles.get(fullName)
    this.generation.load(fullName)
    if (existing) return existing as T
    const handle = createHandle(fullName, () => this.generation)
    this.handles.set(fullName, handle)
    return handle as T
  }

  /** The e.json content of an element, without loading it. */
  getElementDefine(fullName: string): Readonly<ElementDefine> {
    const resolved = this.generation.resolve(fullName) ?? this.generation.require(fullName)
    return resolved.element.define
  }

  /** Every element visible from this app, sorted by fullName. */
  listElements(): ElementListing[] {
    const listing: ElementListing[] = []
    const generation = this.generation
    for (const { element, problem, publicConfig } of generation.records()) {
      if (!generation.registry.isVisible(element)) continue
      listing.push({
        fullName: element.fullName,
        title: element.define.title,
        layer: element.layer,
        type: element.define.type,
        app: element.app.id,
        overrides: element.overrides?.app.id,
        scopedTo: element.scopedTo,
        config: element.layer === 'Instance' ? publicConfig : undefined,
        problem: problem && { code: problem.code, message: problem.message },
      })
    }
    return listing.sort((a, b) => a.fullName.localeCompare(b.fullName))
  }

  /**
   * Rebuilds the registry from disk beside the current one and swaps only if the result is whole:
   * a change that breaks an element that worked (or adds a broken one) is refused, and the last good
   * definition stays in service. Given the paths that changed (the watcher knows them), only those
   * are read again; without them, everything is.
   */
  async reload(changed?: Iterable<string>): Promise<ReloadResult> {
    const started = performance.now()
    if (changed) this.files.invalidate(changed)
    else this.files = new CachingFileSystem(this.options.fs)
    let next: Generation
    try {
      next = await buildGeneration(this.options, this.files)
    } catch (err) {
      const problem =
        err instanceof JitError ? err : new JitError('JIT_RELOAD_REFUSED', (err as Error).message)
      return this.refuse([problem], started)
    }
    // Problems the running definition already has (an element that was already broken) do not block;
    // a problem this change brings in does.
    const current = this.generation
    const introduced = [
      ...introducedProblems(current.problems.map(problemLine), next.problems.map(problemLine)).map(
        (line) => line.problem,
      ),
      ...problemsAgainst(current, next),
    ]
    if (introduced.length > 0) {
      await next.dispose()
      return this.refuse(introduced, started)
    }
    const previous = this.generation
    const diff = diffGenerations(previous, next)
    const endsRefusal = this.lastRefusal !== undefined
    this.generation = next
    this.lastRefusal = undefined
    void previous.retire()
    const result = { applied: true as const, ...diff, durationMs: performance.now() - started }
    // A rebuild that changes nothing (an editor's probe file, a save of the same bytes) is no news,
    // unless it ends a refusal: listeners count reloads, and "the next valid write applies once".
    const changedSomething = diff.added.length + diff.removed.length + diff.changed.length > 0
    if (changedSomething || endsRefusal) {
      this.options.metrics.reloaded('applied')
      this.emit('reload', result)
    }
    return result
  }

  /** Registers something to close with the app (a watcher, a server). */
  onClose(hook: () => void | Promise<void>): void {
    this.closeHooks.push(hook)
  }

  /** Stops watching, waits for calls in flight, disposes every element and closes shared resources. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const hook of this.closeHooks.splice(0).reverse()) await hook()
      await this.generation.retire()
      await this.options.resources.closeAll()
    })()
    return this.closing
  }

  private refuse(problems: JitError[], started: number): ReloadResult {
    this.lastRefusal = problems
    this.options.metrics.reloaded('refused')
    for (const problem of problems) {
      this.options.logger.warn(`reload refused, the last good definition stays: ${problem.format()}`, {
        event: 'reload',
        outcome: 'refused',
        errorCode: problem.code,
      })
      if (this.listenerCount('error') > 0) this.emit('error', problem)
    }
    return { applied: false, problems, durationMs: performance.now() - started }
  }
}

function problemLine(problem: JitError): ProblemLine & { problem: JitError } {
  return { element: problem.element, text: problem.format(), problem }
}

function diffGenerations(before: Generation, after: Generation) {
  const added: string[] = []
  const removed: string[] = []
  const changed: string[] = []
  const fingerprint = (generation: Generation, element: RegisteredElement) =>
    `${element.source}\u0000${element.files.join('/')}\u0000${generation.record(element.fullName)?.config?.source ?? ''}\u0000${element.app.id}`
  for (const [name, element] of after.registry.elements) {
    const old = before.registry.elements.get(name)
    if (!old) added.push(name)
    else if (fingerprint(before, old) !== fingerprint(after, element)) changed.push(name)
  }
  for (const name of before.registry.elements.keys())
    if (!after.registry.elements.has(name)) removed.push(name)
  return { added, removed, changed }
}

interface ResolvedOptions {
  appDir: string
  env: Env
  mode: AppInfo['mode']
  logger: Logger
  metrics: AppMetrics
  fs: ScanFileSystem
  resources: ResourcePool
  publicUrl?: string
  configOverrides?: ConfigOverride
  importEveryType?: boolean
  dryRun?: boolean
}

async function buildGeneration(options: ResolvedOptions, files: ScanFileSystem): Promise<Generation> {
  const apps: AppManifest[] = loadAppStack(options.appDir, files)
  const scanned = apps.map((app) => scanAppFolder(app.root, files))
  return Generation.build(apps, scanned, {
    fs: files,
    env: options.env,
    mode: options.mode,
    log: options.logger,
    metrics: options.metrics,
    resources: options.resources,
    publicUrl: options.publicUrl,
    importEveryType: options.importEveryType,
    dryRun: options.dryRun,
    configOverrides:
      options.configOverrides &&
      ((element, type, written) =>
        options.configOverrides!(
          { fullName: element.fullName, chain: element.chain ?? [] },
          type,
          written,
          options.env,
        )),
  })
}

/**
 * Loads an app: reads its folder and every app it extends, resolves every element's type, validates
 * every config, and returns the running app. Elements with problems are reported (and throw their
 * error from getElement); the others work.
 *
 * @example
 * const app = await createApp({ appDir: 'app' })
 * app.getElement('services.HelloSvc').hello('world')
 */
export async function createApp(options: CreateAppOptions): Promise<JitApp> {
  const env = options.env ?? process.env
  const resolved: ResolvedOptions = {
    appDir: path.resolve(options.appDir),
    env,
    mode: options.mode ?? (env.NODE_ENV === 'production' ? 'production' : 'development'),
    logger: options.logger ?? consoleLogger,
    metrics: options.metrics ?? new AppMetrics(),
    fs,
    resources: new ResourcePool(),
    publicUrl: options.publicUrl ?? env.PUBLIC_URL,
    configOverrides: combineOverrides(options),
    importEveryType: options.importEveryType,
    dryRun: options.dryRun,
  }
  const files = new CachingFileSystem(fs)
  const generation = await buildGeneration(resolved, files)
  const app = new JitApp(generation, resolved, files)
  for (const problem of generation.problems) resolved.logger.warn(problem.format())
  if (options.watch) {
    const { watchApp } = await import('./reload/watch.ts')
    await watchApp(watchedApp(app), resolved.logger)
  }
  return app
}

/** The app as the hot-reload watcher sees it. */
function watchedApp(app: JitApp): WatchedApp {
  return {
    roots: () => [app.appDir, ...app[kState].definition.roots],
    reload: (changed) => app.reload(changed),
    get refusedReload() {
      return app.refusedReload
    },
    get problems() {
      return app.problems
    },
    on: (event, listener) => void app.on(event, listener),
    off: (event, listener) => void app.off(event, listener),
    onClose: (hook) => app.onClose(hook),
  }
}

function combineOverrides(options: CreateAppOptions): ConfigOverride | undefined {
  const database = options.database
  const extra = options.configOverrides
  if (database === undefined) return extra
  return (element, type, written, env) => {
    const own = extra?.(element, type, written, env)
    if (element.fullName !== 'databases.Default') return own
    // A path handed to createApp is the caller's, relative to its working directory (the Type
    // resolves a file written in the config against the app folder instead).
    return { ...own, file: database === ':memory:' ? database : path.resolve(database) }
  }
}
