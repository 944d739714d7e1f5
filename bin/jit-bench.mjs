#!/usr/bin/env node
// `npm run bench [name...]`: runs each benchmark in test/bench/*.bench.ts in its own process (so that
// peak RSS and timings of one never colour another) and prints their reports one after another.
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const benchDir = fileURLToPath(new URL('../test/bench/', import.meta.url))
const wanted = process.argv.slice(2)
const all = readdirSync(benchDir)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort()
// A name picks its own bench (`load` is not also `reload`); a part of a name picks every bench it is in.
const picks = (w) => (all.includes(`${w}.bench.ts`) ? [`${w}.bench.ts`] : all.filter((f) => f.includes(w)))
const files = wanted.length === 0 ? all : all.filter((f) => wanted.some((w) => picks(w).includes(f)))

let failed = 0
for (const file of files) {
  console.log(`\n## ${file.replace('.bench.ts', '')}\n`)
  const run = spawnSync(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      fileURLToPath(new URL('./register.mjs', import.meta.url)),
      `${benchDir}${file}`,
    ],
    {
      stdio: 'inherit',
      env: { ...process.env, NODE_ENV: 'production' },
    },
  )
  if (run.status !== 0) failed++
}
if (failed > 0) {
  console.error(`\n${failed} benchmark(s) failed`)
  process.exit(1)
}
