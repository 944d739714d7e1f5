/**
 * `jit start` as an operator runs it: JSON log lines on stdout (time, level, request id, event,
 * outcome, duration; no query string), metrics on METRICS_PORT and not on the app port, the rate
 * limits of the environment; a bad setting stops it with JIT_ENV_INVALID. And `jit dev`'s readable form.
 */
import type { ChildProcess } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { formatPretty } from '../../runtime/log-pretty.ts'
import { REPO_ROOT, runJit } from '../helpers/jit-process.ts'
import { spawnGroup, startOnFreePort, stopGroup } from '../helpers/processes.ts'

const STARTUP_TIMEOUT_MS = 60_000
const LOGIN = '/api/demo/wechatLogin/auths/loginTypes/MyWechatLogin/login'
const PRODUCTION_ENV = {
  JIT_SECRET_KEY: 'Kx7z6bq4cVYpHh0m2lTQ1mE6m3r6TqRz8dW9s0gYt3U=',
  WECHAT_APP_SECRET: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
}
let child: ChildProcess | undefined
afterEach(async () => {
  if (child) await stopGroup(child)
  child = undefined
})

function baseEnv(): NodeJS.ProcessEnv {
  const { HOST: _h, PUBLIC_URL: _p, LOG_LEVEL: _l, LOG_FORMAT: _f, METRICS_TOKEN: _t, ...env } = process.env
  return env
}

describe('jit start', () => {
  it(
    'logs JSON lines, serves metrics on METRICS_PORT only, and applies the rate limits of the environment',
    async () => {
      let stdout = ''
      const { url } = await startOnFreePort(
        (port) => {
          child = spawnGroup(process.execPath, [`${REPO_ROOT}/bin/jit.mjs`, 'start', 'app'], {
            cwd: REPO_ROOT,
            env: {
              ...baseEnv(),
              ...PRODUCTION_ENV,
              PORT: String(port),
              METRICS_PORT: '0',
              RATE_LIMIT_LOGIN: '2',
            },
          })
          child.stdout!.on('data', (chunk: Buffer) => {
            stdout += chunk.toString()
          })
          return child
        },
        (url) => new RegExp(`at ${url.replace(/\./g, '\\.')}"`),
      )
      const statuses = []
      for (let i = 0; i < 3; i++) {
        const response = await fetch(`${url}${LOGIN}?redirectUrl=%2F`, { redirect: 'manual' })
        statuses.push(response.status)
        if (response.status === 429) {
          expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0)
          expect(await response.text()).toContain('Too many requests')
        }
      }
      expect(statuses).toEqual([302, 302, 429])
      expect((await fetch(`${url}/metrics`)).status).toBe(404)

      const records = () =>
        stdout
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line) as Record<string, unknown>)
      const metricsLine = records().find((r) => String(r.msg).startsWith('metrics at '))
      expect(metricsLine).toBeDefined()
      const metricsUrl = String(metricsLine!.msg).slice('metrics at '.length)
      const metrics = await (await fetch(metricsUrl)).text()
      expect(metrics).toMatch(
        /^jit_login_starts_total\{login_type="auths\.loginTypes\.MyWechatLogin",outcome="started"\} 2$/m,
      )
      expect(metrics).toMatch(/^jit_http_limited_total\{limit="login"\} 1$/m)

      // Every line is JSON with a time, a level and a message; each request is one line.
      while (records().filter((r) => r.event === 'request').length < 4)
        await new Promise((r) => setTimeout(r, 50))
      for (const record of records()) {
        expect(record).toMatchObject({
          level: expect.any(String),
          time: expect.any(String),
          msg: expect.any(String),
        })
      }
      const requests = records().filter((r) => r.event === 'request')
      expect(requests.map((r) => r.status)).toEqual([302, 302, 429, 404])
      expect(requests[0]).toMatchObject({
        level: 'info',
        method: 'GET',
        path: LOGIN,
        reqId: expect.any(String),
        durationMs: expect.any(Number),
      })
      expect(new Set(requests.map((r) => r.reqId)).size).toBe(4)
      expect(records()).toContainEqual(
        expect.objectContaining({ level: 'warn', event: 'rate_limit', outcome: 'limited', limit: 'login' }),
      )
      expect(stdout).not.toContain('redirectUrl')
    },
    STARTUP_TIMEOUT_MS + 30_000,
  )

  it('stops with JIT_ENV_INVALID for a setting it cannot use, naming it', async () => {
    for (const [name, value] of [
      ['LOG_LEVEL', 'loud'],
      ['TRUST_PROXY', 'true'],
    ]) {
      const result = await runJit(['start', 'app'], {
        env: { ...baseEnv(), ...PRODUCTION_ENV, PORT: '0', [name]: value },
      })
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(
        new RegExp(`^jit start: ${name}="${value}" is not valid: set .+ \\(JIT_ENV_INVALID\\)$`, 'm'),
      )
    }
  })
})

describe("jit dev's readable lines", () => {
  it('put the message first, then the fields that say what happened', () => {
    expect(
      formatPretty({
        level: 'warn',
        time: '2026-01-02T03:04:05.678Z',
        pid: 42,
        reqId: 'req-7',
        element: 'auths.loginTypes.MyWechatLogin',
        event: 'login',
        outcome: 'cancelled',
        msg: 'login auths.loginTypes.MyWechatLogin: cancelled by the user',
      }),
    ).toBe(
      '[jit] 03:04:05 warning: login auths.loginTypes.MyWechatLogin: cancelled by the user  reqId=req-7 element=auths.loginTypes.MyWechatLogin event=login outcome=cancelled',
    )
    expect(formatPretty({ level: 'info', time: '2026-01-02T03:04:05.678Z', msg: 'stopped' })).toBe(
      '[jit] 03:04:05 stopped',
    )
  })
})
