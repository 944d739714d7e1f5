/**
 * What the server tells the browser runtime, and what the browser runtime hands to an element's
 * browser code. Plain types: shared by `runtime/http/frontend.ts` (Node) and the browser runtime.
 */

export type { SessionUser } from '../http/sessions.ts'

/** `GET /jit/app.json`: the app a page belongs to. */
export interface AppMetadata {
  readonly orgId: string
  readonly name: string
  readonly title: string
  readonly version: string
  /** `development` under `jit dev`, `production` under `jit start`. */
  readonly mode: 'development' | 'production'
  /** The URL the app is reached at, for links that leave the page (a QR code a phone scans). */
  readonly publicUrl: string
  /** Where the current user is read from (`GET`, 401 when nobody is logged in). */
  readonly sessionPath: string
  /** Where the current session ends (`POST`). */
  readonly logoutPath: string
}

/** `GET /jit/elements/<fullName>.json`: one element as the browser may know it. */
export interface ElementMetadata {
  readonly fullName: string
  readonly title: string
  readonly layer: 'Meta' | 'Type' | 'Instance'
  readonly type: string
  /**
   * The public config: for an Instance whose type chain has a browser entry, what its Type's
   * `browserConfig` returns (the login family: `getLoginConfig()`), else its business config without
   * secret fields.
   * Absent for elements without browser code.
   */
  readonly config?: Readonly<Record<string, unknown>>
  /** `/api/<orgId>/<name>/<element path>`: its actions and functions are under it. */
  readonly apiPath: string
  /** Names of its HTTP actions (`login`, `callback`), each at `<publicUrl><apiPath>/<action>`. */
  readonly actions: readonly string[]
  /** Names of the functions its functionList exposes (`POST <apiPath>/<function>`). */
  readonly functions: readonly string[]
  /**
   * Set when the Instance talks to a local stand-in for its provider (`jit dev` mounts the sandbox of
   * its Type and points it there): the sandbox's name, `wechat`.
   */
  readonly sandbox?: string
  /** The compiled browser entry of its type chain (`frontBundleEntry`), when it has one. */
  readonly bundleUrl?: string
}

/**
 * What an element's browser entry receives: its metadata plus helpers. The entry's default export is
 * a function from this context to the object `getElement` resolves to.
 *
 * @example
 * // frontend.ts of a Type (named by "frontBundleEntry" in its e.json)
 * import type { FrontendElementContext } from 'jitlite/browser'
 * export default function createGreeter(ctx: FrontendElementContext) {
 *   return { greet: (name: string) => ctx.call('greet', [name]) }
 * }
 */
export interface FrontendElementContext {
  readonly element: ElementMetadata
  readonly app: AppMetadata
  /** The absolute URL of one of the element's actions: `actionUrl('login')`. */
  actionUrl(action: string): string
  /** Calls a function of the element's functionList over HTTP and resolves to its `data`. */
  call<T = unknown>(functionName: string, args?: readonly unknown[] | Record<string, unknown>): Promise<T>
  /** Sends the browser to a URL (a seam for tests; `location.assign` in a browser). */
  navigate(url: string): void
}

/** The default export of a browser entry. */
export type FrontendElementFactory<T = unknown> = (context: FrontendElementContext) => T
