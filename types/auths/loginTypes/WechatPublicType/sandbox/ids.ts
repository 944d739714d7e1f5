import { createHash, randomBytes } from 'node:crypto'

// Identifiers shaped like WeChat's, so that clients that validate lengths and alphabets are exercised
// by the sandbox exactly as by WeChat (docs/wechat-protocol.md#identifiers).

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const TOKEN_ALPHABET = `${ALNUM}-_`

/** The two-digit generation prefix WeChat puts in front of its tokens (`86_...`). */
const TOKEN_PREFIX = '86_'
const TOKEN_BODY_CHARS = 104
const CODE_CHARS = 32
const OPENID_BODY_CHARS = 27

// One randomBytes draw per id; bytes at or above the largest multiple of the alphabet size are
// skipped so every character is equally likely. The characters go into a byte buffer decoded once:
// a string grown a character at a time is a chain of as many pieces, and the stores keep these ids by
// the hundred thousand.
function randomString(alphabet: string, length: number): string {
  const limit = 256 - (256 % alphabet.length)
  const out = Buffer.allocUnsafe(length)
  let filled = 0
  while (filled < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte >= limit) continue
      out[filled++] = alphabet.charCodeAt(byte % alphabet.length)
      if (filled === length) break
    }
  }
  return out.toString('latin1')
}

/** An authorization code: 32 characters of `[0-9A-Za-z]`. */
export function newCode(): string {
  return randomString(ALNUM, CODE_CHARS)
}

/** An access or refresh token: `86_` and 104 characters of `[A-Za-z0-9_-]` (107 in all). */
export function newToken(): string {
  return TOKEN_PREFIX + randomString(TOKEN_ALPHABET, TOKEN_BODY_CHARS)
}

/** 28 characters starting with `o`, stable for one (namespace, key) pair so fixtures keep their ids. */
export function derivedOpenid(namespace: string, key: string): string {
  const digest = createHash('sha256').update(`${namespace}\u0000${key}`).digest('base64url')
  return `o${digest.slice(0, OPENID_BODY_CHARS)}`
}

/** The request id WeChat appends to errmsg: `6326ffdf-41c7c0d8-5a6bb364` (seconds in hex, then noise). */
export function newRequestId(nowMs: number): string {
  const seconds = Math.floor(nowMs / 1000)
    .toString(16)
    .padStart(8, '0')
    .slice(-8)
  return `${seconds}-${randomBytes(4).toString('hex')}-${randomBytes(4).toString('hex')}`
}
