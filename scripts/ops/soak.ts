/**
 * The soak: logins at a steady rate against a real `jit start` and the WeChat sandbox for a long
 * while, the process's RSS and heap sampled throughout; the figure is their growth over the last
 * minutes of the run (after warm-up), which a leak makes grow with the logins served.
 */
import { Agent } from 'undici'
import type { RunningWechatSandbox } from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { LoginStepFailed, login, sessionStatus } from './login-client.ts'
import { type Growth, growthOver, type MemorySample, sampleMemory } from './memory.ts'
import { SANDBOX_USERS, startTarget, type TargetDatabase, writeTargetApp } from './target.ts'

export interface SoakOptions {
  sandbox: RunningWechatSandbox
  database: TargetDatabase
  durationMs: number
  /** Logins started per second (833: WeChat's per-account quota of 50,000 a minute). */
  rate: number
  /** Logins in flight at most; past it the driver waits (the achieved rate says so). */
  maxInFlight: number
  sampleEveryMs: number
  /** The growth window: the run's last `windowMs`. */
  windowMs: number
  /** More environment for `jit start` (OVERLOAD=off, say). */
  env?: Record<string, string>
  /** Called with each sample, for progress lines. */
  onSample?: (sample: MemorySample, done: number) => void
}

export interface SoakReport {
  logins: number
  /** Logins that did not end on the final redirect with a session, by the status that ended them. */
  failures: Record<string, number>
  achievedPerSecond: number
  /** Of a spread of finished logins checked at the end, those the session endpoint did not know. */
  sessionsMissing: number
  samples: MemorySample[]
  growth: Growth
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const { sandbox } = options
  const app = writeTargetApp({ sandbox, database: options.database })
  // The soak measures memory, not the abuse limits: one address logs in at 833/s.
  const target = await startTarget(app, { RATE_LIMIT: 'off', LIVE_STATES_PER_ADDRESS: '0', ...options.env })
  const dispatcher = new Agent({ connections: options.maxInFlight, keepAliveTimeout: 30_000 })
  try {
    const metricsUrl = await target.metricsUrl()
    const failures: Record<string, number> = {}
    const kept: string[] = []
    let done = 0
    let inFlight = 0
    const started = Date.now()
    const samples: MemorySample[] = []
    let sampling = Promise.resolve()
    const sampler = setInterval(() => {
      sampling = sampling.then(async () => {
        const sample = await sampleMemory(target.pid, metricsUrl, Date.now() - started)
        samples.push(sample)
        options.onSample?.(sample, done)
      })
    }, options.sampleEveryMs)

    const one = async (n: number) => {
      inFlight++
      try {
        const finished = await login(target.url, sandbox, SANDBOX_USERS[n % SANDBOX_USERS.length], dispatcher)
        // Every 1000th session is checked at the end: spread over the run, not all of them.
        if (n % 1000 === 0) kept.push(finished.session)
      } catch (error) {
        const key =
          error instanceof LoginStepFailed
            ? `${error.step} ${error.answer.status} ${pageTitle(error.answer.body)}`.trim()
            : String(error)
        failures[key] = (failures[key] ?? 0) + 1
      } finally {
        inFlight--
        done++
      }
    }
    // Open loop: each tick starts the logins the rate owes by now, unless maxInFlight are running.
    let launched = 0
    const running = new Set<Promise<void>>()
    while (Date.now() - started < options.durationMs) {
      const owed = Math.floor(((Date.now() - started) / 1000) * options.rate) - launched
      for (let i = 0; i < owed && inFlight < options.maxInFlight; i++) {
        const p = one(launched++)
        running.add(p)
        p.finally(() => running.delete(p))
      }
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    await Promise.all(running)
    const elapsedMs = Date.now() - started
    clearInterval(sampler)
    await sampling
    samples.push(await sampleMemory(target.pid, metricsUrl, elapsedMs))

    let sessionsMissing = 0
    for (const session of kept) if ((await sessionStatus(target.url, session)) !== 200) sessionsMissing++
    return {
      logins: done,
      failures,
      achievedPerSecond: done / (elapsedMs / 1000),
      sessionsMissing,
      samples,
      growth: growthOver(
        samples,
        options.windowMs,
        Math.max(options.sampleEveryMs, Math.min(30_000, options.windowMs / 4)),
      ),
    }
  } finally {
    await dispatcher.close()
    target.kill('SIGTERM')
    await target.exited
  }
}

/** What a failed step's page said (its <h1>), so that a shed request is told from a failed one. */
function pageTitle(body: string): string {
  return /<h1>([^<]*)<\/h1>/.exec(body)?.[1] ?? /"code":"(JIT_[A-Z_]+)"/.exec(body)?.[1] ?? ''
}
