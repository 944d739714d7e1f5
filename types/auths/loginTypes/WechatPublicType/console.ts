/**
 * What WechatPublicType offers the development console: the values to enter in WeChat's backend
 * beside the form (`help`), and "Test connection" (`check`) through `POST /cgi-bin/stable_token`
 * (docs/wechat-protocol.md#checking-an-appid-and-secret), which needs no user and does not disturb the
 * account's other servers. Nothing here shows the secret or the token WeChat answers with.
 */
import type { CheckContext, CheckResult, TypeHelp, TypeHelpContext } from 'jitlite'
import { parseWechatBody } from './client/index.ts'
import { resolveWechatHosts, type WechatPublicConfig } from './config.ts'

const BASIC_SETTINGS =
  'mp.weixin.qq.com > 设置与开发 > 基本配置 (Settings and Development > Basic Configuration)'
const OAUTH_DOMAIN_SETTING =
  'mp.weixin.qq.com > 设置与开发 > 公众号设置 > 功能设置 > 网页授权域名 (Account Settings > Feature Settings > Web authorization domain)'

/** The callback URL WeChat sends users back to, and the authorization domain it must be under. */
export function wechatHelp(ctx: TypeHelpContext<WechatPublicConfig>): TypeHelp {
  const written = ctx.config.redirectUri
  const callback =
    typeof written === 'string' && /^https?:\/\//.test(written) ? written : ctx.actionUrl('callback')
  let domain = callback
  try {
    domain = new URL(callback).hostname
  } catch {
    // A half-typed redirectUri: show it as it is.
  }
  return {
    items: [
      { label: 'Callback URL (redirect_uri, 回调地址)', value: callback, copy: true },
      { label: 'Authorization domain (网页授权域名)', value: domain, copy: true },
    ],
    text:
      `Enter the domain in ${OAUTH_DOMAIN_SETTING}: WeChat then accepts callbacks under it. ` +
      'Real WeChat needs a public domain on port 80 or 443; the sandbox of jit dev accepts this one as it is.',
  }
}

/** Tries the AppID and AppSecret against WeChat's stable_token endpoint. */
export async function wechatCheck(
  config: Readonly<WechatPublicConfig>,
  ctx: CheckContext,
): Promise<CheckResult> {
  const { apiBaseUrl } = resolveWechatHosts(config, ctx.env)
  const url = `${apiBaseUrl.replace(/\/+$/, '')}/cgi-bin/stable_token`
  let text: string
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credential',
        appid: config.appId,
        secret: config.appSecret,
        force_refresh: false,
      }),
      signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(config.attemptTimeoutMs)]),
    })
    text = await response.text()
    if (response.status !== 200) return unreachable(apiBaseUrl, `HTTP ${response.status}`)
  } catch (err) {
    const cause =
      (err as Error)?.name === 'TimeoutError'
        ? `no answer within ${config.attemptTimeoutMs} ms`
        : String((err as Error)?.message ?? err)
    return unreachable(apiBaseUrl, cause)
  }
  const parsed = parseWechatBody(text)
  if (!parsed.ok) return unreachable(apiBaseUrl, 'an answer that is not WeChat JSON')
  const body = parsed.value
  if (typeof body.access_token === 'string' && !body.errcode) {
    return {
      ok: true,
      message: `WeChat accepted AppID ${config.appId} and its AppSecret (it issued an access token, not shown).`,
    }
  }
  return refusal(config.appId, Number(body.errcode), String(body.errmsg ?? '').replace(/,?\s*rid:.*$/, ''))
}

function refusal(appId: string, errcode: number, errmsg: string): CheckResult {
  const said = `(${errcode} ${errmsg})`
  const refused = (message: string, fix: string): CheckResult => ({
    ok: false,
    code: 'JIT_CHECK_REFUSED',
    message,
    fix,
  })
  switch (errcode) {
    case 40013:
      return refused(
        `WeChat does not know the AppID ${appId} ${said}.`,
        `Copy the AppID from ${BASIC_SETTINGS} into appId.`,
      )
    case 40125:
    case 40001:
      return refused(
        `WeChat refused the AppSecret of ${appId} ${said}.`,
        `Copy the AppSecret from ${BASIC_SETTINGS} (reset it there if nobody kept it) into the environment variable appSecret names, then test again.`,
      )
    case 40164: {
      const ip = /invalid ip ([0-9a-fA-F.:]+)/.exec(errmsg)?.[1] ?? "this server's outgoing IP"
      return refused(
        `WeChat refused the call from ${ip}: it is not on the account's IP whitelist ${said}.`,
        `Add ${ip} to the IP whitelist (IP白名单) in ${BASIC_SETTINGS}, then test again.`,
      )
    }
    case 89501:
    case 89503:
      return refused(
        `This server's IP waits for the account administrator's confirmation ${said}.`,
        'Have the administrator confirm the IP in the WeChat message they received, then test again.',
      )
    case 89506:
    case 89507:
      return refused(
        `The account administrator refused this server's IP ${said}.`,
        `Ask the administrator to allow it, or add it to the IP whitelist in ${BASIC_SETTINGS}.`,
      )
    case -1:
    case 45011:
      return {
        ok: false,
        code: 'JIT_CHECK_UNREACHABLE',
        message: `WeChat is busy ${said}.`,
        fix: 'Test again in a minute.',
      }
    default:
      return refused(
        `WeChat refused the check ${said}.`,
        `Look the code up in WeChat's global return codes and check ${BASIC_SETTINGS}.`,
      )
  }
}

function unreachable(apiBaseUrl: string, cause: string): CheckResult {
  return {
    ok: false,
    code: 'JIT_CHECK_UNREACHABLE',
    message: `WeChat's API at ${apiBaseUrl} could not be used: ${cause}.`,
    fix: 'Check the network of this server and apiBaseUrl (or WECHAT_API_BASE_URL), then test again.',
  }
}
