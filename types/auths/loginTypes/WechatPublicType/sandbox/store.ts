import { ExpiredSweeper, type SandboxClock } from 'jitlite/sandbox'
import type { Scope } from './fixtures.ts'
import { newCode, newToken } from './ids.ts'

/** Lifetimes WeChat documents (docs/wechat-protocol.md#lifetimes). */
export const CODE_LIFETIME_SECONDS = 5 * 60
export const ACCESS_TOKEN_LIFETIME_SECONDS = 7200
export const REFRESH_TOKEN_LIFETIME_SECONDS = 30 * 24 * 3600

/** Who a code or token speaks for. */
export interface Grant {
  appid: string
  userKey: string
  openid: string
  scope: Scope
  /** Issued to a snapshot-page virtual user. */
  snapshot: boolean
}

interface CodeEntry extends Grant {
  expiresAtMs: number
  used: boolean
}

interface TokenEntry extends Grant {
  expiresAtMs: number
  /** The user's password generation at issue; a later "password change" kills the token (42007). */
  passwordGeneration: number
}

export type CodeLookup =
  | { status: 'ok'; grant: Grant }
  | { status: 'unknown' | 'used' | 'expired' | 'other_app' }

export type TokenLookup =
  | { status: 'ok'; grant: Grant; entry: TokenEntry }
  | { status: 'unknown' | 'expired' | 'revoked' | 'other_app' }

export interface IssuedTokens {
  accessToken: string
  refreshToken: string
}

/** Codes, access tokens and refresh tokens, with their lifetimes measured on the sandbox clock. */
export class GrantStore {
  readonly #clock: SandboxClock
  readonly #codes = new Map<string, CodeEntry>()
  readonly #accessTokens = new Map<string, TokenEntry>()
  readonly #refreshTokens = new Map<string, TokenEntry>()
  readonly #passwordGenerations = new Map<string, number>()
  /** Forgets what expired a day ago; each map holds one lifetime in issue order (an extended refresh token moves to the end). */
  readonly #sweeper: ExpiredSweeper

  constructor(clock: SandboxClock) {
    this.#clock = clock
    this.#sweeper = new ExpiredSweeper(clock, [this.#codes, this.#accessTokens, this.#refreshTokens])
  }

  issueCode(grant: Grant): string {
    this.#sweeper.issued()
    const code = newCode()
    this.#codes.set(code, {
      ...grant,
      expiresAtMs: this.#clock.nowMs() + CODE_LIFETIME_SECONDS * 1000,
      used: false,
    })
    return code
  }

  /**
   * Presents a code for `appid`. A code of this app is consumed by its first presentation, whatever
   * the outcome of the exchange (docs/wechat-protocol.md#code-exchange), so `consume` is applied
   * before answering.
   */
  presentCode(code: string, appid: string, options: { consume: boolean }): CodeLookup {
    const entry = this.#codes.get(code)
    if (!entry) return { status: 'unknown' }
    if (entry.appid !== appid) return { status: 'other_app' }
    if (this.#clock.nowMs() >= entry.expiresAtMs) return { status: 'expired' }
    if (entry.used) return { status: 'used' }
    if (options.consume) entry.used = true
    return { status: 'ok', grant: grantOf(entry) }
  }

  /** Marks a code used without an exchange (a failed exchange that still spends the code). */
  spendCode(code: string, appid: string): void {
    const entry = this.#codes.get(code)
    if (entry && entry.appid === appid) entry.used = true
  }

  issueTokens(grant: Grant): IssuedTokens {
    this.#sweeper.issued()
    const refreshToken = newToken()
    this.#refreshTokens.set(refreshToken, this.#tokenEntry(grant, REFRESH_TOKEN_LIFETIME_SECONDS))
    return { accessToken: this.issueAccessToken(grant), refreshToken }
  }

  issueAccessToken(grant: Grant): string {
    const accessToken = newToken()
    this.#accessTokens.set(accessToken, this.#tokenEntry(grant, ACCESS_TOKEN_LIFETIME_SECONDS))
    return accessToken
  }

  lookupAccessToken(token: string): TokenLookup {
    return this.#lookup(this.#accessTokens, token)
  }

  lookupRefreshToken(token: string, appid: string): TokenLookup {
    const found = this.#lookup(this.#refreshTokens, token)
    if (found.status === 'ok' && found.grant.appid !== appid) return { status: 'other_app' }
    return found
  }

  /** Gives a refresh token a fresh 30 days. */
  extendRefreshToken(token: string): void {
    const entry = this.#refreshTokens.get(token)
    if (!entry) return
    entry.expiresAtMs = this.#clock.nowMs() + REFRESH_TOKEN_LIFETIME_SECONDS * 1000
    // To the end of the map, which stays in expiry order.
    this.#refreshTokens.delete(token)
    this.#refreshTokens.set(token, entry)
  }

  /** Replaces a refresh token by a new one with a fresh 30 days; the old one becomes unknown (40030). */
  rotateRefreshToken(token: string, grant: Grant): string {
    this.#refreshTokens.delete(token)
    const next = newToken()
    this.#refreshTokens.set(next, this.#tokenEntry(grant, REFRESH_TOKEN_LIFETIME_SECONDS))
    return next
  }

  /** "The user changed their password": every token issued to them so far answers 42007. */
  revokeUser(userKey: string): void {
    this.#passwordGenerations.set(userKey, (this.#passwordGenerations.get(userKey) ?? 0) + 1)
  }

  clear(): void {
    this.#codes.clear()
    this.#accessTokens.clear()
    this.#refreshTokens.clear()
    this.#passwordGenerations.clear()
  }

  #tokenEntry(grant: Grant, lifetimeSeconds: number): TokenEntry {
    return {
      ...grantOf(grant),
      expiresAtMs: this.#clock.nowMs() + lifetimeSeconds * 1000,
      passwordGeneration: this.#passwordGenerations.get(grant.userKey) ?? 0,
    }
  }

  #lookup(map: Map<string, TokenEntry>, token: string): TokenLookup {
    const entry = map.get(token)
    if (!entry) return { status: 'unknown' }
    if (entry.passwordGeneration < (this.#passwordGenerations.get(entry.userKey) ?? 0))
      return { status: 'revoked' }
    if (this.#clock.nowMs() >= entry.expiresAtMs) return { status: 'expired' }
    return { status: 'ok', grant: grantOf(entry), entry }
  }
}

function grantOf(entry: Grant): Grant {
  return {
    appid: entry.appid,
    userKey: entry.userKey,
    openid: entry.openid,
    scope: entry.scope,
    snapshot: entry.snapshot,
  }
}
