#!/usr/bin/env node
// `npm run bench:compare -- <git ref> <bench> [bench...]`: runs the named benchmarks of the working tree
// and of an earlier commit in one run, alternating which goes first each round, and prints the median
// of every figure of their tables side by side with the ratio working tree / ref. Alternating rounds
// cancel slow drifts of a shared machine's load, which two runs an hour apart would not.
// Knobs: COMPARE_ROUNDS (default 3). The bench's own knobs pass through (e.g. BENCH_ONLY=jitlite
// BENCH_ROUNDS=1 for http-login, so that each round is short).
import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const [ref, ...benches] = process.argv.slice(2)
if (!ref || benches.length === 0) {
  console.error('usage: npm run bench:compare -- <git ref> <bench> [bench...]')
  process.exit(2)
}
const rounds = Number(process.env.COMPARE_ROUNDS ?? 3)
const git = (...args) => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8' }).trim()
const sha = git('rev-parse', '--short', ref)
const refTree = fs.mkdtempSync(path.join(os.tmpdir(), `jitlite-${sha}-`))
git('worktree', 'add', '--detach', refTree, ref)
// The ref runs on today's install: a comparison of code, not of dependency versions.
fs.symlinkSync(path.join(root, 'node_modules'), path.join(refTree, 'node_modules'))

try {
  const trees = { [sha]: refTree, 'working tree': root }
  const samples = { [sha]: [], 'working tree': [] }
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? [sha, 'working tree'] : ['working tree', sha]
    for (const name of order) {
      console.error(`round ${round + 1}/${rounds}: ${name}`)
      samples[name].push(figures(runBenches(trees[name])))
    }
  }
  report(samples[sha], samples['working tree'])
} finally {
  git('worktree', 'remove', '--force', refTree)
}

function runBenches(tree) {
  // Each bench file as jit-bench runs it, named exactly: the ref's own runner may pick files otherwise.
  let output = ''
  for (const bench of benches) {
    const file = path.join(tree, 'test/bench', `${bench}.bench.ts`)
    if (!fs.existsSync(file)) throw new Error(`no bench ${bench} in ${tree}`)
    const run = spawnSync(
      process.execPath,
      ['--expose-gc', '--import', path.join(tree, 'bin/register.mjs'), file],
      {
        cwd: tree,
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, NODE_ENV: 'production' },
      },
    )
    if (run.status !== 0) throw new Error(`${bench} failed in ${tree}:\n${run.stdout}\n${run.stderr}`)
    output += `${run.stdout}\n`
  }
  return output
}

/** Every number of every markdown table row, keyed "row label / column header". */
function figures(output) {
  const found = new Map()
  let headers = []
  for (const line of output.split('\n')) {
    if (!line.startsWith('|')) {
      headers = []
      continue
    }
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim())
    if (cells.every((cell) => /^:?-+:?$/.test(cell))) continue
    if (headers.length === 0) {
      headers = cells
      continue
    }
    cells.slice(1).forEach((cell, i) => {
      const value = Number.parseFloat(cell.replace(/,/g, ''))
      if (Number.isFinite(value)) found.set(`${cells[0]} / ${headers[i + 1]}`, value)
    })
  }
  return found
}

function report(before, after) {
  const median = (values) => {
    const sorted = [...values].sort((a, b) => a - b)
    const middle = Math.floor(sorted.length / 2)
    return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
  }
  console.log(`Medians of ${rounds} alternating rounds: ${sha} (${ref}) against the working tree.\n`)
  console.log(`| figure | ${sha} | working tree | working tree / ${sha} |`)
  console.log('|---|---:|---:|---:|')
  for (const key of before[0].keys()) {
    const b = before.map((sample) => sample.get(key)).filter((v) => v !== undefined)
    const a = after.map((sample) => sample.get(key)).filter((v) => v !== undefined)
    if (a.length === 0) continue
    const mb = median(b)
    const ma = median(a)
    const ratio = mb === 0 ? '-' : `${(ma / mb).toFixed(2)}x`
    console.log(`| ${key} | ${mb} | ${ma} | ${ratio} |`)
  }
}
