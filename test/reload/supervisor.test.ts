import { spawn } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { memoryLogger } from '../../runtime/log.ts'
import { type DevSupervisor, superviseDev } from '../../runtime/reload/supervisor.ts'
import { greeterFamily } from '../helpers/greeters.ts'
import { appJson, writeTempTree } from '../helpers/temp-app.ts'

const register = fileURLToPath(new URL('../../bin/register.mjs', import.meta.url))
const jitBin = fileURLToPath(new URL('../../bin/jit.mjs', import.meta.url))
const devApp = fileURLToPath(new URL('./fixtures/dev-app.ts', import.meta.url))
const superviseThenClose = fileURLToPath(new URL('./fixtures/supervise-then-close.ts', import.meta.url))
/** App processes start in seconds on a loaded machine: every wait here is generous. */
const WAIT_MS = 60_000
const TEST_MS = 180_000

const running: DevSupervisor[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((dev) => dev.close()))
})

function greeterApp(): string {
  return writeTempTree({
    'app.json': appJson(),
    ...greeterFamily,
    'greeters/English/e.json': { title: 'English', type: 'greeters.FriendlyType' },
    'greeters/English/English.json': { greeting: 'Hello' },
  })
}

async function supervise(dir: string, childArgs = ['--import', register, devApp, dir]) {
  const log = memoryLogger()
  let output = ''
  const dev = await superviseDev({
    appDir: dir,
    childArgs,
    port: 0,
    log,
    handleSignals: false,
    childOutput: (text) => {
      output += text
    },
  })
  running.push(dev)
  const get = (route: string) => getOnce(`${dev.url}${route}`)
  const line = async (pattern: RegExp) => {
    const deadline = Date.now() + WAIT_MS
    for (;;) {
      const found = log.lines.find((l) => pattern.test(l))
      if (found) return found
      if (Date.now() > deadline)
        throw new Error(`no log line ${pattern} in ${JSON.stringify(log.lines)}\n${output}`)
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
  }
  const printed = async (pattern: RegExp) => {
    const deadline = Date.now() + WAIT_MS
    while (!pattern.test(output)) {
      if (Date.now() > deadline) throw new Error(`the app process never printed ${pattern}:\n${output}`)
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
  }
  return { dev, log, get, line, printed, output: () => output }
}

/**
 * One request on a connection of its own. A request sent on a reused keep-alive connection at the
 * moment the old app process closes it fails at the TCP level whatever a proxy does; browsers retry
 * those by themselves, and so fresh connections show what a user sees.
 */
function getOnce(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent: false }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk) => {
        body += chunk
      })
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
    })
    request.on('error', reject)
  })
}

function editType(dir: string, edit: (source: string) => string): void {
  const file = path.join(dir, 'greeters/FriendlyType/type.ts')
  fs.writeFileSync(file, edit(fs.readFileSync(file, 'utf8')))
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function exited(pid: number): Promise<void> {
  const deadline = Date.now() + WAIT_MS
  while (isRunning(pid)) {
    if (Date.now() > deadline) throw new Error(`process ${pid} still runs`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

describe('jit dev supervisor', () => {
  it(
    'JSON edits reload in process; a code edit starts a new app process that serves the new code, no request fails meanwhile, the old one exits',
    async () => {
      const dir = greeterApp()
      const { dev, get, line, log } = await supervise(dir)
      expect(await get('/greet')).toEqual({ status: 200, body: 'Hello, Ann!' })
      const firstPid = dev.appPid!

      // JSON reloads inside the app process.
      fs.writeFileSync(path.join(dir, 'greeters/English/English.json'), JSON.stringify({ greeting: 'Howdy' }))
      const deadline = Date.now() + WAIT_MS
      while ((await get('/greet')).body !== 'Howdy, Ann!') {
        if (Date.now() > deadline) throw new Error('the JSON edit never applied')
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
      expect(dev.appPid).toBe(firstPid)
      expect(log.lines.some((l) => l.includes('restarted'))).toBe(false)

      const answers: Array<{ status: number; body: string }> = []
      let restarted = false
      const traffic = (async () => {
        while (!restarted)
          answers.push(await get('/greet').catch((err: Error) => ({ status: 0, body: err.message })))
      })()
      const editedAt = Date.now()
      editType(dir, (source) =>
        source.replace('${config.greeting}, ${who}', '${config.greeting}, dear ${who}'),
      )
      const restartLine = await line(/restarted in \d+ ms: .*type\.ts changed/)
      restarted = true
      await traffic

      expect(restartLine).toMatch(/^info restarted in \d+ ms: .*greeters\/FriendlyType\/type\.ts changed$/)
      expect(await get('/greet')).toEqual({ status: 200, body: 'Howdy, dear Ann!' })
      expect(dev.appPid).not.toBe(firstPid)
      // The process that took over was started ahead of the edit (a standby with the framework loaded).
      const uptimeMs = Number((await get('/uptime')).body) * 1000
      expect(uptimeMs).toBeGreaterThan(Date.now() - editedAt)
      expect(answers.length).toBeGreaterThan(0)
      for (const answer of answers) {
        expect(answer.status).toBe(200)
        expect(['Howdy, Ann!', 'Howdy, dear Ann!']).toContain(answer.body)
      }
      await exited(firstPid)
      expect(log.lines.filter((l) => l.includes('was killed'))).toEqual([])
    },
    TEST_MS,
  )

  it(
    'a code edit that breaks the Type is refused: the previous process keeps serving; the fix applies',
    async () => {
      const dir = greeterApp()
      const { dev, get, line } = await supervise(dir)
      const pid = dev.appPid
      editType(dir, (source) => source.replace('export default defineType({', 'export default defineType({{'))
      const refusal = await line(/code change refused/)
      expect(refusal).toContain('greeters.FriendlyType')
      expect(refusal).toMatch(/JIT_CODE_LOAD_FAILED|JIT_TYPE_CHAIN_BROKEN/)
      expect(await get('/greet')).toEqual({ status: 200, body: 'Hello, Ann!' })
      expect(dev.appPid).toBe(pid)

      editType(dir, (source) =>
        source
          .replace('export default defineType({{', 'export default defineType({')
          .replace('${config.greeting}, ${who}', '${config.greeting}, dear ${who}'),
      )
      await line(/restarted in/)
      expect(await get('/greet')).toEqual({ status: 200, body: 'Hello, dear Ann!' })
    },
    TEST_MS,
  )

  it(
    'under the real jit dev, an edit to browser code or to a Type nothing imported yet applies in the running process; an edit to a Type it imported restarts it',
    async () => {
      const dir = writeTempTree({
        'app.json': appJson(),
        ...greeterFamily,
        'pages/Home/e.json': { title: 'Home', type: 'pages.StaticType', frontBundleEntry: 'main.ts' },
        'pages/Home/Home.json': { path: '/' },
        'pages/Home/index.html': '<!doctype html><html><head><title>Home</title></head><body></body></html>',
        'pages/Home/main.ts': "document.body.dataset.banner = 'first banner'\n",
      })
      const { dev, get, line, printed, log } = await supervise(dir, [jitBin, 'dev', dir])
      const pid = dev.appPid
      const bundle = async () => (await get('/jit/bundles/pages.Home.js')).body
      expect(await bundle()).toContain('first banner')

      fs.writeFileSync(
        path.join(dir, 'pages/Home/main.ts'),
        "document.body.dataset.banner = 'second banner'\n",
      )
      await printed(/pages\/Home\/main\.ts changed: the server never imported it/)
      expect(await bundle()).toContain('second banner')

      // A new Instance of a new Type: its type.ts was never imported, so the running process imports it.
      fs.mkdirSync(path.join(dir, 'greeters/LoudType'), { recursive: true })
      fs.writeFileSync(
        path.join(dir, 'greeters/LoudType/type.ts'),
        fs
          .readFileSync(path.join(dir, 'greeters/FriendlyType/type.ts'), 'utf8')
          .replace('${config.greeting}, ${who}', '${config.greeting.toUpperCase()}, ${who}!'),
      )
      fs.writeFileSync(
        path.join(dir, 'greeters/LoudType/e.json'),
        JSON.stringify({ title: 'Loud', type: 'greeters.Meta' }),
      )
      fs.mkdirSync(path.join(dir, 'greeters/Loud'), { recursive: true })
      fs.writeFileSync(path.join(dir, 'greeters/Loud/Loud.json'), JSON.stringify({ greeting: 'Hey' }))
      fs.writeFileSync(
        path.join(dir, 'greeters/Loud/e.json'),
        JSON.stringify({ title: 'Loud', type: 'greeters.LoudType' }),
      )
      await printed(/reloaded in \d+ ms: .*added .*greeters\.Loud\b/)

      // Now the process runs that Type's code: editing it needs a new process.
      const loudType = path.join(dir, 'greeters/LoudType/type.ts')
      fs.writeFileSync(loudType, fs.readFileSync(loudType, 'utf8').replace('toUpperCase()', 'toLowerCase()'))
      const restart = await line(/restarted in \d+ ms: .*greeters\/LoudType\/type\.ts changed/)
      // Restarts run one after another: one for main.ts or LoudType's first writes would be listed first.
      expect(log.lines.filter((l) => l.includes('restarted'))).toEqual([restart])
      expect(dev.appPid).not.toBe(pid)
      expect(await bundle()).toContain('second banner')
    },
    TEST_MS,
  )

  it(
    'an app process that crashes is started again',
    async () => {
      const dir = greeterApp()
      const { dev, get, line } = await supervise(dir)
      const pid = dev.appPid!
      await get('/crash').catch(() => undefined)
      await line(/the app process exited \(3\); starting a new one/)
      await line(/restarted in \d+ ms after the app process exited/)
      expect(await get('/greet')).toEqual({ status: 200, body: 'Hello, Ann!' })
      expect(dev.appPid).not.toBe(pid)
    },
    TEST_MS,
  )

  it(
    'close() stops the app process and the port; a supervisor process then exits by itself',
    async () => {
      const dir = greeterApp()
      const { dev } = await supervise(dir)
      const pid = dev.appPid!
      const port = dev.port
      await dev.close()
      expect(isRunning(pid)).toBe(false)
      const refused = await new Promise<boolean>((resolve) => {
        const socket = net.connect(port, '127.0.0.1')
        socket.on('connect', () => {
          socket.destroy()
          resolve(false)
        })
        socket.on('error', () => resolve(true))
      })
      expect(refused).toBe(true)

      const proc = spawn(process.execPath, ['--import', register, superviseThenClose, dir], {
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let stdout = ''
      proc.stdout.on('data', (chunk) => {
        stdout += chunk
      })
      const exit = await new Promise<number | string>((resolve) => {
        const timer = setTimeout(() => {
          proc.kill('SIGKILL')
          resolve('still running')
        }, WAIT_MS)
        proc.on('exit', (code) => {
          clearTimeout(timer)
          resolve(code ?? 'killed')
        })
      })
      expect({ exit, stdout }).toMatchObject({
        exit: 0,
        stdout: expect.stringMatching(/served Hello, Ann!\nclosed\n$/),
      })
    },
    TEST_MS,
  )
})
