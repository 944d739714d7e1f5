/**
 * The pieces the login flow is built from, on their own: the random pool, strict
 * query reading, post-login targets and the pages.
 */
import { describe, expect, it } from 'vitest'
import { randomBytesPooled } from '../../runtime/random.ts'
import {
  LOGIN_PAGE_STATUS,
  type LoginPageKind,
  renderLoginPage,
} from '../../types/auths/loginTypes/Meta/pages.ts'
import { readQuery } from '../../types/auths/loginTypes/Meta/query.ts'
import { postLoginTarget } from '../../types/auths/loginTypes/Meta/redirect.ts'
import {
  composeState,
  newBrowserNonce,
  newStateSecret,
  parseState,
} from '../../types/auths/loginTypes/Meta/tokens.ts'

describe('randomBytesPooled', () => {
  it('hands out every byte once, across refills', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 2000; i++) {
      const value = randomBytesPooled(32).toString('hex')
      expect(value).toHaveLength(64)
      seen.add(value)
    }
    expect(seen.size).toBe(2000)
  })

  it('refuses sizes it cannot serve', () => {
    for (const size of [0, -1, 4097, 1.5]) expect(() => randomBytesPooled(size)).toThrow(RangeError)
  })

  it('makes state secrets and nonces of the documented shape', () => {
    for (let i = 0; i < 1000; i++) {
      expect(newStateSecret()).toMatch(/^[A-Za-z0-9]{43}$/)
      expect(newBrowserNonce()).toMatch(/^[A-Za-z0-9_-]{43}$/)
    }
  })
})

describe('state: a secret, then its row selector', () => {
  it("reads back the secret and selector it was made of, within WeChat's 128 characters", () => {
    const secret = newStateSecret()
    const selector = 'c0ffee'.padEnd(32, '0')
    const state = composeState(secret, selector)
    expect(state).toMatch(/^[A-Za-z0-9]{75}$/)
    expect(parseState(state)).toEqual({ secret, selector })
  })

  it('refuses anything the flow cannot have minted', () => {
    const secret = newStateSecret()
    const selector = '9'.repeat(32)
    for (const state of [
      secret, // no selector
      `${secret}${selector.slice(1)}`, // a short selector
      `${secret}${selector}0`, // a long one
      `${secret}${'A'.repeat(32)}`, // upper case is not the selector's hex
      `${secret.slice(1)}${selector}`, // a short secret
      `${secret}${selector.slice(1)}-`,
      '',
    ]) {
      expect(parseState(state)).toBeUndefined()
    }
  })
})

describe('readQuery', () => {
  it('reads single values, decoded as UTF-8', () => {
    expect(readQuery('/cb?code=a%2Bb&state=x+y&empty=&flag')).toEqual({
      ok: true,
      params: { code: 'a+b', state: 'x y', empty: '', flag: '' },
    })
    expect(readQuery('/cb')).toEqual({ ok: true, params: {} })
    expect(readQuery('/cb?redirectUrl=%E4%BD%A0')).toEqual({ ok: true, params: { redirectUrl: '你' } })
  })

  it('refuses repeats, bad escapes, invalid UTF-8 and oversized targets, without echoing values', () => {
    const cases: Array<[string, string]> = [
      ['/cb?state=a&state=b', 'the parameter "state" is repeated'],
      ['/cb?code=%E4%BD', 'the parameter "code" is not valid UTF-8'],
      ['/cb?code=%ZZ', 'the parameter "code" is not valid UTF-8'],
      ['/cb?%FF=1', 'a parameter name is not valid UTF-8'],
      [
        '/cb?SECRETVALUE123456789=1&SECRETVALUE123456789=2',
        'the parameter (with an unusual name) is repeated',
      ],
    ]
    for (const [target, problem] of cases) expect(readQuery(target)).toEqual({ ok: false, problem })
    expect(readQuery(`/cb?x=${'a'.repeat(9000)}`).ok).toBe(false)
  })

  it('does not let a parameter named __proto__ reach the prototype', () => {
    const reading = readQuery('/cb?__proto__=x&constructor=y')
    expect(reading.ok && Object.entries(reading.params)).toEqual([
      ['__proto__', 'x'],
      ['constructor', 'y'],
    ])
    expect(reading.ok && Object.getPrototypeOf(reading.params)).toBe(null)
  })
})

describe('postLoginTarget', () => {
  it('keeps same-origin and allowed targets as absolute URLs, and sends the rest to the start page', () => {
    const app = 'https://app.example.com/shop'
    expect(postLoginTarget('/orders', app, [])).toBe('https://app.example.com/orders')
    expect(postLoginTarget(undefined, app, [])).toBe('https://app.example.com/shop/')
    expect(postLoginTarget('https://pay.example.com/x', app, ['https://pay.example.com/'])).toBe(
      'https://pay.example.com/x',
    )
    expect(postLoginTarget('https://pay.example.com/x', app, ['not a url'])).toBe(
      'https://app.example.com/shop/',
    )
    expect(postLoginTarget('http://[::1', app, [])).toBe('https://app.example.com/shop/')
  })
})

describe('pages', () => {
  it('renders every kind as a self-contained English page with its status and a way back', () => {
    for (const kind of Object.keys(LOGIN_PAGE_STATUS) as LoginPageKind[]) {
      const html = renderLoginPage({
        kind,
        appTitle: 'Shop <&>',
        startPage: 'https://app.example.com/',
        providerTitle: 'WeChat',
        retryUrl: '/api/o/a/auths/loginTypes/W/login?redirectUrl=%2F',
        detail: 'WeChat refused the sign-in (error 40003).',
        problem: 'the parameter "state" is repeated',
      })
      expect(html.startsWith('<!doctype html>')).toBe(true)
      expect(html).toContain('<html lang="en">')
      expect(html).toContain('Back to Shop &lt;&amp;&gt;')
      expect(html).not.toMatch(/<script|<link|src=|url\(/i)
      expect(LOGIN_PAGE_STATUS[kind]).toBeGreaterThanOrEqual(400)
      expect(LOGIN_PAGE_STATUS[kind]).not.toBe(500)
    }
  })
})
