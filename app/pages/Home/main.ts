/**
 * The member page: signed in, it shows the WeChat nickname and avatar from the session; signed out,
 * it offers "Log in with WeChat" inside WeChat, and elsewhere a QR code to scan with WeChat that signs
 * this computer in once the phone confirms (plus, against the local sandbox, a way to continue in this
 * browser).
 */
import type { CurrentSession } from 'jitlite/browser'
import { FrontendError, getRuntimeApp } from 'jitlite/browser'
import type {
  DesktopLogin,
  DesktopLoginUpdate,
  WechatLoginElement,
} from 'jitlite/types/auths/loginTypes/WechatPublicType/frontend.ts'

const root = document.getElementById('app') as HTMLElement
const loginType = root.dataset.loginType ?? 'auths.loginTypes.MyWechatLogin'
const app = getRuntimeApp()

void show()

async function show(): Promise<void> {
  try {
    const [login, session, info] = await Promise.all([
      app.getElement<WechatLoginElement>(loginType),
      app.getSession(),
      app.getAppInfo(),
    ])
    if (session) showProfile(login, session)
    else if (login.isWechatBrowser()) showWechat(login)
    else showDesktop(login, info.publicUrl)
  } catch (err) {
    showError(err)
  }
}

function showWechat(login: WechatLoginElement): void {
  const view = mount('view-wechat', 'Sign in · Lumen Tea House')
  if (login.getLoginConfig().scope === 'snsapi_base') {
    slot(view, 'consent').textContent =
      'Use your WeChat account. We receive only an anonymous member ID: no nickname, photo or password.'
  }
  const button = view.querySelector<HTMLButtonElement>('[data-action="login"]')!
  button.addEventListener('click', () => {
    button.setAttribute('aria-busy', 'true')
    login.login(pagePath())
  })
}

function showDesktop(login: WechatLoginElement, publicUrl: string): void {
  const view = mount('view-desktop', 'Scan with WeChat to sign in · Lumen Tea House', true)
  slot(view, 'wecom').hidden = login.getBrowserEnvironment() !== 'wecom'
  if (login.usesSandbox()) {
    slot(view, 'sandbox').hidden = false
    const link = view.querySelector<HTMLAnchorElement>('[data-action="sandbox-login"]')!
    link.href = login.getLoginUrl(pagePath())
    slot(view, 'phone-hint').hidden = !isLoopback(publicUrl)
  }
  const newCode = view.querySelector<HTMLButtonElement>('[data-action="new-code"]')!
  newCode.addEventListener('click', () => {
    newCode.hidden = true
    void showCode(login, view)
  })
  void showCode(login, view)
}

let desktopLogin: DesktopLogin | undefined

/** A code for this computer, and its status as the phone goes through it. */
async function showCode(login: WechatLoginElement, view: HTMLElement): Promise<void> {
  await desktopLogin?.cancel()
  try {
    desktopLogin = await login.startDesktopLogin({
      onStatus: (update) => showStatus(view, update),
      qr: { label: 'QR code: scan with WeChat to sign in on this computer' },
    })
    if (await desktopLogin.done) await show()
  } catch (err) {
    showError(err)
  }
}

const STATUS_TEXT: Record<DesktopLoginUpdate['status'], [string, string]> = {
  waiting: ['Scan with WeChat', 'The code signs you in on this computer.'],
  scanned: ['Scanned: confirm on your phone', 'Tap Confirm on your phone to sign in here.'],
  confirmed: ['Confirmed: signing you in…', 'Just a moment.'],
  'signed-in': ['Signed in', 'Welcome back.'],
  cancelled: ['Sign-in cancelled', 'It was cancelled on the phone, so this computer is not signed in.'],
  expired: ['The code expired', 'Here is a new one.'],
  failed: ['Sign-in failed', ''],
}

function showStatus(view: HTMLElement, update: DesktopLoginUpdate): void {
  const qr = slot(view, 'qr')
  if (qr.dataset.link !== update.code.link) {
    qr.innerHTML = update.code.svg
    qr.dataset.link = update.code.link
  }
  const over = update.final && update.status !== 'signed-in'
  qr.classList.toggle('dimmed', over || update.status === 'scanned' || update.status === 'confirmed')
  const [title, hint] = STATUS_TEXT[update.status]
  slot(view, 'status').textContent = title
  slot(view, 'status-hint').textContent =
    update.status === 'failed' || (update.status === 'expired' && over) ? (update.message ?? '') : hint
  view.querySelector<HTMLButtonElement>('[data-action="new-code"]')!.hidden = !over
}

function showProfile(login: WechatLoginElement, { user, expiresAt }: CurrentSession): void {
  const name = user.displayName?.trim() || 'Tea Club member'
  const view = mount('view-profile', `${name} · Lumen Tea House`, true)
  slot(view, 'nickname').textContent = name
  const avatar = slot(view, 'avatar') as HTMLImageElement
  if (user.avatarUrl && /^https?:\/\//.test(user.avatarUrl)) {
    avatar.src = user.avatarUrl
    avatar.alt = `${name}'s profile photo`
  } else {
    avatar.replaceWith(placeholderAvatar(user.displayName?.trim()))
  }
  slot(view, 'expires').textContent = new Date(expiresAt).toLocaleDateString('en-GB', {
    day: 'numeric',
    month: 'long',
  })
  slot(view, 'silent').hidden = login.getLoginConfig().scope !== 'snsapi_base'
  const button = view.querySelector<HTMLButtonElement>('[data-action="logout"]')!
  button.addEventListener('click', async () => {
    button.disabled = true
    try {
      await app.logout()
      await show()
    } catch (err) {
      showError(err)
    }
  })
}

function showError(err: unknown): void {
  const view = mount('view-error', 'Something went wrong · Lumen Tea House')
  const code = err instanceof FrontendError ? ` (${err.code})` : ''
  slot(view, 'message').textContent = `${(err as Error)?.message ?? 'The page could not load.'}${code}`
  view.querySelector('[data-action="retry"]')!.addEventListener('click', () => location.reload())
}

/** Replaces the page's content with a copy of a template; returns the new content's container. */
function mount(templateId: string, title: string, wide = false): HTMLElement {
  const template = document.getElementById(templateId) as HTMLTemplateElement
  root.replaceChildren(template.content.cloneNode(true))
  root.classList.toggle('wide', wide)
  document.title = title
  return root
}

function slot(view: HTMLElement, name: string): HTMLElement {
  return view.querySelector<HTMLElement>(`[data-slot="${name}"]`)!
}

function isLoopback(url: string): boolean {
  const host = new URL(url).hostname
  return host === 'localhost' || host === '[::1]' || host.startsWith('127.')
}

function pagePath(): string {
  return location.pathname + location.search
}

const SILHOUETTE_SVG =
  '<svg class="silhouette" viewBox="0 0 24 24" fill="currentColor"><circle cx="12" cy="8.5" r="4"/><path d="M4.5 20a7.5 7.5 0 0 1 15 0z"/></svg>'

/** The first letter of the nickname in a circle; a silhouette when WeChat gave no nickname. */
function placeholderAvatar(nickname: string | undefined): HTMLElement {
  const circle = document.createElement('span')
  circle.className = 'avatar initial'
  circle.setAttribute('aria-hidden', 'true')
  const initial = nickname ? [...nickname][0]?.toUpperCase() : undefined
  if (initial) circle.textContent = initial
  else circle.innerHTML = SILHOUETTE_SVG
  return circle
}
