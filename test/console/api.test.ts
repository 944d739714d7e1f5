import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type RunningWechatSandbox,
  startWechatSandbox,
  WECHAT_SANDBOX_DEMO_APP,
} from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { runJit } from '../helpers/jit-process.ts'
import { type ConsoleHarness, startConsole, TOKEN } from './harness.ts'

const WECHAT = 'auths.loginTypes.WechatPublicType'
const INSTANCE = 'auths.loginTypes.MyWechatLogin'
const FOLDER = 'auths/loginTypes/MyWechatLogin'
const SECRET = 'f0e1d2c3b4a5968778695a4b3c2d1e0f'

let open: ConsoleHarness[] = []
let sandboxes: RunningWechatSandbox[] = []
afterEach(async () => {
  await Promise.all(open.map((h) => h.close()))
  await Promise.all(sandboxes.map((s) => s.close()))
  open = []
  sandboxes = []
})

async function consoleOver(...args: Parameters<typeof startConsole>) {
  const harness = await startConsole(...args)
  open.push(harness)
  return harness
}

const wechatConfig = (extra: Record<string, unknown> = {}) => ({
  appId: WECHAT_SANDBOX_DEMO_APP.appId,
  appSecret: '${WECHAT_APP_SECRET}',
  scope: 'snsapi_userinfo',
  lang: 'zh_CN',
  state: '',
  attemptTimeoutMs: 5000,
  ...extra,
})

function createWechat(h: ConsoleHarness, extra: Record<string, unknown> = {}) {
  return h.write('POST', '/__jit/api/elements', {
    type: WECHAT,
    name: 'MyWechatLogin',
    title: 'WeChat login',
    config: wechatConfig(extra),
    secretValues: { WECHAT_APP_SECRET: SECRET },
  })
}

describe('creating an Instance', () => {
  it('writes e.json and <Name>.json as a person would, the secret in a git-ignored 0600 .env, and the tree shows it valid', async () => {
    const h = await consoleOver()
    const created = await createWechat(h)
    expect(created.statusCode).toBe(201)
    expect(created.json.fullName).toBe(INSTANCE)
    expect(h.file(`${FOLDER}/e.json`)).toBe(
      '{\n  "title": "WeChat login",\n  "type": "auths.loginTypes.WechatPublicType"\n}\n',
    )
    // Defaults and empty optional fields the form sent are left out, as a person would leave them.
    expect(h.file(`${FOLDER}/MyWechatLogin.json`)).toBe(
      `{\n  "appId": "${WECHAT_SANDBOX_DEMO_APP.appId}",\n  "appSecret": "\${WECHAT_APP_SECRET}"\n}\n`,
    )
    expect(h.file('.env')).toBe(`WECHAT_APP_SECRET=${SECRET}\n`)
    expect(fs.statSync(path.join(h.appDir, '.env')).mode & 0o777).toBe(0o600)
    expect(h.file('.gitignore')).toBe('.env\n')
    expect(fs.readdirSync(path.join(h.appDir, FOLDER)).sort()).toEqual(['MyWechatLogin.json', 'e.json'])

    const tree = await h.read('/__jit/api/elements')
    const element = tree.json.elements.find((e: { fullName: string }) => e.fullName === INSTANCE)
    expect(element).toMatchObject({
      kind: 'Instance',
      family: 'auths.loginTypes',
      source: 'own',
      valid: true,
      editable: true,
      layer: 'tests.consoleapp',
    })
    // The running app serves it: its login route redirects to the sandbox.
    const login = await h.request({
      method: 'GET',
      url: '/api/tests/consoleapp/auths/loginTypes/MyWechatLogin/login',
    })
    expect(login.statusCode).toBe(302)
  })

  it('refuses an invalid value on its field and writes nothing', async () => {
    const h = await consoleOver()
    const refused = await createWechat(h, { appId: 'wx123', scope: 'snsapi_everything' })
    expect(refused.statusCode).toBe(422)
    expect(refused.json.error.code).toBe('JIT_CONFIG_INVALID')
    expect(Object.keys(refused.json.error.fieldErrors).sort()).toEqual(['appId', 'scope'])
    expect(refused.json.error.fieldErrors.appId).toMatch(/AppID/)
    expect(fs.existsSync(path.join(h.appDir, 'auths'))).toBe(false)
    expect(h.file('.env')).toBeUndefined()
  })

  it('refuses a secret written as a value, and secretValues for variables no secret field names', async () => {
    const h = await consoleOver()
    const literal = await createWechat(h, { appSecret: SECRET })
    expect(literal.statusCode).toBe(422)
    expect(literal.json.error.fieldErrors.appSecret).toMatch(/\$\{WECHAT_APP_SECRET\}/)
    const smuggled = await h.write('POST', '/__jit/api/elements', {
      type: WECHAT,
      name: 'MyWechatLogin',
      config: wechatConfig(),
      secretValues: { WECHAT_APP_SECRET: SECRET, NODE_OPTIONS: '--require /tmp/x.js' },
    })
    expect(smuggled.statusCode).toBe(422)
    expect(h.file('.env')).toBeUndefined()
    expect(fs.existsSync(path.join(h.appDir, 'auths'))).toBe(false)
  })

  it('refuses to store a value the real environment would override', async () => {
    const h = await consoleOver({}, { env: { WECHAT_APP_SECRET: WECHAT_SANDBOX_DEMO_APP.appSecret } })
    const shadowed = await createWechat(h)
    expect(shadowed.statusCode).toBe(422)
    expect(shadowed.json.error.fieldErrors['']).toMatch(
      /WECHAT_APP_SECRET is set in the environment jit dev runs in/,
    )
    expect(h.file('.env')).toBeUndefined()
  })

  it('asks for the value of a referenced variable that is not set', async () => {
    const h = await consoleOver()
    const missing = await h.write('POST', '/__jit/api/elements', {
      type: WECHAT,
      name: 'MyWechatLogin',
      config: wechatConfig(),
    })
    expect(missing.statusCode).toBe(422)
    expect(missing.json.error.fieldErrors.appSecret).toBe(
      "WECHAT_APP_SECRET is not set: give its value to store in the app's .env, or set WECHAT_APP_SECRET in the environment",
    )
  })

  it('refuses a name that is taken (409) or not a folder name (400)', async () => {
    const h = await consoleOver()
    expect((await createWechat(h)).statusCode).toBe(201)
    const again = await createWechat(h)
    expect(again.statusCode).toBe(409)
    expect(again.json.error.code).toBe('JIT_CONSOLE_NAME_TAKEN')
    const inherited = await h.write('POST', '/__jit/api/elements', {
      type: 'databases.SqliteType',
      name: 'Default',
      config: {},
    })
    expect(inherited.statusCode).toBe(409)
    expect(inherited.json.error.message).toMatch(/Override/)
    const digit = await h.write('POST', '/__jit/api/elements', {
      type: WECHAT,
      name: '1st',
      config: wechatConfig(),
    })
    expect(digit.statusCode).toBe(400)
  })
})

describe('the Type listing', () => {
  it("gives the config's JSON Schema with metadata, secrets marked, and WeChat's help for the name", async () => {
    const h = await consoleOver({}, { publicUrl: 'https://shop.example.com' })
    const res = await h.request({
      method: 'GET',
      url: `/__jit/api/types/${WECHAT}?name=MyWechatLogin`,
      headers: { host: 'shop.example.com' },
    })
    expect(res.statusCode).toBe(200)
    const { schema, help, canCheck, family } = res.json
    expect(family).toBe('auths.loginTypes')
    expect(canCheck).toBe(true)
    expect(schema.required).toEqual(['appId', 'appSecret'])
    expect(schema.properties.appSecret['x-jit-secret']).toBe(true)
    expect(schema.properties.appSecret.pattern).toBeUndefined()
    expect(schema.properties.appId).toMatchObject({
      title: 'AppID (开发者ID)',
      placeholder: 'wx0123456789abcdef',
    })
    expect(schema.properties.scope).toMatchObject({
      default: 'snsapi_userinfo',
      enum: ['snsapi_userinfo', 'snsapi_base'],
    })
    expect(help.items).toEqual([
      {
        label: 'Callback URL (redirect_uri, 回调地址)',
        value: 'https://shop.example.com/api/tests/consoleapp/auths/loginTypes/MyWechatLogin/callback',
        copy: true,
      },
      { label: 'Authorization domain (网页授权域名)', value: 'shop.example.com', copy: true },
    ])
    const families = await h.request({
      method: 'GET',
      url: '/__jit/api/families',
      headers: { host: 'shop.example.com' },
    })
    expect(
      families.json.find((f: { family: string }) => f.family === 'auths.loginTypes').types,
    ).toContainEqual({
      fullName: WECHAT,
      title: 'WeChat Official Account login',
    })
  })
})

describe('editing an Instance', () => {
  it('refuses a save when the files changed on disk since the form loaded them, then saves, diffs and undoes', async () => {
    const h = await consoleOver()
    await createWechat(h)
    const loaded = await h.read(`/__jit/api/elements/${INSTANCE}`)
    expect(loaded.json.config).toEqual({
      appId: WECHAT_SANDBOX_DEMO_APP.appId,
      appSecret: '${WECHAT_APP_SECRET}',
    })
    expect(loaded.json.secrets).toEqual({ appSecret: { ref: 'WECHAT_APP_SECRET', set: true } })
    const configFile = path.join(h.appDir, FOLDER, 'MyWechatLogin.json')

    // An editor changes the file while the form is open.
    const edited = `{\n  "appId": "${WECHAT_SANDBOX_DEMO_APP.appId}",\n  "appSecret": "\${WECHAT_APP_SECRET}",\n  "lang": "en"\n}\n`
    fs.writeFileSync(configFile, edited)
    const stale = await h.write('PUT', `/__jit/api/elements/${INSTANCE}`, {
      config: { ...loaded.json.config, scope: 'snsapi_base' },
      baseHash: loaded.json.hash,
    })
    expect(stale.statusCode).toBe(409)
    expect(stale.json.error.code).toBe('JIT_CONSOLE_FILE_CHANGED')
    expect(fs.readFileSync(configFile, 'utf8')).toBe(edited)

    const reloaded = await h.read(`/__jit/api/elements/${INSTANCE}`)
    // The form sends its fields in its own order; the file keeps the order it has.
    const { lang, ...rest } = reloaded.json.config
    const next = { scope: 'snsapi_base', ...rest, lang, state: '' }
    const diff = await h.write('POST', `/__jit/api/elements/${INSTANCE}/diff`, {
      config: next,
      title: 'Silent login',
    })
    expect(diff.statusCode).toBe(200)
    const byName = Object.fromEntries(diff.json.files.map((f: { name: string }) => [f.name, f]))
    expect(byName['MyWechatLogin.json'].diff).toBe(
      [
        '--- a/MyWechatLogin.json',
        '+++ b/MyWechatLogin.json',
        '@@ -1,5 +1,6 @@',
        ' {',
        `   "appId": "${WECHAT_SANDBOX_DEMO_APP.appId}",`,
        '   "appSecret": "${WECHAT_APP_SECRET}",',
        '-  "lang": "en"',
        '+  "lang": "en",',
        '+  "scope": "snsapi_base"',
        ' }',
        '',
      ].join('\n'),
    )
    expect(byName['e.json'].after).toContain('"title": "Silent login"')
    expect(fs.readFileSync(configFile, 'utf8')).toBe(edited)

    const saved = await h.write('PUT', `/__jit/api/elements/${INSTANCE}`, {
      config: next,
      title: 'Silent login',
      baseHash: reloaded.json.hash,
    })
    expect(saved.statusCode).toBe(200)
    expect(JSON.parse(fs.readFileSync(configFile, 'utf8')).scope).toBe('snsapi_base')
    expect((await h.read(`/__jit/api/elements/${INSTANCE}`)).json.hash).toBe(saved.json.hash)
    expect(h.app.getElementDefine(INSTANCE).title).toBe('Silent login')

    const undone = await h.write('POST', `/__jit/api/elements/${INSTANCE}/undo`)
    expect(undone.statusCode).toBe(200)
    expect(fs.readFileSync(configFile, 'utf8')).toBe(edited)
    expect(h.app.getElementDefine(INSTANCE).title).toBe('WeChat login')
    expect((await h.write('POST', `/__jit/api/elements/${INSTANCE}/undo`)).statusCode).toBe(404)
  })

  it('keeps a stored secret when the unchanged form is saved, and masks a default or a literal', async () => {
    const demo = WECHAT_SANDBOX_DEMO_APP.appSecret
    const h = await consoleOver({
      [`${FOLDER}/e.json`]: { title: 'Demo', type: WECHAT },
      [`${FOLDER}/MyWechatLogin.json`]: {
        appId: WECHAT_SANDBOX_DEMO_APP.appId,
        appSecret: `\${DEMO_SECRET:-${demo}}`,
      },
    })
    const loaded = await h.read(`/__jit/api/elements/${INSTANCE}`)
    expect(loaded.json.config.appSecret).toBe('${DEMO_SECRET:-********}')
    expect(loaded.json.secrets.appSecret).toEqual({ ref: 'DEMO_SECRET', set: false })
    expect(loaded.body).not.toContain(demo)
    const saved = await h.write('PUT', `/__jit/api/elements/${INSTANCE}`, {
      config: { ...loaded.json.config, lang: 'en' },
      baseHash: loaded.json.hash,
    })
    expect(saved.statusCode).toBe(200)
    expect(JSON.parse(h.file(`${FOLDER}/MyWechatLogin.json`)!)).toEqual({
      appId: WECHAT_SANDBOX_DEMO_APP.appId,
      appSecret: `\${DEMO_SECRET:-${demo}}`,
      lang: 'en',
    })
    const diff = await h.write('POST', `/__jit/api/elements/${INSTANCE}/diff`, {
      config: { ...loaded.json.config, lang: 'zh_TW' },
    })
    expect(diff.body).toContain('zh_TW')
    expect(diff.body).not.toContain(demo)
  })

  it('refuses to edit what is not an own Instance', async () => {
    const h = await consoleOver()
    const inherited = await h.read('/__jit/api/elements/databases.Default')
    expect(inherited.statusCode).toBe(200)
    const save = await h.write('PUT', '/__jit/api/elements/databases.Default', {
      config: inherited.json.config,
      baseHash: inherited.json.hash,
    })
    expect(save.statusCode).toBe(400)
    expect(save.json.error.code).toBe('JIT_CONSOLE_NOT_EDITABLE')
    expect(save.json.error.message).toMatch(/comes from jit\.framework: override it in this app first/)
    expect((await h.read('/__jit/api/elements/nothing.Here')).statusCode).toBe(404)
  })
})

describe('delete and restore', () => {
  it('moves the folder to .jitlite/trash and back', async () => {
    const h = await consoleOver()
    await createWechat(h)
    const deleted = await h.write('DELETE', `/__jit/api/elements/${INSTANCE}`)
    expect(deleted.statusCode).toBe(200)
    expect(fs.existsSync(path.join(h.appDir, FOLDER))).toBe(false)
    const trashed = path.join(
      h.appDir,
      '.jitlite',
      'trash',
      deleted.json.trashId,
      'element',
      'MyWechatLogin.json',
    )
    expect(fs.existsSync(trashed)).toBe(true)
    const tree = await h.read('/__jit/api/elements')
    expect(tree.json.elements.some((e: { fullName: string }) => e.fullName === INSTANCE)).toBe(false)
    const trash = await h.read('/__jit/api/trash')
    expect(trash.json).toEqual([
      { trashId: deleted.json.trashId, fullName: INSTANCE, deletedAt: expect.any(String) },
    ])

    const restored = await h.write('POST', `/__jit/api/trash/${deleted.json.trashId}/restore`)
    expect(restored.statusCode).toBe(200)
    expect(h.file(`${FOLDER}/e.json`)).toContain('WeChat login')
    expect((await h.read('/__jit/api/trash')).json).toEqual([])
    expect(h.app.listElements().find((e) => e.fullName === INSTANCE)?.problem).toBeUndefined()
    expect((await h.write('POST', `/__jit/api/trash/${deleted.json.trashId}/restore`)).statusCode).toBe(404)
    expect((await h.write('DELETE', '/__jit/api/elements/databases.Default')).statusCode).toBe(400)
  })
})

describe('override', () => {
  it('copies an inherited Instance, and writes a Type folder that imports the official Type; jit check accepts both', async () => {
    const h = await consoleOver()
    const instance = await h.write('POST', '/__jit/api/elements/databases.Default/override')
    expect(instance.statusCode).toBe(201)
    expect(h.file('databases/Default/e.json')).toBe(
      fs.readFileSync(path.join('types', 'databases', 'Default', 'e.json'), 'utf8'),
    )
    const type = await h.write('POST', `/__jit/api/elements/${WECHAT}/override`)
    expect(type.statusCode).toBe(201)
    const typeTs = h.file('auths/loginTypes/WechatPublicType/type.ts')!
    expect(typeTs).toContain("import official from 'jitlite/types/auths/loginTypes/WechatPublicType/type.ts'")
    expect(typeTs).toContain('...official,')
    const tree = await h.read('/__jit/api/elements')
    const overriding = tree.json.elements.find((e: { fullName: string }) => e.fullName === WECHAT)
    expect(overriding).toMatchObject({ source: 'overriding', valid: true, layer: 'tests.consoleapp' })
    expect((await h.write('POST', `/__jit/api/elements/${WECHAT}/override`)).statusCode).toBe(409)

    // An Instance of the overriding Type works as before: its login route and its browser code.
    expect((await createWechat(h)).statusCode).toBe(201)
    const login = await h.request({
      method: 'GET',
      url: '/api/tests/consoleapp/auths/loginTypes/MyWechatLogin/login',
    })
    expect(login.statusCode).toBe(302)
    const metadata = await h.request({ method: 'GET', url: `/jit/elements/${INSTANCE}.json` })
    expect(metadata.statusCode).toBe(200)
    const bundle = await h.request({ method: 'GET', url: metadata.json.bundleUrl })
    expect(bundle.statusCode).toBe(200)
    expect(bundle.body).toContain('isWechatBrowser')
    // Then the one validator.
    const checked = await runJit(['check', h.appDir], { env: { ...process.env, WECHAT_APP_SECRET: SECRET } })
    expect(checked.stdout).toMatch(/elements, no problems/)
    expect(checked.code).toBe(0)
  })
})

describe('Test connection', () => {
  it('reports a wrong secret with its fix, then success, against the sandbox; never the secret', async () => {
    const sandbox = await startWechatSandbox({ port: 0 })
    sandboxes.push(sandbox)
    const h = await consoleOver()
    const wrong = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
    const check = (value: string) =>
      h.write('POST', `/__jit/api/types/${WECHAT}/check`, {
        config: wechatConfig({ apiBaseUrl: sandbox.apiBaseUrl, oauthBaseUrl: sandbox.url }),
        secretValues: { WECHAT_APP_SECRET: value },
      })
    const refused = await check(wrong)
    expect(refused.statusCode).toBe(200)
    expect(refused.json).toMatchObject({ ok: false, code: 'JIT_CHECK_REFUSED' })
    expect(refused.json.message).toMatch(/refused the AppSecret .*40125/)
    expect(refused.json.fix).toMatch(/AppSecret/)
    expect(refused.body).not.toContain(wrong)

    sandbox.setSwitches({ callerIpWhitelisted: false })
    const ip = await check(WECHAT_SANDBOX_DEMO_APP.appSecret)
    expect(ip.json).toMatchObject({ ok: false, code: 'JIT_CHECK_REFUSED' })
    expect(ip.json.fix).toMatch(/Add 127\.0\.0\.1 to the IP whitelist/)
    sandbox.setSwitches({ callerIpWhitelisted: true })

    const ok = await check(WECHAT_SANDBOX_DEMO_APP.appSecret)
    expect(ok.json).toMatchObject({ ok: true })
    expect(ok.body).not.toContain(WECHAT_SANDBOX_DEMO_APP.appSecret)
    expect(sandbox.counters().stable_token).toBe(3)
    // Nothing was written by a check.
    expect(fs.existsSync(path.join(h.appDir, 'auths'))).toBe(false)
    expect(h.file('.env')).toBeUndefined()
  })

  it("checks a saved Instance's config as the app holds it", async () => {
    const sandbox = await startWechatSandbox({ port: 0 })
    sandboxes.push(sandbox)
    const h = await consoleOver({}, { env: { WECHAT_APP_SECRET: WECHAT_SANDBOX_DEMO_APP.appSecret } })
    const created = await h.write('POST', '/__jit/api/elements', {
      type: WECHAT,
      name: 'MyWechatLogin',
      config: {
        appId: WECHAT_SANDBOX_DEMO_APP.appId,
        appSecret: '${WECHAT_APP_SECRET}',
        apiBaseUrl: sandbox.apiBaseUrl,
      },
    })
    expect(created.statusCode).toBe(201)
    const ok = await h.write('POST', `/__jit/api/elements/${INSTANCE}/check`)
    expect(ok.json).toMatchObject({ ok: true })
    sandbox.setSwitches({ badSecretErrcode: 40001 })
    h.env.WECHAT_APP_SECRET = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'
    await h.app.reload()
    const refused = await h.write('POST', `/__jit/api/elements/${INSTANCE}/check`)
    expect(refused.json).toMatchObject({ ok: false, code: 'JIT_CHECK_REFUSED' })
    expect(refused.body).not.toContain('bbbbbbbbbbbbbbbb')
  })
})

describe('over a real socket, as under jit dev', () => {
  it('Test connection and the first login reach the sandbox of a Type no Instance used at start', async () => {
    const h = await consoleOver({}, { listen: true })
    const headers = { origin: h.url, 'x-jit-csrf': TOKEN, 'content-type': 'application/json' }
    // No apiBaseUrl: jit dev points the Instance at its own mounted sandbox.
    const config = { appId: WECHAT_SANDBOX_DEMO_APP.appId, appSecret: '${WECHAT_APP_SECRET}' }
    const check = await fetch(`${h.url}/__jit/api/types/${WECHAT}/check`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        config,
        secretValues: { WECHAT_APP_SECRET: WECHAT_SANDBOX_DEMO_APP.appSecret },
      }),
    })
    expect(await check.json()).toMatchObject({ ok: true })
    const created = await fetch(`${h.url}/__jit/api/elements`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        type: WECHAT,
        name: 'MyWechatLogin',
        config,
        secretValues: { WECHAT_APP_SECRET: WECHAT_SANDBOX_DEMO_APP.appSecret },
      }),
    })
    expect(created.status).toBe(201)
    const login = await fetch(`${h.url}/api/tests/consoleapp/auths/loginTypes/MyWechatLogin/login`, {
      redirect: 'manual',
    })
    expect(login.status).toBe(302)
    const authorize = login.headers.get('location')!
    expect(authorize.startsWith(`${h.url}/__sandbox/wechat/`)).toBe(true)
    const consent = await fetch(authorize, { headers: { 'user-agent': 'Mozilla/5.0 MicroMessenger/8.0.50' } })
    expect(consent.status).toBe(200)
    const saved = await fetch(`${h.url}/__jit/api/elements/${INSTANCE}/check`, {
      method: 'POST',
      headers: { origin: h.url, 'x-jit-csrf': TOKEN },
    })
    expect(await saved.json()).toMatchObject({ ok: true })
  })
})
