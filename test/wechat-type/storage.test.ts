import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { generateSecretKey } from '../../runtime/crypto.ts'
import { createApp } from '../../runtime/index.ts'
import {
  codeFor,
  DEMO,
  databaseBytes,
  MODEL,
  SVC,
  TEST_KEY,
  useSandboxAndApps,
  useTestKey,
} from './helpers.ts'

useTestKey()
const { sandbox, open } = useSandboxAndApps()

describe('concurrent refreshes', () => {
  it('ten concurrent getUserInfoByOpenid on an expired stored token make one refresh call', async () => {
    const { app } = await open()
    const svc = app.getElement(SVC('Login'))
    const { openid } = await svc.getUserInfo(codeFor(sandbox, { user: 'lin' }))
    const model = app.getElement(MODEL('Login'))
    const row = await model.get({ openid })
    await model.updateByPK(row.id, { expiresAt: new Date(Date.now() - 1000) })
    sandbox.resetCounters()
    sandbox.setLatency(50, 'refresh_token')
    const users = await Promise.all(Array.from({ length: 10 }, () => svc.getUserInfoByOpenid(openid)))
    expect(users.every((user) => user.nickname === '林小雨')).toBe(true)
    expect(sandbox.counters()).toMatchObject({ refresh_token: 1, userinfo: 10 })
    const after = await model.get({ openid })
    expect(after.expiresAt.getTime()).toBeGreaterThan(Date.now() + 3600_000)
  })

  it('ten concurrent callers told 42001 by WeChat share one refresh, even the late ones', async () => {
    const { app } = await open()
    const svc = app.getElement(SVC('Login'))
    const { openid } = await svc.getUserInfo(codeFor(sandbox, { user: 'kai' }))
    sandbox.clock.advance(7201)
    sandbox.resetCounters()
    const users = await Promise.all(Array.from({ length: 10 }, () => svc.getUserInfoByOpenid(openid)))
    expect(users.every((user) => user.openid === openid)).toBe(true)
    expect(sandbox.counters()).toMatchObject({ refresh_token: 1, userinfo: 20 })
  })

  it('concurrent first logins of one user make one row', async () => {
    const { app } = await open()
    const svc = app.getElement(SVC('Login'))
    const codes = Array.from({ length: 8 }, () => codeFor(sandbox, { user: 'ada' }))
    const users = await Promise.all(codes.map((code) => svc.getUserInfo(code)))
    expect(new Set(users.map((user) => user.openid)).size).toBe(1)
    expect((await app.getElement(MODEL('Login')).query({})).totalCount).toBe(1)
  })
})

describe('tokens at rest', () => {
  it('the database file and its WAL hold no token in plain text', async () => {
    const { app, database } = await open()
    const svc = app.getElement(SVC('Login'))
    const tokens: string[] = []
    for (const user of ['lin', 'momo', 'kai', 'ada']) {
      const issued = await svc.getAccessToken(codeFor(sandbox, { user }))
      tokens.push(issued.access_token, issued.refresh_token)
      const refreshed = await svc.refreshToken(issued.refresh_token)
      tokens.push(refreshed.access_token, refreshed.refresh_token)
    }
    await svc.getUserInfo(codeFor(sandbox, { user: 'lin' }))
    expect(fs.existsSync(`${database}-wal`)).toBe(true)
    const rows = (await app.getElement(MODEL('Login')).query({})).rowDatas
    expect(rows).toHaveLength(4)
    // Only the part after WeChat's "86_" prefix is distinctive; 24 characters of it cannot occur by chance.
    const check = (bytes: string) => {
      for (const token of tokens) expect(bytes.includes(token.slice(3, 27))).toBe(false)
    }
    check(databaseBytes(database))
    // The values that are there are ciphertexts with the key id.
    expect(databaseBytes(database)).toMatch(/v1\.k[A-Za-z0-9_-]{10}\./)
    await app.close()
    check(databaseBytes(database))
  })

  it('a ciphertext copied onto another row, or another column, fails to decrypt', async () => {
    const { app } = await open()
    const svc = app.getElement(SVC('Login'))
    const model = app.getElement(MODEL('Login'))
    const lin = await svc.getUserInfo(codeFor(sandbox, { user: 'lin' }))
    const kai = await svc.getUserInfo(codeFor(sandbox, { user: 'kai' }))
    const linRow = await model.get({ openid: lin.openid })
    const kaiRow = await model.get({ openid: kai.openid })
    await model.updateByPK(kaiRow.id, { accessToken: linRow.accessToken, refreshToken: linRow.refreshToken })
    await expect(svc.getUserInfoByOpenid(kai.openid)).rejects.toMatchObject({ code: 'JIT_DECRYPT_FAILED' })
    await model.updateByPK(linRow.id, { refreshToken: linRow.accessToken })
    await expect(svc.getUserInfoByOpenid(lin.openid)).rejects.toMatchObject({ code: 'JIT_DECRYPT_FAILED' })
  })

  it('a new key put first in JIT_SECRET_KEY encrypts new writes; values under the old key still read', async () => {
    const first = await open()
    const svc = first.app.getElement(SVC('Login'))
    const { openid } = await svc.getUserInfo(codeFor(sandbox, { user: 'lin' }))
    const oldValue = (await first.app.getElement(MODEL('Login')).get({ openid })).accessToken
    await first.app.close()

    process.env.JIT_SECRET_KEY = `rotated:${generateSecretKey()},${TEST_KEY}`
    try {
      const app = await createApp({ appDir: first.dir, database: first.database, logger: first.logger })
      onTestFinished(() => app.close())
      const reopened = app.getElement(SVC('Login'))
      expect((await reopened.getUserInfoByOpenid(openid)).nickname).toBe('林小雨')
      await reopened.getUserInfo(codeFor(sandbox, { user: 'lin' }))
      const newValue = (await app.getElement(MODEL('Login')).get({ openid })).accessToken
      expect(oldValue).not.toMatch(/^v1\.rotated\./)
      expect(newValue).toMatch(/^v1\.rotated\./)
      expect((await reopened.getUserInfoByOpenid(openid)).nickname).toBe('林小雨')
    } finally {
      process.env.JIT_SECRET_KEY = TEST_KEY
    }
  })

  it('without JIT_SECRET_KEY, development creates a 0600 key file in the app and says so (never the key)', async () => {
    delete process.env.JIT_SECRET_KEY
    try {
      const { app, dir, logger } = await open()
      const keyFile = path.join(dir, '.jitlite', 'secret.key')
      expect(fs.existsSync(keyFile)).toBe(false)
      const { openid } = await app.getElement(SVC('Login')).getUserInfo(codeFor(sandbox))
      expect(fs.existsSync(keyFile)).toBe(true)
      if (process.platform !== 'win32') expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600)
      const key = fs.readFileSync(keyFile, 'utf8').trim()
      expect(logger.lines.join('\n')).toContain('.jitlite/secret.key')
      expect(logger.lines.join('\n')).not.toContain(key)
      expect((await app.getElement(SVC('Login')).getUserInfoByOpenid(openid)).openid).toBe(openid)
    } finally {
      process.env.JIT_SECRET_KEY = TEST_KEY
    }
  })
})

describe('the row', () => {
  it('is unique on (appId, openid) and declared by the model element', async () => {
    const { app } = await open()
    const model = app.getElement(MODEL('Login'))
    expect(model.definition.table).toBe('wechat_public_auth')
    expect(model.definition.uniqueKeys).toContainEqual(['appId', 'openid'])
    await model.create({ appId: DEMO.appId, openid: 'oSameUser000000000000000000x' })
    await expect(
      model.create({ appId: DEMO.appId, openid: 'oSameUser000000000000000000x' }),
    ).rejects.toMatchObject({
      code: 'JIT_MODEL_CONSTRAINT_VIOLATION',
    })
    await model.create({ appId: 'wx1111111111111111', openid: 'oSameUser000000000000000000x' })
  })
})
