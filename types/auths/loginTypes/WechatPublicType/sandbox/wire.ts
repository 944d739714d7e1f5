import { newRequestId } from './ids.ts'

/**
 * The bytes of WeChat's JSON answers. WeChat's serializer differs from `JSON.stringify` in ways a
 * client meets in production: `/` comes escaped as `\/`, non-ASCII is raw UTF-8, and control characters
 * other than the common whitespace escapes pass through raw (a nickname with U+0014 makes strict
 * `JSON.parse` throw). Keys keep the order in which the object was built, which is WeChat's order.
 */
export type WireValue = string | number | boolean | null | readonly WireValue[] | { [key: string]: WireValue }

const ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '/': '\\/',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
}

function encodeString(text: string): string {
  return `"${text.replace(/["\\/\n\r\t\b\f]/g, (ch) => ESCAPES[ch])}"`
}

/** Serializes like WeChat's servers (see the module comment); `undefined` members are left out. */
export function encodeWechatJson(value: WireValue): string {
  if (typeof value === 'string') return encodeString(value)
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(encodeWechatJson).join(',')}]`
  const members: string[] = []
  for (const [key, member] of Object.entries(value)) {
    if (member === undefined) continue
    members.push(`${encodeString(key)}:${encodeWechatJson(member)}`)
  }
  return `{${members.join(',')}}`
}

/** WeChat's wording for each errcode the sandbox can answer with. */
export const ERRMSG: Readonly<Record<number, string>> = Object.freeze({
  [-1]: 'system error',
  40001: 'invalid credential, access_token is invalid or not latest',
  40002: 'invalid grant_type',
  40003: 'invalid openid',
  40013: 'invalid appid',
  40029: 'invalid code',
  40030: 'invalid refresh_token',
  40125: 'invalid appsecret',
  40163: 'code been used',
  41001: 'access_token missing',
  41002: 'appid missing',
  41003: 'refresh_token missing',
  41004: 'appsecret missing',
  41008: 'missing code',
  41009: 'missing openid',
  42001: 'access_token expired',
  42002: 'refresh_token expired',
  42003: 'code expired',
  42007: 'access_token and refresh_token exception',
  45009: 'reach max api daily quota limit',
  47001: 'data format error',
  45011: 'api minute-quota reach limit  mustslower  retry next minute',
  48001: 'api unauthorized',
})

/** `{"errcode":N,"errmsg":"... , rid: xxxxxxxx-xxxxxxxx-xxxxxxxx"}` with a fresh request id. */
export function errorBody(
  errcode: number,
  nowMs: number,
  errmsg?: string,
): { errcode: number; errmsg: string } {
  const text = errmsg ?? ERRMSG[errcode] ?? 'system error'
  return { errcode, errmsg: `${text}, rid: ${newRequestId(nowMs)}` }
}
