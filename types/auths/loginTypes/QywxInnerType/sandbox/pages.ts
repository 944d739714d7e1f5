import type { Person, WecomAppFixture, WecomMemberFixture } from './fixtures.ts'
import type { LoginRefusal } from './login-check.ts'

/**
 * The HTML of WeCom's login pages: the in-client OAuth's picker and privateinfo consent sheet, the
 * desktop web login page, and their error pages (docs/wecom-protocol.md#in-client-oauth and
 * #web-login). Self-contained: inline CSS, system fonts, pictures from the sandbox itself. Each page
 * carries WeCom's Chinese words with English beside them.
 */

export function escapeHtml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '')
    .replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)
}

const FONT = `-apple-system, BlinkMacSystemFont, "PingFang SC", "Helvetica Neue", "Noto Sans CJK SC", "Microsoft YaHei", Arial, sans-serif`
const BLUE = '#0082EF'

const BASE_CSS = `
*{box-sizing:border-box;margin:0;padding:0}
html,body{min-height:100%}
body{font-family:${FONT};color:#1F2329;background:#F2F3F5;-webkit-text-size-adjust:100%;font-size:16px;line-height:1.45}
.sandbox{background:#FFF7E6;color:#9A6B00;font-size:12px;text-align:center;padding:4px 8px;border-bottom:1px solid #F5DEB3}
.en{color:#8F959E;font-size:13px}
button{font-family:${FONT}}
`

function layout(
  title: string,
  css: string,
  body: string,
  options: { head?: string; lang?: 'zh' | 'en' } = {},
): string {
  return `<!DOCTYPE html>
<html lang="${options.lang === 'en' ? 'en' : 'zh-CN'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>${options.head ?? ''}
<style>${BASE_CSS}${css}</style></head>
<body><div class="sandbox">WeCom sandbox · 本地模拟，非真实企业微信</div>
${body}</body></html>`
}

// The people list shared by the in-client picker and the web login page.
const PEOPLE_CSS = `
.people{border-top:1px solid #E5E6EB;max-height:46vh;overflow-y:auto;text-align:left}
.person{display:flex;align-items:center;gap:12px;padding:10px 4px;border-bottom:1px solid #E5E6EB;cursor:pointer}
.person input{position:absolute;opacity:0;pointer-events:none}
.person img{width:40px;height:40px;border-radius:6px;flex:none}
.names{flex:1;min-width:0}
.name{display:block;font-size:16px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.note{display:block;font-size:12px;color:#8F959E;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.note.warn{color:#D83931}
.check{flex:none;width:20px;height:20px;border-radius:50%;border:1.5px solid #C9CDD4}
.person input:checked~.check{border-color:${BLUE};background:${BLUE} url("data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 24 24'%3E%3Cpath d='M6 12.5l4 4 8-9' fill='none' stroke='white' stroke-width='2.4'/%3E%3C/svg%3E") center/14px no-repeat}
.person input:focus-visible~.check{outline:2px solid ${BLUE};outline-offset:2px}
.primary,.secondary,.plain{height:44px;border-radius:6px;font-size:16px;font-weight:500;cursor:pointer;padding:0 16px}
.primary{border:0;background:${BLUE};color:#fff}.primary:active{background:#0072D1}
.secondary{border:1px solid #C9CDD4;background:#fff;color:#1F2329}
.plain{border:0;background:transparent;color:#646A73}
`

export interface PersonRow {
  key: string
  name: string
  note: string
  /** The note is a warning (outside the visible range, disabled). */
  warn: boolean
  picturePath: string
}

function peopleList(
  rows: readonly PersonRow[],
  selectedKey: string,
  basePath: string,
  field: string,
): string {
  return rows
    .map((row) => {
      const checked = row.key === selectedKey ? ' checked' : ''
      return `<label class="person"><input type="radio" name="${field}" value="${escapeHtml(row.key)}"${checked}>
<img src="${escapeHtml(basePath + row.picturePath)}" alt="">
<span class="names"><span class="name">${escapeHtml(row.name)}</span><span class="note${row.warn ? ' warn' : ''}">${escapeHtml(row.note)}</span></span>
<span class="check"></span></label>`
    })
    .join('\n')
}

const STATUS_WORDS: Record<number, string> = {
  2: '已禁用 · disabled',
  4: '未激活 · not activated',
  5: '已退出 · left',
}

/** The words under a member's name: department and position, and what the app will make of them. */
export function memberNote(
  member: WecomMemberFixture,
  departmentName: (id: number) => string,
  visible: boolean,
): { note: string; warn: boolean } {
  const parts = [
    `${member.department.map(departmentName).join('、')}${member.position ? ` · ${member.position}` : ''}`,
    member.userid,
  ]
  let warn = false
  if (!visible) {
    parts.push('不在可见范围 · outside the visible range')
    warn = true
  }
  if (STATUS_WORDS[member.status]) {
    parts.push(STATUS_WORDS[member.status])
    warn = true
  }
  return { note: parts.join(' · '), warn }
}

const SHEET_CSS = `
.page{min-height:calc(100vh - 26px);padding:40px 20px 0;color:#8F959E;font-size:14px;text-align:center}
.mask{position:fixed;inset:0;background:rgba(0,0,0,.45)}
.sheet{position:fixed;left:0;right:0;bottom:0;margin:0 auto;max-width:520px;background:#fff;border-radius:12px 12px 0 0;padding:20px 20px calc(20px + env(safe-area-inset-bottom))}
.who{display:flex;align-items:center;gap:8px;font-size:15px}
.who img{width:28px;height:28px;border-radius:6px}
.who .asks{color:#8F959E}
h1{font-size:19px;font-weight:600;margin:16px 0 2px}
.fields{margin:10px 0 4px;display:flex;flex-wrap:wrap;gap:6px}
.fields span{font-size:12px;background:#F2F3F5;border-radius:4px;padding:2px 8px;color:#646A73}
.pick{margin:14px 0 6px;font-size:13px;color:#646A73;text-align:left}
.actions{display:flex;gap:12px;justify-content:center;margin-top:18px}
.actions button{flex:1 1 0;max-width:200px}
`

const FIELD_WORDS: Record<string, string> = {
  avatar: '头像 avatar',
  gender: '性别 gender',
  mobile: '手机 mobile',
  email: '邮箱 email',
  biz_mail: '企业邮箱 biz mail',
  address: '地址 address',
  qr_code: '二维码 QR code',
}

export interface InClientPageInput {
  app: WecomAppFixture | undefined
  corpName: string
  /** "consent": the privateinfo sheet (Deny / Allow); "picker": who holds the client (Continue). */
  mode: 'consent' | 'picker'
  people: readonly PersonRow[]
  selectedKey: string
  /** The authorize query as received; the form posts it back so the reply is checked again. */
  rawQuery: string
  basePath: string
  appPicturePath: string
}

/** The in-client sheet: the privateinfo consent, or the sandbox's "who holds this WeCom client" picker. */
export function inClientPage(input: InClientPageInput): string {
  const appName = input.app?.name ?? input.corpName
  const consent = input.mode === 'consent'
  const fields = (input.app?.sensitiveFields ?? [])
    .map((field) => `<span>${escapeHtml(FIELD_WORDS[field] ?? field)}</span>`)
    .join('')
  const heading = consent
    ? `<h1>获取你的敏感信息</h1><div class="en">${escapeHtml(appName)} asks for your sensitive information</div>
<div class="fields">${fields || '<span>管理员未开启任何字段 · no field enabled by the admin</span>'}</div>`
    : `<h1>选择持有企业微信的人</h1><div class="en">Sandbox: who holds this WeCom client?</div>`
  const buttons = consent
    ? '<button class="secondary" name="action" value="deny">拒绝 Deny</button><button class="primary" name="action" value="allow">允许 Allow</button>'
    : '<button class="primary" name="action" value="allow">继续 Continue</button>'
  const body = `<div class="page">${escapeHtml(appName)}</div><div class="mask"></div>
<form class="sheet" method="post" action="${escapeHtml(`${input.basePath}/connect/oauth2/authorize_reply`)}">
<input type="hidden" name="query" value="${escapeHtml(input.rawQuery)}">
<div class="who"><img src="${escapeHtml(input.basePath + input.appPicturePath)}" alt=""><span>${escapeHtml(appName)}</span><span class="asks">申请 · asks</span></div>
${heading}
<p class="pick">沙箱：选择身份 · Sandbox: pick who you are</p>
<div class="people" role="radiogroup" aria-label="选择身份 / Pick who you are">
${peopleList(input.people, input.selectedKey, input.basePath, 'person')}
</div>
<div class="actions">${buttons}</div>
</form>`
  return layout(consent ? '企业微信授权' : '企业微信', PEOPLE_CSS + SHEET_CSS, body)
}

const WEB_CSS = `
main{max-width:760px;margin:32px auto;padding:0 16px}
.card{background:#fff;border-radius:10px;box-shadow:0 2px 12px rgba(31,35,41,.08);padding:28px}
.brand{display:flex;align-items:center;gap:10px;font-size:18px;font-weight:600}
.brand .mark{width:30px;height:30px;border-radius:8px;background:${BLUE};color:#fff;display:flex;align-items:center;justify-content:center;font-size:16px}
.app{display:flex;align-items:center;gap:8px;margin:14px 0 20px;color:#646A73;font-size:14px}
.app img{width:22px;height:22px;border-radius:5px}
.cols{display:flex;flex-wrap:wrap;gap:28px}
.qr{flex:0 0 220px;text-align:center;margin:0 auto}
.qr img{width:200px;height:200px;border:1px solid #E5E6EB;border-radius:8px;background:#fff}
.qr p{font-size:14px;margin-top:8px}
.side{flex:1 1 300px;min-width:0}
.side h2{font-size:15px;font-weight:500;margin-bottom:8px}
.buttons{display:flex;flex-wrap:wrap;gap:10px;margin-top:16px}
.buttons .plain{margin:0 auto}
.buttons .primary,.buttons .secondary{flex:1 1 100%}
@media (max-width:520px){main{margin:12px auto}.card{padding:18px}.qr{flex-basis:100%}.qr img{width:160px;height:160px}}
`

export interface WebLoginPageInput {
  app: WecomAppFixture
  corpName: string
  members: readonly PersonRow[]
  selectedKey: string
  rawQuery: string
  legacyPage: boolean
  lang: 'zh' | 'en'
  basePath: string
  appPicturePath: string
  /** A data: URL of the QR code (it encodes this page's URL, so a phone can open the same login). */
  qrDataUrl: string
}

/** The web login page: a QR code, the sandbox's "who scans" picker, confirm, desktop one-click, cancel. */
export function webLoginPage(input: WebLoginPageInput): string {
  const en = input.lang === 'en'
  const body = `<main><form class="card" method="post" action="${escapeHtml(`${input.basePath}/wwlogin/sso/reply`)}">
<input type="hidden" name="query" value="${escapeHtml(input.rawQuery)}">
<input type="hidden" name="page" value="${input.legacyPage ? 'qrConnect' : 'wwlogin'}">
<div class="brand"><span class="mark">W</span><span>${en ? 'WeCom login · 企业微信登录' : '企业微信登录 · WeCom login'}</span></div>
<div class="app"><img src="${escapeHtml(input.basePath + input.appPicturePath)}" alt=""><span>${escapeHtml(input.app.name)} · ${escapeHtml(input.corpName)}</span></div>
<div class="cols">
<div class="qr"><img src="${escapeHtml(input.qrDataUrl)}" alt="登录二维码 / login QR code"><p>${en ? 'Scan with WeCom · 使用企业微信扫码' : '使用企业微信扫码登录'}</p><p class="en">${en ? '' : 'Scan with the WeCom app'}</p></div>
<div class="side"><h2>沙箱：谁在扫码？ · Sandbox: who scans?</h2>
<div class="people" role="radiogroup" aria-label="选择成员 / Pick a member">
${peopleList(input.members, input.selectedKey, input.basePath, 'member')}
</div>
<div class="buttons"><button class="primary" name="action" value="confirm">确认登录 Log in</button><button class="secondary" name="action" value="desktop">桌面端一键登录 · Desktop login</button><button class="plain" name="action" value="cancel">取消 Cancel</button></div>
</div></div></form></main>`
  return layout(en ? 'WeCom login' : '企业微信登录', PEOPLE_CSS + WEB_CSS, body, { lang: input.lang })
}

const MESSAGE_CSS = `
.msg{padding:88px 28px 32px;text-align:center;background:#fff;min-height:calc(100vh - 26px)}
.icon{width:60px;height:60px;margin:0 auto 20px;border-radius:50%;display:flex;align-items:center;justify-content:center;color:#fff;font:700 36px/1 ${FONT}}
.warn{background:#F54A45}.info{background:${BLUE}}
h2{font-size:18px;font-weight:500;word-break:break-all}
.code{margin-top:8px;font-size:14px;color:#8F959E}
.hint{margin:28px auto 0;max-width:460px;padding:12px;border-radius:8px;background:#F2F3F5;font-size:13px;color:#646A73;text-align:left;word-break:break-word}
`

/** The page WeCom shows when a login link fails a check: words and code, no redirect. */
export function errorPage(refusal: LoginRefusal): string {
  const code = refusal.code === undefined ? '' : `<p class="code">错误码 · errcode: ${refusal.code}</p>`
  const body = `<main class="msg"><div class="icon warn">!</div>
<h2>${escapeHtml(refusal.title)}</h2><p class="en">${escapeHtml(refusal.titleEn)}</p>${code}
<p class="hint">${escapeHtml(refusal.hint)}</p></main>`
  return layout('企业微信', MESSAGE_CSS, body)
}

/** An information page: the privateinfo refusal that stays, a cancelled web login, "open in the client". */
export function infoPage(title: string, titleEn: string, hint: string): string {
  const body = `<main class="msg"><div class="icon info">i</div>
<h2>${escapeHtml(title)}</h2><p class="en">${escapeHtml(titleEn)}</p>
<p class="hint">${escapeHtml(hint)}</p></main>`
  return layout('企业微信', MESSAGE_CSS, body)
}

/**
 * A double delivery: the browser requests redirect_uri twice with the same code. The page makes one
 * background request (with the browser's cookies) and then navigates.
 */
export function doubleDeliveryPage(redirectUrl: string): string {
  const asJs = JSON.stringify(redirectUrl).replace(/</g, '\\u003c')
  const head = `<noscript><meta http-equiv="refresh" content="0;url=${escapeHtml(redirectUrl)}"></noscript>`
  const body = `<main class="msg"><h2>正在跳转… · Redirecting…</h2><a class="code" href="${escapeHtml(redirectUrl)}" data-deliveries="2">continue</a></main>
<script>(function(){var u=${asJs};var go=function(){location.replace(u)};fetch(u,{mode:'no-cors',credentials:'include'}).then(go,go)})()</script>`
  return layout('企业微信', MESSAGE_CSS, body, { head })
}

/** Rows for people, given how to describe a member. */
export function personRows(
  people: readonly Person[],
  describe: (member: WecomMemberFixture) => { note: string; warn: boolean },
  picturePathOf: (person: Person) => string,
): PersonRow[] {
  return people.map((person) => {
    if (person.kind === 'member') {
      const { note, warn } = describe(person.member)
      return {
        key: person.member.key,
        name: person.member.name,
        note,
        warn,
        picturePath: picturePathOf(person),
      }
    }
    return {
      key: person.nonMember.key,
      name: person.nonMember.name,
      note: '非企业成员（个人微信） · not a member: the app gets an openid',
      warn: false,
      picturePath: picturePathOf(person),
    }
  })
}
