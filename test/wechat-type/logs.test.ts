/**
 * A log capture over the success path and every failure path of the service and the provider: no
 * secret, code, token or state in any log line, error message or login result.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildServer } from '../../runtime/http/server.ts'
import type { JitApp } from '../../runtime/index.ts'
import { memoryLogger } from '../../runtime/log.ts'
import type { RunningWechatSandbox } from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'
import {
  CALLBACK,
  codeFor,
  DEMO,
  MODEL,
  openWechatApp,
  SVC,
  startWechatSandbox,
  useTestKey,
} from './helpers.ts'

useTestKey()
const WRONG_SECRET = '0123456789abcdef0123456789abcdef'
let sandbox: RunningWechatSandbox
let app: JitApp
const logger = memoryLogger()
const requestLog = memoryLogger()
/** Everything a user or operator could read: error messages and their JSON, login results. */
const surfaced: string[] = []
/** Every value that must never be surfaced. */
const secrets = new Set<string>([DEMO.appSecret, WRONG_SECRET])

beforeAll(async () => {
  sandbox = await startWechatSandbox()
  app = (
    await openWechatApp(
      sandbox,
      {
        Login: {},
        Silent: { scope: 'snsapi_base' },
        WrongSecret: { appSecret: WRONG_SECRET },
        Fast: { attemptTimeoutMs: 300, totalDeadlineMs: 600 },
      },
      { logger },
    )
  ).app
})
afterAll(async () => {
  await app.close()
  await sandbox.close()
})

const svc = (instance = 'Login') => app.getElement(SVC(instance))

function code(options: Parameters<typeof codeFor>[1] = {}): string {
  const minted = codeFor(sandbox, options)
  secrets.add(minted)
  return minted
}

function remember<T extends { access_token: string; refresh_token: string }>(tokens: T): T {
  secrets.add(tokens.access_token)
  secrets.add(tokens.refresh_token)
  return tokens
}

/** Runs one path; its error (or, unless it is a token answer the caller asked for, its result) is surfaced. */
async function attempt(run: () => Promise<unknown>, options: { tokens?: boolean } = {}): Promise<void> {
  try {
    const result = await run()
    if (!options.tokens) surfaced.push(JSON.stringify(result ?? null))
  } catch (error) {
    surfaced.push(String((error as Error).message), JSON.stringify(error), String((error as Error).stack))
  } finally {
    sandbox.clearFaults()
    sandbox.clock.reset()
  }
}

describe('log capture', () => {
  it('success and failure paths log what happened, and never a secret, code, token or state', async () => {
    // Success paths.
    await attempt(() => svc().getUserInfo(code({ user: 'lin' })))
    await attempt(() => svc('Silent').getUserInfo(code({ user: 'kai', scope: 'snsapi_base' })))
    await attempt(() => svc().getUserInfo(code({ user: 'visitor' })))
    const issued = remember(await svc().getAccessToken(code({ user: 'ada' })))
    await attempt(async () => remember(await svc().refreshToken(issued.refresh_token)), { tokens: true })
    await attempt(() => svc().validateAccessToken(issued.access_token, issued.openid))
    const lin = (await app.getElement(MODEL('Login')).get({ appId: DEMO.appId, nickname: '林小雨' })).openid
    sandbox.clock.advance(7201)
    await attempt(() => svc().getUserInfoByOpenid(lin))
    const provider = app.getElement('auths.loginTypes.Login')
    await attempt(() => provider.completeLogin({ code: code({ user: 'momo' }), callbackUrl: CALLBACK }))
    await attempt(() => provider.completeLogin({ code: code({ user: 'visitor' }), callbackUrl: CALLBACK }))
    const state = 'Zx81StateValue0123456789abcdef'
    secrets.add(state)
    surfaced.push(provider.createLoginUrl({ state, callbackUrl: CALLBACK }).replace(state, ''))

    // Failure paths: every errcode of docs/wechat-protocol.md#error-moves where it occurs, and transport
    // failures.
    for (const errcode of [40029, 40163, 42003, 41008, 41002, 41004, 40013, 45009]) {
      sandbox.setFault('access_token', {
        kind: 'errcode',
        errcode,
        errmsg: `invalid code, rid: 6326ffdf-41c7c0d8-5a6bb364`,
      })
      await attempt(() => svc().getUserInfo(code()))
      sandbox.setFault('access_token', { kind: 'errcode', errcode })
      await attempt(() => provider.completeLogin({ code: code(), callbackUrl: CALLBACK }))
    }
    for (const fault of [
      { kind: 'busy' },
      { kind: 'quota' },
      { kind: 'reset' },
      { kind: 'status', status: 503 },
    ] as const) {
      sandbox.setFault('access_token', fault)
      await attempt(() => provider.completeLogin({ code: code(), callbackUrl: CALLBACK }))
    }
    sandbox.setFault('access_token', { kind: 'body', body: '<html>login</html>', contentType: 'text/html' })
    await attempt(() => svc().getUserInfo(code()))
    await attempt(() => svc('WrongSecret').getUserInfo(code()))
    await attempt(() =>
      app.getElement('auths.loginTypes.WrongSecret').completeLogin({ code: code(), callbackUrl: CALLBACK }),
    )
    sandbox.setFault('access_token', { kind: 'hang' })
    await attempt(() => svc('Fast').getUserInfo(code()))
    for (const errcode of [48001, 40003, 45009]) {
      sandbox.setFault('userinfo', { kind: 'errcode', errcode })
      await attempt(() => svc().getUserInfo(code({ user: 'ada' })))
    }
    sandbox.setFault('userinfo', { kind: 'busy' })
    await attempt(() => svc().getUserInfo(code({ user: 'ada' })))
    for (const errcode of [42001, 40001, 40014, 40003]) {
      sandbox.setFault('userinfo', { kind: 'errcode', errcode }, { times: 2 })
      await attempt(() => svc().getUserInfoByOpenid(lin))
      sandbox.setFault('auth', { kind: 'errcode', errcode })
      await attempt(() => svc().validateAccessToken(issued.access_token, issued.openid))
    }
    for (const errcode of [40030, 42002, 42007]) {
      await svc().getUserInfo(code({ user: 'lin' }))
      sandbox.clock.advance(7201)
      sandbox.setFault('refresh_token', { kind: 'errcode', errcode })
      await attempt(() => svc().getUserInfoByOpenid(lin))
    }
    await attempt(() => svc().refreshToken(issued.refresh_token.slice(0, 40)))
    await attempt(() => svc().getUserInfoByOpenid('oNobody00000000000000000000'))

    // The server's request log over a callback that carries a code and a state.
    const server = await buildServer(app, { log: requestLog })
    const callbackCode = code()
    await server.inject({
      method: 'GET',
      url: `/api/tests/wechat/auths/loginTypes/Login/callback?code=${callbackCode}&state=${state}`,
    })
    await server.close()

    const lines = [...logger.lines, ...requestLog.lines]
    const everything = [...lines, ...surfaced].join('\n')
    for (const secret of secrets)
      expect(everything.includes(secret), `a surfaced value holds ${secret.slice(0, 6)}...`).toBe(false)
    // Shapes, for values this test did not see: sandbox tokens and 32-character codes.
    expect(everything).not.toMatch(/86_[A-Za-z0-9_-]{16}/)
    expect(lines.join('\n')).not.toMatch(/\b[A-Za-z0-9]{32}\b/)
    expect(everything).not.toContain('rid: 6326ffdf')

    // The capture is not empty: failures are logged with their errcode, logins with their row id.
    const log = logger.lines.join('\n')
    expect(log).toMatch(/auths\.loginTypes\.Login: user \d+ logged in \(snsapi_userinfo\)/)
    expect(log).toMatch(
      /login failed \(expired\): WeChat answered \/sns\/oauth2\/access_token with errcode 40029/,
    )
    expect(log).toMatch(/login failed \(misconfigured\).*appSecret/)
    expect(log).toMatch(/\/sns\/userinfo attempt 1: errcode -1 after \d+ ms, retrying in \d+ ms/)
    expect(log).toMatch(/revoked the stored tokens of user \d+ \(errcode 42007\)/)
    expect(log).toMatch(/a snapshot-page user came back/)
    expect(requestLog.lines.join('\n')).toContain('GET /api/tests/wechat/auths/loginTypes/Login/callback')
  })
})
