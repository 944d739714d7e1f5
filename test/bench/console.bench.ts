// The development console's live tree: from an editor's write of an Instance's config to the
// `event: elements` the console page receives (server-sent events from a real `jit dev`), and to the
// tree showing the change (a broken file turning its element invalid, then valid again). Goal: within a
// second.
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { silentLogger } from '../../runtime/log.ts'
import { superviseDev } from '../../runtime/reload/supervisor.ts'
import { greeterFamily } from '../helpers/greeters.ts'
import { appJson, writeTree } from '../helpers/temp-app.ts'

const EDITS = 40
/** Quiet time between edits, so that each is measured alone (a person saves less often than this). */
const GAP_MS = 300
const TARGET_MS = 1000

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.max(0, Math.ceil(p * values.length) - 1)]
const fmt = (ms: number) => `${ms.toFixed(0)} ms`

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jitlite-console-bench-'))
writeTree(dir, {
  'app.json': appJson('consolebench'),
  ...greeterFamily,
  'greeters/English/e.json': { title: 'English', type: 'greeters.FriendlyType' },
  'greeters/English/English.json': { greeting: 'Hello' },
})
const jitBin = fileURLToPath(new URL('../../bin/jit.mjs', import.meta.url))
const dev = await superviseDev({
  appDir: dir,
  childArgs: [jitBin, 'dev', dir],
  port: 0,
  log: silentLogger,
  handleSignals: false,
  childOutput: () => {},
})

let onEvent: (() => void) | undefined
const stream = http.get(`${dev.url}/__jit/api/events`, (res) => {
  res.setEncoding('utf8')
  res.on('data', (chunk: string) => {
    if (chunk.includes('event: elements')) onEvent?.()
  })
})
const nextEvent = () => new Promise<void>((resolve) => (onEvent = resolve))
await nextEvent()

async function englishValid(): Promise<boolean> {
  const res = await fetch(`${dev.url}/__jit/api/elements`)
  const { elements } = (await res.json()) as { elements: Array<{ fullName: string; valid: boolean }> }
  return elements.find((e) => e.fullName === 'greeters.English')!.valid
}

const toEvent: number[] = []
const toTree: number[] = []
const file = path.join(dir, 'greeters/English/English.json')
for (let i = 0; i < EDITS; i++) {
  // Odd edits break the file, even ones mend it: each one changes what the tree shows.
  const broken = i % 2 === 0
  const event = nextEvent()
  const started = performance.now()
  fs.writeFileSync(file, broken ? '{ "greeting": ' : `{ "greeting": "Hello ${i}" }\n`)
  await event
  toEvent.push(performance.now() - started)
  while ((await englishValid()) === broken) await pause(5)
  toTree.push(performance.now() - started)
  await pause(GAP_MS)
}
stream.destroy()
await dev.close()
fs.rmSync(dir, { recursive: true, force: true })

const row = (label: string, times: number[]) =>
  `| ${label} | ${times.length} | ${fmt(percentile(times, 0.5))} | ${fmt(percentile(times, 0.95))} | ${fmt(Math.max(...times))} |`
console.log(`Editor's write of a config to the console (a real jit dev: supervisor, app process, SSE):

| from the write to | edits | p50 | p95 | max |
|---|---:|---:|---:|---:|
${row('event: elements received', toEvent)}
${row('/__jit/api/elements shows it', toTree)}

Goal: within ${TARGET_MS} ms: ${Math.max(...toTree) < TARGET_MS ? 'met' : '**missed**'} (max ${fmt(Math.max(...toTree))}).`)
