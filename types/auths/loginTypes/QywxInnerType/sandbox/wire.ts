import { newHint } from './ids.ts'

/**
 * The bytes of WeCom's JSON answers (docs/wecom-protocol.md#api-conventions): HTTP 200 even for
 * errors, `errcode` and `errmsg` in every body (`0`/`"ok"` on success), errmsg with a changing
 * suffix, keys in the order the object was built.
 */
export type WireValue =
  | string
  | number
  | boolean
  | null
  | readonly WireValue[]
  | { [key: string]: WireValue | undefined }
export type WireBody = { [key: string]: WireValue | undefined }

export const CONTENT_TYPE = 'application/json; charset=utf-8'

/** Serializes with `JSON.stringify`'s escapes, optionally `/` as `\/`; `undefined` members are left out. */
export function encodeWecomJson(value: WireValue, options: { escapeSlashes: boolean }): string {
  const json = JSON.stringify(value)
  return options.escapeSlashes ? json.replace(/\//g, '\\/') : json
}

/** WeCom's wording for each errcode the sandbox answers with. */
export const ERRMSG: Readonly<Record<number, string>> = Object.freeze({
  [-1]: 'system busy',
  40001: 'invalid credential',
  40003: 'invalid userid',
  40013: 'invalid corpid',
  40014: 'invalid access_token',
  40029: 'invalid code',
  40056: 'invalid agentid',
  40091: 'secret is invalid',
  41001: 'access_token missing',
  41002: 'corpid missing',
  41004: 'corpsecret missing',
  41008: 'missing code',
  41009: 'missing userid',
  42001: 'access_token expired',
  45009: 'api freq out of limit',
  45033: 'api concurrent out of limit',
  47001: 'data format error, Warning: wrong json format.',
  50001: 'redirect_uri unauthorized',
  60011: 'no privilege to access/modify contact/party/agent',
  60020: 'not allow to access from your ip',
  60111: 'userid not found',
  60123: 'invalid party id',
})

/**
 * An error body: `{"errcode":N,"errmsg":"<text>, hint: [...], from ip: <ip>, more info at ..."}`.
 *
 * @example
 * errorBody(40029, { nowMs: Date.now(), ip: '127.0.0.1' })
 */
export function errorBody(
  errcode: number,
  context: { nowMs: number; ip: string },
  errmsg?: string,
): { errcode: number; errmsg: string } {
  const text = errmsg ?? ERRMSG[errcode] ?? 'system busy'
  return {
    errcode,
    errmsg: `${text}, hint: [${newHint(context.nowMs)}], from ip: ${context.ip}, more info at https://open.work.weixin.qq.com/devtool/query?e=${errcode}`,
  }
}

/** A success body: errcode 0 and "ok", before or after the data as the keyOrder switch says. */
export function okBody(data: WireBody, keyOrder: 'errcodeFirst' | 'dataFirst'): WireBody {
  return keyOrder === 'dataFirst'
    ? { ...data, errcode: 0, errmsg: 'ok' }
    : { errcode: 0, errmsg: 'ok', ...data }
}
