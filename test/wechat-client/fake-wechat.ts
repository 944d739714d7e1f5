/**
 * An in-process fake of WeChat's API host on loopback, for the client's tests: scripted answers per
 * endpoint (a queue, then a default), call counters, and what each call carried.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach } from 'vitest'
import {
  type WechatAttemptEvent,
  WechatOAuthClient,
  type WechatOAuthClientOptions,
} from '../../types/auths/loginTypes/WechatPublicType/client/index.ts'

export const APP_ID = 'wx1234567890abcdef'
export const APP_SECRET = 'f00dfacecafebeef0123456789abcdef'
export const OPENID = 'oLVPpjqs9BhvzwPj5A-vTYAX3GLc'
export const ACCESS_TOKEN = `76_${'A'.repeat(40)}xYz${'b'.repeat(40)}`
export const REFRESH_TOKEN = `76_${'R'.repeat(40)}qWe${'c'.repeat(40)}`

/** One scripted answer. */
export type Answer =
  | { body: string; status?: number; contentType?: string; delayMs?: number; chunked?: boolean }
  /** Read the request, never answer. */
  | { hang: true }
  /** Destroy the connection as soon as the request arrives. */
  | { reset: true }

export type EndpointPath =
  | '/sns/oauth2/access_token'
  | '/sns/oauth2/refresh_token'
  | '/sns/userinfo'
  | '/sns/auth'

export interface Call {
  path: EndpointPath
  query: URLSearchParams
  /** performance.now() when the request arrived. */
  arrivedAt: number
}

export const json = (value: unknown, extra: Partial<Extract<Answer, { body: string }>> = {}): Answer => ({
  body: JSON.stringify(value),
  contentType: 'text/plain',
  ...extra,
})

export const errcode = (code: number, errmsg = 'error'): Answer =>
  json({ errcode: code, errmsg: `${errmsg}, rid: 6326ffdf-41c7c0d8-5a6bb364` })

export const tokenBody = (extra: Record<string, unknown> = {}) => ({
  access_token: ACCESS_TOKEN,
  expires_in: 7200,
  refresh_token: REFRESH_TOKEN,
  openid: OPENID,
  scope: 'snsapi_userinfo',
  ...extra,
})

export const userInfoBody = (extra: Record<string, unknown> = {}) => ({
  openid: OPENID,
  nickname: 'Ada',
  sex: 0,
  province: '',
  city: '',
  country: '',
  headimgurl: 'https://thirdwx.qlogo.cn/mmopen/vi_32/abc/132',
  privilege: [],
  ...extra,
})

const DEFAULTS: Record<EndpointPath, Answer> = {
  '/sns/oauth2/access_token': json(tokenBody()),
  '/sns/oauth2/refresh_token': json(tokenBody()),
  '/sns/userinfo': json(userInfoBody()),
  '/sns/auth': json({ errcode: 0, errmsg: 'ok' }),
}

export interface FakeWechat {
  /** http://127.0.0.1:<port>, to pass as apiBaseUrl. */
  baseUrl: string
  calls: Call[]
  /** Queues answers for the next calls of `path`; after them the default answer applies again. */
  script(path: EndpointPath, ...answers: Answer[]): void
  /** Sets the answer used when the queue of `path` is empty. */
  setDefault(path: EndpointPath, answer: Answer): void
  callsTo(path: EndpointPath): Call[]
  /** How many times each code was presented to the token endpoint. */
  codePresentations(code: string): number
  /** Destroys every open connection (hanging calls then fail on the client's side). */
  dropConnections(): void
  close(): Promise<void>
}

/** Starts the fake on 127.0.0.1, on `port` (0: any free port). */
export async function startFakeWechat(port = 0): Promise<FakeWechat> {
  const queues = new Map<string, Answer[]>()
  const defaults = new Map<string, Answer>(Object.entries(DEFAULTS))
  const calls: Call[] = []

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://fake')
    const path = url.pathname as EndpointPath
    calls.push({ path, query: url.searchParams, arrivedAt: performance.now() })
    const answer = queues.get(path)?.shift() ?? defaults.get(path)
    if (answer === undefined) {
      response.writeHead(404, { 'content-type': 'text/html' }).end('<html>not found</html>')
      return
    }
    if ('hang' in answer) return
    if ('reset' in answer) {
      request.socket.destroy()
      return
    }
    const send = () => {
      const headers: Record<string, string> = { 'content-type': answer.contentType ?? 'application/json' }
      if (answer.chunked) {
        response.writeHead(answer.status ?? 200, headers)
        const half = Math.floor(answer.body.length / 2)
        response.write(answer.body.slice(0, half))
        response.end(answer.body.slice(half))
        return
      }
      headers['content-length'] = String(Buffer.byteLength(answer.body))
      response.writeHead(answer.status ?? 200, headers).end(answer.body)
    }
    if (answer.delayMs) setTimeout(send, answer.delayMs)
    else send()
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const address = server.address() as AddressInfo

  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    calls,
    script(path, ...answers) {
      queues.set(path, [...(queues.get(path) ?? []), ...answers])
    },
    setDefault(path, answer) {
      defaults.set(path, answer)
    },
    callsTo(path) {
      return calls.filter((call) => call.path === path)
    },
    codePresentations(code) {
      return calls.filter(
        (call) => call.path === '/sns/oauth2/access_token' && call.query.get('code') === code,
      ).length
    },
    dropConnections() {
      server.closeAllConnections()
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** The code, and the paths of the endpoints, the client tests call. */
export const CODE = '061Ab2Ga1Lx9ZF0xYyJa1RrbAC4Ab2GK'
export const TOKEN = '/sns/oauth2/access_token'
export const REFRESH = '/sns/oauth2/refresh_token'
export const USERINFO = '/sns/userinfo'

/** What `useFakeWechat` gives each test: the fake, a client of it, and the client's attempt events. */
export interface FakeWechatClient {
  wechat: FakeWechat
  client: WechatOAuthClient
  /** The attempts of the latest client `connect` made, in order. */
  events: WechatAttemptEvent[]
  /** A new client of the fake with `defaults` and then `options`; its events replace the last one's. */
  connect(options?: WechatOAuthClientOptions): WechatOAuthClient
}

/**
 * A fresh fake WeChat and a client of it for each test (closed after it).
 *
 * @example
 * const t = useFakeWechat({ retryBaseDelayMs: 5 })
 * it('...', async () => {
 *   t.wechat.script(USERINFO, errcode(-1, 'system error'))
 *   await t.client.getUserInfo(ACCESS_TOKEN, OPENID)
 * })
 */
export function useFakeWechat(defaults: WechatOAuthClientOptions): FakeWechatClient {
  const context = {
    events: [] as WechatAttemptEvent[],
    connect(options: WechatOAuthClientOptions = {}) {
      context.events.length = 0
      return new WechatOAuthClient(APP_ID, APP_SECRET, {
        apiBaseUrl: context.wechat.baseUrl,
        onAttempt: (event) => context.events.push(event),
        ...defaults,
        ...options,
      })
    },
  } as FakeWechatClient
  beforeEach(async () => {
    context.wechat = await startFakeWechat()
    context.client = context.connect()
  })
  afterEach(async () => {
    await context.client.close()
    await context.wechat.close()
  })
  return context
}
