import type { z } from 'zod'
import type { ElementDefine } from './elements/define-schema.ts'
import type { Layer } from './elements/scan.ts'
import type { ErrorCode } from './errors.ts'
import type { HttpAction, PageDefinition, SandboxDefinition } from './http/contract.ts'
import type { Logger } from './log.ts'
import type { Metrics } from './metrics/contract.ts'

/** What a Type's code can know about an element. */
export interface ElementInfo {
  readonly fullName: string
  readonly title: string
  readonly layer: Layer
  /** The `type` of its e.json ("" for a Meta). */
  readonly type: string
  /** `orgId.name` of the app the element comes from. */
  readonly app: string
  /** Absolute path of the element folder. */
  readonly dir: string
  readonly define: Readonly<ElementDefine>
  /** An Instance's business config file: the one read, or where it is expected when there is none. */
  readonly configFile?: string
  /** For a Type's child (reached through each Instance of that Type): the Type's fullName. */
  readonly scopedTo?: string
}

/** The app being served, as element code sees it. */
export interface AppInfo {
  readonly orgId: string
  readonly name: string
  readonly title: string
  readonly version: string
  /** Absolute path of the app root. */
  readonly dir: string
  /** `development` under `jit dev` and in tests; `production` under `jit start`. */
  readonly mode: 'development' | 'production'
  /** The URL browsers reach the app at, when known (from `PUBLIC_URL` or the server). */
  readonly publicUrl?: string
}

/** The Instance a Type-scoped child element was reached through. */
export interface OwnerInfo<Config = Readonly<Record<string, unknown>>> {
  readonly element: ElementInfo
  readonly config: Readonly<Config>
  /** Another child of the same Instance: `owner.getChild('models.WechatPublicAuthModel')`. */
  getChild<T = any>(path: string): T
}

/**
 * Something shared by every generation of the registry that asks for it, kept while any holds it: a
 * database connection survives a config reload that did not change its file.
 */
export interface SharedResources {
  acquire<T>(key: string, create: () => T, dispose: (value: T) => void | Promise<void>): T
}

export interface PrepareContext<Config> {
  readonly element: ElementInfo
  readonly config: Readonly<Config>
  /** The element's own code (its index.ts or backendBundleEntry), when it has any. */
  readonly module?: Readonly<Record<string, unknown>>
  readonly app: AppInfo
  readonly log: Logger
  /** Counters and histograms of the app's metrics (login outcomes, provider calls, commits). */
  readonly metrics: Metrics
  /** The environment the app was created with (`createApp({ env })`, default `process.env`). */
  readonly env: Readonly<Record<string, string | undefined>>
  readonly resources: SharedResources
  /**
   * Set under `jit check`: check everything, create and change nothing (no database file, no table,
   * no column). Types whose prepare or load writes somewhere do a dry run instead.
   */
  readonly dryRun: boolean
  /** Another element of the same registry generation, loaded. */
  getElement<T = any>(fullName: string): T
}

export interface LoadContext<Config> extends PrepareContext<Config> {
  /** Set when this element is a Type's child reached through an Instance. */
  readonly owner?: OwnerInfo
}

/** What a Type's `help` is given: the Instance the development console shows the form of. */
export interface TypeHelpContext<Config> {
  /** The Instance's fullName, as it is or will be once created (`auths.loginTypes.MyWechatLogin`). */
  readonly instance: string
  /** The config the form holds now (as written: not validated, secrets as `${NAME}` references). */
  readonly config: Readonly<Partial<Config>>
  readonly app: AppInfo
  /** The absolute URL browsers reach one of the Instance's HTTP actions at (`callback`). */
  actionUrl(action: string): string
}

/** What the console shows beside a Type's form: values to copy elsewhere (a provider's backend). */
export interface TypeHelp {
  /** `copy`: the console offers a copy button for the value. */
  readonly items: ReadonlyArray<{ readonly label: string; readonly value: string; readonly copy: boolean }>
  readonly text?: string
}

/** What a Type's `check` is given besides the validated config. */
export interface CheckContext {
  readonly app: AppInfo
  readonly env: Readonly<Record<string, string | undefined>>
  /** Aborted when the console's request goes away. */
  readonly signal: AbortSignal
}

/**
 * The outcome of a Type's check ("Test connection"). `message` says what happened and `fix` what to
 * change; neither may carry a secret value (the console redacts the config's secrets anyway).
 */
export interface CheckResult {
  readonly ok: boolean
  readonly message: string
  readonly fix?: string
  /** When not ok: JIT_CHECK_REFUSED (the provider said no) or JIT_CHECK_UNREACHABLE. */
  readonly code?: ErrorCode
}

/**
 * A Type's backend: the contract between a Type folder's `type.ts` and the runtime. Every member is
 * optional. Members a Type leaves out are inherited along its type chain (Type -> ... -> Meta);
 * `routes` merge action by action, so a Type that adds one keeps those of the Types above it. A
 * member not declared here is a type error (a misspelt `rotues` would otherwise do nothing).
 */
export interface TypeDefinition<Config = Record<string, unknown>, Instance = unknown> {
  /** Validates an Instance's business config and fills its defaults. Mark secrets with `secret()`. */
  config?: z.ZodType<Config>
  /** Checks or prepares what an Instance needs, once per definition at start and at each reload. */
  prepare?(ctx: PrepareContext<Config>): void | Promise<void>
  /** Builds the object `getElement` returns for an Instance. Synchronous; called lazily, then cached. */
  load?(ctx: LoadContext<Config>): Instance
  /** Releases what `load` opened, once no call is in flight on the generation it belongs to. */
  dispose?(instance: Instance): void | Promise<void>
  /**
   * Elements this Type's Instances get with `getElement` by a fixed name, such as `databases.Default`.
   * An Instance the framework app supplies is loaded only in an app where a Type in use names it here,
   * so an app that stores nothing never imports a database driver. Joined along the type chain.
   */
  uses?: readonly string[]
  /**
   * HTTP actions of each Instance, by name: `/api/<orgId>/<name>/<element path>/<action>`. Merged
   * per action along the type chain; a Type's action replaces an inherited one of the same name.
   */
  routes?: Readonly<Record<string, HttpAction<Instance, Config>>>
  /** What an Instance shows a browser. Default: its business config without secret fields. */
  browserConfig?(instance: Instance): Readonly<Record<string, unknown>>
  /** Makes the Type's Instances pages, served at the path each one's config names. */
  page?: PageDefinition<Config>
  /** The emulator of the Type's external provider that `jit dev` mounts under `/__sandbox/<name>/`. */
  sandbox?: SandboxDefinition
  /**
   * What the development console shows beside an Instance's form: values to enter in the provider's
   * backend (WeChat: the callback URL and the authorization domain). Synchronous, no I/O.
   */
  help?(ctx: TypeHelpContext<Config>): TypeHelp | null
  /**
   * The console's "Test connection": tries the Instance's credentials against the provider, given
   * the config validated as the app reads it (secrets substituted). Never throws for a refusal: it
   * answers `{ ok: false, code, message, fix }`.
   */
  check?(config: Readonly<Config>, ctx: CheckContext): Promise<CheckResult>
}

const TYPE_BRAND = Symbol.for('jitlite.type')

/**
 * Declares a Type: the default export of a Type folder's `type.ts`.
 *
 * @example
 * export default defineType({
 *   config: z.object({ greeting: z.string().default('Hello') }),
 *   load: ({ config }) => ({ greet: (name: string) => `${config.greeting}, ${name}!` }),
 * })
 */
export function defineType<Config = Record<string, unknown>, Instance = unknown>(
  definition: TypeDefinition<Config, Instance>,
): TypeDefinition<Config, Instance> {
  return Object.freeze({ ...definition, [TYPE_BRAND]: true })
}

export function isTypeDefinition(value: unknown): value is TypeDefinition<any, any> {
  return (
    typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TYPE_BRAND] === true
  )
}
