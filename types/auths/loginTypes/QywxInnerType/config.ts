/**
 * The business config of a WeCom self-built-app login Instance (`<Instance>/<Instance>.json`), and
 * where its WeCom hosts come from (config, else environment, else WeCom's own).
 */
import { JitError, secret, z } from 'jitlite'

export const DEFAULT_OAUTH_BASE_URL = 'https://open.weixin.qq.com'
export const DEFAULT_LOGIN_BASE_URL = 'https://login.work.weixin.qq.com'
export const DEFAULT_API_BASE_URL = 'https://qyapi.weixin.qq.com'

// `ww` (older corps `wx`) and 16 hex digits (docs/wecom-protocol.md#identifiers).
const CORP_ID = /^w[wx][0-9a-fA-F]{16}$/
// WeCom issues 43 characters of [A-Za-z0-9_-]; a little room, so that a pasted space or newline is
// caught here rather than as errcode 40001 at the first login.
const CORP_SECRET = /^[A-Za-z0-9_-]{16,128}$/

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

const baseUrl = (what: string, example: string) =>
  z.string().refine(isBaseUrl, {
    message: `${what}: an http(s) URL without query, fragment or credentials, e.g. "${example}"`,
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

export const qywxInnerConfigSchema = z
  .strictObject({
    /** The corp's ID (work.weixin.qq.com admin > My Company > Company Info > Corp ID). */
    corpId: z.string().regex(CORP_ID, {
      message:
        'the corp\'s Corp ID: "ww" (older corps "wx") and 16 hex digits (WeCom admin console > My Company > Company Info)',
    }),
    /** The self-built app's Secret. Write "${WECOM_CORP_SECRET}" and keep the value in the environment. */
    corpSecret: secret(
      z.string().regex(CORP_SECRET, {
        message:
          "the self-built app's Secret: 16 to 128 characters of A-Z, a-z, 0-9, _ and - (WeCom issues 43; admin console > App Management > the app)",
      }),
    ),
    /** The self-built app's AgentId (numbered from 1000001). A number or a string of digits. */
    agentId: z
      .union([z.int(), z.string().regex(/^\d{1,10}$/)])
      .transform((value) => String(value))
      .refine((value) => Number(value) > 0, { message: "the app's AgentId, a positive whole number" }),
    /**
     * The callback URL WeCom sends users back to, when it differs from the one built from the app's
     * public URL (a proxy that rewrites paths). Its host must be a trusted domain of the app.
     */
    redirectUri: z
      .string()
      .refine((text) => isHttpUrl(text) !== undefined, {
        message: "an absolute http(s) URL that reaches this Instance's callback action",
      })
      .optional(),
    /**
     * In-client OAuth scope: `snsapi_base` (silent, userid only) or `snsapi_privateinfo` (a consent
     * sheet; the sensitive fields the admin enabled). The desktop web login never gets sensitive fields.
     */
    scope: z.enum(['snsapi_base', 'snsapi_privateinfo']).default('snsapi_base'),
    /** Whether a non-member (WeCom answers an openid, not a userid) may sign in. Their rows never merge with members'. */
    allowNonMembers: z.boolean().default(true),
    /** Language of the web login page. */
    lang: z.enum(['zh', 'en']).optional(),
    /** In-client OAuth page. Else WECOM_OAUTH_BASE_URL, else https://open.weixin.qq.com. */
    oauthBaseUrl: baseUrl('oauthBaseUrl', DEFAULT_OAUTH_BASE_URL).optional(),
    /** Web (QR / one-click) login page. Else WECOM_LOGIN_BASE_URL, else https://login.work.weixin.qq.com. */
    loginBaseUrl: baseUrl('loginBaseUrl', DEFAULT_LOGIN_BASE_URL).optional(),
    /** Server API. Else WECOM_API_BASE_URL, else https://qyapi.weixin.qq.com. */
    apiBaseUrl: baseUrl('apiBaseUrl', DEFAULT_API_BASE_URL).optional(),
    /** Origins besides the app's own that a post-login redirectUrl may point at. */
    allowedRedirectOrigins: z.array(origin).max(32).default([]),
    /** One call to WeCom (connect, send, read the answer) ends after this. */
    attemptTimeoutMs: z.int().min(100).max(60_000).default(5000),
    /** One operation, retries and waits included, ends after this. */
    totalDeadlineMs: z.int().min(100).max(120_000).default(10_000),
  })
  .refine((config) => config.totalDeadlineMs >= config.attemptTimeoutMs, {
    message: 'totalDeadlineMs must be at least attemptTimeoutMs',
    path: ['totalDeadlineMs'],
  })

/** An Instance's validated config. */
export type QywxInnerConfig = z.output<typeof qywxInnerConfigSchema>

export interface WecomHosts {
  oauthBaseUrl: string
  loginBaseUrl: string
  apiBaseUrl: string
}

/** The environment variables that name WeCom's hosts, by config field. */
export const WECOM_HOST_VARIABLES = {
  oauthBaseUrl: 'WECOM_OAUTH_BASE_URL',
  loginBaseUrl: 'WECOM_LOGIN_BASE_URL',
  apiBaseUrl: 'WECOM_API_BASE_URL',
} as const

/**
 * The WeCom hosts an Instance talks to: its config, else the environment, else WeCom's own. A
 * malformed environment value is a config problem naming the variable.
 *
 * @example
 * resolveWecomHosts({}, { WECOM_API_BASE_URL: 'http://127.0.0.1:3100' }).apiBaseUrl // 'http://127.0.0.1:3100'
 */
export function resolveWecomHosts(
  config: Partial<Pick<QywxInnerConfig, keyof WecomHosts>>,
  env: Readonly<Record<string, string | undefined>>,
  element?: string,
  file?: string,
): WecomHosts {
  const pick = (field: keyof WecomHosts, fallback: string) => {
    const own = config[field]
    if (own !== undefined) return own.replace(/\/+$/, '')
    const variable = WECOM_HOST_VARIABLES[field]
    const fromEnv = env[variable]?.trim()
    if (!fromEnv) return fallback
    if (!isBaseUrl(fromEnv)) {
      throw new JitError(
        'JIT_CONFIG_INVALID',
        `${variable} is not an http(s) URL without query, fragment or credentials; fix or unset it, or set ${field} in the login config`,
        { file, element, field },
      )
    }
    return fromEnv.replace(/\/+$/, '')
  }
  return {
    oauthBaseUrl: pick('oauthBaseUrl', DEFAULT_OAUTH_BASE_URL),
    loginBaseUrl: pick('loginBaseUrl', DEFAULT_LOGIN_BASE_URL),
    apiBaseUrl: pick('apiBaseUrl', DEFAULT_API_BASE_URL),
  }
}
