/**
 * The database unusable under a real `jit start`, then usable again: PostgreSQL crashing (an
 * immediate stop, as a crash or a restart does) and coming back, or SQLite's disk filling up and being
 * freed. What a person sees: login starts and callbacks get the 503 "Sign-in is unavailable" page
 * with Retry-After, never a 500; /healthz fails; the log has one error line for the outage, not one
 * per request; the process stays up; and once the fault clears it logs people in again by itself.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import type { RunningWechatSandbox } from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { get, login, startAndAllow } from './login-client.ts'
import { INSTANCE_PATH, startTarget, type TargetApp, type TargetDatabase, writeTargetApp } from './target.ts'

/** A PostgreSQL server the scenario may stop and start (test/helpers/postgres-server.ts makes one). */
export interface ControlledPostgres {
  readonly url: string
  crash(): void
  start(): void
}

export type OutageKind =
  | { kind: 'postgres-down'; postgres: ControlledPostgres }
  | { kind: 'sqlite-disk-full' }

export interface OutageOptions {
  sandbox: RunningWechatSandbox
  outage: OutageKind
  /** Login starts tried while it lasts. */
  attemptsWhileDown: number
}

export interface OutageReport {
  loggedInBefore: boolean
  /** Answers while down, by status. */
  whileDown: Record<string, number>
  /** Of the 503s while down, how many were the sign-in page, with Retry-After and no cookie. */
  unavailablePages: number
  /** A login started before the fault, its callback delivered during it. */
  pendingCallbackStatus: number
  healthzWhileDown: number
  /** Error lines the process logged from the fault to the recovery. */
  errorLines: string[]
  /** The line that says writes succeed again. */
  recoveryLogged: boolean
  /** Logins after the fault cleared, with no restart of `jit start`. */
  loggedInAfter: boolean
  /** Whether `jit start` was still the same process at the end. */
  stayedUp: boolean
  /** Whether the process printed the database password during the outage. */
  passwordInOutput: boolean
}

interface Fault {
  database: TargetDatabase
  /** Before the app starts (a mount for its data folder, say). */
  prepare(app: TargetApp): void
  start(): Promise<void>
  clear(): void
  cleanup(): void
}

export async function runDatabaseOutage(options: OutageOptions): Promise<OutageReport> {
  const { sandbox } = options
  const fault = faultOf(options.outage)
  const password =
    options.outage.kind === 'postgres-down'
      ? decodeURIComponent(new URL(options.outage.postgres.url).password)
      : ''
  const app = writeTargetApp({ sandbox, database: fault.database })
  fault.prepare(app)
  let target: Awaited<ReturnType<typeof startTarget>> | undefined
  try {
    target = await startTarget(app, { RATE_LIMIT: 'off', OVERLOAD: 'off' })
    let exited = false
    target.exited.then(() => {
      exited = true
    })
    const url = target.url
    const loggedInBefore = await login(url, sandbox, 'lin').then(
      () => true,
      () => false,
    )
    const pending = await startAndAllow(url, sandbox, 'momo')
    const outputBefore = target.output().length

    await fault.start()
    const whileDown: Record<string, number> = {}
    let unavailablePages = 0
    for (let i = 0; i < options.attemptsWhileDown; i++) {
      const answer = await get(url, `${INSTANCE_PATH}/login?redirectUrl=%2Fdone`)
      whileDown[answer.status] = (whileDown[answer.status] ?? 0) + 1
      if (
        answer.status === 503 &&
        answer.body.includes('<h1>Sign-in is unavailable right now</h1>') &&
        answer.cookies.size === 0
      )
        unavailablePages++
    }
    const pendingCallbackStatus = (await get(url, pending.callback, pending.cookies)).status
    const healthzWhileDown = (await get(url, '/healthz')).status

    fault.clear()
    // /healthz finds the recovery by itself (a balancer would poll it the same way).
    while ((await get(url, '/healthz')).status !== 200)
      await new Promise((resolve) => setTimeout(resolve, 200))
    const loggedInAfter = await login(url, sandbox, 'kai').then(
      () => true,
      () => false,
    )
    const during = target.output().slice(outputBefore)
    const lines = during.split('\n').filter((line) => line.trim() !== '')
    return {
      loggedInBefore,
      whileDown,
      unavailablePages,
      pendingCallbackStatus,
      healthzWhileDown,
      errorLines: lines.filter((line) => /"level":"(error|fatal)"/.test(line)),
      recoveryLogged: lines.some((line) => line.includes('writes succeed again')),
      loggedInAfter,
      stayedUp: !exited,
      passwordInOutput: password !== '' && during.includes(password),
    }
  } finally {
    target?.kill('SIGTERM')
    await target?.exited
    fault.cleanup()
  }
}

function faultOf(outage: OutageKind): Fault {
  if (outage.kind === 'postgres-down') {
    const { postgres } = outage
    return {
      database: { kind: 'postgres', url: postgres.url },
      prepare: () => {},
      start: async () => postgres.crash(),
      clear: () => postgres.start(),
      cleanup: () => {},
    }
  }
  // The app's data folder on a small tmpfs of its own, filled to the last byte (needs root).
  let dataDir = ''
  let filler = ''
  return {
    database: { kind: 'sqlite' },
    prepare: (app) => {
      dataDir = path.join(app.dir, 'data')
      fs.mkdirSync(dataDir, { recursive: true })
      asRoot('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', dataDir])
    },
    start: async () => {
      filler = path.join(dataDir, 'filler')
      fillDisk(filler)
    },
    clear: () => fs.rmSync(filler, { force: true }),
    cleanup: () => {
      if (dataDir) asRoot('umount', [dataDir])
    },
  }
}

function asRoot(command: string, args: string[]): void {
  try {
    execFileSync(command, args, { stdio: 'pipe' })
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim()
    throw new Error(`${command} ${args.join(' ')} failed (${stderr}): the disk-full fault needs root`)
  }
}

/** Writes `file` until the filesystem is full, to its last byte. */
function fillDisk(file: string): void {
  const fd = fs.openSync(file, 'w')
  try {
    const chunk = Buffer.alloc(64 * 1024)
    for (;;) fs.writeSync(fd, chunk)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error
  } finally {
    fs.closeSync(fd)
  }
  try {
    for (;;) fs.appendFileSync(file, Buffer.alloc(512))
  } catch {}
}
