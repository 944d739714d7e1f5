import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type JitServer, REPO_ROOT, startJitServer } from '../helpers/jit-process.ts'

/**
 * "Test connection" over a real socket (`jit dev` on a copy of the demo app, its WeChat sandbox
 * mounted): inject() never closes a request the way a socket does, so this is where an answer cut
 * short by the request's own end shows.
 */

const TIMEOUT_MS = 90_000
const fixtures = JSON.parse(
  fs.readFileSync(
    path.join(REPO_ROOT, 'types/auths/loginTypes/WechatPublicType/sandbox/fixtures.json'),
    'utf8',
  ),
) as { apps: Array<{ appid: string; secret: string; name: string }> }
const DEMO = fixtures.apps.find((app) => app.name === 'jitlite Demo')!

let server: JitServer
let appDir: string

beforeAll(async () => {
  appDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'jitlite-check-socket-')), 'demo')
  fs.cpSync(path.join(REPO_ROOT, 'app'), appDir, {
    recursive: true,
    filter: (source) => !/[\\/](?:data|\.jitlite|\.env)(?:[\\/]|$)/.test(path.relative(REPO_ROOT, source)),
  })
  const { WECHAT_APP_SECRET: _s, WECHAT_API_BASE_URL: _a, WECHAT_OAUTH_BASE_URL: _o, ...env } = process.env
  server = await startJitServer('dev', appDir, env)
}, TIMEOUT_MS)

afterAll(async () => {
  await server?.stop()
  if (appDir) fs.rmSync(path.dirname(appDir), { recursive: true, force: true })
})

async function testConnection(secret: string): Promise<{ ok: boolean; code?: string; message: string }> {
  const page = await (await fetch(`${server.url}/__jit/`)).text()
  const token = /<meta name="jit-csrf" content="([^"]+)">/.exec(page)![1]
  const response = await fetch(`${server.url}/__jit/api/types/auths.loginTypes.WechatPublicType/check`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server.url, 'x-jit-csrf': token },
    body: JSON.stringify({
      config: { appId: DEMO.appid, appSecret: '${CHECK_SECRET}' },
      secretValues: { CHECK_SECRET: secret },
    }),
  })
  expect(response.status).toBe(200)
  return (await response.json()) as { ok: boolean; code?: string; message: string }
}

describe('Test connection over a real socket', () => {
  it(
    "reaches the sandbox and reports WeChat's answer: a wrong secret, then the right one",
    async () => {
      const wrong = await testConnection('b'.repeat(32))
      expect(wrong.ok).toBe(false)
      expect(wrong.code).not.toBe('JIT_CHECK_UNREACHABLE')
      expect(`${wrong.code} ${wrong.message}`).toMatch(/40125/)

      const right = await testConnection(DEMO.secret)
      expect(right).toMatchObject({ ok: true })
      expect(JSON.stringify(right)).not.toContain(DEMO.secret)
    },
    TIMEOUT_MS,
  )
})
