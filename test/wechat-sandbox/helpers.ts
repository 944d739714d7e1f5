import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, beforeEach } from 'vitest'
import {
  type RunningWechatSandbox,
  type StartWechatSandboxOptions,
  startWechatSandbox,
  WECHAT_SANDBOX_DEMO_APP,
} from '../../types/auths/loginTypes/WechatPublicType/sandbox/index.ts'

export const DEMO = WECHAT_SANDBOX_DEMO_APP
/** Fixture apps (see fixtures.json). */
export const APPS = {
  demo: WECHAT_SANDBOX_DEMO_APP.appId,
  silent: 'wx1b7e4d2a9c6f3085',
  unbound: 'wx8d2f6a0c4e1b9537',
  banned: 'wx0e9a7c5b3d1f2468',
  openPlatform: 'wx6c4b2e0a8f7d1359',
  testAccount: 'wx3e5d7c9b1a2f4680',
} as const
export const SECRETS: Record<string, string> = {
  [APPS.demo]: DEMO.appSecret,
  [APPS.silent]: '8e1d5c3b7a9f2e4d6c8b0a1f3e5d7c9b',
  [APPS.unbound]: 'c4a8e2f6b0d4a8c2e6f0b4d8a2c6e0f4',
  [APPS.testAccount]: 'e7c5a3f1d9b7e5c3a1f9d7b5e3c1a9f7',
}
export const CALLBACK = 'http://127.0.0.1:3000/auth/callback'

export async function startSandbox(options: StartWechatSandboxOptions = {}): Promise<RunningWechatSandbox> {
  return startWechatSandbox({ port: 0, ...options })
}

/**
 * One sandbox for the tests of a file, reset before each test and closed after the last.
 *
 * @example
 * let sandbox: RunningWechatSandbox
 * useSandbox((started) => {
 *   sandbox = started
 * })
 */
export function useSandbox(receive: (sandbox: RunningWechatSandbox) => void): void {
  let sandbox: RunningWechatSandbox | undefined
  beforeAll(async () => {
    sandbox = await startSandbox()
    receive(sandbox)
  })
  afterAll(async () => {
    await sandbox?.close()
  })
  beforeEach(() => sandbox?.reset())
}

export interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
  text: string
}

/** A GET (or other method) over node:http, keeping the exact bytes; rejects with the socket error. */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () => {
          const body = Buffer.concat(chunks)
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') })
        })
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

/**
 * Parses WeChat's JSON the way a tolerant client must: raw control characters (legal only inside
 * strings in WeChat's output, which has no whitespace between tokens) are escaped first.
 */
export function parseWechatJson(text: string): Record<string, any> {
  return JSON.parse(
    text.replace(/[\u0000-\u001f]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`),
  )
}

/** GET a /sns endpoint with parameters in the given order; answers the parsed body and the raw response. */
export async function sns(
  sandbox: RunningWechatSandbox,
  path: string,
  params: Record<string, string | undefined>,
): Promise<{ body: Record<string, any>; raw: RawResponse }> {
  const query = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) if (value !== undefined) query.append(key, value)
  const raw = await rawRequest(`${sandbox.apiBaseUrl}${path}?${query}`)
  return { body: parseWechatJson(raw.text), raw }
}

export function exchange(
  sandbox: RunningWechatSandbox,
  code: string,
  appid: string = APPS.demo,
  secret?: string,
) {
  return sns(sandbox, '/sns/oauth2/access_token', {
    appid,
    secret: secret ?? SECRETS[appid],
    code,
    grant_type: 'authorization_code',
  })
}

/** Authorizes through the programmatic helper and returns the code from the redirect URL. */
export function codeFor(
  sandbox: RunningWechatSandbox,
  options: { appid?: string; scope?: string; user?: string; state?: string } = {},
): string {
  const url = sandbox.authorize({
    appid: options.appid ?? APPS.demo,
    redirectUri: CALLBACK,
    scope: options.scope ?? 'snsapi_userinfo',
    state: options.state ?? 'st1',
    user: options.user,
  })
  return new URL(url).searchParams.get('code')!
}

/** Code -> tokens, asserting success. */
export async function tokensFor(
  sandbox: RunningWechatSandbox,
  options: { appid?: string; scope?: string; user?: string } = {},
): Promise<Record<string, any>> {
  const appid = options.appid ?? APPS.demo
  const { body } = await exchange(sandbox, codeFor(sandbox, options), appid)
  if (!body.access_token) throw new Error(`exchange failed: ${JSON.stringify(body)}`)
  return body
}

/** The authorize URL's query with parameters in exactly the given order. */
export function authorizeUrl(sandbox: RunningWechatSandbox, params: [string, string][]): string {
  return `${sandbox.oauthBaseUrl}/connect/oauth2/authorize?${new URLSearchParams(params)}#wechat_redirect`
}

export function orderedParams(
  overrides: Partial<Record<'appid' | 'redirect_uri' | 'response_type' | 'scope' | 'state', string>> = {},
  extras: [string, string][] = [],
): [string, string][] {
  return [
    ['appid', overrides.appid ?? APPS.demo],
    ['redirect_uri', overrides.redirect_uri ?? CALLBACK],
    ['response_type', overrides.response_type ?? 'code'],
    ['scope', overrides.scope ?? 'snsapi_base'],
    ['state', overrides.state ?? 'st1'],
    ...extras,
  ]
}

export function unescapeHtml(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code)))
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
}

/** What the browser submits when the tester presses Allow or Deny on the consent sheet. */
export function submitConsent(
  sandbox: RunningWechatSandbox,
  consentHtml: string,
  choice: { action: 'allow' | 'deny'; user?: string },
  basePath = '',
): Promise<RawResponse> {
  const query = /name="query" value="([^"]*)"/.exec(consentHtml)?.[1]
  if (query === undefined) throw new Error('the page has no consent form')
  const action = /<form class="sheet" method="post" action="([^"]*)"/.exec(consentHtml)?.[1]
  const origin = new URL(sandbox.url).origin
  const form = new URLSearchParams({
    query: unescapeHtml(query),
    action: choice.action,
    user: choice.user ?? '',
  })
  return rawRequest(`${origin}${unescapeHtml(action ?? `${basePath}/connect/oauth2/authorize_reply`)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  })
}

/** The code of WeChat's error page, or null for its code-less parameter-error page; undefined if no error page. */
export function errorPageCode(html: string): number | null | undefined {
  if (!html.includes('class="icon warn"')) return undefined
  const code = /错误码：(-?\d+)/.exec(html)
  return code ? Number(code[1]) : null
}
