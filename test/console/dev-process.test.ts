import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { WECHAT_SANDBOX_DEMO_APP } from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { REPO_ROOT, startJitServer } from '../helpers/jit-process.ts'
import { type Served, spawnGroup, startOnFreePort } from '../helpers/processes.ts'
import { appJson, writeTempTree } from '../helpers/temp-app.ts'

const JIT_BIN = path.join(REPO_ROOT, 'bin', 'jit.mjs')
let servers: Served[] = []
afterEach(async () => {
  await Promise.all(servers.map((s) => s.stop()))
  servers = []
})

/** `jit dev` on a free port, resolved once it has printed where its console is. */
async function jitDev(appDir: string, env: NodeJS.ProcessEnv = {}): Promise<Served> {
  const { HOST: _host, PUBLIC_URL: _url, ...rest } = process.env
  const served = await startOnFreePort(
    (port) =>
      spawnGroup(process.execPath, [JIT_BIN, 'dev', appDir], {
        cwd: REPO_ROOT,
        env: { ...rest, ...env, PORT: String(port) },
      }),
    (url) => `development console at ${url}/__jit/`,
  )
  servers.push(served)
  return served
}

/** Reads a server-sent-event stream; `next(after)` resolves with the first `elements` version above `after`. */
function eventStream(url: string) {
  const versions: number[] = []
  const waiting: Array<{ after: number; resolve: (v: number) => void }> = []
  let buffer = ''
  const request = http.get(url, (res) => {
    res.setEncoding('utf8')
    res.on('data', (chunk: string) => {
      buffer += chunk
      let end = buffer.indexOf('\n\n')
      while (end >= 0) {
        const frame = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const data = /^data: (.*)$/m.exec(frame)?.[1]
        if (/^event: elements$/m.test(frame) && data) {
          const version = JSON.parse(data).version as number
          versions.push(version)
          for (const w of waiting.splice(0)) {
            if (version > w.after) w.resolve(version)
            else waiting.push(w)
          }
        }
        end = buffer.indexOf('\n\n')
      }
    })
  })
  return {
    next: (after: number) =>
      new Promise<number>((resolve) => {
        const seen = versions.find((v) => v > after)
        if (seen !== undefined) resolve(seen)
        else waiting.push({ after, resolve })
      }),
    first: () => new Promise<number>((resolve) => waiting.push({ after: 0, resolve })),
    close: () => request.destroy(),
  }
}

describe('the console under real jit processes', () => {
  it('jit dev: prints its URL, reads the app .env, refuses a write without the token, and follows the disk live', async () => {
    const secret = '0a1b2c3d4e5f60718293a4b5c6d7e8f9'
    const appDir = writeTempTree({
      'app.json': appJson('devconsole'),
      // The secret only in the app's .env: jit dev reads it.
      '.env': `# local secrets\nWECHAT_APP_SECRET="${secret}"\n`,
      'auths/loginTypes/MyWechatLogin/e.json': { title: 'WeChat', type: 'auths.loginTypes.WechatPublicType' },
      'auths/loginTypes/MyWechatLogin/MyWechatLogin.json': {
        appId: WECHAT_SANDBOX_DEMO_APP.appId,
        appSecret: '${WECHAT_APP_SECRET}',
      },
    })
    const dev = await jitDev(appDir)
    expect(dev.output).not.toMatch(/reachable from other computers/)

    const app = await (await fetch(`${dev.url}/__jit/api/app`)).json()
    expect(app.bind).toEqual({ host: '127.0.0.1', port: Number(new URL(dev.url).port), loopback: true })
    const tree = await (await fetch(`${dev.url}/__jit/api/elements`)).json()
    const login = tree.elements.find(
      (e: { fullName: string }) => e.fullName === 'auths.loginTypes.MyWechatLogin',
    )
    expect(login).toMatchObject({ valid: true, problems: [] })
    const detail = await (await fetch(`${dev.url}/__jit/api/elements/auths.loginTypes.MyWechatLogin`)).json()
    expect(detail.secrets).toEqual({ appSecret: { ref: 'WECHAT_APP_SECRET', set: true } })

    const refused = await fetch(`${dev.url}/__jit/api/elements/auths.loginTypes.MyWechatLogin`, {
      method: 'DELETE',
      headers: { origin: dev.url },
    })
    expect(refused.status).toBe(403)
    expect(fs.existsSync(path.join(appDir, 'auths/loginTypes/MyWechatLogin/e.json'))).toBe(true)

    // An editor adds an element and breaks another: the stream says so, and the tree shows both.
    const events = eventStream(`${dev.url}/__jit/api/events`)
    try {
      const first = await events.first()
      const second = path.join(appDir, 'auths/loginTypes/SecondLogin')
      fs.mkdirSync(second)
      fs.writeFileSync(
        path.join(second, 'SecondLogin.json'),
        fs.readFileSync(path.join(appDir, 'auths/loginTypes/MyWechatLogin/MyWechatLogin.json')),
      )
      fs.writeFileSync(
        path.join(second, 'e.json'),
        '{ "title": "Second", "type": "auths.loginTypes.WechatPublicType" }\n',
      )
      const afterAdd = await events.next(first)
      const added = await (await fetch(`${dev.url}/__jit/api/elements`)).json()
      expect(added.version).toBeGreaterThanOrEqual(afterAdd)
      expect(
        added.elements.find((e: { fullName: string }) => e.fullName === 'auths.loginTypes.SecondLogin'),
      ).toMatchObject({
        source: 'own',
        kind: 'Instance',
        valid: true,
      })

      // A new element the app refuses (a service without its index.ts) shows with its problem.
      fs.mkdirSync(path.join(appDir, 'services/HelloSvc'), { recursive: true })
      fs.writeFileSync(
        path.join(appDir, 'services/HelloSvc/e.json'),
        '{ "title": "Hello", "type": "services.NormalType" }\n',
      )
      const afterRefusal = await events.next(afterAdd)
      const refusedTree = await (await fetch(`${dev.url}/__jit/api/elements`)).json()
      const hello = refusedTree.elements.find((e: { fullName: string }) => e.fullName === 'services.HelloSvc')
      expect(hello).toMatchObject({
        valid: false,
        problems: [{ code: 'JIT_SERVICE_INVALID', file: 'services/HelloSvc/index.ts' }],
      })
      fs.rmSync(path.join(appDir, 'services'), { recursive: true })
      const afterRemoval = await events.next(afterRefusal)

      fs.writeFileSync(
        path.join(appDir, 'auths/loginTypes/MyWechatLogin/MyWechatLogin.json'),
        '{ "appId": "wx1" ',
      )
      await events.next(afterRemoval)
      const broken = await (await fetch(`${dev.url}/__jit/api/elements`)).json()
      const problem = broken.elements.find(
        (e: { fullName: string }) => e.fullName === 'auths.loginTypes.MyWechatLogin',
      )
      expect(problem.valid).toBe(false)
      expect(problem.problems[0]).toMatchObject({
        file: 'auths/loginTypes/MyWechatLogin/MyWechatLogin.json',
        code: 'JIT_CONFIG_MALFORMED',
      })
    } finally {
      events.close()
    }
  })

  it('jit start: no console at all', async () => {
    const appDir = writeTempTree({ 'app.json': appJson('startconsole') })
    const start = await startJitServer('start', appDir, { ...process.env, NODE_ENV: 'production' })
    servers.push(start)
    for (const url of ['/__jit/', '/__jit/api/app', '/__jit/api/elements', '/__jit/api/events']) {
      expect((await fetch(`${start.url}${url}`)).status, url).toBe(404)
    }
    const write = await fetch(`${start.url}/__jit/api/elements`, {
      method: 'POST',
      headers: { origin: start.url, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'services.NormalType', name: 'X', config: {} }),
    })
    expect(write.status).toBe(404)
    expect(fs.readdirSync(appDir)).toEqual(['app.json'])
    expect(start.output).not.toContain('/__jit/')
  })
})
