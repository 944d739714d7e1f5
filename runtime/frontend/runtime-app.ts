import type {
  AppMetadata,
  ElementMetadata,
  FrontendElementContext,
  FrontendElementFactory,
  SessionUser,
} from './contract.ts'
import { type FetchFunction, FrontendError, requestJson } from './request.ts'

export interface RuntimeAppOptions {
  /** Default: the browser's fetch. */
  fetch?: FetchFunction
  /** Prefix of the runtime's paths (`/jit/...`, `/api/...`). Default '' (the page's own origin). */
  baseUrl?: string
  /** Loads a compiled browser entry. Default: `import(url)`. */
  importModule?: (url: string) => Promise<Record<string, unknown>>
  /** Default: `location.assign(url)`. */
  navigate?: (url: string) => void
}

/** The session of the page's browser. */
export interface CurrentSession {
  readonly user: SessionUser
  /** ISO 8601. */
  readonly expiresAt: string
}

/** What `getElement` resolves to for an element without browser code: its metadata and functions. */
export type PlainElement = Readonly<ElementMetadata> & Readonly<Record<string, unknown>>

/**
 * The app as a page's code sees it. Elements are fetched on first use and kept for the page's life;
 * a failed load is not kept, so the next call tries again.
 *
 * @example
 * const app = getRuntimeApp()
 * const login = await app.getElement('auths.loginTypes.MyWechatLogin')
 * if (login.isWechatBrowser()) login.login('/')
 */
export class RuntimeApp {
  private readonly fetchFn: FetchFunction
  private readonly baseUrl: string
  private readonly importModule: (url: string) => Promise<Record<string, unknown>>
  private readonly navigateTo: (url: string) => void
  private readonly elements = new Map<string, Promise<unknown>>()
  private appMetadata?: Promise<AppMetadata>

  constructor(options: RuntimeAppOptions = {}) {
    this.fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
    this.baseUrl = (options.baseUrl ?? '').replace(/\/+$/, '')
    this.importModule = options.importModule ?? ((url) => import(url))
    this.navigateTo = options.navigate ?? ((url) => globalThis.location.assign(url))
  }

  /** The app's identity, mode, public URL and session paths. */
  getAppInfo(): Promise<AppMetadata> {
    this.appMetadata ??= requestJson<AppMetadata>(this.fetchFn, `${this.baseUrl}/jit/app.json`).catch(
      (err: unknown) => {
        this.appMetadata = undefined
        throw err
      },
    )
    return this.appMetadata
  }

  /**
   * The element named `fullName`: what the default export of its type chain's browser entry builds;
   * for an element without one (or whose entry is a plain script, like a page's), its metadata with
   * one method per function of its functionList. Rejects with a FrontendError
   * (JIT_ELEMENT_NOT_FOUND for an unknown name).
   */
  getElement<T = PlainElement>(fullName: string): Promise<T> {
    let pending = this.elements.get(fullName)
    if (!pending) {
      pending = this.loadElement(fullName)
      this.elements.set(fullName, pending)
      pending.catch(() => this.elements.delete(fullName))
    }
    return pending as Promise<T>
  }

  /** The current session (its user and when it ends), or null when nobody is logged in. */
  async getSession(): Promise<CurrentSession | null> {
    const app = await this.getAppInfo()
    try {
      const body = await requestJson<{ data: CurrentSession }>(
        this.fetchFn,
        `${this.baseUrl}${app.sessionPath}`,
        {
          cache: 'no-store',
        },
      )
      return body.data
    } catch (err) {
      if (err instanceof FrontendError && err.status === 401) return null
      throw err
    }
  }

  /** The logged-in user, or null. */
  async getCurrentUser(): Promise<SessionUser | null> {
    return (await this.getSession())?.user ?? null
  }

  /** Ends the current session (nothing happens when there is none). */
  async logout(): Promise<void> {
    const app = await this.getAppInfo()
    await requestJson(this.fetchFn, `${this.baseUrl}${app.logoutPath}`, { method: 'POST' })
  }

  private async loadElement(fullName: string): Promise<unknown> {
    const [app, element] = await Promise.all([
      this.getAppInfo(),
      requestJson<ElementMetadata>(
        this.fetchFn,
        `${this.baseUrl}/jit/elements/${encodeURIComponent(fullName)}.json`,
      ),
    ])
    const context = this.contextFor(app, element)
    if (!element.bundleUrl) return plainElement(context)
    const module = await this.importModule(`${this.baseUrl}${element.bundleUrl}`)
    const factory = module.default
    // An entry without a default export is a script (a page's): it ran when loaded, nothing to build.
    if (factory === undefined) return plainElement(context)
    if (typeof factory !== 'function') {
      throw new FrontendError(
        'JIT_FRONTEND_ENTRY_INVALID',
        `the browser entry of ${element.type || fullName} must \`export default function (ctx) { return {...} }\``,
        0,
      )
    }
    return (factory as FrontendElementFactory)(context)
  }

  private contextFor(app: AppMetadata, element: ElementMetadata): FrontendElementContext {
    return Object.freeze({
      element,
      app,
      actionUrl: (action: string) => `${app.publicUrl}${element.apiPath}/${action}`,
      call: async <R>(functionName: string, args: readonly unknown[] | Record<string, unknown> = []) => {
        const body = await requestJson<{ data: R }>(
          this.fetchFn,
          `${this.baseUrl}${element.apiPath}/${functionName}`,
          {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(args),
          },
        )
        return body.data
      },
      navigate: (url: string) => this.navigateTo(url),
    })
  }
}

function plainElement(context: FrontendElementContext): PlainElement {
  const object: Record<string, unknown> = { ...context.element }
  for (const name of context.element.functions) {
    object[name] = (...args: unknown[]) => context.call(name, args)
  }
  return Object.freeze(object) as PlainElement
}
