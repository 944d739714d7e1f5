/** jitlite/sandbox's fault queue, clock, quota and option errors, without HTTP. */
import {
  FaultBook,
  faultTargetSchema,
  MinuteQuota,
  optionParser,
  SandboxClock,
  SandboxError,
} from 'jitlite/sandbox'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'

type Endpoint = 'token' | 'login'

describe('FaultBook', () => {
  it("draws the endpoint's own queue first, in the order added, then the faults for all", () => {
    const book = new FaultBook<Endpoint>()
    book.add('all', { kind: 'status', status: 502 })
    book.add('token', { kind: 'busy' })
    book.add('token', { kind: 'quota' })
    expect(book.draw('token')?.fault).toEqual({ kind: 'busy' })
    expect(book.draw('token')?.fault).toEqual({ kind: 'quota' })
    expect(book.draw('token')?.fault).toEqual({ kind: 'status', status: 502 })
    expect(book.draw('token')).toBeUndefined()
    expect(book.draw('login')).toBeUndefined()
  })

  it('answers `times` calls with a rule, "always" until cleared; afterProcessing travels with it', () => {
    const book = new FaultBook<Endpoint>()
    book.add('login', { kind: 'reset' }, { times: 2, afterProcessing: true })
    expect(book.draw('login')).toEqual({ fault: { kind: 'reset' }, afterProcessing: true })
    expect(book.draw('login')).toEqual({ fault: { kind: 'reset' }, afterProcessing: true })
    expect(book.draw('login')).toBeUndefined()

    book.add('all', { kind: 'hang' }, { times: 'always' })
    for (let call = 0; call < 5; call++)
      expect(book.draw(call % 2 ? 'token' : 'login')?.fault.kind).toBe('hang')
    book.clear()
    expect(book.draw('token')).toBeUndefined()
  })

  it('describes what is pending: remaining calls counting down, "always", latencies', () => {
    const book = new FaultBook<Endpoint>()
    book.add('token', { kind: 'errcode', errcode: 42001 }, { times: 3 })
    book.add('all', { kind: 'body', body: '' }, { times: 'always' })
    book.setLatency(40, 'token')
    book.draw('token')
    expect(book.describe()).toEqual({
      faults: [
        {
          endpoint: 'token',
          fault: { kind: 'errcode', errcode: 42001 },
          remaining: 2,
          afterProcessing: false,
        },
        // The body fault's defaults are filled in: an empty 200 as text/plain.
        {
          endpoint: 'all',
          fault: { kind: 'body', body: '', contentType: 'text/plain', status: 200 },
          remaining: 'always',
          afterProcessing: false,
        },
      ],
      latencyMs: { token: 40 },
    })
  })

  it("adds an endpoint's latency to the latency for all; 0 removes one; clear removes both", () => {
    const book = new FaultBook<Endpoint>()
    book.setLatency(30)
    book.setLatency(20, 'login')
    expect(book.latencyMs('login')).toBe(50)
    expect(book.latencyMs('token')).toBe(30)
    book.setLatency(0, 'all')
    expect(book.latencyMs('login')).toBe(20)
    book.clear()
    expect(book.latencyMs('login')).toBe(0)
  })

  it('refuses a malformed fault, option or latency, and keeps nothing of it', () => {
    const book = new FaultBook<Endpoint>()
    expect(() => book.add('token', { kind: 'explode' } as never)).toThrow(z.ZodError)
    expect(() => book.add('token', { kind: 'status', status: 200 })).toThrow(z.ZodError)
    expect(() => book.add('token', { kind: 'busy' }, { times: 0 })).toThrow(z.ZodError)
    expect(() => book.add('token', { kind: 'busy', extra: 1 } as never)).toThrow(z.ZodError)
    expect(() => book.setLatency(-1)).toThrow(RangeError)
    expect(() => book.setLatency(Number.NaN, 'token')).toThrow(RangeError)
    expect(book.describe()).toEqual({ faults: [], latencyMs: {} })
  })

  it("given checks, refuses an unknown target and a malformed fault or latency with the sandbox's own error", () => {
    class KitError extends SandboxError<'KIT_OPTION_INVALID'> {}
    const options = optionParser((message, cause) => new KitError('KIT_OPTION_INVALID', message, { cause }))
    const book = new FaultBook<Endpoint>({ endpoints: ['token', 'login'], options })
    const refusal = (act: () => void) => {
      try {
        act()
      } catch (error) {
        expect(error).toBeInstanceOf(KitError)
        return (error as Error).message
      }
      throw new Error('not refused')
    }
    expect(refusal(() => book.add('userinfo' as never, { kind: 'busy' }))).toMatch(/^Invalid endpoint: /)
    expect(refusal(() => book.setLatency(5, 'userinfo' as never))).toMatch(/^Invalid endpoint: /)
    expect(refusal(() => book.add('token', { kind: 'busy' }, { times: -2 }))).toMatch(
      /^Invalid fault: times: /,
    )
    expect(refusal(() => book.setLatency(-1, 'login'))).toBe(
      'Invalid latency: latency must be a number of ms >= 0.',
    )
    expect(book.describe()).toEqual({ faults: [], latencyMs: {} })
    book.add('all', { kind: 'quota' })
    expect(book.draw('login')?.fault).toEqual({ kind: 'quota' })
  })
})

describe('faultTargetSchema', () => {
  it("accepts the sandbox's endpoints and all, nothing else", () => {
    const schema = faultTargetSchema(['token', 'login'])
    expect(schema.parse('login')).toBe('login')
    expect(schema.parse('all')).toBe('all')
    expect(schema.safeParse('userinfo').success).toBe(false)
    expect(schema.safeParse(undefined).success).toBe(false)
  })
})

describe('optionParser', () => {
  class AcmeError extends SandboxError<'ACME_OPTION_INVALID'> {}
  const { parseOption, optionError } = optionParser(
    (message, cause) => new AcmeError('ACME_OPTION_INVALID', message, { cause }),
  )

  it("throws the sandbox's own coded error naming every field that is wrong", () => {
    const schema = z.strictObject({ ms: z.number().min(0), endpoint: z.enum(['token']) })
    expect(parseOption(schema, { ms: 5, endpoint: 'token' }, 'latency')).toEqual({ ms: 5, endpoint: 'token' })
    let thrown: unknown
    try {
      parseOption(schema, { ms: -1, endpoint: 'nope' }, 'latency')
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(AcmeError)
    expect(thrown).toBeInstanceOf(SandboxError)
    expect(thrown).toMatchObject({ name: 'AcmeError', code: 'ACME_OPTION_INVALID' })
    const message = (thrown as Error).message
    expect(message).toMatch(/^Invalid latency: ms: .+; endpoint: .+\.$/)
    expect((thrown as Error).cause).toBeInstanceOf(z.ZodError)
  })

  it('names the option itself when the value is wrong as a whole, and wraps other errors', () => {
    expect(() => parseOption(z.string(), 5, 'domain')).toThrow(/^Invalid domain: domain: /)
    const wrapped = optionError('latency', new RangeError('latency must be a number of ms >= 0'))
    expect(wrapped.message).toBe('Invalid latency: latency must be a number of ms >= 0.')
    expect(wrapped).toMatchObject({ code: 'ACME_OPTION_INVALID' })
  })
})

describe('SandboxClock', () => {
  it('moves on top of its time source, and back to it on reset', () => {
    let base = 1_000_000
    const clock = new SandboxClock(() => base)
    clock.advance(7201)
    expect(clock.nowMs()).toBe(1_000_000 + 7_201_000)
    expect(clock.offsetSeconds).toBe(7201)
    base += 500
    expect(clock.nowMs()).toBe(1_000_500 + 7_201_000)
    clock.reset()
    expect(clock.nowMs()).toBe(1_000_500)
    expect(() => clock.advance(Number.POSITIVE_INFINITY)).toThrow(RangeError)
  })
})

describe('MinuteQuota', () => {
  it('counts calls per key within a minute of the sandbox clock; a new minute starts afresh', () => {
    const clock = new SandboxClock(() => 60_000 * 1000)
    const quota = new MinuteQuota(clock)
    expect([quota.take('a', 2), quota.take('a', 2), quota.take('a', 2)]).toEqual([true, true, false])
    expect(quota.take('b', 2)).toBe(true)
    clock.advance(59)
    expect(quota.take('a', 2)).toBe(false)
    clock.advance(1)
    expect(quota.take('a', 2)).toBe(true)
    quota.take('a', 2)
    quota.clear()
    expect(quota.take('a', 1)).toBe(true)
  })
})
