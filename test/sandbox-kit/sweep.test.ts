/** jitlite/sandbox's ExpiredSweeper: expired entries kept a day, then forgotten; live ones never. */
import { ExpiredSweeper, KEEP_EXPIRED_MS, SandboxClock } from 'jitlite/sandbox'
import { describe, expect, it } from 'vitest'

describe('ExpiredSweeper', () => {
  it('forgets, on its 500th issue, what expired more than a day ago, and keeps the rest', () => {
    const clock = new SandboxClock(() => 1_000_000_000)
    const codes = new Map<string, { expiresAtMs: number }>()
    const tokens = new Map<string, { expiresAtMs: number }>()
    const sweeper = new ExpiredSweeper(clock, [codes, tokens])
    const now = clock.nowMs()
    codes.set('long-expired', { expiresAtMs: now - KEEP_EXPIRED_MS - 1 })
    codes.set('just-expired', { expiresAtMs: now - 1000 })
    codes.set('live', { expiresAtMs: now + 300_000 })
    tokens.set('long-expired-token', { expiresAtMs: now - KEEP_EXPIRED_MS - 5 })

    for (let issue = 0; issue < 499; issue++) sweeper.issued()
    expect(codes.has('long-expired')).toBe(true)
    sweeper.issued()
    expect([...codes.keys()]).toEqual(['just-expired', 'live'])
    expect(tokens.size).toBe(0)

    clock.advance(KEEP_EXPIRED_MS / 1000 + 1)
    for (let issue = 0; issue < 500; issue++) sweeper.issued()
    expect([...codes.keys()]).toEqual(['live'])
  })

  it('stops at the first entry still kept: one out of order waits for those before it', () => {
    const clock = new SandboxClock(() => 1_000_000_000)
    const now = clock.nowMs()
    const map = new Map<string, { expiresAtMs: number }>([
      ['kept', { expiresAtMs: now }],
      ['old-but-later', { expiresAtMs: now - 2 * KEEP_EXPIRED_MS }],
    ])
    const sweeper = new ExpiredSweeper(clock, [map])
    for (let issue = 0; issue < 500; issue++) sweeper.issued()
    expect([...map.keys()]).toEqual(['kept', 'old-but-later'])
  })
})
