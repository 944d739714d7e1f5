/**
 * The sandbox plugs into the runtime the way the WeChat one does, through a Type's `sandbox` member
 * only: `jit dev` mounts it under /__sandbox/wecom/ and points the Type's Instances at it (unless they
 * name WeCom's hosts), and `jit sandbox wecom` finds it. A probe Type stands in for the WeCom login Type.
 */
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runSandbox, sandboxOverrides } from '../../runtime/http/sandboxes.ts'
import { buildServer } from '../../runtime/http/server.ts'
import { createApp, type JitApp } from '../../runtime/index.ts'
import { memoryLogger } from '../../runtime/log.ts'
import { freePort } from '../helpers/free-port.ts'
import { appJson, writeTempTree } from '../helpers/temp-app.ts'
import { DEMO, WECOM_UA } from './helpers.ts'

const DEFINITION = fileURLToPath(
  new URL('../../types/auths/loginTypes/QywxInnerType/sandbox/definition.ts', import.meta.url),
)

let dir: string
let app: JitApp
let server: FastifyInstance
let publicUrl: string
beforeAll(async () => {
  const port = await freePort()
  publicUrl = `http://127.0.0.1:${port}`
  dir = writeTempTree({
    'app.json': appJson('wecomprobe'),
    'probes/Meta/e.json': { title: 'Probes', type: '' },
    'probes/WecomProbeType/e.json': { title: 'WeCom probe', type: 'probes.Meta' },
    'probes/WecomProbeType/type.ts': `
import { defineType, z } from 'jitlite'
import { wecomSandboxDefinition } from ${JSON.stringify(DEFINITION)}

export default defineType({
  config: z.object({
    oauthBaseUrl: z.string().default('https://open.weixin.qq.com'),
    loginBaseUrl: z.string().default('https://login.work.weixin.qq.com'),
    apiBaseUrl: z.string().default('https://qyapi.weixin.qq.com'),
  }),
  load: ({ config }) => ({ hosts: () => ({ ...config }) }),
  sandbox: wecomSandboxDefinition,
})
`,
    'probes/Staff/e.json': { title: 'Staff', type: 'probes.WecomProbeType' },
    'probes/Staff/Staff.json': {},
    'probes/Real/e.json': { title: 'Real', type: 'probes.WecomProbeType' },
    'probes/Real/Real.json': { apiBaseUrl: 'https://qyapi.weixin.qq.com' },
  })
  app = await createApp({
    appDir: dir,
    database: ':memory:',
    logger: memoryLogger(),
    mode: 'development',
    publicUrl,
    configOverrides: sandboxOverrides(publicUrl),
  })
  server = await buildServer(app, { sandboxes: true })
  await server.listen({ port, host: '127.0.0.1' })
})
afterAll(async () => {
  await server?.close()
  await app?.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('jit dev with the WeCom sandbox', () => {
  it('points an Instance that names no hosts at /__sandbox/wecom, and leaves one that does alone', () => {
    const base = `${publicUrl}/__sandbox/wecom`
    expect(app.getElement('probes.Staff').hosts()).toEqual({
      oauthBaseUrl: base,
      loginBaseUrl: base,
      apiBaseUrl: base,
    })
    expect(app.getElement('probes.Real').hosts().apiBaseUrl).toBe('https://qyapi.weixin.qq.com')
  })

  it('serves the pages and the API there, with pictures on the public URL', async () => {
    const base = `${publicUrl}/__sandbox/wecom`
    const token = await (
      await fetch(`${base}/cgi-bin/gettoken?corpid=${DEMO.corpId}&corpsecret=${DEMO.corpSecret}`)
    ).json()
    expect(token.errcode).toBe(0)
    const query = new URLSearchParams({
      appid: DEMO.corpId,
      redirect_uri: `${publicUrl}/cb`,
      response_type: 'code',
      scope: 'snsapi_base',
      state: 'd1',
      agentid: String(DEMO.agentId),
    })
    const page = await fetch(`${base}/connect/oauth2/authorize?${query}`, {
      redirect: 'manual',
      headers: { 'user-agent': WECOM_UA },
    })
    expect(page.status).toBe(302)
    const code = new URL(page.headers.get('location')!).searchParams.get('code')
    const identity = await (
      await fetch(`${base}/cgi-bin/auth/getuserinfo?access_token=${token.access_token}&code=${code}`)
    ).json()
    expect(identity.userid).toBe('ZhangWei')
  })

  it("jit sandbox wecom: found among the app's Types, its CLI refuses a bad port with its usage", async () => {
    const errors: string[] = []
    const original = console.error
    console.error = (line: string) => errors.push(line)
    try {
      expect(await runSandbox(['wecom', '--app', dir, '--port', 'eighty'])).toBe(2)
    } finally {
      console.error = original
    }
    expect(errors.join('\n')).toContain('Usage: jit sandbox wecom')
  })
})
