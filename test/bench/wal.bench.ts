/**
 * The SQLite WAL under sustained logins: its peak size beside logins/s, with the bound on (the default
 * 64 MB `walLimitMb`) and off (`walLimitMb: 0`, the checkpoints as they were before the bound).
 *
 * The same three processes as the http-login bench (this one serves, a child runs the WeChat sandbox,
 * another is the browsers), and its setting: concurrency 128, 20 ms WeChat latency. Two jitlite
 * servers, each with its own app folder and database file, run in this process one at a time.
 *
 * 1. The cost of the bound: rounds at full speed alternating bounded and unbounded, the median
 *    per-round ratio of their logins/s, the WAL's peak for each, and its size after IDLE_S idle.
 * 2. Sustained load: the bounded server at BENCH_RATE logins/s (default 833: 50,000 WeChat calls a
 *    minute) for BENCH_DURATION_S (default 20), the WAL sampled every 100 ms, then its size after
 *    IDLE_S without logins; BENCH_SUSTAINED=bounded,unbounded runs the unbounded one after it.
 *
 * `npm run bench wal`. Knobs: BENCH_SECONDS (per full-speed run, default 6), BENCH_ROUNDS (default 5),
 * BENCH_DURATION_S, BENCH_RATE. Target: the WAL under 64 MB throughout, and empty after idle.
 */
import fs, { statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  ask,
  type RunRequest,
  type RunResult,
  type ServerUnderTest,
  startJitlite,
  startTestbed,
} from './http-login.bench.ts'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 6)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 20)
const RATE = Number(process.env.BENCH_RATE ?? 833)
/** Which servers take the sustained load, in turn: `bounded` (default), `unbounded`, or both. */
const SUSTAINED = (process.env.BENCH_SUSTAINED ?? 'bounded').split(',')
const IDLE_S = 5
const CONCURRENCY = 128
const LATENCY_MS = 20
const LIMIT_MB = 64
const MB = 1024 * 1024

interface Server extends ServerUnderTest {
  name: 'bounded' | 'unbounded'
  walFile: string
}

/** The largest size the WAL file reached while `run` went on, sampled every 100 ms. */
async function withWalPeak<T>(walFile: string, run: () => Promise<T>) {
  const size = () => statSync(walFile, { throwIfNoEntry: false })?.size ?? 0
  let peakBytes = size()
  const sampler = setInterval(() => (peakBytes = Math.max(peakBytes, size())), 100)
  try {
    const result = await run()
    return { result, peakBytes: Math.max(peakBytes, size()) }
  } finally {
    clearInterval(sampler)
  }
}

const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`
const rate = (run: RunResult) => run.logins / run.seconds

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

async function main(): Promise<void> {
  const { sandboxChild, clientChild, sandboxUrl, codesUrl } = await startTestbed()
  await ask(sandboxChild, { latencyMs: LATENCY_MS })
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jitlite-bench-wal-'))
  const start = async (name: Server['name'], walLimitMb: number): Promise<Server> => {
    const appDir = path.join(dir, name)
    const server = await startJitlite(sandboxUrl, appDir, walLimitMb)
    return { ...server, name, walFile: path.join(appDir, 'data/app.sqlite-wal') }
  }
  const bounded = await start('bounded', LIMIT_MB)
  const unbounded = await start('unbounded', 0)
  const load = (server: Server, seconds: number, ratePerSecond?: number) =>
    withWalPeak(server.walFile, () =>
      ask<RunResult>(clientChild, {
        variant: 'jitlite',
        baseUrl: server.baseUrl,
        sandboxUrl,
        codesUrl,
        concurrency: CONCURRENCY,
        seconds,
        ratePerSecond,
      } satisfies RunRequest),
    )
  const walAfterIdle = async (server: Server) => {
    await new Promise((resolve) => setTimeout(resolve, IDLE_S * 1000))
    return statSync(server.walFile, { throwIfNoEntry: false })?.size ?? 0
  }

  console.log(
    `Node ${process.version}, ${os.cpus().length} CPUs. Concurrency ${CONCURRENCY}, ${LATENCY_MS} ms WeChat latency. ` +
      `${ROUNDS} rounds of ${SECONDS} s at full speed, bounded (walLimitMb ${LIMIT_MB}) and unbounded (walLimitMb 0) alternating; ` +
      `then ${DURATION_S} s at ${RATE} logins/s: ${SUSTAINED.join(', then ')}.\n`,
  )
  for (const server of [bounded, unbounded]) await load(server, 1)

  const totals = new Map<
    Server,
    {
      logins: number
      seconds: number
      errors: number
      peakBytes: number
      latencies: number[]
    }
  >()
  const ratios: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? [bounded, unbounded] : [unbounded, bounded]
    const rates = new Map<Server, number>()
    for (const server of order) {
      const { result, peakBytes } = await load(server, SECONDS)
      if (result.errors > 0)
        console.error(`${server.name}: ${result.errors} failed logins, first: ${result.firstError}`)
      const total = totals.get(server) ?? {
        logins: 0,
        seconds: 0,
        errors: 0,
        peakBytes: 0,
        latencies: [],
      }
      total.logins += result.logins
      total.seconds += result.seconds
      total.errors += result.errors
      total.peakBytes = Math.max(total.peakBytes, peakBytes)
      total.latencies.push(...result.latenciesMs)
      totals.set(server, total)
      rates.set(server, rate(result))
    }
    ratios.push(rates.get(bounded)! / rates.get(unbounded)!)
  }
  const idleSizes = new Map<Server, number>()
  // Both idle at once: the unbounded WAL has no reason to shrink, the bounded one is emptied.
  await Promise.all(
    [bounded, unbounded].map(async (server) => idleSizes.set(server, await walAfterIdle(server))),
  )

  console.log('### Full speed: the cost of the bound\n')
  console.log(`| WAL | logins/s | p50 ms | p99 ms | failed | WAL peak | WAL after ${IDLE_S} s idle |`)
  console.log('|---|---:|---:|---:|---:|---:|---:|')
  for (const server of [bounded, unbounded]) {
    const total = totals.get(server)!
    console.log(
      `| ${server.name === 'bounded' ? `bounded (${LIMIT_MB} MB)` : 'unbounded (before the bound)'} | ${(total.logins / total.seconds).toFixed(0)} | ${percentile(total.latencies, 0.5).toFixed(1)} | ${percentile(total.latencies, 0.99).toFixed(1)} | ${total.errors} | ${mb(total.peakBytes)} | ${mb(idleSizes.get(server)!)} |`,
    )
  }
  console.log(
    `\nPer-round ratio bounded / unbounded: ${ratios.map((r) => r.toFixed(2)).join(', ')}; median ${median(ratios).toFixed(2)}.\n`,
  )

  console.log(`### Sustained: ${RATE} logins/s for ${DURATION_S} s\n`)
  console.log(`| WAL | logins/s | p50 ms | p99 ms | failed | WAL peak | WAL after ${IDLE_S} s idle |`)
  console.log('|---|---:|---:|---:|---:|---:|---:|')
  const verdicts: string[] = []
  for (const server of SUSTAINED.map((name) => (name === 'unbounded' ? unbounded : bounded))) {
    const { result: sustained, peakBytes } = await load(server, DURATION_S, RATE)
    const idle = await walAfterIdle(server)
    console.log(
      `| ${server.name} | ${rate(sustained).toFixed(0)} | ${percentile(sustained.latenciesMs, 0.5).toFixed(1)} | ${percentile(sustained.latenciesMs, 0.99).toFixed(1)} | ${sustained.errors} | ${mb(peakBytes)} | ${mb(idle)} |`,
    )
    if (server !== bounded) continue
    const met = peakBytes < LIMIT_MB * MB && idle === 0
    verdicts.push(
      `WAL under ${LIMIT_MB} MB and empty after idle: ${met ? 'met' : 'MISSED'}; ${RATE} logins/s: ${rate(sustained) >= RATE * 0.98 ? 'reached' : 'not reached (a busy machine?)'}`,
    )
  }
  console.log(`\nTarget: ${verdicts.join('; ')}.`)

  await bounded.close()
  await unbounded.close()
  sandboxChild.disconnect()
  clientChild.disconnect()
  fs.rmSync(dir, { recursive: true, force: true })
}

await main()
