/**
 * Two `jit start` processes serving one app folder on one database, as two nodes behind a balancer
 * would: the same PUBLIC_URL (the balancer's), the same JIT_SECRET_KEY, the same DATABASE_URL. The
 * WeChat sandbox runs in the test process on loopback and counts the calls that reach it; each test
 * browser is a cookie jar that sends each request to the node the test picks.
 */
import type { ChildProcess } from 'node:child_process'
import path from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely'
import pg from 'pg'
import { generateSecretKey } from '../../runtime/crypto.ts'
import {
  type RunningWechatSandbox,
  startWechatSandbox,
} from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { REPO_ROOT } from '../helpers/jit-process.ts'
import { freshPostgresDatabase } from '../helpers/postgres.ts'
import { spawnGroup, startOnFreePort, stopGroup } from '../helpers/processes.ts'
import { appJson, type FileTree, writeTempTree } from '../helpers/temp-app.ts'
import { sandboxInstanceConfig } from '../helpers/wechat-instance.ts'
import { CookieBrowser } from './cookie-browser.ts'

/** The databases the node tests run on. */
export type NodeDatabase = 'sqlite' | 'postgres'
export const NODE_DATABASES: readonly NodeDatabase[] = ['sqlite', 'postgres']

export const APP_NAME = 'nodes'
export const API = `/api/tests/${APP_NAME}`
export const LOGIN_PATH = `${API}/auths/loginTypes/SandboxLogin/login`
export const SESSION_PATH = `${API}/auths/session`
export const LOGOUT_PATH = `${API}/auths/logout`
export const PROFILE_PATH = `${API}/services/ProfileSvc/profile`
/** The balancer's address, as both nodes are told (PUBLIC_URL); the tests talk to each node directly. */
export const PUBLIC_URL = 'http://127.0.0.1:3000'
const JIT_BIN = path.join(REPO_ROOT, 'bin', 'jit.mjs')

// A fixture account of the sandbox other than the demo one: `jit start` refuses the demo secret.
const ACCOUNT = { appId: 'wx8d2f6a0c4e1b9537', appSecret: 'c4a8e2f6b0d4a8c2e6f0b4d8a2c6e0f4' }

/** The tables every login writes: users, states, sessions. */
export const LOGIN_TABLES = ['wechat_public_auth', 'jit_login_states', 'jit_sessions'] as const

/** A `jit start` process. */
export interface Node {
  readonly name: string
  url: string
  /** Everything it printed so far. */
  output(): string
  /** SIGKILL to the whole process group: no shutdown, no last commit. */
  kill9(): Promise<void>
  stop(): Promise<void>
}

export interface TwoNodes {
  readonly database: NodeDatabase
  readonly dir: string
  readonly sandbox: RunningWechatSandbox
  readonly env: NodeJS.ProcessEnv
  a: Node
  b: Node
  browser(): CookieBrowser
  /** Starts one more node on the same app and database (`a` and `b` are started by `openTwoNodes`). */
  startNode(name: string): Promise<Node>
  /** A kysely connection of the test's own to the shared database, to look at rows. */
  inspect(): Kysely<any>
  /** Calls that reached the sandbox, by endpoint. */
  wechatCalls(): { access_token: number; userinfo: number; refresh_token: number }
  close(): Promise<void>
}

/** The app both nodes serve: one WeChat login Instance, and a function that reads a stored profile. */
function nodeAppTree(sandbox: RunningWechatSandbox, database: NodeDatabase): FileTree {
  return {
    'app.json': appJson(APP_NAME),
    'databases/Default/e.json':
      database === 'sqlite'
        ? { title: 'Default database', type: 'databases.SqliteType' }
        : { title: 'Default database', type: 'databases.PostgresType' },
    'databases/Default/Default.json':
      database === 'sqlite' ? { file: 'data/app.sqlite' } : { url: '${DATABASE_URL}' },
    'auths/loginTypes/SandboxLogin/e.json': {
      title: 'SandboxLogin (WeChat sandbox)',
      type: 'auths.loginTypes.WechatPublicType',
    },
    'auths/loginTypes/SandboxLogin/SandboxLogin.json': sandboxInstanceConfig(sandbox.url, {
      appId: ACCOUNT.appId,
      // A claim lasts twice this and 10 s: what a delivery after a kill -9 waits out.
      attemptTimeoutMs: 1500,
      totalDeadlineMs: 1500,
      appSecret: '${NODES_WECHAT_SECRET}',
    }),
    'services/ProfileSvc/e.json': {
      title: 'Profile by openid',
      type: 'services.NormalType',
      functionList: [
        { name: 'profile', args: [{ name: 'openid', dataType: 'Stext' }], loginRequired: false },
      ],
    },
    // The stored token's refresh path: what the concurrent-refresh collapse is about.
    'services/ProfileSvc/index.ts': `import { Service } from 'jitlite'

export default class ProfileSvc extends Service {
  profile(openid: string) {
    return this.getElement('auths.loginTypes.SandboxLogin.services.WechatPublicAuthSvc').getUserInfoByOpenid(openid)
  }
}
`,
  }
}

function startNode(name: string, dir: string, env: NodeJS.ProcessEnv): Promise<Node> {
  let child: ChildProcess | undefined
  let output = ''
  return startOnFreePort(
    (port) => {
      output = ''
      child = spawnGroup(process.execPath, [JIT_BIN, 'start', dir], {
        cwd: REPO_ROOT,
        env: { ...env, PORT: String(port) },
      })
      const keep = (chunk: Buffer) => {
        output += chunk.toString()
      }
      child.stdout!.on('data', keep)
      child.stderr!.on('data', keep)
      return child
    },
    () => `at ${PUBLIC_URL}`,
  ).then((served) => {
    const started = child!
    return {
      name,
      url: served.url,
      output: () => output,
      kill9: async () => {
        if (started.exitCode !== null || started.signalCode !== null) return
        const exited = new Promise((resolve) => started.once('exit', resolve))
        process.kill(-started.pid!, 'SIGKILL')
        await exited
      },
      stop: () => stopGroup(started),
    }
  })
}

export async function openTwoNodes(database: NodeDatabase): Promise<TwoNodes> {
  const sandbox = await startWechatSandbox()
  const dir = writeTempTree(nodeAppTree(sandbox, database), 'jitlite-nodes-')
  const postgres = database === 'postgres' ? await freshPostgresDatabase('nodes') : undefined
  const { HOST: _host, ...inherited } = process.env
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    NODE_ENV: 'production',
    PUBLIC_URL,
    JIT_SECRET_KEY: generateSecretKey(),
    NODES_WECHAT_SECRET: ACCOUNT.appSecret,
    // These tests are about what nodes share, not about load: a node's first requests on a busy test
    // machine (its code still compiling) can lag the event loop past the overload guard's second and
    // be answered 503, and every browser here comes from one address (test/ops covers both guards).
    OVERLOAD: 'off',
    RATE_LIMIT: 'off',
    ...(postgres ? { DATABASE_URL: postgres.url } : {}),
  }
  const inspectors: Kysely<any>[] = []
  const nodes: Node[] = []
  const start = async (name: string) => {
    const node = await startNode(name, dir, env)
    nodes.push(node)
    return node
  }
  const [a, b] = await Promise.all([start('A'), start('B')])
  return {
    database,
    dir,
    sandbox,
    env,
    a,
    b,
    browser: () => new CookieBrowser(),
    startNode: start,
    inspect: () => {
      const kysely = postgres
        ? new Kysely<any>({
            dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: postgres.url, max: 2 }) }),
          })
        : new Kysely<any>({
            dialect: new SqliteDialect({ database: new Database(path.join(dir, 'data', 'app.sqlite')) }),
          })
      inspectors.push(kysely)
      return kysely
    },
    wechatCalls: () => {
      const counters = sandbox.counters()
      return {
        access_token: counters.access_token,
        userinfo: counters.userinfo,
        refresh_token: counters.refresh_token,
      }
    },
    close: async () => {
      await Promise.all(nodes.map((node) => node.stop()))
      await Promise.all(inspectors.map((kysely) => kysely.destroy()))
      await sandbox.close()
      await postgres?.drop()
    },
  }
}
