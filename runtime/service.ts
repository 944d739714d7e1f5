import type { AppInfo, ElementInfo, LoadContext, OwnerInfo, SharedResources } from './define.ts'
import type { Logger } from './log.ts'
import type { Metrics } from './metrics/contract.ts'

const contexts = new WeakMap<Service<any, any>, LoadContext<any>>()

/**
 * Base class of a service element's code (`services.NormalType`): the default export of its
 * `index.ts`. Its methods are the service's functions; those listed in e.json `functionList` are also
 * callable over HTTP. The context lives outside the instance, so logging a service never prints its
 * config.
 *
 * @example
 * export default class HelloSvc extends Service {
 *   hello(name: string) {
 *     return `Hello, ${name}!`
 *   }
 * }
 */
export class Service<OwnerConfig = Record<string, unknown>, Config = Record<string, unknown>> {
  constructor(ctx: LoadContext<Config>) {
    contexts.set(this, ctx)
  }

  /** This service element. */
  protected get element(): ElementInfo {
    return contextOf(this).element
  }

  /** The service's own business config. */
  protected get config(): Readonly<Config> {
    return contextOf(this).config
  }

  /** The Instance this service was reached through, when it is a Type's child. */
  protected get owner(): OwnerInfo<OwnerConfig> | undefined {
    return contextOf(this).owner as OwnerInfo<OwnerConfig> | undefined
  }

  protected get app(): AppInfo {
    return contextOf(this).app
  }

  protected get log(): Logger {
    return contextOf(this).log
  }

  /** The app's metrics (what a service counts: provider calls, refreshes). */
  protected get metrics(): Metrics {
    return contextOf(this).metrics
  }

  /** The app's environment (`createApp({ env })`, default `process.env`). */
  protected get env(): Readonly<Record<string, string | undefined>> {
    return contextOf(this).env
  }

  protected get resources(): SharedResources {
    return contextOf(this).resources
  }

  /** Another element of the app. */
  protected getElement<T = any>(fullName: string): T {
    return contextOf(this).getElement<T>(fullName)
  }
}

function contextOf(service: Service<any, any>): LoadContext<any> {
  const ctx = contexts.get(service)
  if (!ctx) throw new Error('Service constructed without a context: services are built by the runtime')
  return ctx
}
