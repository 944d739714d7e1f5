/**
 * The random values of the login flow: the OAuth `state` (sent to the provider and back) and the
 * browser nonce (kept in an HttpOnly cookie). Only the SHA-256 of their secret part is stored, so a
 * copy of the database cannot finish anyone's login.
 *
 * A state is a secret followed by the selector of its database row (the row id, encrypted: see
 * `RowSelectors`): the callback finds the row by its id and then compares the secret's hash. Looking
 * rows up by an increasing id instead of by a random hash keeps the table's writes on its last pages,
 * where the logins of one commit share them; a random key would dirty a random index page per login.
 */
import { hash } from 'node:crypto'
import { randomBytesPooled } from 'jitlite/crypto'
import { SELECTOR_PATTERN } from 'jitlite/db'

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
/** 43 characters of 62 carry 256 bits, well above docs/security.md#state's 160, under WeChat's 128 bytes. */
export const STATE_LENGTH = 43
/** What a state this flow minted looks like: the secret, then its row's selector (32 hex digits). */
export const STATE_PATTERN = new RegExp(`^[A-Za-z0-9]{43}${SELECTOR_PATTERN}$`)
/** 32 random bytes in base64url. */
export const NONCE_PATTERN = /^[A-Za-z0-9_-]{43}$/
// The largest multiple of 62 below 256: bytes at or above it are dropped, so every character is
// equally likely (a plain `byte % 62` would favour the first 8 characters).
const UNBIASED_BYTE_LIMIT = 248

/**
 * The secret of a fresh OAuth state: 43 characters of `[A-Za-z0-9]` (256 bits), the only characters
 * WeChat returns verbatim.
 *
 * @example
 * newStateSecret() // 'q3ZB0v...' (43 characters)
 */
export function newStateSecret(): string {
  let out = ''
  while (out.length < STATE_LENGTH) {
    for (const byte of randomBytesPooled(STATE_LENGTH + 8)) {
      if (byte >= UNBIASED_BYTE_LIMIT) continue
      out += ALPHANUMERIC[byte % ALPHANUMERIC.length]
      if (out.length === STATE_LENGTH) break
    }
  }
  return out
}

/**
 * The state sent to the provider: the secret, then its row's selector.
 *
 * @example
 * composeState(newStateSecret(), selectors.selectorOf(1234)) // 'q3ZB0v...9c1f' (75 characters)
 */
export function composeState(secret: string, selector: string): string {
  return `${secret}${selector}`
}

/** The secret and selector of a state this flow could have minted; undefined for anything else. */
export function parseState(state: string): { secret: string; selector: string } | undefined {
  if (!STATE_PATTERN.test(state)) return undefined
  return { secret: state.slice(0, STATE_LENGTH), selector: state.slice(STATE_LENGTH) }
}

/** A fresh browser nonce for the login cookie. */
export function newBrowserNonce(): string {
  return randomBytesPooled(32).toString('base64url')
}

/** The stored form of a state's secret, a nonce or a code. */
export function sha256Hex(value: string): string {
  return hash('sha256', value, 'hex')
}
