// Hot reload: edit-to-visible latency (a config written -> getElement serves the new value), beside
// chokidar's own event latency on the same writes (a second, bare chokidar watcher on the same folder,
// in the same process and run), and memory before and after 1,000 edits.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { watch } from 'chokidar'
import type { JitApp } from '../../runtime/app.ts'
import { createApp } from '../../runtime/index.ts'
import { silentLogger } from '../../runtime/log.ts'
import { isIgnoredPath } from '../../runtime/reload/paths.ts'
import { greeterFamily } from '../helpers/greeters.ts'
import { appJson, writeTree } from '../helpers/temp-app.ts'

const LATENCY_EDITS = 100
const MEMORY_EDITS = 1_000
const MEMORY_CHECKPOINTS = [0, 250, 500, 750, 1_000]
/** Edits rotate over this many configs, so that one file is not rewritten inside chokidar's 50 ms
 * change throttle (which the watcher's recheck covers, at +70 ms: a different figure, measured apart). */
const ROTATION = 4
/** Quiet time between latency samples, so that each edit is measured alone. */
const GAP_MS = 80
const TARGET_P95_MS = 100
/** "Flat": heap after GC may grow at most this much from the 250th to the 1,000th edit. */
const FLAT_HEAP_MB = 4
const gc = (globalThis as { gc?: () => void }).gc

function makeApp(instances: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `jitlite-reload-bench-${instances}-`))
  writeTree(dir, { 'app.json': appJson('reloadbench'), ...greeterFamily })
  for (let i = 0; i < instances; i++) {
    const name = `G${String(i).padStart(4, '0')}`
    writeTree(dir, {
      [`greeters/${name}/e.json`]: { title: name, type: 'greeters.FriendlyType' },
      [`greeters/${name}/${name}.json`]: { greeting: 'Hello' },
    })
  }
  return dir
}

interface Target {
  file: string
  handle: { greet(who: string): string }
}

function targets(app: JitApp, dir: string): Target[] {
  return Array.from({ length: ROTATION }, (_, i) => {
    const name = `G${String(i).padStart(4, '0')}`
    return {
      file: path.join(dir, 'greeters', name, `${name}.json`),
      handle: app.getElement(`greeters.${name}`),
    }
  })
}

/** Resolves with the time at which the app first serves `greeting` through `target`'s handle. */
function visible(app: JitApp, target: Target, greeting: string): Promise<number> {
  return new Promise((resolve) => {
    const check = () => {
      if (target.handle.greet('x') !== `${greeting}, x!`) return
      app.off('reload', check)
      resolve(performance.now())
    }
    app.on('reload', check)
  })
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function latency(instances: number) {
  const dir = makeApp(instances)
  const app = await createApp({ appDir: dir, env: {}, logger: silentLogger, watch: true })
  const bare = watch(dir, {
    ignoreInitial: true,
    ignored: (file, stats) => isIgnoredPath(file, stats?.isFile()),
  })
  await new Promise<void>((resolve) => bare.once('ready', () => resolve()))
  const rotation = targets(app, dir)
  const ours: number[] = []
  const chokidar: number[] = []
  let chokidarMissed = 0
  for (let i = 0; i < LATENCY_EDITS; i++) {
    const target = rotation[i % ROTATION]
    const greeting = `Edit ${i}`
    const seen = new Promise<number | undefined>((resolve) => {
      const timer = setTimeout(() => {
        bare.off('change', onChange)
        resolve(undefined)
      }, 2_000)
      const onChange = (file: string) => {
        if (file !== target.file) return
        clearTimeout(timer)
        bare.off('change', onChange)
        resolve(performance.now())
      }
      bare.on('change', onChange)
    })
    const shown = visible(app, target, greeting)
    const started = performance.now()
    fs.writeFileSync(target.file, JSON.stringify({ greeting }))
    const [seenAt, shownAt] = await Promise.all([seen, shown])
    ours.push(shownAt - started)
    if (seenAt === undefined) chokidarMissed++
    else chokidar.push(seenAt - started)
    await pause(GAP_MS)
  }
  await bare.close()
  await app.close()
  fs.rmSync(dir, { recursive: true, force: true })
  return { instances, ours, chokidar, chokidarMissed }
}

function memorySample(): { rssMb: number; heapMb: number } {
  gc?.()
  gc?.()
  const usage = process.memoryUsage()
  return { rssMb: usage.rss / 2 ** 20, heapMb: usage.heapUsed / 2 ** 20 }
}

async function memory() {
  const dir = makeApp(10)
  const app = await createApp({ appDir: dir, env: {}, logger: silentLogger, watch: true })
  const rotation = targets(app, dir)
  const samples: Array<{ edits: number; rssMb: number; heapMb: number }> = []
  for (let i = 0; i <= MEMORY_EDITS; i++) {
    if (MEMORY_CHECKPOINTS.includes(i)) {
      // Let the last retired generation finish disposing before measuring.
      await pause(200)
      samples.push({ edits: i, ...memorySample() })
    }
    if (i === MEMORY_EDITS) break
    const target = rotation[i % ROTATION]
    const greeting = `Edit ${i}`
    const shown = visible(app, target, greeting)
    fs.writeFileSync(target.file, JSON.stringify({ greeting }))
    await shown
  }
  await app.close()
  fs.rmSync(dir, { recursive: true, force: true })
  return samples
}

const runs = [await latency(10), await latency(1_000)]
const fmt = (ms: number) => `${ms.toFixed(1)} ms`
const latencyRows = runs.map((r) => {
  const p95 = percentile(r.ours, 0.95)
  return (
    `| ${r.instances.toLocaleString('en')} | ${fmt(percentile(r.ours, 0.5))} | ${fmt(p95)} | ${fmt(Math.max(...r.ours))} | ` +
    `${fmt(percentile(r.chokidar, 0.5))} | ${fmt(percentile(r.chokidar, 0.95))} | ${r.chokidarMissed} | ` +
    `${p95 < TARGET_P95_MS ? 'yes' : 'NO'} |`
  )
})
console.log(`Edit-to-visible latency: a business config written (writeFileSync) until the app serves the new
value through a handle taken before the edit, over ${LATENCY_EDITS} edits (${GAP_MS} ms apart, rotating over
${ROTATION} Instances). Beside it, chokidar's own latency (write -> 'change' event) of a bare chokidar watcher
on the same folder, for the same writes in the same run. Each reload rebuilds and validates the whole app.

| Instances in the app | visible p50 | visible p95 | visible max | chokidar p50 | chokidar p95 | writes chokidar never reported | p95 < ${TARGET_P95_MS} ms |
|---:|---:|---:|---:|---:|---:|---:|:---:|
${latencyRows.join('\n')}
`)

const samples = await memory()
const at = (edits: number) => samples.find((s) => s.edits === edits)!
const heapGrowth = at(1_000).heapMb - at(250).heapMb
console.log(`Memory across ${MEMORY_EDITS.toLocaleString('en')} edits (each awaited until visible; app of 10 Instances; after two
global.gc() runs). Target: flat, i.e. heap growth from edit 250 to edit 1,000 under ${FLAT_HEAP_MB} MB.

| edits | RSS | heap used |
|---:|---:|---:|
${samples.map((s) => `| ${s.edits.toLocaleString('en')} | ${s.rssMb.toFixed(1)} MB | ${s.heapMb.toFixed(1)} MB |`).join('\n')}

Heap growth 250 -> 1,000 edits: ${heapGrowth.toFixed(2)} MB (${heapGrowth < FLAT_HEAP_MB ? 'flat' : 'NOT flat'}).${gc ? '' : '\nWarning: run with --expose-gc (npm run bench does) for meaningful memory figures.'}`)
