/**
 * Two `jit start` processes on one app and one SQLite file, against the WeCom sandbox: logins on both
 * at once share one app token (one gettoken reached WeCom), through the token's row in the database.
 */

import path from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type RunningWecomSandbox,
  startWecomSandbox,
  WECOM_SANDBOX_APPS,
  WECOM_SANDBOX_DEMO_APP,
} from '../../types/auths/loginTypes/QywxInnerType/sandbox/index.ts'
import { type JitServer, startJitServer } from '../helpers/jit-process.ts'
import { appJson, writeTempTree } from '../helpers/temp-app.ts'
import { DESKTOP_UA, TEST_KEY } from './helpers.ts'

const TIMEOUT_MS = 120_000
const API = '/api/tests/staff'
// An app created before 2022-06-20 (no trusted-IP list); production refuses the demo app's secret.
const APP = WECOM_SANDBOX_APPS.legacy

let sandbox: RunningWecomSandbox | undefined
const servers: JitServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()))
  await sandbox?.close()
  sandbox = undefined
})

function staffApp(): string {
  return writeTempTree(
    {
      'app.json': appJson('staff'),
      'auths/loginTypes/StaffLogin/e.json': { title: 'Staff', type: 'auths.loginTypes.QywxInnerType' },
      'auths/loginTypes/StaffLogin/StaffLogin.json': {
        corpId: WECOM_SANDBOX_DEMO_APP.corpId,
        corpSecret: '${WECOM_CORP_SECRET}',
        agentId: APP.agentId,
      },
    },
    'jitlite-wecom-two-',
  )
}

/** One desktop login on `server` as `member`, through the sandbox's web login: the session's user. */
async function logIn(server: JitServer, member: string) {
  const start = await fetch(`${server.url}${API}/auths/loginTypes/StaffLogin/login?redirectUrl=%2F`, {
    redirect: 'manual',
    headers: { 'user-agent': DESKTOP_UA },
  })
  expect(start.status).toBe(302)
  const cookie = start.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ')
  const entry = new URL(String(start.headers.get('location')))
  const callback = sandbox!.webLogin({
    agentid: APP.agentId,
    redirectUri: entry.searchParams.get('redirect_uri') ?? '',
    state: entry.searchParams.get('state') ?? '',
    member,
  })
  const back = await fetch(callback, { redirect: 'manual', headers: { cookie, 'user-agent': DESKTOP_UA } })
  expect(back.status).toBe(302)
  const sessionCookie = [cookie, ...back.headers.getSetCookie().map((line) => line.split(';')[0])].join('; ')
  const session = await fetch(`${server.url}${API}/auths/session`, { headers: { cookie: sessionCookie } })
  expect(session.status).toBe(200)
  return (await session.json()).data.user as { displayName: string; profile: { userId: string } }
}

describe('two jit processes on one database', () => {
  it(
    'share one app token: logins on both at once make one gettoken',
    async () => {
      sandbox = await startWecomSandbox()
      const dir = staffApp()
      const env = {
        ...process.env,
        JIT_SECRET_KEY: TEST_KEY,
        WECOM_CORP_SECRET: APP.secret,
        WECOM_OAUTH_BASE_URL: sandbox.url,
        WECOM_LOGIN_BASE_URL: sandbox.url,
        WECOM_API_BASE_URL: sandbox.url,
      }
      const [a, b] = await Promise.all([startJitServer('start', dir, env), startJitServer('start', dir, env)])
      servers.push(a, b)
      // WeCom is slow to hand out the token: both processes need it at the same moment.
      sandbox.setLatency(500, 'gettoken')
      const users = await Promise.all([
        logIn(a, 'zhangwei'),
        logIn(b, 'lina'),
        logIn(a, 'lina'),
        logIn(b, 'zhangwei'),
      ])
      expect(users.map((user) => user.profile.userId)).toEqual(['ZhangWei', 'lina', 'lina', 'ZhangWei'])
      expect(sandbox.calls('gettoken')).toHaveLength(1)
      expect(sandbox.calls('getuserinfo')).toHaveLength(4)
      // Later logins on either process reuse it.
      await logIn(b, 'lina')
      await logIn(a, 'zhangwei')
      expect(sandbox.calls('gettoken')).toHaveLength(1)
      const db = new BetterSqlite3(path.join(dir, 'data', 'app.sqlite'), { readonly: true })
      try {
        expect(db.prepare('select count(*) as n from qywx_inner_app_tokens').get()).toEqual({ n: 1 })
        expect(db.prepare('select count(*) as n from qywx_inner_auth').get()).toEqual({ n: 2 })
      } finally {
        db.close()
      }
    },
    TIMEOUT_MS,
  )
})
