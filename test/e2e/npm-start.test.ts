import { type ChildProcess, spawn } from 'node:child_process'
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { REPO_ROOT } from './demo-server.ts'

/** `npm start` exactly as a user types it, on a free port instead of 3000 (tests share the machine). */

const STARTUP_TIMEOUT_MS = 60_000
let child: ChildProcess | undefined

afterEach(async () => {
  if (!child || child.exitCode !== null) return
  const exited = new Promise((resolve) => child!.once('exit', resolve))
  // npm runs jit in a shell of its own: end the whole process group the test started.
  process.kill(-child.pid!, 'SIGTERM')
  await exited
  child = undefined
})

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo
      probe.close(() => resolve(port))
    })
  })
}

/** Resolves with everything printed once `pattern` appears; rejects if the process ends first. */
function waitForOutput(process: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = ''
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (pattern.test(output)) resolve(output)
    }
    process.stdout!.on('data', onData)
    process.stderr!.on('data', onData)
    process.once('exit', (code) =>
      reject(new Error(`npm start exited with ${code} before serving:\n${output}`)),
    )
  })
}

describe('npm start', () => {
  it(
    'serves the demo page and prints the URL it is at',
    async () => {
      const port = await freePort()
      const { HOST: _host, PUBLIC_URL: _publicUrl, ...env } = process.env
      child = spawn('npm', ['start'], {
        cwd: REPO_ROOT,
        env: { ...env, PORT: String(port) },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      const url = `http://127.0.0.1:${port}`
      const output = await waitForOutput(child, new RegExp(`at ${url.replace(/\./g, '\\.')}\\b`))
      expect(output).toContain(`at ${url}`)

      const page = await fetch(`${url}/`)
      expect(page.status).toBe(200)
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
      const html = await page.text()
      expect(html).toContain('Lumen Tea House')
      const script = /<script type="module" src="([^"]+)">/.exec(html)
      expect(script).not.toBeNull()
      expect((await fetch(`${url}${script![1]}`)).status).toBe(200)
      expect((await fetch(`${url}/jit/runtime.js`)).status).toBe(200)
    },
    STARTUP_TIMEOUT_MS + 30_000,
  )
})
