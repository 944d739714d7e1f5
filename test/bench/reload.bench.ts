// Hot reload: edit-to-visible latency (a config written -> getElement serves the new value), beside
// chokidar's own event latency on the same writes (a second, bare chokidar watcher on the same folder,
// in the same process and run), and memory before and after 1,000 edits. Then code edits under the
// `jit dev` supervisor: edit-to-served time and the memory of the supervisor and its app processes.
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { watch } from 'chokidar'
import type { JitApp } from '../../runtime/app.ts'
import { createApp } from '../../runtime/index.ts'
import { silentLogger } from '../../runtime/log.ts'
import { isIgnoredPath } from '../../runtime/reload/paths.ts'
import { superviseDev } from '../../runtime/reload/supervisor.ts'
import { greeterFamily } from '../helpers/greeters.ts'
import { appJson, writeTree } from '../helpers/temp-app.ts'

const LATENCY_EDITS = 100
const MEMORY_EDITS = 1_000
/** Code edits of each kind: spaced by a person's think time (the standby is warm), and back to back. */
const CODE_EDITS = 8
const THINK_MS = 5_000
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
const code = await codeEdits()
const at = (edits: number) => samples.find((s) => s.edits === edits)!
const heapGrowth = at(1_000).heapMb - at(250).heapMb
console.log(`Memory across ${MEMORY_EDITS.toLocaleString('en')} edits (each awaited until visible; app of 10 Instances; after two
global.gc() runs). Target: flat, i.e. heap growth from edit 250 to edit 1,000 under ${FLAT_HEAP_MB} MB.

| edits | RSS | heap used |
|---:|---:|---:|
${samples.map((s) => `| ${s.edits.toLocaleString('en')} | ${s.rssMb.toFixed(1)} MB | ${s.heapMb.toFixed(1)} MB |`).join('\n')}

Heap growth 250 -> 1,000 edits: ${heapGrowth.toFixed(2)} MB (${heapGrowth < FLAT_HEAP_MB ? 'flat' : 'NOT flat'}).${gc ? '' : '\nWarning: run with --expose-gc (npm run bench does) for meaningful memory figures.'}`)

function getOnce(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (response) => {
        let body = ''
        response.setEncoding('utf8')
        response.on('data', (chunk) => {
          body += chunk
        })
        response.on('end', () => resolve(body))
      })
      .on('error', reject)
  })
}

/** Resident set size of another process, from /proc (Linux); undefined elsewhere. */
function rssOfMb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)
    return kb ? Number(kb[1]) / 1024 : undefined
  } catch {
    return undefined
  }
}

async function codeEdits() {
  const dir = makeApp(10)
  writeTree(dir, { 'greeters/English/e.json': { title: 'English', type: 'greeters.FriendlyType' } })
  writeTree(dir, { 'greeters/English/English.json': { greeting: 'Hello' } })
  const register = fileURLToPath(new URL('../../bin/register.mjs', import.meta.url))
  const devApp = fileURLToPath(new URL('../reload/fixtures/dev-app.ts', import.meta.url))
  const dev = await superviseDev({
    appDir: dir,
    childArgs: ['--import', register, devApp, dir],
    port: 0,
    log: silentLogger,
    handleSignals: false,
    childOutput: () => {},
  })
  const typeFile = path.join(dir, 'greeters/FriendlyType/type.ts')
  const original = fs.readFileSync(typeFile, 'utf8')
  const before = { ...memorySample(), appRssMb: rssOfMb(dev.appPid) }
  const spaced: number[] = []
  const backToBack: number[] = []
  const appRss: number[] = []
  for (let i = 0; i < 2 * CODE_EDITS; i++) {
    const thinking = i < CODE_EDITS
    if (thinking) await pause(THINK_MS)
    const marker = `v${i}`
    const started = performance.now()
    fs.writeFileSync(
      typeFile,
      original.replace('${config.greeting}, ${who}', '${config.greeting} ' + marker + ', ${who}'),
    )
    while ((await getOnce(`${dev.url}/greet`)) !== `Hello ${marker}, Ann!`) await pause(10)
    ;(thinking ? spaced : backToBack).push(performance.now() - started)
    const rss = rssOfMb(dev.appPid)
    if (rss !== undefined) appRss.push(rss)
  }
  const after = { ...memorySample(), appRssMb: rssOfMb(dev.appPid) }
  await dev.close()
  fs.rmSync(dir, { recursive: true, force: true })
  return { spaced, backToBack, before, after, appRss }
}

const mb = (v: number | undefined) => (v === undefined ? 'n/a' : `${v.toFixed(1)} MB`)
const codeRow = (label: string, times: number[]) =>
  `| ${label} | ${times.length} | ${fmt(percentile(times, 0.5))} | ${fmt(percentile(times, 0.95))} | ${fmt(Math.max(...times))} |`
console.log(`
Code edits under the \`jit dev\` supervisor (edits of a Type's type.ts): from the write until the public
port serves the new code. A new app process takes over from the running one once it is ready, so requests
are served throughout; this is how long an edit takes to show. The process that takes over is a standby
started ahead with the framework's code imported; edits that come faster than a standby can get ready
wait for its import.

| edits | count | edit-to-served p50 | p95 | max |
|---|---:|---:|---:|---:|
${codeRow(`${THINK_MS / 1000} s apart (standby warm)`, code.spaced)}
${codeRow('back to back', code.backToBack)}

| | before the edits | after ${2 * CODE_EDITS} edits |
|---|---:|---:|
| supervisor RSS | ${mb(code.before.rssMb)} | ${mb(code.after.rssMb)} |
| supervisor heap used (after GC) | ${mb(code.before.heapMb)} | ${mb(code.after.heapMb)} |
| serving app process RSS | ${mb(code.before.appRssMb)} | ${mb(code.after.appRssMb)} |

App process RSS after each restart: min ${mb(Math.min(...code.appRss))}, max ${mb(Math.max(...code.appRss))} (each is a fresh process: no growth carries over).
The supervisor process of this benchmark also ran the in-process measurements above, so its RSS includes theirs;
in \`jit dev\` a standby process (about the size of an app process) also waits beside the serving one.`)
