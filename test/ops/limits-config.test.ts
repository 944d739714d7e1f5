/** The limits `jit dev` and `jit start` read from the environment, and the settings they refuse. */
import { describe, expect, it } from 'vitest'
import { DEFAULT_LIMITS, limitsFromEnv } from '../../runtime/http/limits-config.ts'

describe('limitsFromEnv', () => {
  it('gives the documented defaults when nothing is set', () => {
    const limits = limitsFromEnv({})
    expect(limits).toEqual(DEFAULT_LIMITS)
    expect(limits).toMatchObject({
      perAddressPerMinute: { login: 60, callback: 120, ticket: 120, function: 1200 },
      allPerAddressPerMinute: 3000,
      loginStartsPerMinute: 60_000,
      liveStatesPerBrowser: 20,
      liveStatesPerAddress: 1000,
      liveTicketsPerAddress: 1000,
      trustProxy: false,
      bodyLimitBytes: 262_144,
      headerLimitBytes: 16_384,
    })
  })

  it('takes each setting, and RATE_LIMIT=off turns the rate limits off but keeps the caps', () => {
    expect(
      limitsFromEnv({
        RATE_LIMIT_LOGIN: '5',
        LIVE_STATES_PER_ADDRESS: '7',
        LIVE_TICKETS_PER_ADDRESS: '0',
        TRUST_PROXY: '10.0.0.5, 10.1.0.0/16',
        OVERLOAD_HEAP_USED_MB: '512',
      }),
    ).toMatchObject({
      perAddressPerMinute: { login: 5 },
      liveStatesPerAddress: 7,
      liveTicketsPerAddress: 0,
      trustProxy: '10.0.0.5,10.1.0.0/16',
      overload: { maxHeapUsedBytes: 512 * 1024 * 1024 },
    })
    const off = limitsFromEnv({ RATE_LIMIT: 'off', RATE_LIMIT_LOGIN: '5', OVERLOAD: 'off' })
    expect(off.perAddressPerMinute).toEqual({ login: 0, callback: 0, ticket: 0, function: 0 })
    expect(off.allPerAddressPerMinute).toBe(0)
    expect(off.loginStartsPerMinute).toBe(0)
    expect(off.liveStatesPerAddress).toBe(1000)
    expect(off.liveTicketsPerAddress).toBe(1000)
    expect(off.overload).toBeUndefined()
  })

  it('refuses a value it cannot use, naming the variable and what it takes', () => {
    expect(() => limitsFromEnv({ RATE_LIMIT_LOGIN: '-1' })).toThrow(
      'RATE_LIMIT_LOGIN="-1" is not valid: set a whole number, at least 0',
    )
    expect(() => limitsFromEnv({ RATE_LIMIT: 'maybe' })).toThrow('RATE_LIMIT="maybe" is not valid')
    expect(() => limitsFromEnv({ LIVE_TICKETS_PER_ADDRESS: 'many' })).toThrow(
      'LIVE_TICKETS_PER_ADDRESS="many" is not valid: set a whole number, at least 0',
    )
    for (const value of ['true', '*', 'proxy.example.com']) {
      expect(() => limitsFromEnv({ TRUST_PROXY: value })).toThrow(
        expect.objectContaining({ code: 'JIT_ENV_INVALID', message: expect.stringContaining('TRUST_PROXY') }),
      )
    }
  })
})
