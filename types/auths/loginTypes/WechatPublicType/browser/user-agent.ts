/**
 * Which browser a page runs in, from its User-Agent (docs/wechat-protocol.md#browsers). Pure and
 * total: any input, including none, gives an answer and never throws.
 */

/**
 * - `wechat`: WeChat's in-app browser on a phone (iOS, Android).
 * - `wechat-miniprogram`: a Mini Program's web-view (WeChat's browser inside a Mini Program).
 * - `wechat-desktop`: the browser of WeChat for Windows or macOS.
 * - `wecom`: WeCom (企业微信). Its User-Agent also says MicroMessenger, but an Official Account's web
 *   authorization is not for it.
 * - `other`: any other browser, or no browser at all.
 */
export type BrowserEnvironment = 'wechat' | 'wechat-miniprogram' | 'wechat-desktop' | 'wecom' | 'other'

/**
 * Classifies a User-Agent. `miniProgramFlag` is `window.__wxjs_environment` when known (a Mini
 * Program web-view sets it to "miniprogram").
 *
 * @example
 * browserEnvironmentOf('Mozilla/5.0 (iPhone; ...) Mobile/15E148 MicroMessenger/8.0.42(0x18002a2d) NetType/WIFI Language/en')
 * // 'wechat'
 */
export function browserEnvironmentOf(userAgent: unknown, miniProgramFlag?: unknown): BrowserEnvironment {
  if (typeof userAgent !== 'string') return 'other'
  const ua = userAgent.toLowerCase()
  // WeCom's User-Agent carries MicroMessenger too, so it is told apart first.
  if (ua.includes('wxwork')) return 'wecom'
  if (!ua.includes('micromessenger')) return 'other'
  if (ua.includes('miniprogram') || miniProgramFlag === 'miniprogram') return 'wechat-miniprogram'
  if (ua.includes('windowswechat') || ua.includes('macwechat')) return 'wechat-desktop'
  return 'wechat'
}

/** Whether an Official Account's web authorization works in this environment. */
export function supportsWechatLogin(environment: BrowserEnvironment): boolean {
  return environment === 'wechat' || environment === 'wechat-miniprogram' || environment === 'wechat-desktop'
}

/**
 * The environment of the running page: reads `navigator.userAgent` and `window.__wxjs_environment`
 * defensively, so that it works where there is no `navigator` (a server, a worker, a test) and where
 * reading it throws.
 */
export function currentBrowserEnvironment(scope: unknown = globalThis): BrowserEnvironment {
  return browserEnvironmentOf(read(scope, 'navigator', 'userAgent'), read(scope, '__wxjs_environment'))
}

function read(scope: unknown, ...keys: string[]): unknown {
  try {
    let value = scope
    for (const key of keys) {
      if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return undefined
      value = (value as Record<string, unknown>)[key]
    }
    return value
  } catch {
    return undefined
  }
}
