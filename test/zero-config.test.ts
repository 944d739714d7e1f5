/**
 * An app of the seed's two files and an app.json, nothing else: the framework's databases.Default
 * stores its users in <app>/data/app.sqlite under jit dev, jit run and jit start, and jit check creates
 * nothing.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { startWechatSandbox } from '../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { type JitServer, REPO_ROOT, runJit, startJitServer } from './helpers/jit-process.ts'
import { appJson, writeTree } from './helpers/temp-app.ts'

const TEST_KEY = 'Kx7z6bq4cVYpHh0m2lTQ1mE6m3r6TqRz8dW9s0gYt3U='
const INSTANCE = 'auths/loginTypes/MyWechatLogin'
const API = '/api/tests/shop'
const TIMEOUT_MS = 120_000

/** The env of a jit process: no WeChat hosts of the caller's, no key file. */
function jitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { WECHAT_OAUTH_BASE_URL: _o, WECHAT_API_BASE_URL: _a, WECHAT_APP_SECRET: _s, ...env } = process.env
  return { ...env, JIT_SECRET_KEY: TEST_KEY, ...extra }
}

/** app.json plus the seed's e.json and business config, as the demo app ships them. */
function seedApp(): string {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'jitlite-zero-config-')), 'shop')
  writeTree(dir, { 'app.json': appJson('shop') })
  fs.cpSync(path.join(REPO_ROOT, 'app', INSTANCE), path.join(dir, INSTANCE), { recursive: true })
  return dir
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()
}

function storedUsers(dir: string): Array<{ openid: string; nickname: string }> {
  const db = new BetterSqlite3(path.join(dir, 'data', 'app.sqlite'), { readonly: true })
  try {
    return db.prepare('select openid, nickname from wechat_public_auth order by id').all() as Array<{
      openid: string
      nickname: string
    }>
  } finally {
    db.close()
  }
}

/** The cookies of `response` as a Cookie header, over those already held. */
function withCookies(held: string, response: Response): string {
  const jar = new Map(held ? held.split('; ').map((pair) => pair.split('=', 2) as [string, string]) : [])
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';')
    const at = pair.indexOf('=')
    jar.set(pair.slice(0, at), pair.slice(at + 1))
  }
  return [...jar].map(([name, value]) => `${name}=${value}`).join('; ')
}

/** A browser's login through the mounted sandbox: start, Allow as `user`, callback. Returns its cookies. */
async function logInThroughSandbox(url: string, user: string): Promise<string> {
  const login = await fetch(`${url}${API}/${INSTANCE}/login?redirectUrl=%2F`, { redirect: 'manual' })
  expect(login.status).toBe(302)
  let cookies = withCookies('', login)
  const authorize = String(login.headers.get('location'))
  expect(authorize.startsWith(`${url}/__sandbox/wechat/connect/oauth2/authorize?`)).toBe(true)
  const consent = await fetch(authorize)
  expect(consent.status).toBe(200)
  const query = /name="query" value="([^"]*)"/.exec(await consent.text())?.[1]?.replace(/&#38;/g, '&') ?? ''
  const allowed = await fetch(`${url}/__sandbox/wechat/connect/oauth2/authorize_reply`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query, user, action: 'allow' }).toString(),
  })
  expect(allowed.status).toBe(302)
  const callback = await fetch(String(allowed.headers.get('location')), {
    redirect: 'manual',
    headers: { cookie: cookies },
  })
  expect(callback.status).toBe(302)
  expect(callback.headers.get('location')).toBe(`${url}/`)
  cookies = withCookies(cookies, callback)
  return cookies
}

let server: JitServer | undefined
afterEach(async () => {
  await server?.stop()
  server = undefined
})

describe('an app of app.json and the seed two files', () => {
  it(
    'passes jit check without creating a file, logs in under jit dev, and runs the seed example under jit run',
    async () => {
      const dir = seedApp()
      const before = filesUnder(dir)
      const check = await runJit(['check', dir], { env: jitEnv() })
      expect(check.stdout).toMatch(/elements, no problems/)
      expect(check.code).toBe(0)
      expect(filesUnder(dir)).toEqual(before)

      server = await startJitServer('dev', dir, jitEnv())
      const cookies = await logInThroughSandbox(server.url, 'ada')
      const session = await fetch(`${server.url}${API}/auths/session`, { headers: { cookie: cookies } })
      expect(session.status).toBe(200)
      const [stored] = storedUsers(dir)
      expect(stored.nickname).toBe('Ada Zhou')
      expect((await session.json()).data.user.profile).toMatchObject({ openid: stored.openid })
      await server.stop()
      server = undefined

      const sandbox = await startWechatSandbox()
      try {
        const example = await runJit(['run', 'scripts/wechat-login-example.ts', dir], {
          env: jitEnv({
            WECHAT_OAUTH_BASE_URL: sandbox.url,
            WECHAT_API_BASE_URL: sandbox.url,
            SANDBOX_USER: 'momo',
          }),
        })
        expect(example.stderr).toBe('')
        expect(example.code).toBe(0)
        expect(example.stdout).toContain('nickname: Momo🌸')
        const openid = /^openid: (o[A-Za-z0-9_-]{27})$/m.exec(example.stdout)?.[1]
        expect(storedUsers(dir).map((u) => u.openid)).toEqual([stored.openid, openid])
      } finally {
        await sandbox.close()
      }
      expect(fs.readdirSync(path.join(dir, 'data')).filter((f) => f.endsWith('.sqlite'))).toEqual([
        'app.sqlite',
      ])
    },
    TIMEOUT_MS,
  )

  it(
    'serves under jit start: a login starts and its state is kept in <app>/data/app.sqlite',
    async () => {
      const dir = seedApp()
      server = await startJitServer(
        'start',
        dir,
        jitEnv({ WECHAT_APP_SECRET: '0f1e2d3c4b5a69788796a5b4c3d2e1f0' }),
      )
      const login = await fetch(`${server.url}${API}/${INSTANCE}/login?redirectUrl=%2F`, {
        redirect: 'manual',
      })
      expect(login.status).toBe(302)
      expect(String(login.headers.get('location'))).toMatch(
        /^https:\/\/open\.weixin\.qq\.com\/connect\/oauth2\//,
      )
      const db = new BetterSqlite3(path.join(dir, 'data', 'app.sqlite'), { readonly: true })
      try {
        expect(db.prepare('select count(*) as n from jit_login_states').get()).toEqual({ n: 1 })
      } finally {
        db.close()
      }
    },
    TIMEOUT_MS,
  )
})
