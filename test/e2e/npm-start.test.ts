import { type ChildProcess, spawn } from 'node:child_process'
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { REPO_ROOT } from './demo-server.ts'

/** `npm start` exactly as a user types it, and `jit start`, on free ports instead of 3000 (tests share the machine). */

const STARTUP_TIMEOUT_MS = 60_000
const LOGIN = '/api/demo/wechatLogin/auths/loginTypes/MyWechatLogin/login'
let child: ChildProcess | undefined

afterEach(async () => {
  if (!child || child.exitCode !== null) return
  const exited = new Promise((resolve) => child!.once('exit', resolve))
  // npm runs jit in a shell of its own, and jit dev its app in a child: end the whole process group.
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

class ExitedEarly extends Error {
  constructor(
    readonly code: number | null,
    readonly output: string,
  ) {
    super(`the server exited with ${code} before serving:\n${output}`)
  }
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
    process.once('exit', (code) => reject(new ExitedEarly(code, output)))
  })
}

/**
 * Starts a server on a port that was free a moment ago, and again on another one if some other process
 * took it in between (it then stops with JIT_PORT_IN_USE). Resolves with its URL once `ready` is printed.
 */
async function startOnFreePort(
  start: (port: number) => ChildProcess,
  ready: (escapedUrl: string) => RegExp,
): Promise<{ url: string; output: string }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    child = start(port)
    try {
      return { url, output: await waitForOutput(child, ready(url.replace(/\./g, '\\.'))) }
    } catch (error) {
      const portTaken = error instanceof ExitedEarly && error.output.includes('JIT_PORT_IN_USE')
      if (!portTaken || attempt === 3) throw error
    }
  }
}

describe('npm start', () => {
  it(
    'serves the demo page and prints the URL it is at',
    async () => {
      const { HOST: _host, PUBLIC_URL: _publicUrl, ...env } = process.env
      const { url, output } = await startOnFreePort(
        (port) =>
          spawn('npm', ['start'], {
            cwd: REPO_ROOT,
            env: { ...env, PORT: String(port) },
            detached: true,
            stdio: ['ignore', 'pipe', 'pipe'],
          }),
        (escapedUrl) => new RegExp(`at ${escapedUrl}\\b`),
      )
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

      // The demo Instance talks to the mounted sandbox with no configuration.
      const login = await fetch(`${url}${LOGIN}?redirectUrl=%2F`, { redirect: 'manual' })
      expect(login.status).toBe(302)
      const authorize = String(login.headers.get('location'))
      expect(authorize.startsWith(`${url}/__sandbox/wechat/connect/oauth2/authorize?appid=`)).toBe(true)
      const consent = await fetch(authorize)
      expect(consent.status).toBe(200)
      expect(await consent.text()).toContain('jitlite Demo')
    },
    STARTUP_TIMEOUT_MS + 30_000,
  )
})

describe('jit start', () => {
  it(
    'serves production: no sandbox mounted, the login goes to WeChat itself',
    async () => {
      const {
        HOST: _host,
        PUBLIC_URL: _publicUrl,
        WECHAT_OAUTH_BASE_URL: _o,
        WECHAT_API_BASE_URL: _a,
        ...env
      } = process.env
      const { url } = await startOnFreePort(
        (port) =>
          spawn(process.execPath, [`${REPO_ROOT}/bin/jit.mjs`, 'start', 'app'], {
            cwd: REPO_ROOT,
            env: {
              ...env,
              PORT: String(port),
              JIT_SECRET_KEY: 'Kx7z6bq4cVYpHh0m2lTQ1mE6m3r6TqRz8dW9s0gYt3U=',
              WECHAT_APP_SECRET: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
            },
            detached: true,
            stdio: ['ignore', 'pipe', 'pipe'],
          }),
        (escapedUrl) => new RegExp(`\\(production\\) at ${escapedUrl}\\b`),
      )
      const sandbox = await fetch(`${url}/__sandbox/wechat/connect/oauth2/authorize?appid=x`)
      expect(sandbox.status).toBe(404)
      const login = await fetch(`${url}${LOGIN}?redirectUrl=%2F`, { redirect: 'manual' })
      expect(login.status).toBe(302)
      expect(String(login.headers.get('location'))).toMatch(
        /^https:\/\/open\.weixin\.qq\.com\/connect\/oauth2\/authorize\?appid=wx5a3c7f1e9b2d4680&redirect_uri=/,
      )
    },
    STARTUP_TIMEOUT_MS + 30_000,
  )

  it(
    'stops with JIT_PORT_IN_USE, and says what to do, when the port is taken',
    async () => {
      const taken = net.createServer()
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
      const { port } = taken.address() as net.AddressInfo
      try {
        child = spawn(process.execPath, [`${REPO_ROOT}/bin/jit.mjs`, 'start', 'app'], {
          cwd: REPO_ROOT,
          env: {
            ...process.env,
            HOST: '127.0.0.1',
            PORT: String(port),
            JIT_SECRET_KEY: 'Kx7z6bq4cVYpHh0m2lTQ1mE6m3r6TqRz8dW9s0gYt3U=',
            WECHAT_APP_SECRET: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
          },
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe'],
        })
        const exit = await waitForOutput(child, /never printed/).catch((error: unknown) => error)
        expect(exit).toBeInstanceOf(ExitedEarly)
        expect((exit as ExitedEarly).code).toBe(1)
        expect((exit as ExitedEarly).output.trim()).toBe(
          `jit start: 127.0.0.1:${port} is in use: stop what uses it, or set PORT (JIT_PORT_IN_USE)`,
        )
      } finally {
        taken.close()
      }
    },
    STARTUP_TIMEOUT_MS + 30_000,
  )
})
