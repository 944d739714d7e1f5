/// <reference path="../script-env.ts" />
/**
 * The seed's usage example, runnable end to end against the WeChat sandbox: a test user allows the
 * login on the sandbox's consent sheet, and WechatPublicAuthSvc turns the code into the user.
 *
 *   node bin/jit.mjs sandbox wechat --port 3100            # in another terminal
 *   WECHAT_OAUTH_BASE_URL=http://127.0.0.1:3100 WECHAT_API_BASE_URL=http://127.0.0.1:3100 \
 *     node bin/jit.mjs run scripts/wechat-login-example.ts app
 *
 * SANDBOX_USER picks the sandbox user who logs in (lin, momo, kai, ada; default lin).
 */
import { randomBytes } from 'node:crypto'

// Where WeChat sends the user back; the sandbox accepts any path on 127.0.0.1 and localhost.
const CALLBACK_URL = 'http://127.0.0.1:3000/api/demo/wechatLogin/auths/loginTypes/MyWechatLogin/callback'

const authService = app.getElement('auths.loginTypes.MyWechatLogin.services.WechatPublicAuthSvc')

const state = randomBytes(16).toString('hex')
const authorizeUrl: string = authService.getAuthorizeUrl(CALLBACK_URL, { state })
if (authorizeUrl.startsWith('https://open.weixin.qq.com/')) {
  throw new Error(
    'this example logs a test user in on the WeChat sandbox: start it with `node bin/jit.mjs sandbox wechat --port 3100` ' +
      'and set WECHAT_OAUTH_BASE_URL and WECHAT_API_BASE_URL to http://127.0.0.1:3100',
  )
}

const callback = await allowAsTestUser(authorizeUrl, process.env.SANDBOX_USER ?? 'lin')
// The state must come back unchanged: it is what ties the callback to the login this script started.
if (callback.searchParams.get('state') !== state) throw new Error('the callback carries another state')
const code = callback.searchParams.get('code')
if (!code) throw new Error('the user did not allow the login (the callback carries no code)')

// As in the seed: the callback's code becomes the user, stored with their tokens.
const userInfo = await authService.getUserInfo(code)
if (userInfo) {
  const openid = userInfo.openid
  const nickname = userInfo.nickname
  console.log(`openid: ${openid}`)
  console.log(`nickname: ${nickname ?? '(snsapi_base: no profile)'}`)
  if (userInfo.isSnapshotUser) console.log('a snapshot-page user: nothing was stored')
}

/**
 * What a test user does in WeChat: opens the authorize URL and taps Allow on the consent sheet
 * (snsapi_base has no sheet: WeChat redirects at once). Returns the callback URL WeChat redirects to.
 */
async function allowAsTestUser(url: string, user: string): Promise<URL> {
  const page = await fetch(url, { redirect: 'manual' })
  if (page.status === 302) return new URL(page.headers.get('location') ?? '')
  const html = await page.text()
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1]
  const query = /<input type="hidden" name="query" value="([^"]*)"/.exec(html)?.[1]
  if (page.status !== 200 || !action || query === undefined) {
    throw new Error(
      `the sandbox showed no consent sheet (HTTP ${page.status}): check the appId and the callback host`,
    )
  }
  const reply = await fetch(new URL(unescapeHtml(action), url), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query: unescapeHtml(query), user, action: 'allow' }).toString(),
  })
  const location = reply.headers.get('location')
  if (reply.status !== 302 || !location)
    throw new Error(`the consent sheet refused the login (HTTP ${reply.status})`)
  return new URL(location)
}

function unescapeHtml(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, digits: string) => String.fromCharCode(Number(digits)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}
