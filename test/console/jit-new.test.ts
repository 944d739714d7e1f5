import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { WECHAT_SANDBOX_DEMO_APP } from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { runJit } from '../helpers/jit-process.ts'
import { appJson, writeTempTree } from '../helpers/temp-app.ts'

const SECRET = '00112233445566778899aabbccddeeff'

describe('jit new', () => {
  it('creates an Instance through the same validation and writer; jit check accepts it', async () => {
    const appDir = writeTempTree({ 'app.json': appJson('newapp'), '.env': `WECHAT_APP_SECRET=${SECRET}\n` })
    const created = await runJit([
      'new',
      'WechatPublicType',
      'MyWechatLogin',
      appDir,
      '--set',
      `appId=${WECHAT_SANDBOX_DEMO_APP.appId}`,
      '--set',
      'appSecret=${WECHAT_APP_SECRET}',
      '--set',
      'maxRetries=3',
      '--set',
      'allowedRedirectOrigins=["https://shop.example.com"]',
      '--title',
      'WeChat login',
    ])
    expect(created.code).toBe(0)
    expect(created.stdout).toContain(
      'auths.loginTypes.MyWechatLogin is an Instance of auths.loginTypes.WechatPublicType',
    )
    const dir = path.join(appDir, 'auths/loginTypes/MyWechatLogin')
    expect(fs.readFileSync(path.join(dir, 'e.json'), 'utf8')).toBe(
      '{\n  "title": "WeChat login",\n  "type": "auths.loginTypes.WechatPublicType"\n}\n',
    )
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'MyWechatLogin.json'), 'utf8'))).toEqual({
      appId: WECHAT_SANDBOX_DEMO_APP.appId,
      appSecret: '${WECHAT_APP_SECRET}',
      maxRetries: 3,
      allowedRedirectOrigins: ['https://shop.example.com'],
    })
    // jit check reads the app's .env too.
    const checked = await runJit(['check', appDir])
    expect(checked.stdout).toContain('no problems')
    expect(checked.code).toBe(0)
  })

  it('refuses a secret value, an invalid field, a path for a name or an unknown Type, and writes nothing', async () => {
    const appDir = writeTempTree({ 'app.json': appJson('newapp') })
    const literal = await runJit([
      'new',
      'auths.loginTypes.WechatPublicType',
      'MyWechatLogin',
      appDir,
      '--set',
      `appId=${WECHAT_SANDBOX_DEMO_APP.appId}`,
      '--set',
      `appSecret=${SECRET}`,
    ])
    expect(literal.code).toBe(1)
    expect(literal.stderr).toContain(
      'jit new: appSecret: is a secret: write a reference to an environment variable',
    )
    expect(literal.stderr).toContain('nothing was written')
    expect(literal.stdout + literal.stderr).not.toContain(SECRET)

    const invalid = await runJit(
      ['new', 'WechatPublicType', 'MyWechatLogin', appDir, '--set', 'appId=wx1', '--set', 'scope=all'],
      {
        env: { ...process.env, WECHAT_APP_SECRET: SECRET },
      },
    )
    expect(invalid.code).toBe(1)
    expect(invalid.stderr).toMatch(/jit new: appId: .*AppID/)
    expect(invalid.stderr).toMatch(/jit new: scope: Invalid option/)

    const traversal = await runJit(['new', 'WechatPublicType', '../Escape', appDir])
    expect(traversal.code).toBe(1)
    expect(traversal.stderr).toContain('JIT_CONSOLE_NAME_INVALID')

    const unknown = await runJit(['new', 'NoSuchType', 'X', appDir])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain('no Type named "NoSuchType"')
    expect(fs.readdirSync(appDir)).toEqual(['app.json'])
    expect(fs.existsSync(path.join(path.dirname(appDir), 'Escape'))).toBe(false)
  })
})
