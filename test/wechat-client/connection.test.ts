import { type Dispatcher, Pool } from 'undici'
import { afterEach, beforeEach, expect, it } from 'vitest'
import {
  type WechatAttemptEvent,
  WechatNetworkError,
  WechatOAuthClient,
} from '../../types/auths/loginTypes/WechatPublicType/client/index.ts'
import { ACCESS_TOKEN, APP_ID, APP_SECRET, type FakeWechat, OPENID, startFakeWechat } from './fake-wechat.ts'

const CODE = '061Ab2Ga1Lx9ZF0xYyJa1RrbAC4Ab2GK'

let wechat: FakeWechat
const closers: (() => Promise<void>)[] = []

beforeEach(async () => {
  wechat = await startFakeWechat()
})
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
  await wechat.close()
})

it('a code exchange that timed out waiting for a free connection was never sent, and says so', async () => {
  // One connection, held by a hanging call of another client; the exchange waits in the queue behind it.
  const pool = new Pool(wechat.baseUrl, { connections: 1 })
  closers.push(() => pool.close())
  const holder = new WechatOAuthClient(APP_ID, APP_SECRET, {
    apiBaseUrl: wechat.baseUrl,
    dispatcher: pool,
    maxRetries: 0,
  })
  const events: WechatAttemptEvent[] = []
  const client = new WechatOAuthClient(APP_ID, APP_SECRET, {
    apiBaseUrl: wechat.baseUrl,
    dispatcher: pool,
    attemptTimeoutMs: 300,
    onAttempt: (event) => events.push(event),
  })
  wechat.script('/sns/userinfo', { hang: true })
  const held = holder.getUserInfo(ACCESS_TOKEN, OPENID).catch((error) => error)
  await expect.poll(() => wechat.callsTo('/sns/userinfo').length).toBe(1)

  const error = await client.validateAuthorizationCode(CODE).catch((e) => e)
  expect(error).toBeInstanceOf(WechatNetworkError)
  // Not sent, so the code is still good: retrying is right, unlike after a timeout once it was sent.
  expect(error).toMatchObject({ timedOut: true, action: 'retry' })
  expect(events).toMatchObject([{ endpoint: '/sns/oauth2/access_token', outcome: 'timeout' }])

  // Free the connection; the exchange still in the queue must not go out late. The queue is FIFO,
  // so once a later call is answered, the exchange has had its turn.
  wechat.dropConnections()
  await held
  await holder.getUserInfo(ACCESS_TOKEN, OPENID)
  expect(wechat.codePresentations(CODE)).toBe(0)
})

it('refuses to let a dispatcher write a code exchange a second time', async () => {
  // undici re-sends pipelined requests on a new connection when the one they were written to breaks
  // (a second onRequestStart). WeChat may have read the first copy, so a code must not go out again.
  // This dispatcher plays that sequence: start (write), start again (the re-send).
  const writes: string[] = []
  const aborts: unknown[] = []
  const resending = {
    dispatch(options: { path: string }, handler: Dispatcher.DispatchHandler) {
      const controller = (): Dispatcher.DispatchController => {
        let aborted = false
        return {
          get aborted() {
            return aborted
          },
          paused: false,
          reason: null,
          abort(reason: Error) {
            aborted = true
            aborts.push(reason)
            handler.onResponseError?.(this, reason)
          },
          pause() {},
          resume() {},
        }
      }
      const first = controller()
      handler.onRequestStart?.(first, {})
      writes.push(options.path)
      const second = controller()
      handler.onRequestStart?.(second, {})
      if (!second.aborted) {
        writes.push(options.path)
        handler.onResponseError?.(second, Object.assign(new Error('closed'), { code: 'UND_ERR_SOCKET' }))
      }
      return true
    },
    close: async () => undefined,
  } as unknown as Dispatcher
  const client = new WechatOAuthClient(APP_ID, APP_SECRET, {
    apiBaseUrl: wechat.baseUrl,
    dispatcher: resending,
  })
  const error = await client.validateAuthorizationCode(CODE).catch((e) => e)
  expect(writes).toHaveLength(1)
  expect(aborts).toHaveLength(1)
  expect(error).toBeInstanceOf(WechatNetworkError)
  expect(error).toMatchObject({ action: 'restart_authorization', timedOut: false })

  // The same sequence on a call that is safe to repeat goes through.
  writes.length = 0
  const retried = await client.getUserInfo(ACCESS_TOKEN, OPENID).catch((e) => e)
  expect(writes).toHaveLength(6)
  expect(retried).toMatchObject({ name: 'WechatNetworkError', action: 'retry' })
})

it('a dispatcher passed in is left open by close()', async () => {
  const pool = new Pool(wechat.baseUrl)
  closers.push(() => pool.close())
  const client = new WechatOAuthClient(APP_ID, APP_SECRET, { apiBaseUrl: wechat.baseUrl, dispatcher: pool })
  await client.close()
  expect(pool.closed).toBe(false)
  await expect(client.getUserInfo(ACCESS_TOKEN, OPENID)).resolves.toMatchObject({ openid: OPENID })
})
