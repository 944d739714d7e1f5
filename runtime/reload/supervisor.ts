import path from 'node:path'
import {
  BIND_HOST_ENV,
  BIND_PORT_ENV,
  CONSOLE_TOKEN_ENV,
  consoleBanner,
  newConsoleToken,
} from '../console/bind.ts'
import { FRAMEWORK_ROOT } from '../elements/apps.ts'
import { portInUse } from '../errors.ts'
import { consoleLogger, type Logger } from '../log.ts'
import { introducedProblems } from '../problems.ts'
import { AppProcess } from './app-process.ts'
import { AppFolderWatcher, appStackRoots, MAX_WAIT_MS, SETTLE_MS, shownPath } from './folder-watcher.ts'
import { isCodeFile } from './paths.ts'
import { DevProxy } from './proxy.ts'
import { type ChangeKind, ReloadQueue } from './queue.ts'
import { formatRestartLine } from './report.ts'

/** An app process that exits sooner than this after a restart for a crash is not restarted again. */
const CRASH_LOOP_MS = 5_000

/**
 * Who serves the public port. A process being started to replace it (`starting`) and the warm
 * standby are apart from this: the serving one keeps serving while they start.
 */
type Phase =
  /** Nobody serves: before the first start, after a failed start or a crash loop (a file change tries again). */
  | { kind: 'idle' }
  /** `live` serves; `afterCrash` when it was started because the one before it exited by itself. */
  | { kind: 'serving'; live: AppProcess; afterCrash: boolean }
  /** The serving process exited by itself; a new one is queued. */
  | { kind: 'crashed' }

export interface SuperviseDevOptions {
  /** The app root. Its folder and every app it extends are watched for code edits. */
  appDir: string
  /**
   * `node` arguments that run the app process: it serves HTTP on PORT/HOST (the supervisor sets
   * 127.0.0.1 and port 0) and calls `reportReadyToSupervisor` once it listens.
   */
  childArgs: string[]
  /** Default: `[jit]` lines on stdout and stderr. */
  log?: Logger
  /** The address browsers use. Default: PORT (3000) and HOST (127.0.0.1) from `env`. */
  port?: number
  host?: string
  /** The environment the app process starts with. Default `process.env`. */
  env?: NodeJS.ProcessEnv
  /** Default 60 s. */
  readyTimeoutMs?: number
  /** How long a replaced process may take to finish its requests before it is killed. Default 10 s. */
  stopTimeoutMs?: number
  /** Stop on SIGINT/SIGTERM. Default true. */
  handleSignals?: boolean
  /** Receives the app process's output instead of the terminal (tests). */
  childOutput?: (text: string, stream: 'stdout' | 'stderr') => void
}

export interface DevSupervisor {
  /** The address browsers use, e.g. `http://127.0.0.1:3000`. */
  readonly url: string
  readonly port: number
  /** The pid of the app process serving now, if one is. */
  readonly appPid: number | undefined
  /** Resolves once the supervisor has stopped (by `close()` or a signal). */
  readonly closed: Promise<void>
  close(): Promise<void>
}

/**
 * `jit dev`'s process model. Node cannot unload ES modules, so re-importing edited TypeScript in a
 * running process would grow its memory with every edit. Instead the app runs in a child process:
 * JSON edits reload inside it (hot reload, generations), and a code edit under an app root starts a
 * new child beside the running one. When the new one is ready, the public port forwards to it and the
 * old one finishes its requests and exits: memory stays flat, and no request is refused meanwhile.
 * A new process that brings new problems (a Type that no longer imports) is stopped instead, and the
 * previous one keeps serving. Prints one line per restart: what changed and how long it took.
 *
 * @example
 * // in `jit dev`, when not itself the supervised child (see isSupervised()):
 * const dev = await superviseDev({ appDir, childArgs: [jitBin, 'dev', appDir] })
 * await dev.closed
 */
export async function superviseDev(options: SuperviseDevOptions): Promise<DevSupervisor> {
  const env = options.env ?? process.env
  const host = options.host ?? env.HOST ?? '127.0.0.1'
  const port = options.port ?? Number(env.PORT ?? 3000)
  let proxy: DevProxy
  try {
    proxy = await DevProxy.listen(port, host)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE') throw portInUse(host, port, err)
    throw err
  }
  const supervisor = new Supervisor(options, env, host, proxy)
  await supervisor.begin()
  return supervisor
}

class Supervisor implements DevSupervisor {
  readonly url: string
  readonly closed: Promise<void>
  private readonly options: SuperviseDevOptions
  private readonly env: NodeJS.ProcessEnv
  private readonly proxy: DevProxy
  private readonly log: Logger
  private readonly queue: ReloadQueue
  private folders?: AppFolderWatcher
  private phase: Phase = { kind: 'idle' }
  private starting?: AppProcess
  /** A process started ahead with the framework's code imported, for the next restart (standby.ts). */
  private standby?: AppProcess
  private closing?: Promise<void>
  private resolveClosed!: () => void
  private readonly onSignal = () => void this.close()

  private readonly host: string

  constructor(options: SuperviseDevOptions, env: NodeJS.ProcessEnv, host: string, proxy: DevProxy) {
    this.options = options
    this.host = host
    // Every app process learns the address browsers use and shares one console token, so that the
    // console page keeps working across restarts.
    this.env = {
      ...env,
      [BIND_HOST_ENV]: host,
      [BIND_PORT_ENV]: String(proxy.port),
      [CONSOLE_TOKEN_ENV]: newConsoleToken(),
    }
    this.proxy = proxy
    this.log = options.log ?? consoleLogger
    const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host
    this.url = `http://${shownHost}:${proxy.port}`
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve
    })
    this.queue = new ReloadQueue((batch) => this.onChanges(batch), {
      settleMs: SETTLE_MS,
      maxWaitMs: MAX_WAIT_MS,
    })
  }

  get port(): number {
    return this.proxy.port
  }

  get appPid(): number | undefined {
    return this.live?.pid
  }

  /** The process serving now, if one does. */
  private get live(): AppProcess | undefined {
    return this.phase.kind === 'serving' ? this.phase.live : undefined
  }

  async begin(): Promise<void> {
    if (this.options.handleSignals !== false) {
      process.once('SIGINT', this.onSignal)
      process.once('SIGTERM', this.onSignal)
    }
    this.folders = await AppFolderWatcher.start(
      appStackRoots(this.options.appDir),
      (kind, file) => {
        // Folders matter to the app process's own reload, not to whether it needs replacing.
        if (kind === 'add' || kind === 'change' || kind === 'unlink') this.queue.add(file, kind)
      },
      this.log,
    )
    await this.replace([], 'start')
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      process.off('SIGINT', this.onSignal)
      process.off('SIGTERM', this.onSignal)
      const stopMs = this.stopTimeoutMs
      // A process still starting is stopped, so that waiting for its readiness ends at once.
      await Promise.all([this.starting?.stop(stopMs), this.live?.stop(stopMs), this.standby?.stop(stopMs)])
      await this.queue.close()
      await this.folders?.close()
      await this.proxy.close()
      this.resolveClosed()
    })()
    return this.closing
  }

  private get stopTimeoutMs(): number {
    return this.options.stopTimeoutMs ?? 10_000
  }

  private async onChanges(batch: ReadonlyMap<string, ChangeKind>): Promise<void> {
    if (this.closing) return
    const files = [...batch.keys()]
    if (files.some((file) => path.basename(file) === 'app.json')) {
      this.folders?.follow(appStackRoots(this.options.appDir))
    }
    const codeFiles = files.filter(isCodeFile)
    // Only files the app process imported need a new one: the bundler serves an edited browser file
    // from the running process, and a file nothing imported yet is read fresh when something does.
    const live = this.live
    const running = live ? codeFiles.filter((file) => live.runsCode(file)) : codeFiles
    // The standby imported the framework's code: an edit there makes it stale.
    if (running.some((file) => isInside(file, FRAMEWORK_ROOT))) await this.dropStandby()
    const code = running.map(shownPath)
    // A restart that was already under way when the process crashed may have replaced it by now
    // (the phase is then serving again). Should this one fail, the next change starts afresh.
    if (this.phase.kind === 'crashed') {
      this.phase = { kind: 'idle' }
      return this.replace(code, 'crash')
    }
    // After a failed start any change is worth another try; otherwise JSON is the app process's job.
    if (this.phase.kind === 'idle') return this.replace(code, 'start')
    if (code.length > 0) return this.replace(code, 'edit')
  }

  /** Starts a new app process and, once it is ready and acceptable, makes it the one that serves. */
  private async replace(files: string[], reason: 'start' | 'edit' | 'crash'): Promise<void> {
    try {
      await this.replaceNow(files, reason)
    } finally {
      // Once the old process is gone, so that no more than two app processes run at a time.
      this.prepareStandby()
    }
  }

  private async replaceNow(files: string[], reason: 'start' | 'edit' | 'crash'): Promise<void> {
    const started = performance.now()
    if (!this.live) this.proxy.pause(true)
    const next = this.takeStandby() ?? this.spawn(false)
    this.starting = next
    try {
      await next.whenReady(this.options.readyTimeoutMs ?? 60_000)
    } catch (err) {
      await next.stop(this.stopTimeoutMs)
      if (this.closing) return
      const fallback = this.live
        ? 'the previous app process keeps serving'
        : 'waiting for a file change to try again'
      this.log.error(`${(err as Error).message}; ${fallback}`)
      if (!this.live) this.proxy.pause(false)
      return
    } finally {
      this.starting = undefined
    }
    if (this.closing) {
      await next.stop(this.stopTimeoutMs)
      return
    }

    const introduced =
      this.live && reason === 'edit' ? introducedProblems(this.live.problems, next.problems) : []
    if (introduced.length > 0) {
      await next.stop(this.stopTimeoutMs)
      for (const problem of introduced) {
        this.log.warn(`code change refused, the previous app process keeps serving: ${problem.text}`)
      }
      return
    }
    const previous = this.live
    this.adopt(next, reason === 'crash')
    const ms = performance.now() - started
    if (reason === 'edit') this.log.info(formatRestartLine(files, ms))
    else if (reason === 'crash')
      this.log.info(`restarted in ${Math.round(ms)} ms after the app process exited`)
    else {
      this.log.info(`app process ready in ${Math.round(ms)} ms at ${this.url}`)
      if (!previous) this.announceConsole()
    }
    if (previous && (await previous.stop(this.stopTimeoutMs))) {
      this.log.warn(
        `the previous app process did not exit within ${this.stopTimeoutMs} ms of SIGTERM and was killed`,
      )
    }
  }

  private announced = false

  /** Where the console is, once; and that others can reach it when the bind host is not loopback. */
  private announceConsole(): void {
    if (this.announced) return
    this.announced = true
    const banner = consoleBanner(this.env.PUBLIC_URL ?? this.url, this.host)
    this.log.info(banner.info)
    if (banner.warning) this.log.warn(banner.warning)
  }

  private spawn(standby: boolean): AppProcess {
    return AppProcess.spawn({
      args: this.options.childArgs,
      env: this.env,
      publicUrl: this.url,
      output: this.options.childOutput,
      standby,
    })
  }

  /** Starts a standby process unless one is there (or the supervisor is closing). */
  private prepareStandby(): void {
    if (this.closing || (this.standby && !this.standby.hasExited)) return
    const standby = this.spawn(true)
    this.standby = standby
    void standby.exited.then(() => {
      if (this.standby === standby) this.standby = undefined
    })
  }

  private takeStandby(): AppProcess | undefined {
    const standby = this.standby
    this.standby = undefined
    if (!standby || standby.hasExited) return undefined
    standby.go()
    return standby
  }

  private async dropStandby(): Promise<void> {
    const standby = this.standby
    this.standby = undefined
    await standby?.stop(this.stopTimeoutMs)
  }

  private adopt(next: AppProcess, afterCrash: boolean): void {
    const phase: Phase = { kind: 'serving', live: next, afterCrash }
    this.phase = phase
    this.proxy.forwardTo(next.port)
    void next.exited.then((code) => {
      if (this.phase !== phase || next.stopRequested || this.closing) return
      const crashLoop = afterCrash && performance.now() - next.readyAt < CRASH_LOOP_MS
      if (crashLoop) {
        this.phase = { kind: 'idle' }
        this.log.error(`the app process exited (${code}) right after a restart; waiting for a file change`)
        this.proxy.pause(false)
        return
      }
      this.phase = { kind: 'crashed' }
      this.log.warn(`the app process exited (${code}); starting a new one`)
      this.proxy.pause(true)
      this.queue.add(this.options.appDir, 'change')
    })
  }
}

function isInside(file: string, dir: string): boolean {
  const rel = path.relative(dir, file)
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)
}
