/**
 * The metrics an operator scrapes: login starts and outcomes, WeChat calls by endpoint with their error
 * codes, refreshes, reloads, commit latency and the process's own metrics, as Prometheus text, on a
 * port of their own or behind a bearer token; each app counts in a registry of its own.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startMetricsServer } from '../../runtime/metrics/serve-metrics.ts'
import { type LoginHarness, openLoginHarness, withParam } from '../login-flow/harness.ts'

const TOKEN = 'metrics-token-for-tests'
const INSTANCE = 'auths.loginTypes.SandboxLogin'
const open: LoginHarness[] = []
afterEach(async () => {
  for (const harness of open.splice(0)) await harness.close()
})

async function harness(options: Parameters<typeof openLoginHarness>[0] = {}) {
  const h = await openLoginHarness({ metricsToken: TOKEN, ...options })
  open.push(h)
  return h
}

async function scrape(h: LoginHarness): Promise<string> {
  const response = await h.server.inject({
    method: 'GET',
    url: '/metrics',
    headers: { authorization: `Bearer ${TOKEN}` },
  })
  expect(response.statusCode).toBe(200)
  expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/)
  return response.body
}

/** The value of one series, by its exact name and labels as Prometheus prints them. */
function seriesValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

describe('login and provider metrics', () => {
  it('count starts, outcomes by class of provider code, and WeChat calls by endpoint', async () => {
    const h = await harness()
    expect((await h.browser().login()).response.statusCode).toBe(302)
    const cancelling = h.browser()
    const { authorizeUrl } = await cancelling.startLogin()
    await cancelling.get(withParam(cancelling.authorize(authorizeUrl), 'code', undefined))
    h.sandbox.setFault('access_token', { kind: 'errcode', errcode: 40003 })
    expect((await h.browser().login()).response.statusCode).toBe(502)

    const text = await scrape(h)
    expect(seriesValue(text, `jit_login_starts_total{login_type="${INSTANCE}",outcome="started"}`)).toBe(3)
    const completions = (outcome: string, codeClass: string) =>
      seriesValue(
        text,
        `jit_login_completions_total{login_type="${INSTANCE}",outcome="${outcome}",code_class="${codeClass}"}`,
      )
    expect(completions('success', 'none')).toBe(1)
    expect(completions('cancelled', 'none')).toBe(1)
    expect(completions('provider_error', '4xxxx')).toBe(1)
    const calls = (endpoint: string) =>
      seriesValue(text, `jit_provider_call_duration_seconds_count{provider="wechat",endpoint="${endpoint}"}`)
    expect(calls('/sns/oauth2/access_token')).toBe(2)
    expect(calls('/sns/userinfo')).toBe(1)
    expect(
      seriesValue(
        text,
        'jit_provider_call_errors_total{provider="wechat",endpoint="/sns/oauth2/access_token",code="40003"}',
      ),
    ).toBe(1)
    expect(
      seriesValue(text, 'jit_db_commit_duration_seconds_count{database="databases.Default"}'),
    ).toBeGreaterThan(0)
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m)
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m)
  })

  it('count a refresh of a stored token', async () => {
    const h = await harness()
    await h.browser().login()
    const [user] = await h.storedUsers()
    h.sandbox.raw.clock.advance(7201) // the access token expires at WeChat: userinfo answers 42001
    const svc = h.app.getElement(`${INSTANCE}.services.WechatPublicAuthSvc`)
    await svc.getUserInfoByOpenid(user.openid)
    expect(
      seriesValue(await scrape(h), 'jit_token_refreshes_total{provider="wechat",outcome="success"}'),
    ).toBe(1)
  })

  it('keep each app to its own registry', async () => {
    const first = await harness()
    const second = await harness()
    await first.browser().login()
    expect(
      seriesValue(await scrape(first), `jit_login_starts_total{login_type="${INSTANCE}",outcome="started"}`),
    ).toBe(1)
    expect(
      seriesValue(await scrape(second), `jit_login_starts_total{login_type="${INSTANCE}",outcome="started"}`),
    ).toBe(undefined)
  })
})

describe('reload metrics', () => {
  it('count reloads applied and refused', async () => {
    const h = await harness()
    const configFile = path.join(h.dir, 'auths/loginTypes/SandboxLogin/SandboxLogin.json')
    const config = JSON.parse(fs.readFileSync(configFile, 'utf8'))
    fs.writeFileSync(configFile, '{ "appId": ')
    await h.app.reload()
    fs.writeFileSync(configFile, JSON.stringify({ ...config, lang: 'en' }))
    await h.app.reload()
    const text = await scrape(h)
    expect(seriesValue(text, 'jit_reloads_total{result="refused"}')).toBe(1)
    expect(seriesValue(text, 'jit_reloads_total{result="applied"}')).toBe(1)
    expect(h.appLog.records).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        event: 'reload',
        outcome: 'refused',
        errorCode: 'JIT_CONFIG_MALFORMED',
      }),
    )
  })
})

describe('where metrics are served', () => {
  it('answers /metrics on the app port only to the bearer token', async () => {
    const h = await harness()
    for (const authorization of [undefined, 'Bearer wrong-token', TOKEN, `Basic ${TOKEN}`]) {
      const response = await h.server.inject({
        method: 'GET',
        url: '/metrics',
        headers: authorization ? { authorization } : {},
      })
      expect(response.statusCode).toBe(401)
      expect(response.headers['www-authenticate']).toBe('Bearer')
      expect(response.body).not.toContain('jit_')
    }
  })

  it('serves no /metrics on the app port without a token', async () => {
    const h = await openLoginHarness()
    open.push(h)
    expect((await h.server.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404)
  })

  it('serves /metrics on a port of its own', async () => {
    const h = await openLoginHarness()
    open.push(h)
    await h.browser().login()
    const metrics = await startMetricsServer({ metrics: h.app.metrics, port: 0 })
    try {
      const response = await fetch(metrics.url)
      expect(response.status).toBe(200)
      const text = await response.text()
      expect(seriesValue(text, `jit_login_starts_total{login_type="${INSTANCE}",outcome="started"}`)).toBe(1)
      expect(text).toMatch(/^process_resident_memory_bytes \d/m)
      expect((await fetch(metrics.url.replace('/metrics', '/'))).status).toBe(404)
    } finally {
      await metrics.close()
    }
  })
})
