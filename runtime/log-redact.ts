/**
 * What the runtime's logger keeps out of every line: fields named like a credential (pino `redact`),
 * and query strings (a callback URL carries a code and a state; a ticket link its ticket).
 */
import type { LogFields } from './log.ts'

export const REDACTED = '[redacted]'

/** Keys whose values are never logged, at the top of a line's fields or one level down. */
const CREDENTIAL_KEYS = [
  'code',
  'state',
  'ticket',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'idToken',
  'id_token',
  'secret',
  'appSecret',
  'appsecret',
  'clientSecret',
  'corpSecret',
  'password',
  'sessionId',
  'session_id',
  'nonce',
  'cookie',
  'set-cookie',
  'authorization',
]

export const REDACTED_KEYS = [
  ...CREDENTIAL_KEYS.map((key) => (key.includes('-') ? `["${key}"]` : key)),
  ...CREDENTIAL_KEYS.map((key) => (key.includes('-') ? `*["${key}"]` : `*.${key}`)),
]

/** `?name=value...` wherever it appears: a query string with at least one parameter. */
const QUERY_STRING = /\?[^\s"'<>=?#]*=[^\s"'<>]*/g

/** The text without its query strings. */
export function scrubText(text: string): string {
  return text.includes('?') ? text.replace(QUERY_STRING, '') : text
}

/** The fields with the query strings of their string values removed (redaction of keys is pino's). */
export function scrubFields(fields: LogFields): LogFields {
  let copy: LogFields | undefined
  for (const key in fields) {
    const value = fields[key]
    if (typeof value === 'string' && value.includes('?')) {
      copy ??= { ...fields }
      copy[key] = scrubText(value)
    }
  }
  return copy ?? fields
}
