// The browser side of the demo app: how big the bundles are, how long a cold compile takes (the first
// request after a start or an edit), and what the routes a page load makes cost once warm, next to
// /healthz (the cheapest route) as the baseline. Client and server share this process and its cores.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { Agent, request } from 'undici'
import { BrowserBundler } from '../../runtime/http/bundler.ts'
import { sandboxOverrides } from '../../runtime/http/sandboxes.ts'
import { buildServer } from '../../runtime/http/server.ts'
import { createApp } from '../../runtime/index.ts'
import { silentLogger } from '../../runtime/log.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const ENTRIES = {
  'runtime.js (browser runtime)': 'runtime/frontend/index.ts',
  'WechatPublicType frontend.ts': 'types/auths/loginTypes/WechatPublicType/frontend.ts',
  'demo page main.ts': 'app/pages/Home/main.ts',
}
const COLD_RUNS = 7
const SEQUENTIAL_REQUESTS = 2_000
const CONCURRENCY = 16
const THROUGHPUT_MS = 2_000

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`

console.log('### Bundle size and cold compile (esbuild, per entry)\n')
console.log(
  '| entry | production | gzip | development | cold compile, production (median) | cold compile, development (median) |',
)
console.log('|---|---:|---:|---:|---:|---:|')
for (const [name, entry] of Object.entries(ENTRIES)) {
  const file = path.join(ROOT, entry)
  const cold = { production: [] as number[], development: [] as number[] }
  const sizes = { production: 0, gzip: 0, development: 0 }
  for (const mode of ['production', 'development'] as const) {
    for (let run = 0; run < COLD_RUNS; run++) {
      const bundler = new BrowserBundler({ mode })
      const started = performance.now()
      const bundle = await bundler.get(file, '/jit/bundles/bench.js')
      cold[mode].push(performance.now() - started)
      sizes[mode] = Buffer.byteLength(bundle.code)
      if (mode === 'production') sizes.gzip = gzipSync(bundle.code).length
    }
  }
  console.log(
    `| ${name} | ${kb(sizes.production)} | ${kb(sizes.gzip)} | ${kb(sizes.development)} | ${median(cold.production).toFixed(1)} ms | ${median(cold.development).toFixed(1)} ms |`,
  )
}

// The demo app as `jit dev` serves it, from a copy in a temp folder.
const appDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jitlite-bench-frontend-'))
fs.cpSync(path.join(ROOT, 'app'), appDir, {
  recursive: true,
  filter: (source) => !/(?:^|[\\/])(?:data|\.jitlite)(?:[\\/]|$)/.test(path.relative(ROOT, source)),
})
const port = 39_000 + Math.floor(Math.random() * 1000)
const url = `http://127.0.0.1:${port}`
const app = await createApp({
  appDir,
  mode: 'development',
  database: path.join(appDir, 'bench.sqlite'),
  env: { ...process.env, JIT_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') },
  publicUrl: url,
  logger: silentLogger,
  configOverrides: sandboxOverrides(url),
})
const server = await buildServer(app, { sandboxes: true })
await server.listen({ port, host: '127.0.0.1' })
const agent = new Agent({ connections: CONCURRENCY, pipelining: 1 })

async function get(pathname: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await request(`${url}${pathname}`, { dispatcher: agent, headers })
  await res.body.dump()
  return res.statusCode
}

const metadata = (await (
  await request(`${url}/jit/elements/auths.loginTypes.MyWechatLogin.json`, { dispatcher: agent })
).body.json()) as { bundleUrl: string }
const runtimeEtag = (await request(`${url}/jit/runtime.js`, { dispatcher: agent })).headers.etag as string
const routes: Array<[string, string, Record<string, string>?]> = [
  ['GET /healthz (baseline)', '/healthz'],
  ['GET / (the page)', '/'],
  ['GET /jit/runtime.js', '/jit/runtime.js'],
  ['GET /jit/runtime.js, If-None-Match (304)', '/jit/runtime.js', { 'if-none-match': runtimeEtag }],
  ['GET /jit/app.json', '/jit/app.json'],
  ['GET /jit/elements/<login>.json', '/jit/elements/auths.loginTypes.MyWechatLogin.json'],
  ['GET WeChat element bundle (hashed URL)', metadata.bundleUrl],
]

console.log(
  '\n### Warm routes of a page load (development mode: sources re-checked on every bundle request)\n',
)
console.log(`| route | p50 | p99 | requests/s at ${CONCURRENCY} in flight |`)
console.log('|---|---:|---:|---:|')
for (const [name, pathname, headers] of routes) {
  for (let i = 0; i < 200; i++) await get(pathname, headers)
  const latencies: number[] = []
  for (let i = 0; i < SEQUENTIAL_REQUESTS; i++) {
    const started = performance.now()
    const status = await get(pathname, headers)
    latencies.push(performance.now() - started)
    if (status >= 400) throw new Error(`${pathname} answered ${status}`)
  }
  let done = 0
  const deadline = performance.now() + THROUGHPUT_MS
  const started = performance.now()
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        await get(pathname, headers)
        done++
      }
    }),
  )
  const perSecond = done / ((performance.now() - started) / 1000)
  console.log(
    `| ${name} | ${median(latencies).toFixed(2)} ms | ${percentile(latencies, 0.99).toFixed(2)} ms | ${Math.round(perSecond).toLocaleString('en-US')} |`,
  )
}

await agent.close()
await server.close()
await app.close()
fs.rmSync(appDir, { recursive: true, force: true })
console.log(
  `\n${os.cpus().length} cores, Node ${process.version}, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
)
process.exit(0)
