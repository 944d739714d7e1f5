import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { type JitServer, REPO_ROOT, startJitServer } from '../helpers/jit-process.ts'

/** The demo app's login Instance: the console test starts without it and creates it. */
export const LOGIN_INSTANCE = 'auths.loginTypes.MyWechatLogin'
export const LOGIN_FOLDER = path.join('auths', 'loginTypes', 'MyWechatLogin')

export interface ConsoleApp {
  readonly appDir: string
  readonly server: JitServer
  close(): Promise<void>
}

/**
 * `jit dev` on a copy of the demo app without its login Instance (the page stays, the Instance is what
 * the console makes), with no WECHAT_APP_SECRET in its environment: the secret comes from the `.env`
 * the console writes.
 */
export async function startConsoleApp(): Promise<ConsoleApp> {
  const appDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'jitlite-console-')), 'demo')
  fs.cpSync(path.join(REPO_ROOT, 'app'), appDir, {
    recursive: true,
    filter: (source) => {
      const relative = path.relative(path.join(REPO_ROOT, 'app'), source)
      return !/^(?:data|\.jitlite|\.env)(?:[\\/]|$)/.test(relative) && !relative.startsWith(LOGIN_FOLDER)
    },
  })
  const {
    WECHAT_OAUTH_BASE_URL: _o,
    WECHAT_API_BASE_URL: _a,
    WECHAT_APP_SECRET: _s,
    JIT_SECRET_KEY: _k,
    ...env
  } = process.env
  const server = await startJitServer('dev', appDir, env)
  return {
    appDir,
    server,
    async close() {
      await server.stop()
      fs.rmSync(path.dirname(appDir), { recursive: true, force: true })
    },
  }
}
