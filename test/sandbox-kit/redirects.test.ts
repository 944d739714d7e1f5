/** jitlite/sandbox's redirect helpers and request readers, on a real fastify instance. */
import Fastify from 'fastify'
import {
  addToRedirect,
  cookieValue,
  DOUBLE_DELIVERY_CSP,
  deliverRedirect,
  firstQueryValues,
  hostMatchesDomain,
  parseHttpUrl,
  rawQuery,
} from 'jitlite/sandbox'
import { describe, expect, it } from 'vitest'

describe('addToRedirect', () => {
  it('adds with ? or &, keeps a trailing ? or &, and goes before the fragment', () => {
    expect(addToRedirect('https://a.example/cb', 'code=C&state=S')).toBe(
      'https://a.example/cb?code=C&state=S',
    )
    expect(addToRedirect('https://a.example/cb?x=1', 'state=S')).toBe('https://a.example/cb?x=1&state=S')
    expect(addToRedirect('https://a.example/cb?', 'state=S')).toBe('https://a.example/cb?state=S')
    expect(addToRedirect('https://a.example/cb?x=1&', 'state=S')).toBe('https://a.example/cb?x=1&state=S')
    expect(addToRedirect('https://a.example/cb#/done?y', 'state=S')).toBe(
      'https://a.example/cb?state=S#/done?y',
    )
  })

  it('percent-encodes what a Location header cannot carry as UTF-8, and leaves printable ASCII as it was', () => {
    expect(addToRedirect('https://a.example/回调', 'state=é')).toBe(
      'https://a.example/%E5%9B%9E%E8%B0%83?state=%C3%A9',
    )
    expect(addToRedirect('https://a.example/cb', 'state=a\u0001b')).toBe('https://a.example/cb?state=a%01b')
    expect(addToRedirect('https://a.example/cb', 'state=a b%20"<>')).toBe(
      'https://a.example/cb?state=a b%20"<>',
    )
  })
})

describe('parseHttpUrl and hostMatchesDomain', () => {
  it('accept absolute http(s) URLs only', () => {
    expect(parseHttpUrl('http://127.0.0.1:3000/cb')?.host).toBe('127.0.0.1:3000')
    for (const value of ['javascript:alert(1)', '/relative', 'ftp://a.example/', '', 'http://']) {
      expect(parseHttpUrl(value), value).toBeUndefined()
    }
  })

  it('match a domain without a port on any port, a domain with one on that port only', () => {
    const url = new URL('http://shop.example:3000/cb')
    expect(hostMatchesDomain(url, 'shop.example')).toBe(true)
    expect(hostMatchesDomain(url, 'shop.example:3000')).toBe(true)
    expect(hostMatchesDomain(url, 'shop.example:3001')).toBe(false)
    expect(hostMatchesDomain(url, 'example')).toBe(false)
    expect(hostMatchesDomain(new URL('http://evil.shop.example/'), 'shop.example')).toBe(false)
  })
})

describe('deliverRedirect and the request readers', () => {
  const server = async () => {
    const fastify = Fastify()
    fastify.get('/deliver', async (request, reply) => {
      const twice = cookieValue(request, 'twice') === 'yes'
      return deliverRedirect(reply, 'http://127.0.0.1:3000/cb?code=C', twice ? '<p>twice</p>' : undefined)
    })
    fastify.get('/query', async (request) => ({ raw: rawQuery(request), first: firstQueryValues(request) }))
    await fastify.ready()
    return fastify
  }

  it('redirects once, or sends the double-delivery page under its own policy; never cached, no referrer', async () => {
    const fastify = await server()
    const once = await fastify.inject('/deliver')
    expect(once.statusCode).toBe(302)
    expect(once.headers.location).toBe('http://127.0.0.1:3000/cb?code=C')
    expect(once.headers['cache-control']).toBe('no-store')
    expect(once.headers['referrer-policy']).toBe('no-referrer')
    const twice = await fastify.inject({ url: '/deliver', headers: { cookie: 'other=1; twice=yes' } })
    expect(twice.statusCode).toBe(200)
    expect(twice.body).toBe('<p>twice</p>')
    expect(twice.headers['content-security-policy']).toBe(DOUBLE_DELIVERY_CSP)
    expect(twice.headers['cache-control']).toBe('no-store')
    await fastify.close()
  })

  it('read the raw query, and the first value of each parameter, "__proto__" included', async () => {
    const fastify = await server()
    const read = (await fastify.inject('/query?a=1&a=2&__proto__=x&b=%E4%B8%AD')).json()
    expect(read.raw).toBe('a=1&a=2&__proto__=x&b=%E4%B8%AD')
    expect(read.first).toEqual({ a: '1', ['__proto__']: 'x', b: '中' })
    expect((await fastify.inject('/query')).json()).toEqual({ raw: '', first: {} })
    await fastify.close()
  })
})
