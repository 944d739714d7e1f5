import type { AppInfo, LoadContext, OwnerInfo, SharedResources } from '../define.ts'
import { ElementNotFoundError, JitError } from '../errors.ts'
import type { Logger } from '../log.ts'
import type { Metrics } from '../metrics/contract.ts'
import type { AppManifest } from './apps.ts'
import { asElementError, type BuildOptions, buildElementStates } from './build-generation.ts'
import { type ElementRecord, ElementState, type ResolvedElement } from './element-state.ts'
import { InFlight } from './inflight.ts'
import { type ObjectBuilder, Reached } from './reached.ts'
import { buildRegistry, type Registry } from './resolve.ts'
import type { ResourcePool } from './resource-pool.ts'
import type { ElementDefinition } from './scan.ts'

export interface GenerationOptions extends BuildOptions {
  mode: AppInfo['mode']
  log: Logger
  metrics: Metrics
  resources: ResourcePool
  publicUrl?: string
  /** Prepare and load without creating or changing anything (`jit check`). */
  dryRun?: boolean
}

/** One definition of the app as the HTTP and reload layers read it (a Generation, read only). */
export interface AppDefinition {
  /** Counts up with each build in this process: a new number is a new definition. */
  readonly id: number
  readonly app: AppInfo
  /** Every problem found, each once, in element order. */
  readonly problems: readonly JitError[]
  /** The folders of the app stack it was built from: the framework's first, the top app's last. */
  readonly roots: readonly string[]
  /** The element reached by `fullName` (its own, or `<Instance>.<child path>`), when there is one. */
  resolve(fullName: string): ResolvedElement | undefined
  /** `resolve`, or the error getElement throws: not found (with a "did you mean"), needs an Instance, its problem. */
  require(fullName: string): ResolvedElement
  /** The record of a registered element, visible from the top app or not. */
  record(fullName: string): ElementRecord | undefined
  /** Every registered element's record, in registry order. */
  records(): Iterable<ElementRecord>
}

let generationCounter = 0

/**
 * One complete, validated build of an app: a record per element (its Type, its config, its problem)
 * and the objects loaded from it, lazily. A hot reload builds a new Generation beside the current one
 * and retires the old one once the calls in flight on it have finished.
 */
export class Generation implements AppDefinition, ObjectBuilder {
  readonly id = ++generationCounter
  readonly registry: Registry
  readonly app: AppInfo
  readonly roots: readonly string[]
  private readonly options: GenerationOptions
  private problemList: readonly JitError[] = []
  /** One record per registered element, by fullName. */
  private readonly states = new Map<string, ElementState>()
  /** The names reached so far (Type children through each Instance too), each with its own object. */
  private readonly reached = new Map<string, Reached>()
  /** The elements whose object is built, in the order they were built (disposed in reverse). */
  private readonly loaded: Reached[] = []
  private readonly held = new Set<string>()
  private readonly inflight = new InFlight()
  private disposed?: Promise<void>

  private constructor(registry: Registry, options: GenerationOptions) {
    this.registry = registry
    this.options = options
    this.roots = registry.apps.map((a) => a.root)
    const top = registry.topApp
    this.app = Object.freeze({
      orgId: top.json.orgId,
      name: top.json.name,
      title: top.json.title,
      version: top.json.version,
      dir: top.root,
      mode: options.mode,
      publicUrl: options.publicUrl,
    })
    for (const element of registry.elements.values())
      this.states.set(element.fullName, new ElementState(element))
  }

  /** Builds and validates a generation: resolve types, import code, read configs, run prepare hooks. */
  static async build(
    apps: readonly AppManifest[],
    scanned: readonly ElementDefinition[][],
    options: GenerationOptions,
  ): Promise<Generation> {
    const generation = new Generation(buildRegistry(apps, scanned), options)
    generation.problemList = await buildElementStates(
      generation.registry,
      generation.states,
      options,
      (state) => generation.context(state, undefined),
    )
    return generation
  }

  get problems(): readonly JitError[] {
    return this.problemList
  }

  /** The problem of the registered element `fullName`, if it has one. */
  problemOf(fullName: string): JitError | undefined {
    return this.states.get(fullName)?.problem
  }

  record(fullName: string): ElementRecord | undefined {
    return this.states.get(fullName)
  }

  records(): Iterable<ElementRecord> {
    return this.states.values()
  }

  /** Exact fullName first, then `<Instance>.<child>` along the Instance's type chain. */
  resolve(fullName: string): ResolvedElement | undefined {
    const known = this.reached.get(fullName)
    if (known) return known
    // Only names that lead somewhere are kept: the names a request asks for are the user's.
    const exact = this.registry.get(fullName)
    const located = exact ? { element: exact, owner: undefined } : this.registry.resolveScoped(fullName)
    if (!located) return undefined
    const state = this.states.get(located.element.fullName)!
    const owner = located.owner && this.states.get(located.owner.fullName)
    const reached = new Reached(fullName, state, owner, this)
    this.reached.set(fullName, reached)
    return reached
  }

  require(fullName: string): ResolvedElement {
    const resolved = this.resolve(fullName)
    if (!resolved) {
      const hint = this.registry.suggest(fullName)
      const didYouMean = hint.length > 0 ? `; did you mean ${hint.map((h) => `"${h}"`).join(' or ')}?` : ''
      throw new ElementNotFoundError(`no element named "${fullName}"${didYouMean}`, { element: fullName })
    }
    const problem = resolved.problem
    if (problem) throw problem
    return resolved
  }

  /** The object getElement forwards to, built on first use. Synchronous. */
  load(fullName: string): any {
    const known = this.reached.get(fullName)
    return (known ?? this.require(fullName)).object()
  }

  /** Runs `call` as a call in flight on this generation: a retired generation is disposed after it. */
  track<T>(call: () => T): T {
    return this.inflight.track(call)
  }

  /** Marks this generation as replaced; it is disposed once nothing is in flight on it. */
  retire(): Promise<void> {
    return this.inflight.retire(() => this.dispose())
  }

  /** Disposes every loaded object and releases shared resources. Idempotent. */
  dispose(): Promise<void> {
    this.disposed ??= this.disposeNow()
    return this.disposed
  }

  /** The one place an element's object is built (Reached.object calls it once per name). */
  instantiate(reached: Reached): unknown {
    if (this.inflight.retired && this.disposed) {
      throw new JitError(
        'JIT_ELEMENT_BROKEN',
        `${reached.fullName} was loaded from a registry that has been replaced`,
        {
          element: reached.fullName,
        },
      )
    }
    const { state, ownerState } = reached
    const type = state.type
    let object: unknown
    if (state.element.layer !== 'Instance' || !type) object = type ?? state.ownType ?? Object.freeze({})
    else if (!type.load) object = state.config?.value ?? Object.freeze({})
    else {
      const ctx = this.context(state, ownerState)
      try {
        object = type.load(ctx)
      } catch (err) {
        throw asElementError(state, err, 'loading')
      }
    }
    this.loaded.push(reached)
    return object
  }

  /** The Instances of a Type (those not reached through another), sorted: examples of where its children are. */
  instancesOf(typeName: string): string[] {
    const names: string[] = []
    for (const { element } of this.states.values()) {
      if (element.layer === 'Instance' && !element.scopedTo && element.chain?.includes(typeName))
        names.push(element.fullName)
    }
    return names.sort()
  }

  private async disposeNow(): Promise<void> {
    const failures: unknown[] = []
    for (const reached of this.loaded.splice(0).reverse()) {
      const object = reached.forget()
      const type = reached.state.type
      try {
        if (type?.dispose) await type.dispose(object)
        else if (object && typeof (object as { dispose?: unknown }).dispose === 'function') {
          await (object as { dispose(): unknown }).dispose()
        }
      } catch (err) {
        failures.push(err)
      }
    }
    for (const key of this.held) await this.options.resources.release(key, this.id)
    this.held.clear()
    for (const err of failures)
      this.options.log.error(`disposing an element failed: ${(err as Error).message}`)
  }

  /** The context handed to a Type's prepare and load for one element (and the Instance it serves). */
  private context(state: ElementState, owner: ElementState | undefined): LoadContext<any> {
    const ownerInfo: OwnerInfo | undefined = owner && {
      element: owner.info,
      config: owner.config?.value ?? Object.freeze({}),
      getChild: (childPath: string) => this.load(`${owner.element.fullName}.${childPath}`),
    }
    const resources: SharedResources = {
      acquire: (key, create, dispose) => {
        this.held.add(key)
        return this.options.resources.acquire(key, this.id, create, dispose)
      },
    }
    return {
      element: { ...state.info, configFile: state.config?.file },
      config: state.config?.value ?? Object.freeze({}),
      module: state.module,
      owner: ownerInfo,
      app: this.app,
      log: this.options.log,
      metrics: this.options.metrics,
      env: this.options.env,
      resources,
      dryRun: this.options.dryRun ?? false,
      getElement: (fullName: string) => this.load(fullName),
    }
  }
}
