/**
 * The service the soak, fuzz and faults scripts drive: a temp app with one WeChat login Instance
 * pointed at a WeChat sandbox in the driving process, served by a real `jit start` process on a free
 * loopback port, its database SQLite (a file in the app) or PostgreSQL (a url).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateSecretKey } from '../../runtime/crypto.ts'
import type { RunningWechatSandbox } from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'

const JIT_BIN = fileURLToPath(new URL('../../bin/jit.mjs', import.meta.url))

/** A fixture account of the sandbox other than the demo one: production refuses the demo secret. */
export const ACCOUNT = { appId: 'wx8d2f6a0c4e1b9537', appSecret: 'c4a8e2f6b0d4a8c2e6f0b4d8a2c6e0f4' }
export const ORG = 'ops'
export const APP_NAME = 'shop'
export const API = `/api/${ORG}/${APP_NAME}`
export const INSTANCE_PATH = `${API}/auths/loginTypes/ShopLogin`
export const SESSION_PATH = `${API}/auths/session`
/** Sandbox users who may log in (fixtures.json); `visitor` must follow first, so not here. */
export const SANDBOX_USERS = ['lin', 'momo', 'kai', 'ada'] as const

export type TargetDatabase = { kind: 'sqlite' } | { kind: 'postgres'; url: string }

export interface TargetAppOptions {
  sandbox: RunningWechatSandbox
  database: TargetDatabase
  /** Where the app folder goes; default a fresh temp folder. */
  parent?: string
  /** Config of the login Instance over the account and the sandbox's URLs (WeChat deadlines, say). */
  login?: Record<string, unknown>
  /** More files of the app, by path in it (a service, say); objects are written as JSON. */
  moreFiles?: Record<string, string | object>
}

export interface TargetApp {
  dir: string
  /** The SQLite file, for the SQLite kind. */
  sqliteFile?: string
  /** The environment `jit start` needs for this app (secrets, database url). */
  env: Record<string, string>
}

/** Writes the app folder: `databases.Default` on SQLite or PostgreSQL, and the `ShopLogin` Instance. */
export function writeTargetApp(options: TargetAppOptions): TargetApp {
  const dir = fs.mkdtempSync(path.join(options.parent ?? os.tmpdir(), 'jitlite-ops-'))
  const files: Record<string, string | object> = {
    'app.json': { orgId: ORG, name: APP_NAME, title: 'Ops target', version: '1.0.0' },
    'databases/Default/e.json': {
      title: 'Default database',
      type: options.database.kind === 'sqlite' ? 'databases.SqliteType' : 'databases.PostgresType',
    },
    'databases/Default/Default.json':
      options.database.kind === 'sqlite' ? { file: 'data/app.sqlite' } : { url: '${DATABASE_URL}' },
    'auths/loginTypes/ShopLogin/e.json': { title: 'WeChat', type: 'auths.loginTypes.WechatPublicType' },
    'auths/loginTypes/ShopLogin/ShopLogin.json': {
      appId: ACCOUNT.appId,
      appSecret: '${SHOP_WECHAT_SECRET}',
      oauthBaseUrl: options.sandbox.url,
      apiBaseUrl: options.sandbox.url,
      ...options.login,
    },
  }
  for (const [relative, content] of Object.entries({ ...files, ...options.moreFiles })) {
    const file = path.join(dir, relative)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`)
  }
  const env: Record<string, string> = {
    JIT_SECRET_KEY: generateSecretKey(),
    SHOP_WECHAT_SECRET: ACCOUNT.appSecret,
  }
  if (options.database.kind === 'postgres') env.DATABASE_URL = options.database.url
  return {
    dir,
    sqliteFile: options.database.kind === 'sqlite' ? path.join(dir, 'data', 'app.sqlite') : undefined,
    env,
  }
}

export interface Target {
  readonly url: string
  readonly pid: number
  /** Everything it printed so far. */
  output(): string
  /** Resolves once its output contains `text`. */
  waitFor(text: string | RegExp): Promise<void>
  /** Resolves with how it ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  kill(signal: NodeJS.Signals): void
  /** The /metrics URL on its METRICS_PORT. */
  metricsUrl(): Promise<string>
  /** Calls `listener` with each piece of its output from now on (all of it, where output() keeps the end). */
  onOutput(listener: (chunk: string) => void): void
}

/**
 * Starts `jit start <app.dir>` on a free port (again on another if someone took it in between) and
 * resolves once it serves. `env` goes over the app's and the driver's environment.
 */
export async function startTarget(app: TargetApp, env: Record<string, string> = {}): Promise<Target> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const target = spawnTarget(app, port, env)
    try {
      await target.waitFor(`at ${target.url}`)
      return target
    } catch (error) {
      target.kill('SIGKILL')
      if (!target.output().includes('JIT_PORT_IN_USE') || attempt === 3) throw error
    }
  }
}

function spawnTarget(app: TargetApp, port: number, env: Record<string, string>): Target {
  const { HOST: _h, PUBLIC_URL: _p, LOG_FORMAT: _f, METRICS_TOKEN: _t, ...inherited } = process.env
  const child: ChildProcess = spawn(process.execPath, [JIT_BIN, 'start', app.dir], {
    env: {
      ...inherited,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      METRICS_PORT: '0',
      ...app.env,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let text = ''
  const waiters = new Set<() => void>()
  const listeners: Array<(chunk: string) => void> = []
  const collect = (chunk: Buffer) => {
    const piece = chunk.toString()
    for (const listener of listeners) listener(piece)
    text += piece
    // Only the last few MB are kept, cut now and then: a soak prints a line per request for minutes.
    if (text.length > 8_000_000) text = text.slice(-2_000_000)
    for (const waiter of [...waiters]) waiter()
  }
  child.stdout!.on('data', collect)
  child.stderr!.on('data', collect)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      for (const waiter of [...waiters]) waiter()
      resolve({ code, signal })
    }),
  )
  const waitFor = (wanted: string | RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (typeof wanted === 'string' ? text.includes(wanted) : wanted.test(text)) {
          waiters.delete(check)
          resolve()
        } else if (child.exitCode !== null || child.signalCode !== null) {
          waiters.delete(check)
          reject(new Error(`jit start ended before printing ${wanted}:\n${text.slice(-4000)}`))
        }
      }
      waiters.add(check)
      check()
    })
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    output: () => text,
    waitFor,
    exited,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    },
    onOutput: (listener) => listeners.push(listener),
    metricsUrl: async () => {
      await waitFor(/metrics at (http:\S+?)"/)
      return /metrics at (http:\S+?)"/.exec(text)![1]
    },
  }
}

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
