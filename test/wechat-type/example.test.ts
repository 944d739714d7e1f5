import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningWechatSandbox } from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { type Finished, REPO_ROOT, runJit } from '../helpers/jit-process.ts'
import { startWechatSandbox, TEST_KEY } from './helpers.ts'

let sandbox: RunningWechatSandbox
let appDir: string
beforeAll(async () => {
  sandbox = await startWechatSandbox()
  // A copy of the demo app, so that its database and key file land in a temp folder, not the checkout.
  appDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'jitlite-example-')), 'app')
  fs.cpSync(path.join(REPO_ROOT, 'app'), appDir, {
    recursive: true,
    filter: (source) => !/[\\/](data|\.jitlite)$/.test(source),
  })
})
afterAll(async () => {
  await sandbox.close()
})

function jitRun(env: Record<string, string>): Promise<Finished> {
  return runJit(['run', 'scripts/wechat-login-example.ts', appDir], {
    env: { ...process.env, JIT_SECRET_KEY: TEST_KEY, ...env },
  })
}

describe('scripts/wechat-login-example.ts under jit run', () => {
  it('logs a sandbox test user in through the consent sheet and prints their openid and nickname', async () => {
    const hosts = { WECHAT_OAUTH_BASE_URL: sandbox.url, WECHAT_API_BASE_URL: sandbox.url }
    const result = await jitRun({ ...hosts, SANDBOX_USER: 'momo' })
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^openid: o[A-Za-z0-9_-]{27}$/m)
    expect(result.stdout).toContain('nickname: Momo🌸')
    expect(sandbox.counters()).toMatchObject({ authorize: 1, access_token: 1, userinfo: 1 })
  }, 60_000)

  it('refuses to run against the real WeChat hosts, and says how to start the sandbox', async () => {
    const result = await jitRun({ WECHAT_OAUTH_BASE_URL: '', WECHAT_API_BASE_URL: '' })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('bin/jit.mjs sandbox wechat')
  }, 60_000)
})
