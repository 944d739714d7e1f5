/**
 * jitlite/sandbox's HTTP fault injection, over loopback, in a sandbox built only from the toolkit
 * (acme-sandbox.ts): what a client of the provider meets for each fault kind.
 */
import Fastify from 'fastify'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { AcmeSandbox, acmeSandbox, type RunningAcmeSandbox, startAcmeSandbox } from './acme-sandbox.ts'
import { rawRequest } from './helpers.ts'

let sandbox: RunningAcmeSandbox
beforeAll(async () => {
  sandbox = await startAcmeSandbox()
})
afterAll(async () => {
  await sandbox.close()
})
beforeEach(() => sandbox.reset())

const token = async (query = 'client=demo') => {
  const response = await rawRequest(`${sandbox.url}/token?${query}`)
  return { status: response.status, body: JSON.parse(response.text) }
}

describe('faults on a JSON endpoint', () => {
  it("errcode, busy and quota answer the provider's errors; the call is not processed", async () => {
    sandbox.setFault('token', { kind: 'errcode', errcode: 40001, errmsg: 'invalid credential' })
    sandbox.setFault('token', { kind: 'busy' })
    sandbox.setFault('token', { kind: 'quota' })
    expect(await token()).toEqual({ status: 200, body: { errcode: 40001, errmsg: 'invalid credential' } })
    expect((await token()).body).toEqual({ errcode: 500001, errmsg: 'acme error 500001' })
    expect((await token()).body).toEqual({ errcode: 429001, errmsg: 'acme error 429001' })
    expect(sandbox.issued).toBe(0)
    expect(await token()).toEqual({ status: 200, body: { errcode: 0, access_token: 'token-1' } })
    expect(sandbox.counters()).toEqual({ token: 4, login: 0 })
  })

  it('afterProcessing: the provider acted (a token was issued) but the answer is the fault', async () => {
    sandbox.setFault('token', { kind: 'busy' }, { afterProcessing: true })
    expect((await token()).body.errcode).toBe(500001)
    expect(sandbox.issued).toBe(1)
    expect((await token()).body).toEqual({ errcode: 0, access_token: 'token-2' })
  })

  it("status: a gateway's error page; body: exactly the bytes, type and status asked for", async () => {
    sandbox.setFault('all', { kind: 'status', status: 502 })
    const gateway = await rawRequest(`${sandbox.url}/token`)
    expect(gateway.status).toBe(502)
    expect(gateway.headers['content-type']).toBe('text/html')
    expect(gateway.text).toContain('<title>502 Bad Gateway</title>')
    expect(gateway.text).toContain('<center>nginx</center>')

    sandbox.setFault('token', {
      kind: 'body',
      body: '{"errcode":0,"access_tok',
      contentType: 'application/json',
    })
    const truncated = await rawRequest(`${sandbox.url}/token`)
    expect(truncated).toMatchObject({ status: 200, text: '{"errcode":0,"access_tok' })
    expect(truncated.headers['content-type']).toBe('application/json')

    sandbox.setFault('token', { kind: 'body', body: '', status: 204 })
    expect(await rawRequest(`${sandbox.url}/token`)).toMatchObject({ status: 204, text: '' })
  })

  it('reset: the connection is reset without an answer; the next call answers', async () => {
    sandbox.setFault('token', { kind: 'reset' })
    await expect(rawRequest(`${sandbox.url}/token`)).rejects.toMatchObject({ code: 'ECONNRESET' })
    expect((await token()).body.errcode).toBe(0)
  })

  it('reads the query as providers do: the first value of a repeated parameter wins', async () => {
    sandbox.setSwitches({ tokensPerMinute: 1 })
    expect((await token('client=a&client=b')).body.errcode).toBe(0)
    // The quota counts per client: "a" took the one token of this minute, "b" has not.
    expect((await token('client=a')).body.errcode).toBe(429001)
    expect((await token('client=b')).body.errcode).toBe(0)
    sandbox.clock.advance(60)
    expect((await token('client=a')).body.errcode).toBe(0)
  })
})

describe('faults on a page', () => {
  it("show the provider's error as a page under the sandbox's page headers", async () => {
    sandbox.setFault('login', { kind: 'errcode', errcode: 40013 })
    const page = await rawRequest(`${sandbox.url}/login`)
    expect(page.status).toBe(200)
    expect(page.text).toBe('<h1>Acme error 40013</h1>')
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(page.headers['cache-control']).toBe('no-store')
    expect(page.headers['referrer-policy']).toBe('no-referrer')
    expect(page.headers['content-security-policy']).toContain("default-src 'none'")
    expect((await rawRequest(`${sandbox.url}/login`)).text).toBe('<h1>Sign in to Acme</h1>')
  })
})

describe('hang', () => {
  it('holds the call without an answer while later calls answer, until the sandbox closes', async () => {
    const own = await startAcmeSandbox()
    own.setFault('token', { kind: 'hang' })
    let settled: 'answered' | 'failed' | undefined
    const hung = rawRequest(`${own.url}/token`).then(
      () => {
        settled = 'answered'
      },
      () => {
        settled = 'failed'
      },
    )
    await vi.waitFor(() => expect(own.counters().token).toBe(1), { timeout: 15_000, interval: 20 })
    expect(JSON.parse((await rawRequest(`${own.url}/token`)).text).errcode).toBe(0)
    expect(settled).toBeUndefined()
    await own.close()
    await hung
    expect(settled).toBe('failed')
  })
})

describe('mountSandbox', () => {
  it("gives the mount's public base URL: configured (without trailing slashes), else the request's", async () => {
    const host = Fastify()
    await host.register(acmeSandbox, { prefix: '/__sandbox/acme', sandbox: new AcmeSandbox() })
    await host.register(acmeSandbox, {
      prefix: '/other',
      sandbox: new AcmeSandbox(),
      publicBaseUrl: 'https://dev.example.com/__sandbox/acme//',
    })
    const derived = await host.inject({ url: '/__sandbox/acme/base', headers: { host: 'shop.example:3000' } })
    expect(derived.json()).toEqual({ publicBaseUrl: 'http://shop.example:3000/__sandbox/acme' })
    expect((await host.inject('/other/base')).json()).toEqual({
      publicBaseUrl: 'https://dev.example.com/__sandbox/acme',
    })
    await host.close()
  })
})
