import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { consoleBanner } from '../../runtime/console/bind.ts'
import { CONSOLE_CSP } from '../../runtime/console/page.ts'
import { WECHAT_SANDBOX_DEMO_APP } from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { type ConsoleHarness, ORIGIN, startConsole, TOKEN } from './harness.ts'

const WECHAT = 'auths.loginTypes.WechatPublicType'
let open: ConsoleHarness[] = []
afterEach(async () => {
  await Promise.all(open.map((h) => h.close()))
  open = []
})
async function consoleOver(...args: Parameters<typeof startConsole>) {
  const harness = await startConsole(...args)
  open.push(harness)
  return harness
}

/** Every file under a folder with its text: to tell that a refused request changed nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const file = path.join(entry.parentPath, entry.name)
    out[path.relative(dir, file)] = fs.readFileSync(file, 'utf8')
  }
  return out
}

const createBody = {
  type: WECHAT,
  name: 'MyWechatLogin',
  config: { appId: WECHAT_SANDBOX_DEMO_APP.appId, appSecret: '${WECHAT_APP_SECRET}' },
  secretValues: { WECHAT_APP_SECRET: 'c0ffeec0ffeec0ffeec0ffeec0ffee00' },
}

describe('where the console is', () => {
  it('is absent from a server built without it (jit start)', async () => {
    const h = await consoleOver({}, { console: false, mode: 'production' })
    for (const url of ['/__jit/', '/__jit/api/app', '/__jit/api/elements', '/__jit/assets/style.css']) {
      expect((await h.read(url)).statusCode, url).toBe(404)
    }
    const write = await h.write('POST', '/__jit/api/elements', createBody)
    expect(write.statusCode).toBe(404)
    expect(fs.existsSync(path.join(h.appDir, 'auths'))).toBe(false)
  })

  it('serves its page with a strict CSP and the CSRF token, and its assets', async () => {
    const h = await consoleOver()
    const page = await h.read('/__jit/')
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-security-policy']).toBe(CONSOLE_CSP)
    expect(CONSOLE_CSP).toContain("script-src 'self'")
    expect(CONSOLE_CSP).toContain("frame-ancestors 'none'")
    expect(page.body).toContain(`<meta name="jit-csrf" content="${TOKEN}">\n</head>`)
    const bare = await h.read('/__jit')
    expect(bare.statusCode).toBe(302)
    expect(bare.headers.location).toBe('/__jit/')
    const css = await h.read('/__jit/assets/style.css')
    expect(css.statusCode).toBe(200)
    expect(css.headers['content-type']).toMatch(/^text\/css/)
    for (const bad of ['..%2Fapp.json', '%2E%2E%2Fpackage.json', 'index.html', 'nothing.js']) {
      expect((await h.read(`/__jit/assets/${bad}`)).statusCode, bad).toBe(404)
    }
  })

  it('prints where it is, and warns when the bind host is not loopback', () => {
    expect(consoleBanner('http://127.0.0.1:3000', '127.0.0.1')).toEqual({
      info: 'development console at http://127.0.0.1:3000/__jit/',
    })
    const wide = consoleBanner('http://192.168.1.5:3000', '0.0.0.0')
    expect(wide.warning).toMatch(
      /HOST is 0\.0\.0\.0: the development console .* reachable from other computers/,
    )
  })
})

describe('refused requests change nothing', () => {
  it('refuses writes without the CSRF token or from another origin', async () => {
    const h = await consoleOver()
    const before = snapshot(h.appDir)
    const attempts = [
      { headers: { host: '127.0.0.1:3000', origin: ORIGIN }, code: 'JIT_CONSOLE_CSRF' },
      {
        headers: { host: '127.0.0.1:3000', origin: ORIGIN, 'x-jit-csrf': 'guess' },
        code: 'JIT_CONSOLE_CSRF',
      },
      { headers: { host: '127.0.0.1:3000', 'x-jit-csrf': TOKEN }, code: 'JIT_CONSOLE_ORIGIN' },
      {
        headers: { host: '127.0.0.1:3000', origin: 'http://evil.example', 'x-jit-csrf': TOKEN },
        code: 'JIT_CONSOLE_ORIGIN',
      },
      {
        headers: { host: '127.0.0.1:3000', origin: 'null', 'x-jit-csrf': TOKEN },
        code: 'JIT_CONSOLE_ORIGIN',
      },
      // A page whose DNS name now points at 127.0.0.1 sends its own name and origin.
      {
        headers: { host: 'evil.example:3000', origin: 'http://evil.example:3000', 'x-jit-csrf': TOKEN },
        code: 'JIT_CONSOLE_ORIGIN',
      },
    ]
    for (const { headers, code } of attempts) {
      for (const [method, url] of [
        ['POST', '/__jit/api/elements'],
        ['DELETE', '/__jit/api/elements/databases.Default'],
        ['POST', '/__jit/api/elements/databases.Default/override'],
      ] as const) {
        const res = await h.request({
          method,
          url,
          headers,
          payload: method === 'POST' ? createBody : undefined,
        })
        expect(res.statusCode, `${method} ${url} ${JSON.stringify(headers)}`).toBe(403)
        expect(res.json.error.code).toBe(code)
      }
    }
    expect(snapshot(h.appDir)).toEqual(before)
  })

  it('refuses reads that name another host', async () => {
    const h = await consoleOver()
    const res = await h.request({ method: 'GET', url: '/__jit/', headers: { host: 'evil.example:3000' } })
    expect(res.statusCode).toBe(403)
    expect(res.body).not.toContain(TOKEN)
    expect(
      (await h.request({ method: 'GET', url: '/__jit/api/elements', headers: { host: 'localhost:3000' } }))
        .statusCode,
    ).toBe(200)
  })

  it('refuses names with .., /, \\ or a drive letter, in bodies and in URLs', async () => {
    const h = await consoleOver()
    const before = snapshot(h.appDir)
    for (const name of [
      '..',
      '../Escape',
      'a/b',
      'a\\b',
      'C:',
      'C:evil',
      '..\\x',
      'x..y',
      'CON',
      'nul',
      'Lpt1',
    ]) {
      const res = await h.write('POST', '/__jit/api/elements', { ...createBody, name })
      expect(res.statusCode, name).toBe(400)
      expect(res.json.error.code).toBe('JIT_CONSOLE_NAME_INVALID')
    }
    for (const fullName of ['..', '..%2F..%2Fetc', 'a..b', 'C%3A', 'a%5Cb']) {
      for (const [method, url] of [
        ['DELETE', `/__jit/api/elements/${fullName}`],
        ['POST', `/__jit/api/elements/${fullName}/override`],
        ['PUT', `/__jit/api/elements/${fullName}`],
        ['GET', `/__jit/api/elements/${fullName}`],
      ] as const) {
        const res =
          method === 'GET'
            ? await h.read(url)
            : await h.write(method, url, method === 'PUT' ? { config: {} } : undefined)
        expect([400, 404], `${method} ${url}`).toContain(res.statusCode)
      }
    }
    const restore = await h.write('POST', '/__jit/api/trash/..%2F..%2Fapp/restore')
    expect(restore.statusCode).toBe(404)
    expect(snapshot(h.appDir)).toEqual(before)
  })
})

describe('secrets', () => {
  it('no console response carries a secret value', async () => {
    const stored = 'c0ffeec0ffeec0ffeec0ffeec0ffee00'
    const fromEnv = 'e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1'
    const literal = '7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a'
    const h = await consoleOver(
      {
        // A hand-written literal secret, which the console must never echo.
        'auths/loginTypes/HandWritten/e.json': { title: 'By hand', type: WECHAT },
        'auths/loginTypes/HandWritten/HandWritten.json': {
          appId: WECHAT_SANDBOX_DEMO_APP.appId,
          appSecret: literal,
        },
        'auths/loginTypes/FromEnv/e.json': { title: 'From env', type: WECHAT },
        'auths/loginTypes/FromEnv/FromEnv.json': {
          appId: WECHAT_SANDBOX_DEMO_APP.appId,
          appSecret: '${OTHER_SECRET}',
        },
      },
      { env: { OTHER_SECRET: fromEnv } },
    )
    await h.write('POST', '/__jit/api/elements', createBody)
    const urls = [
      '/__jit/',
      '/__jit/api/app',
      '/__jit/api/elements',
      '/__jit/api/families',
      `/__jit/api/types/${WECHAT}?name=MyWechatLogin`,
      '/__jit/api/trash',
    ]
    for (const name of ['MyWechatLogin', 'HandWritten', 'FromEnv'])
      urls.push(`/__jit/api/elements/auths.loginTypes.${name}`)
    for (const url of urls) expect((await h.read(url)).statusCode, url).toBe(200)
    for (const name of ['MyWechatLogin', 'HandWritten', 'FromEnv']) {
      const fullName = `auths.loginTypes.${name}`
      const detail = await h.read(`/__jit/api/elements/${fullName}`)
      await h.write('POST', `/__jit/api/elements/${fullName}/diff`, {
        config: { ...detail.json.config, lang: 'en' },
      })
      await h.write('POST', `/__jit/api/elements/${fullName}/check`)
      await h.write('PUT', `/__jit/api/elements/${fullName}`, {
        config: { ...detail.json.config, lang: 'en' },
        baseHash: detail.json.hash,
      })
      await h.write('POST', `/__jit/api/elements/${fullName}/undo`)
    }
    await h.write('POST', `/__jit/api/types/${WECHAT}/check`, {
      config: {
        appId: WECHAT_SANDBOX_DEMO_APP.appId,
        appSecret: '${WECHAT_APP_SECRET}',
        apiBaseUrl: 'http://127.0.0.1:1',
      },
      secretValues: { WECHAT_APP_SECRET: stored },
    })
    // A refused create that echoes nothing of what it was sent.
    await h.write('POST', '/__jit/api/elements', {
      ...createBody,
      name: 'Other',
      config: { ...createBody.config, appSecret: literal },
    })
    const handWritten = await h.read('/__jit/api/elements/auths.loginTypes.HandWritten')
    expect(handWritten.json.config.appSecret).toBe('********')
    expect(handWritten.json.secrets.appSecret).toEqual({ ref: null, set: true })
    expect(h.bodies.length).toBeGreaterThan(20)
    for (const body of h.bodies) {
      for (const secret of [stored, fromEnv, literal, WECHAT_SANDBOX_DEMO_APP.appSecret])
        expect(body).not.toContain(secret)
    }
  })
})
