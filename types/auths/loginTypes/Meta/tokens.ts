/**
 * The random values of the login flow: the OAuth `state` (sent to the provider and back) and the
 * browser nonce (kept in an HttpOnly cookie). Only their SHA-256 is stored, so a copy of the database
 * cannot finish anyone's login.
 */
import { hash } from 'node:crypto'
import { randomBytesPooled } from '../../../../runtime/random.ts'

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
/** 43 characters of 62 carry 256 bits, well above the 160 SECURITY.md asks for, under WeChat's 128 bytes. */
export const STATE_LENGTH = 43
/** What a state this flow minted looks like; anything else is refused before a database lookup. */
export const STATE_PATTERN = /^[A-Za-z0-9]{43}$/
/** 32 random bytes in base64url. */
export const NONCE_PATTERN = /^[A-Za-z0-9_-]{43}$/
// The largest multiple of 62 below 256: bytes at or above it are dropped, so every character is
// equally likely (a plain `byte % 62` would favour the first 8 characters).
const UNBIASED_BYTE_LIMIT = 248

/**
 * A fresh OAuth state: 43 characters of `[A-Za-z0-9]` (256 bits), the only characters WeChat returns
 * verbatim.
 *
 * @example
 * newState() // 'q3ZB0v...' (43 characters)
 */
export function newState(): string {
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

/** A fresh browser nonce for the login cookie. */
export function newBrowserNonce(): string {
  return randomBytesPooled(32).toString('base64url')
}

/** The stored form of a state, nonce or code. */
export function sha256Hex(value: string): string {
  return hash('sha256', value, 'hex')
}
