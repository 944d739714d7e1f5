import { ExpiredSweeper, type SandboxClock } from 'jitlite/sandbox'
import { newAccessToken, newCode, newUserTicket } from './ids.ts'

/** Lifetimes WeCom documents (docs/wecom-protocol.md#lifetimes). */
export const CODE_LIFETIME_SECONDS = 5 * 60
export const ACCESS_TOKEN_LIFETIME_SECONDS = 7200
export const USER_TICKET_LIFETIME_SECONDS = 1800
export const CONSENT_LIFETIME_SECONDS = 30 * 24 * 3600

export type Channel = 'oauth' | 'web'
export type GrantScope = 'snsapi_base' | 'snsapi_privateinfo'

/** Who a code speaks for and how it was obtained. */
export interface CodeGrant {
  corpid: string
  /** The agentid the login page was opened for (undefined: an in-client link without agentid). */
  agentid: number | undefined
  personKey: string
  scope: GrantScope
  channel: Channel
  /** The redirect_uri's host (with port): the exchange checks the token's app trusts it (50001). */
  redirectHost: string
  /** A ticket comes back with the code's exchange (privateinfo, consented, in the visible range). */
  withTicket: boolean
}

export type CodeLookup = { status: 'ok'; grant: CodeGrant } | { status: 'unknown' | 'used' | 'expired' }

interface TokenEntry {
  agentid: number
  expiresAtMs: number
  /** The app's secret generation at issue; a reset may revoke older tokens. */
  secretGeneration: number
  invalidated: boolean
}

export type TokenLookup =
  | { status: 'ok'; agentid: number }
  | { status: 'unknown' | 'expired' | 'invalidated' }

interface TicketEntry {
  agentid: number
  personKey: string
  expiresAtMs: number
}

/** Codes, app tokens, user tickets and consents, with lifetimes on the sandbox clock. */
export class GrantStore {
  readonly #clock: SandboxClock
  readonly #codes = new Map<string, CodeGrant & { expiresAtMs: number; used: boolean }>()
  readonly #tokens = new Map<string, TokenEntry>()
  /** The token gettoken hands out while it is valid, per agentid. */
  readonly #current = new Map<number, string>()
  readonly #tickets = new Map<string, TicketEntry>()
  /** `${agentid}\0${personKey}` -> consent expiry. */
  readonly #consents = new Map<string, number>()
  /** Forgets what expired a day ago (each map holds one lifetime in issue order). */
  readonly #sweeper: ExpiredSweeper

  constructor(clock: SandboxClock) {
    this.#clock = clock
    this.#sweeper = new ExpiredSweeper(clock, [this.#codes, this.#tokens, this.#tickets])
  }

  issueCode(grant: CodeGrant): string {
    this.#sweeper.issued()
    const code = newCode()
    this.#codes.set(code, {
      ...grant,
      expiresAtMs: this.#clock.nowMs() + CODE_LIFETIME_SECONDS * 1000,
      used: false,
    })
    return code
  }

  /** Looks a code up for `corpid`; another corp's code reads as unknown (40029 either way). */
  lookupCode(code: string, corpid: string): CodeLookup {
    const entry = this.#codes.get(code)
    if (!entry || entry.corpid !== corpid) return { status: 'unknown' }
    if (this.#clock.nowMs() >= entry.expiresAtMs) return { status: 'expired' }
    if (entry.used) return { status: 'used' }
    const { expiresAtMs: _e, used: _u, ...grant } = entry
    return { status: 'ok', grant }
  }

  /** Spends a code: every later presentation answers 40029. */
  consumeCode(code: string): void {
    const entry = this.#codes.get(code)
    if (entry) entry.used = true
  }

  /**
   * The token gettoken answers for `agentid`: the current one while valid (the reuse mode says what
   * happens to its lifetime), else a new one. Returns the token and its expires_in.
   */
  tokenFor(
    agentid: number,
    secretGeneration: number,
    reuse: 'sameRemaining' | 'sameRestart' | 'new',
  ): { token: string; expiresIn: number } {
    const now = this.#clock.nowMs()
    const currentToken = this.#current.get(agentid)
    const current = currentToken === undefined ? undefined : this.#tokens.get(currentToken)
    const usable =
      current &&
      !current.invalidated &&
      current.secretGeneration === secretGeneration &&
      now < current.expiresAtMs
    if (currentToken && current && usable && reuse !== 'new') {
      if (reuse === 'sameRestart') current.expiresAtMs = now + ACCESS_TOKEN_LIFETIME_SECONDS * 1000
      return { token: currentToken, expiresIn: Math.max(1, Math.ceil((current.expiresAtMs - now) / 1000)) }
    }
    this.#sweeper.issued()
    const token = newAccessToken()
    this.#tokens.set(token, {
      agentid,
      expiresAtMs: now + ACCESS_TOKEN_LIFETIME_SECONDS * 1000,
      secretGeneration,
      invalidated: false,
    })
    this.#current.set(agentid, token)
    return { token, expiresIn: ACCESS_TOKEN_LIFETIME_SECONDS }
  }

  /** `secretGeneration` is the app's current one; `revokeOlder` says whether older tokens died with the reset. */
  lookupToken(
    token: string,
    secretGenerationOf: (agentid: number) => number,
    revokeOlder: boolean,
  ): TokenLookup {
    const entry = this.#tokens.get(token)
    if (!entry) return { status: 'unknown' }
    if (entry.invalidated) return { status: 'invalidated' }
    if (revokeOlder && entry.secretGeneration < secretGenerationOf(entry.agentid))
      return { status: 'invalidated' }
    if (this.#clock.nowMs() >= entry.expiresAtMs) return { status: 'expired' }
    return { status: 'ok', agentid: entry.agentid }
  }

  /** WeCom dropped the app's tokens early: they answer 40014 and gettoken issues a new one. */
  invalidateTokens(agentid?: number): number {
    let count = 0
    for (const entry of this.#tokens.values()) {
      if ((agentid === undefined || entry.agentid === agentid) && !entry.invalidated) {
        entry.invalidated = true
        count += 1
      }
    }
    return count
  }

  issueTicket(agentid: number, personKey: string): string {
    const ticket = newUserTicket()
    this.#tickets.set(ticket, {
      agentid,
      personKey,
      expiresAtMs: this.#clock.nowMs() + USER_TICKET_LIFETIME_SECONDS * 1000,
    })
    return ticket
  }

  /** The person a ticket speaks for, if it is valid for `agentid`. */
  lookupTicket(ticket: string, agentid: number): string | undefined {
    const entry = this.#tickets.get(ticket)
    if (!entry || entry.agentid !== agentid || this.#clock.nowMs() >= entry.expiresAtMs) return undefined
    return entry.personKey
  }

  recordConsent(agentid: number, personKey: string): void {
    this.#consents.set(`${agentid}\u0000${personKey}`, this.#clock.nowMs() + CONSENT_LIFETIME_SECONDS * 1000)
  }

  /** Consent given less than 30 days ago: the sheet is not shown again. */
  hasConsent(agentid: number, personKey: string): boolean {
    const until = this.#consents.get(`${agentid}\u0000${personKey}`)
    return until !== undefined && this.#clock.nowMs() < until
  }

  revokeConsent(agentid: number, personKey: string): void {
    this.#consents.delete(`${agentid}\u0000${personKey}`)
  }

  clear(): void {
    this.#codes.clear()
    this.#tokens.clear()
    this.#current.clear()
    this.#tickets.clear()
    this.#consents.clear()
  }
}
