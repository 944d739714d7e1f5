/**
 * `kill -9` under logins: a real `jit start` process serves logins from several concurrent browsers,
 * some callbacks held inside it (WeChat's token endpoint hangs for them), and is killed with SIGKILL.
 * Then: the database holds no half-written row (and SQLite's integrity check is ok), the service
 * restarts on it, every login that got its final redirect before the kill still has its session, and
 * each callback that was in flight, delivered again, ends on a page (a fresh-login offer, 4xx, or the
 * finished login's redirect), never a 5xx.
 */
import type { RunningWechatSandbox } from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { get, LoginStepFailed, type StartedLogin, sessionStatus, startAndAllow } from './login-client.ts'
import { inspectRows, type RowReport } from './rows.ts'
import { SANDBOX_USERS, startTarget, type TargetDatabase, writeTargetApp } from './target.ts'

export interface KillNineOptions {
  sandbox: RunningWechatSandbox
  database: TargetDatabase
  /** Logins that must have finished before the kill. */
  loginsBeforeKill: number
  /** Browsers logging in at once. */
  concurrency: number
  /** Callbacks held inside the process (their code exchange hangs) when it is killed. */
  heldCallbacks: number
}

export interface KillNineReport {
  completedBeforeKill: number
  /** Of those, logins whose session the restarted service does not know. Must be 0. */
  lostSessions: number
  /** The database as the restart found it. */
  rows: RowReport
  /** Callbacks in flight at the kill, each delivered again after the restart, by what it got. */
  replays: { freshLoginOffer: number; finishedRedirect: number; other: Record<string, number> }
  /** Of the replays, how many held callbacks got the fresh-login offer (all of them should: their exchange never finished). */
  heldOffered: number
  /** How the killed process ended. */
  signal: string | null
}

/**
 * The WeChat deadlines of the Instance: long enough that a held exchange is still held when the kill
 * comes on a busy machine, short enough that its claim lapses in 16 s, not half a minute.
 */
const LOGIN_CONFIG = { attemptTimeoutMs: 3000, totalDeadlineMs: 3000 }

export async function runKillNine(options: KillNineOptions): Promise<KillNineReport> {
  const { sandbox } = options
  const app = writeTargetApp({ sandbox, database: options.database, login: LOGIN_CONFIG })
  // What is measured is what a kill leaves, not how a busy machine sheds load.
  const env = { RATE_LIMIT: 'off', OVERLOAD: 'off' }
  const target = await startTarget(app, env)
  const completed: string[] = []
  const inFlight = new Set<StartedLogin>()
  let killed = false

  // Each browser logs in again and again until the kill; a step cut by the kill is in flight.
  const browser = async (index: number) => {
    for (let round = 0; !killed; round++) {
      const user = SANDBOX_USERS[(index + round) % SANDBOX_USERS.length]
      let started: StartedLogin | undefined
      try {
        started = await startAndAllow(target.url, sandbox, user)
        inFlight.add(started)
        const answer = await get(target.url, started.callback, started.cookies)
        const session = answer.cookies.get('jit_session')
        if (answer.status === 302 && session) {
          if (!killed) completed.push(session)
          inFlight.delete(started)
        } else if (!killed) throw new LoginStepFailed('callback', answer)
      } catch (error) {
        if (!killed) throw error
      }
    }
  }
  const browsers = Array.from({ length: options.concurrency }, (_, i) => browser(i))
  const browsersDone = Promise.allSettled(browsers)
  const firstFailure = Promise.race(browsers.map((b) => b.then(() => new Promise<never>(() => {}))))

  try {
    await Promise.race([untilCount(() => completed.length, options.loginsBeforeKill), firstFailure])
  } catch (error) {
    killed = true
    target.kill('SIGKILL')
    throw error
  }

  // From here every code exchange hangs: the held callbacks (and the other browsers' next ones) are
  // inside the process at the kill.
  const before = sandbox.counters().access_token
  sandbox.setFault('access_token', { kind: 'hang' }, { times: 'always' })
  const held: StartedLogin[] = []
  for (let i = 0; i < options.heldCallbacks; i++) {
    const started = await startAndAllow(target.url, sandbox, SANDBOX_USERS[i % SANDBOX_USERS.length])
    held.push(started)
    get(target.url, started.callback, started.cookies).catch(() => undefined)
  }
  // Every exchange from here hangs, and each browser makes one more at most: once WeChat holds them
  // all, every held callback has claimed its state inside the process.
  await untilCount(
    () => sandbox.counters().access_token - before,
    options.heldCallbacks + options.concurrency,
  )

  killed = true
  target.kill('SIGKILL')
  const { signal } = await target.exited
  await browsersDone
  sandbox.clearFaults()
  const completedBeforeKill = completed.length

  const rows = await inspectRows(options.database, app.sqliteFile)
  const restarted = await startTarget(app, env)
  try {
    let lostSessions = 0
    for (const session of completed) if ((await sessionStatus(restarted.url, session)) !== 200) lostSessions++

    const replays: KillNineReport['replays'] = { freshLoginOffer: 0, finishedRedirect: 0, other: {} }
    let heldOffered = 0
    for (const started of [...held, ...[...inFlight].filter((s) => !held.includes(s))]) {
      const answer = await get(restarted.url, started.callback, started.cookies)
      if (answer.status >= 400 && answer.status < 500 && offersFreshLogin(answer.body)) {
        replays.freshLoginOffer++
        if (held.includes(started)) heldOffered++
      } else if (answer.status === 302 && answer.cookies.has('jit_session')) replays.finishedRedirect++
      else replays.other[answer.status] = (replays.other[answer.status] ?? 0) + 1
    }
    return { completedBeforeKill, lostSessions, rows, replays, heldOffered, signal }
  } finally {
    restarted.kill('SIGTERM')
    await restarted.exited
  }
}

/** The page's "Try again" starts a new login. */
export function offersFreshLogin(body: string): boolean {
  return /href="[^"]*\/login\?redirectUrl=[^"]*">Try again/.test(body)
}

async function untilCount(count: () => number, wanted: number): Promise<void> {
  while (count() < wanted) await new Promise((resolve) => setTimeout(resolve, 10))
}
