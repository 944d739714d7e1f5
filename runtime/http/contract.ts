/// <reference types="@fastify/cookie" preserve="true" />
// The server registers @fastify/cookie on every request, so a route sees request.cookies and reply.setCookie;
// the reference carries that augmentation into the packed declarations.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { AppInfo, ElementInfo } from '../define.ts'
import type { Logger } from '../log.ts'
import type { Metrics } from '../metrics/contract.ts'
import type { SessionStore } from './sessions.ts'

/**
 * What an HTTP action of an element receives. Actions are served at
 * `/api/<orgId>/<name>/<element path>/<action>` and resolved at request time, so an element added by
 * hot reload is reachable at once.
 */
export interface RouteContext<Instance = any, Config = Readonly<Record<string, unknown>>> {
  readonly request: FastifyRequest
  readonly reply: FastifyReply
  readonly app: AppInfo
  readonly element: ElementInfo
  /** The element's object, as `getElement` returns it. */
  readonly instance: Instance
  /** The element's validated business config. Never send it to a browser: use `publicConfig`. */
  readonly config: Config
  /** The config without secret fields. */
  readonly publicConfig: Readonly<Record<string, unknown>>
  readonly sessions: SessionStore
  readonly log: Logger
  /** The app's metrics: what a Type counts (login outcomes, provider calls). */
  readonly metrics: Metrics
  /**
   * How many live (unfinished, unexpired) unauthenticated rows (login states, desktop sign-in tickets)
   * one browser and one client address (`request.ip`) may hold; 0: no cap. A Type that writes such
   * rows counts them.
   */
  readonly liveRowCaps: LiveRowCaps
  /** The URL browsers reach the app at, without a trailing slash (from `PUBLIC_URL`, never from request headers). */
  readonly publicUrl: string
  /** The path of another action of this element: `actionPath('callback')`. */
  actionPath(action: string): string
  /** The absolute URL of an action, built from the app's public URL (never from request headers). */
  actionUrl(action: string): string
  getElement<T = any>(fullName: string): T
  /** The server's clock in ms since the epoch (tests move it to expire states and sessions). */
  now(): number
  /**
   * Aborted when the server starts closing: an answer that stays open (server-sent events) ends then,
   * so that it does not hold the shutdown up.
   */
  readonly closing: AbortSignal
}

export interface LiveRowCaps {
  /** Login states of one browser. */
  readonly perBrowser: number
  /** Login states of one address. */
  readonly perAddress: number
  /** Desktop sign-in tickets (codes shown to scan) of one address. */
  readonly ticketsPerAddress: number
}

/** One HTTP action. The handler sends with `ctx.reply`, or returns a value sent as JSON. */
export interface HttpAction<Instance = any, Config = any> {
  method: 'GET' | 'POST'
  handler(ctx: RouteContext<Instance, Config>): unknown
}

/**
 * An emulator of a Type's external provider (WeChat's OAuth servers, say). `jit dev` mounts it under
 * `/__sandbox/<name>/` and points that Type's Instances at it, unless an Instance names real hosts;
 * `jit start` never mounts it.
 */
export interface SandboxDefinition {
  /** The mount name: `/__sandbox/<name>/`, and `jit sandbox <name>`. */
  readonly name: string
  /** Serves the provider under the prefix it is registered with. */
  readonly plugin: FastifyPluginAsync<{ publicBaseUrl: string }>
  /**
   * Config values that point an Instance at the sandbox at `baseUrl`, given its config as written and
   * the app's environment; undefined to leave it alone (it names real hosts).
   */
  instanceConfig(
    written: Readonly<Record<string, unknown>>,
    baseUrl: string,
    env: Readonly<Record<string, string | undefined>>,
  ): Record<string, unknown> | undefined
  /** `jit sandbox <name> [args]`: runs the sandbox alone until interrupted; resolves to an exit code. */
  runCli(args: string[]): Promise<number>
}

/** What a page Type's `render` receives for one request of one of its Instances. */
export interface PageRenderContext<Config = Readonly<Record<string, unknown>>> {
  readonly element: ElementInfo
  readonly config: Readonly<Config>
  readonly app: AppInfo
  /**
   * The tags that load the browser runtime and the page's own browser entry (its e.json
   * `frontBundleEntry`, compiled): put them in the page's `<head>`.
   */
  readonly headTags: string
}

/**
 * How a page Type serves its Instances: pages are elements, found at request time (so a page added
 * or moved by hot reload is served at once).
 *
 * @example
 * export default defineType({
 *   config: z.object({ path: z.string() }),
 *   page: {
 *     pathOf: (config) => config.path,
 *     render: ({ headTags, element }) => `<!doctype html><head>${headTags}</head><h1>${element.title}</h1>`,
 *   },
 * })
 */
export interface PageDefinition<Config = any> {
  /** The URL path an Instance answers at: `/`, `/about`. */
  pathOf(config: Readonly<Config>): string
  /** The HTML of the page. */
  render(context: PageRenderContext<Config>): string | Promise<string>
}
