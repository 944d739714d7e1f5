/**
 * Under `jit dev`: the Type's sandbox member is mounted under /__sandbox/wechat/ and Instances that
 * name no WeChat hosts are pointed at it.
 */
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sandboxOverrides } from '../../runtime/http/sandboxes.ts'
import { buildServer } from '../../runtime/http/server.ts'
import { createApp, type JitApp } from '../../runtime/index.ts'
import { memoryLogger } from '../../runtime/log.ts'
import { wechatSandboxDefinition } from '../../types/auths/loginTypes/WechatPublicType/sandbox-definition.ts'
import { freePort } from '../helpers/free-port.ts'
import { appJson, writeTempTree } from '../helpers/temp-app.ts'
import { DATABASE, DEMO, SVC, useTestKey } from './helpers.ts'

useTestKey()

let app: JitApp
let server: FastifyInstance
let publicUrl: string
beforeAll(async () => {
  const port = await freePort()
  publicUrl = `http://127.0.0.1:${port}`
  const dir = writeTempTree({
    'app.json': appJson('wechat'),
    ...DATABASE,
    'auths/loginTypes/Dev/e.json': { title: 'Dev', type: 'auths.loginTypes.WechatPublicType' },
    'auths/loginTypes/Dev/Dev.json': { appId: DEMO.appId, appSecret: DEMO.appSecret },
    'auths/loginTypes/Real/e.json': { title: 'Real', type: 'auths.loginTypes.WechatPublicType' },
    'auths/loginTypes/Real/Real.json': {
      appId: DEMO.appId,
      appSecret: DEMO.appSecret,
      oauthBaseUrl: 'https://open.weixin.qq.com',
    },
  })
  app = await createApp({
    appDir: dir,
    database: path.join(dir, 'data', 'app.sqlite'),
    logger: memoryLogger(),
    mode: 'development',
    publicUrl,
    configOverrides: sandboxOverrides(publicUrl),
  })
  server = await buildServer(app, { sandboxes: true })
  await server.listen({ port, host: '127.0.0.1' })
})
afterAll(async () => {
  await server.close()
  await app.close()
})

/** A test user's Allow on the mounted sandbox's consent sheet; returns the code. */
async function allow(authorizeUrl: string): Promise<string> {
  const page = await fetch(authorizeUrl)
  expect(page.status).toBe(200)
  const html = await page.text()
  const query = /name="query" value="([^"]*)"/.exec(html)?.[1]?.replace(/&#38;/g, '&') ?? ''
  const reply = await fetch(`${publicUrl}/__sandbox/wechat/connect/oauth2/authorize_reply`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query, user: 'ada', action: 'allow' }).toString(),
  })
  expect(reply.status).toBe(302)
  return new URL(reply.headers.get('location') ?? '').searchParams.get('code') ?? ''
}

describe('jit dev', () => {
  it('mounts the sandbox and points an Instance that names no hosts at it, end to end', async () => {
    const svc = app.getElement(SVC('Dev'))
    const url = svc.getAuthorizeUrl(`${publicUrl}/cb`, { state: 'dev1' })
    expect(
      url.startsWith(`${publicUrl}/__sandbox/wechat/connect/oauth2/authorize?appid=${DEMO.appId}&`),
    ).toBe(true)
    const user = await svc.getUserInfo(await allow(url))
    expect(user.nickname).toBe('Ada Zhou')
    expect(user.headimgurl.startsWith(`${publicUrl}/__sandbox/wechat/`)).toBe(true)
  })

  it('leaves an Instance that names WeChat hosts alone', () => {
    const url = app.getElement(SVC('Real')).getAuthorizeUrl(`${publicUrl}/cb`, { state: 'real1' })
    expect(url.startsWith('https://open.weixin.qq.com/connect/oauth2/authorize?')).toBe(true)
  })

  it('jit sandbox wechat: the CLI entry refuses a bad port with its usage', async () => {
    expect(wechatSandboxDefinition.name).toBe('wechat')
    const errors: string[] = []
    const original = console.error
    console.error = (line: string) => errors.push(line)
    try {
      expect(await wechatSandboxDefinition.runCli(['--port', 'eighty'])).toBe(2)
    } finally {
      console.error = original
    }
    expect(errors.join('\n')).toContain('Usage: jit sandbox wechat')
  })
})
