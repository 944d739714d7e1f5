/**
 * Whether a User-Agent is WeCom's own browser (docs/wecom-protocol.md#browsers). Every WeCom UA also
 * says MicroMessenger, so `wxwork` is tested first; a WeChat UA without it is not WeCom. Pure and total:
 * any input gives an answer and never throws.
 */

/**
 * @example
 * isWecomUserAgent('Mozilla/5.0 (iPhone; ...) Mobile/15E148 wxwork/4.1.30 MicroMessenger/7.0.1 Language/zh') // true
 * isWecomUserAgent('Mozilla/5.0 (iPhone; ...) MicroMessenger/8.0.42 NetType/WIFI') // false
 */
export function isWecomUserAgent(userAgent: unknown): boolean {
  return typeof userAgent === 'string' && userAgent.toLowerCase().includes('wxwork')
}

/** The running page's User-Agent is WeCom's; false where there is no `navigator` or reading it throws. */
export function currentIsWecom(scope: unknown = globalThis): boolean {
  try {
    const navigator = (scope as { navigator?: { userAgent?: unknown } } | undefined)?.navigator
    return isWecomUserAgent(navigator?.userAgent)
  } catch {
    return false
  }
}
