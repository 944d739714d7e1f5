// Load time and peak RSS of apps with 100, 1,000 and 10,000 Instance elements, against a bare
// glob + JSON.parse loop reading the same files. Each measurement runs in a fresh process so that
// module caches and peak RSS of one never colour another.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { glob } from 'glob'
import { createApp } from '../../runtime/index.ts'
import { silentLogger } from '../../runtime/log.ts'
import { greeterFamily } from '../helpers/greeters.ts'
import { appJson, writeTree } from '../helpers/temp-app.ts'

const SIZES = [100, 1_000, 10_000]
const RUNS = 3
const self = fileURLToPath(import.meta.url)
const register = fileURLToPath(new URL('../../bin/register.mjs', import.meta.url))

interface Sample {
  ms: number
  peakRssMb: number
  elements: number
}

if (process.argv[2] === 'child') {
  const [, , , mode, appDir] = process.argv
  const started = performance.now()
  let elements = 0
  if (mode === 'baseline') {
    const files = await glob('**/*.json', { cwd: appDir, absolute: true })
    for (const file of files) {
      JSON.parse(fs.readFileSync(file, 'utf8'))
      if (file.endsWith('e.json')) elements++
    }
  } else {
    const app = await createApp({ appDir, env: {}, logger: silentLogger })
    elements = app.listElements().length
    if (app.problems.length > 0) throw new Error(`unexpected problems: ${app.problems[0].format()}`)
    await app.close()
  }
  const ms = performance.now() - started
  const peakRssMb = process.resourceUsage().maxRSS / 1024
  process.stdout.write(JSON.stringify({ ms, peakRssMb, elements } satisfies Sample))
  process.exit(0)
}

function makeApp(count: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `jitlite-load-${count}-`))
  writeTree(dir, { 'app.json': appJson('loadbench'), ...greeterFamily })
  for (let i = 0; i < count; i++) {
    const name = `G${String(i).padStart(5, '0')}`
    const folder = path.join(dir, 'greeters', name)
    fs.mkdirSync(folder, { recursive: true })
    fs.writeFileSync(
      path.join(folder, 'e.json'),
      JSON.stringify({ title: `Greeter ${i}`, type: 'greeters.FriendlyType' }),
    )
    fs.writeFileSync(
      path.join(folder, `${name}.json`),
      JSON.stringify({ greeting: `Hello ${i}`, punctuation: '!' }),
    )
  }
  return dir
}

function measure(mode: 'baseline' | 'jitlite', appDir: string): Sample {
  const run = spawnSync(process.execPath, ['--import', register, self, 'child', mode, appDir], {
    encoding: 'utf8',
  })
  if (run.status !== 0) throw new Error(`${mode} run failed: ${run.stderr}`)
  return JSON.parse(run.stdout) as Sample
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

const rows: string[] = []
const perInstance: number[] = []
for (const size of SIZES) {
  const dir = makeApp(size)
  const base: Sample[] = []
  const ours: Sample[] = []
  for (let i = 0; i < RUNS; i++) {
    base.push(measure('baseline', dir))
    ours.push(measure('jitlite', dir))
  }
  const baseMs = median(base.map((s) => s.ms))
  const oursMs = median(ours.map((s) => s.ms))
  perInstance.push(oursMs / size)
  rows.push(
    `| ${size.toLocaleString('en')} | ${oursMs.toFixed(0)} ms | ${baseMs.toFixed(0)} ms | ${(oursMs / baseMs).toFixed(2)}x | ` +
      `${median(ours.map((s) => s.peakRssMb)).toFixed(0)} MB | ${median(base.map((s) => s.peakRssMb)).toFixed(0)} MB |`,
  )
  fs.rmSync(dir, { recursive: true, force: true })
}

console.log(`Load time (createApp until every element is resolved, every config validated) and peak RSS,
median of ${RUNS} fresh processes each. Baseline: glob + readFileSync + JSON.parse of the same files.

| Instances | jitlite load | baseline | ratio | jitlite peak RSS | baseline peak RSS |
|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

Per Instance: ${perInstance.map((v) => `${(v * 1000).toFixed(0)} µs`).join(' / ')} (100 / 1,000 / 10,000): growth is linear when these stay flat.
Target: 1,000 Instances under 300 ms and within 3x the baseline.`)
