import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, beforeEach } from 'vitest'
import {
  type RunningWecomSandbox,
  type StartWecomSandboxOptions,
  startWecomSandbox,
  WECOM_SANDBOX_APPS,
  WECOM_SANDBOX_DEMO_APP,
} from '../../types/auths/loginTypes/QywxInnerType/sandbox/index.ts'

export const DEMO = WECOM_SANDBOX_DEMO_APP
export const APPS = WECOM_SANDBOX_APPS
export const CORP_ID = WECOM_SANDBOX_DEMO_APP.corpId
export const CALLBACK = 'http://127.0.0.1:3000/auth/callback'
export const WECOM_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 wxwork/4.1.30 MicroMessenger/7.0.1 Language/zh ColorScheme/Light'
export const WECHAT_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN'

/**
 * One sandbox for the tests of a file, reset before each test and closed after the last.
 *
 * @example
 * let sandbox: RunningWecomSandbox
 * useSandbox((started) => {
 *   sandbox = started
 * })
 */
export function useSandbox(
  receive: (sandbox: RunningWecomSandbox) => void,
  options: StartWecomSandboxOptions = {},
): void {
  let sandbox: RunningWecomSandbox | undefined
  beforeAll(async () => {
    sandbox = await startWecomSandbox({ port: 0, ...options })
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
  text: string
}

/** A request over node:http, keeping the exact bytes; rejects with the socket error. */
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
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        )
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

/** GET a /cgi-bin endpoint; the parsed body (WeCom answers HTTP 200 with JSON for errors too). */
export async function cgi(
  sandbox: RunningWecomSandbox,
  path: string,
  params: Record<string, string | number | undefined>,
): Promise<Record<string, any>> {
  const query = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) if (value !== undefined) query.append(key, String(value))
  const raw = await rawRequest(`${sandbox.apiBaseUrl}/cgi-bin/${path}?${query}`)
  if (raw.status !== 200) throw new Error(`HTTP ${raw.status}: ${raw.text}`)
  return JSON.parse(raw.text)
}

/** POST JSON to a /cgi-bin endpoint. */
export async function cgiPost(
  sandbox: RunningWecomSandbox,
  path: string,
  params: Record<string, string>,
  body: string,
): Promise<Record<string, any>> {
  const raw = await rawRequest(`${sandbox.apiBaseUrl}/cgi-bin/${path}?${new URLSearchParams(params)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  })
  return JSON.parse(raw.text)
}

/** gettoken for a fixture app, asserting success. */
export async function tokenFor(
  sandbox: RunningWecomSandbox,
  secret: string = DEMO.corpSecret,
): Promise<string> {
  const body = await cgi(sandbox, 'gettoken', { corpid: CORP_ID, corpsecret: secret })
  if (body.errcode !== 0) throw new Error(`gettoken failed: ${JSON.stringify(body)}`)
  return body.access_token
}

/** The code of a redirect URL. */
export const codeOf = (url: string): string => new URL(url).searchParams.get('code')!

/** An in-client authorization through the programmatic helper; returns the code. */
export function inClientCode(
  sandbox: RunningWecomSandbox,
  options: { person?: string; scope?: string; agentid?: number; redirectUri?: string } = {},
): string {
  return codeOf(
    sandbox.authorize({
      redirectUri: options.redirectUri ?? CALLBACK,
      state: 's1',
      scope: options.scope,
      agentid: 'agentid' in options ? options.agentid : DEMO.agentId,
      person: options.person,
    }),
  )
}

export function unescapeHtml(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code)))
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
}

/** The hidden `query` field and the action of a page's form. */
export function formOf(html: string): { action: string; query: string; page?: string } {
  const action = /<form[^>]* method="post" action="([^"]*)"/.exec(html)?.[1]
  const query = /name="query" value="([^"]*)"/.exec(html)?.[1]
  if (action === undefined || query === undefined) throw new Error('the page has no login form')
  const page = /name="page" value="([^"]*)"/.exec(html)?.[1]
  return { action: unescapeHtml(action), query: unescapeHtml(query), page }
}

/** Submits a page's form as a browser would after the tester's choice. */
export function submit(
  sandbox: RunningWecomSandbox,
  html: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const form = formOf(html)
  const body = new URLSearchParams({
    query: form.query,
    ...(form.page ? { page: form.page } : {}),
    ...fields,
  })
  return rawRequest(`${new URL(sandbox.url).origin}${form.action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: body.toString(),
  })
}

/** The title of an error page (undefined when the page is not one). */
export function errorTitle(html: string): string | undefined {
  if (!html.includes('class="icon warn"')) return undefined
  return unescapeHtml(/<h2>([^<]*)<\/h2>/.exec(html)?.[1] ?? '')
}
