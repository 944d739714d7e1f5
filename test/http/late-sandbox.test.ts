import fs from 'node:fs'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { createApp, type JitApp } from '../../runtime/app.ts'
import { sandboxOverrides } from '../../runtime/http/sandboxes.ts'
import { buildServer } from '../../runtime/http/server.ts'
import { silentLogger } from '../../runtime/log.ts'
import { WECHAT_SANDBOX_DEMO_APP } from '../../types/auths/loginTypes/WechatPublicType/sandbox/demo.ts'
import { freePort } from '../helpers/free-port.ts'
import { appJson, writeTempTree, writeTree } from '../helpers/temp-app.ts'

/**
 * `jit dev` on an app with no WeChat login: no Type in use brings the WeChat sandbox, yet the console's
 * "Test connection" asks it before the first Instance exists, and an Instance added later (by the
 * console, or in an editor) is pointed at `/__sandbox/wechat`: it answers both, bodies and all, without
 * a restart.
 */

let app: JitApp | undefined
let server: FastifyInstance | undefined
let appDir: string | undefined
afterEach(async () => {
  await server?.close()
  await app?.close()
  if (appDir) fs.rmSync(appDir, { recursive: true, force: true })
  server = app = appDir = undefined
})

describe('a sandbox no Type in use brought at start', () => {
  it('is served before the first Instance of its Type, and the login goes through it after', async () => {
    appDir = writeTempTree({ 'app.json': appJson('late') }, 'jitlite-late-sandbox-')
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    app = await createApp({
      appDir,
      database: path.join(appDir, 'late.sqlite'),
      env: { WECHAT_APP_SECRET: WECHAT_SANDBOX_DEMO_APP.appSecret },
      publicUrl: url,
      logger: silentLogger,
      configOverrides: sandboxOverrides(url),
    })
    server = await buildServer(app, { sandboxes: true })
    await server.listen({ port, host: '127.0.0.1' })
    // No Instance yet: "Test connection" of the console's create form asks the sandbox all the same.
    const token = await fetch(`${url}/__sandbox/wechat/cgi-bin/stable_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credential',
        appid: WECHAT_SANDBOX_DEMO_APP.appId,
        secret: 'c'.repeat(32),
      }),
    })
    expect(token.status).toBe(200)
    expect(((await token.json()) as { errcode: number }).errcode).toBe(40125)

    writeTree(appDir, {
      'auths/loginTypes/MyWechatLogin/e.json': { title: 'Login', type: 'auths.loginTypes.WechatPublicType' },
      'auths/loginTypes/MyWechatLogin/MyWechatLogin.json': {
        appId: WECHAT_SANDBOX_DEMO_APP.appId,
        appSecret: '${WECHAT_APP_SECRET}',
      },
    })
    await app.reload()

    const state = await fetch(`${url}/__sandbox/wechat/__admin/state`)
    expect(state.status).toBe(200)
    const { users, defaultUser } = (await state.json()) as {
      users: Array<{ key: string }>
      defaultUser: string
    }
    // A JSON body reaches the sandbox as it was sent.
    const other = users.find((user) => user.key !== defaultUser)!.key
    const changed = await fetch(`${url}/__sandbox/wechat/__admin/default-user`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: other }),
    })
    expect(changed.status).toBe(200)
    const after = (await (await fetch(`${url}/__sandbox/wechat/__admin/state`)).json()) as {
      defaultUser: string
    }
    expect(after.defaultUser).toBe(other)

    const login = await fetch(`${url}/api/tests/late/auths/loginTypes/MyWechatLogin/login?redirectUrl=%2F`, {
      redirect: 'manual',
    })
    expect(login.status).toBe(302)
    const authorize = String(login.headers.get('location'))
    expect(authorize.startsWith(`${url}/__sandbox/wechat/connect/oauth2/authorize?`)).toBe(true)
    const consent = await fetch(authorize, { headers: { 'user-agent': 'MicroMessenger/8.0.42' } })
    expect(consent.status).toBe(200)
    expect(consent.headers.get('content-type')).toMatch(/^text\/html/)
    expect(await consent.text()).toContain('jitlite Demo')
  })

  it('answers 404 for a path no sandbox has, and for a sandbox no Type declares', async () => {
    appDir = writeTempTree({ 'app.json': appJson('early') }, 'jitlite-late-sandbox-')
    writeTree(appDir, {
      'auths/loginTypes/MyWechatLogin/e.json': { title: 'Login', type: 'auths.loginTypes.WechatPublicType' },
      'auths/loginTypes/MyWechatLogin/MyWechatLogin.json': {
        appId: WECHAT_SANDBOX_DEMO_APP.appId,
        appSecret: WECHAT_SANDBOX_DEMO_APP.appSecret,
      },
    })
    const url = 'http://127.0.0.1:3000'
    app = await createApp({
      appDir,
      database: path.join(appDir, 'early.sqlite'),
      env: {},
      publicUrl: url,
      logger: silentLogger,
      configOverrides: sandboxOverrides(url),
    })
    server = await buildServer(app, { sandboxes: true })
    expect((await server.inject({ method: 'GET', url: '/__sandbox/wechat/__admin/state' })).statusCode).toBe(
      200,
    )
    expect((await server.inject({ method: 'GET', url: '/__sandbox/wechat/no/such/page' })).statusCode).toBe(
      404,
    )
    expect((await server.inject({ method: 'GET', url: '/__sandbox/nosuch/x' })).statusCode).toBe(404)
  })
})
