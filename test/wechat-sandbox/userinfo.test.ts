import { describe, expect, it } from 'vitest'
import type { RunningWechatSandbox } from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import { APPS, rawRequest, sns, tokensFor, useSandbox } from './helpers.ts'

let sandbox: RunningWechatSandbox
useSandbox((started) => {
  sandbox = started
})

const userinfo = (accessToken?: string, openid?: string, lang?: string) =>
  sns(sandbox, '/sns/userinfo', { access_token: accessToken, openid, lang })
const auth = (accessToken?: string, openid?: string) =>
  sns(sandbox, '/sns/auth', { access_token: accessToken, openid })

describe('GET /sns/userinfo', () => {
  it('answers the post-2021 shape in WeChat key order, with the unionid of a bound account', async () => {
    const tokens = await tokensFor(sandbox, { user: 'lin' })
    const { body } = await userinfo(tokens.access_token, tokens.openid, 'zh_CN')
    expect(Object.keys(body)).toEqual([
      'openid',
      'nickname',
      'sex',
      'language',
      'city',
      'province',
      'country',
      'headimgurl',
      'privilege',
      'unionid',
    ])
    expect(body).toMatchObject({
      openid: tokens.openid,
      nickname: '林小雨',
      sex: 0,
      language: '',
      city: '',
      province: '',
      country: '',
      privilege: [],
      unionid: tokens.unionid,
    })
    expect(body.headimgurl).toMatch(new RegExp(`^${sandbox.url}/avatars/mmopen/[0-9a-f]{32}/132$`))
  })

  it('serves the avatar itself, as an image', async () => {
    const tokens = await tokensFor(sandbox, { user: 'lin' })
    const avatar = await rawRequest((await userinfo(tokens.access_token, tokens.openid)).body.headimgurl)
    expect(avatar.status).toBe(200)
    expect(avatar.headers['content-type']).toBe('image/svg+xml')
    expect(avatar.text).toMatch(/^<svg [^>]*width="132"/)
    expect(avatar.text).toContain('林')
  })

  it('no unionid for an unbound account; headimgurl "" for a user without avatar', async () => {
    const tokens = await tokensFor(sandbox, { appid: APPS.unbound, user: 'kai' })
    const { body } = await userinfo(tokens.access_token, tokens.openid)
    expect(body).not.toHaveProperty('unionid')
    expect(body.headimgurl).toBe('')
    expect(body.nickname).toBe('Kai Chen')
  })

  it('the emoji nickname comes as raw UTF-8 with the raw U+0014 inside the string', async () => {
    const tokens = await tokensFor(sandbox, { user: 'momo' })
    const { body, raw } = await userinfo(tokens.access_token, tokens.openid)
    expect(body.nickname).toBe('Momo🌸\u0014')
    expect(raw.body.includes(Buffer.from('"nickname":"Momo🌸\u0014"', 'utf8'))).toBe(true)
    expect(() => JSON.parse(raw.text)).toThrow(SyntaxError)
  })

  it('lang: zh_CN, zh_TW and en all answer the post-2021 empty places; omitted lang works too', async () => {
    const tokens = await tokensFor(sandbox, { user: 'lin' })
    for (const lang of ['zh_CN', 'zh_TW', 'en', undefined]) {
      const { body } = await userinfo(tokens.access_token, tokens.openid, lang)
      expect(body, String(lang)).toMatchObject({ sex: 0, language: '', country: '', nickname: '林小雨' })
    }
  })

  it('lang picks the place names in the legacy (pre-2021) shape, where sex is a string', async () => {
    sandbox.setSwitches({ userinfoShape: 'legacy' })
    const tokens = await tokensFor(sandbox, { user: 'lin' })
    const en = (await userinfo(tokens.access_token, tokens.openid, 'en')).body
    expect(en).toMatchObject({
      sex: '2',
      language: 'en',
      country: 'China',
      province: 'Guangdong',
      city: 'Shenzhen',
    })
    const tw = (await userinfo(tokens.access_token, tokens.openid, 'zh_TW')).body
    expect(tw).toMatchObject({ language: 'zh_TW', country: '中國', province: '廣東' })
  })

  it('48001 with a snsapi_base token, and for a snapshot user', async () => {
    const base = await tokensFor(sandbox, { scope: 'snsapi_base' })
    expect((await userinfo(base.access_token, base.openid)).body.errcode).toBe(48001)
    const snapshot = await tokensFor(sandbox, { user: 'visitor' })
    expect((await userinfo(snapshot.access_token, snapshot.openid)).body.errcode).toBe(48001)
  })

  it('40001 unknown token, 42001 after 7200 s, 40003 another openid, 41001/41009 missing', async () => {
    const tokens = await tokensFor(sandbox, { user: 'lin' })
    const other = await tokensFor(sandbox, { user: 'momo' })
    expect((await userinfo(`86_${'y'.repeat(104)}`, tokens.openid)).body.errcode).toBe(40001)
    expect((await userinfo(tokens.access_token, other.openid)).body.errcode).toBe(40003)
    expect((await userinfo(undefined, tokens.openid)).body.errcode).toBe(41001)
    expect((await userinfo(tokens.access_token, undefined)).body.errcode).toBe(41009)
    sandbox.clock.advance(7199)
    expect((await userinfo(tokens.access_token, tokens.openid)).body.nickname).toBe('林小雨')
    sandbox.clock.advance(1)
    expect((await userinfo(tokens.access_token, tokens.openid)).body.errcode).toBe(42001)
  })
})

describe('GET /sns/auth', () => {
  it('{"errcode":0,"errmsg":"ok"} for a live token and its openid', async () => {
    const tokens = await tokensFor(sandbox, { scope: 'snsapi_base' })
    const { raw } = await auth(tokens.access_token, tokens.openid)
    expect(raw.text).toBe('{"errcode":0,"errmsg":"ok"}')
  })

  it('40003 another openid, 40001 unknown token, 42001 expired, 41001/41009 missing', async () => {
    const tokens = await tokensFor(sandbox)
    expect((await auth(tokens.access_token, `o${'z'.repeat(27)}`)).body.errcode).toBe(40003)
    expect((await auth(`86_${'q'.repeat(104)}`, tokens.openid)).body.errcode).toBe(40001)
    expect((await auth(undefined, tokens.openid)).body.errcode).toBe(41001)
    expect((await auth(tokens.access_token, undefined)).body.errcode).toBe(41009)
    sandbox.clock.advance(7200)
    expect((await auth(tokens.access_token, tokens.openid)).body.errcode).toBe(42001)
  })
})
