import fs from 'node:fs'
import path from 'node:path'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { createApp, type JitApp } from '../../runtime/index.ts'
import { type Logger, memoryLogger } from '../../runtime/log.ts'
import {
  type RunningWechatSandbox,
  startWechatSandbox,
  WECHAT_SANDBOX_DEMO_APP,
} from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { appJson, type FileTree, writeTempTree } from '../helpers/temp-app.ts'
import { sandboxInstanceConfig } from '../helpers/wechat-instance.ts'

export const DEMO = WECHAT_SANDBOX_DEMO_APP

/** A JIT_SECRET_KEY for tests (the base64 of 32 bytes). */
export const TEST_KEY = 'Kx7z6bq4cVYpHh0m2lTQ1mE6m3r6TqRz8dW9s0gYt3U='

/**
 * Sets JIT_SECRET_KEY in this process for the test file and restores it after: apps created without an
 * `env` read the process environment, and with the key set they write no development key file.
 */
export function useTestKey(): void {
  const saved = process.env.JIT_SECRET_KEY
  beforeAll(() => {
    process.env.JIT_SECRET_KEY = TEST_KEY
  })
  afterAll(() => {
    if (saved === undefined) delete process.env.JIT_SECRET_KEY
    else process.env.JIT_SECRET_KEY = saved
  })
}
/** Fixture accounts of the sandbox (fixtures.json). */
export const UNBOUND = { appId: 'wx8d2f6a0c4e1b9537', appSecret: 'c4a8e2f6b0d4a8c2e6f0b4d8a2c6e0f4' }
export const CALLBACK = 'http://127.0.0.1:3000/api/tests/wechat/auths/loginTypes/Login/callback'

/** The database element every WeChat login app needs (its file is overridden by createApp's `database`). */
export const DATABASE: FileTree = {
  'databases/Default/e.json': { title: 'Default database', type: 'databases.SqliteType' },
  'databases/Default/Default.json': { file: 'data/app.sqlite' },
}

export const SVC = (instance: string) => `auths.loginTypes.${instance}.services.WechatPublicAuthSvc`
export const MODEL = (instance: string) => `auths.loginTypes.${instance}.models.WechatPublicAuthModel`

export interface WechatTestApp {
  app: JitApp
  dir: string
  database: string
  logger: Logger & { lines: string[] }
  sandbox: RunningWechatSandbox
}

/**
 * A temp app with one WeChat login Instance per entry of `instances` (config merged over the demo
 * account's, pointed at the sandbox), a real SQLite file, and a memory logger.
 */
export async function openWechatApp(
  sandbox: RunningWechatSandbox,
  instances: Record<string, Record<string, unknown>> = { Login: {} },
  options: {
    tree?: FileTree
    mode?: 'development' | 'production'
    logger?: Logger & { lines: string[] }
  } = {},
): Promise<WechatTestApp> {
  const tree: FileTree = { 'app.json': appJson('wechat'), ...DATABASE, ...options.tree }
  for (const [name, config] of Object.entries(instances)) {
    tree[`auths/loginTypes/${name}/e.json`] = { title: name, type: 'auths.loginTypes.WechatPublicType' }
    tree[`auths/loginTypes/${name}/${name}.json`] = sandboxInstanceConfig(sandbox.url, config)
  }
  const dir = writeTempTree(tree, 'jitlite-wechat-')
  const database = path.join(dir, 'data', 'app.sqlite')
  const logger = options.logger ?? memoryLogger()
  const app = await createApp({ appDir: dir, database, logger, mode: options.mode ?? 'development' })
  return { app, dir, database, logger, sandbox }
}

export { startWechatSandbox }

type Instances = Record<string, Record<string, unknown>>

/**
 * An object standing for whatever `current()` returns when it is used: a test file declares its
 * sandbox and app at the top, and the hooks that create them fill them in.
 */
function standIn<T extends object>(current: () => T | undefined, what: string): T {
  return new Proxy({} as T, {
    get(_, property) {
      const target = current()
      if (!target) throw new Error(`${what} is only there while the tests run (it starts in beforeAll)`)
      const value = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/**
 * The sandbox of a test file (reset after each test, closed at the end), and `open` for temp apps
 * pointed at it, closed after each test.
 */
export function useSandboxAndApps(): {
  sandbox: RunningWechatSandbox
  open: (instances?: Instances) => Promise<WechatTestApp>
} {
  let running: RunningWechatSandbox | undefined
  const apps: JitApp[] = []
  beforeAll(async () => {
    running = await startWechatSandbox()
  })
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()))
    running?.reset()
  })
  afterAll(async () => {
    await running?.close()
  })
  const sandbox = standIn(() => running, 'the sandbox')
  const open = async (instances?: Instances) => {
    const opened = await openWechatApp(sandbox, instances)
    apps.push(opened.app)
    return opened
  }
  return { sandbox, open }
}

/** The sandbox of a test file (reset after each test) and one app with `instances`, shared by its tests. */
export function useSandboxAndSharedApp(instances: Instances): { sandbox: RunningWechatSandbox; app: JitApp } {
  let running: RunningWechatSandbox | undefined
  let opened: JitApp | undefined
  beforeAll(async () => {
    running = await startWechatSandbox()
    opened = (await openWechatApp(running, instances)).app
  })
  afterEach(() => {
    running?.reset()
  })
  afterAll(async () => {
    await opened?.close()
    await running?.close()
  })
  return { sandbox: standIn(() => running, 'the sandbox'), app: standIn(() => opened, 'the app') }
}

/** A code for `user`, as the consent sheet's Allow (or snsapi_base's silent redirect) would give it. */
export function codeFor(
  sandbox: RunningWechatSandbox,
  options: { appId?: string; scope?: 'snsapi_base' | 'snsapi_userinfo'; user?: string } = {},
): string {
  const redirect = sandbox.authorize({
    appid: options.appId ?? DEMO.appId,
    redirectUri: CALLBACK,
    scope: options.scope ?? 'snsapi_userinfo',
    state: 'teststate1',
    user: options.user,
  })
  const code = new URL(redirect).searchParams.get('code')
  if (!code) throw new Error('the sandbox gave no code')
  return code
}

/** The bytes of the database file and its WAL, as text, for plain-text searches. */
export function databaseBytes(database: string): string {
  return ['', '-wal']
    .map((suffix) => `${database}${suffix}`)
    .filter((file) => fs.existsSync(file))
    .map((file) => fs.readFileSync(file).toString('latin1'))
    .join('\n')
}
