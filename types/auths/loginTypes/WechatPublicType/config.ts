/**
 * The business config of a WeChat Official Account login Instance (`<Instance>/<Instance>.json`),
 * and where its WeChat hosts come from.
 */
import { JitError, secret, z } from 'jitlite'
import { DEFAULT_API_BASE_URL, DEFAULT_OAUTH_BASE_URL } from './client/index.ts'

const APP_ID = /^wx[0-9a-fA-F]{16}$/
// WeChat issues 32 hex digits; any run of printable ASCII without spaces is accepted, so that a
// pasted newline or space is caught here rather than as errcode 40125 at the first login.
const APP_SECRET = /^[\x21-\x7e]{16,128}$/

function isHttpUrl(text: string): URL | undefined {
  try {
    const url = new URL(text)
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined
  } catch {
    return undefined
  }
}

/** An http(s) base URL without query, fragment or credentials (a path prefix is allowed). */
function isBaseUrl(text: string): boolean {
  const url = isHttpUrl(text)
  return url !== undefined && url.search === '' && url.hash === '' && url.username === '' && !url.password
}

const baseUrl = (what: string) =>
  z.string().refine(isBaseUrl, {
    message: `${what}: an http(s) URL without query, fragment or credentials, e.g. "https://api.weixin.qq.com"`,
  })

const origin = z
  .string()
  .refine(
    (text) => {
      const url = isHttpUrl(text)
      return url !== undefined && isBaseUrl(text) && url.pathname === '/'
    },
    { message: 'an origin is scheme, host and optional port, with no path: "https://shop.example.com"' },
  )
  .transform((text) => new URL(text).origin)

export const wechatPublicConfigSchema = z
  .strictObject({
    /** The Official Account's AppID (mp.weixin.qq.com > Settings and Development > Basic Configuration). */
    appId: z.string().regex(APP_ID, {
      message:
        'the Official Account\'s AppID: "wx" and 16 hex digits (mp.weixin.qq.com > Settings and Development > Basic Configuration)',
    }),
    /** The Official Account's AppSecret. Write "${WECHAT_APP_SECRET}" and keep the value in the environment. */
    appSecret: secret(
      z.string().regex(APP_SECRET, {
        message:
          "the Official Account's AppSecret: 16 to 128 printable characters without spaces (WeChat issues 32 hex digits)",
      }),
    ),
    /** `snsapi_userinfo` (consent sheet, nickname and avatar) or `snsapi_base` (silent, openid only). */
    scope: z.enum(['snsapi_userinfo', 'snsapi_base']).default('snsapi_userinfo'),
    /**
     * A label for this login (the seed's `state`). It is never sent as the OAuth state and never used
     * as the CSRF check: every login gets its own random state from the login flow.
     */
    state: z.string().max(64).optional(),
    /** Language of the places in userinfo answers. */
    lang: z.enum(['zh_CN', 'zh_TW', 'en']).default('zh_CN'),
    /** Where WeChat's authorize page is. Else WECHAT_OAUTH_BASE_URL, else https://open.weixin.qq.com. */
    oauthBaseUrl: baseUrl('oauthBaseUrl').optional(),
    /** Where WeChat's /sns API is. Else WECHAT_API_BASE_URL, else https://api.weixin.qq.com. */
    apiBaseUrl: baseUrl('apiBaseUrl').optional(),
    /**
     * The callback URL WeChat sends users back to, when it differs from the one built from the app's
     * public URL (a proxy that rewrites paths). Its host must be an authorization domain of the account.
     */
    redirectUri: z
      .string()
      .refine((text) => isHttpUrl(text) !== undefined, {
        message: "an absolute http(s) URL that reaches this Instance's callback action",
      })
      .optional(),
    /** Origins besides the app's own that a post-login redirectUrl may point at. */
    allowedRedirectOrigins: z.array(origin).max(32).default([]),
    /** One call to WeChat (connect, send, read the answer) ends after this. */
    attemptTimeoutMs: z.int().min(100).max(60_000).default(5000),
    /** One operation, retries and waits included, ends after this. */
    totalDeadlineMs: z.int().min(100).max(120_000).default(10_000),
    /** Retries of a transient failure (-1, 45011, 5xx, a reset); never of a code exchange WeChat may have seen. */
    maxRetries: z.int().min(0).max(5).default(2),
    /** How long the QR code of a desktop sign-in stays valid; the desktop's page then shows a new one. */
    desktopLoginTtlSeconds: z.int().min(5).max(900).default(180),
  })
  .refine((config) => config.totalDeadlineMs >= config.attemptTimeoutMs, {
    message: 'totalDeadlineMs must be at least attemptTimeoutMs',
    path: ['totalDeadlineMs'],
  })

/** An Instance's validated config. */
export type WechatPublicConfig = z.output<typeof wechatPublicConfigSchema>

export interface WechatHosts {
  oauthBaseUrl: string
  apiBaseUrl: string
}

/**
 * The WeChat hosts an Instance talks to: its config, else the environment, else WeChat's own.
 * A malformed environment value is a config problem naming the variable.
 *
 * @example
 * resolveWechatHosts({ apiBaseUrl: undefined, oauthBaseUrl: undefined }, { WECHAT_API_BASE_URL: 'http://127.0.0.1:3100' })
 * // { oauthBaseUrl: 'https://open.weixin.qq.com', apiBaseUrl: 'http://127.0.0.1:3100' }
 */
export function resolveWechatHosts(
  config: Pick<WechatPublicConfig, 'oauthBaseUrl' | 'apiBaseUrl'>,
  env: Readonly<Record<string, string | undefined>>,
  element?: string,
  /** The Instance's config file, where the field that would override the variable goes. */
  file?: string,
): WechatHosts {
  const pick = (own: string | undefined, variable: string, fallback: string, field: string) => {
    if (own !== undefined) return own
    const fromEnv = env[variable]?.trim()
    if (!fromEnv) return fallback
    if (!isBaseUrl(fromEnv)) {
      throw new JitError(
        'JIT_CONFIG_INVALID',
        `${variable} is not an http(s) URL without query, fragment or credentials; fix or unset it, or set ${field} in the login config`,
        { file, element, field },
      )
    }
    return fromEnv
  }
  return {
    oauthBaseUrl: pick(config.oauthBaseUrl, 'WECHAT_OAUTH_BASE_URL', DEFAULT_OAUTH_BASE_URL, 'oauthBaseUrl'),
    apiBaseUrl: pick(config.apiBaseUrl, 'WECHAT_API_BASE_URL', DEFAULT_API_BASE_URL, 'apiBaseUrl'),
  }
}
