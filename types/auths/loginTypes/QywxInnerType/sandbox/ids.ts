import { createHash, randomBytes } from 'node:crypto'

// Identifiers shaped like WeCom's (docs/wecom-protocol.md#identifiers), so that a client's length and
// alphabet checks meet what WeCom sends.

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_'

// One randomBytes draw per id; 64 symbols divide 256, so every character is equally likely.
function randomString(length: number): string {
  const out = Buffer.allocUnsafe(length)
  const bytes = randomBytes(length)
  for (let i = 0; i < length; i++) out[i] = ALPHABET.charCodeAt(bytes[i] % 64)
  return out.toString('latin1')
}

/** An authorization code: 43 characters of [A-Za-z0-9_-], as observed. */
export const newCode = (): string => randomString(43)
/** An app access token: 214 characters of [A-Za-z0-9_-], as observed. */
export const newAccessToken = (): string => randomString(214)
/** A user_ticket (documented: at most 512 bytes). */
export const newUserTicket = (): string => randomString(86)
/** A new 43-character app secret (after a reset). */
export const newSecret = (): string => randomString(43)

/** A stable DeviceId for (person, agentid): the legacy endpoint reports the phone the member used. */
export function deviceIdOf(personKey: string): string {
  return createHash('sha256').update(`device\u0000${personKey}`).digest('hex').slice(0, 32)
}

/** The hint WeCom puts in errmsg: `[<seconds>_<n>_<32 hex>]`. */
export function newHint(nowMs: number): string {
  return `${Math.floor(nowMs / 1000)}_${randomBytes(1)[0] % 100}_${randomBytes(16).toString('hex')}`
}
