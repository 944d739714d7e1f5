/**
 * The browser face of a WeChat Official Account login Instance (e.json `frontBundleEntry`): what
 * `await getRuntimeApp().getElement('auths.loginTypes.MyWechatLogin')` resolves to in a page. It knows
 * the Instance's public config and action URLs only; secrets never reach the browser.
 */
import type { FrontendElementContext } from 'jitlite/browser'
import {
  type DesktopLogin,
  type DesktopLoginOptions,
  startDesktopLogin,
} from '../Meta/browser/desktop-login.ts'
import { type QrSvgOptions, qrMatrixOf, qrSvgOf } from './browser/qr-code.ts'
import {
  type BrowserEnvironment,
  currentBrowserEnvironment,
  supportsWechatLogin,
} from './browser/user-agent.ts'

export type {
  DesktopLogin,
  DesktopLoginCode,
  DesktopLoginOptions,
  DesktopLoginStatus,
  DesktopLoginUpdate,
} from '../Meta/browser/desktop-login.ts'
export type { BrowserEnvironment } from './browser/user-agent.ts'

export interface WechatLoginElement {
  readonly fullName: string
  readonly title: string
  /**
   * Starts a WeChat login: navigates to the Instance's login action, which sends the browser to
   * WeChat's authorize page and, after the callback, back to `redirectUrl` logged in. `redirectUrl`
   * is a path of this app (default: the current page); another origin is accepted only when the
   * Instance's `allowedRedirectOrigins` lists it, else the flow lands on `/`.
   */
  login(redirectUrl?: string): void
  /** The absolute URL `login()` navigates to: the link to show as a QR code or to share. */
  getLoginUrl(redirectUrl?: string): string
  /** Whether the page runs where an Official Account login works: WeChat on a phone, in a Mini
   * Program's web-view, or on a desktop. False in WeCom, other browsers, and without `navigator`.
   * Never throws. */
  isWechatBrowser(): boolean
  /** The finer answer: `wechat`, `wechat-miniprogram`, `wechat-desktop`, `wecom` or `other`. */
  getBrowserEnvironment(): BrowserEnvironment
  /** The Instance's public config (`appId`, `scope`, ...). Never a secret. */
  getLoginConfig(): Readonly<Record<string, unknown>>
  /** An SVG QR code of the login link, for a desktop browser: scanning it in WeChat logs the phone in. */
  renderLoginQrCode(redirectUrl?: string, options?: QrSvgOptions): string
  /**
   * Signs this (desktop) browser in by scanning: shows a code (`code.svg`, `code.link`) that a phone
   * opens in WeChat; the phone signs in and confirms, and this browser gets its own session, with no
   * reload. `onStatus` follows it (waiting, scanned, confirmed, signed-in, cancelled, expired, failed);
   * an expired code is replaced by itself. Use it where `isWechatBrowser()` is false.
   */
  startDesktopLogin(options?: DesktopLoginOptions & { qr?: QrSvgOptions }): Promise<DesktopLogin>
  /** True when the Instance talks to the local WeChat sandbox (`jit dev`), not to WeChat. */
  usesSandbox(): boolean
}

/**
 * @example
 * const login = await getRuntimeApp().getElement<WechatLoginElement>('auths.loginTypes.MyWechatLogin')
 * if (login.isWechatBrowser()) login.login('/')
 * else await login.startDesktopLogin({ onStatus: ({ status, code }) => { qrBox.innerHTML = code.svg } })
 */
export default function createWechatLogin(ctx: FrontendElementContext): WechatLoginElement {
  const config = Object.freeze({ ...(ctx.element.config ?? {}) })
  const getLoginUrl = (redirectUrl?: string) => {
    const url = new URL(ctx.actionUrl('login'))
    url.searchParams.set('redirectUrl', appPath(redirectUrl))
    return url.href
  }
  return Object.freeze({
    fullName: ctx.element.fullName,
    title: ctx.element.title,
    login: (redirectUrl?: string) => ctx.navigate(getLoginUrl(redirectUrl)),
    getLoginUrl,
    isWechatBrowser: () => supportsWechatLogin(currentBrowserEnvironment()),
    getBrowserEnvironment: () => currentBrowserEnvironment(),
    getLoginConfig: () => config,
    renderLoginQrCode: (redirectUrl?: string, options?: QrSvgOptions) =>
      qrSvgOf(qrMatrixOf(getLoginUrl(redirectUrl)), {
        label: 'QR code of the WeChat login link',
        ...options,
      }),
    startDesktopLogin: (options: DesktopLoginOptions & { qr?: QrSvgOptions } = {}) =>
      startDesktopLogin(
        {
          // Relative to the page: the ticket's cookie belongs to the host the page was loaded from.
          actionsPath: ctx.element.apiPath,
          renderQrSvg: (link) =>
            qrSvgOf(qrMatrixOf(link), {
              label: 'QR code: scan with WeChat to sign in on this computer',
              ...options.qr,
            }),
        },
        options,
      ),
    usesSandbox: () => ctx.element.sandbox !== undefined,
  })
}

/**
 * The post-login target as the login flow wants it: a URL of the page's own origin becomes its path
 * (the page may be open under another host name than the app's public URL); anything else is passed
 * on for the flow to judge. Default: the current page.
 */
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
