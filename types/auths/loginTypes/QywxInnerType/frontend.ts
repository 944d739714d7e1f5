/**
 * The browser face of a WeCom login Instance (e.json `frontBundleEntry`): what
 * `await getRuntimeApp().getElement('auths.loginTypes.StaffLogin')` resolves to in a page. It knows the
 * Instance's public config and action URLs only; secrets never reach the browser.
 */
import type { FrontendElementContext } from 'jitlite/browser'
import { currentIsWecom } from './browser/user-agent.ts'

export interface WecomLoginElement {
  readonly fullName: string
  readonly title: string
  /**
   * Starts a WeCom login: inside the WeCom client the in-client OAuth, elsewhere WeCom's web login page
   * (a QR code for the WeCom app, or one click when WeCom desktop runs); back at `redirectUrl` signed in.
   * `redirectUrl` is a path of this app (default: the current page).
   */
  login(redirectUrl?: string): void
  /**
   * The login link. Default: the entry for this browser. `entry: 'client'` gives the link to show as a
   * QR code for the WeCom app or to send in a WeCom chat; `'web'` the desktop web login page.
   */
  getLoginUrl(redirectUrl?: string, entry?: 'client' | 'web'): string
  /** Whether the page runs inside WeCom (its User-Agent says `wxwork`; WeChat's does not). Never throws. */
  isWecomBrowser(): boolean
  /** The Instance's public config (`corpId`, `agentId`, `scope`). Never a secret. */
  getLoginConfig(): Readonly<Record<string, unknown>>
  /** True when the Instance talks to the local WeCom sandbox (`jit dev`), not to WeCom. */
  usesSandbox(): boolean
}

/**
 * @example
 * const staff = await getRuntimeApp().getElement<WecomLoginElement>('auths.loginTypes.StaffLogin')
 * button.onclick = () => staff.login('/')
 */
export default function createWecomLogin(ctx: FrontendElementContext): WecomLoginElement {
  const config = Object.freeze({ ...(ctx.element.config ?? {}) })
  const getLoginUrl = (redirectUrl?: string, entry?: 'client' | 'web') => {
    const url = new URL(ctx.actionUrl('login'))
    url.searchParams.set('redirectUrl', appPath(redirectUrl))
    url.searchParams.set('entry', entry ?? (currentIsWecom() ? 'client' : 'web'))
    return url.href
  }
  return Object.freeze({
    fullName: ctx.element.fullName,
    title: ctx.element.title,
    login: (redirectUrl?: string) => ctx.navigate(getLoginUrl(redirectUrl)),
    getLoginUrl,
    isWecomBrowser: () => currentIsWecom(),
    getLoginConfig: () => config,
    usesSandbox: () => ctx.element.sandbox !== undefined,
  })
}

/** The post-login target: a URL of the page's own origin becomes its path. Default: the current page. */
function appPath(redirectUrl: string | undefined): string {
  const here = currentLocation()
  if (redirectUrl === undefined) return here ? here.pathname + here.search : '/'
  if (!here) return redirectUrl
  try {
    const target = new URL(redirectUrl, here.href)
    if (target.origin === here.origin) return target.pathname + target.search + target.hash
  } catch {
    // Not a URL: the flow refuses it and lands on `/`.
  }
  return redirectUrl
}

function currentLocation(): { href: string; origin: string; pathname: string; search: string } | undefined {
  try {
    const location = (globalThis as { location?: Location }).location
    return location && typeof location.href === 'string' ? location : undefined
  } catch {
    return undefined
  }
}
