/**
 * Memory of the served process, as an operator would read it: resident set size from /proc (what the
 * machine gives it) and V8's used heap from its own /metrics (prom-client's process metrics).
 */
import fs from 'node:fs'

export interface MemorySample {
  /** Since the run began. */
  atMs: number
  rssBytes: number
  heapUsedBytes: number
}

/** Reads VmRSS of `pid` and the heap in use from `metricsUrl`. */
export async function sampleMemory(pid: number, metricsUrl: string, atMs: number): Promise<MemorySample> {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
  const rssKb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1])
  const metrics = await (await fetch(metricsUrl)).text()
  const heap = Number(/^nodejs_heap_size_used_bytes (\S+)$/m.exec(metrics)?.[1])
  if (!Number.isFinite(rssKb) || !Number.isFinite(heap)) throw new Error('could not read the process memory')
  return { atMs, rssBytes: rssKb * 1024, heapUsedBytes: heap }
}

export interface Growth {
  /** The window compared: from `fromMs` to the end of the run. */
  fromMs: number
  rss: { fromBytes: number; toBytes: number; percent: number }
  heap: { fromBytes: number; toBytes: number; percent: number }
}

/**
 * Growth over the last `windowMs` of the run: the mean of the samples in the window's first
 * `edgeMs` against the mean of those in the run's last `edgeMs` (a mean of a few samples, so that one
 * garbage collection at an edge does not decide the figure).
 */
export function growthOver(samples: MemorySample[], windowMs: number, edgeMs: number): Growth {
  const endMs = samples[samples.length - 1].atMs
  const fromMs = Math.max(0, endMs - windowMs)
  const first = samples.filter((s) => s.atMs >= fromMs && s.atMs <= fromMs + edgeMs)
  const last = samples.filter((s) => s.atMs >= endMs - edgeMs)
  const mean = (list: MemorySample[], key: 'rssBytes' | 'heapUsedBytes') =>
    list.reduce((sum, s) => sum + s[key], 0) / list.length
  const change = (key: 'rssBytes' | 'heapUsedBytes') => {
    const fromBytes = mean(first, key)
    const toBytes = mean(last, key)
    return { fromBytes, toBytes, percent: ((toBytes - fromBytes) / fromBytes) * 100 }
  }
  return { fromMs, rss: change('rssBytes'), heap: change('heapUsedBytes') }
}
