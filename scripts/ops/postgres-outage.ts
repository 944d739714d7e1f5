/**
 * PostgreSQL down and back under a real `jit start`: the server crashes (an immediate stop, as a
 * crash or a restart does) while browsers log in. What a person sees: login starts and callbacks get
 * the 503 "Sign-in is unavailable" page with Retry-After, never a 500; /healthz fails; the log has one
 * error line for the outage, not one per request; the process stays up; and once PostgreSQL is back
 * the service logs in again by itself, with no restart.
 */
import pg from 'pg'
import type { RunningWechatSandbox } from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { get, login, startAndAllow } from './login-client.ts'
import { INSTANCE_PATH, startTarget, writeTargetApp } from './target.ts'

/** A PostgreSQL server the scenario may stop and start (test/helpers/postgres-server.ts makes one). */
export interface ControlledPostgres {
  readonly url: string
  crash(): void
  start(): void
}

export interface OutageOptions {
  sandbox: RunningWechatSandbox
  postgres: ControlledPostgres
  /** Login starts tried while it is down. */
  attemptsWhileDown: number
}

export interface OutageReport {
  loggedInBefore: boolean
  /** Answers while down, by status. */
  whileDown: Record<string, number>
  /** Of the 503s while down, how many were the sign-in page with Retry-After. */
  unavailablePages: number
  /** A login started before the crash, its callback delivered while down. */
  pendingCallbackStatus: number
  healthzWhileDown: number
  /** Error lines the process logged from the crash to the recovery. */
  errorLines: string[]
  /** The line that says writes succeed again. */
  recoveryLogged: boolean
  /** Logins after the restart, with no restart of `jit start`. */
  loggedInAfter: boolean
  /** Whether `jit start` was still the same process at the end. */
  stayedUp: boolean
  /** Whether the process printed the database password while down. */
  passwordInOutput: boolean
}

export async function runPostgresOutage(options: OutageOptions): Promise<OutageReport> {
  const { sandbox, postgres } = options
  const password = decodeURIComponent(new URL(postgres.url).password)
  const app = writeTargetApp({ sandbox, database: { kind: 'postgres', url: postgres.url } })
  const target = await startTarget(app, { RATE_LIMIT: 'off' })
  let exited = false
  target.exited.then(() => {
    exited = true
  })
  try {
    const loggedInBefore = await login(target.url, sandbox, 'lin').then(
      () => true,
      () => false,
    )
    const pending = await startAndAllow(target.url, sandbox, 'momo')
    const outputBefore = target.output().length

    // A test server may not wait for its WAL at commit (synchronous_commit=off): a checkpoint makes
    // what was committed before the crash survive it, as a production server's commits do.
    const client = new pg.Client({ connectionString: postgres.url })
    await client.connect()
    await client.query('checkpoint')
    await client.end()
    postgres.crash()
    const whileDown: Record<string, number> = {}
    let unavailablePages = 0
    for (let i = 0; i < options.attemptsWhileDown; i++) {
      const answer = await get(target.url, `${INSTANCE_PATH}/login?redirectUrl=%2Fdone`)
      whileDown[answer.status] = (whileDown[answer.status] ?? 0) + 1
      if (
        answer.status === 503 &&
        answer.body.includes('<h1>Sign-in is unavailable right now</h1>') &&
        answer.cookies.size === 0
      )
        unavailablePages++
    }
    const pendingCallbackStatus = (await get(target.url, pending.callback, pending.cookies)).status
    const healthzWhileDown = (await get(target.url, '/healthz')).status

    postgres.start()
    // /healthz finds the recovery by itself (a balancer would poll it the same way).
    while ((await get(target.url, '/healthz')).status !== 200)
      await new Promise((resolve) => setTimeout(resolve, 200))
    const loggedInAfter = await login(target.url, sandbox, 'kai').then(
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
    target.kill('SIGTERM')
    await target.exited
  }
}
