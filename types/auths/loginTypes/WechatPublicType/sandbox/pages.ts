import type { AuthorizeRefusal } from './authorize-check.ts'
import type { SandboxAppFixture, SandboxUserFixture } from './fixtures.ts'

/**
 * The HTML WeChat shows in its in-app browser: the consent sheet of snsapi_userinfo, the error page of
 * a refused authorize request, the (silent) result of Deny. Self-contained: inline CSS, system fonts,
 * images from the sandbox itself.
 */

export function escapeHtml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '')
    .replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)
}

const FONT = `-apple-system, BlinkMacSystemFont, "PingFang SC", "Helvetica Neue", "Noto Sans CJK SC", "Microsoft YaHei", Arial, sans-serif`

const BASE_CSS = `
*{box-sizing:border-box;margin:0;padding:0}
html,body{height:100%}
body{font-family:${FONT};color:rgba(0,0,0,.9);background:#EDEDED;-webkit-text-size-adjust:100%;font-size:17px;line-height:1.4}
.sandbox{position:fixed;top:0;left:0;right:0;z-index:3;background:#FFF7E6;color:#9A6B00;font-size:12px;text-align:center;padding:4px 8px;border-bottom:1px solid #F5DEB3}
`

function layout(title: string, css: string, body: string, head = ''): string {
  return `<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1,maximum-scale=1,user-scalable=no">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>${head}
<style>${BASE_CSS}${css}</style></head>
<body><div class="sandbox">WeChat sandbox · 本地模拟，非真实微信</div>
${body}</body></html>`
}

const SCOPE_WORDS: Record<string, { zh: string; en: string }> = {
  snsapi_userinfo: { zh: '获取你的昵称、头像', en: 'Get your nickname and profile photo' },
  snsapi_base: { zh: '获取你的身份标识', en: 'Get your identity (openid)' },
}

const CONSENT_CSS = `
.page{min-height:100%;padding:48px 20px 0;color:#B2B2B2;font-size:14px;text-align:center}
.mask{position:fixed;inset:0;background:rgba(0,0,0,.5);z-index:1}
.sheet{position:fixed;left:0;right:0;bottom:0;z-index:2;margin:0 auto;max-width:480px;background:#fff;border-radius:12px 12px 0 0;padding:24px 24px calc(24px + env(safe-area-inset-bottom))}
.who{display:flex;align-items:center;gap:8px;font-size:15px;color:rgba(0,0,0,.9)}
.who img{width:24px;height:24px;border-radius:50%}
.who .asks{color:rgba(0,0,0,.5)}
h1{font-size:20px;font-weight:600;margin:20px 0 4px}
.en{font-size:13px;color:rgba(0,0,0,.5)}
.scope{margin-top:4px;font-size:12px;color:rgba(0,0,0,.3)}
.users{margin:20px 0 8px;border-top:1px solid rgba(0,0,0,.1);max-height:45vh;overflow-y:auto}
.user{display:flex;align-items:center;gap:12px;padding:12px 0;border-bottom:1px solid rgba(0,0,0,.1);cursor:pointer}
.user input{position:absolute;opacity:0;pointer-events:none}
.user img{width:40px;height:40px;border-radius:4px;flex:none}
.names{flex:1;min-width:0;text-align:left}
.nick{display:block;font-size:16px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.note{display:block;font-size:12px;color:rgba(0,0,0,.4)}
.check{flex:none;width:22px;height:22px;border-radius:50%;border:1.5px solid rgba(0,0,0,.2)}
.user input:checked~.check{border-color:#07C160;background:#07C160 url("data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 24 24'%3E%3Cpath d='M6 12.5l4 4 8-9' fill='none' stroke='white' stroke-width='2.4'/%3E%3C/svg%3E") center/16px no-repeat}
.user input:focus-visible~.check{outline:2px solid #07C160;outline-offset:2px}
.actions{display:flex;gap:16px;justify-content:center;margin-top:24px}
.actions button{flex:0 1 136px;height:44px;border:0;border-radius:8px;font:600 17px ${FONT};cursor:pointer}
.deny{background:#F2F2F2;color:#07C160}
.allow{background:#07C160;color:#fff}
.allow:active{background:#06AD56}.deny:active{background:#E5E5E5}
`

export interface ConsentPageInput {
  app: SandboxAppFixture
  scope: string
  users: readonly SandboxUserFixture[]
  selectedUserKey: string
  /** The authorize query as received; the sheet posts it back so the reply is checked again. */
  rawQuery: string
  /** The sandbox's path prefix (`/__sandbox/wechat`, or `` when mounted at the root). */
  basePath: string
  avatarPathOf: (user: SandboxUserFixture) => string
  appAvatarPath: string
}

/** The snsapi_userinfo consent sheet: account, scope in words, a picker of sandbox users, Deny and Allow. */
export function consentPage(input: ConsentPageInput): string {
  const words = SCOPE_WORDS[input.scope] ?? { zh: input.scope, en: input.scope }
  const rows = input.users
    .map((user) => {
      const checked = user.key === input.selectedUserKey ? ' checked' : ''
      return `<label class="user"><input type="radio" name="user" value="${escapeHtml(user.key)}"${checked}>
<img src="${escapeHtml(input.basePath + input.avatarPathOf(user))}" alt="">
<span class="names"><span class="nick">${escapeHtml(user.nickname)}</span><span class="note">${escapeHtml(userNote(user, input.app))}</span></span>
<span class="check"></span></label>`
    })
    .join('\n')
  const body = `<div class="page">${escapeHtml(input.app.name)}</div><div class="mask"></div>
<form class="sheet" method="post" action="${escapeHtml(`${input.basePath}/connect/oauth2/authorize_reply`)}">
<input type="hidden" name="query" value="${escapeHtml(input.rawQuery)}">
<div class="who"><img src="${escapeHtml(input.basePath + input.appAvatarPath)}" alt=""><span>${escapeHtml(input.app.name)}</span><span class="asks">申请</span></div>
<h1>${escapeHtml(words.zh)}</h1>
<div class="en">${escapeHtml(input.app.name)} asks to: ${escapeHtml(words.en)}</div>
<div class="scope">${escapeHtml(input.scope)}</div>
<div class="users" role="radiogroup" aria-label="选择用户 / Pick a sandbox user">
${rows}
</div>
<div class="actions"><button class="deny" name="action" value="deny">拒绝</button><button class="allow" name="action" value="allow">允许</button></div>
</form>`
  return layout('微信授权', CONSENT_CSS, body)
}

function userNote(user: SandboxUserFixture, app: SandboxAppFixture): string {
  const notes: string[] = []
  if (user.snapshot) notes.push('快照页虚拟用户 · snapshot user')
  notes.push(user.follows.includes(app.appid) ? '已关注 · follows' : '未关注 · not following')
  if (!user.avatar) notes.push('无头像 · no avatar')
  return notes.join(' · ')
}

const MESSAGE_CSS = `
.msg{padding:112px 32px 32px;text-align:center;background:#fff;min-height:100%}
.icon{width:64px;height:64px;margin:0 auto 24px;border-radius:50%;display:flex;align-items:center;justify-content:center;color:#fff;font:700 40px/1 ${FONT}}
.warn{background:#FA5151}.info{background:#10AEFF}
h2{font-size:17px;font-weight:400;color:rgba(0,0,0,.9);word-break:break-all}
.code{margin-top:8px;font-size:14px;color:rgba(0,0,0,.5)}
.hint{margin:32px auto 0;max-width:420px;padding:12px;border-radius:8px;background:#F7F7F7;font-size:13px;color:rgba(0,0,0,.5);text-align:left}
`

/** The page WeChat shows when the authorize request fails a check: words and code, no redirect. */
export function errorPage(refusal: AuthorizeRefusal): string {
  const code = refusal.errcode === null ? '' : `<p class="code">错误码：${refusal.errcode}</p>`
  const body = `<main class="msg"><div class="icon warn">!</div>
<h2>${escapeHtml(refusal.message)}</h2>${code}
<p class="hint">${escapeHtml(refusal.hint)}</p></main>`
  return layout('微信网页授权', MESSAGE_CSS, body)
}

/** Deny in today's WeChat: the sheet closes and nothing reaches the app. */
export function deniedPage(appName: string): string {
  const body = `<main class="msg"><div class="icon info">i</div>
<h2>你已拒绝授权</h2><p class="code">${escapeHtml(appName)}</p>
<p class="hint">You declined. Today's WeChat does not redirect after Deny, so the app is not told
(switch denyMode to "legacyRedirect" for the old behaviour: back to redirect_uri with state and no code).</p></main>`
  return layout('微信网页授权', MESSAGE_CSS, body)
}

/**
 * WeChat's double delivery: the browser requests redirect_uri twice with the same code. The page
 * makes one background request (with the browser's cookies) and then navigates, so the app receives
 * the callback twice from the same browser.
 */
export function doubleDeliveryPage(redirectUrl: string): string {
  const asJs = JSON.stringify(redirectUrl).replace(/</g, '\\u003c')
  const head = `<noscript><meta http-equiv="refresh" content="0;url=${escapeHtml(redirectUrl)}"></noscript>`
  const body = `<main class="msg"><h2>正在跳转…</h2><a class="code" href="${escapeHtml(redirectUrl)}" data-deliveries="2">continue</a></main>
<script>(function(){var u=${asJs};var go=function(){location.replace(u)};fetch(u,{mode:'no-cors',credentials:'include'}).then(go,go)})()</script>`
  return layout('微信网页授权', MESSAGE_CSS, body, head)
}
