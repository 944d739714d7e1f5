/** jitlite/sandbox's SandboxCore: the state every sandbox shares, through the Acme sandbox. */
import { describe, expect, it } from 'vitest'
import { AcmeSandbox, AcmeSandboxError } from './acme-sandbox.ts'

describe('SandboxCore', () => {
  it('starts with the given switches over the defaults, and reset goes back to those, not the defaults', () => {
    const sandbox = new AcmeSandbox({ switches: { tokensPerMinute: 5 } })
    expect(sandbox.switches).toEqual({ tokensPerMinute: 5 })
    sandbox.setSwitches({ tokensPerMinute: 9 })
    expect(sandbox.switches).toEqual({ tokensPerMinute: 9 })
    sandbox.reset()
    expect(sandbox.switches).toEqual({ tokensPerMinute: 5 })
  })

  it("refuses malformed switches with the sandbox's own error, at the start and later", () => {
    expect(() => new AcmeSandbox({ switches: { tokensPerMinute: -1 } })).toThrow(AcmeSandboxError)
    const sandbox = new AcmeSandbox()
    expect(() => sandbox.setSwitches({ surprise: true } as never)).toThrow(
      expect.objectContaining({
        code: 'ACME_SANDBOX_OPTION_INVALID',
        message: expect.stringMatching(/^Invalid switches: /),
      }),
    )
    expect(sandbox.switches).toEqual({ tokensPerMinute: 1000 })
  })

  it('hands out copies: changing what switches() or counters() returned changes nothing', () => {
    const sandbox = new AcmeSandbox()
    const switches = sandbox.switches as { tokensPerMinute: number }
    switches.tokensPerMinute = 1
    const counters = sandbox.counters()
    counters.token = 50
    expect(sandbox.switches.tokensPerMinute).toBe(1000)
    expect(sandbox.counters().token).toBe(0)
  })

  it('counts calls per endpoint; reset zeroes them and ends faults, latency and a moved clock', () => {
    let now = 5_000_000
    const sandbox = new AcmeSandbox({ now: () => now })
    sandbox.recordCall('token')
    sandbox.recordCall('token')
    sandbox.recordCall('login')
    expect(sandbox.counters()).toEqual({ token: 2, login: 1 })
    sandbox.setFault('all', { kind: 'busy' }, { times: 'always' })
    sandbox.setLatency(10, 'login')
    sandbox.clock.advance(3600)
    now += 1
    sandbox.reset()
    expect(sandbox.counters()).toEqual({ token: 0, login: 0 })
    expect(sandbox.faults()).toEqual({ faults: [], latencyMs: {} })
    expect(sandbox.drawFault('token')).toBeUndefined()
    expect(sandbox.clock.nowMs()).toBe(5_000_001)
  })
})
